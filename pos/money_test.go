package pos

import (
	"math/rand/v2"
	"testing"
)

func TestCurrencyFormat(t *testing.T) {
	tests := []struct {
		cur  Currency
		m    Money
		want string
	}{
		{EUR(), 1234, "€12.34"},
		{EUR(), 5, "€0.05"},
		{EUR(), -2, "-€0.02"},
		{GBP(), 100000, "£1000.00"},
		{USD(), 0, "$0.00"},
	}
	for _, tt := range tests {
		if got := tt.cur.Format(tt.m); got != tt.want {
			t.Errorf("Format(%d): got %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestCurrencyParse(t *testing.T) {
	tests := []struct {
		in   string
		want Money
		ok   bool
	}{
		{"12", 1200, true}, {"12.5", 1250, true}, {"12.50", 1250, true}, {".5", 50, true},
		{" 20 ", 2000, true}, {"0", 0, true},
		{"", 0, false}, {".", 0, false}, {"12.345", 0, false}, {"-3", 0, false}, {"1,50", 0, false},
		{"1e3", 0, false}, {"99999999999999", 0, false}, {"12..3", 0, false},
	}
	for _, tt := range tests {
		got, err := EUR().Parse(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Parse(%q): got %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzCurrencyParse(f *testing.F) {
	for _, s := range []string{"12", "12.50", ".5", "", "1e3", "-1", "9999999999.99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := EUR().Parse(s)
		if err != nil {
			return
		}
		if m < 0 || m > MaxMoney {
			t.Fatalf("Parse(%q) = %d, out of range", s, m)
		}
		back, err := EUR().Parse(EUR().Plain(m))
		if err != nil || back != m {
			t.Fatalf("Parse(Plain(%d)) = %d, %v", m, back, err)
		}
	})
}

func TestSplitTaxRoundsHalfAwayFromZero(t *testing.T) {
	tests := []struct {
		amount Money
		rate   int
		mode   TaxMode
		want   LineTotals
	}{
		// 1.19 incl. 19%: tax 0.19, net 1.00
		{119, 1900, TaxInclusive, LineTotals{Net: 100, Tax: 19, Gross: 119}},
		// 0.10 incl. 7%: tax 0.00654 → 0.01
		{10, 700, TaxInclusive, LineTotals{Net: 9, Tax: 1, Gross: 10}},
		// 0.50 excl. 5%: tax 0.025 → 0.03 (half away from zero)
		{50, 500, TaxExclusive, LineTotals{Net: 50, Tax: 3, Gross: 53}},
		// 0.30 excl. 5%: tax 0.015 → 0.02
		{30, 500, TaxExclusive, LineTotals{Net: 30, Tax: 2, Gross: 32}},
		{0, 1900, TaxInclusive, LineTotals{}},
	}
	for _, tt := range tests {
		got, err := SplitTax(tt.amount, tt.rate, tt.mode)
		if err != nil || got != tt.want {
			t.Errorf("SplitTax(%d, %d, %d): got %+v, %v; want %+v", tt.amount, tt.rate, tt.mode, got, err, tt.want)
		}
	}
}

// TestLinesAddUpToTotal is the receipt promise: whatever the lines, the
// line totals add up to the total, nets and taxes to subtotal and tax, and
// the tax bands to the same figures, to the cent.
func TestLinesAddUpToTotal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, mode := range []TaxMode{TaxInclusive, TaxExclusive} {
		for range 2000 {
			var lines []Line
			for i := range 1 + rng.IntN(30) {
				l := Line{ItemID: ItemID(i + 1), Name: "x", Quantity: 1 + rng.Int64N(20),
					UnitPrice: Money(rng.Int64N(10000)), TaxRate: []int{0, 500, 700, 1900, 2000, 2100}[rng.IntN(6)]}
				if rng.IntN(4) == 0 {
					l.Weighed, l.Quantity = true, 1+rng.Int64N(5000)
				}
				if a, _ := l.Amount(); a > 0 && rng.IntN(5) == 0 {
					l.Discount = Money(rng.Int64N(int64(a)))
				}
				lines = append(lines, l)
			}
			tot, err := ComputeTotals(lines, mode)
			if err != nil {
				t.Fatal(err)
			}
			var gross, net, tax Money
			for _, lt := range tot.Lines {
				gross, net, tax = gross+lt.Gross, net+lt.Net, tax+lt.Tax
				if lt.Net+lt.Tax != lt.Gross {
					t.Fatalf("line %+v: net + tax != gross", lt)
				}
			}
			if gross != tot.Total || net != tot.Subtotal || tax != tot.Tax || tot.Subtotal+tot.Tax != tot.Total {
				t.Fatalf("mode %d: lines add to %d/%d/%d, totals say %d/%d/%d", mode, net, tax, gross, tot.Subtotal, tot.Tax, tot.Total)
			}
			var bg Money
			for _, b := range tot.Bands {
				bg += b.Gross
			}
			if bg != tot.Total {
				t.Fatalf("bands add to %d, total %d", bg, tot.Total)
			}
		}
	}
}

func TestWeighedLineAmount(t *testing.T) {
	// 1.235 kg at 2.99/kg = 3.69265 → 3.69
	l := Line{ItemID: 1, Name: "Bananas", Weighed: true, Quantity: 1235, UnitPrice: 299}
	if got, _ := l.Amount(); got != 369 {
		t.Errorf("got %d, want 369", got)
	}
	// 0.5 kg at 0.99/kg = 0.495 → 0.50
	l.Quantity, l.UnitPrice = 500, 99
	if got, _ := l.Amount(); got != 50 {
		t.Errorf("got %d, want 50", got)
	}
}

func TestRoundCash(t *testing.T) {
	s := Settings{CashRounding: 5}
	tests := []struct{ due, rounded, adj Money }{
		{1347, 1345, -2}, {1348, 1350, 2}, {1350, 1350, 0}, {1, 0, -1}, {3, 5, 2},
	}
	for _, tt := range tests {
		r, adj := s.RoundCash(tt.due)
		if r != tt.rounded || adj != tt.adj {
			t.Errorf("RoundCash(%d): got %d %d, want %d %d", tt.due, r, adj, tt.rounded, tt.adj)
		}
	}
	if r, adj := (Settings{}).RoundCash(1347); r != 1347 || adj != 0 {
		t.Errorf("no rounding: got %d %d", r, adj)
	}
}

func TestSettleCash(t *testing.T) {
	c := &Checkout{Settings: Settings{Currency: EUR(), CashRounding: 5}}
	sale := Sale{Key: NewKey(), Totals: Totals{Total: 1347}}
	tests := []struct {
		name     string
		tendered []Money
		change   Money
		rounding Money
		err      string
	}{
		{"exact after rounding", []Money{1345}, 0, -2, ""},
		{"a twenty", []Money{2000}, 655, -2, ""},
		{"two notes", []Money{1000, 1000}, 655, -2, ""},
		{"too little", []Money{1000}, 0, 0, EInvalid},
		{"zero", []Money{0}, 0, 0, EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, rounding, err := c.SettleCash(sale, tt.tendered)
			if ErrorCode(err) != tt.err {
				t.Fatalf("got %v, want %q", err, tt.err)
			}
			if err != nil {
				return
			}
			var applied, change Money
			for _, p := range ps {
				applied += p.Amount
				change += p.Change
			}
			if change != tt.change || rounding != tt.rounding || applied != sale.Totals.Total+rounding {
				t.Errorf("got change %d rounding %d applied %d; want %d %d %d", change, rounding, applied,
					tt.change, tt.rounding, sale.Totals.Total+rounding)
			}
		})
	}
}

func TestNewLine(t *testing.T) {
	apple := Item{ID: 1, Code: "A", Name: "Apple", Price: 50, Active: true}
	cheese := Item{ID: 2, Code: "C", Name: "Cheese", Price: 1990, Weighed: true, Active: true}
	old := Item{ID: 3, Code: "O", Name: "Old", Price: 1, Active: false}
	tests := []struct {
		name   string
		item   Item
		scan   Scan
		amount Money
		err    string
	}{
		{"piece", apple, Scan{Quantity: 3}, 150, ""},
		{"price label", apple, Scan{Quantity: 1, Measure: MeasurePrice, Value: 275}, 275, ""},
		{"weight label", cheese, Scan{Quantity: 1, Measure: MeasureWeight, Value: 250}, 498, ""},
		{"weighed without label", cheese, Scan{Quantity: 1}, 0, EInvalid},
		{"weight label on a piece item", apple, Scan{Quantity: 1, Measure: MeasureWeight, Value: 250}, 0, EInvalid},
		{"inactive", old, Scan{Quantity: 1}, 0, EInvalid},
		{"absurd quantity", apple, Scan{Quantity: 10000}, 0, EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := NewLine(tt.item, tt.scan)
			if ErrorCode(err) != tt.err {
				t.Fatalf("got %v, want %q", err, tt.err)
			}
			if a, _ := l.Amount(); err == nil && a != tt.amount {
				t.Errorf("amount: got %d, want %d", a, tt.amount)
			}
		})
	}
}

func TestPIN(t *testing.T) {
	h, err := HashPIN("1234")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPIN(h, "1234") || CheckPIN(h, "1235") || CheckPIN("garbage", "1234") {
		t.Error("CheckPIN accepts a wrong PIN or rejects the right one")
	}
	if _, err := HashPIN("12a4"); ErrorCode(err) != EInvalid {
		t.Errorf("HashPIN(12a4): got %v, want invalid", err)
	}
}
