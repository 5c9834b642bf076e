package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
)

// TestReportListsOfflineSalesAndShortages: a session sells one basket
// online, then two sales made offline an hour earlier are forwarded into
// it, the second short of a counted item and of a weighed one. The X and
// the Z (as closed, and read again), run as the till's database user, list
// the two offline sales (already inside the sales and the expected cash,
// not counted twice) and the two shortages, by sale and item, in grams for
// the weighed one; the report's text says so line for line.
func TestReportListsOfflineSalesAndShortages(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 100, 3)
	cheese := f.d.AddItem(t, pos.Item{Code: "CHEESE", Name: "Cheese", Price: 18_90, TaxRate: 700,
		Weighed: true, Active: true}, 200)
	var err error
	if f.initial, err = store.StockSnapshot(ctx, f.d.Admin); err != nil {
		t.Fatal(err)
	}
	db, _ := tillUser(t, f.d)
	office := &pos.CashOffice{Store: db, Settings: settings()}
	if _, err := office.Open(ctx, f.cashier, pos.CountOf(50_00)); err != nil {
		t.Fatal(err)
	}

	co := &pos.Checkout{Sales: db, Gateway: f.gw, Settings: settings()}
	online := f.draft(t, [2]int{0, 1})
	online, err = co.SellCash(ctx, online, online.Totals.Total+1_00)
	if err != nil {
		t.Fatal(err)
	}

	j := newJournal(t)
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	a := f.sellOffline(t, j, at, [2]int{0, 2})
	// b: 5 of item 1 (3 in stock) and 500 g of cheese (200 g in stock).
	basket := &pos.Basket{Key: pos.NewKey()}
	for _, l := range []struct {
		item pos.Item
		scan pos.Scan
	}{
		{f.items[1], pos.Scan{Quantity: 5}},
		{cheese, pos.Scan{Measure: pos.MeasureWeight, Value: 500}},
	} {
		line, err := pos.NewLine(l.item, l.scan)
		if err != nil {
			t.Fatal(err)
		}
		if err := basket.Add(line); err != nil {
			t.Fatal(err)
		}
	}
	draft, err := f.co.Draft(basket, f.cashier)
	if err != nil {
		t.Fatal(err)
	}
	off := *f.co
	off.Journal, off.OfflineLimits = j, pos.DefaultOfflineLimits()
	off.Now = func() time.Time { return at.Add(time.Minute) }
	b, err := off.SellOffline(draft, draft.Totals.Total+10_00)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := pos.ForwardJournal(ctx, j, db)
	if err != nil {
		t.Fatal(err)
	}
	if fw.Forwarded != 2 || len(fw.Failed) != 0 || len(fw.Short) != 1 {
		t.Fatalf("forwarded: %+v", fw)
	}
	for _, s := range []*pos.Sale{&a, &b} {
		stored, err := f.db.Sale(ctx, s.Key)
		if err != nil {
			t.Fatal(err)
		}
		s.ID = stored.ID
	}

	paid := func(s pos.Sale) pos.Money { return s.Totals.Total + s.CashRounding }
	wantOffline := pos.Tally{Count: 2, Amount: paid(a) + paid(b)}
	wantSales := pos.Tally{Count: 3, Amount: paid(online) + paid(a) + paid(b)}
	wantShort := []pos.ReportShortage{
		{SaleID: b.ID, Item: f.items[1].Name, Wanted: 5, Available: 3},
		{SaleID: b.ID, Item: "Cheese", Weighed: true, Wanted: 500, Available: 200},
	}
	amount := pos.EUR().Format(wantOffline.Amount)
	wantLines := []string{
		"Offline sales (2)" + strings.Repeat(" ", pos.ReportWidth-len("Offline sales (2)")-utf8.RuneCountInString(amount)) + amount,
		"Stock shortages (2)",
		fmt.Sprintf("  Item 1 sale %d: sold 5, had 3", b.ID),
		fmt.Sprintf("  Cheese sale %d: sold 500 g, had 200 g", b.ID),
	}
	check := func(name string, r pos.Report) {
		t.Helper()
		if r.Offline != wantOffline {
			t.Errorf("%s: offline %+v, want %+v", name, r.Offline, wantOffline)
		}
		if r.Sales != wantSales {
			t.Errorf("%s: sales %+v, want %+v (the offline ones once)", name, r.Sales, wantSales)
		}
		if want := 50_00 + wantSales.Amount; r.ExpectedCash != want {
			t.Errorf("%s: expected cash %d, want %d", name, r.ExpectedCash, want)
		}
		if r.NetTotal != wantSales.Amount {
			t.Errorf("%s: net total %d, want %d", name, r.NetTotal, wantSales.Amount)
		}
		if !reflect.DeepEqual(r.Shortages, wantShort) {
			t.Errorf("%s: shortages %+v, want %+v", name, r.Shortages, wantShort)
		}
		lines := r.Text(pos.EUR(), time.UTC)
		text := strings.Join(lines, "\n")
		for _, want := range wantLines {
			found := false
			for _, l := range lines {
				found = found || l == want
			}
			if !found {
				t.Errorf("%s: no line %q in\n%s", name, want, text)
			}
		}
	}

	x, err := office.X(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("X", x)
	z, err := office.Z(ctx, f.cashier, pos.CountOf(x.ExpectedCash))
	if err != nil {
		t.Fatal(err)
	}
	check("Z", z)
	if z.Difference != 0 {
		t.Errorf("Z: difference %d, want 0", z.Difference)
	}
	again, err := db.ZReport(ctx, "s1", "t1", z.ZNumber)
	if err != nil {
		t.Fatal(err)
	}
	check("Z read again", again)
	f.checkInvariants(t)
	f.checkCashOffice(t)
}
