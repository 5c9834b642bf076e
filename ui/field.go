package ui

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// field is a one-line text entry. It is simpler than bubbles/textinput on
// purpose: no blinking cursor to schedule, no suggestions, and every
// printable character a scanner sends is appended in order, so a burst of
// keys is never reordered or dropped.
type field struct {
	value  []rune
	max    int
	mask   bool
	accept func(r rune) bool // nil: any printable character
}

// key applies a key press and reports whether the field used it.
func (f *field) key(msg tea.KeyPressMsg) bool {
	switch msg.String() {
	case "backspace":
		if len(f.value) > 0 {
			f.value = f.value[:len(f.value)-1]
		}
		return true
	case "ctrl+u":
		f.value = f.value[:0]
		return true
	}
	if msg.Text == "" || msg.Mod&^tea.ModShift != 0 {
		return false
	}
	for _, r := range msg.Text {
		f.insert(r)
	}
	return true
}

// insert appends r if the field accepts it.
func (f *field) insert(r rune) {
	if r < ' ' || r == 0x7f || f.accept != nil && !f.accept(r) {
		return
	}
	if f.max > 0 && len(f.value) >= f.max {
		return
	}
	f.value = append(f.value, r)
}

func (f *field) String() string { return string(f.value) }
func (f *field) empty() bool    { return len(f.value) == 0 }
func (f *field) reset()         { f.value = f.value[:0] }

// take returns the value and empties the field.
func (f *field) take() string {
	s := string(f.value)
	f.reset()
	return s
}

// render shows the field with a block cursor when focused.
func (f *field) render(focused bool) string {
	s := string(f.value)
	if f.mask {
		s = strings.Repeat("•", len(f.value))
	}
	if focused {
		return s + "█"
	}
	return s
}

func digitsOnly(r rune) bool { return r >= '0' && r <= '9' }

func amountChars(r rune) bool { return r >= '0' && r <= '9' || r == '.' || r == ',' }

// plural writes "1 item" or "3 items".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
