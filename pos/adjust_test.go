package pos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestAllocateDiscount(t *testing.T) {
	piece := func(price Money, q int64, disc Money) Line {
		return Line{ItemID: 1, Name: "x", Quantity: q, UnitPrice: price, Discount: disc, TaxRate: 700}
	}
	tests := []struct {
		name    string
		lines   []Line
		off     Money
		want    []Money
		wantErr bool
	}{
		{name: "nothing off", lines: []Line{piece(100, 1, 0)}, off: 0, want: []Money{0}},
		{name: "one line takes it all", lines: []Line{piece(349, 1, 0)}, off: 100, want: []Money{100}},
		{name: "in proportion", lines: []Line{piece(300, 1, 0), piece(100, 1, 0)}, off: 100, want: []Money{75, 25}},
		// 100 over three equal lines: 33 each, the cent left to the first.
		{name: "a tie goes to the earlier line", lines: []Line{piece(100, 1, 0), piece(100, 1, 0), piece(100, 1, 0)},
			off: 100, want: []Money{34, 33, 33}},
		// 10 over 129 and 349: exact shares 2.698… and 7.301…; floors 2 and 7, the cent to the larger remainder.
		{name: "largest remainder", lines: []Line{piece(129, 1, 0), piece(349, 1, 0)}, off: 10, want: []Money{3, 7}},
		{name: "on what is left after a line discount", lines: []Line{piece(200, 1, 100), piece(100, 1, 0)},
			off: 100, want: []Money{50, 50}},
		{name: "a free line gets nothing", lines: []Line{piece(0, 1, 0), piece(500, 1, 0)}, off: 500, want: []Money{0, 500}},
		{name: "weighed line by its amount", lines: []Line{{ItemID: 1, Name: "apples", Weighed: true, Quantity: 500,
			UnitPrice: 400}, piece(200, 1, 0)}, off: 200, want: []Money{100, 100}},
		{name: "the whole basket", lines: []Line{piece(129, 3, 0), piece(349, 1, 0)}, off: 736, want: []Money{387, 349}},
		{name: "more than the basket", lines: []Line{piece(100, 1, 0)}, off: 101, wantErr: true},
		{name: "negative", lines: []Line{piece(100, 1, 0)}, off: -1, wantErr: true},
		{name: "largest amounts do not overflow", lines: []Line{piece(MaxMoney/2, 1, 0), piece(MaxMoney/2, 1, 0)},
			off: MaxMoney - 2, want: []Money{MaxMoney / 2, MaxMoney/2 - 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AllocateDiscount(tt.lines, tt.off)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err: got %v, want error %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("shares: got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestAllocateDiscountProperties: over random baskets and discounts, the
// shares add up to the discount, none is negative or more than its line,
// and once applied the lines' totals add up to the sale's total, each
// line's tax being the tax of what that line costs.
func TestAllocateDiscountProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 2026))
	for n := 0; n < 5000; n++ {
		lines := make([]Line, 1+rng.IntN(8))
		var sum Money
		for i := range lines {
			l := Line{ItemID: ItemID(i + 1), Name: "x", Quantity: 1 + rng.Int64N(20), UnitPrice: Money(rng.Int64N(5000)),
				TaxRate: []int{0, 700, 1900, 2000}[rng.IntN(4)]}
			if rng.IntN(4) == 0 {
				l.Weighed, l.Quantity = true, 1+rng.Int64N(5000)
			}
			a, _ := l.Amount()
			if rng.IntN(3) == 0 && a > 0 {
				l.Discount = Money(rng.Int64N(int64(a) + 1))
			}
			lines[i] = l
			a, _ = l.Amount()
			sum += a
		}
		off := Money(rng.Int64N(int64(sum) + 1))
		shares, err := AllocateDiscount(lines, off)
		if err != nil {
			t.Fatalf("basket %d: %v", n, err)
		}
		var total Money
		for i, sh := range shares {
			a, _ := lines[i].Amount()
			if sh < 0 || sh > a {
				t.Fatalf("basket %d line %d: share %d of a line of %d", n, i, sh, a)
			}
			total += sh
			lines[i].Discount += sh
		}
		if total != off {
			t.Fatalf("basket %d: shares add up to %d, want %d", n, total, off)
		}
		for _, mode := range []TaxMode{TaxInclusive, TaxExclusive} {
			tot, err := ComputeTotals(lines, mode)
			if err != nil {
				t.Fatalf("basket %d: %v", n, err)
			}
			var gross, tax Money
			for i, lt := range tot.Lines {
				a, _ := lines[i].Amount()
				want, _ := SplitTax(a, lines[i].TaxRate, mode)
				if lt != want {
					t.Fatalf("basket %d line %d: got %+v, want %+v", n, i, lt, want)
				}
				gross += lt.Gross
				tax += lt.Tax
			}
			if gross != tot.Total || tax != tot.Tax {
				t.Fatalf("basket %d: lines add up to %d (tax %d), totals say %d (tax %d)", n, gross, tax, tot.Total, tot.Tax)
			}
			if mode == TaxInclusive && tot.Total != sum-off {
				t.Fatalf("basket %d: total %d after %d off %d", n, tot.Total, off, sum)
			}
		}
	}
}

func TestParseDiscount(t *testing.T) {
	tests := []struct {
		in      string
		want    Discount
		wantErr bool
	}{
		{in: "10%", want: Discount{Percent: 1000}},
		{in: "12.5%", want: Discount{Percent: 1250}},
		{in: "100%", want: Discount{Percent: 10000}},
		{in: "1.50", want: Discount{Amount: 150}},
		{in: "1,50", want: Discount{Amount: 150}},
		{in: "2", want: Discount{Amount: 200}},
		{in: "", wantErr: true},
		{in: "0%", wantErr: true},
		{in: "101%", wantErr: true},
		{in: "%", wantErr: true},
		{in: "1.234%", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "0", wantErr: true},
		{in: "abc", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDiscount(EUR(), tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDiscountOf(t *testing.T) {
	tests := []struct {
		d       Discount
		base    Money
		want    Money
		wantErr bool
	}{
		{d: Discount{Percent: 1000}, base: 349, want: 35}, // 34.9 rounds up
		{d: Discount{Percent: 1000}, base: 345, want: 35}, // 34.5 half away from zero
		{d: Discount{Percent: 10000}, base: 349, want: 349},
		{d: Discount{Amount: 100}, base: 349, want: 100},
		{d: Discount{Amount: 350}, base: 349, wantErr: true},
	}
	for _, tt := range tests {
		got, err := tt.d.Of(tt.base)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%+v of %d: got %d, %v; want %d, error %v", tt.d, tt.base, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestApprovalLimits(t *testing.T) {
	set := Settings{DiscountLimit: 1000, PriceOverrideLimit: 500}
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"10% off is within a 10% limit", set.DiscountNeedsApproval(1000, 100), false},
		{"a cent more is not", set.DiscountNeedsApproval(1000, 101), true},
		{"no discount", set.DiscountNeedsApproval(1000, 0), false},
		{"no limit: every discount asks", Settings{}.DiscountNeedsApproval(1000, 1), true},
		{"price down 5% within 5%", set.OverrideNeedsApproval(1000, 950), false},
		{"price down 5.1%", set.OverrideNeedsApproval(1000, 949), true},
		{"price up 5.1%", set.OverrideNeedsApproval(1000, 1051), true},
		{"same price", set.OverrideNeedsApproval(1000, 1000), false},
		{"no limit: every override asks", Settings{}.OverrideNeedsApproval(1000, 999), true},
		{"a price on a free item asks", set.OverrideNeedsApproval(0, 1), true},
		{"huge values do not overflow", Settings{DiscountLimit: 10000}.DiscountNeedsApproval(MaxMoney, MaxMoney), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestParseWeight(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "482", want: 482},
		{in: "0.482", want: 482},
		{in: "1,5", want: 1500},
		{in: ".25", want: 250},
		{in: "2.", want: 2000},
		{in: "0", wantErr: true},
		{in: "0.0004", wantErr: true},
		{in: "100000", wantErr: true},
		{in: "1.2.3", wantErr: true},
		{in: ".", wantErr: true},
		{in: "", wantErr: true},
		{in: "-5", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseWeight(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%q: got %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestDiscountBasket(t *testing.T) {
	co := &Checkout{Settings: Settings{TaxMode: TaxInclusive}}
	s := co.Open(1)
	for _, l := range []Line{
		{ItemID: 1, Name: "milk", Quantity: 3, UnitPrice: 129, TaxRate: 700},
		{ItemID: 2, Name: "soap", Quantity: 1, UnitPrice: 199, TaxRate: 2000},
	} {
		if err := s.Add(l); err != nil {
			t.Fatal(err)
		}
	}
	before := s.Totals().Total
	if _, err := s.DiscountBasket(100); err != nil {
		t.Fatal(err)
	}
	if got := s.Totals().Total; got != before-100 {
		t.Errorf("total: got %d, want %d", got, before-100)
	}
	if got := s.Totals().Discount; got != 100 {
		t.Errorf("discount: got %d, want 100", got)
	}
	if _, err := s.DiscountBasket(s.BasketAmount() + 1); err == nil {
		t.Error("a discount larger than the basket was taken")
	}
}

// TestParkable: only an open sale with lines and no customer lookup
// waiting is parked; one that may be in the database is not.
func TestParkable(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(r *progressRig)
		wantErr string
	}{
		{name: "open", setup: func(r *progressRig) {}},
		{name: "empty", setup: func(r *progressRig) { r.s = r.co.Open(1) }, wantErr: EInvalid},
		{name: "a loyalty card looked up", setup: func(r *progressRig) { r.s.AwaitCustomer("9800000000015") }, wantErr: EConflict},
		{name: "reserved for a card", setup: func(r *progressRig) {
			st, err := r.s.PayCard(500)
			if err != nil {
				t.Fatal(err)
			}
			r.s.Apply(st.Run(context.Background())) // reserved; the charge not run
		}, wantErr: EConflict},
		{name: "cash being recorded", setup: func(r *progressRig) {
			if _, err := r.s.TakeCash(5000); err != nil {
				t.Fatal(err)
			}
		}, wantErr: EConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newProgressRig(t)
			tt.setup(r)
			p, err := r.s.Parkable(func(string) Money { return 100 })
			if got := ErrorCode(err); got != tt.wantErr {
				t.Fatalf("got %v, want code %q", err, tt.wantErr)
			}
			if err == nil && (len(p.Lines) != 3 || p.Key != r.s.Key() || p.Total != r.s.Totals().Total || p.Lines[0].ListPrice != 100) {
				t.Errorf("parked: got %+v", p)
			}
		})
	}
}

// TestResumeLines: a catalogue price is taken as it is now, a price set
// at the till kept, a gone item left out, a discount cut to the line.
func TestResumeLines(t *testing.T) {
	items := map[string]Item{
		"A": {ID: 1, Code: "A", Name: "a", Price: 150, Active: true},
		"B": {ID: 2, Code: "B", Name: "b", Price: 90, Active: true},
		"D": {ID: 4, Code: "D", Name: "d", Price: 300, Active: false},
	}
	p := ParkedBasket{Lines: []ParkedLine{
		{Line: Line{ItemID: 1, Code: "A", Name: "a", Quantity: 2, UnitPrice: 100}, ListPrice: 100},
		{Line: Line{ItemID: 2, Code: "B", Name: "b", Quantity: 1, UnitPrice: 50, PriceOverridden: true}, ListPrice: 100},
		{Line: Line{ItemID: 2, Code: "B", Name: "b", Quantity: 1, UnitPrice: 100, Discount: 95}, ListPrice: 100},
		{Line: Line{ItemID: 3, Code: "C", Name: "c", Quantity: 1, UnitPrice: 100}, ListPrice: 100},
		{Line: Line{ItemID: 4, Code: "D", Name: "d", Quantity: 1, UnitPrice: 300}, ListPrice: 300},
	}}
	lines, notes := ResumeLines(p, func(code string) (Item, bool) { it, ok := items[code]; return it, ok })
	var got []string
	for _, l := range lines {
		got = append(got, fmt.Sprintf("%s %d %d", l.Code, l.UnitPrice, l.Discount))
	}
	want := []string{"A 150 0", "B 50 0", "B 90 90"}
	if !slices.Equal(got, want) {
		t.Errorf("lines: got %q, want %q", got, want)
	}
	if len(notes) != 4 {
		t.Errorf("notes: got %q, want 4 (two prices, two left out)", notes)
	}
}
