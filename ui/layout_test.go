package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
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

// sizeState is a screen in its fullest state and what must be in view on
// it: each entry's words (split at |) on one line, a repeated word as
// often as repeated.
type sizeState struct {
	name string
	make func(t *testing.T) *rig
	want func(r *rig) []string
}

func hasLine(screen string, words ...string) bool {
	for _, l := range strings.Split(screen, "\n") {
		all := true
		for _, w := range words {
			i := strings.Index(l, w)
			if i < 0 {
				all = false
				break
			}
			l = l[:i] + l[i+len(w):]
		}
		if all {
			return true
		}
	}
	return false
}

func sizeStates() []sizeState {
	total := func(r *rig) string { return r.m.money(r.m.sale.Totals().Total) }
	return []sizeState{
		{"sign-in", func(t *testing.T) *rig { return newRig(t, false) },
			func(r *rig) []string { return []string{"Cashier number", "PIN"} }},
		{"basket", func(t *testing.T) *rig {
			r := newRig(t, true)
			r.scan(milk.Code)
			r.scan(loyaltyCard)
			return r
		}, func(r *rig) []string { return []string{"Scan ›", "TOTAL|" + total(r), "Whole|€1.29|€1.29"} }},
		{"tender", func(t *testing.T) *rig {
			r := newRig(t, true)
			r.scan(milk.Code)
			r.scan(milk.Code)
			r.scan(loyaltyCard)
			r.key("f5")
			r.typeText("1")
			r.key("f5")
			r.typeText("1")
			r.key("enter")
			return r
		}, func(r *rig) []string {
			return []string{"Cash given ›", "TOTAL|" + total(r), "Due|€0.58", "F9 void sale"}
		}},
		{"done", func(t *testing.T) *rig {
			r := newRig(t, true)
			r.scan(milk.Code)
			r.scan(loyaltyCard)
			r.key("f5")
			r.typeText("1")
			r.key("f5")
			r.key("f4") // a €10 note
			return r
		}, func(r *rig) []string { return []string{"CHANGE DUE", "Scan to start the next sale"} }},
		{"search", func(t *testing.T) *rig {
			r := newRig(t, true)
			r.key("f3")
			r.typeText("milk")
			return r
		}, func(r *rig) []string { return []string{"Name › milk", "Whole milk"} }},
		{"customer", func(t *testing.T) *rig {
			r := newRig(t, true)
			r.key("f4")
			return r
		}, func(r *rig) []string { return []string{"Phone, email, name or card ›"} }},
		{"return", func(t *testing.T) *rig {
			r := newReturnRig(t, 100)
			r.scan(r.receipt())
			for _, q := range []string{"3", "1", "482"} {
				r.typeText(q)
				r.key("enter")
				r.key("down")
			}
			return r.rig
		}, func(r *rig) []string {
			return []string{"Return from sale 41", "Whole", "Sourdou", "Apples", "REFUND €8.80", "approves",
				"Return of Apples", "F9 void the sale"}
		}},
		{"approval", func(t *testing.T) *rig {
			r := newReturnRig(t, 0)
			r.key("f7")
			r.typeText("900")
			return r.rig
		}, func(r *rig) []string {
			return []string{"Manager approval", "a return without a receipt", "Manager number 900", "esc cancel"}
		}},
		{"return done", func(t *testing.T) *rig {
			r := newReturnRig(t, 0)
			r.scan(r.receipt())
			for _, q := range []string{"3", "1", "482"} {
				r.typeText(q)
				r.key("enter")
				r.key("down")
			}
			r.key("enter")
			r.key("y")
			return r.rig
		}, func(r *rig) []string {
			return []string{"Return complete", "Card visa ••4242", "GIVE BACK CASH", "|_|", "F2 print", "Scan to start the next sale"}
		}},
		{"basket, till not opened", func(t *testing.T) *rig {
			r := newOfficeRig(t, 0)
			r.scan(milk.Code)
			r.scan(loyaltyCard)
			return r.rig
		}, func(r *rig) []string {
			return []string{"Till not opened", "Scan ›", "TOTAL|" + total(r), "Whole|€1.29|€1.29"}
		}},
		{"office count", func(t *testing.T) *rig {
			r := newOfficeRig(t, 0)
			r.office()
			for _, k := range []string{"down", "down", "down", "down", "2"} {
				r.key(k)
			}
			return r.rig
		}, func(r *rig) []string {
			return []string{"Count the float", "€50.00|×|2|€100.00", "Counted €100.00", "F5 count done"}
		}},
		{"office paid out", func(t *testing.T) *rig {
			r := newOfficeRig(t, 100_00)
			r.office()
			for _, k := range []string{"3", "1", "2", ".", "5", "0", "enter"} {
				r.key(k)
			}
			return r.rig
		}, func(r *rig) []string {
			return []string{"Paid out", "Amount › 12.50", "supplier paid in cash", "petty cash: cleaning", "A manager approves"}
		}},
		{"office X", func(t *testing.T) *rig {
			r := newOfficeRig(t, 100_00)
			r.office()
			r.key("1")
			return r.rig
		}, func(r *rig) []string {
			return []string{"X REPORT", "Opening float|€100.00", "lines 1–", "F2 print"}
		}},
	}
}

// fits reports whether the till's frame at w×h shows everything st wants.
func fits(r *rig, st sizeState, w, h int) bool {
	r.send(tea_WindowSize(w, h))
	s := ansi.Strip(r.m.frame().Content)
	for _, want := range st.want(r) {
		if !hasLine(s, strings.Split(want, "|")...) {
			return false
		}
	}
	return true
}

// TestSmallestWindow: minWidth×minHeight is the real minimum: every screen
// fits whole there and in any larger window, and one column or one row
// less loses something on some screen.
func TestSmallestWindow(t *testing.T) {
	lessW, lessH := false, false
	for _, st := range sizeStates() {
		for _, banner := range []bool{false, true} {
			r := st.make(t)
			if banner {
				r.m.dbDown = "the database is unreachable"
			}
			for _, size := range [][2]int{{minWidth, minHeight}, {80, minHeight}, {80, 24}, {minWidth, 30}, {132, 40}} {
				if !fits(r, st, size[0], size[1]) {
					t.Errorf("%s (banner %v) at %dx%d: something is missing:\n%s", st.name, banner, size[0], size[1],
						ansi.Strip(r.m.frame().Content))
				}
			}
			lessW = lessW || !fits(r, st, minWidth-1, 40)
			lessH = lessH || !fits(r, st, 132, minHeight-1)
		}
	}
	if !lessW || !lessH {
		t.Errorf("the minimum is not tight: %d columns lose something: %v; %d rows: %v", minWidth-1, lessW, minHeight-1, lessH)
	}
}

// TestTooSmallWindow: at 60×15 and 80×15 the scan line and TOTAL used to
// vanish without a word. The till now says how big the window must be,
// and a scan typed meanwhile still reaches the basket.
func TestTooSmallWindow(t *testing.T) {
	for _, size := range [][2]int{{60, 15}, {80, 15}, {40, 8}} {
		r := newRig(t, true)
		r.send(tea_WindowSize(size[0], size[1]))
		r.scan(milk.Code)
		r.typeText("2*")
		r.scan(bread.Code)
		screen := r.screen()
		if n := len(strings.Split(r.m.View().Content, "\n")); n != size[1] {
			t.Errorf("%dx%d: got %d lines, want %d", size[0], size[1], n, size[1])
		}
		for _, want := range []string{fmt.Sprintf("Make it at least %dx%d", minWidth, minHeight), "more row", "TOTAL €8.27", "added Sourdough"} {
			if !strings.Contains(strings.ReplaceAll(screen, "×", "x"), want) && size[0] >= 60 {
				t.Errorf("%dx%d: %q not shown:\n%s", size[0], size[1], want, screen)
			}
		}
		if l := r.m.sale.Lines(); len(l) != 2 || l[1].Quantity != 2 {
			t.Fatalf("%dx%d: lines %+v, want milk and 2 bread", size[0], size[1], l)
		}
		r.send(tea_WindowSize(80, 24))
		if s := r.screen(); !strings.Contains(s, "Sourdough bread") || !strings.Contains(s, "Scan ›") {
			t.Errorf("back at 80x24 the basket is not shown whole:\n%s", s)
		}
	}
}
