package ui

import (
	"testing"

	"github.com/till-pos/till/pos"
)

// The keyboard paths that parse what the cashier types: the cash amount
// and the quantity. (The scan parser is fuzzed in pos.)

func FuzzCashEntry(f *testing.F) {
	for _, s := range []string{"10", "7,36", "0.5", ".5", "1.234", "", "99999999999999", "1,2,3", "-1", "١٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		r := newRig(t, true)
		r.scan("4006381333931") // €1.29
		r.key("f5")
		r.typeText(typed)
		r.key("enter")
		given := r.m.sale.CashGiven()
		if given < 0 || given > pos.MaxMoney {
			t.Fatalf("cash given %d from %q: want 0 to MaxMoney", given, typed)
		}
		v, err := parseAmount(pos.EUR(), typed)
		if err == nil && v < 0 {
			t.Fatalf("parseAmount(%q) = %d, want never negative", typed, v)
		}
		if r.m.active == screenDone {
			d := r.m.screens[screenDone].(*doneScreen)
			if d.sale.Paid() != d.sale.Totals.Total+d.sale.CashRounding {
				t.Fatalf("done with %q: paid %d, want %d", typed, d.sale.Paid(), d.sale.Totals.Total)
			}
		}
	})
}

func FuzzQuantityEntry(f *testing.F) {
	for _, s := range []string{"3", "0", "9999", "10000", "", "007", "+5", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		q, err := parseQuantity(typed)
		if err == nil && (q < 1 || q > pos.MaxQuantity) {
			t.Fatalf("parseQuantity(%q) = %d, want 1 to %d or an error", typed, q, pos.MaxQuantity)
		}
		r := newRig(t, true)
		r.scan("4006381333931")
		r.key("f2")
		r.typeText(typed)
		r.key("enter")
		if err == nil && q > defaultMaxQuantityUnconfirmed {
			if r.m.confirm == nil {
				t.Fatalf("quantity %d from %q taken without asking", q, typed)
			}
			r.key("y")
		}
		l := r.m.sale.Lines()[0]
		if l.Quantity < 1 || l.Quantity > pos.MaxQuantity {
			t.Fatalf("quantity after typing %q: got %d", typed, l.Quantity)
		}
		if err == nil && l.Quantity != q {
			t.Fatalf("quantity after typing %q: got %d, want %d", typed, l.Quantity, q)
		}
	})
}
