package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/till-pos/till/pos"
)

func TestSignIn(t *testing.T) {
	tests := []struct {
		name       string
		number     string
		pin        string
		down       bool
		wantScreen screenID
		wantStatus string
		wantBanner bool
	}{
		{"right PIN", "101", "1111", false, screenBasket, "signed in as Ann Example", false},
		{"wrong PIN", "101", "0000", false, screenSignIn, "wrong cashier number or PIN", false},
		{"database down", "101", "1111", true, screenSignIn, "unreachable", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, false)
			r.db.setDown(tt.down)
			r.typeText(tt.number)
			r.key("enter") // moves to the PIN
			r.typeText(tt.pin)
			r.key("enter")
			if r.m.active != tt.wantScreen {
				t.Errorf("screen: got %d, want %d", r.m.active, tt.wantScreen)
			}
			if !strings.Contains(r.m.status.text, tt.wantStatus) {
				t.Errorf("status: got %q, want it to contain %q", r.m.status.text, tt.wantStatus)
			}
			if got := r.m.dbDown != ""; got != tt.wantBanner {
				t.Errorf("database banner: got %v, want %v", got, tt.wantBanner)
			}
			if strings.Contains(r.screen(), tt.pin) {
				t.Errorf("the PIN %s is on screen", tt.pin)
			}
		})
	}
}

func TestBasketScans(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		wantLines int
		wantQty   int64
		wantErr   string // "" means accepted
	}{
		{"EAN-13", "4006381333931", 1, 1, ""},
		{"quantity prefix", "3*4006381333931", 1, 3, ""},
		{"scale label", applesLabel, 1, 482, ""},
		{"EAN-8 inactive item", "96385074", 0, 0, "inactive"},
		{"bad check digit", "4006381333932", 0, 0, "check digit"},
		{"unknown code", "4000000000006", 0, 0, "unknown code"},
		{"quantity on a weight label", "2*" + applesLabel, 0, 0, "weight"},
		{"not a code", "hello", 0, 0, "unknown code format"},
		{"receipt", "123e4567-e89b-12d3-a456-426614174000", 0, 0, "receipt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, true)
			r.scan(tt.input)
			lines := r.m.sale.Lines()
			if len(lines) != tt.wantLines {
				t.Fatalf("lines: got %d, want %d (status %q)", len(lines), tt.wantLines, r.m.status.text)
			}
			if tt.wantErr == "" {
				if r.m.status.err {
					t.Errorf("status: got error %q, want none", r.m.status.text)
				}
				if lines[0].Quantity != tt.wantQty {
					t.Errorf("quantity: got %d, want %d", lines[0].Quantity, tt.wantQty)
				}
				return
			}
			if !r.m.status.err || !strings.Contains(r.m.status.text, tt.wantErr) {
				t.Errorf("status: got %q (error %v), want an error containing %q", r.m.status.text, r.m.status.err, tt.wantErr)
			}
			if !strings.Contains(r.screen(), "✗") {
				t.Errorf("a rejected scan must be marked ✗ on screen (colour is not enough)")
			}
		})
	}
}

func TestLoyaltyCardScanAttaches(t *testing.T) {
	r := newRig(t, true)
	r.scan(loyaltyCard)
	if c := r.m.sale.Customer(); c == nil || c.ID != ann.ID {
		t.Fatalf("customer: got %+v, want %s", c, ann.Name)
	}
	if !strings.Contains(r.screen(), "120 points") {
		t.Errorf("the customer panel does not show the points:\n%s", r.screen())
	}
	// An answer for a sale that is over is dropped.
	r.key("f9")
	r.key("y")
	r.send(cardCustomerMsg{saleKey: "old", customer: ann})
	if r.m.sale.Customer() != nil {
		t.Errorf("a stale loyalty answer attached a customer to the next sale")
	}
}

func TestBasketEditing(t *testing.T) {
	r := newRig(t, true)
	r.scan("4006381333931")
	r.scan("5901234123457")
	r.key("up") // milk
	r.key("f2")
	r.typeText("4")
	r.key("enter")
	if got := r.m.sale.Lines()[0].Quantity; got != 4 {
		t.Errorf("quantity after F2 4: got %d, want 4", got)
	}
	r.key("f8") // void milk
	if n := len(r.m.sale.Lines()); n != 1 || r.m.sale.Lines()[0].Name != bread.Name {
		t.Fatalf("after void line: got %d lines, want only %s", n, bread.Name)
	}
	r.key("f9")
	if r.m.confirm == nil {
		t.Fatal("void sale did not ask first")
	}
	r.key("y")
	if n := len(r.m.sale.Lines()); n != 0 {
		t.Errorf("after void sale: got %d lines, want 0", n)
	}
	got := strings.Join(r.db.auditActions(), ",")
	if got != "change_quantity,void_line,void_sale" {
		t.Errorf("audit log: got %s, want change_quantity,void_line,void_sale", got)
	}
}

func TestItemSearch(t *testing.T) {
	r := newRig(t, true)
	r.key("f3")
	r.typeText("srdgh") // fuzzy: letters in order
	if r.m.active != screenSearch {
		t.Fatalf("screen: got %d, want the search", r.m.active)
	}
	r.key("enter")
	if n := len(r.m.sale.Lines()); n != 1 || r.m.sale.Lines()[0].ItemID != bread.ID {
		t.Fatalf("search and enter: got %+v, want one line of %s", r.m.sale.Lines(), bread.Name)
	}
	if r.m.active != screenBasket {
		t.Errorf("after adding: got screen %d, want the basket", r.m.active)
	}
}

func TestCustomerLookup(t *testing.T) {
	r := newRig(t, true)
	r.key("f4")
	r.typeText("shop")
	r.key("enter") // search
	r.key("enter") // attach
	if c := r.m.sale.Customer(); c == nil || c.Name != ann.Name {
		t.Fatalf("customer: got %+v, want %s", c, ann.Name)
	}
	// A late answer to an older search is dropped.
	r.key("f4")
	r.send(customersMsg{req: -1, found: []pos.Customer{{Name: "Stale"}}})
	if s := r.m.screens[screenCustomer].(*customerScreen); len(s.results) != 0 {
		t.Errorf("stale search answer shown: %+v", s.results)
	}
	r.key("f8") // detach
	if r.m.sale.Customer() != nil {
		t.Errorf("detach: customer still attached")
	}
}

func TestTender(t *testing.T) {
	tests := []struct {
		name       string
		keys       []string // after F5 on a basket of milk ×3 (€3.87) and bread (€3.49): €7.36
		decline    bool
		wantScreen screenID
		wantChange pos.Money
		wantStatus string
		wantPaid   pos.Money // card payments approved
	}{
		{"exact cash", []string{"f2"}, false, screenDone, 0, "sale recorded", 0},
		{"typed cash with change", []string{"1", "0", "enter"}, false, screenDone, 264, "sale recorded", 0},
		{"next note", []string{"f3"}, false, screenDone, 264, "sale recorded", 0},
		{"part cash, then more", []string{"5", "enter"}, false, screenTender, 0, "still due", 0},
		{"all card", []string{"f5"}, false, screenDone, 0, "sale recorded", 736},
		{"card then cash", []string{"5", "f5", "5", "enter"}, false, screenDone, 264, "sale recorded", 500},
		{"cash then card", []string{"2", "enter", "f5"}, false, screenDone, 0, "sale recorded", 536},
		{"declined card", []string{"f5"}, true, screenTender, 0, "declined", 0},
		{"card over what is due", []string{"9", "9", "f5"}, false, screenTender, 0, "a card can pay", 0},
		{"comma decimal", []string{"7", ",", "3", "6", "enter"}, false, screenDone, 0, "sale recorded", 0},
		{"bad amount", []string{"1", ".", "2", "3", "4", "enter"}, false, screenTender, 0, "not an amount", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, true)
			r.scan("3*4006381333931")
			r.scan("5901234123457")
			if tt.decline {
				r.reader.NextDecline()
			}
			r.key("f5")
			for _, k := range tt.keys {
				r.key(k)
			}
			if r.m.active != tt.wantScreen {
				t.Fatalf("screen: got %d, want %d (status %q)", r.m.active, tt.wantScreen, r.m.status.text)
			}
			if !strings.Contains(r.m.status.text, tt.wantStatus) {
				t.Errorf("status: got %q, want it to contain %q", r.m.status.text, tt.wantStatus)
			}
			if tt.wantScreen == screenDone {
				d := r.m.screens[screenDone].(*doneScreen)
				if got := d.sale.Change(); got != tt.wantChange {
					t.Errorf("change: got %d, want %d", got, tt.wantChange)
				}
				var card pos.Money
				for _, p := range d.sale.Payments {
					if p.Method == pos.MethodCard && p.Status == pos.PaymentApproved {
						card += p.Amount
					}
				}
				if card != tt.wantPaid {
					t.Errorf("card paid: got %d, want %d", card, tt.wantPaid)
				}
				if len(r.db.completed()) != 1 {
					t.Errorf("completed sales in the store: got %d, want 1", len(r.db.completed()))
				}
			}
		})
	}
}

// After a declined card no money moved: esc gives the reservation back
// (failed) and the basket can change again, under a new key (issue 20
// item 3). Before, esc was refused and the basket stayed locked.
func TestDeclinedCardReopensTheBasket(t *testing.T) {
	r := newRig(t, true)
	r.scan("4006381333931")
	r.scan("5901234123457")
	r.key("f5")
	r.reader.NextDecline()
	r.key("f5")
	if r.m.sale.Stage() != pos.StageReserved || !r.m.sale.Locked() {
		t.Fatalf("after a decline: stage %s locked %v, want reserved and locked", r.m.sale.Stage(), r.m.sale.Locked())
	}
	old := r.m.sale.Key()
	r.key("esc")
	if r.m.active != screenBasket || r.m.sale.Locked() || r.m.sale.Key() == old {
		t.Fatalf("esc after a decline: got screen %d locked %v same key %v (status %q), want the basket, open, new key",
			r.m.active, r.m.sale.Locked(), r.m.sale.Key() == old, r.m.status.text)
	}
	if got := r.db.sales[old].Status; got != pos.SaleFailed {
		t.Errorf("the declined sale: got %q, want failed (released)", got)
	}
	r.key("f8") // drop the bread
	if n := len(r.m.sale.Lines()); n != 1 {
		t.Fatalf("void line after reopening: got %d lines (status %q), want 1", n, r.m.status.text)
	}
	r.key("f5")
	r.key("f5") // the card again, for the smaller basket
	if r.m.active != screenDone || len(r.db.completed()) != 1 {
		t.Fatalf("card after reopening: got screen %d, %d completed (status %q)", r.m.active, len(r.db.completed()), r.m.status.text)
	}
	if s := r.db.completed()[0]; s.Key == old || s.Totals.Total != milk.Price || len(s.Lines) != 1 {
		t.Errorf("completed sale: key reused %v, total %d, %d lines; want a new key, %d, 1", s.Key == old, s.Totals.Total, len(s.Lines), milk.Price)
	}
	if got := strings.Join(r.db.auditActions(), ","); got != "reopen_sale,void_line" {
		t.Errorf("audit: got %s, want reopen_sale,void_line", got)
	}
}

// An approved card keeps the basket locked: a card is refunded only in
// full, so esc is refused with the reason and F9 voids (refunding it) once
// a manager approves.
func TestApprovedCardKeepsTheBasketLocked(t *testing.T) {
	r := newRig(t, true)
	withManager(r)
	r.scan("4006381333931")
	r.scan("5901234123457")
	r.key("f5")
	r.typeText("2")
	r.key("f5")
	r.key("esc")
	if r.m.active != screenTender || !r.m.sale.Locked() || !strings.Contains(r.m.status.text, "a card has paid €2.00") {
		t.Fatalf("esc after an approved card: got screen %d locked %v status %q", r.m.active, r.m.sale.Locked(), r.m.status.text)
	}
	r.key("f9")
	r.key("y")
	r.typeText("900") // a card paid: a manager approves the void
	r.key("tab")
	r.typeText("9999")
	r.key("enter")
	if r.m.active != screenBasket || len(r.m.sale.Lines()) != 0 {
		t.Fatalf("void: got screen %d with %d lines, want an empty basket", r.m.active, len(r.m.sale.Lines()))
	}
	for _, s := range r.db.sales {
		if s.Status != pos.SaleVoided {
			t.Errorf("sale status: got %s, want voided", s.Status)
		}
	}
}

func TestCardCancelWithEsc(t *testing.T) {
	r := newRig(t, true)
	r.scan("4006381333931")
	r.key("f5")
	r.reader.hold = true
	r.key("f5")
	if r.m.active != screenPayment {
		t.Fatalf("screen: got %d, want the payment screen", r.m.active)
	}
	r.key("ctrl+c")
	if r.m.active != screenPayment || !r.m.status.err {
		t.Errorf("ctrl+c during a card payment: got screen %d status %q, want a refusal", r.m.active, r.m.status.text)
	}
	r.key("esc")
	r.drain(300 * time.Millisecond)
	if r.m.active != screenTender || !strings.Contains(r.m.status.text, "cancelled") {
		t.Errorf("after esc: got screen %d status %q, want the tender and cancelled", r.m.active, r.m.status.text)
	}
}

func TestDatabaseDown(t *testing.T) {
	r := newRig(t, true)
	r.db.setDown(true)
	r.send(refreshMsg{}) // the background refresh notices
	if r.m.dbDown == "" || !strings.Contains(r.screen(), "DATABASE UNREACHABLE") {
		t.Fatalf("no banner while the database is down:\n%s", r.screen())
	}
	r.scan("4006381333931") // scanning goes on from the cache
	r.scan("4006381333931")
	r.key("f8") // a void while down is audited later
	if n := len(r.m.sale.Lines()); n != 1 {
		t.Fatalf("lines while down: got %d, want 1", n)
	}
	r.key("f5")
	r.key("f2")
	if !r.m.sale.Recording() || !strings.Contains(r.m.status.text, "waiting for the database") {
		t.Fatalf("tender while down: recording %v status %q, want waiting", r.m.sale.Recording(), r.m.status.text)
	}
	r.typeText("123") // nothing typed changes a sale being recorded
	r.db.setDown(false)
	r.send(retryMsg{op: retryFinish, saleKey: r.m.sale.Key()})
	if r.m.active != screenDone || r.m.dbDown != "" {
		t.Fatalf("after the database came back: screen %d banner %q, want done and no banner", r.m.active, r.m.dbDown)
	}
	r.send(refreshMsg{}) // flushes the audit outbox
	if got := strings.Join(r.db.auditActions(), ","); got != "void_line" {
		t.Errorf("audit after recovery: got %q, want void_line", got)
	}
}

func TestScansBeforeCatalogAreKept(t *testing.T) {
	r := newRig(t, false)
	r.m.cat = newCatalog() // as if the catalog had not arrived yet
	r.m.cashier = &pos.Cashier{ID: 1, Name: "Ann"}
	r.m.goTo(screenBasket)
	r.scan("4006381333931")
	r.scan("5901234123457")
	if len(r.m.sale.Lines()) != 0 || len(r.m.pendingScans) != 2 {
		t.Fatalf("before the catalog: %d lines, %d kept; want 0 and 2", len(r.m.sale.Lines()), len(r.m.pendingScans))
	}
	r.send(refreshMsg{})
	if n := len(r.m.sale.Lines()); n != 2 {
		t.Errorf("after the catalog: got %d lines, want 2", n)
	}
}

func TestQuitAsksWithSaleInProgress(t *testing.T) {
	r := newRig(t, true)
	_, cmd := r.m.Update(keyPress("ctrl+c"))
	if cmd == nil || r.m.confirm != nil {
		t.Fatalf("ctrl+c on an empty basket: want to quit at once")
	}
	r.scan("4006381333931")
	r.key("ctrl+c")
	if r.m.confirm == nil || !strings.Contains(r.screen(), "Quit and abandon") {
		t.Fatalf("ctrl+c with a sale: want a question, got:\n%s", r.screen())
	}
	r.key("n")
	if r.m.confirm != nil || len(r.m.sale.Lines()) != 1 {
		t.Errorf("after n: the question or the sale changed")
	}
}

func TestSignOut(t *testing.T) {
	r := newRig(t, true)
	r.scan("4006381333931")
	r.key("f10")
	if r.m.active != screenBasket {
		t.Fatalf("sign out with a sale: got screen %d, want refused", r.m.active)
	}
	r.key("f9")
	r.key("y")
	r.key("f10")
	if r.m.active != screenSignIn || r.m.cashier != nil {
		t.Errorf("sign out: got screen %d cashier %v, want the sign-in", r.m.active, r.m.cashier)
	}
}

func TestDoneScanStartsNextSale(t *testing.T) {
	r := newRig(t, true)
	r.scan("4006381333931")
	r.key("f5")
	r.key("f2")
	first := r.m.screens[screenDone].(*doneScreen).sale.Key
	r.scan("5901234123457")
	if r.m.active != screenBasket || len(r.m.sale.Lines()) != 1 || r.m.sale.Key() == first {
		t.Errorf("scan on done: got screen %d, %d lines, key reused %v", r.m.active, len(r.m.sale.Lines()), r.m.sale.Key() == first)
	}
}

func TestTrainingShownEverywhere(t *testing.T) {
	r := newRig(t, false)
	r.m.set.Training = true
	check := func(where string) {
		t.Helper()
		if !strings.Contains(r.screen(), "TRAINING") {
			t.Errorf("%s: TRAINING not on screen", where)
		}
	}
	check("sign-in")
	r.typeText("101")
	r.key("tab")
	r.typeText("1111")
	r.key("enter")
	check("basket")
	r.scan("4006381333931")
	r.key("f5")
	check("tender")
	r.key("f2")
	check("done")
}

// TestFrameFits checks every screen fills the terminal exactly, at the
// smallest supported size and a larger one, with no line too wide.
func TestFrameFits(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {132, 40}} {
		r := newRig(t, true)
		r.send(tea_WindowSize(size[0], size[1]))
		for range 30 {
			r.scan("4006381333931")
		}
		r.scan(loyaltyCard)
		r.m.set.Training = true
		r.db.setDown(true)
		r.send(refreshMsg{})
		for _, s := range []screenID{screenBasket, screenSearch, screenCustomer, screenTender, screenPayment, screenDone, screenSignIn} {
			r.m.active = s
			lines := strings.Split(r.m.View().Content, "\n")
			if len(lines) != size[1] {
				t.Errorf("%dx%d screen %d: got %d lines, want %d", size[0], size[1], s, len(lines), size[1])
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Errorf("%dx%d screen %d line %d: got width %d, want ≤ %d: %q", size[0], size[1], s, i, w, size[0], ansi.Strip(l))
				}
			}
		}
	}
}

// testCards records what a test-mode reader was asked to present.
type testCards struct {
	mu       sync.Mutex
	declines []bool
}

func (c *testCards) PresentTestCard(ctx context.Context, decline bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.declines = append(c.declines, decline)
	return nil
}

func TestTestCardKeysOnATestModeReader(t *testing.T) {
	r := newRig(t, true)
	cards := &testCards{}
	r.m.deps.CardSim, r.m.deps.TestCards = nil, cards
	r.scan("4006381333931")
	r.key("f5")
	r.reader.hold = true
	r.key("f5")
	if r.m.active != screenPayment {
		t.Fatalf("screen: got %d, want the payment screen", r.m.active)
	}
	if !strings.Contains(r.m.View().Content, "present declining test card") {
		t.Errorf("the payment screen does not offer the test cards:\n%s", r.m.View().Content)
	}
	r.key("f6")
	r.key("f7")
	cards.mu.Lock()
	got := append([]bool(nil), cards.declines...)
	cards.mu.Unlock()
	if len(got) != 2 || got[0] || !got[1] {
		t.Errorf("presented: got %v, want [false true] (approving, then declining)", got)
	}
	if !strings.Contains(r.m.status.text, "test card was presented") {
		t.Errorf("status: got %q, want it to say the test card was presented", r.m.status.text)
	}
	r.key("esc")
	r.drain(300 * time.Millisecond)
}

// A card whose answer is lost is looked up, and the screen cannot be
// cancelled meanwhile; the fake reader says it never reached it.
func TestCardAnswerLostIsLookedUp(t *testing.T) {
	r := newRig(t, true)
	r.scan("4006381333931")
	r.key("f5")
	r.reader.NextTimeout()
	r.key("f5")
	if r.m.active != screenTender || !strings.Contains(r.m.status.text, "nothing was charged") {
		t.Fatalf("after a lost answer: got screen %d status %q, want the tender and nothing charged", r.m.active, r.m.status.text)
	}
	if r.m.sale.Stage() != pos.StageReserved || r.m.sale.CardPaid() != 0 {
		t.Errorf("sale: got %s with %d paid by card, want reserved and nothing paid", r.m.sale.Stage(), r.m.sale.CardPaid())
	}
}

// The reservation waits for the database with a backoff, then the card is
// charged and the sale recorded.
func TestCardWaitsForTheDatabase(t *testing.T) {
	r := newRig(t, true)
	r.scan("4006381333931")
	r.key("f5")
	r.db.setDown(true)
	r.key("f5")
	p := r.m.screens[screenPayment].(*paymentScreen)
	if r.m.active != screenPayment || p.state != payReserving || !strings.Contains(p.phase, "waiting for the database (try 1)") {
		t.Fatalf("card while down: got screen %d state %s phase %q, want reserving and waiting", r.m.active, p.state, p.phase)
	}
	r.drain(time.Second)
	if !strings.Contains(p.phase, "(try 2)") {
		t.Errorf("after a second: phase %q, want try 2", p.phase)
	}
	r.db.setDown(false)
	r.drain(2 * time.Second)
	if r.m.active != screenDone || len(r.db.completed()) != 1 {
		t.Fatalf("after the database came back: got screen %d and %d sales, want done and 1", r.m.active, len(r.db.completed()))
	}
}

// Esc while a reservation waits for its retry goes back to the tender at
// once; the sale stays locked, since the reservation may exist.
func TestCardCancelWhileTheDatabaseIsDown(t *testing.T) {
	r := newRig(t, true)
	r.scan("4006381333931")
	r.key("f5")
	r.db.setDown(true)
	r.key("f5")
	r.key("esc")
	r.drain(time.Second)
	if r.m.active != screenTender || !strings.Contains(r.m.status.text, "card payment cancelled") {
		t.Fatalf("esc while down: got screen %d status %q, want the tender and cancelled", r.m.active, r.m.status.text)
	}
	if !r.m.sale.Locked() {
		t.Errorf("sale after a reservation without an answer: not locked, want locked")
	}
	r.db.setDown(false)
	r.key("f2") // exact cash: reserved again, then completed
	if r.m.active != screenDone || len(r.db.completed()) != 1 {
		t.Fatalf("cash after: got screen %d and %d sales, want done and 1", r.m.active, len(r.db.completed()))
	}
}
