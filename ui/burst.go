package ui

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
)

// A keyboard-wedge scanner types a whole code and Enter far faster than a
// person can. The root model tells the two apart before any screen sees a
// key, so a scan is never taken as a cash amount, a quantity, a PIN or
// search text, whichever screen is showing.
//
// The rule: at least burstMinChars printable keys and then Enter, each key
// arriving within burstGap of the one before. Scanners send a key every
// 1–16 ms (a USB HID report per key press and per release, polled every
// 1–8 ms); a person's keys come 80–250 ms apart, and even a fast typist's
// quickest pairs of keys are rarely under 30–40 ms, never five in a row
// with the Enter. onScan.js and jQuery scannerDetection, which make the same
// call in browsers, use 30 ms a character too. The shortest code a scanner
// sends here is an EAN-8 or UPC-E (8 digits); 4 leaves room for short
// in-store codes while a PIN or a cash amount typed by hand stays typing.
const (
	burstGap      = 30 * time.Millisecond
	burstMinChars = 4
)

// burst sorts key presses into typing and scans. Printable keys are held
// while they might be the start of a burst: they are handed on as soon as
// the next key shows they are not (a pause longer than burstGap, or a key
// that is not printable), or when the flush timer fires burstGap after the
// last of them. A person therefore sees a typed key at most burstGap late,
// and no key is ever dropped.
type burst struct {
	held []tea.KeyPressMsg
	last time.Time // when the last held key arrived
	seq  int       // counts held keys, so a flush timer knows it is stale
}

// burstFlushMsg is the timer that hands on held keys when no more came.
type burstFlushMsg struct{ seq int }

// feed takes a key press that arrived at now. It returns the keys to hand
// to the screen, in order, and, when the key completes a burst, the code
// (the held keys are then consumed, the Enter too). hold reports that keys
// are held: the caller arms a flush timer for seq.
func (b *burst) feed(k tea.KeyPressMsg, now time.Time) (keys []tea.KeyPressMsg, code string, hold bool) {
	if len(b.held) > 0 && now.Sub(b.last) > burstGap {
		keys, b.held = b.held, nil // too slow: what was held was typed
	}
	switch {
	case printable(k):
		b.held = append(b.held, k)
		b.last = now
		b.seq++
		return keys, "", true
	case k.Code == tea.KeyEnter && k.Mod == 0 && utf8.RuneCountInString(heldText(b.held)) >= burstMinChars:
		// Characters, not key messages: a terminal may hand several
		// characters read at once over as one key with a longer Text.
		code = heldText(b.held)
		b.held = nil
		return keys, code, false
	}
	keys = append(keys, b.held...)
	b.held = nil
	return append(keys, k), "", false
}

// flush hands on the held keys if no key came since the timer for seq was
// armed.
func (b *burst) flush(seq int) []tea.KeyPressMsg {
	if seq != b.seq || len(b.held) == 0 {
		return nil
	}
	keys := b.held
	b.held = nil
	return keys
}

// pending reports how many keys are held.
func (b *burst) pending() int { return len(b.held) }

// printable reports whether k types text (a scanner sends nothing else
// before its Enter).
func printable(k tea.KeyPressMsg) bool {
	if k.Text == "" || k.Mod&^tea.ModShift != 0 {
		return false
	}
	for _, r := range k.Text {
		if r < ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

func heldText(keys []tea.KeyPressMsg) string {
	var s strings.Builder
	for _, k := range keys {
		s.WriteString(k.Text)
	}
	return s.String()
}

// keyIn is where every key press enters the model: the burst detector
// first, then the keys it hands on, then the scan it found.
func (m *Model) keyIn(k tea.KeyPressMsg) tea.Cmd {
	keys, code, hold := m.burst.feed(k, m.now())
	cmds := m.press(keys)
	if code != "" {
		cmds = append(cmds, m.scanned(code))
	}
	if hold {
		cmds = append(cmds, m.after(burstGap, burstFlushMsg{seq: m.burst.seq}))
	}
	return tea.Batch(cmds...)
}

// press hands typed keys on: global keys first, then the active screen.
func (m *Model) press(keys []tea.KeyPressMsg) []tea.Cmd {
	var cmds []tea.Cmd
	for _, k := range keys {
		if cmd, done := m.globalKey(k); done {
			cmds = append(cmds, cmd)
			continue
		}
		cmds = append(cmds, m.screens[m.active].update(m, k))
	}
	return cmds
}

// scanTaker is a screen that takes a scanner burst itself (the basket).
type scanTaker interface {
	scanned(m *Model, code string) tea.Cmd
}

// scanned handles a scanner burst on whatever screen is showing: where a
// basket can take it, it goes into the basket's scan field (after what the
// cashier typed there, so "3*" then a scan still sells three); elsewhere it
// is refused with a message naming the code. A question waiting for y/n is
// answered no: a scan is never a yes.
//
// On the tender screen, a sale that is still open takes the scan: the
// customer handed over one more thing before paying, which is what a
// scan means, and the basket comes back with the new line and total so the
// cashier sees what changed before pressing pay again. A sale already
// recorded (a card taken) cannot change, so the scan is refused there.
func (m *Model) scanned(code string) tea.Cmd {
	if m.confirm != nil {
		m.confirm = nil
		m.log.Info("question left unanswered: a scan came", "code", code)
	}
	switch m.active {
	case screenSignIn:
		return m.reject(fmt.Sprintf("scanned %s: sign in first", code))
	case screenPayment:
		return m.reject(fmt.Sprintf("scanned %s: a card payment is in progress: wait for it, or %s to cancel it",
			code, m.km.Esc.Help().Key))
	case screenTender:
		if m.sale.Recording() {
			return m.reject(fmt.Sprintf("scanned %s: the sale is being recorded: scan it again for the next sale", code))
		}
		if err := m.editable(); err != nil {
			return m.reject(fmt.Sprintf("scanned %s: finish paying first, or void the sale (%s)",
				code, m.km.VoidSale.Help().Key))
		}
		m.goTo(screenBasket)
	case screenSearch, screenCustomer:
		m.goTo(screenBasket)
	}
	s := m.screens[m.active]
	if t, ok := s.(scanTaker); ok {
		return t.scanned(m, code)
	}
	// The done screen's field starts the next sale: the scan goes there
	// as if typed, Enter included.
	var cmds []tea.Cmd
	for _, r := range code {
		cmds = append(cmds, s.update(m, tea.KeyPressMsg{Code: r, Text: string(r)}))
	}
	return tea.Batch(append(cmds, s.update(m, tea.KeyPressMsg{Code: tea.KeyEnter}))...)
}
