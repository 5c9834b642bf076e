package escpos

import (
	"bytes"
	"context"

	"github.com/till-pos/till/receipts"
)

// Report encodes an X or Z report's text (pos.Report.Text, lines of
// pos.ReportWidth, 42, columns) for a printer with paper widthMM wide:
// initialise, PC858, the lines with the first (the title) in bold, feed
// and cut. The text's columns line up only if each line prints whole, so
// the font is the one a line of 42 fits: font A (48 a line) on 80 mm
// paper, font B (42 a line) on 58 mm, where font A holds only 32. A line
// wider than that (none of a report's is) is wrapped at spaces.
func Report(lines []string, widthMM int) []byte {
	cols, font := Columns(widthMM), cmdFontA
	if widthMM == Width58 {
		cols, font = ColumnsB(widthMM), cmdFontB
	}
	var b bytes.Buffer
	b.Write(cmdInit)
	b.Write(cmdCodePage)
	b.Write(font)
	b.Write(cmdLeft)
	for i, l := range lines {
		if i == 0 {
			b.Write(cmdBoldOn)
		}
		s := Encode(l)
		if len(s) <= cols {
			writeLine(&b, s) // leading spaces kept: they centre the title
		} else {
			for _, w := range wrap(s, cols) {
				writeLine(&b, w)
			}
		}
		if i == 0 {
			b.Write(cmdBoldOff)
		}
	}
	b.Write(cmdFontA)
	b.Write(cmdFeedCut)
	return b.Bytes()
}

// PrintReportText prints an X or Z report's text lines (see Report) after
// asking the printer whether it can, like PrintReceipt: a fault is an error
// that says what to do, and nothing is sent then.
func (p *Printer) PrintReportText(ctx context.Context, lines []string) error {
	job := Report(lines, p.cfg.Width)
	return p.run(ctx, jobPrint, func(st Status) ([]byte, error) {
		if f := st.Fault(); f != "" {
			return nil, p.fault(f, nil, jobPrint)
		}
		return job, nil
	})
}

// PrintLines prints receipt lines (a parked ticket's) after asking the
// printer whether it can, like PrintReceipt.
func (p *Printer) PrintLines(ctx context.Context, lines []receipts.Line) error {
	job, err := Lines(lines, p.cfg.Width)
	if err != nil {
		return err
	}
	return p.run(ctx, jobPrint, func(st Status) ([]byte, error) {
		if f := st.Fault(); f != "" {
			return nil, p.fault(f, nil, jobPrint)
		}
		return job, nil
	})
}
