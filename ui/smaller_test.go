package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/till-pos/till/pos"
)

// The smaller items of the first hour at a real till.

func TestRefusedCardAmountIsCleared(t *testing.T) {
	r := newRig(t, true)
	r.scan(milk.Code)
	r.key("f5")
	r.typeText("99")
	r.key("f5") // €99 by card on €1.29: refused
	if !r.m.status.err || !strings.Contains(r.m.status.text, "a card can pay") {
		t.Fatalf("status: got %q, want the card amount refused", r.m.status.text)
	}
	tender := r.m.screens[screenTender].(*tenderScreen)
	if !tender.amount.empty() {
		t.Fatalf("the refused amount %q stays in the field", tender.amount.String())
	}
	r.typeText("1")
	r.key("f5") // €1, not €991
	if got := r.m.sale.CardPaid(); got != 100 {
		t.Errorf("card paid: got %d, want 100", got)
	}
}

func TestClockInStoreZone(t *testing.T) {
	r := newRig(t, true)                              // the rig's clock: 12:30 UTC on 4 March
	berlin, err := time.LoadLocation("Europe/Berlin") // time/tzdata: found on any machine
	if err != nil {
		t.Fatal(err)
	}
	r.m.deps.Location = berlin
	r.scan(milk.Code) // draws the frame again
	if head := strings.SplitN(r.screen(), "\n", 2)[0]; !strings.Contains(head, "13:30") {
		t.Errorf("header: got %q, want Berlin's 13:30", head)
	}
}

func TestTotalsNamedAsOnTheReceipt(t *testing.T) {
	r := newRig(t, true)
	r.scan(milk.Code)
	s := r.screen()
	if strings.Contains(s, "Subtotal") || !hasLine(s, "Before tax", r.m.money(r.m.sale.Totals().Subtotal)) {
		t.Errorf("want the net amount named before tax, not Subtotal:\n%s", s)
	}
}

func TestCheckDigitSaysRescan(t *testing.T) {
	r := newRig(t, true)
	r.scan("4006381333932")
	if want := "check digit of 4006381333932 wrong: rescan"; r.m.status.text != want {
		t.Errorf("status: got %q, want %q", r.m.status.text, want)
	}
}

func TestSecondLoyaltyCardAsks(t *testing.T) {
	d := "980000000002"
	bob := pos.Customer{ID: 8, Name: "Bob Buyer", LoyaltyCard: d + fmt.Sprint(pos.GTINCheckDigit(d)), LoyaltyPoints: 5}
	r := newRig(t, true)
	r.db.custs = append(r.db.custs, bob)
	r.scan(loyaltyCard)
	r.scan(loyaltyCard) // the same card again: nothing to ask
	if r.m.confirm != nil {
		t.Fatalf("the same card asked %q", r.m.confirm.question)
	}
	r.scan(bob.LoyaltyCard)
	if r.m.confirm == nil || !strings.Contains(r.m.confirm.question, "Replace customer Ann Shopper") {
		t.Fatalf("a second card: question %+v, want one asking to replace Ann Shopper", r.m.confirm)
	}
	if c := r.m.sale.Customer(); c.ID != ann.ID {
		t.Fatalf("before the answer: customer %s, want %s", c.Name, ann.Name)
	}
	r.key("n")
	if c := r.m.sale.Customer(); c.ID != ann.ID {
		t.Errorf("after no: customer %s, want %s", c.Name, ann.Name)
	}
	r.scan(bob.LoyaltyCard)
	r.key("y")
	if c := r.m.sale.Customer(); c.ID != bob.ID {
		t.Errorf("after yes: customer %s, want %s", c.Name, bob.Name)
	}
	// From the customer lookup too.
	r.key("f4")
	r.typeText("Ann")
	r.key("enter")
	r.key("enter")
	if r.m.confirm == nil || r.m.sale.Customer().ID != bob.ID {
		t.Fatalf("lookup: question %+v, customer %s; want a question and Bob kept", r.m.confirm, r.m.sale.Customer().Name)
	}
	r.key("y")
	if c := r.m.sale.Customer(); c.ID != ann.ID {
		t.Errorf("lookup after yes: customer %s, want %s", c.Name, ann.Name)
	}
}
