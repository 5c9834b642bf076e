package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// A step of TestBurstFeed: after, then a key ("enter", "f5" or one
// character).
type fed struct {
	after time.Duration
	key   string
}

func keys(gap time.Duration, s string) []fed {
	var out []fed
	for _, c := range s {
		out = append(out, fed{gap, string(c)})
	}
	return out
}

func TestBurstFeed(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		steps []fed
		flush bool   // the flush timer fires at the end
		typed string // what the screen got, Enter as ⏎ and other keys as [name]
		codes []string
	}{
		{"scanner EAN-8", append(keys(2*ms, "96385074"), fed{2 * ms, "enter"}), false, "", []string{"96385074"}},
		{"scanner at 30 ms a key", append(keys(30*ms, "96385074"), fed{30 * ms, "enter"}), false, "", []string{"96385074"}},
		{"31 ms is a person", append(keys(31*ms, "96385074"), fed{31 * ms, "enter"}), false, "96385074⏎", nil},
		{"a person types cash", append(keys(150*ms, "12.50"), fed{150 * ms, "enter"}), false, "12.50⏎", nil},
		{"three quick keys are not a scan", append(keys(2*ms, "123"), fed{2 * ms, "enter"}), false, "123⏎", nil},
		{"four are", append(keys(2*ms, "4011"), fed{2 * ms, "enter"}), false, "", []string{"4011"}},
		{"slow Enter after a fast code", append(keys(2*ms, "96385074"), fed{200 * ms, "enter"}), false, "96385074⏎", nil},
		{"typed prefix then a scan", append(append(keys(150*ms, "3*4"), keys(2*ms, "0063813")...), fed{2 * ms, "enter"}),
			false, "3*", []string{"40063813"}},
		// The key just before a burst cannot be told from its first: a key
		// typed by hand less than burstGap before a scan joins it.
		{"a key a hair before a scan", append(append(keys(150*ms, "3"), keys(2*ms, "40063813")...), fed{2 * ms, "enter"}),
			false, "", []string{"340063813"}},
		{"fast keys without Enter are typing", keys(2*ms, "abcdef"), true, "abcdef", nil},
		{"a function key ends the burst", append(keys(2*ms, "9638"), fed{2 * ms, "f5"}, fed{2 * ms, "enter"}),
			false, "9638[f5]⏎", nil},
		{"two scans back to back", append(append(append(keys(2*ms, "96385074"), fed{2 * ms, "enter"}),
			keys(2*ms, "40063813")...), fed{2 * ms, "enter"}), false, "", []string{"96385074", "40063813"}},
		{"characters read together in one key", []fed{{150 * ms, "9638"}, {1 * ms, "5074"}, {1 * ms, "enter"}},
			false, "", []string{"96385074"}},
		{"held keys wait for the timer", keys(150*ms, "7"), false, "", nil},
		{"the timer hands them on", keys(150*ms, "7"), true, "7", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b burst
			now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
			var typed strings.Builder
			var codes []string
			show := func(ks []tea.KeyPressMsg) {
				for _, k := range ks {
					switch {
					case k.Code == tea.KeyEnter:
						typed.WriteString("⏎")
					case k.Text != "":
						typed.WriteString(k.Text)
					default:
						typed.WriteString("[" + k.String() + "]")
					}
				}
			}
			var seq int
			for _, st := range tt.steps {
				now = now.Add(st.after)
				ks, code, hold := b.feed(keyPress(st.key), now)
				show(ks)
				if code != "" {
					codes = append(codes, code)
				}
				if hold {
					seq = b.seq
				}
			}
			if tt.flush {
				show(b.flush(seq))
			}
			if typed.String() != tt.typed {
				t.Errorf("typed: got %q, want %q", typed.String(), tt.typed)
			}
			if strings.Join(codes, ",") != strings.Join(tt.codes, ",") {
				t.Errorf("scans: got %q, want %q", codes, tt.codes)
			}
			if tt.flush && b.pending() != 0 {
				t.Errorf("%d keys still held after the flush", b.pending())
			}
		})
	}
	t.Run("a stale timer hands nothing on", func(t *testing.T) {
		var b burst
		now := time.Now()
		_, _, _ = b.feed(keyPress("1"), now)
		old := b.seq
		_, _, _ = b.feed(keyPress("2"), now.Add(time.Millisecond))
		if ks := b.flush(old); ks != nil {
			t.Errorf("stale flush: got %d keys, want none", len(ks))
		}
		if ks := b.flush(b.seq); len(ks) != 2 {
			t.Errorf("flush: got %d keys, want 2", len(ks))
		}
	})
}

// payingWith30CentsLeft is a rig on the tender screen: milk (€1.29) in the
// basket and €0.99 cash taken, so €0.30 is left to pay.
func payingWith30CentsLeft(t *testing.T) *rig {
	r := newRig(t, true)
	r.scan(milk.Code)
	r.key("f5")
	r.typeText("0.99")
	r.key("enter")
	if r.m.active != screenTender || r.m.sale.CashDue() != 30 {
		t.Fatalf("set-up: screen %d, cash due %d; want the tender screen and 30", r.m.active, r.m.sale.CashDue())
	}
	return r
}

// TestScanOnTenderIsNeverCash: with €0.30 left, the EAN-8 96385074 once
// completed the sale with "Cash €96,385,074.00". A scan on the tender
// screen goes to the basket instead.
func TestScanOnTenderIsNeverCash(t *testing.T) {
	r := payingWith30CentsLeft(t)
	r.scan("96385074") // the discontinued soap: refused as inactive
	if n := len(r.db.completed()); n != 0 {
		t.Fatalf("a scan on the tender screen completed %d sale(s)", n)
	}
	if got := r.m.sale.CashGiven(); got != 99 {
		t.Errorf("cash given: got %d, want 99 (the scan is not cash)", got)
	}
	if r.m.active != screenBasket {
		t.Errorf("screen: got %d, want the basket", r.m.active)
	}
	if !strings.Contains(r.m.status.text, "inactive") {
		t.Errorf("status: got %q, want the scan's own refusal (inactive item)", r.m.status.text)
	}

	r.key("f5")
	r.scan(bread.Code) // one more thing before paying: it is sold
	if n := len(r.m.sale.Lines()); n != 2 || r.m.active != screenBasket {
		t.Fatalf("after scanning bread on the tender screen: %d lines on screen %d, want 2 on the basket", n, r.m.active)
	}
	if !strings.Contains(r.screen(), bread.Name) {
		t.Errorf("the basket does not show the bread:\n%s", r.screen())
	}
	r.key("f5")
	if got := r.m.sale.CashDue(); got != 129+349-99 {
		t.Errorf("cash due after the new line: got %d, want %d", got, 129+349-99)
	}
	r.typeText("5") // typing by hand is still cash
	r.key("enter")
	if n := len(r.db.completed()); n != 1 || r.m.active != screenDone {
		t.Fatalf("typed cash: %d sales completed on screen %d, want 1 on the done screen", n, r.m.active)
	}
}

// TestScanRefusedWhereNoBasketIsOpen: on sign-in, on the card payment and
// on a recorded sale the scan is refused with a message naming it, and
// nothing else happens.
func TestScanRefusedWhereNoBasketIsOpen(t *testing.T) {
	t.Run("sign-in", func(t *testing.T) {
		r := newRig(t, false)
		r.typeText("101")
		r.key("tab")
		r.scan("96385074")
		if r.db.signIns != 0 {
			t.Errorf("the scan was tried as a PIN: %d sign-in attempts", r.db.signIns)
		}
		if want := "scanned 96385074: sign in first"; r.m.status.text != want {
			t.Errorf("status: got %q, want %q", r.m.status.text, want)
		}
		s := r.m.screens[screenSignIn].(*signInScreen)
		if !s.pin.empty() || s.number.String() != "101" {
			t.Errorf("fields: number %q pin %q, want 101 and empty", s.number.String(), s.pin.String())
		}
	})
	t.Run("recorded sale", func(t *testing.T) {
		r := newRig(t, true)
		r.scan(milk.Code)
		r.key("f5")
		r.typeText("1")
		r.key("f5") // €1 by card: the sale is recorded
		if !r.m.sale.Locked() || r.m.active != screenTender {
			t.Fatalf("set-up: locked %v on screen %d", r.m.sale.Locked(), r.m.active)
		}
		r.scan("96385074")
		if got := r.m.sale.CashGiven(); got != 0 || len(r.db.completed()) != 0 {
			t.Errorf("cash given %d, %d completed: want the scan refused", got, len(r.db.completed()))
		}
		if want := "scanned 96385074: finish paying first"; !strings.HasPrefix(r.m.status.text, want) || !r.m.status.err {
			t.Errorf("status: got %q, want an error starting %q", r.m.status.text, want)
		}
	})
	t.Run("sale being recorded", func(t *testing.T) {
		r := newRig(t, true)
		r.scan(milk.Code)
		r.db.setDown(true)
		r.key("f5")
		r.key("f2") // exact cash: recording, retried while the database is down
		if !r.m.sale.Recording() {
			t.Fatalf("set-up: the sale is not being recorded (status %q)", r.m.status.text)
		}
		r.scan(bread.Code)
		if n := len(r.m.sale.Lines()); n != 1 || !strings.Contains(r.m.status.text, "scanned "+bread.Code+": the sale is being recorded") {
			t.Errorf("%d lines, status %q: want the scan refused by name", n, r.m.status.text)
		}
		r.db.setDown(false)
		r.drain(10 * time.Second)
		if n := len(r.db.completed()); n != 1 || r.db.completed()[0].Totals.Total != milk.Price {
			t.Errorf("completed: %+v, want the milk sale alone", r.db.completed())
		}
	})
	t.Run("card payment", func(t *testing.T) {
		r := newRig(t, true)
		r.reader.hold = true
		r.scan(milk.Code)
		r.key("f5")
		r.key("f5")
		if r.m.active != screenPayment {
			t.Fatalf("set-up: screen %d, want the card payment", r.m.active)
		}
		r.scan("96385074")
		if r.m.active != screenPayment || !strings.Contains(r.m.status.text, "scanned 96385074: a card payment is in progress") {
			t.Errorf("screen %d, status %q: want the payment screen and the scan refused", r.m.active, r.m.status.text)
		}
		r.key("esc")
		r.drain(time.Second)
	})
}

// TestScanIntoDialogs: a scan typed into the F2 quantity or F3 search
// dialog, or the customer lookup, goes to the basket, never into the field.
func TestScanIntoDialogs(t *testing.T) {
	t.Run("quantity", func(t *testing.T) {
		r := newRig(t, true)
		r.scan(milk.Code)
		r.key("f2")
		r.scan(bread.Code)
		lines := r.m.sale.Lines()
		if len(lines) != 2 || lines[0].Quantity != 1 || lines[1].Name != bread.Name {
			t.Fatalf("lines: got %+v, want milk ×1 and bread", lines)
		}
		if r.m.screens[screenBasket].(*basketScreen).mode == basketQuantity {
			t.Errorf("the quantity prompt is still open")
		}
	})
	t.Run("search", func(t *testing.T) {
		r := newRig(t, true)
		r.key("f3")
		r.typeText("sour")
		r.scan(milk.Code)
		if n := len(r.m.sale.Lines()); n != 1 || r.m.active != screenBasket {
			t.Errorf("got %d lines on screen %d, want milk in the basket", n, r.m.active)
		}
	})
	t.Run("customer", func(t *testing.T) {
		r := newRig(t, true)
		r.key("f4")
		r.scan(loyaltyCard)
		if c := r.m.sale.Customer(); c == nil || c.ID != ann.ID {
			t.Errorf("customer: got %+v, want %s", c, ann.Name)
		}
		r.key("f4")
		r.scan(bread.Code)
		if n := len(r.m.sale.Lines()); n != 1 || r.m.active != screenBasket {
			t.Errorf("got %d lines on screen %d, want bread in the basket", n, r.m.active)
		}
	})
	t.Run("a question is answered no", func(t *testing.T) {
		r := newRig(t, true)
		r.scan(milk.Code)
		r.key("f9") // void the sale? y/n
		r.scan(bread.Code)
		if r.m.confirm != nil || len(r.m.sale.Lines()) != 2 {
			t.Errorf("question %v, %d lines: want no question and both lines", r.m.confirm, len(r.m.sale.Lines()))
		}
	})
	t.Run("typed prefix counts", func(t *testing.T) {
		r := newRig(t, true)
		r.typeText("3*")
		r.scan(milk.Code)
		if l := r.m.sale.Lines(); len(l) != 1 || l[0].Quantity != 3 {
			t.Errorf("lines: got %+v, want milk ×3", l)
		}
	})
	t.Run("done screen starts the next sale", func(t *testing.T) {
		r := newRig(t, true)
		r.scan(milk.Code)
		r.key("f5")
		r.key("f2")
		if r.m.active != screenDone {
			t.Fatalf("set-up: screen %d", r.m.active)
		}
		r.scan(bread.Code)
		if n := len(r.m.sale.Lines()); n != 1 || r.m.active != screenBasket {
			t.Errorf("got %d lines on screen %d, want bread in a new basket", n, r.m.active)
		}
	})
}

// TestQuantityAboveLimitAsks: 4030 pens went in silently from a mistyped
// quantity. Above the limit the till asks; no keeps the quantity.
func TestQuantityAboveLimitAsks(t *testing.T) {
	for _, tt := range []struct {
		name, answer string
		want         int64
	}{{"no", "n", 1}, {"yes", "y", 4030}} {
		t.Run("F2 "+tt.name, func(t *testing.T) {
			r := newRig(t, true)
			r.scan(milk.Code)
			r.key("f2")
			r.typeText("4030")
			r.key("enter")
			if r.m.confirm == nil || !strings.Contains(r.m.confirm.question, "4030") ||
				!strings.Contains(r.m.confirm.question, pos.EUR().Format(4030*129)) {
				t.Fatalf("question: got %+v, want one naming 4030 and %s", r.m.confirm, pos.EUR().Format(4030*129))
			}
			if got := r.m.sale.Lines()[0].Quantity; got != 1 {
				t.Fatalf("quantity before the answer: got %d, want 1", got)
			}
			r.key(tt.answer)
			if got := r.m.sale.Lines()[0].Quantity; got != tt.want {
				t.Errorf("quantity: got %d, want %d", got, tt.want)
			}
		})
		t.Run("prefix "+tt.name, func(t *testing.T) {
			r := newRig(t, true)
			r.typeText("4030*")
			r.scan(milk.Code)
			if r.m.confirm == nil || len(r.m.sale.Lines()) != 0 ||
				!strings.Contains(r.m.confirm.question, "Sell 4030 of Whole milk 1l ("+pos.EUR().Format(4030*129)+")") {
				t.Fatalf("question %+v, %d lines: want one naming the milk and its amount first", r.m.confirm, len(r.m.sale.Lines()))
			}
			r.key(tt.answer)
			if tt.answer == "n" {
				if n := len(r.m.sale.Lines()); n != 0 {
					t.Errorf("lines: got %d, want none", n)
				}
				return
			}
			if l := r.m.sale.Lines(); len(l) != 1 || l[0].Quantity != 4030 {
				t.Errorf("lines: got %+v, want milk ×4030", l)
			}
		})
	}
	t.Run("at the limit no question", func(t *testing.T) {
		r := newRig(t, true)
		r.scan(milk.Code)
		r.key("f2")
		r.typeText("50")
		r.key("enter")
		if r.m.confirm != nil || r.m.sale.Lines()[0].Quantity != 50 {
			t.Errorf("question %v, quantity %d: want 50 taken at once", r.m.confirm, r.m.sale.Lines()[0].Quantity)
		}
	})
}
