package receipts

import (
	"bytes"
	"fmt"
	"time"

	"github.com/jung-kurt/gofpdf"
	"github.com/till-pos/till/pos"
)

// An X or Z report on the receipt roll: pos.Report.Text's lines, the one
// layout the screen and the command line show too, set in Courier so its
// columns line up. 42 columns of 8 pt Courier are 71.1 mm: inside the
// 72 mm an 80 mm roll prints.
const (
	reportPt    = 8.0
	reportLineH = 3.5
)

// RenderReport draws an X or Z report as a PDF for the receipt roll. Like
// Render it is a pure function of its input (the PDF's dates are the
// report's), so the Z printed, saved and uploaded is one document. Times
// are written in loc (nil: UTC).
func RenderReport(r pos.Report, cur pos.Currency, loc *time.Location) ([]byte, error) {
	lines := r.Text(cur, loc)
	pdf := gofpdf.NewCustom(&gofpdf.InitType{UnitStr: "mm", Size: gofpdf.SizeType{Wd: paperWidth, Ht: 100}})
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCatalogSort(true)
	pdf.SetCellMargin(0)
	pdf.SetCreationDate(r.To)
	pdf.SetModificationDate(r.To)
	title := "X report"
	if r.Kind == pos.ReportZ {
		title = fmt.Sprintf("Z report %d", r.ZNumber)
	}
	pdf.SetTitle(fmt.Sprintf("%s, till %s", title, r.Session.TillID), true)
	pdf.SetProducer("till", true)
	cp := pdf.UnicodeTranslatorFromDescriptor("") // UTF-8 to cp1252, which has € and £
	rowH := reportLineH
	perPage := int((maxPage - 2*margin) / rowH) // lines a page holds
	var pages [][]string
	for len(lines) > perPage {
		pages, lines = append(pages, lines[:perPage]), lines[perPage:]
	}
	pages = append(pages, lines)
	for n, page := range pages {
		pdf.AddPageFormat("P", gofpdf.SizeType{Wd: paperWidth, Ht: 2*margin + float64(len(page))*reportLineH})
		for i, s := range page {
			style := ""
			if n == 0 && i == 0 {
				style = "B"
			}
			pdf.SetFont("Courier", style, reportPt)
			pdf.SetXY(margin, margin+float64(i)*reportLineH)
			pdf.CellFormat(textWidth, reportLineH, cp(s), "", 0, "L", false, 0, "")
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, pos.WrapError(pos.EInternal, err, "render the %s", title)
	}
	return buf.Bytes(), nil
}
