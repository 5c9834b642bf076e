package pos_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/till-pos/till/pos"
)

// TestReportTextOfflineAndShortages: the offline sales' line and the stock
// shortages' block appear only when there are any, line for line, weighed
// quantities in grams, every line within ReportWidth (a long item name is
// cut).
func TestReportTextOfflineAndShortages(t *testing.T) {
	long := strings.Repeat("Organic vine tomatoes ", 3)
	tests := []struct {
		name    string
		offline pos.Tally
		short   []pos.ReportShortage
		want    []string // consecutive lines
		absent  []string
	}{
		{name: "none", absent: []string{"Offline sales", "Stock shortages"}},
		{name: "offline sales only", offline: pos.Tally{Count: 2, Amount: 28_38},
			want:   []string{"Offline sales (2)                   €28.38"},
			absent: []string{"Stock shortages"}},
		{name: "shortages", offline: pos.Tally{Count: 1, Amount: 9_45},
			short: []pos.ReportShortage{
				{SaleID: 41, Item: "Item 1", Wanted: 5, Available: 3},
				{SaleID: 41, Item: "Cheese", Weighed: true, Wanted: 500, Available: 0},
				{SaleID: 57, Item: "Milk", Wanted: 2, Available: 1},
			},
			want: []string{
				"Stock shortages (3)",
				"  Item 1 sale 41: sold 5, had 3",
				"  Cheese sale 41: sold 500 g, had 0 g",
				"  Milk sale 57: sold 2, had 1",
			}},
		{name: "a long name is cut", short: []pos.ReportShortage{{SaleID: 123456, Item: long, Weighed: true, Wanted: 1500, Available: 250}},
			want: []string{
				"Stock shortages (1)",
				"  Org. sale 123456: sold 1500 g, had 250 g",
			},
			absent: []string{"Offline sales"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pos.Report{Kind: pos.ReportX, Sales: pos.Tally{Count: 3, Amount: 30_37}, Offline: tt.offline, Shortages: tt.short}
			lines := r.Text(pos.EUR(), nil)
			text := strings.Join(lines, "\n")
			for _, l := range lines {
				if n := utf8.RuneCountInString(l); n > pos.ReportWidth {
					t.Errorf("line of %d columns, more than %d: %q", n, pos.ReportWidth, l)
				}
			}
			if len(tt.want) > 0 {
				i := slices.Index(lines, tt.want[0])
				if i < 0 || i+len(tt.want) > len(lines) || !slices.Equal(lines[i:i+len(tt.want)], tt.want) {
					t.Errorf("want the lines\n%s\nin\n%s", strings.Join(tt.want, "\n"), text)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(text, a) {
					t.Errorf("%q should not be in\n%s", a, text)
				}
			}
		})
	}
}
