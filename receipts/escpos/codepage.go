package escpos

import (
	"strings"
	"unicode/utf8"
)

// The receipt prints in code page PC858 (ESC t 19): PC850, the DOS
// Western European page, with the euro sign at 0xD5. It has €, £, ¥, the
// accented letters of the Western European languages, ß, Æ, Ø and Å.

// CodePage is PC858's number in ESC t.
const CodePage = 19

// cp858 is what bytes 0x80 to 0xFF print in PC858.
var cp858 = [128]rune{
	0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7,
	0x00EA, 0x00EB, 0x00E8, 0x00EF, 0x00EE, 0x00EC, 0x00C4, 0x00C5,
	0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,
	0x00FF, 0x00D6, 0x00DC, 0x00F8, 0x00A3, 0x00D8, 0x00D7, 0x0192,
	0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA, 0x00BA,
	0x00BF, 0x00AE, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x00C1, 0x00C2, 0x00C0,
	0x00A9, 0x2563, 0x2551, 0x2557, 0x255D, 0x00A2, 0x00A5, 0x2510,
	0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x00E3, 0x00C3,
	0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x00A4,
	0x00F0, 0x00D0, 0x00CA, 0x00CB, 0x00C8, 0x20AC, 0x00CD, 0x00CE,
	0x00CF, 0x2518, 0x250C, 0x2588, 0x2584, 0x00A6, 0x00CC, 0x2580,
	0x00D3, 0x00DF, 0x00D4, 0x00D2, 0x00F5, 0x00D5, 0x00B5, 0x00FE,
	0x00DE, 0x00DA, 0x00DB, 0x00D9, 0x00FD, 0x00DD, 0x00AF, 0x00B4,
	0x00AD, 0x00B1, 0x2017, 0x00BE, 0x00B6, 0x00A7, 0x00F7, 0x00B8,
	0x00B0, 0x00A8, 0x00B7, 0x00B9, 0x00B3, 0x00B2, 0x25A0, 0x00A0,
}

// fromCP858 is cp858 inverted.
var fromCP858 = func() map[rune]byte {
	m := make(map[rune]byte, len(cp858))
	for i, r := range cp858 {
		m[r] = byte(0x80 + i)
	}
	return m
}()

// fallback is what a character PC858 lacks prints as: the letter without its
// accent where that is plain, ASCII punctuation for typographic marks.
// Anything else prints as '?', so a missing character is seen, never
// silently dropped.
var fallback = map[rune]string{
	'—': "-", '–': "-", '‐': "-", '−': "-", '‘': "'", '’': "'", '‚': ",", '“': "\"", '”': "\"", '„': "\"",
	'…': "...", '•': "*", '\u202f': " ", '\u2009': " ",
	'Ą': "A", 'ą': "a", 'Ć': "C", 'ć': "c", 'Č': "C", 'č': "c", 'Ď': "D", 'ď': "d", 'Đ': "D", 'đ': "d",
	'Ę': "E", 'ę': "e", 'Ě': "E", 'ě': "e", 'Ė': "E", 'ė': "e", 'Ğ': "G", 'ğ': "g", 'İ': "I", 'ı': "i",
	'Ł': "L", 'ł': "l", 'Ľ': "L", 'ľ': "l", 'Ĺ': "L", 'ĺ': "l", 'Ń': "N", 'ń': "n", 'Ň': "N", 'ň': "n",
	'Ő': "O", 'ő': "o", 'Œ': "OE", 'œ': "oe", 'Ř': "R", 'ř': "r", 'Ŕ': "R", 'ŕ': "r",
	'Ś': "S", 'ś': "s", 'Š': "S", 'š': "s", 'Ş': "S", 'ş': "s", 'Ș': "S", 'ș': "s", 'Ť': "T", 'ť': "t", 'Ț': "T", 'ț': "t",
	'Ů': "U", 'ů': "u", 'Ű': "U", 'ű': "u", 'Ū': "U", 'ū': "u", 'Ÿ': "Y", 'Ź': "Z", 'ź': "z", 'Ż': "Z", 'ż': "z", 'Ž': "Z", 'ž': "z",
	'Ā': "A", 'ā': "a", 'Ē': "E", 'ē': "e", 'Ī': "I", 'ī': "i", 'Ă': "A", 'ă': "a",
}

// Encode writes s in PC858 for the printer. Control characters become
// spaces, so text can never be taken for a printer command.
func Encode(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			out = append(out, '?')
		case r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0):
			out = append(out, ' ')
		case r < 0x80:
			out = append(out, byte(r))
		default:
			if b, ok := fromCP858[r]; ok {
				out = append(out, b)
			} else if f, ok := fallback[r]; ok {
				out = append(out, f...)
			} else {
				out = append(out, '?')
			}
		}
	}
	return out
}

// Decode reads PC858 text back into UTF-8 (the tests' decoder uses it).
func Decode(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c < 0x80 {
			sb.WriteByte(c)
			continue
		}
		sb.WriteRune(cp858[c-0x80])
	}
	return sb.String()
}
