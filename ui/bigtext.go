package ui

import "strings"

// glyph is a seven-segment font three rows high, plain ASCII so it reads
// on any terminal and without colour: the change due must be seen from
// across the counter. A switch of constants: nothing is built per call.
func glyph(r rune) ([3]string, bool) {
	switch r {
	case '0':
		return [3]string{" _ ", "| |", "|_|"}, true
	case '1':
		return [3]string{"   ", "  |", "  |"}, true
	case '2':
		return [3]string{" _ ", " _|", "|_ "}, true
	case '3':
		return [3]string{" _ ", " _|", " _|"}, true
	case '4':
		return [3]string{"   ", "|_|", "  |"}, true
	case '5':
		return [3]string{" _ ", "|_ ", " _|"}, true
	case '6':
		return [3]string{" _ ", "|_ ", "|_|"}, true
	case '7':
		return [3]string{" _ ", "  |", "  |"}, true
	case '8':
		return [3]string{" _ ", "|_|", "|_|"}, true
	case '9':
		return [3]string{" _ ", "|_|", " _|"}, true
	case '.':
		return [3]string{" ", " ", "."}, true
	case ',':
		return [3]string{" ", " ", ","}, true
	case '-':
		return [3]string{"   ", " _ ", "   "}, true
	case ' ':
		return [3]string{" ", " ", " "}, true
	}
	return [3]string{}, false
}

// bigText renders s three rows high; characters without a glyph (the
// currency symbol) sit on the middle row.
func bigText(s string) string {
	var rows [3]strings.Builder
	for _, r := range s {
		g, ok := glyph(r)
		if !ok {
			g = [3]string{" ", string(r), " "}
		}
		for i := range rows {
			rows[i].WriteString(g[i])
			rows[i].WriteByte(' ')
		}
	}
	return rows[0].String() + "\n" + rows[1].String() + "\n" + rows[2].String()
}
