package ui

import (
	"testing"

	"github.com/till-pos/till/pos"
)

// FuzzDiscountEntry types anything as a line or basket discount or a
// price: whatever is taken, approved or not, no line goes below zero,
// the lines add up to the total and the total never grows from a discount.
func FuzzDiscountEntry(f *testing.F) {
	for _, s := range []string{"10%", "1.00", "4.78", "100%", "0.001", "", "%%", "1,5", "99999999", "0"} {
		for _, k := range []byte{'d', 't', 'o'} {
			f.Add(k, s)
		}
	}
	f.Fuzz(func(t *testing.T, which byte, typed string) {
		r := newDeskRig(t, 1000, 1000)
		r.scan(milk.Code)
		r.scan(bread.Code)
		before := r.m.sale.Totals().Total
		k := []rune{'d', 't', 'o'}[int(which)%3]
		r.ctrl(k)
		r.typeText(typed)
		r.key("enter")
		if r.m.active == screenApproval {
			r.approve("9999")
		}
		tot := r.m.sale.Totals()
		var sum pos.Money
		for i, l := range r.m.sale.Lines() {
			if a, err := l.Amount(); err != nil || a < 0 {
				t.Fatalf("line %d after %q: amount %d, %v", i, typed, a, err)
			}
			sum += tot.Lines[i].Gross
		}
		if sum != tot.Total {
			t.Fatalf("after %q: lines add up to %d, total %d", typed, sum, tot.Total)
		}
		if k != 'o' && tot.Total > before {
			t.Fatalf("a discount of %q raised the total from %d to %d", typed, before, tot.Total)
		}
	})
}
