package receipts_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// pdfText extracts a PDF's text as a person reads it: laid out, without the
// diagonal TRAINING watermark (whose letters would land between the lines).
func pdfText(t testing.TB, pdf []byte, diagonal bool) string {
	t.Helper()
	tool := needTool(t, "pdftotext")
	args := []string{"-layout", "-nodiag", "-enc", "UTF-8"}
	if diagonal {
		// In the order drawn, so the rotated watermark's words are found.
		args = []string{"-raw", "-enc", "UTF-8"}
	}
	cmd := exec.Command(tool, append(args, "-", "-")...)
	cmd.Stdin = bytes.NewReader(pdf)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("pdftotext: %v: %s", err, errb.String())
	}
	// Trailing spaces and the form feed at the end of each page carry nothing.
	lines := strings.Split(strings.ReplaceAll(out.String(), "\f", ""), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n") + "\n"
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./receipts -run TestRenderGolden -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s: extracted text differs from the golden file\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// TestRenderGolden renders receipts of sales made through the real protocol
// and compares their extracted text with golden files, then checks every
// amount on the receipt against the database.
func TestRenderGolden(t *testing.T) {
	long := make([]line, 200)
	names := []string{"Sparkling water 1 l", "Rye bread", "Red wine, Rioja"}
	for i := range long {
		long[i] = line{name: names[i%3], qty: int64(i%4 + 1)}
	}
	cases := []struct {
		name     string
		currency pos.Currency
		training bool
		sell     func(f *fixture, t *testing.T) pos.Sale
	}{
		{"cash", pos.EUR(), false, func(f *fixture, t *testing.T) pos.Sale {
			s := f.basket(t, true, line{name: "Sparkling water 1 l", qty: 3},
				line{name: "Organic free-range eggs, box of ten, from Hill Farm cooperative", qty: 1},
				line{name: "Red wine, Rioja", qty: 1, discount: 100})
			return f.cashSale(t, s, 2000)
		}},
		{"split", pos.EUR(), false, func(f *fixture, t *testing.T) pos.Sale {
			s := f.basket(t, false, line{name: "Red wine, Rioja", qty: 2}, line{name: "Rye bread", qty: 1})
			return f.splitSale(t, s, 1500, 1000)
		}},
		{"weighed", pos.GBP(), false, func(f *fixture, t *testing.T) pos.Sale {
			s := f.basket(t, false, line{name: "Bananas", qty: 545}, line{name: "Rye bread", qty: 2})
			return f.cashSale(t, s, 1000)
		}},
		{"training", pos.EUR(), true, func(f *fixture, t *testing.T) pos.Sale {
			s := f.basket(t, true, line{name: "Rye bread", qty: 1})
			return f.cashSale(t, s, 500)
		}},
		{"long", pos.EUR(), false, func(f *fixture, t *testing.T) pos.Sale {
			s := f.basket(t, false, long...)
			return f.splitSale(t, s, 10000, 300000)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.currency, c.training)
			sale := c.sell(f, t)
			pdf, err := receipts.Render(f.svc.Receipt(context.Background(), sale, false))
			if err != nil {
				t.Fatal(err)
			}
			text := pdfText(t, pdf, false)
			golden(t, c.name+".txt", text)
			checkAmounts(t, f, sale.Key, text, c.currency)
			if c.training {
				// The watermark is there too, across the page.
				if got := strings.Count(pdfText(t, pdf, true), "TRAINING"); got < 3 {
					t.Errorf("training receipt: got %d TRAINING marks, want the 2 banners and the watermark", got)
				}
			}
		})
	}
}

// checkAmounts reads the totals, tax lines, item lines and payments off
// the receipt and compares them with the database's.
func checkAmounts(t *testing.T, f *fixture, key, text string, cur pos.Currency) {
	t.Helper()
	money := regexp.QuoteMeta(cur.Symbol) + `([0-9.]+)`
	parse := func(sign, digits string) pos.Money {
		v, err := cur.Parse(digits)
		if err != nil {
			t.Fatalf("%s: %v", digits, err)
		}
		if sign == "-" {
			v = -v
		}
		return v
	}
	// sum adds the amounts at the end of the lines of part that match label.
	sum := func(part, label string) pos.Money {
		re := regexp.MustCompile(`(?m)^` + label + `\s+(-?)` + money + `$`)
		var s pos.Money
		for _, m := range re.FindAllStringSubmatch(part, -1) {
			s += parse(m[1], m[2])
		}
		return s
	}
	// The item lines are between the till line and the item count.
	itemsPart := regexp.MustCompile(`(?s)\nTill [^\n]*\n(.*)\n[0-9]+ items?\n`).FindStringSubmatch(text)
	if itemsPart == nil {
		t.Fatalf("no item lines found in:\n%s", text)
	}
	var id int64
	var total, subtotal, tax, lines, paid string
	err := f.d.Admin.QueryRow(`SELECT t.transaction_id, t.total_amount, t.subtotal, t.tax,
			(SELECT SUM(line_total) FROM transaction_items WHERE transaction_id = t.transaction_id),
			(SELECT SUM(amount) FROM payments WHERE transaction_id = t.transaction_id AND status = 'approved')
		FROM transactions t WHERE idempotency_key = ?`, key).Scan(&id, &total, &subtotal, &tax, &lines, &paid)
	if err != nil {
		t.Fatal(err)
	}
	db := func(s string) pos.Money { return parse("", s) }
	checks := []struct {
		what      string
		got, want pos.Money
	}{
		{"TOTAL", sum(text, "TOTAL"), db(total)},
		{"subtotal", sum(text, "Subtotal before tax"), db(subtotal)},
		{"tax lines", sum(text, `Tax [0-9.]+% on \S+`), db(tax)},
		// Item lines show the price before the line's discount, and the
		// discount below it (indented).
		{"item lines", sum(itemsPart[1], `\S.*?`) + sum(itemsPart[1], `\s+Discount`), db(lines)},
		{"payments", sum(text, `Card.*?`) + sum(text, "Cash") - sum(text, "Change"), db(paid)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: receipt says %s, database %s", c.what, cur.Format(c.got), cur.Format(c.want))
		}
	}
}

// TestRenderIsPure: the same receipt renders to the same bytes, so the
// printed, saved and uploaded receipts are one document.
func TestRenderIsPure(t *testing.T) {
	f := newFixture(t, pos.EUR(), false)
	sale := f.cashSale(t, f.basket(t, true, line{name: "Rye bread", qty: 2}), 1000)
	r := f.svc.Receipt(context.Background(), sale, false)
	a, err := receipts.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	// Map order in the PDF writer once made every other render differ.
	for i := range 20 {
		b, err := receipts.Render(r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("render %d of one receipt differs from the first", i+2)
		}
	}
	r.Copy = true
	c, err := receipts.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(pdfText(t, c, false), "COPY"); got != 2 {
		t.Errorf("reprint: got %d COPY banners, want 2", got)
	}
}

func TestRenderRefusesUnfinishedSales(t *testing.T) {
	for _, status := range []pos.SaleStatus{pos.SalePending, pos.SaleFailed, pos.SaleVoided} {
		t.Run(string(status), func(t *testing.T) {
			_, err := receipts.Render(receipts.Receipt{Sale: pos.Sale{ID: 7, Status: status}})
			if got := pos.ErrorCode(err); got != pos.EConflict {
				t.Errorf("got %v (%s), want a conflict", err, got)
			}
		})
	}
}

// TestBarcodeScansToTheSale rasterises the receipt of a sale made through
// the real protocol, reads its Code 128 with two independent decoders
// (zbarimg, and gozxing, a port of ZXing) and feeds what each read to the
// basket field's parser: a receipt scan of this very sale.
func TestBarcodeScansToTheSale(t *testing.T) {
	f := newFixture(t, pos.EUR(), false)
	sale := f.cashSale(t, f.basket(t, false, line{name: "Rye bread", qty: 1}), 500)
	pdf, err := receipts.Render(f.svc.Receipt(context.Background(), sale, false))
	if err != nil {
		t.Fatal(err)
	}
	// 203 dpi is what an 80 mm thermal printer prints.
	for _, dpi := range []int{203, 300} {
		t.Run(fmt.Sprint(dpi, "dpi"), func(t *testing.T) {
			png := printed(t, pdf, dpi)
			for name, read := range map[string]func(testing.TB, string) string{"zbarimg": zbarRead, "gozxing": zxingRead} {
				text := read(t, png)
				if text == "" {
					t.Errorf("%s: no barcode read at %d dpi", name, dpi)
					continue
				}
				scan, err := pos.DefaultScanRules().Parse(text)
				if err != nil || scan.Kind != pos.ScanReceipt || scan.Code != sale.Key {
					t.Errorf("%s scanned %q: got %s %q (%v), want receipt %q", name, text, scan.Kind, scan.Code, err, sale.Key)
				}
			}
		})
	}
}

// BenchmarkRender renders a 50-line receipt; the baseline is a 1-line one
// in the same run.
func BenchmarkRender(b *testing.B) {
	f := newFixture(b, pos.EUR(), false)
	names := []string{"Sparkling water 1 l", "Rye bread", "Red wine, Rioja", "Bananas"}
	for _, n := range []int{1, 50} {
		lines := make([]line, n)
		for i := range lines {
			lines[i] = line{name: names[i%4], qty: int64(i%3 + 1)}
			if lines[i].name == "Bananas" {
				lines[i].qty = 400 + int64(i)
			}
		}
		sale := f.cashSale(b, f.basket(b, true, lines...), 100000)
		r := f.svc.Receipt(context.Background(), sale, false)
		b.Run(fmt.Sprintf("%dlines", n), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				pdf, err := receipts.Render(r)
				if err != nil {
					b.Fatal(err)
				}
				size = len(pdf)
			}
			b.ReportMetric(float64(size), "bytes/pdf")
		})
	}
}
