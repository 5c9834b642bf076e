package receipts_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
	"github.com/till-pos/till/receipts/escpos"
	"github.com/till-pos/till/receipts/escpos/escpostest"
)

// printTo points the fixture's receipts at a virtual ESC/POS printer with
// paper widthMM wide, and a receipt folder.
func (f *fixture) printTo(t testing.TB, widthMM int) *escpostest.Printer {
	t.Helper()
	vp := escpostest.Start(t)
	p, err := escpos.New(vp.URL(), escpos.Config{Width: widthMM, Timeout: 10 * time.Second,
		StatusWait: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Printer = p
	f.svc.Dir = t.TempDir()
	return vp
}

// TestESCPOSReceipts prints receipts of sales made through the real
// protocol on a virtual printer at 80 and 58 mm, decodes what it was sent,
// and checks it against the database (every amount), against the receipt
// lines the PDF is laid out from (the same content), the barcode against
// the sale's key, and the cut. The decoded paper is a golden file.
func TestESCPOSReceipts(t *testing.T) {
	cases := []struct {
		name     string
		currency pos.Currency
		training bool
		copy     bool
		sell     func(f *fixture, t *testing.T) pos.Sale
	}{
		{"cash", pos.EUR(), false, false, func(f *fixture, t *testing.T) pos.Sale {
			s := f.basket(t, true, line{name: "Sparkling water 1 l", qty: 3},
				line{name: "Organic free-range eggs, box of ten, from Hill Farm cooperative", qty: 1},
				line{name: "Red wine, Rioja", qty: 1, discount: 100})
			return f.cashSale(t, s, 2000)
		}},
		{"split", pos.EUR(), false, false, func(f *fixture, t *testing.T) pos.Sale {
			s := f.basket(t, false, line{name: "Red wine, Rioja", qty: 2}, line{name: "Rye bread", qty: 1})
			return f.splitSale(t, s, 1500, 1000)
		}},
		{"weighed", pos.GBP(), false, false, func(f *fixture, t *testing.T) pos.Sale {
			s := f.basket(t, false, line{name: "Bananas", qty: 545}, line{name: "Rye bread", qty: 2})
			return f.cashSale(t, s, 1000)
		}},
		{"training", pos.EUR(), true, false, func(f *fixture, t *testing.T) pos.Sale {
			s := f.basket(t, true, line{name: "Rye bread", qty: 1})
			return f.cashSale(t, s, 500)
		}},
		{"copy", pos.EUR(), false, true, func(f *fixture, t *testing.T) pos.Sale {
			s := f.basket(t, true, line{name: "Rye bread", qty: 2})
			return f.cashSale(t, s, 1000)
		}},
	}
	for _, c := range cases {
		for _, width := range []int{escpos.Width80, escpos.Width58} {
			t.Run(fmt.Sprintf("%s/%dmm", c.name, width), func(t *testing.T) {
				f := newFixture(t, c.currency, c.training)
				vp := f.printTo(t, width)
				sale := c.sell(f, t)
				ctx := context.Background()
				print := f.svc.Print
				if c.copy {
					print = f.svc.PrintCopy
				}
				if err := print(ctx, sale); err != nil {
					t.Fatal(err)
				}
				jobs := vp.Jobs()
				if len(jobs) != 1 {
					t.Fatalf("%d print jobs, want 1", len(jobs))
				}
				doc, err := escpostest.Decode(jobs[0], width)
				if err != nil {
					t.Fatalf("the printer was sent what it cannot print: %v", err)
				}
				// It asked the printer how it was before printing.
				if !slices.Equal(doc.Queries, []int{1, 2, 4}) {
					t.Errorf("status requests %v, want DLE EOT 1, 2, 4", doc.Queries)
				}
				text := doc.Text()
				checkAmounts(t, f, sale.Key, text, c.currency)
				sameContent(t, f.svc.Receipt(ctx, sale, c.copy), doc)

				bc := doc.Barcodes()
				if len(bc) != 1 {
					t.Fatalf("%d barcodes, want 1", len(bc))
				}
				scan, err := pos.DefaultScanRules().Parse(bc[0].Digits)
				if err != nil || scan.Kind != pos.ScanReceipt || scan.Code != sale.Key {
					t.Errorf("the barcode %s scans as %s %q (%v), want the sale %s", bc[0].Digits, scan.Kind, scan.Code, err, sale.Key)
				}
				if doc.Cuts() != 1 || doc.Items[len(doc.Items)-1].Kind != escpostest.Cut {
					t.Errorf("%d cuts; the job must end with the cut", doc.Cuts())
				}
				if len(doc.Pulses()) != 0 {
					t.Error("printing a receipt kicked the drawer")
				}
				for _, l := range doc.Lines() {
					if strings.HasPrefix(l.Text, "TOTAL") && !(l.Double && l.Bold) {
						t.Errorf("TOTAL is not double size and bold: %+v", l)
					}
					if strings.HasPrefix(l.Text, "Sale ") && !l.Bold {
						t.Errorf("the sale line is not bold: %+v", l)
					}
				}
				banner := func(s string) (n int) {
					for _, l := range doc.Lines() {
						if strings.TrimSpace(l.Text) == s && l.Bold && l.Reverse && l.Center {
							n++
						}
					}
					return n
				}
				if got, want := banner("TRAINING - NOT A RECEIPT"), map[bool]int{true: 2}[c.training]; got != want {
					t.Errorf("%d TRAINING banners, want %d", got, want)
				}
				if got, want := banner("COPY"), map[bool]int{true: 2}[c.copy]; got != want {
					t.Errorf("%d COPY banners, want %d", got, want)
				}
				golden(t, filepath.Join("escpos", fmt.Sprintf("%s-%d.txt", c.name, width)), doc.String(escpos.Columns(width)))
			})
		}
	}
}

// sameContent checks that every line of the receipt model is on the paper,
// in order: the ESC/POS receipt says what the PDF says. A line's right part
// (an amount) may sit inside its wrapped left part, on its first line.
func sameContent(t *testing.T, r receipts.Receipt, doc escpostest.Doc) {
	t.Helper()
	lines, err := receipts.Lines(r)
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields(doc.Text())
	printed := func(s string) []string { return strings.Fields(escpos.Decode(escpos.Encode(s))) }
	// match matches left with right once somewhere inside or after it,
	// from word i; it returns the index after the match, or -1.
	match := func(i int, left, right []string) int {
		rightDone := len(right) == 0
		takeRight := func() bool {
			if !rightDone && i+len(right) <= len(words) && slices.Equal(words[i:i+len(right)], right) {
				i += len(right)
				rightDone = true
				return true
			}
			return false
		}
		for k, w := range left {
			if i < len(words) && words[i] == w {
				i++
				continue
			}
			if k == 0 || !takeRight() || i >= len(words) || words[i] != w {
				return -1
			}
			i++
		}
		if !rightDone && !takeRight() {
			return -1
		}
		return i
	}
	at := 0
	for _, l := range lines {
		switch l.Kind {
		case receipts.LineGap, receipts.LineRule, receipts.LineBarcode:
			continue
		}
		left, right := printed(l.Left), printed(l.Right)
		found := false
		for i := at; i < len(words); i++ {
			if end := match(i, left, right); end >= 0 {
				at, found = end, true
				break
			}
		}
		if !found {
			t.Errorf("%q / %q is not on the printed receipt (after word %d):\n%s", l.Left, l.Right, at, doc.Text())
		}
	}
}

// TestESCPOSPrinterFaults: paper out, an open cover, a printer that says it
// is offline and one that cannot be reached. Each time the cashier is told
// in plain words, nothing of the receipt is sent, the sale stays completed,
// the PDF is saved and the outbox uploads it.
func TestESCPOSPrinterFaults(t *testing.T) {
	cases := []struct {
		name  string
		fault func(*escpostest.Printer)
		want  string
	}{
		{"paper out", func(p *escpostest.Printer) { p.SetPaperOut(true) },
			"paper out: put in a new paper roll, then print the receipt again; the receipt is saved at {path}"},
		{"cover open", func(p *escpostest.Printer) { p.SetCoverOpen(true) },
			"cover open: close the printer's cover, then print the receipt again; the receipt is saved at {path}"},
		{"offline", func(p *escpostest.Printer) { p.SetOffline(true) },
			"printer offline: check that the printer is switched on and its cable is in, then print the receipt again; the receipt is saved at {path}"},
		{"error", func(p *escpostest.Printer) { p.SetError(true) },
			"printer error: clear any paper jam and switch the printer off and on, then print the receipt again; the receipt is saved at {path}"},
		{"unreachable", func(p *escpostest.Printer) { p.Stop() },
			"printer offline: check that the printer is switched on and its cable is in, then print the receipt again; the receipt is saved at {path}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, pos.EUR(), false)
			vp := f.printTo(t, escpos.Width80)
			fs := newFakeS3(t)
			w, _ := f.worker(t, fs, "")
			ctx := context.Background()
			sale := f.cashSale(t, f.basket(t, false, line{name: "Red wine, Rioja", qty: 1}), 1000)
			c.fault(vp)

			err := f.svc.Print(ctx, sale)
			path := filepath.Join(f.svc.Dir, "2026-03-01", "1-"+sale.Key+".pdf")
			if want := strings.ReplaceAll(c.want, "{path}", path); pos.ErrorMessage(err) != want {
				t.Errorf("the cashier sees %q, want %q", pos.ErrorMessage(err), want)
			}
			// Not EUnavailable: the screen takes that for the database.
			if pos.ErrorCode(err) != pos.EConflict {
				t.Errorf("code %s, want %s", pos.ErrorCode(err), pos.EConflict)
			}
			var fe *escpos.FaultError
			if !errors.As(err, &fe) {
				t.Errorf("%v carries no *escpos.FaultError", err)
			}
			for _, job := range vp.Jobs() {
				doc, err := escpostest.Decode(job, escpos.Width80)
				if err != nil || len(doc.Lines()) != 0 || doc.Cuts() != 0 {
					t.Errorf("a faulty printer was sent the receipt: %+v (%v)", doc.Items, err)
				}
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the receipt is not saved: %v", err)
			}
			if n := f.count(t, `SELECT COUNT(*) FROM transactions WHERE idempotency_key = ? AND payment_status = 'completed'`, sale.Key); n != 1 {
				t.Errorf("the sale is not completed in the database")
			}
			if rep, err := w.Drain(ctx); err != nil || rep.Uploaded != 1 || rep.Left != 0 {
				t.Errorf("upload after the printer fault: %+v, %v", rep, err)
			}

			// The cashier fixes it and prints again (only the paper faults
			// can be fixed on a virtual printer that still listens).
			if c.name == "unreachable" {
				return
			}
			vp.SetPaperOut(false)
			vp.SetCoverOpen(false)
			vp.SetOffline(false)
			vp.SetError(false)
			vp.Reset()
			if err := f.svc.Print(ctx, sale); err != nil {
				t.Fatalf("after the fault is fixed: %v", err)
			}
			doc, err := escpostest.Decode(vp.Printed(), escpos.Width80)
			if err != nil || doc.Cuts() != 1 || !strings.Contains(doc.Text(), "Red wine, Rioja") {
				t.Errorf("the reprint: %v\n%s", err, doc.Text())
			}
		})
	}
}

// TestESCPOSPrinterThatCannotAnswer: a printer that never answers a status
// request (a one-way interface) is printed to all the same.
func TestESCPOSPrinterThatCannotAnswer(t *testing.T) {
	f := newFixture(t, pos.EUR(), false)
	vp := f.printTo(t, escpos.Width58)
	vp.SetSilent(true)
	sale := f.cashSale(t, f.basket(t, false, line{name: "Rye bread", qty: 1}), 500)
	if err := f.svc.Print(context.Background(), sale); err != nil {
		t.Fatal(err)
	}
	doc, err := escpostest.Decode(vp.Printed(), escpos.Width58)
	if err != nil || doc.Cuts() != 1 || len(doc.Barcodes()) != 1 {
		t.Errorf("%v\n%s", err, doc.String(32))
	}
}

// TestDrawer: the service opens the drawer through the printer, with the
// configured pin and pulse, and says so plainly when there is no drawer.
func TestDrawer(t *testing.T) {
	f := newFixture(t, pos.EUR(), false)
	ctx := context.Background()
	var d pos.Drawer = f.svc
	err := d.OpenDrawer(ctx)
	if f.svc.HasDrawer() || pos.ErrorCode(err) != pos.EConflict || !strings.Contains(pos.ErrorMessage(err), "no cash drawer") {
		t.Errorf("no printer: %v", err)
	}
	vp := escpostest.Start(t)
	p, err := escpos.New(vp.URL(), escpos.Config{DrawerPin: 2, DrawerPulse: 60 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Printer = p
	if err := d.OpenDrawer(ctx); err != nil || !f.svc.HasDrawer() {
		t.Fatal(err)
	}
	doc, err := escpostest.Decode(vp.Printed(), escpos.Width80)
	if err != nil {
		t.Fatal(err)
	}
	want := escpostest.Item{Kind: escpostest.Pulse, Pin: 2, On: 60 * time.Millisecond}
	if got := doc.Pulses(); len(got) != 1 || got[0] != want || len(doc.Lines()) != 0 {
		t.Errorf("drawer: %+v, want one pulse %+v and nothing printed", doc.Items, want)
	}
}
