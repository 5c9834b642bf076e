// Package receipts turns a completed sale into a PDF receipt for an 80 mm
// roll, prints it, saves it into the till's local archive, and uploads it to
// S3 through the durable outbox the sale's completing transaction writes.
package receipts

import (
	"bytes"
	"fmt"
	"image"
	"math"
	"strings"
	"time"

	"github.com/boombuler/barcode/code128"
	"github.com/jung-kurt/gofpdf"
	"github.com/till-pos/till/pos"
)

// Store is the receipt's header: who sold it.
type Store struct {
	Name    string
	Address string // one line; "|" or a newline breaks it
	TaxID   string // e.g. a VAT registration number
}

// Customer is the loyalty part of a receipt.
type Customer struct {
	Name         string
	PointsEarned int64
	// Balance is the customer's points right after this sale.
	Balance int64
}

// Receipt is everything printed on one receipt. Render needs nothing else.
// A refund receipt has Return set (and no Sale): marked REFUND, it names
// the sale returned, the lines and why they came back, and the refunds.
type Receipt struct {
	Sale     pos.Sale
	Return   *pos.Return
	Store    Store
	Currency pos.Currency // zero: the one named by Sale.Currency
	Cashier  string       // the cashier's name
	Customer *Customer    // nil: no customer on the sale or return
	// Manager is the name of the manager who approved a return ("": none,
	// or not known; the receipt then says only that one did).
	Manager string
	// Copy marks a reprint: COPY at the top and the bottom.
	Copy bool
	// Training prints TRAINING — NOT A RECEIPT across the receipt (so does
	// Sale.Training).
	Training bool
	// Location is the store's time zone for dates; nil is the machine's.
	Location *time.Location
}

// Paper and type. An 80 mm roll prints about 72 mm; the page is as long as
// the content (up to maxPage, then another page follows).
const (
	paperWidth = 80.0
	margin     = 4.0
	textWidth  = paperWidth - 2*margin
	bodyPt     = 8.5
	lineH      = 3.8
	titlePt    = 13
	titleH     = 6.5
	ruleH      = 2.5
	barH       = 13.0
	maxPage    = 1500.0 // mm; PDF viewers balk at pages much over 5 m

	trainingMsg = "TRAINING — NOT A RECEIPT"
)

// The receipt barcode is drawn for the printer's grid: most 80 mm thermal
// printers print 203 dots per inch. A module (the narrowest bar or space)
// of a whole number of dots prints every bar at its true width; a
// fractional one is rounded bar by bar, and a scanner misreads the widths.
const (
	printerDPI = 203
	dot        = 25.4 / printerDPI // mm
	// moduleDots is the module width in dots: 2 dots, 0.25 mm, the
	// narrowest a 203 dpi print reliably scans at.
	moduleDots = 2
	module     = moduleDots * dot
	// quietModules is the blank margin on each side of the code, in
	// modules; Code 128 needs at least 10.
	quietModules = 10
)

// The PDF's rows are the receipt's Lines, wrapped to the paper.
const (
	rowText    = LineText
	rowTitle   = LineTitle
	rowCenter  = LineCenter
	rowBanner  = LineBanner
	rowRule    = LineRule
	rowBarcode = LineBarcode
	rowGap     = LineGap
)

// row is one printed line, in the PDF's code page already.
type row struct {
	kind        LineKind
	left, right string
	bold        bool
	indent      bool
}

func (r row) height() float64 {
	switch r.kind {
	case rowTitle:
		return titleH
	case rowBanner:
		return lineH + 2
	case rowRule:
		return ruleH
	case rowBarcode, LineCode:
		return barH + 1
	case rowGap:
		return lineH / 2
	}
	return lineH
}

// Render draws the receipt as a PDF. It is a pure function of r: the same
// receipt renders to the same bytes (the PDF dates are the sale's), so what
// is printed, saved and uploaded is one document.
func Render(r Receipt) ([]byte, error) {
	lines, err := Lines(r)
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("Receipt %d", r.number())
	switch {
	case r.Return != nil:
		what = fmt.Sprintf("Refund receipt %d", r.number())
	case r.offline() && r.Sale.ID == 0:
		what = "Offline receipt ref " + ref(r.Sale.Key)
	}
	pdf := gofpdf.NewCustom(&gofpdf.InitType{UnitStr: "mm", Size: gofpdf.SizeType{Wd: paperWidth, Ht: 100}})
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCatalogSort(true) // fonts in a fixed order: the same receipt, the same bytes
	pdf.SetCellMargin(0)
	pdf.SetCreationDate(r.when())
	pdf.SetModificationDate(r.when())
	pdf.SetTitle(what, true)
	pdf.SetProducer("till", true)
	pdf.SetFont("Helvetica", "", bodyPt)
	l := layout{pdf: pdf, cp: pdf.UnicodeTranslatorFromDescriptor("")}
	for _, ln := range lines {
		l.add(row{kind: ln.Kind, left: ln.Left, right: ln.Right, bold: ln.Bold, indent: ln.Indent})
	}
	rows := l.out
	if err := pdf.Error(); err != nil {
		return nil, pos.WrapError(pos.EInternal, err, "lay out %s", strings.ToLower(what))
	}
	training := r.training()
	for _, page := range paginate(rows) {
		h := 2 * margin
		for _, rw := range page {
			h += rw.height()
		}
		pdf.AddPageFormat("P", gofpdf.SizeType{Wd: paperWidth, Ht: h})
		l.codeBand = [2]float64{}
		y := margin
		for _, rw := range page {
			l.draw(rw, y, r.key())
			y += rw.height()
		}
		if training {
			l.watermark(h)
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, pos.WrapError(pos.EInternal, err, "render %s", strings.ToLower(what))
	}
	return buf.Bytes(), nil
}

// paginate cuts rows into pages of at most maxPage millimetres.
func paginate(rows []row) [][]row {
	var pages [][]row
	start, h := 0, 2*margin
	for i, rw := range rows {
		if h+rw.height() > maxPage && i > start {
			pages = append(pages, rows[start:i])
			start, h = i, 2*margin
		}
		h += rw.height()
	}
	return append(pages, rows[start:])
}

// layout turns a receipt into rows, wrapping long text to the paper.
type layout struct {
	pdf *gofpdf.Fpdf
	cp  func(string) string // UTF-8 to the core fonts' cp1252 (has € and £)
	// codeBand is the barcode's band on the page being drawn (top, bottom;
	// 0, 0 when it has none): the training watermark leaves it clear, or a
	// 203 dpi printer's barcode would not scan.
	codeBand [2]float64
	out      []row
}

// add adds a row, wrapping long text to the paper.
func (l *layout) add(r row) {
	r.left, r.right = l.cp(r.left), l.cp(r.right)
	if r.kind != rowText && r.kind != rowCenter && r.kind != rowTitle {
		l.out = append(l.out, r)
		return
	}
	style := ""
	if r.bold || r.kind == rowTitle {
		style = "B"
	}
	size := bodyPt
	if r.kind == rowTitle {
		size = titlePt
	}
	l.pdf.SetFont("Helvetica", style, size)
	width := textWidth
	if r.indent {
		width -= 3
	}
	if r.right != "" {
		width -= l.pdf.GetStringWidth(r.right) + 2
	}
	lines := l.pdf.SplitLines([]byte(r.left), width)
	if len(lines) == 0 {
		lines = [][]byte{nil}
	}
	for i, s := range lines {
		next := r
		next.left = string(s)
		if i > 0 {
			next.right = ""
		}
		l.out = append(l.out, next)
	}
}

func (l *layout) draw(r row, y float64, key string) {
	pdf := l.pdf
	x := margin
	switch r.kind {
	case rowRule:
		pdf.SetDashPattern([]float64{0.8, 0.6}, 0)
		pdf.SetLineWidth(0.2)
		pdf.Line(margin, y+ruleH/2, paperWidth-margin, y+ruleH/2)
		pdf.SetDashPattern(nil, 0)
		return
	case rowGap:
		return
	case rowBarcode:
		l.barcode(key, y)
		l.codeBand = [2]float64{y, y + r.height()}
		return
	case LineCode:
		l.code128(r.left, r.left, y)
		l.codeBand = [2]float64{y, y + r.height()}
		return
	case rowBanner:
		pdf.SetFont("Helvetica", "B", bodyPt+1)
		pdf.SetLineWidth(0.4)
		pdf.SetXY(x, y+0.5)
		pdf.CellFormat(textWidth, lineH+1, r.left, "1", 0, "C", false, 0, "")
		return
	case rowTitle:
		pdf.SetFont("Helvetica", "B", titlePt)
		pdf.SetXY(x, y)
		align := "C"
		if r.right != "" {
			align = "L"
		}
		pdf.CellFormat(textWidth, titleH, r.left, "", 0, align, false, 0, "")
		if r.right != "" {
			pdf.SetXY(x, y)
			pdf.CellFormat(textWidth, titleH, r.right, "", 0, "R", false, 0, "")
		}
		return
	case rowCenter:
		pdf.SetFont("Helvetica", "", bodyPt)
		pdf.SetXY(x, y)
		pdf.CellFormat(textWidth, lineH, r.left, "", 0, "C", false, 0, "")
		return
	}
	style := ""
	if r.bold {
		style = "B"
	}
	pdf.SetFont("Helvetica", style, bodyPt)
	if r.indent {
		x += 3
	}
	pdf.SetXY(x, y)
	pdf.CellFormat(paperWidth-margin-x, lineH, r.left, "", 0, "L", false, 0, "")
	if r.right != "" {
		pdf.SetXY(margin, y)
		pdf.CellFormat(textWidth, lineH, r.right, "", 0, "R", false, 0, "")
	}
}

// barcode draws the sale key as Code 128: pos.ReceiptCode's 40 digits,
// the key's 128 bits in decimal, all in set C (two digits a symbol, 255
// modules). Modules are moduleDots printer dots wide and the code starts on a
// whole dot of the page, centred, so every bar and space is a whole number
// of dots; with its quiet zones it is 68.8 mm, inside the 72 mm the printer
// prints. The basket field reads the 40 digits back as the sale key.
func (l *layout) barcode(key string, y float64) {
	text, err := pos.ReceiptCode(key)
	if err != nil {
		l.pdf.SetError(fmt.Errorf("barcode of %q: %w", key, err))
		return
	}
	l.code128(text, key, y)
}

// code128 draws text as Code 128 (the encoder picks the code sets) on the
// printer's grid, as barcode does; what names it in an error.
func (l *layout) code128(text, what string, y float64) {
	bc, err := code128.Encode(text)
	if err != nil {
		l.pdf.SetError(fmt.Errorf("barcode of %q: %w", what, err))
		return
	}
	modules := bc.Bounds().Dx()
	width := module * float64(modules)
	if width+2*quietModules*module > textWidth {
		l.pdf.SetError(fmt.Errorf("barcode of %q: %d modules do not fit on the paper", what, modules))
		return
	}
	x := math.Round((paperWidth-width)/2/dot) * dot
	l.pdf.SetFillColor(0, 0, 0)
	for i := 0; i < modules; {
		if !black(bc, i) {
			i++
			continue
		}
		j := i
		for j < modules && black(bc, j) {
			j++
		}
		l.pdf.Rect(x+float64(i)*module, y+0.5, float64(j-i)*module, barH, "F")
		i = j
	}
}

func black(bc image.Image, x int) bool {
	r, _, _, _ := bc.At(x, 0).RGBA()
	return r == 0
}

// watermark writes TRAINING — NOT A RECEIPT diagonally across the page, so
// no part of a training receipt can pass for a real one.
func (l *layout) watermark(h float64) {
	pdf := l.pdf
	pdf.SetFont("Helvetica", "B", 15)
	pdf.SetTextColor(170, 170, 170)
	msg := l.cp(trainingMsg)
	w := pdf.GetStringWidth(msg)
	// Above and below the barcode's band (the whole page when it has none).
	areas := [][2]float64{{0, h}}
	if b := l.codeBand; b[1] > b[0] {
		areas = [][2]float64{{0, b[0]}, {b[1], h}}
	}
	for _, a := range areas {
		pdf.ClipRect(0, a[0], paperWidth, a[1]-a[0], false)
		for cy := 30.0; cy < h; cy += 60 {
			pdf.TransformBegin()
			pdf.TransformRotate(35, paperWidth/2, cy)
			pdf.Text(paperWidth/2-w/2, cy, msg)
			pdf.TransformEnd()
		}
		pdf.ClipEnd()
	}
	pdf.SetTextColor(0, 0, 0)
}
