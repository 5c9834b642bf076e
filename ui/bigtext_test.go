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
	if allocs := testing.AllocsPerRun(100, func() { glyph('8') }); allocs != 0 {
		t.Errorf("glyph: got %v allocations per call, want 0", allocs)
	}
}
