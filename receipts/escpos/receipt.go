// Package escpos prints receipts on ESC/POS receipt printers (Epson TM and
// the many printers that speak its command set): a small encoder of the
// commands the till needs, the printer's real-time status (DLE EOT), the
// cash drawer kick (ESC p) and the transports that reach a printer: a
// network socket (port 9100), a device file (/dev/usb/lp0) and a raw CUPS
// queue.
//
// The receipt's content is receipts.Lines, the model the PDF is laid out
// from, so the printed receipt says what the saved and uploaded PDF says.
package escpos

import (
	"bytes"
	"strings"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
)

// The commands the till sends. Names follow Epson's ESC/POS reference.
const (
	esc = 0x1B
	gs  = 0x1D
	dle = 0x10
	eot = 0x04
	dc4 = 0x14
	lf  = 0x0A
)

var (
	cmdInit      = []byte{esc, '@'}                    // ESC @: initialise
	cmdCodePage  = []byte{esc, 't', CodePage}          // ESC t 19: PC858
	cmdFontA     = []byte{esc, 'M', 0}                 // ESC M 0: font A (12×24 dots)
	cmdFontB     = []byte{esc, 'M', 1}                 // ESC M 1: font B (9×17 dots), for a word font A cannot hold
	cmdBoldOn    = []byte{esc, 'E', 1}                 // ESC E 1: emphasised
	cmdBoldOff   = []byte{esc, 'E', 0}                 // ESC E 0
	cmdDouble    = []byte{gs, '!', 0x11}               // GS ! 0x11: double width and height
	cmdNormal    = []byte{gs, '!', 0x00}               // GS ! 0
	cmdReverseOn = []byte{gs, 'B', 1}                  // GS B 1: white on black
	cmdReverseOf = []byte{gs, 'B', 0}                  // GS B 0
	cmdLeft      = []byte{esc, 'a', 0}                 // ESC a 0: left-justified
	cmdCenter    = []byte{esc, 'a', 1}                 // ESC a 1: centred
	cmdHalfLine  = []byte{esc, 'J', 15}                // ESC J 15: feed 15 dots (about half a line)
	cmdFeedCut   = []byte{esc, 'd', 2, gs, 'V', 66, 0} // feed 2 lines; GS V 66 0: feed to the cutter, partial cut
)

// Paper widths: the printable dots and the characters of font A (12 dots
// wide) on a line.
const (
	Width80 = 80 // mm: 576 dots, 48 characters
	Width58 = 58 // mm: 384 dots, 32 characters
)

// Columns is how many font A characters a line of the paper holds.
func Columns(widthMM int) int {
	if widthMM == Width58 {
		return 32
	}
	return 48
}

// ColumnsB is how many font B characters (9 dots wide) a line holds.
func ColumnsB(widthMM int) int {
	if widthMM == Width58 {
		return 42
	}
	return 64
}

// barcodeModule is the Code 128 module (GS w) in dots. On 80 mm paper it
// is 2 dots, 0.25 mm, as on the PDF; the 40-digit code is then 510 dots
// of the 576. 58 mm paper prints only 384 dots, so there the module is
// 1 dot (255 dots, 32 mm): a dense code a good scanner reads, and the key
// is printed under it for the cases one does not.
func barcodeModule(widthMM int) byte {
	if widthMM == Width58 {
		return 1
	}
	return 2
}

// Receipt encodes a receipt for a printer with paper widthMM (80 or 58)
// wide: initialise, PC858, the receipt's lines, its barcode, feed and cut.
func Receipt(r receipts.Receipt, widthMM int) ([]byte, error) {
	lines, err := receipts.Lines(r)
	if err != nil {
		return nil, err
	}
	return Lines(lines, widthMM)
}

// Lines encodes receipt lines (see Receipt).
func Lines(lines []receipts.Line, widthMM int) ([]byte, error) {
	cols := Columns(widthMM)
	var b bytes.Buffer
	b.Write(cmdInit)
	b.Write(cmdCodePage)
	b.Write(cmdFontA)
	for _, l := range lines {
		switch l.Kind {
		case receipts.LineTitle:
			b.Write(cmdDouble)
			b.Write(cmdBoldOn)
			if l.Right == "" {
				b.Write(cmdCenter)
				for _, s := range wrap(Encode(l.Left), cols/2) {
					writeLine(&b, s)
				}
				b.Write(cmdLeft)
			} else {
				text(&b, Encode(l.Left), Encode(l.Right), cols/2, 0)
			}
			b.Write(cmdBoldOff)
			b.Write(cmdNormal)
		case receipts.LineCenter:
			b.Write(cmdCenter)
			text := Encode(l.Left)
			if n := len(text); n > cols && n <= ColumnsB(widthMM) && !bytes.Contains(text, []byte{' '}) {
				// One word too long for font A, such as the sale key on
				// 58 mm paper: the smaller font keeps it on one line.
				b.Write(cmdFontB)
				writeLine(&b, text)
				b.Write(cmdFontA)
			} else {
				for _, s := range wrap(text, cols) {
					writeLine(&b, s)
				}
			}
			b.Write(cmdLeft)
		case receipts.LineBanner:
			b.Write(cmdCenter)
			b.Write(cmdBoldOn)
			b.Write(cmdReverseOn)
			for _, s := range wrap(Encode(l.Left), cols-2) {
				// A space each side inside the black band (not trimmed).
				b.WriteByte(' ')
				b.Write(s)
				b.Write([]byte{' ', lf})
			}
			b.Write(cmdReverseOf)
			b.Write(cmdBoldOff)
			b.Write(cmdLeft)
		case receipts.LineRule:
			writeLine(&b, bytes.Repeat([]byte{'-'}, cols))
		case receipts.LineGap:
			b.Write(cmdHalfLine)
		case receipts.LineBarcode:
			code, err := pos.ReceiptCode(l.Left)
			if err != nil {
				return nil, pos.WrapError(pos.EInternal, err, "the barcode of %q", l.Left)
			}
			b.Write(cmdCenter)
			b.Write(barcode128C(code, barcodeModule(widthMM)))
			b.Write(cmdLeft)
		case receipts.LineCode:
			data := []byte(l.Left)
			if len(data) == 0 || len(data) > 40 || bytes.ContainsFunc(data, func(r rune) bool { return r < 0x20 || r > 0x7E }) {
				return nil, pos.Errorf(pos.EInternal, "the barcode of %q: 1 to 40 printable ASCII characters", l.Left)
			}
			b.Write(cmdCenter)
			b.Write(barcode128B(data, barcodeModule(widthMM)))
			b.Write(cmdLeft)
		default: // receipts.LineText
			if l.Bold {
				b.Write(cmdBoldOn)
			}
			indent := 0
			if l.Indent {
				indent = 2
			}
			text(&b, Encode(l.Left), Encode(l.Right), cols, indent)
			if l.Bold {
				b.Write(cmdBoldOff)
			}
		}
	}
	b.Write(cmdFeedCut)
	return b.Bytes(), nil
}

// text writes left, wrapped, with right at the end of its first line.
func text(b *bytes.Buffer, left, right []byte, cols, indent int) {
	width := cols - indent
	if len(right) > 0 {
		width -= len(right) + 1
	}
	if width < cols/3 { // a right part too long to share a line: it goes on its own
		text(b, left, nil, cols, indent)
		for _, s := range wrap(right, cols) {
			writeLine(b, append(bytes.Repeat([]byte{' '}, cols-len(s)), s...))
		}
		return
	}
	pad := bytes.Repeat([]byte{' '}, indent)
	for i, s := range wrap(left, width) {
		line := append(append([]byte{}, pad...), s...)
		if i == 0 && len(right) > 0 {
			line = append(line, bytes.Repeat([]byte{' '}, cols-len(line)-len(right))...)
			line = append(line, right...)
		}
		writeLine(b, line)
	}
}

func writeLine(b *bytes.Buffer, s []byte) {
	b.Write(bytes.TrimRight(s, " "))
	b.WriteByte(lf)
}

// wrap breaks single-byte text into lines of at most width characters, at
// spaces where it can and inside a word that is longer than a line.
func wrap(s []byte, width int) [][]byte {
	var words []string
	for _, w := range strings.Split(string(s), " ") {
		if w != "" {
			words = append(words, w)
		}
	}
	var out [][]byte
	var cur []byte
	for _, w := range words {
		for len(w) > width {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			out = append(out, []byte(w[:width]))
			w = w[width:]
		}
		switch {
		case len(cur) == 0:
			cur = []byte(w)
		case len(cur)+1+len(w) <= width:
			cur = append(append(cur, ' '), w...)
		default:
			out = append(out, cur)
			cur = []byte(w)
		}
	}
	if len(cur) > 0 || len(out) == 0 {
		out = append(out, cur)
	}
	return out
}

// barcode128C is the printer's own Code 128 of a string of an even number
// of digits, all in code set C (two digits a symbol): GS h height, GS w
// module, GS H 0 (the digits are not printed under it: the receipt prints
// the sale key itself), then GS k 73 n "{C" and one byte (0–99) per pair.
// The printer adds the check symbol and the stop pattern.
func barcode128C(digits string, module byte) []byte {
	data := []byte{'{', 'C'}
	for i := 0; i+1 < len(digits); i += 2 {
		data = append(data, (digits[i]-'0')*10+(digits[i+1]-'0'))
	}
	out := []byte{gs, 'h', 96, gs, 'w', module, gs, 'H', 0, gs, 'k', 73, byte(len(data))}
	return append(out, data...)
}

// barcode128B is the printer's own Code 128 of printable ASCII in code set
// B (one character a symbol): GS h, GS w, GS H 0 (the text is printed
// under it as a line of its own), then GS k 73 n "{B" and the bytes. A "{"
// in the data would be read as a code set switch, so it is sent as "{{".
func barcode128B(text []byte, module byte) []byte {
	data := []byte{'{', 'B'}
	for _, c := range text {
		if c == '{' {
			data = append(data, '{')
		}
		data = append(data, c)
	}
	out := []byte{gs, 'h', 96, gs, 'w', module, gs, 'H', 0, gs, 'k', 73, byte(len(data))}
	return append(out, data...)
}
