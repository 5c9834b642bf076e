package ui

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// journal is an offline journal in memory (pos/journal has the real one's
// tests).
type journal struct {
	mu    sync.Mutex
	sales []pos.Sale
}

func (j *journal) Append(s pos.Sale) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, o := range j.sales {
		if o.Key == s.Key {
			return pos.Errorf(pos.EConflict, "key in the journal twice")
		}
	}
	j.sales = append(j.sales, s)
	return nil
}

func (j *journal) MarkForwarded(string) error { return nil }

func (j *journal) State() (pos.JournalState, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return pos.JournalState{Pending: append([]pos.Sale(nil), j.sales...)}, nil
}

// snapshotCashiers signs in from the till's snapshot: manager 103.
type snapshotCashiers struct{}

func (snapshotCashiers) SignIn(ctx context.Context, store, till, number, pin string) (pos.Cashier, error) {
	if number == "103" && pin == "9999" {
		return pos.Cashier{ID: 3, Number: "103", Name: "Mo Manager", Manager: true}, nil
	}
	return pos.Cashier{}, pos.Errorf(pos.EInvalid, "wrong cashier number or PIN")
}

func offlineRig(t *testing.T) (*rig, *journal) {
	r := newRig(t, true)
	j := &journal{}
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
	if !r.m.status.err || len(j.sales) != 0 {
		t.Fatalf("a scan on the approval screen: status %q, %d in the journal", r.m.status.text, len(j.sales))
	}
	r.typeText("103")
	r.key("tab")
	r.typeText("1234")
	r.key("enter")
	if r.m.active != screenApproval || !strings.Contains(r.m.status.text, "not approved") || len(j.sales) != 0 {
		t.Fatalf("a wrong PIN: screen %d, status %q, %d in the journal", r.m.active, r.m.status.text, len(j.sales))
	}
	r.typeText("9999")
	r.key("enter")
	r.drain(time.Second)
	if r.m.active != screenDone || !strings.Contains(r.screen(), "OFFLINE") || !strings.Contains(r.screen(), "€3.71") {
		t.Fatalf("approved: got screen %d, want the done screen, OFFLINE, change €3.71:\n%s", r.m.active, r.screen())
	}
	if len(j.sales) != 1 || !j.sales[0].Offline || j.sales[0].Change() != 371 {
		t.Fatalf("journal: %+v", j.sales)
	}
	r.drain(time.Minute) // no timer runs the offline sale again
	if len(j.sales) != 1 || len(r.db.completed()) != 0 {
		t.Fatalf("after a minute: %d in the journal, %d in the database; want 1, 0", len(j.sales), len(r.db.completed()))
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
	if r.m.active != screenDone || len(j.sales) != 2 {
		t.Fatalf("second offline sale: screen %d, %d in the journal", r.m.active, len(j.sales))
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
	if len(r.db.completed()) != 1 || len(j.sales) != 2 {
		t.Errorf("online again: %d in the database, %d in the journal; want 1, 2", len(r.db.completed()), len(j.sales))
	}
}

// TestSellOfflineRefusedWhenNotWaiting: ctrl+f with nothing waiting for
// the database, or on a till without a journal, is refused and says why.
func TestSellOfflineRefusedWhenNotWaiting(t *testing.T) {
	r, j := offlineRig(t)
	r.scan("4006381333931")
	r.key("ctrl+f")
	if !r.m.status.err || !strings.Contains(r.m.status.text, "only a cash sale waiting") || len(j.sales) != 0 {
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
	if len(j.sales) != 1 || r.m.sale.Settling() {
		t.Fatalf("after the stop: %d in the journal, settling %v", len(j.sales), r.m.sale.Settling())
	}
	if _, ok := r.m.Filter(r.m, tea.QuitMsg{}).(tea.QuitMsg); !ok {
		t.Error("the quit after the sale was kept was held")
	}
	if got := r.db.auditActions(); !slices.Contains(got, "offline_on_stop") && !slices.ContainsFunc(r.m.auditOutbox, func(e pos.AuditEntry) bool { return e.Action == "offline_on_stop" }) {
		t.Errorf("no offline_on_stop audit: %v", got)
	}
}
