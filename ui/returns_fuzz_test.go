package ui

import (
	"testing"
	"time"

	"github.com/till-pos/till/pos"
)

var returnFuzzKeys = []string{"enter", "esc", "f2", "f3", "f4", "f6", "f7", "f9", "up", "down", "backspace", "tab", "y", "n"}

// FuzzReturnScreen presses random keys, types random digits, scans random
// codes and lets the card gateway fail or go unanswered at random, from a
// basket with returns set up. Whatever happens: no return takes back more
// than was sold, nothing refunds more than was paid, the card never more
// than it paid, no scan becomes a typed quantity, and no key is held.
func FuzzReturnScreen(f *testing.F) {
	f.Add([]byte{0, 0, 1, 1, 2, 0, 2, 0, 2, 12})                   // the receipt, 1, enter, enter, y
	f.Add([]byte{0, 0, 1, 3, 2, 0, 2, 8, 1, 1, 2, 0, 2, 7, 2, 12}) // all milk, a line down, void
	f.Add([]byte{3, 1, 0, 0, 1, 2, 2, 0, 2, 0, 2, 12, 2, 5, 2, 12})
	f.Add([]byte{3, 2, 0, 0, 0, 4, 1, 2, 2, 0, 2, 0, 2, 12, 2, 1})
	f.Add([]byte{2, 6, 1, 9, 1, 0, 1, 0, 2, 10, 1, 9, 2, 0, 0, 0, 0, 0, 2, 0, 2, 12})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 80 {
			ops = ops[:80]
		}
		r := newReturnRig(t, 300)
		codes := []string{r.receipt(), milk.Code, bread.Code, applesLabel, "1234", old.Code}
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%4, int(ops[i+1])
			switch op {
			case 0: // a scan
				code := codes[arg%len(codes)]
				r.scan(code)
				if rs := r.m.returns(); code == "1234" {
					for _, l := range rs.lines {
						if l.Quantity == 1234 {
							t.Fatalf("the scan 1234 became a quantity")
						}
					}
				}
			case 1: // a digit, by hand
				r.typeText(string(rune('0' + arg%10)))
			case 2: // a key, by hand
				r.key(returnFuzzKeys[arg%len(returnFuzzKeys)])
				r.drain(10 * time.Second)
			case 3: // the gateway's next answer
				r.gw.then([]pos.PaymentStatus{pos.PaymentApproved, pos.PaymentFailed, pos.PaymentUnknown}[arg%3])
			}
			if n := r.m.burst.pending(); n != 0 {
				t.Fatalf("%d keys held after the keys were settled", n)
			}
			checkReturns(t, r)
		}
	})
}

// checkReturns checks what the returns recorded add up to against the sale.
func checkReturns(t *testing.T, r *returnRig) {
	t.Helper()
	back := make([]int64, len(r.sale.Lines))
	var refunded pos.Money
	for _, ret := range r.store.all() {
		if ret.Status == pos.ReturnFailed || ret.SaleKey != r.sale.Key {
			continue
		}
		for _, l := range ret.Lines {
			back[l.SaleLine-1] += l.Quantity
		}
		for _, f := range ret.Refunds {
			if f.Status != pos.PaymentFailed {
				refunded += f.Amount
			}
		}
	}
	for i, q := range back {
		if q > r.sale.Lines[i].Quantity {
			t.Fatalf("line %d: %d returned of %d sold", i+1, q, r.sale.Lines[i].Quantity)
		}
	}
	if refunded > r.sale.Totals.Total {
		t.Fatalf("refunded %d of a sale of %d", refunded, r.sale.Totals.Total)
	}
	if got := r.gw.refunded(); got > 500 {
		t.Fatalf("the card got back %d; it paid 500", got)
	}
}
