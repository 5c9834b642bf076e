package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// One milk of sale 41 (three lines) comes back: the screen shows every
// line with what was sold and what is left, the plan refunds €1.29 to the
// card, and the return records that line alone.
func TestReturnOneLineOfThree(t *testing.T) {
	r := newReturnRig(t, 0)
	r.scan(r.receipt())
	r.wantScreen(screenReturn, retChoosing)
	scr := r.screen()
	for _, want := range []string{"Return from sale 41", "Whole milk 1l", "Sourdough bread", "Apples loose", "482 g", "Sold", "Left"} {
		if !strings.Contains(scr, want) {
			t.Errorf("return screen: %q missing\n%s", want, scr)
		}
	}
	r.typeText("1")
	r.key("enter")
	scr = r.screen()
	for _, want := range []string{"REFUND €1.29", "card visa ••4242 €1.29", "points taken back 1"} {
		if !strings.Contains(scr, want) {
			t.Errorf("plan: %q missing\n%s", want, scr)
		}
	}
	r.key("enter")
	if r.m.confirm == nil || !strings.Contains(r.m.confirm.question, "Refund €1.29") {
		t.Fatalf("enter: got question %+v, want the refund asked", r.m.confirm)
	}
	r.key("y")
	r.wantScreen(screenReturn, retDone)
	ret := r.only()
	if ret.Status != pos.ReturnCompleted || len(ret.Lines) != 1 || ret.Lines[0].SaleLine != 1 || ret.Lines[0].Quantity != 1 {
		t.Errorf("return: got status %s lines %+v, want completed, sale line 1 ×1", ret.Status, ret.Lines)
	}
	if got := r.gw.refunded(); got != 129 {
		t.Errorf("card refunded: got %d, want 129", got)
	}
	if r.drawer.kicks != 0 {
		t.Errorf("drawer: got %d kicks for a card-only refund, want 0", r.drawer.kicks)
	}
	if scr := r.screen(); !strings.Contains(scr, "Return complete") || !strings.Contains(scr, "Card visa ••4242") ||
		strings.Contains(scr, "GIVE BACK CASH") || !strings.Contains(scr, "all back on the card") {
		t.Errorf("done screen: want the card refund and no cash to give\n%s", scr)
	}
	r.key("f2")
	if len(r.printed.printed) != 1 || !strings.Contains(r.m.status.text, "refund receipt printed") {
		t.Errorf("F2: got %d refund receipts printed, status %q", len(r.printed.printed), r.m.status.text)
	}
	r.key("enter")
	r.wantScreen(screenBasket, retIdle)
	// The sale has two milks left now.
	r.scan(r.receipt())
	if got := r.m.returns().src.Left(0); got != 2 {
		t.Errorf("opened again: milk left %d, want 2", got)
	}
}

// A reason key cycles the reasons in pos.ReturnReasons' order; damaged
// never goes back to stock, and the restock key toggles the others.
func TestReturnReasonsAndRestock(t *testing.T) {
	tests := []struct {
		name        string
		keys        []string // after choosing one milk
		wantReason  pos.ReturnReason
		wantRestock bool
		wantRefused string
	}{
		{"default", nil, pos.ReasonChangedMind, true, ""},
		{"wrong item", []string{"f3"}, pos.ReasonWrongItem, true, ""},
		{"damaged", []string{"f3", "f3"}, pos.ReasonDamaged, false, ""},
		{"damaged refuses restock", []string{"f3", "f3", "f4"}, pos.ReasonDamaged, false, "never goes back to stock"},
		{"other", []string{"f3", "f3", "f3"}, pos.ReasonOther, true, ""},
		{"around again", []string{"f3", "f3", "f3", "f3"}, pos.ReasonChangedMind, true, ""},
		{"not restocked", []string{"f4"}, pos.ReasonChangedMind, false, ""},
		{"restocked again", []string{"f4", "f4"}, pos.ReasonChangedMind, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReturnRig(t, 0)
			r.scan(r.receipt())
			r.typeText("1")
			r.key("enter")
			for _, k := range tt.keys {
				r.key(k)
			}
			if tt.wantRefused != "" && (!r.m.status.err || !strings.Contains(r.m.status.text, tt.wantRefused)) {
				t.Errorf("status: got %q, want refused with %q", r.m.status.text, tt.wantRefused)
			}
			r.key("enter")
			r.key("y")
			r.wantScreen(screenReturn, retDone)
			l := r.only().Lines[0]
			if l.Reason != tt.wantReason || l.Restock != tt.wantRestock {
				t.Errorf("line: got %s restock %v, want %s restock %v", l.Reason, l.Restock, tt.wantReason, tt.wantRestock)
			}
			wantStock := int64(0)
			if tt.wantRestock {
				wantStock = 1
			}
			if got := r.store.stock[milk.ID]; got != wantStock {
				t.Errorf("stock given back: got %d, want %d", got, wantStock)
			}
		})
	}
}

// Returning everything splits the money as the sale was paid: card first
// up to what it paid, the rest in cash, shown big, with the drawer open.
func TestReturnSplitCardThenCash(t *testing.T) {
	r := newReturnRig(t, 0)
	r.scan(r.receipt())
	for _, q := range []string{"3", "1", "482"} {
		r.typeText(q)
		r.key("enter")
		r.key("down")
	}
	if scr := r.screen(); !strings.Contains(scr, "REFUND €8.80") || !strings.Contains(scr, "card visa ••4242 €5.00 · cash €3.80") {
		t.Fatalf("plan: want €8.80 as card €5.00 and cash €3.80\n%s", scr)
	}
	r.key("enter")
	r.key("y")
	r.wantScreen(screenReturn, retDone)
	ret := r.only()
	if ret.CardBack() != 500 || ret.CashBack() != 380 || ret.PointsReversed != 9 {
		t.Errorf("return: card %d cash %d points %d, want 500, 380, 9", ret.CardBack(), ret.CashBack(), ret.PointsReversed)
	}
	scr := r.screen()
	if !strings.Contains(scr, "GIVE BACK CASH") || !strings.Contains(scr, bigText("€3.80")[:10]) {
		t.Errorf("done screen: want the cash big\n%s", scr)
	}
	if r.drawer.kicks != 1 {
		t.Errorf("drawer: got %d kicks, want 1", r.drawer.kicks)
	}
}

// More than is left is refused with the reason, on screen and in the plan.
func TestReturnQuantityRefused(t *testing.T) {
	tests := []struct {
		name, typed, want string
		line              int
	}{
		{"more than sold", "4", "only 3 left to return", 0},
		{"weighed, more than sold", "483", "only 482 g left to return", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReturnRig(t, 0)
			r.scan(r.receipt())
			for range tt.line {
				r.key("down")
			}
			r.typeText(tt.typed)
			r.key("enter")
			if !r.m.status.err || !strings.Contains(r.m.status.text, tt.want) {
				t.Errorf("status: got %q, want %q", r.m.status.text, tt.want)
			}
			if r.m.returns().lines[tt.line].Quantity != 0 {
				t.Errorf("quantity set to %d, want none", r.m.returns().lines[tt.line].Quantity)
			}
		})
	}
}

// A return over the limit needs a manager: a wrong PIN shows the refusal
// and stays on the approval screen; the right one records the return with
// the manager's id.
func TestReturnApprovalRefusedThenAccepted(t *testing.T) {
	r := newReturnRig(t, 100) // over €1.00 needs a manager
	r.scan(r.receipt())
	r.typeText("1")
	r.key("enter")
	if !strings.Contains(r.screen(), "a manager approves a return over the limit") {
		t.Errorf("plan: the approval is not shown\n%s", r.screen())
	}
	r.key("enter")
	r.key("y")
	r.wantScreen(screenApproval, 0)
	r.approve("1234")
	r.wantScreen(screenApproval, 0)
	if !r.m.status.err || !strings.Contains(r.m.status.text, "not approved: wrong cashier number or PIN") {
		t.Errorf("wrong PIN: got status %q", r.m.status.text)
	}
	if n := len(r.store.all()); n != 0 {
		t.Fatalf("refused: got %d returns recorded, want 0", n)
	}
	if strings.Contains(r.screen(), "1234") {
		t.Errorf("the PIN is on screen")
	}
	r.typeText("9999") // the PIN field has the keyboard again
	r.key("enter")
	r.wantScreen(screenReturn, retDone)
	if ret := r.only(); ret.ApprovedBy != 9 {
		t.Errorf("approved by: got %d, want 9", ret.ApprovedBy)
	}
	acts := strings.Join(r.db.auditActions(), " ")
	if !strings.Contains(acts, "approval_refused") || !strings.Contains(acts, "approval") {
		t.Errorf("audit: got %q, want a refusal and an approval", acts)
	}
}

// A card refund that fails offers cash with a manager, or cancelling the
// return when no money moved.
func TestFailedCardRefund(t *testing.T) {
	tests := []struct {
		name       string
		then       func(r *returnRig)
		wantStatus pos.ReturnStatus
		wantCash   pos.Money
		wantScreen screenID
	}{
		{"cash with a manager", func(r *returnRig) {
			r.key("f6")
			r.wantScreen(screenApproval, 0)
			r.approve("9999")
		}, pos.ReturnCompleted, 129, screenReturn},
		{"cancelled", func(r *returnRig) {
			r.key("f9")
			r.key("y")
		}, pos.ReturnFailed, 0, screenBasket},
		{"manager refuses, then cancelled", func(r *returnRig) {
			r.key("f6")
			r.key("esc")
			r.wantScreen(screenReturn, retFailed)
			r.key("esc")
			r.key("y")
		}, pos.ReturnFailed, 0, screenBasket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReturnRig(t, 0)
			r.gw.then(pos.PaymentFailed)
			r.scan(r.receipt())
			r.typeText("1")
			r.key("enter")
			r.key("enter")
			r.key("y")
			r.wantScreen(screenReturn, retFailed)
			if scr := r.screen(); !strings.Contains(r.m.status.text, "card present") || !strings.Contains(scr, "refund in cash") {
				t.Errorf("failed refund: want the reason and the cash offer\n%s", scr)
			}
			tt.then(r)
			if r.m.active != tt.wantScreen {
				t.Fatalf("screen: got %d, want %d (status %q)", r.m.active, tt.wantScreen, r.m.status.text)
			}
			ret := r.only()
			if ret.Status != tt.wantStatus || ret.CashBack() != tt.wantCash {
				t.Errorf("return: got %s cash %d, want %s cash %d", ret.Status, ret.CashBack(), tt.wantStatus, tt.wantCash)
			}
			if tt.wantCash > 0 && !strings.Contains(r.screen(), "GIVE BACK CASH") {
				t.Errorf("done screen:\n%s", r.screen())
			}
			if r.gw.refunded() != 0 {
				t.Errorf("card refunded %d after a failure, want 0", r.gw.refunded())
			}
		})
	}
}

// A card refund without an answer is checked again, by its key, until it
// is known: Esc cannot leave it, and the refund is made and looked up once
// whether the timer or the cashier (enter) asks again first.
func TestUnknownCardRefundResolved(t *testing.T) {
	tests := []struct {
		name  string
		check func(r *returnRig)
	}{
		{"by the timer", func(r *returnRig) { r.drain(time.Second) }},
		{"at once, then the timer", func(r *returnRig) { r.key("enter"); r.drain(time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReturnRig(t, 0)
			r.gw.then(pos.PaymentUnknown)
			r.scan(r.receipt())
			r.typeText("2")
			r.key("enter")
			r.key("enter")
			r.key("y")
			r.wantScreen(screenReturn, retResolving)
			if !strings.Contains(r.screen(), "no answer about the card refund") {
				t.Errorf("resolving:\n%s", r.screen())
			}
			r.key("esc")
			r.wantScreen(screenReturn, retResolving)
			tt.check(r)
			r.wantScreen(screenReturn, retDone)
			if r.gw.calls != 1 || r.gw.finds != 1 || r.gw.refunded() != 258 {
				t.Errorf("gateway: %d refunds asked, %d looked up, %d refunded; want 1, 1, 258", r.gw.calls, r.gw.finds, r.gw.refunded())
			}
			if ret := r.only(); ret.Status != pos.ReturnCompleted || ret.CardBack() != 258 {
				t.Errorf("return: got %s card %d, want completed 258", ret.Status, ret.CardBack())
			}
		})
	}
}

// A scanner burst is never a quantity or a PIN: on the return screen it
// counts an item of the sale (or is refused with the code), on the
// approval screen it is refused and the PIN field stays empty.
func TestScanBurstOnReturnScreens(t *testing.T) {
	t.Run("return screen", func(t *testing.T) {
		r := newReturnRig(t, 0)
		r.scan(r.receipt())
		r.scan("1234")
		if q := r.m.returns().lines[0].Quantity; q != 0 || !r.m.returns().field.empty() {
			t.Errorf("after a scan of 1234: milk quantity %d, field %q; want 0 and empty", q, r.m.returns().field.take())
		}
		if !r.m.status.err || !strings.Contains(r.m.status.text, "1234") {
			t.Errorf("status: got %q, want the scan refused by its code", r.m.status.text)
		}
		r.scan(bread.Code)
		if q := r.m.returns().lines[1].Quantity; q != 1 || r.m.returns().sel != 1 {
			t.Errorf("after a scan of the bread: bread quantity %d selected %d, want 1 and line 2", q, r.m.returns().sel)
		}
		r.scan(applesLabel)
		if q := r.m.returns().lines[2].Quantity; q != 482 {
			t.Errorf("after a scan of the apples' label: %d g, want 482", q)
		}
		r.wantScreen(screenReturn, retChoosing)
	})
	t.Run("approval PIN", func(t *testing.T) {
		r := newReturnRig(t, 0)
		r.scan(r.receipt())
		r.key("f6") // cash instead of the card
		r.typeText("1")
		r.key("enter")
		r.key("enter")
		r.key("y")
		r.wantScreen(screenApproval, 0)
		r.typeText("900")
		r.key("tab")
		r.scan("9999")
		a := r.m.screens[screenApproval].(*approvalScreen)
		if !a.pin.empty() || a.state != apPIN {
			t.Errorf("after a scan: PIN field %q state %d, want empty, on the PIN", a.pin.String(), a.state)
		}
		if !r.m.status.err || !strings.Contains(r.m.status.text, "a scan is not taken here") {
			t.Errorf("status: got %q", r.m.status.text)
		}
		if strings.Contains(r.screen(), "9999") {
			t.Errorf("what was scanned (perhaps a PIN) is on screen:\n%s", r.screen())
		}
		if r.managers.refused != 0 || len(r.store.all()) != 0 {
			t.Errorf("a scan was tried as a PIN")
		}
		r.typeText("9999")
		r.key("enter")
		r.wantScreen(screenReturn, retDone)
		if ret := r.only(); !ret.CashInstead || ret.CashBack() != 129 || ret.ApprovedBy != 9 {
			t.Errorf("return: cash instead %v, cash %d, approved by %d", ret.CashInstead, ret.CashBack(), ret.ApprovedBy)
		}
	})
}

// A stop signal waits while the return is recorded or its card refund is
// in doubt, and passes once it is done.
func TestQuitHeldWhileReturnSettles(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *returnRig)
		state returnState
	}{
		{"recording, database down", func(r *returnRig) { r.store.setDown(true) }, retRecording},
		{"card refund without an answer", func(r *returnRig) { r.gw.then(pos.PaymentUnknown) }, retResolving},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReturnRig(t, 0)
			r.scan(r.receipt())
			r.typeText("1")
			r.key("enter")
			if got := r.m.Filter(r.m, tea.QuitMsg{}); got == nil {
				t.Fatalf("choosing: got the quit held, want it passed")
			}
			tt.setup(r)
			r.key("enter")
			r.key("y")
			r.wantScreen(screenReturn, tt.state)
			if got := r.m.Filter(r.m, tea.QuitMsg{}); got != nil {
				t.Errorf("got the quit passed, want it held")
			}
			r.key("ctrl+c")
			if !r.m.status.err || !strings.Contains(r.m.status.text, "return is being refunded") {
				t.Errorf("ctrl+c: got status %q", r.m.status.text)
			}
			r.store.setDown(false)
			r.drain(10 * time.Second)
			r.wantScreen(screenReturn, retDone)
			if got := r.m.Filter(r.m, tea.QuitMsg{}); got == nil {
				t.Errorf("done: got the quit held, want it passed")
			}
		})
	}
}

// Without a receipt: a manager first, then items from the catalogue,
// refunded in cash at the catalogue price.
func TestReturnWithoutReceipt(t *testing.T) {
	r := newReturnRig(t, 0)
	r.key("f7")
	r.wantScreen(screenApproval, 0)
	r.approve("9999")
	r.wantScreen(screenReturn, retChoosing)
	r.scan(milk.Code)
	r.typeText(milk.Code) // typed, as from a worn label
	r.key("enter")
	r.scan(old.Code) // no longer sold, but it can come back
	r.key("f3")      // wrong item
	r.key("f3")      // damaged
	if scr := r.screen(); !strings.Contains(scr, "REFUND €4.57") || !strings.Contains(scr, "cash €4.57") {
		t.Errorf("plan: want €4.57 in cash\n%s", scr)
	}
	r.key("enter")
	r.key("y")
	r.wantScreen(screenReturn, retDone)
	ret := r.only()
	if ret.SaleKey != "" || ret.ApprovedBy != 9 || ret.CashBack() != 457 || len(ret.Lines) != 2 || ret.Lines[0].Quantity != 2 {
		t.Errorf("return: %+v", ret)
	}
	if l := ret.Lines[1]; l.Reason != pos.ReasonDamaged || l.Restock {
		t.Errorf("soap: got %s restock %v, want damaged, not restocked", l.Reason, l.Restock)
	}
}

// Voiding a completed sale brings everything left back, today only.
func TestVoidCompletedSale(t *testing.T) {
	tests := []struct {
		name      string
		completed time.Time
		wantVoid  bool
		wantErr   string
	}{
		{"today", rigStart.Add(-time.Hour), true, ""},
		{"yesterday", rigStart.Add(-24 * time.Hour), false, "only today's sales can be voided"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReturnRig(t, 0)
			s := r.store.sales[soldKey]
			s.CompletedAt = tt.completed
			r.store.sales[soldKey] = s
			r.scan(r.receipt())
			r.key("f9")
			if !tt.wantVoid {
				if !r.m.status.err || !strings.Contains(r.m.status.text, tt.wantErr) {
					t.Errorf("status: got %q, want %q", r.m.status.text, tt.wantErr)
				}
				r.wantScreen(screenReturn, retChoosing)
				return
			}
			if r.m.confirm == nil || !strings.Contains(r.m.confirm.question, "Void sale 41") {
				t.Fatalf("F9: got no question to void")
			}
			r.key("y")
			r.wantScreen(screenReturn, retDone)
			ret := r.only()
			if ret.Kind != pos.KindVoid || len(ret.Lines) != 3 || ret.Refunded() != 880 {
				t.Errorf("void: kind %s, %d lines, %d refunded; want void, 3, 880", ret.Kind, len(ret.Lines), ret.Refunded())
			}
			if !strings.Contains(r.screen(), "Sale voided") {
				t.Errorf("done:\n%s", r.screen())
			}
		})
	}
}

// How a return starts from the basket: a receipt scanned or a sale number
// typed, only with an empty basket.
func TestReturnStarts(t *testing.T) {
	tests := []struct {
		name       string
		do         func(r *returnRig)
		wantScreen screenID
		wantStatus string
	}{
		{"receipt scanned", func(r *returnRig) { r.scan(r.receipt()) }, screenReturn, "return from sale 41"},
		{"receipt on a sale", func(r *returnRig) { r.scan(milk.Code); r.scan(r.receipt()) }, screenBasket, "finish or void this sale first"},
		{"sale number", func(r *returnRig) { r.key("f6"); r.typeText("41"); r.key("enter") }, screenReturn, "return from sale 41"},
		{"unknown sale number", func(r *returnRig) { r.key("f6"); r.typeText("42"); r.key("enter") }, screenReturn, "no sale number 42"},
		{"sale number scanned", func(r *returnRig) { r.key("f6"); r.scan("4242") }, screenReturn, "not a receipt"},
		{"fully returned", func(r *returnRig) {
			r.store.returns["x"] = pos.Return{Key: "x", SaleKey: soldKey, Status: pos.ReturnCompleted, Lines: []pos.ReturnLine{
				{SaleLine: 1, Quantity: 3}, {SaleLine: 2, Quantity: 1}, {SaleLine: 3, Quantity: 482}}}
			r.store.order = append(r.store.order, "x")
			r.scan(r.receipt())
		}, screenBasket, "everything on sale 41 has been returned already"},
		{"no-receipt refused by the manager", func(r *returnRig) { r.key("f7"); r.key("esc") }, screenBasket, "not approved"},
		{"database down", func(r *returnRig) { r.store.setDown(true); r.scan(r.receipt()) }, screenBasket, "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReturnRig(t, 0)
			tt.do(r)
			if r.m.active != tt.wantScreen || !strings.Contains(r.m.status.text, tt.wantStatus) {
				t.Errorf("got screen %d status %q, want screen %d status %q", r.m.active, r.m.status.text, tt.wantScreen, tt.wantStatus)
			}
		})
	}
}

// Training returns work as live ones do, on training receipts only; a
// live till refuses a training receipt and a training till a real one.
func TestReturnTraining(t *testing.T) {
	tests := []struct {
		name                string
		tillTraining, saleT bool
		wantDone            bool
		wantStatus          string
	}{
		{"training receipt, training till", true, true, true, "return recorded: €1.29 refunded"},
		{"real receipt, training till", true, false, false, "that is a real sale: it cannot be returned in training mode"},
		{"training receipt, live till", false, true, false, "that is a training receipt: it cannot be returned on a live till"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReturnRig(t, 0)
			s := r.store.sales[soldKey]
			s.Training = tt.saleT
			r.store.sales[soldKey] = s
			r.m.set.Training = tt.tillTraining
			r.m.deps.Returns.Settings.Training = tt.tillTraining
			r.scan(r.receipt())
			if !tt.wantDone {
				r.wantScreen(screenBasket, retIdle)
				if !strings.Contains(r.m.status.text, tt.wantStatus) {
					t.Errorf("status: got %q, want %q", r.m.status.text, tt.wantStatus)
				}
				return
			}
			r.typeText("1")
			r.key("enter")
			r.key("enter")
			r.key("y")
			r.wantScreen(screenReturn, retDone)
			scr := r.screen()
			if !strings.Contains(r.m.status.text, tt.wantStatus) || !strings.Contains(scr, "TRAINING") {
				t.Errorf("status %q, want %q, and TRAINING on screen:\n%s", r.m.status.text, tt.wantStatus, scr)
			}
			if ret := r.only(); !ret.Training {
				t.Errorf("the return is not marked training")
			}
		})
	}
}

// The basket offers the return keys only when it is empty: a return starts
// from an empty basket.
func TestReturnKeysOnEmptyBasketOnly(t *testing.T) {
	r := newReturnRig(t, 0)
	if s := r.screen(); !strings.Contains(s, "F6 return") || !strings.Contains(s, "F7 no-receipt return") {
		t.Errorf("empty basket: the return keys are not in the help:\n%s", s)
	}
	r.scan(milk.Code)
	if s := r.screen(); strings.Contains(s, "F6 return") {
		t.Errorf("basket with a line: the return key is offered:\n%s", s)
	}
	r.key("f6")
	if r.m.active != screenBasket || !strings.Contains(r.m.status.text, "finish or void this sale first") {
		t.Errorf("F6 on a sale: got screen %d status %q", r.m.active, r.m.status.text)
	}
}

// refunderSim lets the trainer's keys steer the fake gateway's refunds, as
// they steer the simulated reader's in training.
type refunderSim struct{ g *fakeRefunder }

func (s refunderSim) NextDecline() { s.g.then(pos.PaymentFailed) }
func (s refunderSim) NextTimeout() { s.g.then(pos.PaymentUnknown) }

// In training, F7 and F8 on the return screen make the next card refund
// fail or go unanswered, so a trainee practises both.
func TestTrainerStepsRefunds(t *testing.T) {
	tests := []struct {
		key  string
		want returnState
	}{
		{"f7", retFailed},
		{"f8", retResolving},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			r := newReturnRig(t, 0)
			r.m.deps.CardSim = refunderSim{r.gw}
			r.scan(r.receipt())
			if s := r.screen(); !strings.Contains(s, "F7 next refund fails") || !strings.Contains(s, "F8 next refund times out") {
				t.Errorf("the trainer's keys are not in the help:\n%s", s)
			}
			r.key(tt.key)
			r.typeText("1")
			r.key("enter")
			r.key("enter")
			r.key("y")
			r.wantScreen(screenReturn, tt.want)
		})
	}
}

// A return the store refuses (another till returned the same milk
// meanwhile) comes back to the choosing screen with the refusal shown and
// what is left now; nothing is recorded under its key.
func TestReturnRefusedByTheStore(t *testing.T) {
	r := newReturnRig(t, 0)
	r.scan(r.receipt())
	r.typeText("3")
	r.key("enter")
	// Meanwhile another till takes two milks back.
	r.store.returns["other"] = pos.Return{Key: "other", SaleKey: soldKey, Status: pos.ReturnCompleted,
		Lines: []pos.ReturnLine{{SaleLine: 1, Quantity: 2}}}
	r.store.order = append(r.store.order, "other")
	key := r.m.returns().key
	r.key("enter")
	r.key("y")
	r.wantScreen(screenReturn, retChoosing)
	if !r.m.status.err || !strings.Contains(r.m.status.text, "only 1 left to return") {
		t.Errorf("status: got %q, want the refusal", r.m.status.text)
	}
	rs := r.m.returns()
	if rs.src.Left(0) != 1 || rs.lines[0].Quantity != 1 || rs.key == key {
		t.Errorf("after the refusal: left %d, chosen %d, key changed %v; want 1, 1, a new key", rs.src.Left(0), rs.lines[0].Quantity, rs.key != key)
	}
	if n := len(r.store.all()); n != 1 {
		t.Errorf("returns recorded: %d, want only the other till's", n)
	}
}

// A quantity typed before a scan ("3*") goes with the scan on the return
// screens as on the basket: on a return without a receipt, and on the
// return's done screen, where the scan starts the next sale.
func TestTypedQuantityGoesWithTheScan(t *testing.T) {
	r := newReturnRig(t, 0)
	r.key("f7")
	r.approve("9999")
	r.wantScreen(screenReturn, retChoosing)
	r.typeText("3*")
	r.scan(milk.Code)
	r.key("enter")
	r.key("y")
	r.wantScreen(screenReturn, retDone)
	if ret := r.only(); len(ret.Lines) != 1 || ret.Lines[0].Quantity != 3 {
		t.Fatalf("return without a receipt after 3* and a scan: got lines %+v, want 3 × milk", ret.Lines)
	}
	r.typeText("2*")
	r.scan(milk.Code)
	if r.m.active != screenBasket || len(r.m.sale.Lines()) != 1 || r.m.sale.Lines()[0].Quantity != 2 {
		t.Errorf("next sale after 2* and a scan: screen %d, lines %+v; want the basket with 2 × milk", r.m.active, r.m.sale.Lines())
	}
}
