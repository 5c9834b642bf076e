package receipts_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
)

// A Z goes the receipts' way: saved into the archive as z-<till>-<n>.pdf,
// then printed by the print command; without a printer, or with receipts
// off, the cashier is told so (and where it is saved).
func TestPrintReport(t *testing.T) {
	cases := []struct {
		name     string
		off      bool // no Service at all
		command  []string
		fail     bool
		wantCode string
		wantMsg  string
	}{
		{"printed", false, []string{"lp", "-d", "front"}, false, "", ""},
		{"printer error", false, []string{"lp", "-d", "gone"}, true, pos.EUnavailable,
			"the printer did not take the receipt (lp: The printer or class does not exist.); the receipt is saved at {path}"},
		{"no printer", false, nil, false, pos.EUnavailable, "no printer is set up on this till (POS_PRINTER); the report is saved at {path}"},
		{"receipts off", true, nil, false, pos.EUnavailable, "receipts are not set up on this till: the report is not printed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			record := fakeLP(t, c.fail)
			var svc *receipts.Service
			if !c.off {
				svc = &receipts.Service{Currency: pos.EUR(), Dir: t.TempDir(), PrintCommand: c.command}
			}
			r := zReport(1)
			err := svc.PrintReport(context.Background(), r)
			if got := pos.ErrorCode(err); got != c.wantCode {
				t.Fatalf("got %v (code %q), want code %q", err, got, c.wantCode)
			}
			if c.off {
				if pos.ErrorMessage(err) != c.wantMsg {
					t.Errorf("message: got %q, want %q", pos.ErrorMessage(err), c.wantMsg)
				}
				return
			}
			path := filepath.Join(svc.Dir, "2026-11-30", "z-t2-12.pdf")
			saved, rerr := os.ReadFile(path)
			if rerr != nil {
				t.Fatalf("the Z was not saved: %v", rerr)
			}
			if want := strings.ReplaceAll(c.wantMsg, "{path}", path); c.wantMsg != "" && pos.ErrorMessage(err) != want {
				t.Errorf("message: got %q, want %q", pos.ErrorMessage(err), want)
			}
			if c.wantCode != "" {
				return
			}
			printed, _ := os.ReadFile(record + ".pdf")
			if !bytes.Equal(printed, saved) {
				t.Error("what was printed is not the saved Z")
			}
			if text := pdfText(t, printed, false); !strings.Contains(text, "Z REPORT, Z 12") {
				t.Errorf("the printed Z does not say Z 12:\n%s", text)
			}
			again, err := svc.SaveReport(context.Background(), r)
			if err != nil || again != path {
				t.Errorf("saved again: got %q, %v; want the first file %q", again, err, path)
			}
		})
	}
}
