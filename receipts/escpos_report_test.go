package receipts_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
	"github.com/till-pos/till/receipts/escpos"
	"github.com/till-pos/till/receipts/escpos/escpostest"
)

// TestESCPOSReports: with an ESC/POS printer and no print command, a Z
// (and an X) goes to the virtual printer at 80 and 58 mm: the decoded
// lines are the report's text, line for line and space for space (font A
// at 80 mm, font B at 58 mm, where 42 columns fit), the title bold, one
// cut; the PDF is saved all the same. A printer out of paper prints
// nothing and says so, with where the report is saved.
func TestESCPOSReports(t *testing.T) {
	training := zReport(3)
	training.Session.Training = true
	x := zReport(1)
	x.Kind, x.ZNumber = pos.ReportX, 0
	cases := []struct {
		name     string
		report   pos.Report
		paperOut bool
	}{
		{"Z", zReport(1), false},
		{"Z of 3 cashiers in training", training, false},
		{"X", x, false},
		{"paper out", zReport(1), true},
	}
	for _, c := range cases {
		for _, width := range []int{escpos.Width80, escpos.Width58} {
			t.Run(fmt.Sprintf("%s/%dmm", c.name, width), func(t *testing.T) {
				vp := escpostest.Start(t)
				p, err := escpos.New(vp.URL(), escpos.Config{Width: width, Timeout: 10 * time.Second, StatusWait: 3 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				vp.SetPaperOut(c.paperOut)
				svc := &receipts.Service{Currency: pos.EUR(), Location: time.UTC, Dir: t.TempDir(), Printer: p}
				err = svc.PrintReport(context.Background(), c.report)
				saved, _ := filepath.Glob(filepath.Join(svc.Dir, "*", "*-t2-*.pdf"))
				if len(saved) != 1 {
					t.Errorf("saved: %v, want the report's PDF", saved)
				}
				if c.paperOut {
					if pos.ErrorCode(err) == "" || !strings.Contains(pos.ErrorMessage(err), "; the report is saved at ") {
						t.Errorf("paper out: got %v, want a fault saying where the report is saved", err)
					}
					// Only the status queries reach it: nothing to print, no cut.
					doc, err := escpostest.Decode(vp.Printed(), width)
					if err != nil || len(doc.Lines()) != 0 || doc.Cuts() != 0 {
						t.Errorf("paper out: the printer was sent %d lines, %d cuts (%v)", len(doc.Lines()), doc.Cuts(), err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				doc, err := escpostest.Decode(vp.Printed(), width)
				if err != nil {
					t.Fatalf("the printer was sent what it cannot print: %v", err)
				}
				lines := doc.Lines()
				for len(lines) > 0 && lines[len(lines)-1].Text == "" { // the feed before the cut
					lines = lines[:len(lines)-1]
				}
				var got []string
				for _, l := range lines {
					got = append(got, l.Text)
				}
				var want []string
				for _, l := range c.report.Text(pos.EUR(), time.UTC) {
					want = append(want, strings.TrimRight(l, " "))
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("printed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				for i, l := range lines {
					if l.Bold != (i == 0) || l.Double || l.FontB != (width == escpos.Width58) {
						t.Errorf("line %d %q: bold %v, double %v, font B %v", i, l.Text, l.Bold, l.Double, l.FontB)
					}
				}
				if doc.Cuts() != 1 {
					t.Errorf("cuts: %d, want 1", doc.Cuts())
				}
				if _, err := os.Stat(saved[0]); err != nil {
					t.Error(err)
				}
				if testing.Verbose() && c.name == "Z" {
					t.Logf("decoded:\n%s", doc.String(escpos.Columns(width)))
				}
			})
		}
	}
}

// TestESCPOSReportWraps: a line wider than the paper holds (no report's
// is) is wrapped at spaces, never sent too long for the printer.
func TestESCPOSReportWraps(t *testing.T) {
	for _, width := range []int{escpos.Width80, escpos.Width58} {
		long := strings.Repeat("word ", 20)
		doc, err := escpostest.Decode(escpos.Report([]string{"TITLE", long}, width), width)
		if err != nil {
			t.Fatalf("%d mm: %v", width, err)
		}
		var words int
		for _, l := range doc.Lines() {
			words += len(strings.Fields(l.Text))
		}
		if words != 21 || len(doc.Lines()) < 4 {
			t.Errorf("%d mm: %d words on %d lines, want 21 on at least 4", width, words, len(doc.Lines()))
		}
	}
}
