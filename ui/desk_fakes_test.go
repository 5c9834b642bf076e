package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// More test items: bananas sold by weight under a PLU (no scale label),
// and flowers at an open price (catalogue price 0).
var (
	bananas = pos.Item{ID: 5, Code: "4011", Name: "Bananas loose", Price: 199, TaxRate: 700, Weighed: true, Active: true}
	flowers = pos.Item{ID: 6, Code: "4500", Name: "Flowers bunch", Price: 0, TaxRate: 700, Active: true}
)

// fakeParked keeps parked baskets in memory; resuming is exactly once,
// as the store's conditional update makes it.
type fakeParked struct {
	mu     sync.Mutex
	down   bool
	lose   bool // the next resume commits, and its answer is lost
	next   int64
	parked []pos.ParkedBasket
}

func (f *fakeParked) setDown(d bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = d
}

func (f *fakeParked) Park(ctx context.Context, p pos.ParkedBasket) (pos.ParkedBasket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return pos.ParkedBasket{}, errDown
	}
	for _, q := range f.parked {
		if q.Key == p.Key {
			return q, nil
		}
	}
	f.next++
	p.Number, p.Status, p.ParkedAt = f.next, pos.ParkedWaiting, rigStart
	f.parked = append(f.parked, p)
	return p, nil
}

func (f *fakeParked) ParkedBaskets(ctx context.Context, storeID string) ([]pos.ParkedBasket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errDown
	}
	var out []pos.ParkedBasket
	for _, p := range f.parked {
		if p.StoreID == storeID && p.Status == pos.ParkedWaiting {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f *fakeParked) Resume(ctx context.Context, storeID string, n int64, r pos.Resumption) (pos.ParkedBasket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return pos.ParkedBasket{}, errDown
	}
	for i, p := range f.parked {
		if p.Number != n || p.StoreID != storeID {
			continue
		}
		switch {
		case p.Status == pos.ParkedResumed && p.ResumedKey == r.SaleKey:
			return p, nil
		case p.Status == pos.ParkedResumed:
			return pos.ParkedBasket{}, pos.Errorf(pos.EConflict, "parked basket %s was already resumed at till %s",
				pos.ParkedCode(n), p.ResumedTill)
		}
		p.Status, p.ResumedKey, p.ResumedTill, p.ResumedBy = pos.ParkedResumed, r.SaleKey, r.TillID, r.CashierID
		f.parked[i] = p
		if f.lose {
			f.lose = false
			return pos.ParkedBasket{}, errDown
		}
		return p, nil
	}
	return pos.ParkedBasket{}, pos.Errorf(pos.ENotFound, "no parked basket %s at this store", pos.ParkedCode(n))
}

// resumeElsewhere has another till resume ticket n.
func (f *fakeParked) resumeElsewhere(t testing.TB, n int64) {
	t.Helper()
	if _, err := f.Resume(context.Background(), "s1", n, pos.Resumption{TillID: "t9", CashierID: 2, SaleKey: pos.NewKey()}); err != nil {
		t.Fatal(err)
	}
}

// fakeCopies records the receipt copies made.
type fakeCopies struct {
	mu      sync.Mutex
	printer bool
	copies  []string // sale keys
}

func (c *fakeCopies) PrintCopy(ctx context.Context, sale pos.Sale) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.copies = append(c.copies, sale.Key)
	return nil
}

func (c *fakeCopies) SaveCopy(ctx context.Context, sale pos.Sale) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.copies = append(c.copies, sale.Key)
	return "/tmp/receipts/" + sale.Key + "-copy.pdf", nil
}

func (c *fakeCopies) CanPrint() bool { return c.printer }

func (c *fakeCopies) made() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.copies)
}

// deskRig is a signed-in till with a manager (900, PIN 9999), parking,
// reprints, the extra items and the given limits (basis points).
type deskRig struct {
	*returnRig
	parkedStore *fakeParked
	copies      *fakeCopies
}

func newDeskRig(t testing.TB, discountLimit, overrideLimit int) *deskRig {
	t.Helper()
	r := &deskRig{returnRig: newReturnRig(t, 0), parkedStore: &fakeParked{}, copies: &fakeCopies{}}
	r.m.set.DiscountLimit, r.m.set.PriceOverrideLimit = discountLimit, overrideLimit
	r.m.deps.Parked, r.m.deps.ReceiptCopies = r.parkedStore, r.copies
	r.db.mu.Lock()
	r.db.items = append(r.db.items, bananas, flowers)
	r.db.mu.Unlock()
	r.send(refreshMsg{})
	if _, ok := r.m.cat.lookup(bananas.Code); !ok {
		t.Fatal("the catalog did not take the extra items")
	}
	return r
}

// lines is the basket as "name qty price discount overridden" rows.
func (r *deskRig) lines() []string {
	var out []string
	for _, l := range r.m.sale.Lines() {
		out = append(out, fmt.Sprintf("%s %d %d %d %v", l.Name, l.Quantity, l.UnitPrice, l.Discount, l.PriceOverridden))
	}
	return out
}

// audit returns the audit rows of action, as "action: detail".
func (r *deskRig) audit(action string) []string {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []string
	for _, a := range r.db.audits {
		if a.Action == action {
			out = append(out, a.Action+": "+a.Detail)
		}
	}
	return out
}

// wantStatus fails unless the status line says want.
func (r *deskRig) wantStatus(want string) {
	r.t.Helper()
	if !strings.Contains(r.m.status.text, want) {
		r.t.Fatalf("status: got %q, want it to say %q\n%s", r.m.status.text, want, r.screen())
	}
}

// ctrl presses ctrl and c at a person's pace.
func (r *deskRig) ctrl(c rune) { r.human(tea.KeyPressMsg{Code: c, Mod: tea.ModCtrl}) }
