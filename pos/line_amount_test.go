package pos

import (
	"math"
	"testing"
)

func TestLineAmount(t *testing.T) {
	const tooLarge = "Cheese: line total is too large"
	for _, tt := range []struct {
		name string
		line Line
		want Money
		err  string
	}{
		{"pieces", Line{Quantity: 3, UnitPrice: 199}, 597, ""},
		{"pieces less discount", Line{Quantity: 3, UnitPrice: 199, Discount: 97}, 500, ""},
		// 545 g at 1.99/kg = 108.455 → 108.
		{"weighed", Line{Weighed: true, Quantity: 545, UnitPrice: 199}, 108, ""},
		// 1 g at 0.50/kg = 0.5 cent → 1 (half away from zero).
		{"weighed rounds half up", Line{Weighed: true, Quantity: 1, UnitPrice: 500}, 1, ""},
		{"largest pieces total", Line{Quantity: 1, UnitPrice: MaxMoney}, MaxMoney, ""},
		{"largest weighed total", Line{Weighed: true, Quantity: 1000, UnitPrice: MaxMoney}, MaxMoney, ""},
		{"one cent over", Line{Quantity: 1, UnitPrice: MaxMoney + 1}, 0, tooLarge},
		{"weighed one cent over", Line{Weighed: true, Quantity: 1, UnitPrice: (MaxMoney + 1) * 1000}, 0, tooLarge},
		// The issue: a unit price near the int64 limit and 1 g rounded to a
		// negative amount instead of failing.
		{"weighed price near int64 max, 1 g", Line{Weighed: true, Quantity: 1, UnitPrice: math.MaxInt64}, 0, tooLarge},
		{"weighed price int64 max - 499, 1 g", Line{Weighed: true, Quantity: 1, UnitPrice: math.MaxInt64 - 499}, 0, tooLarge},
		{"price near int64 max", Line{Quantity: 1, UnitPrice: math.MaxInt64}, 0, tooLarge},
		{"product overflows", Line{Quantity: 1 << 32, UnitPrice: 1 << 32}, 0, tooLarge},
		{"weighed product overflows", Line{Weighed: true, Quantity: 99_999, UnitPrice: math.MaxInt64 / 1000}, 0, tooLarge},
		{"min int64 price", Line{Quantity: 1, UnitPrice: math.MinInt64}, 0, tooLarge},
		{"min int64 quantity", Line{Weighed: true, Quantity: math.MinInt64, UnitPrice: 1}, 0, tooLarge},
		{"negative too large", Line{Weighed: true, Quantity: -1, UnitPrice: math.MaxInt64}, 0, tooLarge},
		{"discount wraps", Line{Quantity: 1, UnitPrice: -2, Discount: math.MaxInt64}, 0, tooLarge},
		{"negative discount wraps", Line{Quantity: 1, UnitPrice: 1, Discount: math.MinInt64}, 0, tooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.line.Name = "Cheese"
			got, err := tt.line.Amount()
			if msg := ErrorMessage(err); msg != tt.err {
				t.Fatalf("Amount(%+v): got error %q, want %q", tt.line, msg, tt.err)
			}
			if err != nil && ErrorCode(err) != EInvalid {
				t.Errorf("got code %q, want %q", ErrorCode(err), EInvalid)
			}
			if got != tt.want {
				t.Errorf("Amount(%+v): got %d, want %d", tt.line, got, tt.want)
			}
		})
	}
	// Validate reports the same error for the weighed line of the issue.
	l := Line{ItemID: 1, Name: "Cheese", Weighed: true, Quantity: 1, UnitPrice: math.MaxInt64}
	if msg := ErrorMessage(l.Validate()); msg != tooLarge {
		t.Errorf("Validate: got %q, want %q", msg, tooLarge)
	}
}
