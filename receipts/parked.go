package receipts

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jung-kurt/gofpdf"
	"github.com/till-pos/till/pos"
)

// A parked basket's ticket: a slip the customer keeps while the basket is
// set aside, whose barcode (Code 128 of pos.ParkedCode, "PK" and six
// digits) the cashier scans to resume it on any till of the store.

// ParkedLines is a parked basket's ticket as lines, top to bottom: the
// model both the PDF (RenderParked) and receipt printers print. Times are
// written in loc (nil: UTC).
func ParkedLines(p pos.ParkedBasket, st Store, cur pos.Currency, loc *time.Location) ([]Line, error) {
	if p.Number <= 0 {
		return nil, pos.Errorf(pos.EInvalid, "the basket has no parked number: it is not parked yet")
	}
	if loc == nil {
		loc = time.UTC
	}
	code := pos.ParkedCode(p.Number)
	name := st.Name
	if name == "" {
		name = p.StoreID
	}
	return []Line{
		{Kind: LineTitle, Left: "PARKED"},
		{Kind: LineCenter, Left: name},
		{Kind: LineRule},
		{Kind: LineText, Left: "Ticket", Right: code, Bold: true},
		{Kind: LineText, Left: "Store / till", Right: p.StoreID + " / " + p.TillID},
		{Kind: LineText, Left: "Parked at", Right: p.ParkedAt.In(loc).Format("2006-01-02 15:04")},
		{Kind: LineText, Left: "Lines", Right: strconv.Itoa(len(p.Lines))},
		{Kind: LineText, Left: "Total", Right: cur.Format(p.Total), Bold: true},
		{Kind: LineRule},
		{Kind: LineGap},
		{Kind: LineCode, Left: code},
		{Kind: LineCenter, Left: code},
		{Kind: LineGap},
		{Kind: LineCenter, Left: "Scan at any till of this store to resume"},
	}, nil
}

// RenderParked draws a parked basket's ticket as a PDF for the receipt
// roll: a pure function of its input, like Render.
func RenderParked(p pos.ParkedBasket, st Store, cur pos.Currency, loc *time.Location) ([]byte, error) {
	lines, err := ParkedLines(p, st, cur, loc)
	if err != nil {
		return nil, err
	}
	code := pos.ParkedCode(p.Number)
	pdf := gofpdf.NewCustom(&gofpdf.InitType{UnitStr: "mm", Size: gofpdf.SizeType{Wd: paperWidth, Ht: 100}})
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCatalogSort(true)
	pdf.SetCellMargin(0)
	pdf.SetCreationDate(p.ParkedAt)
	pdf.SetModificationDate(p.ParkedAt)
	pdf.SetTitle("Parked ticket "+code, true)
	pdf.SetProducer("till", true)
	pdf.SetFont("Helvetica", "", bodyPt)
	l := layout{pdf: pdf, cp: pdf.UnicodeTranslatorFromDescriptor("")}
	for _, ln := range lines {
		l.add(row{kind: ln.Kind, left: ln.Left, right: ln.Right, bold: ln.Bold, indent: ln.Indent})
	}
	if err := pdf.Error(); err != nil {
		return nil, pos.WrapError(pos.EInternal, err, "lay out parked ticket %s", code)
	}
	h := 2 * margin
	for _, rw := range l.out {
		h += rw.height()
	}
	pdf.AddPageFormat("P", gofpdf.SizeType{Wd: paperWidth, Ht: h})
	y := margin
	for _, rw := range l.out {
		l.draw(rw, y, "")
		y += rw.height()
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, pos.WrapError(pos.EInternal, err, "render parked ticket %s", code)
	}
	return buf.Bytes(), nil
}

// LinesPrinter is a Printer that prints any receipt lines natively
// (receipts/escpos implements it): the parked ticket.
type LinesPrinter interface {
	PrintLines(ctx context.Context, lines []Line) error
}

// parkedFile is the archive's name of a parked ticket, without ".pdf".
func parkedFile(p pos.ParkedBasket) string { return "parked-" + pos.ParkedCode(p.Number) }

// PrintParked prints a parked basket's ticket and saves it into the
// archive (parked-PK000042.pdf; saving it again returns the first file).
// An ESC/POS printer prints the ticket's lines and barcode natively, as it
// does a receipt; otherwise the PDF goes to the print command. A printer
// error is returned (for the cashier), with where the ticket is saved.
func (s *Service) PrintParked(ctx context.Context, p pos.ParkedBasket) error {
	if s == nil {
		return pos.Errorf(pos.EUnavailable, "receipts are not set up on this till: the ticket is not printed")
	}
	pdf, err := RenderParked(p, s.Store, s.Currency, s.Location)
	if err != nil {
		return err
	}
	var path string
	var saveErr error
	if s.Dir != "" {
		path, saveErr = s.save(parkedFile(p), p.ParkedAt, pdf, false)
	}
	where := ""
	if path != "" {
		where = "; the ticket is saved at " + path
	}
	if lp, ok := s.Printer.(LinesPrinter); ok {
		lines, err := ParkedLines(p, s.Store, s.Currency, s.Location)
		if err == nil {
			err = lp.PrintLines(ctx, lines)
		}
		if err != nil {
			return errors.Join(pos.WrapError(pos.ErrorCode(err), err, "%s%s", pos.ErrorMessage(err), where), saveErr)
		}
		return saveErr
	}
	if len(s.PrintCommand) == 0 {
		return errors.Join(pos.Errorf(pos.EUnavailable, "no printer is set up on this till (POS_PRINTER)%s", where), saveErr)
	}
	return errors.Join(s.run(ctx, pdf, path), saveErr)
}

// SaveParked saves a parked basket's ticket into the archive and returns
// its path; saving it again returns the first file.
func (s *Service) SaveParked(ctx context.Context, p pos.ParkedBasket) (string, error) {
	if s == nil {
		return "", pos.Errorf(pos.EUnavailable, "receipts are not set up on this till: the ticket is not saved")
	}
	pdf, err := RenderParked(p, s.Store, s.Currency, s.Location)
	if err != nil {
		return "", err
	}
	if p.ParkedAt.IsZero() {
		return "", pos.Errorf(pos.EInvalid, "parked ticket %s has no time", pos.ParkedCode(p.Number))
	}
	return s.save(parkedFile(p), p.ParkedAt, pdf, false)
}
