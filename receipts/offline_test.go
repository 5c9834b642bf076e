package receipts_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
	"github.com/till-pos/till/receipts/escpos"
	"github.com/till-pos/till/receipts/escpos/escpostest"
)

// saleZero finds a sale numbered 0 on a receipt, however it is spaced.
var saleZero = regexp.MustCompile(`(?i)\bsale\s+0\b`)

// offlineSale is a completed cash sale sold offline: at the till it has no
// number (id 0); once forwarded, the database has given it one.
func offlineSale(t testing.TB, id int64, training bool) pos.Sale {
	t.Helper()
	s := completedSale(t, randomKey(t))
	s.ID, s.Offline, s.Training = id, true, training
	return s
}

// offlineCases are the offline receipts every medium must mark: at the
// till and forwarded, reprinted, and in training.
var offlineCases = []struct {
	name     string
	id       int64
	copy     bool
	training bool
}{
	{"at the till", 0, false, false},
	{"forwarded", 42, false, false},
	{"copy at the till", 0, true, false},
	{"copy forwarded", 42, true, false},
	{"training at the till", 0, false, true},
	{"training copy forwarded", 42, true, true},
}

// TestOfflineReceiptPDF: an offline sale's PDF says OFFLINE SALE (top and
// bottom) with what it means, never "Sale 0"; before it has a number it
// is an "Offline sale" with the first 8 characters of its key; a copy and
// a training receipt carry their banners too.
func TestOfflineReceiptPDF(t *testing.T) {
	for _, c := range offlineCases {
		t.Run(c.name, func(t *testing.T) {
			sale := offlineSale(t, c.id, c.training)
			pdf, err := receipts.Render(receipts.Receipt{Sale: sale, Store: receipts.Store{Name: "Test"},
				Copy: c.copy, Location: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			text := pdfText(t, pdf, false)
			if n := strings.Count(text, receipts.OfflineMessage); n != 2 {
				t.Errorf("%d %q banners, want 2:\n%s", n, receipts.OfflineMessage, text)
			}
			if !strings.Contains(text, receipts.OfflineNote) {
				t.Errorf("no %q:\n%s", receipts.OfflineNote, text)
			}
			if saleZero.MatchString(text) {
				t.Errorf("the receipt says sale 0:\n%s", text)
			}
			ref := "ref " + sale.Key[:8]
			if !strings.Contains(text, ref) {
				t.Errorf("no %q:\n%s", ref, text)
			}
			number := "Offline sale"
			if c.id != 0 {
				number = fmt.Sprintf("Sale %d", c.id)
			}
			if !strings.Contains(text, number) {
				t.Errorf("no %q:\n%s", number, text)
			}
			if got, want := strings.Count(text, "COPY"), map[bool]int{true: 2}[c.copy]; got != want {
				t.Errorf("%d COPY banners, want %d:\n%s", got, want, text)
			}
			if got, want := strings.Count(text, receipts.TrainingMessage), map[bool]int{true: 2}[c.training]; got != want {
				t.Errorf("%d TRAINING banners, want %d:\n%s", got, want, text)
			}
		})
	}
}

// TestOfflineReceiptBarcodeScansAt203dpi: the receipt of an offline sale
// not yet numbered still carries the sale's key as its barcode (a return
// scans it once the sale is forwarded): printed at 203 dpi, zbarimg reads
// pos.ReceiptCode of the key, which the basket field takes for that sale.
func TestOfflineReceiptBarcodeScansAt203dpi(t *testing.T) {
	for _, training := range []bool{false, true} {
		t.Run(fmt.Sprintf("training=%v", training), func(t *testing.T) {
			sale := offlineSale(t, 0, training)
			pdf, err := receipts.Render(receipts.Receipt{Sale: sale, Store: receipts.Store{Name: "Test"}, Location: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			want, err := pos.ReceiptCode(sale.Key)
			if err != nil {
				t.Fatal(err)
			}
			got := zbarRead(t, printed(t, pdf, 203))
			if got != want {
				t.Fatalf("zbarimg read %q at 203 dpi, want %q (the key %s)", got, want, sale.Key)
			}
			sc, err := pos.DefaultScanRules().Parse(got)
			if err != nil || sc.Kind != pos.ScanReceipt || sc.Code != sale.Key {
				t.Errorf("%q scans as %v %q (%v), want the sale %s", got, sc.Kind, sc.Code, err, sale.Key)
			}
		})
	}
}

// TestOfflineReceiptESCPOS: on 80 and 58 mm paper the printed receipt of an
// offline sale has the OFFLINE SALE banner (bold, reversed, centred) at the
// top and the bottom, the line saying what it means, the sale's barcode
// and never "Sale 0"; it says what the PDF says.
func TestOfflineReceiptESCPOS(t *testing.T) {
	for _, c := range offlineCases {
		for _, width := range []int{escpos.Width80, escpos.Width58} {
			t.Run(fmt.Sprintf("%s/%dmm", c.name, width), func(t *testing.T) {
				sale := offlineSale(t, c.id, c.training)
				r := receipts.Receipt{Sale: sale, Store: receipts.Store{Name: "Test"}, Copy: c.copy, Location: time.UTC}
				data, err := escpos.Receipt(r, width)
				if err != nil {
					t.Fatal(err)
				}
				doc, err := escpostest.Decode(data, width)
				if err != nil {
					t.Fatalf("the printer would be sent what it cannot print: %v", err)
				}
				text := doc.Text()
				banner := func(s string) (n int) {
					for _, l := range doc.Lines() {
						if strings.TrimSpace(l.Text) == s && l.Bold && l.Reverse && l.Center {
							n++
						}
					}
					return n
				}
				if n := banner(receipts.OfflineMessage); n != 2 {
					t.Errorf("%d %s banners, want 2:\n%s", n, receipts.OfflineMessage, doc.String(escpos.Columns(width)))
				}
				if got, want := banner("COPY"), map[bool]int{true: 2}[c.copy]; got != want {
					t.Errorf("%d COPY banners, want %d", got, want)
				}
				if got, want := banner("TRAINING - NOT A RECEIPT"), map[bool]int{true: 2}[c.training]; got != want {
					t.Errorf("%d TRAINING banners, want %d", got, want)
				}
				// The note may wrap on 58 mm paper.
				words := strings.Join(strings.Fields(text), " ")
				if !strings.Contains(words, receipts.OfflineNote) {
					t.Errorf("no %q:\n%s", receipts.OfflineNote, text)
				}
				if saleZero.MatchString(text) {
					t.Errorf("the receipt says sale 0:\n%s", text)
				}
				if !strings.Contains(words, "ref "+sale.Key[:8]) {
					t.Errorf("no ref %s:\n%s", sale.Key[:8], text)
				}
				bc := doc.Barcodes()
				want, err := pos.ReceiptCode(sale.Key)
				if err != nil {
					t.Fatal(err)
				}
				if len(bc) != 1 || bc[0].Digits != want {
					t.Errorf("barcodes %+v, want one of %s", bc, want)
				}
				sameContent(t, r, doc)
			})
		}
	}
}
