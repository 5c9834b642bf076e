package ui

import (
	"strings"
	"testing"
)

// TestNewestLineInView: once the basket overflows, the newest line (the
// one F8 voids) was one row below the table ("58 lines · 41–57 shown").
func TestNewestLineInView(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}, {80, 20}} {
		r := newRig(t, true)
		r.send(tea_WindowSize(size[0], size[1]))
		for range 57 {
			r.scan(milk.Code)
		}
		r.scan(bread.Code)
		screen := r.screen()
		if !strings.Contains(screen, "› "+bread.Name) {
			t.Errorf("%dx%d: the newest line, %s, is not shown selected:\n%s", size[0], size[1], bread.Name, screen)
		}
		if !strings.Contains(screen, "–58 shown") {
			t.Errorf("%dx%d: the footer does not end the shown range at 58:\n%s", size[0], size[1], screen)
		}
		// Moving up keeps the selection in view all the way to the top.
		for i := 56; i >= 0; i-- {
			r.key("up")
			if !strings.Contains(r.screen(), "› ") {
				t.Fatalf("%dx%d: line %d selected but not shown:\n%s", size[0], size[1], i+1, r.screen())
			}
		}
		if !strings.Contains(r.screen(), " 1–") {
			t.Errorf("%dx%d: at the first line the footer does not start at 1:\n%s", size[0], size[1], r.screen())
		}
	}
}
