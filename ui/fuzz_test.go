package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
)

// The keyboard paths that parse what the cashier types: the cash amount
// and the quantity. (The scan parser is fuzzed in pos.)

func FuzzCashEntry(f *testing.F) {
	for _, s := range []string{"10", "7,36", "0.5", ".5", "1.234", "", "99999999999999", "1,2,3", "-1", "١٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		r := newRig(t, true)
		r.scan("4006381333931") // €1.29
		r.key("f5")
		r.typeText(typed)
		r.key("enter")
		given := r.m.sale.CashGiven()
		if given < 0 || given > pos.MaxMoney {
			t.Fatalf("cash given %d from %q: want 0 to MaxMoney", given, typed)
		}
		v, err := parseAmount(pos.EUR(), typed)
		if err == nil && v < 0 {
			t.Fatalf("parseAmount(%q) = %d, want never negative", typed, v)
		}
		if r.m.active == screenDone {
			d := r.m.screens[screenDone].(*doneScreen)
			if d.sale.Paid() != d.sale.Totals.Total+d.sale.CashRounding {
				t.Fatalf("done with %q: paid %d, want %d", typed, d.sale.Paid(), d.sale.Totals.Total)
			}
		}
	})
}

func FuzzQuantityEntry(f *testing.F) {
	for _, s := range []string{"3", "0", "9999", "10000", "", "007", "+5", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		q, err := parseQuantity(typed)
		if err == nil && (q < 1 || q > pos.MaxQuantity) {
			t.Fatalf("parseQuantity(%q) = %d, want 1 to %d or an error", typed, q, pos.MaxQuantity)
		}
		r := newRig(t, true)
		r.scan("4006381333931")
		r.key("f2")
		r.typeText(typed)
		r.key("enter")
		if err == nil && q > defaultMaxQuantityUnconfirmed {
			if r.m.confirm == nil {
				t.Fatalf("quantity %d from %q taken without asking", q, typed)
			}
			r.key("y")
		}
		l := r.m.sale.Lines()[0]
		if l.Quantity < 1 || l.Quantity > pos.MaxQuantity {
			t.Fatalf("quantity after typing %q: got %d", typed, l.Quantity)
		}
		if err == nil && l.Quantity != q {
			t.Fatalf("quantity after typing %q: got %d, want %d", typed, l.Quantity, q)
		}
	})
}

// burstCodes are what the fuzzer's scanner reads: items, the EAN-8 that
// once became €96,385,074.00 of cash, a loyalty card, a scale label, a bad
// check digit and short codes of digits that look like amounts.
var burstCodes = []string{milk.Code, bread.Code, "96385074", loyaltyCard, applesLabel, "4006381333932", "4011", "12345"}

// burstStart takes a rig to one of the till's screens.
func burstStart(t *testing.T, which byte) *rig {
	r := newRig(t, which != 0)
	switch which % 10 {
	case 2: // a basket with a line
		r.scan(milk.Code)
	case 3: // the quantity prompt
		r.scan(milk.Code)
		r.key("f2")
	case 4:
		r.key("f3")
	case 5:
		r.key("f4")
	case 6: // tender, €0.30 left in cash
		r.scan(milk.Code)
		r.key("f5")
		r.typeText("0.99")
		r.key("enter")
	case 7: // tender after a card: the sale is recorded
		r.scan(milk.Code)
		r.key("f5")
		r.typeText("1")
		r.key("f5")
	case 8: // a card payment in flight
		r.reader.hold = true
		r.scan(milk.Code)
		r.key("f5")
		r.key("f5")
	case 9:
		r.scan(milk.Code)
		r.key("f5")
		r.key("f2")
	}
	return r
}

var fuzzKeys = []string{"enter", "esc", "f2", "f3", "f4", "f5", "f8", "f9", "up", "down", "backspace", "tab"}

const fuzzChars = "0123456789.,*ynab "

// FuzzScannerBursts types random scanner bursts and keystrokes into every
// screen and checks that no burst becomes a payment, no quantity above
// the limit goes in unconfirmed, and no key is lost: every typed key
// reaches the screen, every burst has an answer on screen.
func FuzzScannerBursts(f *testing.F) {
	for i := range 10 {
		f.Add(byte(i), []byte{0, 4, 1, 8, 2, 0})
		f.Add(byte(i), []byte{12, 3, 1, 1, 9, 16, 2, 5})
	}
	f.Add(byte(6), []byte{0, 2})                    // the €0.30 case: the EAN-8 on the tender screen
	f.Add(byte(9), []byte{1, 9, 1, 9, 1, 12, 0, 0}) // "99*" then a scan on the done screen
	f.Add(byte(2), []byte{1, 0x20, 1, 0x24, 1, 8, 1, 8, 1, 0x38, 0, 0, 1, 0x34})
	f.Fuzz(func(t *testing.T, start byte, ops []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		r := burstStart(t, start)
		m := r.m
		confirmedBig := false
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%4, int(ops[i+1])
			switch op {
			case 0, 3: // a burst: a known code, or digits
				code := burstCodes[arg%len(burstCodes)]
				if op == 3 {
					code = fmt.Sprintf("%013d", 1000+arg*7919)[9-arg%10:] // 4 to 13 digits
				}
				before, cash, card, done := m.active, m.sale.CashGiven(), m.sale.CardPaid(), len(r.db.completed())
				lines := len(m.sale.Lines())
				m.status = status{text: "\x00"}
				r.scan(code)
				if len(r.db.completed()) != done || (m.active != screenDone && (m.sale.CashGiven() > cash || m.sale.CardPaid() > card)) {
					t.Fatalf("scanning %s on screen %d paid: cash %d→%d, card %d→%d, completed %d→%d", code, before,
						cash, m.sale.CashGiven(), card, m.sale.CardPaid(), done, len(r.db.completed()))
				}
				if m.active == screenPayment && before != screenPayment {
					t.Fatalf("scanning %s on screen %d started a card payment", code, before)
				}
				if m.status.text == "\x00" && m.confirm == nil && len(m.sale.Lines()) == lines {
					t.Fatalf("scanning %s on screen %d: no answer on screen", code, before)
				}
				if (before == screenSignIn || before == screenPayment) && !strings.Contains(m.status.text, "scanned "+code) {
					t.Fatalf("scanning %s on screen %d: status %q, want it refused by name", code, before, m.status.text)
				}
			case 1: // a printable key, by hand
				c := string(fuzzChars[arg%len(fuzzChars)])
				b := m.screens[screenBasket].(*basketScreen)
				tn := m.screens[screenTender].(*tenderScreen)
				inBasket := m.active == screenBasket && b.mode == basketScan && m.confirm == nil && len(b.scan.value) < b.scan.max
				inTender := m.active == screenTender && !m.sale.Recording() && m.confirm == nil &&
					len(tn.amount.value) < tn.amount.max && amountChars(rune(c[0]))
				field, amount := b.scan.String(), tn.amount.String()
				if m.confirm != nil && strings.Contains(m.confirm.question, "That is more than") && strings.EqualFold(c, "y") {
					confirmedBig = true
				}
				r.typeText(c)
				if inBasket && b.scan.String() != field+c {
					t.Fatalf("typed %q into the basket field %q: got %q", c, field, b.scan.String())
				}
				if inTender && tn.amount.String() != amount+c {
					t.Fatalf("typed %q into the amount %q: got %q", c, amount, tn.amount.String())
				}
			case 2: // a function key, by hand
				r.key(fuzzKeys[arg%len(fuzzKeys)])
				r.drain(10 * time.Second) // retries and a cancelled card come back
			}
			if n := m.burst.pending(); n != 0 {
				t.Fatalf("%d keys held after the keys were settled", n)
			}
			for _, l := range m.sale.Lines() {
				if !l.Weighed && l.Quantity > defaultMaxQuantityUnconfirmed && !confirmedBig {
					t.Fatalf("quantity %d of %s went in unconfirmed", l.Quantity, l.Name)
				}
			}
		}
	})
}
