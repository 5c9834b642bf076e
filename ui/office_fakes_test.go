package ui

import (
	"context"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// fakeOffice is pos.CashOfficeStore in memory: one till's sessions, its
// movements and its Zs, with the store's refusals (a session already
// open, none open, a movement without its manager, pending sales at the Z).
type fakeOffice struct {
	mu       sync.Mutex
	down     bool
	pending  int64 // sales or returns still pending: the Z refuses
	nextID   int64
	open     *pos.Session
	moves    []pos.CashMovement
	zs       []pos.Report
	sessions []pos.Session
}

func (f *fakeOffice) setDown(d bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = d
}

func (f *fakeOffice) OpenSession(ctx context.Context, req pos.OpenRequest) (pos.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return pos.Session{}, errDown
	}
	if f.open != nil {
		return pos.Session{}, pos.Errorf(pos.EConflict, "a session is already open at till %s", req.TillID)
	}
	f.nextID++
	s := pos.Session{ID: f.nextID, Key: req.Key, StoreID: req.StoreID, TillID: req.TillID, Currency: req.Currency,
		OpenedBy: req.CashierID, OpenedAt: rigStart, Float: req.Float.Total(), Status: pos.SessionOpen, FloatNote: req.Float}
	f.open = &s
	f.sessions = append(f.sessions, s)
	return s, nil
}

func (f *fakeOffice) OpenSessionAt(ctx context.Context, storeID, tillID string) (pos.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return pos.Session{}, errDown
	}
	if f.open == nil {
		return pos.Session{}, pos.Errorf(pos.ENotFound, "no session is open at till %s: open the till with a float first", tillID)
	}
	return *f.open, nil
}

func (f *fakeOffice) RecordMovement(ctx context.Context, m pos.CashMovement) (pos.CashMovement, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.down:
		return pos.CashMovement{}, errDown
	case f.open == nil:
		return pos.CashMovement{}, pos.Errorf(pos.EConflict, "no session is open at till %s: open the till with a float first", m.TillID)
	case m.Kind.NeedsManager() && m.ApprovedBy == 0:
		return pos.CashMovement{}, pos.Errorf(pos.EConflict, "a %s needs a manager's approval", m.Kind.Label())
	}
	m.ID, m.SessionID = int64(len(f.moves)+1), f.open.ID
	f.moves = append(f.moves, m)
	return m, nil
}

func (f *fakeOffice) report(kind pos.ReportKind) pos.Report {
	r := pos.Report{Kind: kind, Session: *f.open, From: f.open.OpenedAt, To: rigStart, Float: f.open.Float, Pending: f.pending}
	for _, m := range f.moves {
		if m.SessionID != f.open.ID {
			continue
		}
		switch m.Kind {
		case pos.MovePaidIn:
			r.PaidIn = pos.Tally{Count: r.PaidIn.Count + 1, Amount: r.PaidIn.Amount + m.Amount}
		case pos.MovePaidOut:
			r.PaidOut = pos.Tally{Count: r.PaidOut.Count + 1, Amount: r.PaidOut.Amount + m.Amount}
		case pos.MovePickup:
			r.Pickups = pos.Tally{Count: r.Pickups.Count + 1, Amount: r.Pickups.Amount + m.Amount}
		case pos.MoveNoSale:
			r.NoSales++
		}
	}
	r.ExpectedCash = r.ExpectedCashOf()
	return r
}

func (f *fakeOffice) XReport(ctx context.Context, storeID, tillID string) (pos.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.down:
		return pos.Report{}, errDown
	case f.open == nil:
		return pos.Report{}, pos.Errorf(pos.ENotFound, "no session is open at till %s: there is nothing to report", tillID)
	}
	return f.report(pos.ReportX), nil
}

func (f *fakeOffice) CloseSession(ctx context.Context, req pos.CloseRequest) (pos.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.down:
		return pos.Report{}, errDown
	case f.open == nil:
		return pos.Report{}, pos.Errorf(pos.EConflict, "no session is open at till %s: it was closed already", req.TillID)
	case f.pending > 0:
		return pos.Report{}, pos.Errorf(pos.EConflict, "%d sales or returns of this session are still pending: "+
			"finish or void them first", f.pending)
	}
	r := f.report(pos.ReportZ)
	r.ZNumber = int64(len(f.zs) + 1)
	r.Counted, r.HasCount = req.Counted, true
	r.Difference = req.Counted.Total() - r.ExpectedCash
	r.Session.Status, r.Session.ClosedBy = pos.SessionClosed, req.CashierID
	f.zs = append(f.zs, r)
	f.open = nil
	return r, nil
}

func (f *fakeOffice) ZReport(ctx context.Context, storeID, tillID string, n int64) (pos.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n < 1 || int(n) > len(f.zs) {
		return pos.Report{}, pos.Errorf(pos.ENotFound, "till %s has no Z %d", tillID, n)
	}
	return f.zs[n-1], nil
}

func (f *fakeOffice) movements() []pos.CashMovement {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]pos.CashMovement(nil), f.moves...)
}

// fakeReports is the receipt path for reports: it keeps what it printed
// and fails when err is set.
type fakeReports struct {
	mu      sync.Mutex
	printed []pos.Report
	err     error
}

func (p *fakeReports) PrintReport(ctx context.Context, r pos.Report) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.printed = append(p.printed, r)
	return nil
}

func (p *fakeReports) SaveReport(ctx context.Context, r pos.Report) (string, error) {
	return "/tmp/z.pdf", nil
}

// officeRig is a till with the cash office on fakes, a drawer and a
// manager (900, PIN 9999), signed in as cashier 101.
type officeRig struct {
	*rig
	store    *fakeOffice
	drawer   *fakeDrawer
	managers *fakeManagers
	reports  *fakeReports
}

// newOfficeRig builds it; float > 0 opens a session with that float
// before the cashier signs in.
func newOfficeRig(t testing.TB, float pos.Money) *officeRig {
	t.Helper()
	r := &officeRig{rig: newRig(t, false), store: &fakeOffice{}, drawer: &fakeDrawer{}, reports: &fakeReports{}}
	r.managers = &fakeManagers{db: r.db}
	r.m.deps.Approver = &pos.Approver{Cashiers: r.managers, Audit: r.db, StoreID: "s1", TillID: "t1"}
	r.m.deps.Drawer = r.drawer
	r.m.deps.CashOffice = &pos.CashOffice{Store: r.store, Drawer: r.drawer, Printer: r.reports, Settings: r.m.set}
	r.m.deps.Reports = r.reports
	if float > 0 {
		if _, err := r.store.OpenSession(context.Background(), pos.OpenRequest{Key: pos.NewKey(), StoreID: "s1",
			TillID: "t1", CashierID: 1, Currency: "EUR", Float: pos.CountOf(float)}); err != nil {
			t.Fatal(err)
		}
	}
	r.signIn()
	return r
}

// office presses the office key.
func (r *officeRig) office() { r.human(tea.KeyPressMsg{Code: 'x', Mod: tea.ModCtrl}) }

// approve types the manager's number and PIN at a person's pace.
func (r *officeRig) approve(pin string) {
	r.typeText("900")
	r.key("tab")
	r.typeText(pin)
	r.key("enter")
}

func (r *officeRig) wantState(screen screenID, state officeState) {
	r.t.Helper()
	if r.m.active != screen || screen == screenOffice && r.m.office().state != state {
		r.t.Fatalf("got screen %d state %s, want screen %d state %s (status %q)\n%s", r.m.active,
			r.m.office().state, screen, state, r.m.status.text, r.screen())
	}
}
