package ui

import "strings"

// glyph is a seven-segment font three rows high, plain ASCII so it reads
// on any terminal and without colour: the change due must be seen from
// across the counter.
func glyph(r rune) ([3]string, bool) {
	g, ok := map[rune][3]string{
		'0': {" _ ", "| |", "|_|"},
		'1': {"   ", "  |", "  |"},
		'2': {" _ ", " _|", "|_ "},
		'3': {" _ ", " _|", " _|"},
		'4': {"   ", "|_|", "  |"},
		'5': {" _ ", "|_ ", " _|"},
		'6': {" _ ", "|_ ", "|_|"},
		'7': {" _ ", "  |", "  |"},
		'8': {" _ ", "|_|", "|_|"},
		'9': {" _ ", "|_|", " _|"},
		'.': {" ", " ", "."},
		',': {" ", " ", ","},
		'-': {"   ", " _ ", "   "},
		' ': {" ", " ", " "},
	}[r]
	return g, ok
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
