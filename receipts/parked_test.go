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

// parkedBasket is a parked basket of n lines, as the store returns one.
func parkedBasket(number int64, n int) pos.ParkedBasket {
	p := pos.ParkedBasket{Number: number, Key: "6f1c2a4e-8d3b-4f7a-9c21-0b5e7d9a1c33", StoreID: "berlin-1", TillID: "t2",
		CashierID: 1, Total: 12_34, Status: pos.ParkedWaiting, ParkedAt: time.Date(2026, 11, 30, 17, 45, 0, 0, time.UTC)}
	for i := range n {
		p.Lines = append(p.Lines, pos.ParkedLine{Line: pos.Line{ItemID: pos.ItemID(i + 1), Code: "4000000000024",
			Name: "Rye bread", Quantity: 1, UnitPrice: 349, TaxRate: 700}, ListPrice: 349})
	}
	return p
}

// TestParkedTicketPDF: the parked ticket's PDF says the store, till,
// ticket number, time, line count and total, and its barcode, printed at
// 203 dpi, reads back with zbarimg as the ticket's code, which
// pos.ParseParkedCode takes back to the number.
func TestParkedTicketPDF(t *testing.T) {
	for _, tt := range []struct {
		number int64
		lines  int
		code   string
	}{{42, 3, "PK000042"}, {999999, 1, "PK999999"}, {1234567, 12, "PK1234567"}} {
		t.Run(tt.code, func(t *testing.T) {
			p := parkedBasket(tt.number, tt.lines)
			pdf, err := receipts.RenderParked(p, receipts.Store{Name: "Corner Shop"}, pos.EUR(), time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(squash(pdfText(t, pdf, false)), "\n")
			for _, want := range []string{"PARKED", "Corner Shop", "Ticket " + tt.code, "Store / till berlin-1 / t2",
				"Parked at 2026-11-30 17:45", fmt.Sprintf("Lines %d", tt.lines), "Total €12.34"} {
				if !strings.Contains(text, want) {
					t.Errorf("the ticket lacks %q:\n%s", want, text)
				}
			}
			got := zbarRead(t, printed(t, pdf, 203))
			if got != tt.code {
				t.Fatalf("zbarimg read %q, want %q", got, tt.code)
			}
			if n, ok := pos.ParseParkedCode(got); !ok || n != tt.number {
				t.Errorf("ParseParkedCode(%q) = %d, %v; want %d", got, n, ok, tt.number)
			}
		})
	}
	if _, err := receipts.RenderParked(parkedBasket(0, 1), receipts.Store{}, pos.EUR(), nil); pos.ErrorCode(err) != pos.EInvalid {
		t.Errorf("a basket with no number: got %v, want invalid", err)
	}
}

// TestPrintParkedOnESCPOS: Service.PrintParked on a virtual ESC/POS
// printer at 80 and 58 mm prints the ticket's lines (the ones the PDF is
// laid out from) and the printer's own Code 128 of the ticket's code, then
// cuts; the PDF is saved once (parked-PK…pdf), and SaveParked returns it.
// Out of paper, nothing is printed and the cashier is told where it is
// saved.
func TestPrintParkedOnESCPOS(t *testing.T) {
	for _, width := range []int{escpos.Width80, escpos.Width58} {
		for _, paperOut := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dmm/paper out %v", width, paperOut), func(t *testing.T) {
				vp := escpostest.Start(t)
				pr, err := escpos.New(vp.URL(), escpos.Config{Width: width, Timeout: 10 * time.Second, StatusWait: 3 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				vp.SetPaperOut(paperOut)
				svc := &receipts.Service{Currency: pos.EUR(), Location: time.UTC, Dir: t.TempDir(), Printer: pr,
					Store: receipts.Store{Name: "Corner Shop"}}
				p := parkedBasket(42, 3)
				ctx := context.Background()
				err = svc.PrintParked(ctx, p)
				path := filepath.Join(svc.Dir, "2026-11-30", "parked-PK000042.pdf")
				if _, serr := os.Stat(path); serr != nil {
					t.Errorf("the ticket is not saved: %v", serr)
				}
				if again, err := svc.SaveParked(ctx, p); err != nil || again != path {
					t.Errorf("SaveParked: %q, %v; want %q", again, err, path)
				}
				doc, derr := escpostest.Decode(vp.Printed(), width)
				if derr != nil {
					t.Fatalf("the printer was sent what it cannot print: %v", derr)
				}
				if paperOut {
					if err == nil || !strings.Contains(pos.ErrorMessage(err), "; the ticket is saved at "+path) {
						t.Errorf("paper out: got %v", err)
					}
					if len(doc.Lines())+len(doc.Barcodes())+doc.Cuts() != 0 {
						t.Errorf("paper out: the printer printed %d lines", len(doc.Lines()))
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				text := doc.Text()
				lines, err := receipts.ParkedLines(p, svc.Store, pos.EUR(), time.UTC)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range lines {
					for _, s := range []string{l.Left, l.Right} {
						if l.Kind != receipts.LineCode && s != "" && !strings.Contains(strings.Join(strings.Fields(text), " "), s) {
							t.Errorf("the printed ticket lacks %q:\n%s", s, text)
						}
					}
				}
				if bc := doc.Barcodes(); len(bc) != 1 || bc[0].Digits != "PK000042" {
					t.Errorf("barcodes: %+v, want one of PK000042", bc)
				}
				if doc.Cuts() != 1 {
					t.Errorf("cuts: %d, want 1", doc.Cuts())
				}
				if testing.Verbose() {
					t.Logf("\n%s", doc.String(escpos.Columns(width)))
				}
			})
		}
	}
}
