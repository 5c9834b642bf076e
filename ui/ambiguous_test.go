package ui

import (
	"strings"
	"testing"

	"github.com/till-pos/till/pos"
)

// An 8-digit code valid as both UPC-E and EAN-8 names two GTINs: the
// catalogue decides, and when it holds both the cashier chooses (issue 13).
func TestEightDigitCodeTheCatalogueDecides(t *testing.T) {
	const code = "01234565"
	sc, err := pos.DefaultScanRules().Parse(code)
	if err != nil || sc.Alternative == "" {
		t.Fatalf("Parse(%s): got %+v, %v; want a scan with two candidates", code, sc, err)
	}
	upce := pos.Item{ID: 20, Code: sc.Code, Name: "Gum (UPC-E)", Price: 99, TaxRate: 700, Active: true}
	ean8 := pos.Item{ID: 21, Code: sc.Alternative, Name: "Pen (EAN-8)", Price: 150, TaxRate: 1900, Active: true}
	tests := []struct {
		name     string
		catalog  []pos.Item
		answer   string // to the question, if one is asked
		wantAsk  bool
		wantLine string // "" for none
	}{
		{"only the UPC-E item", []pos.Item{upce}, "", false, upce.Name},
		{"only the EAN-8 item", []pos.Item{ean8}, "", false, ean8.Name},
		{"neither", nil, "", false, ""},
		{"both: the cashier picks 1", []pos.Item{upce, ean8}, "1", true, upce.Name},
		{"both: the cashier picks 2", []pos.Item{upce, ean8}, "2", true, ean8.Name},
		{"both: the cashier says neither", []pos.Item{upce, ean8}, "n", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, true)
			r.m.cat.merge(tt.catalog)
			r.scan(code)
			if asked := r.m.confirm != nil; asked != tt.wantAsk {
				t.Fatalf("asked: got %v, want %v (status %q)", asked, tt.wantAsk, r.m.status.text)
			}
			if tt.wantAsk {
				if q := r.m.confirm.question; !strings.Contains(q, upce.Name) || !strings.Contains(q, ean8.Name) {
					t.Errorf("question: got %q, want both items named", q)
				}
				r.key(tt.answer)
			}
			lines := r.m.sale.Lines()
			switch {
			case tt.wantLine == "" && len(lines) != 0:
				t.Errorf("lines: got %v, want none", lines)
			case tt.wantLine != "" && (len(lines) != 1 || lines[0].Name != tt.wantLine):
				t.Errorf("lines: got %v, want one line of %s", lines, tt.wantLine)
			}
			if tt.wantLine == "" && !tt.wantAsk && !strings.Contains(r.m.status.text, "neither") {
				t.Errorf("status: got %q, want both candidates named as unknown", r.m.status.text)
			}
		})
	}
}
