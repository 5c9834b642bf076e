package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/till-pos/till/pos"
)

// parkable builds a sale in progress of two lines of the fixture's items:
// 3 of item 0 at an overridden price with a discount, and 1 of item 1,
// for the fixture's customer.
func (f *fixture) parkable(t testing.TB, co *pos.Checkout) (*pos.SaleInProgress, pos.ParkedBasket) {
	t.Helper()
	s := co.Open(f.cashier)
	for i, q := range []int64{3, 1} {
		l, err := pos.NewLine(f.items[i], pos.Scan{Quantity: q})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Add(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.OverridePrice(0, 50); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDiscount(0, 20); err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(pos.Customer{ID: f.customer.ID, Name: f.customer.Name, LoyaltyCard: f.customer.LoyaltyCard}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Parkable(func(code string) pos.Money {
		for _, it := range f.items {
			if it.Code == code {
				return it.Price
			}
		}
		return 0
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

// TestParkAndResume parks a basket (no stock taken, idempotent by its key,
// audited), lists it, resumes it once (a second resumption with another
// key is refused, the same one answered again), and sells it: the sale's
// stored lines keep the overridden price and the discount.
func TestParkAndResume(t *testing.T) {
	f := newFixture(t, 10, 10)
	ctx := context.Background()
	_, p := f.parkable(t, f.co)
	parked, err := f.db.Park(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if parked.Number <= 0 || parked.Status != pos.ParkedWaiting {
		t.Fatalf("parked: got number %d status %s", parked.Number, parked.Status)
	}
	again, err := f.db.Park(ctx, p)
	if err != nil || again.Number != parked.Number {
		t.Fatalf("parked again: got %d, %v; want %d", again.Number, err, parked.Number)
	}
	for i := range f.items {
		if got := f.stock(t, i); got != 10 {
			t.Errorf("stock of item %d after parking: got %d, want 10", i, got)
		}
	}
	list, err := f.db.ParkedBaskets(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Number != parked.Number || list[0].Total != p.Total || len(list[0].Lines) != 2 {
		t.Fatalf("list: got %+v, want ticket %d of 2 lines, total %d", list, parked.Number, p.Total)
	}
	if other, err := f.db.ParkedBaskets(ctx, "berlin-1"); err != nil || len(other) != 0 {
		t.Errorf("another store's list: got %d, %v; want none", len(other), err)
	}
	if _, err := f.db.Resume(ctx, "berlin-1", parked.Number, pos.Resumption{TillID: "b1", CashierID: f.cashier,
		SaleKey: pos.NewKey()}); pos.ErrorCode(err) != pos.ENotFound {
		t.Errorf("resumed at another store: got %v, want not found", err)
	}

	key := pos.NewKey()
	r := pos.Resumption{TillID: "t2", CashierID: f.cashier, SaleKey: key}
	got, err := f.db.Resume(ctx, "s1", parked.Number, r)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != pos.ParkedResumed || got.ResumedKey != key || got.ResumedTill != "t2" {
		t.Errorf("resumed: got %s by %q as %s, want resumed by t2 as %s", got.Status, got.ResumedTill, got.ResumedKey, key)
	}
	if got.Customer == nil || got.Customer.ID != f.customer.ID {
		t.Errorf("customer: got %+v, want %d", got.Customer, f.customer.ID)
	}
	want := p.Lines
	for i, l := range got.Lines {
		if l != want[i] {
			t.Errorf("line %d: got %+v, want %+v", i, l, want[i])
		}
	}
	if same, err := f.db.Resume(ctx, "s1", parked.Number, r); err != nil || same.ResumedKey != key {
		t.Errorf("the same resumption again: got %v, %v; want the basket again", same.ResumedKey, err)
	}
	if _, err := f.db.Resume(ctx, "s1", parked.Number, pos.Resumption{TillID: "t3", CashierID: f.cashier,
		SaleKey: pos.NewKey()}); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("resumed twice: got %v, want conflict", err)
	}
	if list, _ := f.db.ParkedBaskets(ctx, "s1"); len(list) != 0 {
		t.Errorf("list after resuming: got %d, want none", len(list))
	}
	if _, err := f.d.Admin.ExecContext(ctx, `UPDATE parked_baskets SET status = 'parked', resumed_key = NULL,
		resumed_at = NULL WHERE parked_id = ?`, parked.Number); err == nil {
		t.Error("a resumed basket was set back to parked")
	}

	// Sold as resumed: the sale goes through Reserve like any other.
	lines, notes := pos.ResumeLines(got, func(code string) (pos.Item, bool) {
		for _, it := range f.items {
			if it.Code == code {
				return it, true
			}
		}
		return pos.Item{}, false
	})
	if len(notes) != 0 {
		t.Errorf("notes: %v", notes)
	}
	s, err := f.co.Resume(f.cashier, key, lines, got.Customer)
	if err != nil {
		t.Fatal(err)
	}
	sale, err := f.co.Draft(&pos.Basket{Key: s.Key(), Lines: s.Lines(), Customer: s.Customer()}, f.cashier)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.co.SellCash(ctx, sale, sale.Totals.Total); err != nil {
		t.Fatal(err)
	}
	stored, err := f.db.Sale(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if l := stored.Lines[0]; !l.PriceOverridden || l.UnitPrice != 50 || l.Discount != 20 {
		t.Errorf("stored line: got price %d overridden %v discount %d, want 50 true 20", l.UnitPrice, l.PriceOverridden, l.Discount)
	}
	if got := f.stock(t, 0); got != 7 {
		t.Errorf("stock after the sale: got %d, want 7", got)
	}

	var audits int
	if err := f.d.Admin.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log
		WHERE action IN ('park', 'resume_parked') AND store_id = 's1'`).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != 2 {
		t.Errorf("audit rows: got %d, want 2 (park, resume)", audits)
	}
	f.checkInvariants(t)
}

// TestResumeExactlyOnce: 16 tills resume one ticket at once; one gets it,
// the others are told it was resumed.
func TestResumeExactlyOnce(t *testing.T) {
	f := newFixture(t, 10, 10)
	ctx := context.Background()
	_, p := f.parkable(t, f.co)
	parked, err := f.db.Park(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	const tills = 16
	var wg sync.WaitGroup
	errs := make([]error, tills)
	keys := make([]string, tills)
	for i := range tills {
		keys[i] = pos.NewKey()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.db.Resume(ctx, "s1", parked.Number, pos.Resumption{TillID: "t1", CashierID: f.cashier, SaleKey: keys[i]})
		}()
	}
	wg.Wait()
	won, lost := 0, 0
	winner := ""
	for i, err := range errs {
		switch pos.ErrorCode(err) {
		case "":
			won++
			winner = keys[i]
		case pos.EConflict:
			lost++
		default:
			t.Errorf("till %d: %v", i, err)
		}
	}
	if won != 1 || lost != tills-1 {
		t.Fatalf("got %d resumed and %d refused, want 1 and %d", won, lost, tills-1)
	}
	var stored string
	if err := f.d.Admin.QueryRowContext(ctx, `SELECT resumed_key FROM parked_baskets WHERE parked_id = ?`,
		parked.Number).Scan(&stored); err != nil || stored != winner {
		t.Errorf("resumed as %q (%v), want the winner's %s", stored, err, winner)
	}
	var audits int
	if err := f.d.Admin.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'resume_parked'`).Scan(&audits); err != nil || audits != 1 {
		t.Errorf("resume audit rows: got %d (%v), want 1", audits, err)
	}
}

// TestParkedAsTheTillUser parks, lists and resumes as the till's narrowly
// granted database user.
func TestParkedAsTheTillUser(t *testing.T) {
	f := newFixture(t, 10, 10)
	ctx := context.Background()
	db, _ := tillUser(t, f.d)
	_, p := f.parkable(t, f.co)
	parked, err := db.Park(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if list, err := db.ParkedBaskets(ctx, "s1"); err != nil || len(list) != 1 {
		t.Fatalf("list: got %d, %v; want 1", len(list), err)
	}
	if _, err := db.Resume(ctx, "s1", parked.Number, pos.Resumption{TillID: "t2", CashierID: f.cashier, SaleKey: pos.NewKey()}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Resume(ctx, "s1", parked.Number, pos.Resumption{TillID: "t3", CashierID: f.cashier,
		SaleKey: pos.NewKey()}); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("resumed twice as the till user: got %v, want conflict", err)
	}
	if _, err := db.Park(ctx, pos.ParkedBasket{Key: pos.NewKey(), StoreID: "s1", TillID: "t1", CashierID: f.cashier}); pos.ErrorCode(err) != pos.EInvalid {
		t.Errorf("an empty basket parked: got %v, want invalid", err)
	}
}
