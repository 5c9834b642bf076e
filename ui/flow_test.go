package ui

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/till-pos/till/pos"
)

// TestFlowSplitTender runs the whole program at 80×24: sign in, scan three
// items (one with a quantity prefix, one weighed by its scale label),
// attach a customer by scanning their loyalty card, pay part by card and
// the rest in cash, and see the change.
func TestFlowSplitTender(t *testing.T) {
	db := &fakeDB{items: []pos.Item{milk, bread, apples}, custs: []pos.Customer{ann}}
	set := pos.Settings{StoreID: "s1", TillID: "t1", Currency: pos.EUR(), TaxMode: pos.TaxInclusive,
		PointsPer: 100, Scan: pos.DefaultScanRules(), Training: true}
	reader := &fakeReader{}
	m := New(context.Background(), Deps{Checkout: &pos.Checkout{Sales: db, Gateway: reader, Settings: set},
		Catalog: db, Customers: db, Cashiers: db, Audit: db, CardSim: reader}, NewStyles(false))
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	wait := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(what)) },
			teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	wait("catalog")
	tm.Type("101")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyTab})
	// A person's pace: at machine speed a PIN is a scan. Each digit is
	// on screen (a key is shown once burstGap passed with no other key)
	// before the next is typed.
	for _, c := range "1111" {
		tm.Type(string(c))
		wait("•") // the output read since the last wait: this digit's bullet
	}
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	wait("Scan")
	for _, code := range []string{"3*4006381333931", applesLabel, "5901234123457", loyaltyCard} {
		tm.Type(code)
		tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	}
	wait("Ann Shopper")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyF5}) // tender: €3.87 + €1.44 + €3.49 = €8.80
	wait("Cash given")
	tm.Type("5")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyF5}) // €5 by card
	wait("still due")
	tm.Type("10")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter}) // €10 cash for €3.80
	wait("CHANGE DUE")
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)

	sales := db.completed()
	if len(sales) != 1 {
		t.Fatalf("completed sales: got %d, want 1", len(sales))
	}
	s := sales[0]
	if len(s.Lines) != 3 || s.Totals.Total != 880 || s.CustomerID != ann.ID || !s.Training {
		t.Errorf("sale: got %d lines, total %d, customer %d, training %v; want 3, 880, %d, true",
			len(s.Lines), s.Totals.Total, s.CustomerID, s.Training, ann.ID)
	}
	if got := s.Change(); got != 620 {
		t.Errorf("change: got %d, want 620", got)
	}
	if d := final.screens[screenDone].(*doneScreen); d.sale.Key != s.Key {
		t.Errorf("done screen shows sale %s, want %s", d.sale.Key, s.Key)
	}
}

// losingDB commits a SellCash but loses its answer, lose times, as when the
// connection drops after COMMIT.
type losingDB struct {
	*fakeDB
	lose int
}

func (l *losingDB) SellCash(ctx context.Context, s pos.Sale) (pos.Sale, error) {
	done, err := l.fakeDB.SellCash(ctx, s)
	if err == nil && l.lose > 0 {
		l.lose--
		return pos.Sale{}, errDown
	}
	return done, err
}

// Issue 20 item 2: €5 taken towards €7.36, esc, bread voided: the cash
// covers the €3.87 left, and F5 finishes the sale with €1.13 change.
// Before, the tender showed "Due €0.00" and every key said "nothing is
// left to pay".
func TestOverpaidAfterAVoidFinishes(t *testing.T) {
	r := newRig(t, true)
	r.scan("3*4006381333931")
	r.scan("5901234123457")
	r.key("f5")
	r.typeText("5")
	r.key("enter")
	r.key("esc")
	r.key("f8") // bread, the line selected
	if n := len(r.m.sale.Lines()); n != 1 || r.m.active != screenBasket {
		t.Fatalf("after the void: %d lines on screen %d (status %q)", n, r.m.active, r.m.status.text)
	}
	r.key("f5")
	if r.m.active != screenDone {
		t.Fatalf("F5 with the cash covering the total: got screen %d status %q, want the change\n%s", r.m.active, r.m.status.text, r.screen())
	}
	if !strings.Contains(r.screen(), "€1.13") || !strings.Contains(r.screen(), "CHANGE DUE") {
		t.Errorf("done screen does not show the €1.13 change:\n%s", r.screen())
	}
	sales := r.db.completed()
	if len(sales) != 1 || sales[0].Change() != 113 || sales[0].Paid() != 387 || sales[0].Totals.Total != 387 {
		t.Fatalf("completed: got %+v, want one sale of 3.87 paid, 1.13 change", sales)
	}
}

// The same with enter on the tender: F5 is not the only way out.
func TestOverpaidTenderEnterFinishes(t *testing.T) {
	r := newRig(t, true)
	r.scan("3*4006381333931")
	r.scan("5901234123457")
	r.key("f5")
	r.typeText("5")
	r.key("enter")
	r.key("esc")
	r.key("f8")
	r.m.goTo(screenTender) // as if shown some other way
	if !strings.Contains(r.screen(), "CHANGE") {
		t.Errorf("tender does not show the change:\n%s", r.screen())
	}
	r.key("enter")
	if r.m.active != screenDone || len(r.db.completed()) != 1 {
		t.Fatalf("enter: got screen %d, %d sales (status %q)", r.m.active, len(r.db.completed()), r.m.status.text)
	}
}

// Issue 20 item 1 (the bound): a scanned EAN-8 typed into the cash field
// with €0.30 due is refused and nothing is taken or recorded.
func TestAbsurdCashRefused(t *testing.T) {
	r := newRig(t, true)
	r.scan("3*4006381333931") // 3.87
	r.key("f5")
	r.typeText("3.57")
	r.key("enter") // 0.30 left
	r.typeText("96385074")
	r.key("enter")
	if r.m.active != screenTender || !r.m.status.err || !strings.Contains(r.m.status.text, "not taken") {
		t.Fatalf("absurd cash: got screen %d status %q, want refused on the tender", r.m.active, r.m.status.text)
	}
	if r.m.sale.CashGiven() != 357 || len(r.db.sales) != 0 {
		t.Errorf("after the refusal: cash %d, %d sales stored; want 357 and none", r.m.sale.CashGiven(), len(r.db.sales))
	}
	r.typeText("500.30")
	r.key("enter") // the largest note and what is due: taken
	if r.m.active != screenDone || r.m.screens[screenDone].(*doneScreen).sale.Change() != 500_00 {
		t.Errorf("€500.30 for €0.30: got screen %d status %q, want done with €500 change", r.m.active, r.m.status.text)
	}
}

// Issue 20 item 6: the database is down while a cash sale is recorded. The
// screen says it waits and retries; esc steps back to the basket with the
// sale kept; ctrl+c tells the truth; the change shows the moment the sale
// is recorded, whatever screen is shown.
func TestRecordingWhileTheDatabaseIsDown(t *testing.T) {
	r := newRig(t, true)
	r.scan("4006381333931")
	r.key("f5")
	r.db.setDown(true)
	r.typeText("5")
	r.key("enter")
	r.drain(time.Second) // try 2 fails too
	if !r.m.sale.Recording() || !strings.Contains(r.screen(), "Waiting for the database") || !strings.Contains(r.screen(), "retrying") {
		t.Fatalf("recording while down: the screen does not say it waits and retries:\n%s", r.screen())
	}
	r.key("5")
	if !strings.Contains(r.m.status.text, "esc") {
		t.Errorf("a key while waiting: status %q, want the way out (esc)", r.m.status.text)
	}
	r.key("ctrl+c")
	if strings.Contains(r.m.status.text, "the sale is recorded") || !strings.Contains(r.m.status.text, "may be recorded") {
		t.Errorf("ctrl+c while recording: status %q, want the truth (may be recorded)", r.m.status.text)
	}
	r.key("esc")
	if r.m.active != screenBasket || len(r.m.sale.Lines()) != 1 || r.m.sale.CashGiven() != 500 {
		t.Fatalf("esc while recording: got screen %d, %d lines, cash %d; want the basket with the sale kept", r.m.active, len(r.m.sale.Lines()), r.m.sale.CashGiven())
	}
	r.scan("5901234123457")
	if !r.m.status.err || !strings.Contains(r.m.status.text, "may be recorded") || len(r.m.sale.Lines()) != 1 {
		t.Errorf("a scan while the sale is being recorded: status %q, %d lines; want refused with the reason", r.m.status.text, len(r.m.sale.Lines()))
	}
	r.drain(10 * time.Second) // still down: still retrying
	if !r.m.sale.Recording() || r.m.tender().tries < 3 {
		t.Fatalf("after 10 s down: recording %v, %d tries; want still retrying", r.m.sale.Recording(), r.m.tender().tries)
	}
	r.db.setDown(false)
	r.drain(10 * time.Second)
	if r.m.active != screenDone || !strings.Contains(r.screen(), "€3.71") {
		t.Fatalf("database back: got screen %d, want the change €3.71:\n%s", r.m.active, r.screen())
	}
	if n := len(r.db.completed()); n != 1 {
		t.Errorf("completed sales: got %d, want 1", n)
	}
}

// Issue 20 item 6: voiding a sale whose SellCash may have committed
// resolves it by its key: recorded, the change is shown (never voided or
// sold twice); not recorded, it is voided and can never be sold later.
func TestVoidWhileRecordingResolvesByKey(t *testing.T) {
	for _, committed := range []bool{true, false} {
		t.Run(fmt.Sprint("committed ", committed), func(t *testing.T) {
			r := newRig(t, true)
			ldb := &losingDB{fakeDB: r.db}
			r.m.deps.Checkout.Sales = ldb
			r.scan("4006381333931")
			r.key("f5")
			if committed {
				ldb.lose = 1
			} else {
				r.db.setDown(true)
			}
			r.key("f2")
			if !r.m.sale.Recording() {
				t.Fatalf("not recording after a lost answer: stage %s", r.m.sale.Stage())
			}
			r.key("esc")
			r.db.setDown(false)
			r.key("f9")
			r.key("y")
			want, stored := screenBasket, pos.SaleVoided
			if committed {
				want, stored = screenDone, pos.SaleCompleted
			}
			if r.m.active != want || len(r.db.sales) != 1 {
				t.Fatalf("void: got screen %d, %d sales (status %q), want %d and 1", r.m.active, len(r.db.sales), r.m.status.text, want)
			}
			for _, s := range r.db.sales {
				if s.Status != stored {
					t.Errorf("stored: got %s, want %s", s.Status, stored)
				}
			}
			r.drain(time.Minute) // a late retry of the SellCash changes nothing
			if len(r.db.sales) != 1 || len(r.db.completed()) != map[bool]int{true: 1, false: 0}[committed] {
				t.Errorf("after the retries: %d sales, %d completed", len(r.db.sales), len(r.db.completed()))
			}
		})
	}
}

// failingPrinter refuses every receipt, as a printer out of paper does.
type failingPrinter struct{}

func (failingPrinter) Print(context.Context, pos.Sale) error {
	return pos.Errorf(pos.EUnavailable, "the printer did not take the receipt (out of paper)")
}

func (failingPrinter) Save(context.Context, pos.Sale) (string, error) {
	return "", pos.Errorf(pos.EUnavailable, "no receipt folder is set up on this till")
}

// offlineReader fails every charge before it reaches the card: nothing
// is charged.
type offlineReader struct{ *fakeReader }

func (offlineReader) Charge(context.Context, pos.ChargeRequest) (pos.ChargeResult, error) {
	return pos.ChargeResult{Status: pos.PaymentFailed, Message: "the card reader is offline"}, nil
}

// Issue 20 item 9: a printer fault says so, and raises no false
// DATABASE UNREACHABLE banner; nor does a card reader fault.
func TestFaultsHaveTheirOwnMessage(t *testing.T) {
	r := newRig(t, true)
	r.m.deps.Receipts = failingPrinter{}
	r.scan("4006381333931")
	r.key("f5")
	r.key("f2")
	r.key("f2") // print
	if r.m.dbDown != "" || strings.Contains(r.screen(), "DATABASE") {
		t.Errorf("a print failure raised the database banner:\n%s", r.screen())
	}
	if !strings.Contains(r.m.status.text, "out of paper") || !strings.Contains(r.screen(), "printer") {
		t.Errorf("print failure: status %q, want the printer's own message", r.m.status.text)
	}

	r.key("enter") // next sale
	r.scan("4006381333931")
	r.key("f5")
	r.m.deps.Checkout.Gateway = offlineReader{r.reader}
	r.key("f5")
	if r.m.dbDown != "" || strings.Contains(r.screen(), "DATABASE") {
		t.Errorf("a card reader failure raised the database banner:\n%s", r.screen())
	}
	if !strings.Contains(r.m.status.text, "card") {
		t.Errorf("card failure: status %q, want the card's own message", r.m.status.text)
	}
}

// Issue 20 item 11: voiding a paid sale records the cash handed back and
// the card refunded (brand, last 4 digits, amount) in the audit log.
func TestVoidAuditsMoneyHandedBack(t *testing.T) {
	r := newRig(t, true)
	withManager(r) // a card paid: a manager approves the void
	r.scan("4006381333931")
	r.scan("5901234123457") // 4.78
	r.key("f5")
	r.typeText("2")
	r.key("f5") // card €2.00
	r.typeText("1")
	r.key("enter") // cash €1.00
	r.key("f9")
	r.key("y")
	r.typeText("900")
	r.key("tab")
	r.typeText("9999")
	r.key("enter")
	if r.m.active != screenBasket || len(r.m.sale.Lines()) != 0 {
		t.Fatalf("void: screen %d, %d lines (status %q)", r.m.active, len(r.m.sale.Lines()), r.m.status.text)
	}
	last := r.db.audits[len(r.db.audits)-1]
	for _, want := range []string{"cash handed back €1.00", "card visa ••4242 €2.00 refunded"} {
		if last.Action != "void_sale" || !strings.Contains(last.Detail, want) {
			t.Errorf("audit: got %s %q, want void_sale with %q", last.Action, last.Detail, want)
		}
	}
	// An unrecorded sale with cash taken: the cash handed back too.
	r.scan("4006381333931")
	r.key("f5")
	r.typeText("1")
	r.key("enter")
	r.key("f9")
	r.key("y")
	last = r.db.audits[len(r.db.audits)-1]
	if last.Action != "void_sale" || !strings.Contains(last.Detail, "cash handed back €1.00") {
		t.Errorf("audit of an unrecorded void: got %s %q", last.Action, last.Detail)
	}
}

// Issue 20 item 4: a loyalty card scanned while the database does not
// answer is kept and looked up again; the panel shows it; the sale is not
// completed without the customer unless the cashier says so.
func TestCustomerScanNeverDropped(t *testing.T) {
	for _, skip := range []bool{false, true} {
		t.Run(fmt.Sprint("skip ", skip), func(t *testing.T) {
			r := newRig(t, true)
			r.db.setDown(true)
			r.scan(loyaltyCard)
			r.db.setDown(false) // the catalog and the sale answer; the lookup is due again in 1 s
			r.scan("4006381333931")
			if !strings.Contains(r.screen(), "looking up "+loyaltyCard[:8]) {
				t.Fatalf("the panel does not show the card being looked up:\n%s", r.screen())
			}
			r.key("f5")
			r.key("f2") // exact cash: would complete the sale
			if r.m.confirm == nil || !strings.Contains(r.screen(), "not looked up yet") || len(r.db.sales) != 0 {
				t.Fatalf("exact cash while the card is looked up: confirm %v, %d sales, want a question and nothing recorded:\n%s",
					r.m.confirm != nil, len(r.db.sales), r.screen())
			}
			if skip {
				r.key("y")
				r.drain(time.Minute) // a late answer changes nothing
				s := r.db.completed()
				if len(s) != 1 || s[0].CustomerID != 0 || r.m.active != screenDone {
					t.Fatalf("skipped: got %+v on screen %d, want one sale without a customer", s, r.m.active)
				}
				return
			}
			r.key("n")
			if len(r.db.sales) != 0 {
				t.Fatalf("n: the sale was recorded")
			}
			r.drain(time.Second) // the lookup again: answered
			if c := r.m.sale.Customer(); c == nil || c.ID != ann.ID || strings.Contains(r.screen(), "looking up") {
				t.Fatalf("after the retry: customer %+v\n%s", c, r.screen())
			}
			r.key("f2")
			s := r.db.completed()
			if len(s) != 1 || s[0].CustomerID != ann.ID || s[0].PointsEarned != 1 {
				t.Fatalf("completed: got %+v, want Ann with 1 point", s)
			}
		})
	}
}
