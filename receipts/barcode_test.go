package receipts_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
	"github.com/till-pos/till/store/storetest"
)

// zbarimg finds Debian's zbarimg (zbar-tools), an independent barcode
// decoder. Like every tool the tests need, it fails the test under CI=true
// when it is missing and skips it elsewhere.
func zbarimg(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("zbarimg")
	if err != nil {
		storetest.Missing(t, "zbarimg is not installed; .ci/ensure-packages installs zbar-tools")
	}
	return p
}

// randomKey is a random version 4 UUID, as the till makes sale keys.
func randomKey(t testing.TB) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// completedSale is a one-line completed sale with key, built in memory:
// Render is a pure function of its receipt, so no database is needed.
func completedSale(t testing.TB, key string) pos.Sale {
	t.Helper()
	lines := []pos.Line{{ItemID: 1, Code: "4000000000024", Name: "Rye bread", Quantity: 1, UnitPrice: 349, TaxRate: 700}}
	totals, err := pos.ComputeTotals(lines, pos.TaxInclusive)
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 3, 1, 13, 5, 0, 0, time.UTC)
	return pos.Sale{ID: 42, Key: key, StoreID: "store-1", TillID: "till-1", CashierID: 1, Currency: "EUR",
		Lines: lines, Totals: totals, Status: pos.SaleCompleted, CreatedAt: when, CompletedAt: when,
		Payments: []pos.Payment{{Method: pos.MethodCash, Status: pos.PaymentApproved, Amount: totals.Total, Tendered: 500,
			Change: 500 - totals.Total}}}
}

// withLines gives sale n lines (and the totals and cash payment to match).
func withLines(t testing.TB, sale pos.Sale, n int) pos.Sale {
	t.Helper()
	sale.Lines = nil
	for i := range n {
		sale.Lines = append(sale.Lines, pos.Line{ItemID: pos.ItemID(i + 1), Code: "4000000000024",
			Name: fmt.Sprintf("Rye bread %d", i+1), Quantity: 1, UnitPrice: 349, TaxRate: 700})
	}
	totals, err := pos.ComputeTotals(sale.Lines, pos.TaxInclusive)
	if err != nil {
		t.Fatal(err)
	}
	sale.Totals = totals
	sale.Payments = []pos.Payment{{Method: pos.MethodCash, Status: pos.PaymentApproved, Amount: totals.Total,
		Tendered: totals.Total}}
	return sale
}

// printed rasterises a receipt PDF at dpi with pdftoppm, as a printer of
// that resolution prints it, and returns the PNG's path.
func printed(t testing.TB, pdf []byte, dpi int) string {
	t.Helper()
	pdftoppm := needTool(t, "pdftoppm")
	dir := t.TempDir()
	in, root := filepath.Join(dir, "r.pdf"), filepath.Join(dir, "r")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(pdftoppm, "-png", "-r", fmt.Sprint(dpi), "-singlefile", in, root).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	return root + ".png"
}

// zbarRead returns the Code 128 zbarimg reads off the image at path, ""
// if it finds none.
func zbarRead(t testing.TB, path string) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(zbarimg(t), "--quiet", "--raw", "-Sdisable", "-Scode128.enable", path)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		// zbarimg exits 4 when it finds no barcode.
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 4 {
			return ""
		}
		t.Fatalf("zbarimg: %v: %s", err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

// zxingRead returns the Code 128 gozxing (a Go port of ZXing) reads off the
// image at path, "" if it finds none.
func zxingRead(t testing.TB, path string) string {
	t.Helper()
	img := readPNG(t, path)
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := oned.NewCode128Reader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return ""
	}
	return res.GetText()
}

func readPNG(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// barRuns finds the barcode on a receipt printed at 203 dpi, the pixel row
// with the most black/white changes, and returns its left quiet zone, the
// widths of its bars and spaces, and its right quiet zone, in dots.
func barRuns(t *testing.T, img image.Image) (left int, runs []int, right int) {
	t.Helper()
	b := img.Bounds()
	black := func(x, y int) bool {
		r, g, bl, _ := img.At(x, y).RGBA()
		return r+g+bl < 3*0x8000
	}
	best, bestY := 0, -1
	for y := b.Min.Y; y < b.Max.Y; y++ {
		n := 0
		for x := b.Min.X + 1; x < b.Max.X; x++ {
			if black(x, y) != black(x-1, y) {
				n++
			}
		}
		if n > best {
			best, bestY = n, y
		}
	}
	if best < 100 {
		t.Fatalf("no barcode row found (at most %d changes in a row)", best)
	}
	first, last := -1, -1
	for x := b.Min.X; x < b.Max.X; x++ {
		if black(x, bestY) {
			if first < 0 {
				first = x
			}
			last = x
		}
	}
	for x := first; x <= last; {
		c, w := black(x, bestY), 0
		for x <= last && black(x, bestY) == c {
			x, w = x+1, w+1
		}
		runs = append(runs, w)
	}
	return first - b.Min.X, runs, b.Max.X - 1 - last
}

// TestBarcodeGeometryAt203dpi checks the printed code against what makes
// it scan: every bar and space a whole number of 2-dot modules, quiet zones
// of at least 10 modules, and the whole code inside the 72 mm the printer
// prints (567 dots at 203 dpi).
func TestBarcodeGeometryAt203dpi(t *testing.T) {
	key := randomKey(t)
	pdf, err := receipts.Render(receipts.Receipt{Sale: completedSale(t, key), Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, printed(t, pdf, 203))
	left, runs, right := barRuns(t, img)
	const moduleDots = 2
	modules := 0
	for i, w := range runs {
		if w%moduleDots != 0 || w > 4*moduleDots {
			t.Errorf("key %s: bar or space %d is %d dots, want 1 to 4 modules of %d dots", key, i, w, moduleDots)
		}
		modules += w / moduleDots
	}
	// Code 128 of 40 digits in set C: start, 20 symbols, check symbol (11
	// modules each) and stop (13).
	if want := 11*22 + 13; modules != want || len(runs) != 6*22+7 {
		t.Errorf("key %s: got %d modules in %d bars and spaces, want %d in %d", key, modules, len(runs), want, 6*22+7)
	}
	// The printable 72 mm are centred on the 80 mm paper: 4 mm (32 dots) of
	// paper the printer does not reach on each side.
	const unprinted = 32
	for side, q := range map[string]int{"left": left - unprinted, "right": right - unprinted} {
		if q < 10*moduleDots {
			t.Errorf("key %s: %s quiet zone inside the printable width is %d dots, want at least %d (10 modules)",
				key, side, q, 10*moduleDots)
		}
	}
	t.Logf("%d modules of %d dots (%.3f mm), quiet zones %d and %d dots inside the printable width",
		modules, moduleDots, 2*25.4/203, left-unprinted, right-unprinted)
}

// TestBarcodeScansAt203dpi renders receipts of 40 random sale keys, prints
// them at the 203 dpi of a thermal receipt printer (pdftoppm -r 203), reads
// them with two independent decoders (zbarimg, and gozxing, a port of
// ZXing) and feeds what each read to the basket field's parser: every one
// must be a receipt scan of its own sale. Every other receipt is a training
// one, whose diagonal watermark must leave the barcode clear.
func TestBarcodeScansAt203dpi(t *testing.T) {
	const n = 40
	rules := pos.DefaultScanRules()
	decoded := map[string]int{}
	for i := range n {
		key := randomKey(t)
		sale := completedSale(t, key)
		if i%2 == 1 {
			// Training receipts of 1 to 20 lines: the barcode meets the
			// watermark's diagonal bands at every height.
			sale = withLines(t, sale, 1+i/2)
			sale.Training = true
		}
		pdf, err := receipts.Render(receipts.Receipt{Sale: sale, Store: receipts.Store{Name: "Test"},
			Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		png := printed(t, pdf, 203)
		for _, dec := range []struct {
			name string
			read func(testing.TB, string) string
		}{{"zbarimg", zbarRead}, {"gozxing", zxingRead}} {
			text := dec.read(t, png)
			if text == "" {
				t.Errorf("key %d, %s (training %v): %s read no barcode at 203 dpi", i+1, key, sale.Training, dec.name)
				continue
			}
			sc, err := rules.Parse(text)
			if err != nil || sc.Kind != pos.ScanReceipt || sc.Code != key {
				t.Errorf("key %d, %s: %s read %q, which scans as %v %q (%v), want that receipt",
					i+1, key, dec.name, text, sc.Kind, sc.Code, err)
				continue
			}
			decoded[dec.name]++
		}
	}
	t.Logf("random keys decoded to their sale at 203 dpi, of %d: zbarimg %d, gozxing %d", n, decoded["zbarimg"], decoded["gozxing"])
}
