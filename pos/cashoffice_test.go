package pos_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/till-pos/till/pos"
)

func TestCashCountValidate(t *testing.T) {
	eur := pos.EUR()
	tests := []struct {
		name  string
		count pos.CashCount
		total pos.Money
		ok    bool
	}{
		{"nothing", pos.CashCount{}, 0, true},
		{"a sum", pos.CountOf(123_45), 123_45, true},
		{"notes and coins", pos.CashCount{Lines: []pos.CountLine{{50_00, 2}, {2_00, 3}, {1, 7}}}, 106_07, true},
		{"notes and a sum", pos.CashCount{Lines: []pos.CountLine{{20_00, 1}}, Amount: 5}, 20_05, true},
		{"a zero line", pos.CashCount{Lines: []pos.CountLine{{20_00, 0}}}, 0, true},
		{"not a euro coin", pos.CashCount{Lines: []pos.CountLine{{25, 1}}}, 25, false},
		{"a denomination twice", pos.CashCount{Lines: []pos.CountLine{{10_00, 1}, {10_00, 1}}}, 20_00, false},
		{"a negative quantity", pos.CashCount{Lines: []pos.CountLine{{10_00, -1}}}, -10_00, false},
		{"a negative sum", pos.CountOf(-1), -1, false},
		{"too much", pos.CashCount{Lines: []pos.CountLine{{500_00, 1 << 40}}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.count.Validate(eur)
			if (err == nil) != tt.ok {
				t.Fatalf("got %v, want ok=%v", err, tt.ok)
			}
			if err != nil && pos.ErrorCode(err) != pos.EInvalid {
				t.Errorf("got code %s, want invalid", pos.ErrorCode(err))
			}
			if tt.ok && tt.count.Total() != tt.total {
				t.Errorf("total: got %d, want %d", tt.count.Total(), tt.total)
			}
		})
	}
}

func TestCashCountNormal(t *testing.T) {
	c := pos.CashCount{Lines: []pos.CountLine{{1_00, 2}, {0_05, 0}, {20_00, 1}}, Amount: 3}.Normal()
	if len(c.Lines) != 2 || c.Lines[0].Denomination != 20_00 || c.Lines[1].Denomination != 1_00 || c.Total() != 22_03 {
		t.Errorf("got %+v, want 20.00 ×1 then 1.00 ×2, total 22.03", c)
	}
}

func TestDenominations(t *testing.T) {
	for _, cur := range []pos.Currency{pos.EUR(), pos.GBP(), pos.USD(), pos.CurrencyByCode("JPY")} {
		t.Run(cur.Code, func(t *testing.T) {
			d := pos.Denominations(cur)
			if len(d) < 8 || d[0] != cur.LargestNote || d[len(d)-1] != 1 {
				t.Fatalf("got %v: want the largest note (%d) first and the smallest coin (1) last", d, cur.LargestNote)
			}
			for i := 1; i < len(d); i++ {
				if d[i] >= d[i-1] {
					t.Errorf("not largest first at %d: %v", i, d)
				}
			}
		})
	}
	if d := pos.Denominations(pos.CurrencyByCode("XTS")); d != nil {
		t.Errorf("an unknown currency: got %v, want none (count it as a sum)", d)
	}
}

func TestCashMovementValidate(t *testing.T) {
	ok := pos.CashMovement{Key: pos.NewKey(), Kind: pos.MovePaidIn, Amount: 1_00, Reason: "bank", CashierID: 1}
	tests := []struct {
		name   string
		change func(*pos.CashMovement)
		code   string
	}{
		{"paid in", func(*pos.CashMovement) {}, ""},
		{"pick-up", func(m *pos.CashMovement) { m.Kind = pos.MovePickup }, ""},
		{"paid out approved", func(m *pos.CashMovement) { m.Kind, m.ApprovedBy = pos.MovePaidOut, 2 }, ""},
		{"no sale approved", func(m *pos.CashMovement) { m.Kind, m.Amount, m.ApprovedBy = pos.MoveNoSale, 0, 2 }, ""},
		{"paid out alone", func(m *pos.CashMovement) { m.Kind = pos.MovePaidOut }, pos.EConflict},
		{"no sale alone", func(m *pos.CashMovement) { m.Kind, m.Amount = pos.MoveNoSale, 0 }, pos.EConflict},
		{"approving one's own", func(m *pos.CashMovement) { m.Kind, m.ApprovedBy = pos.MovePaidOut, 1 }, pos.EConflict},
		{"a no sale with money", func(m *pos.CashMovement) { m.Kind, m.ApprovedBy = pos.MoveNoSale, 2 }, pos.EInvalid},
		{"nothing paid in", func(m *pos.CashMovement) { m.Amount = 0 }, pos.EInvalid},
		{"too much", func(m *pos.CashMovement) { m.Amount = pos.MaxMoney + 1 }, pos.EInvalid},
		{"no reason", func(m *pos.CashMovement) { m.Reason = " \t" }, pos.EInvalid},
		{"a long reason", func(m *pos.CashMovement) { m.Reason = strings.Repeat("é", pos.MaxReason+1) }, pos.EInvalid},
		{"no key", func(m *pos.CashMovement) { m.Key = "x" }, pos.EInvalid},
		{"no cashier", func(m *pos.CashMovement) { m.CashierID = 0 }, pos.EInvalid},
		{"an unknown kind", func(m *pos.CashMovement) { m.Kind = "loan" }, pos.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			tt.change(&m)
			if got := pos.ErrorCode(m.Validate()); got != tt.code {
				t.Errorf("got %q (%v), want %q", got, m.Validate(), tt.code)
			}
		})
	}
}

func TestReportText(t *testing.T) {
	at := time.Date(2026, 11, 30, 21, 5, 0, 0, time.UTC)
	r := pos.Report{Kind: pos.ReportZ, ZNumber: 7, Session: pos.Session{ID: 3, StoreID: "s1", TillID: "t1"},
		From: at.Add(-8 * time.Hour), To: at, Cashiers: []pos.ReportCashier{{1, "101", "Ann"}, {2, "900", "Mia"}},
		Float: 100_00, Sales: pos.Tally{Count: 3, Amount: 45_95},
		SalesByTender: []pos.TenderTotal{{pos.MethodCash, 2, 25_95}, {pos.MethodCard, 1, 20_00}},
		TaxByRate:     []pos.TaxTotal{{Rate: 1900, Net: 38_61, Tax: 7_34, Gross: 45_95}},
		Pickups:       pos.Tally{Count: 1, Amount: 50_00}, NoSales: 2,
		ExpectedCash: 75_95, Counted: pos.CashCount{Lines: []pos.CountLine{{50_00, 1}, {20_00, 1}}, Amount: 5_90},
		HasCount: true, Difference: -5, FirstSale: 41, LastSale: 43, NetTotal: 45_95, GrandTotal: 1234_56}
	lines := r.Text(pos.EUR(), nil)
	text := strings.Join(lines, "\n")
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > pos.ReportWidth {
			t.Errorf("line of %d columns, more than %d: %q", n, pos.ReportWidth, l)
		}
	}
	for _, want := range []string{
		"Z REPORT, Z 7", "2026-11-30 13:05", "2026-11-30 21:05", "101 Ann", "900 Mia",
		"Opening float", "€100.00", "Sales (3)", "cash (2)", "€25.95", "19.00%", "7.34",
		"Pick-ups (1)", "€50.00", "No sales", "Expected cash", "€75.95", "1 x €50.00",
		"counted as a sum", "€5.90", "Counted cash", "€75.90", "Difference", "-€0.05", "41 - 43",
		"Grand total", "€1234.56",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}
	if x := (pos.Report{Kind: pos.ReportX}).Text(pos.EUR(), nil); !strings.Contains(x[0], "X REPORT") ||
		strings.Contains(strings.Join(x, "\n"), "Counted cash") {
		t.Errorf("an X report:\n%s", strings.Join(x, "\n"))
	}
}
