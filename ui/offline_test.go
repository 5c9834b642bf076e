package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/journal"
)

// kept lists the sales waiting in a journal.
func kept(t *testing.T, j *journal.Journal) []pos.Sale {
	t.Helper()
	st, err := j.State()
	if err != nil {
		t.Fatal(err)
	}
	return st.Pending
}

// snapshotCashiers signs in from the till's snapshot: manager 103.
type snapshotCashiers struct{}

func (snapshotCashiers) SignIn(ctx context.Context, store, till, number, pin string) (pos.Cashier, error) {
	if number == "103" && pin == "9999" {
		return pos.Cashier{ID: 3, Number: "103", Name: "Mo Manager", Manager: true}, nil
	}
	return pos.Cashier{}, pos.Errorf(pos.EInvalid, "wrong cashier number or PIN")
}

func offlineRig(t *testing.T) (*rig, *journal.Journal) {
	r := newRig(t, true)
	j, err := journal.Open(t.TempDir()) // the real journal, on the test's disk
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	r.m.deps.Checkout.Journal, r.m.deps.Checkout.OfflineLimits = j, pos.DefaultOfflineLimits()
	r.m.deps.OfflineApprover = &pos.Approver{Cashiers: snapshotCashiers{}, StoreID: "s1", TillID: "t1"}
	r.m.deps.OfflineNeedsManager = true
	return r, j
}

// TestSellOfflineWithAManager: the database goes while a cash sale is
// being recorded; the status offers ctrl+f; a scan on the approval screen
// is refused, a wrong PIN too; manager 103 approves and the sale is in the
// journal once, OFFLINE on the done screen; the next sale goes straight to
// the journal, a card is refused; the database answers and the till is
// online again, the next sale recorded there.
func TestSellOfflineWithAManager(t *testing.T) {
	r, j := offlineRig(t)
	r.scan("4006381333931")
	r.key("f5")
	r.db.setDown(true)
	r.typeText("5")
	r.key("enter")
	r.drain(time.Second)
	if !strings.Contains(r.m.status.text, "ctrl+f sells it offline") {
		t.Fatalf("waiting for the database: status %q, want the offline key", r.m.status.text)
	}
	r.key("ctrl+f")
	if r.m.active != screenApproval {
		t.Fatalf("ctrl+f: screen %d, want the manager's approval", r.m.active)
	}
	r.scan("4006381333931")
	if !r.m.status.err || len(kept(t, j)) != 0 {
		t.Fatalf("a scan on the approval screen: status %q, %d in the journal", r.m.status.text, len(kept(t, j)))
	}
	r.typeText("103")
	r.key("tab")
	r.typeText("1234")
	r.key("enter")
	if r.m.active != screenApproval || !strings.Contains(r.m.status.text, "not approved") || len(kept(t, j)) != 0 {
		t.Fatalf("a wrong PIN: screen %d, status %q, %d in the journal", r.m.active, r.m.status.text, len(kept(t, j)))
	}
	r.typeText("9999")
	r.key("enter")
	r.drain(time.Second)
	if r.m.active != screenDone || !strings.Contains(r.screen(), "OFFLINE") || !strings.Contains(r.screen(), "€3.71") {
		t.Fatalf("approved: got screen %d, want the done screen, OFFLINE, change €3.71:\n%s", r.m.active, r.screen())
	}
	if k := kept(t, j); len(k) != 1 || !k[0].Offline || k[0].Change() != 371 {
		t.Fatalf("journal: %+v", k)
	}
	if spooled, _, _, err := j.SpooledAudits(); err != nil || len(spooled) != 1 || spooled[0].Action != "offline_approved" {
		t.Errorf("the approval's audit on the till's disk: %+v, %v", spooled, err)
	}
	r.drain(time.Minute) // no timer runs the offline sale again
	if len(kept(t, j)) != 1 || len(r.db.completed()) != 0 {
		t.Fatalf("after a minute: %d in the journal, %d in the database; want 1, 0", len(kept(t, j)), len(r.db.completed()))
	}
	if !strings.Contains(r.screen(), "OFFLINE · cash only · 1 sale waiting") {
		t.Errorf("banner: want OFFLINE with 1 waiting:\n%s", r.screen())
	}

	r.key("enter") // next sale
	r.scan("4006381333931")
	r.key("f5")
	r.key("f5") // card
	if !r.m.status.err || !strings.Contains(r.m.status.text, "cards need the network") {
		t.Errorf("a card while offline: status %q", r.m.status.text)
	}
	r.key("f2") // exact cash
	r.drain(time.Second)
	if r.m.active != screenDone || len(kept(t, j)) != 2 {
		t.Fatalf("second offline sale: screen %d, %d in the journal", r.m.active, len(kept(t, j)))
	}

	r.key("enter") // next sale: an empty basket
	r.key("f6")
	if !r.m.status.err || !strings.Contains(r.m.status.text, "returns need the database") || r.m.active != screenBasket {
		t.Errorf("a return while offline: screen %d, status %q", r.m.active, r.m.status.text)
	}
	r.db.setDown(false)
	r.send(offlineStatusMsg{OfflineStatus{Reachable: true}})
	if r.m.offline() || strings.Contains(r.screen(), "OFFLINE · cash only") {
		t.Fatalf("database back: still offline:\n%s", r.screen())
	}
	r.scan("4006381333931")
	r.key("f5")
	r.key("f2")
	r.drain(time.Second)
	if len(r.db.completed()) != 1 || len(kept(t, j)) != 2 {
		t.Errorf("online again: %d in the database, %d in the journal; want 1, 2", len(r.db.completed()), len(kept(t, j)))
	}
}

// TestSellOfflineRefusedWhenNotWaiting: ctrl+f with nothing waiting for
// the database, or on a till without a journal, is refused and says why.
func TestSellOfflineRefusedWhenNotWaiting(t *testing.T) {
	r, j := offlineRig(t)
	r.scan("4006381333931")
	r.key("ctrl+f")
	if !r.m.status.err || !strings.Contains(r.m.status.text, "only a cash sale waiting") || len(kept(t, j)) != 0 {
		t.Errorf("ctrl+f on a basket: status %q", r.m.status.text)
	}
	r2 := newRig(t, true)
	r2.key("ctrl+f")
	if !r2.m.status.err || !strings.Contains(r2.m.status.text, "does not sell offline") {
		t.Errorf("ctrl+f without a journal: status %q", r2.m.status.text)
	}
}

// TestStopKeepsTheWaitingSaleOffline: asked to stop (a signal) while a
// cash sale waits for a database that does not answer, the till keeps the
// sale in the journal instead of holding for minutes; the quit then goes
// through once it is kept.
func TestStopKeepsTheWaitingSaleOffline(t *testing.T) {
	r, j := offlineRig(t)
	r.scan("4006381333931")
	r.key("f5")
	r.db.setDown(true)
	r.typeText("5")
	r.key("enter")
	r.drain(time.Second)
	msg := r.m.Filter(r.m, tea.QuitMsg{})
	if _, ok := msg.(keepOnStopMsg); !ok {
		t.Fatalf("a stop while the sale waits: got %T, want the sale kept offline first", msg)
	}
	r.send(msg)
	if len(kept(t, j)) != 1 || r.m.sale.Settling() {
		t.Fatalf("after the stop: %d in the journal, settling %v", len(kept(t, j)), r.m.sale.Settling())
	}
	if _, ok := r.m.Filter(r.m, tea.QuitMsg{}).(tea.QuitMsg); !ok {
		t.Error("the quit after the sale was kept was held")
	}
	spooled, _, _, err := j.SpooledAudits()
	if err != nil || len(spooled) != 1 || spooled[0].Action != "offline_on_stop" {
		t.Errorf("the stop's audit on the till's disk: %+v, %v", spooled, err)
	}
}

// TestSellOfflineWithoutAManager: a till set up to go offline alone
// (POS_OFFLINE_APPROVAL=none) sells the waiting sale offline at ctrl+f,
// audits it, and its banner names no manager.
func TestSellOfflineWithoutAManager(t *testing.T) {
	r, j := offlineRig(t)
	r.m.deps.OfflineNeedsManager = false
	r.scan("4006381333931")
	r.key("f5")
	r.db.setDown(true)
	r.typeText("5")
	r.key("enter")
	r.drain(time.Second)
	r.key("ctrl+f")
	r.drain(time.Second)
	if r.m.active != screenDone || len(kept(t, j)) != 1 {
		t.Fatalf("ctrl+f without a manager: screen %d, %d in the journal", r.m.active, len(kept(t, j)))
	}
	if s := r.screen(); !strings.Contains(s, "OFFLINE · cash only · 1 sale waiting to be sent") || strings.Contains(s, "approved by") {
		t.Errorf("banner:\n%s", s)
	}
	if spooled, _, _, err := j.SpooledAudits(); err != nil || len(spooled) != 1 || spooled[0].Action != "offline_started" {
		t.Errorf("audit: %+v, %v", spooled, err)
	}
}
