package receipts_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
)

func zReport(cashiers int) pos.Report {
	at := time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC)
	r := pos.Report{Kind: pos.ReportZ, ZNumber: 12, Session: pos.Session{ID: 40, StoreID: "berlin-1", TillID: "t2"},
		From: at.Add(-9 * time.Hour), To: at, Float: 150_00, Sales: pos.Tally{Count: 2, Amount: 12_34},
		SalesByTender: []pos.TenderTotal{{Method: pos.MethodCash, Count: 2, Amount: 12_34}},
		TaxByRate:     []pos.TaxTotal{{Rate: 1900, Net: 10_37, Tax: 1_97, Gross: 12_34}},
		ExpectedCash:  162_34, Counted: pos.CashCount{Lines: []pos.CountLine{{Denomination: 100_00, Quantity: 1}, {Denomination: 50_00, Quantity: 1}}, Amount: 12_30},
		HasCount: true, Difference: -4, NetTotal: 12_34, GrandTotal: 98765_43}
	for i := range cashiers {
		r.Cashiers = append(r.Cashiers, pos.ReportCashier{ID: int64(i + 1), Number: fmt.Sprint(100 + i), Name: "Ann"})
	}
	return r
}

func squash(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestRenderReport: the PDF of a report says, line for line, what its text
// says (the € through the core fonts' code page), the same report gives the
// same bytes, and a report too long for one page goes on to the next.
func TestRenderReport(t *testing.T) {
	for _, tt := range []struct {
		name     string
		cashiers int
		pages    int
	}{{"a Z", 2, 1}, {"a Z of 600 cashiers", 600, 2}} {
		t.Run(tt.name, func(t *testing.T) {
			r := zReport(tt.cashiers)
			pdf, err := receipts.RenderReport(r, pos.EUR(), time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			again, err := receipts.RenderReport(r, pos.EUR(), time.UTC)
			if err != nil || !bytes.Equal(pdf, again) {
				t.Errorf("the same report rendered twice differs (%v)", err)
			}
			text := pdfText(t, pdf, false)
			got := squash(strings.ReplaceAll(text, "\f", "\n"))
			want := squash(strings.Join(r.Text(pos.EUR(), time.UTC), "\n"))
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("the PDF's text:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, s := range []string{"Z REPORT, Z 12", "€162.34", "-€0.04", "€98765.43", "1 x €100.00"} {
				if !strings.Contains(text, s) {
					t.Errorf("the PDF lacks %q", s)
				}
			}
			if pages := bytes.Count(pdf, []byte("/Type /Page\n")); pages != tt.pages {
				t.Errorf("pages: %d, want %d", pages, tt.pages)
			}
		})
	}
}
