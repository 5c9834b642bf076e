// Package escpostest is a virtual ESC/POS receipt printer for tests: a TCP
// listener that records what it is sent and answers DLE EOT status
// requests (with faults to set), and a decoder of the ESC/POS the till
// sends, turning the bytes back into text lines, barcodes, cuts and
// drawer pulses.
package escpostest

import (
	"fmt"
	"strings"
	"time"

	"github.com/till-pos/till/receipts/escpos"
)

// Kind is what a decoded item is.
type Kind int

const (
	Text    Kind = iota // a printed line
	Barcode             // a Code 128 barcode
	Cut                 // the paper cut
	Pulse               // a drawer pulse
)

// Item is one thing the printer did, in order.
type Item struct {
	Kind Kind
	// Text: the line in UTF-8 (trailing spaces dropped) and how it was printed.
	Text                                 string
	Bold, Double, Reverse, Center, FontB bool
	// Barcode: what it carries (the digits of a code set C code, the text
	// of a set B one) and its module width in dots.
	Digits string
	Module int
	// Pulse: the drawer pin (2 or 5), how long it was driven, and whether
	// it was the real-time pulse (DLE DC4) rather than ESC p.
	Pin      int
	On       time.Duration
	RealTime bool
}

// Doc is a decoded job.
type Doc struct {
	Items []Item
	// Queries are the DLE EOT status requests, in order (their n).
	Queries []int
	// CodePage is the last ESC t; Init counts ESC @.
	CodePage, Init int
}

// Lines is the printed text lines.
func (d Doc) Lines() []Item { return d.of(Text) }

// Barcodes is the printed barcodes.
func (d Doc) Barcodes() []Item { return d.of(Barcode) }

// Pulses is the drawer pulses.
func (d Doc) Pulses() []Item { return d.of(Pulse) }

// Cuts is how many times the paper was cut.
func (d Doc) Cuts() int { return len(d.of(Cut)) }

func (d Doc) of(k Kind) []Item {
	var out []Item
	for _, it := range d.Items {
		if it.Kind == k {
			out = append(out, it)
		}
	}
	return out
}

// Text is the printed lines' text, one a line, as sent (not centred).
func (d Doc) Text() string {
	var b strings.Builder
	for _, l := range d.Lines() {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// String draws the job as the paper shows it, at cols characters a line:
// centred lines centred, double-size characters two columns wide;
// barcodes, cuts and drawer pulses in brackets. (Items has the styles.)
func (d Doc) String(cols int) string {
	var b strings.Builder
	for _, it := range d.Items {
		switch it.Kind {
		case Text:
			w := cols
			if it.FontB {
				w = cols * 4 / 3 // font B is 9 dots wide, font A 12
			}
			if it.Double {
				w = cols / 2
			}
			line := it.Text
			if it.Center {
				if pad := (w - len([]rune(line))) / 2; pad > 0 {
					line = strings.Repeat(" ", pad) + line
				}
			}
			if it.Double {
				line = spread(line)
			}
			b.WriteString(strings.TrimRight(line, " "))
		case Barcode:
			fmt.Fprintf(&b, "%s[CODE128 %s]", strings.Repeat(" ", max((cols-50)/2, 0)), it.Digits)
		case Cut:
			b.WriteString("[cut]")
		case Pulse:
			kind := "ESC p"
			if it.RealTime {
				kind = "DLE DC4"
			}
			fmt.Fprintf(&b, "[drawer pin %d, %v, %s]", it.Pin, it.On, kind)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// spread draws a double-width line at the paper's scale: each character
// followed by a space.
func spread(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
		b.WriteByte(' ')
	}
	return b.String()
}

// Decode reads a job for a printer widthMM wide (80 or 58). It fails on
// any byte it does not know, on text before ESC t 19 selects PC858, on a
// line wider than the paper, and on a barcode wider than the printable
// width, so whatever the encoder gets wrong shows.
func Decode(data []byte, widthMM int) (Doc, error) {
	cols, dots := escpos.Columns(widthMM), 576
	if widthMM == escpos.Width58 {
		dots = 384
	}
	var d Doc
	var bold, double, reverse, center, fontB bool
	module := 3
	var line []byte
	codePage := -1
	flush := func(at int) error {
		if len(line) > 0 && codePage != escpos.CodePage {
			return fmt.Errorf("byte %d: text in code page %d, not PC858", at, codePage)
		}
		w := cols
		if fontB {
			w = escpos.ColumnsB(widthMM)
		}
		if double {
			w /= 2
		}
		if len(line) > w {
			return fmt.Errorf("byte %d: a line of %d characters on a %d-character paper: %q", at, len(line), w, escpos.Decode(line))
		}
		d.Items = append(d.Items, Item{Kind: Text, Text: strings.TrimRight(escpos.Decode(line), " "),
			Bold: bold, Double: double, Reverse: reverse, Center: center, FontB: fontB})
		line = nil
		return nil
	}
	need := func(i, n int) error {
		if i+n > len(data) {
			return fmt.Errorf("byte %d: command cut short", i)
		}
		return nil
	}
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == 0x0A:
			if err := flush(i); err != nil {
				return d, err
			}
			i++
		case c >= 0x20 && c != 0x7F:
			line = append(line, c)
			i++
		case c == 0x1B: // ESC
			if err := need(i, 2); err != nil {
				return d, err
			}
			switch data[i+1] {
			case '@':
				d.Init++
				bold, double, reverse, center, fontB, module, codePage = false, false, false, false, false, 3, 0
				i += 2
				continue
			case 'p':
				if err := need(i, 5); err != nil {
					return d, err
				}
				m, t1 := data[i+2], data[i+3]
				pin := 2
				switch m {
				case 0, '0':
				case 1, '1':
					pin = 5
				default:
					return d, fmt.Errorf("byte %d: ESC p with m %d", i, m)
				}
				d.Items = append(d.Items, Item{Kind: Pulse, Pin: pin, On: time.Duration(t1) * 2 * time.Millisecond})
				i += 5
				continue
			}
			if err := need(i, 3); err != nil {
				return d, err
			}
			n := data[i+2]
			switch data[i+1] {
			case 't':
				codePage = int(n)
				d.CodePage = codePage
			case 'M':
				switch n {
				case 0, '0':
					fontB = false
				case 1, '1':
					fontB = true
				default:
					return d, fmt.Errorf("byte %d: font %d: the layout counts font A's and B's characters", i, n)
				}
			case 'E':
				bold = n&1 == 1
			case 'a':
				center = n == 1 || n == '1'
			case 'J': // feed n dots: a gap, no text
			case 'd': // print and feed n lines
				if err := flush(i); err != nil {
					return d, err
				}
				for range int(n) - 1 {
					d.Items = append(d.Items, Item{Kind: Text})
				}
			default:
				return d, fmt.Errorf("byte %d: unknown command ESC %q", i, data[i+1])
			}
			i += 3
		case c == 0x1D: // GS
			if err := need(i, 3); err != nil {
				return d, err
			}
			n := data[i+2]
			switch data[i+1] {
			case '!':
				if n != 0 && n != 0x11 {
					return d, fmt.Errorf("byte %d: GS ! %#x: only normal and double size are sent", i, n)
				}
				double = n == 0x11
			case 'B':
				reverse = n&1 == 1
			case 'h', 'H':
			case 'w':
				module = int(n)
			case 'V':
				switch n {
				case 0, 1, '0', '1':
				case 65, 66:
					if err := need(i, 4); err != nil {
						return d, err
					}
					i++
				default:
					return d, fmt.Errorf("byte %d: GS V %d", i, n)
				}
				if len(line) > 0 {
					return d, fmt.Errorf("byte %d: cut with text still in the line buffer", i)
				}
				d.Items = append(d.Items, Item{Kind: Cut})
			case 'k':
				if n != 73 {
					return d, fmt.Errorf("byte %d: barcode type %d, want 73 (CODE128)", i, n)
				}
				if err := need(i, 4); err != nil {
					return d, err
				}
				size := int(data[i+3])
				if err := need(i+4, size); err != nil {
					return d, err
				}
				digits, symbols, err := code128(data[i+4 : i+4+size])
				if err != nil {
					return d, fmt.Errorf("byte %d: %v", i, err)
				}
				// start + symbols + check (11 modules each) + stop (13)
				width := (11*(symbols+2) + 13) * module
				if width > dots {
					return d, fmt.Errorf("byte %d: a barcode %d dots wide on a %d-dot paper", i, width, dots)
				}
				d.Items = append(d.Items, Item{Kind: Barcode, Digits: digits, Module: module})
				i += 4 + size
				continue
			default:
				return d, fmt.Errorf("byte %d: unknown command GS %q", i, data[i+1])
			}
			i += 3
		case c == 0x10: // DLE
			if err := need(i, 3); err != nil {
				return d, err
			}
			switch data[i+1] {
			case 0x04:
				d.Queries = append(d.Queries, int(data[i+2]))
				i += 3
			case 0x14:
				if err := need(i, 5); err != nil {
					return d, err
				}
				if data[i+2] != 1 || data[i+3] > 1 || data[i+4] < 1 || data[i+4] > 8 {
					return d, fmt.Errorf("byte %d: DLE DC4 % x", i, data[i+2:i+5])
				}
				d.Items = append(d.Items, Item{Kind: Pulse, Pin: 2 + 3*int(data[i+3]),
					On: time.Duration(data[i+4]) * 100 * time.Millisecond, RealTime: true})
				i += 5
			default:
				return d, fmt.Errorf("byte %d: unknown command DLE %#x", i, data[i+1])
			}
		default:
			return d, fmt.Errorf("byte %d: unexpected control byte %#x", i, c)
		}
	}
	if len(line) > 0 {
		return d, fmt.Errorf("the job ends with %q not printed (no LF)", escpos.Decode(line))
	}
	return d, nil
}

// code128 reads GS k 73 data in one code set: "{C" then one byte (0–99)
// for each pair of digits, or "{B" then printable ASCII ("{{" is a "{").
// It returns what the code carries and how many data symbols it has.
func code128(data []byte) (string, int, error) {
	if len(data) < 2 || data[0] != '{' || (data[1] != 'C' && data[1] != 'B') {
		return "", 0, fmt.Errorf("CODE128 data % x does not start in code set B or C", data)
	}
	var b strings.Builder
	symbols := 0
	for i := 2; i < len(data); i++ {
		v := data[i]
		symbols++
		if data[1] == 'C' {
			if v > 99 {
				return "", 0, fmt.Errorf("CODE128 set C value %d", v)
			}
			fmt.Fprintf(&b, "%02d", v)
			continue
		}
		if v == '{' {
			if i+1 >= len(data) || data[i+1] != '{' {
				return "", 0, fmt.Errorf("CODE128 set B: a code set switch inside the data")
			}
			i++
		}
		if v < 0x20 || v > 0x7E {
			return "", 0, fmt.Errorf("CODE128 set B value %#x", v)
		}
		b.WriteByte(v)
	}
	return b.String(), symbols, nil
}
