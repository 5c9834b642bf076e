package ui

import "testing"

func TestBigText(t *testing.T) {
	// € has no glyph and sits on the middle row; every glyph is followed
	// by a space.
	want := "  " + "    " + "  " + " _  " + "\n" +
		"€ " + "  | " + "  " + " _| " + "\n" +
		"  " + "  | " + ". " + "|_  "
	if got := bigText("€1.2"); got != want {
		t.Errorf("bigText(€1.2):\ngot\n%s\nwant\n%s", got, want)
	}
	var rows [3]string
	if allocs := testing.AllocsPerRun(100, func() { rows, _ = glyph('8') }); allocs != 0 {
		t.Errorf("glyph: got %v allocations per call, want 0", allocs)
	}
	if rows[0] == "" {
		t.Errorf("glyph('8'): got no rows")
	}
}
