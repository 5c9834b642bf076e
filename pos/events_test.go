package pos_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/till-pos/till/pos"
)

func compileSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(pos.EventSchema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("event.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("event.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// eventSale is a completed sale with a customer, a card and a cash tender
// with rounding.
func eventSale() pos.Sale {
	lines := []pos.Line{
		{ItemID: 7, Code: "4006381333931", Name: "Pencil", Quantity: 3, UnitPrice: 199, TaxRate: 1900},
		{ItemID: 9, Code: "2012345000008", Name: "Cheese", Quantity: 250, Weighed: true, UnitPrice: 1990, TaxRate: 700},
	}
	totals, err := pos.ComputeTotals(lines, pos.TaxInclusive)
	if err != nil {
		panic(err)
	}
	return pos.Sale{ID: 42, Key: "0d8f6b1e-7c1a-4b8e-9a55-1f2e3d4c5b6a", StoreID: "s1", TillID: "t1",
		CashierID: 3, CustomerID: 17, Currency: "EUR", Lines: lines, Totals: totals, CashRounding: -2,
		Status: pos.SaleCompleted, PointsEarned: 10,
		Payments: []pos.Payment{
			{Method: pos.MethodCard, Status: pos.PaymentDeclined, Amount: 500, CardBrand: "visa", CardLast4: "0002"},
			{Method: pos.MethodCard, Status: pos.PaymentApproved, Amount: 500, CardBrand: "visa", CardLast4: "4242",
				ProviderRef: "pi_123", AuthCode: "A1"},
			{Method: pos.MethodCash, Status: pos.PaymentApproved, Amount: totals.Total - 500 - 2, Tendered: 2000},
		}}
}

func TestEventIDIsStable(t *testing.T) {
	k := "0d8f6b1e-7c1a-4b8e-9a55-1f2e3d4c5b6a"
	a, b := pos.EventID(k, pos.EventSaleCompleted), pos.EventID(k, pos.EventSaleCompleted)
	if a != b {
		t.Errorf("two ids for one event: %s %s", a, b)
	}
	if a == pos.EventID(k, pos.EventSaleVoided) {
		t.Error("completed and voided share an id")
	}
	// The id is part of the contract with consumers: it never changes.
	if want := "20d377d4-605e-5f54-9bb7-4f9f97df1eea"; a != want {
		t.Errorf("got %s, want %s: changing the derivation makes every consumer see old events as new", a, want)
	}
}

func TestSaleEventMatchesSchema(t *testing.T) {
	schema := compileSchema(t)
	at := time.Date(2026, 11, 30, 17, 0, 0, 123456789, time.UTC)
	sale := eventSale()
	completed, err := pos.NewSaleEvent(pos.EventSaleCompleted, sale, at)
	if err != nil {
		t.Fatal(err)
	}
	sale.Status, sale.CustomerID, sale.PointsEarned, sale.Payments, sale.CashRounding = pos.SaleVoided, 0, 0, nil, 0
	voided, err := pos.NewSaleEvent(pos.EventSaleVoided, sale, at)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []pos.Event{completed, voided} {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(doc); err != nil {
			t.Errorf("%s does not match the schema: %v\n%s", e.Type, err, b)
		}
		for _, secret := range []string{"pi_123", "A1", "2000", "0002"} {
			if strings.Contains(string(b), `"`+secret+`"`) {
				t.Errorf("%s event carries %q", e.Type, secret)
			}
		}
	}
	if len(completed.Tenders) != 2 || completed.Tenders[0].CardLast4 != "4242" || completed.Customer.ID != 17 {
		t.Errorf("completed event: got %+v", completed)
	}
	if voided.Customer != nil || len(voided.Tenders) != 0 {
		t.Errorf("voided event: got customer %v, %d tenders", voided.Customer, len(voided.Tenders))
	}
}

// TestSchemaAndValidateAgree: documents the schema refuses are refused by
// Validate too (the publisher parks them instead of sending).
func TestSchemaAndValidateAgree(t *testing.T) {
	schema := compileSchema(t)
	good, err := pos.NewSaleEvent(pos.EventSaleCompleted, eventSale(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(*pos.Event)
	}{
		{"wrong version", func(e *pos.Event) { e.SchemaVersion = 2 }},
		{"unknown type", func(e *pos.Event) { e.Type = "sale.exploded" }},
		{"no lines", func(e *pos.Event) { e.Lines = []pos.EventLine{} }},
		{"bad currency", func(e *pos.Event) { e.Currency = "euro" }},
		{"bad last 4", func(e *pos.Event) { e.Tenders[0].CardLast4 = "4242424242424242" }},
		{"zero quantity", func(e *pos.Event) { e.Lines[0].Quantity = 0 }},
		{"no store", func(e *pos.Event) { e.StoreID = "" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := good
			e.Lines = append([]pos.EventLine(nil), good.Lines...)
			e.Tenders = append([]pos.EventTender(nil), good.Tenders...)
			c.change(&e)
			b, _ := json.Marshal(e)
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if schema.Validate(doc) == nil {
				t.Error("the schema accepts it")
			}
			if e.Validate() == nil {
				t.Error("Validate accepts it")
			}
		})
	}
	// What only Validate can check: the tenders cover the total.
	e := good
	e.Tenders = e.Tenders[:1]
	if e.Validate() == nil {
		t.Error("Validate accepts tenders short of the total")
	}
}

// TestReturnEventMatchesSchema: a completed return's event (a partial
// return refunded to the card and in cash, and one without a receipt
// whose cash is owed) matches the schema, carries only the card's brand
// and last 4 digits, and its id derives from the return's key. Training
// and unfinished returns have none.
func TestReturnEventMatchesSchema(t *testing.T) {
	schema := compileSchema(t)
	at := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	sale := eventSale()
	partial, err := pos.PlanReturn(pos.Returnable{Sale: sale}, pos.ReturnRequest{
		Key: "5b0f7c3e-2d4a-4f6b-8c1d-9e0a1b2c3d4e", SaleKey: sale.Key, StoreID: "s1", TillID: "t1",
		CashierID: 3, Currency: "EUR", CashStep: 5,
		Lines: []pos.ReturnLine{{SaleLine: 1, Quantity: 3, Reason: pos.ReasonChangedMind, Restock: true},
			{SaleLine: 2, Quantity: 100, Reason: pos.ReasonDamaged}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range partial.Refunds {
		partial.Refunds[i].Status, partial.Refunds[i].ProviderRef = pos.PaymentApproved, "re_456"
	}
	partial.ID, partial.Status, partial.PointsReversed = 5, pos.ReturnCompleted, 7
	unreceipted, err := pos.PlanReturn(pos.Returnable{}, pos.ReturnRequest{
		Key: "6c1a8d4f-3e5b-4a7c-9d2e-0f1b2c3d4e5f", StoreID: "s1", TillID: "t1", CashierID: 3,
		ApprovedBy: 4, Currency: "EUR", TaxMode: pos.TaxInclusive,
		Lines: []pos.ReturnLine{{ItemID: 7, Code: "4006381333931", Name: "Pencil", Quantity: 1,
			UnitPrice: 199, TaxRate: 1900, Reason: pos.ReasonWrongItem, Restock: true}}})
	if err != nil {
		t.Fatal(err)
	}
	unreceipted.ID, unreceipted.Status = 6, pos.ReturnCompleted
	unreceipted.Refunds[0].Status = pos.RefundOwed

	cases := []struct {
		name        string
		ret         pos.Return
		wantTenders []pos.EventTender
		wantPoints  int64
	}{
		{"card and cash", partial, []pos.EventTender{
			{Kind: pos.MethodCard, Amount: 500, CardBrand: "visa", CardLast4: "4242"},
			{Kind: pos.MethodCash, Amount: partial.Refunded() - 500}}, 7},
		{"no receipt, cash owed", unreceipted, []pos.EventTender{{Kind: pos.MethodCash, Amount: 199}}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := pos.NewReturnEvent(c.ret, at)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(doc); err != nil {
				t.Errorf("does not match the schema: %v\n%s", err, b)
			}
			if e.ID != pos.EventID(c.ret.Key, pos.EventReturnCompleted) || e.SaleKey != c.ret.Key || e.SaleNumber != c.ret.ID {
				t.Errorf("got id %s about %s (number %d), want the return's %s, %d", e.ID, e.SaleKey, e.SaleNumber, c.ret.Key, c.ret.ID)
			}
			if len(e.Lines) != len(c.ret.Lines) || e.Totals.Total != c.ret.Total || e.Points != c.wantPoints {
				t.Errorf("got %d lines, total %d, %d points; want %d, %d, %d", len(e.Lines), e.Totals.Total, e.Points,
					len(c.ret.Lines), c.ret.Total, c.wantPoints)
			}
			if !slices.Equal(e.Tenders, c.wantTenders) {
				t.Errorf("tenders: got %+v, want %+v", e.Tenders, c.wantTenders)
			}
			switch {
			case c.ret.SaleKey == "" && e.ReturnOf != nil:
				t.Errorf("a return without a receipt names sale %+v", e.ReturnOf)
			case c.ret.SaleKey != "" && (e.ReturnOf == nil || e.ReturnOf.SaleKey != c.ret.SaleKey || e.ReturnOf.SaleNumber != c.ret.SaleID):
				t.Errorf("return_of: got %+v, want %s (%d)", e.ReturnOf, c.ret.SaleKey, c.ret.SaleID)
			}
			for _, secret := range []string{"pi_123", "re_456", "A1"} {
				if strings.Contains(string(b), secret) {
					t.Errorf("the event carries %q", secret)
				}
			}
		})
	}
	training := partial
	training.Training = true
	pending := partial
	pending.Status = pos.ReturnPending
	for name, r := range map[string]pos.Return{"training": training, "pending": pending} {
		if _, err := pos.NewReturnEvent(r, at); pos.ErrorCode(err) != pos.EInvalid {
			t.Errorf("%s return: got %v, want no event", name, err)
		}
	}
}
