package pos

import "testing"

// The parsers of what the cashier types at the desk: discounts, weights
// and parked tickets.

func FuzzParseDiscount(f *testing.F) {
	for _, s := range []string{"10%", "12.5%", "1.50", "1,50", "100%", "0%", "%", "", "1e3", "-1", "99999999999999", "١٠%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDiscount(EUR(), s)
		if err != nil {
			return
		}
		switch {
		case d.Percent != 0 && d.Amount != 0:
			t.Fatalf("%q: both a percentage and an amount: %+v", s, d)
		case d.Percent < 0 || d.Percent > 10000:
			t.Fatalf("%q: percentage %d out of 0..10000", s, d.Percent)
		case d.Percent == 0 && d.Amount <= 0:
			t.Fatalf("%q: amount %d, want above 0", s, d.Amount)
		}
		for _, base := range []Money{0, 1, 349, MaxMoney} {
			if off, err := d.Of(base); err == nil && (off < 0 || off > base) {
				t.Fatalf("%q of %d: %d", s, base, off)
			}
		}
	})
}

func FuzzParseWeight(f *testing.F) {
	for _, s := range []string{"482", "0.482", "1,5", ".25", "2.", "0", "99999", "100000", "1.2.3", "", "-5", "+5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseWeight(s)
		if err == nil && (g < 1 || g > MaxGrams) {
			t.Fatalf("%q: %d g, want 1 to %d", s, g, MaxGrams)
		}
	})
}

func FuzzParseParkedCode(f *testing.F) {
	for _, s := range []string{"PK000001", "pk1", "PK", "PK0", "PK-1", "PK99999999999999", "XK1", "PK1a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := ParseParkedCode(s)
		if !ok {
			return
		}
		if n <= 0 {
			t.Fatalf("%q: ticket %d", s, n)
		}
		if back, ok := ParseParkedCode(ParkedCode(n)); !ok || back != n {
			t.Fatalf("%q: %d does not read back from %s", s, n, ParkedCode(n))
		}
	})
}
