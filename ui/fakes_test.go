package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/till-pos/till/pos"
)

// The fakes below stand in for the store and the card reader, in memory,
// so the screens are tested without a database. The whole till against
// MySQL is tested end to end in cmd/till.

var errDown = pos.Errorf(pos.EUnavailable, "the database is unreachable")

type fakeDB struct {
	mu      sync.Mutex
	down    bool
	items   []pos.Item
	custs   []pos.Customer
	sales   map[string]pos.Sale
	audits  []pos.AuditEntry
	nextID  int64
	signIns int
}

func (f *fakeDB) setDown(d bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = d
}

func (f *fakeDB) check() error {
	if f.down {
		return errDown
	}
	return nil
}

func (f *fakeDB) Items(ctx context.Context, since time.Time) ([]pos.Item, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return nil, err
	}
	var out []pos.Item
	for _, it := range f.items {
		if !it.UpdatedAt.Before(since) {
			out = append(out, it)
		}
	}
	return out, nil
}

func (f *fakeDB) FindCustomers(ctx context.Context, q string, limit int) ([]pos.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return nil, err
	}
	var out []pos.Customer
	for _, c := range f.custs {
		if strings.Contains(strings.ToLower(c.Name), strings.ToLower(q)) || c.Phone == q || c.LoyaltyCard == q {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeDB) CustomerByCard(ctx context.Context, card string) (pos.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return pos.Customer{}, err
	}
	for _, c := range f.custs {
		if c.LoyaltyCard == card {
			return c, nil
		}
	}
	return pos.Customer{}, pos.Errorf(pos.ENotFound, "unknown loyalty card %s", card)
}

func (f *fakeDB) SignIn(ctx context.Context, store, till, number, pin string) (pos.Cashier, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signIns++
	if err := f.check(); err != nil {
		return pos.Cashier{}, err
	}
	if number == "101" && pin == "1111" {
		return pos.Cashier{ID: 1, Number: "101", Name: "Ann Example"}, nil
	}
	return pos.Cashier{}, pos.Errorf(pos.EInvalid, "wrong cashier number or PIN")
}

func (f *fakeDB) Audit(ctx context.Context, e pos.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return err
	}
	f.audits = append(f.audits, e)
	return nil
}

func (f *fakeDB) auditActions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, a := range f.audits {
		out = append(out, a.Action)
	}
	return out
}

func (f *fakeDB) insert(s pos.Sale) (pos.Sale, error) {
	if err := f.check(); err != nil {
		return pos.Sale{}, err
	}
	if f.sales == nil {
		f.sales = map[string]pos.Sale{}
	}
	if old, ok := f.sales[s.Key]; ok {
		return old, nil
	}
	f.nextID++
	s.ID = f.nextID
	f.sales[s.Key] = s
	return s, nil
}

func (f *fakeDB) Reserve(ctx context.Context, s pos.Sale) (pos.Sale, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s.Status = pos.SalePending
	return f.insert(s)
}

func (f *fakeDB) SellCash(ctx context.Context, s pos.Sale) (pos.Sale, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.insert(s)
}

func (f *fakeDB) StartPayment(ctx context.Context, p pos.Payment) (pos.Payment, error) {
	if err := ctx.Err(); err != nil {
		return p, pos.WrapError(pos.EUnavailable, err, "cancelled")
	}
	return p, nil
}

func (f *fakeDB) FinishPayment(ctx context.Context, p pos.Payment) (pos.Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.sales[p.SaleKey]
	for i, q := range s.Payments {
		if q.AttemptKey == p.AttemptKey {
			s.Payments[i] = p
			f.sales[p.SaleKey] = s
			return p, nil
		}
	}
	s.Payments = append(s.Payments, p)
	f.sales[p.SaleKey] = s
	return p, nil
}

func (f *fakeDB) Complete(ctx context.Context, key string, cash []pos.Payment, rounding pos.Money, points int64) (pos.Sale, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return pos.Sale{}, err
	}
	s, ok := f.sales[key]
	if !ok {
		return pos.Sale{}, pos.Errorf(pos.ENotFound, "no sale %s", key)
	}
	if s.Status == pos.SaleCompleted {
		return s, nil
	}
	s.Payments = append(s.Payments, cash...)
	s.CashRounding, s.PointsEarned, s.Status = rounding, points, pos.SaleCompleted
	if s.Paid() != s.Totals.Total+rounding {
		return pos.Sale{}, pos.Errorf(pos.EInvalid, "payments of %d do not cover %d", s.Paid(), s.Totals.Total+rounding)
	}
	f.sales[key] = s
	return s, nil
}

func (f *fakeDB) Release(ctx context.Context, key string, st pos.SaleStatus) (pos.Sale, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return pos.Sale{}, err
	}
	s, ok := f.sales[key]
	if !ok {
		return pos.Sale{}, pos.Errorf(pos.ENotFound, "no sale %s", key)
	}
	s.Status = st
	f.sales[key] = s
	return s, nil
}

func (f *fakeDB) Sale(ctx context.Context, key string) (pos.Sale, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return pos.Sale{}, err
	}
	s, ok := f.sales[key]
	if !ok {
		return pos.Sale{}, pos.Errorf(pos.ENotFound, "no sale %s", key)
	}
	return s, nil
}

func (f *fakeDB) PendingSales(ctx context.Context, till string, before time.Time) ([]pos.Sale, error) {
	return nil, nil
}

func (f *fakeDB) completed() []pos.Sale {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []pos.Sale
	for _, s := range f.sales {
		if s.Status == pos.SaleCompleted {
			out = append(out, s)
		}
	}
	return out
}

// fakeReader is a card reader that approves unless told otherwise, and can
// hold a charge until its context is cancelled.
type fakeReader struct {
	mu   sync.Mutex
	next []pos.PaymentStatus
	hold bool
	// parked hears of a charge that starts to hold, with its context.
	parked chan context.Context
}

func (r *fakeReader) NextDecline() { r.then(pos.PaymentDeclined) }
func (r *fakeReader) NextTimeout() { r.then(pos.PaymentUnknown) }

func (r *fakeReader) then(s pos.PaymentStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next = append(r.next, s)
}

func (r *fakeReader) Charge(ctx context.Context, req pos.ChargeRequest) (pos.ChargeResult, error) {
	r.mu.Lock()
	st, hold := pos.PaymentApproved, r.hold
	if len(r.next) > 0 {
		st, r.next = r.next[0], r.next[1:]
	}
	r.mu.Unlock()
	if hold {
		r.parked <- ctx
		<-ctx.Done()
		return pos.ChargeResult{Status: pos.PaymentCancelled, Message: "cancelled at the till"}, nil
	}
	switch st {
	case pos.PaymentDeclined:
		return pos.ChargeResult{Status: st, Message: "insufficient funds"}, nil
	case pos.PaymentUnknown:
		return pos.ChargeResult{}, pos.Errorf(pos.EUnavailable, "the reader did not answer")
	}
	return pos.ChargeResult{Status: pos.PaymentApproved, Provider: "fake", CardBrand: "visa", CardLast4: "4242"}, nil
}

func (r *fakeReader) Lookup(ctx context.Context, p pos.Payment) (pos.ChargeResult, error) {
	return pos.ChargeResult{Status: pos.PaymentFailed, Message: "never reached the reader"}, nil
}

func (r *fakeReader) Refund(ctx context.Context, p pos.Payment) (pos.ChargeResult, error) {
	return pos.ChargeResult{Status: pos.PaymentRefunded}, nil
}

// Test items. Codes are the catalog keys ScanRules.Parse produces.
var (
	milk   = pos.Item{ID: 1, Code: "4006381333931", Name: "Whole milk 1l", Price: 129, TaxRate: 700, Active: true}
	bread  = pos.Item{ID: 2, Code: "5901234123457", Name: "Sourdough bread", Price: 349, TaxRate: 700, Active: true}
	apples = pos.Item{ID: 3, Code: "2300001", Name: "Apples loose", Price: 299, TaxRate: 700, Weighed: true, Active: true}
	old    = pos.Item{ID: 4, Code: "0000096385074", Name: "Discontinued soap", Price: 199, TaxRate: 2000, Active: false}
	ann    = pos.Customer{ID: 7, Name: "Ann Shopper", Phone: "0123456", LoyaltyCard: loyaltyCard, LoyaltyPoints: 120}
)

// loyaltyCard is a valid EAN-13 starting with the default prefix 980.
var loyaltyCard = func() string {
	d := "980000000001"
	return d + fmt.Sprint(pos.GTINCheckDigit(d))
}()

// applesLabel is a scale label: prefix 23 (weight), item 00001, 482 g.
var applesLabel = func() string {
	code, err := pos.VariableMeasureCode(pos.DefaultScanRules().VariableMeasure[3], "00001", 482)
	if err != nil {
		panic(err)
	}
	return code
}()

type rig struct {
	t      testing.TB
	m      *Model
	db     *fakeDB
	reader *fakeReader
	// held are commands parked in a fake (a card held until its context
	// ends), with that context.
	held []heldCmd
	// timers are the model's timers, on a clock the rig runs: drain moves
	// it on.
	timers []timer
	now    time.Duration
	// typed is how far typing moved the model's clock on: keys come at a
	// person's pace (humanGap) or a scanner's (scanGap), and that moves
	// no timer.
	typed time.Duration
}

// The pace of the rig's keys: a person's, and a scanner's.
const (
	humanGap = 150 * time.Millisecond
	scanGap  = 3 * time.Millisecond
)

// rigStart is when every rig's clock starts.
var rigStart = time.Date(2026, 3, 4, 12, 30, 0, 0, time.UTC)

// clock is the model's clock: the timers' time plus the typing's.
func (r *rig) clock() time.Time { return rigStart.Add(r.now + r.typed) }

type heldCmd struct {
	ctx context.Context
	ch  chan tea.Msg
}

type timer struct {
	at  time.Duration
	msg tea.Msg
}

// newRig builds a till on the fakes, signed in unless signIn is false,
// with the catalog loaded.
func newRig(t testing.TB, signedIn bool) *rig {
	t.Helper()
	db := &fakeDB{items: []pos.Item{milk, bread, apples, old}, custs: []pos.Customer{ann}}
	reader := &fakeReader{parked: make(chan context.Context)}
	set := pos.Settings{StoreID: "s1", TillID: "t1", Currency: pos.EUR(), TaxMode: pos.TaxInclusive,
		PointsPer: 100, Scan: pos.DefaultScanRules()}
	deps := Deps{Checkout: &pos.Checkout{Sales: db, Gateway: reader, Settings: set}, Catalog: db,
		Customers: db, Cashiers: db, Audit: db, CardSim: reader,
	}
	r := &rig{t: t, db: db, reader: reader}
	deps.Now = r.clock
	m := New(context.Background(), deps, NewStyles(false))
	r.m = m
	m.after = r.after
	r.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	r.run(m.Init())
	if signedIn {
		r.signIn()
	}
	return r
}

// signIn signs in as cashier 101, typing at a person's pace.
func (r *rig) signIn() {
	r.typeText("101")
	r.key("tab")
	r.typeText("1111")
	r.key("enter")
}

// after is the model's timer: it keeps msg until drain runs the clock
// past d. Nothing sleeps.
func (r *rig) after(d time.Duration, msg tea.Msg) tea.Cmd {
	r.timers = append(r.timers, timer{at: r.now + d, msg: msg})
	return nil
}

// send delivers a message and runs the commands it returns, as the
// program would, one after the other until none is left. The fakes answer
// at once; a card the reader holds is kept aside until its context ends,
// and timers wait for drain.
func (r *rig) send(msg tea.Msg) {
	_, cmd := r.m.Update(msg)
	r.run(cmd)
}

func (r *rig) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	select {
	case msg := <-ch:
		r.deliver(msg)
	case ctx := <-r.reader.parked:
		r.held = append(r.held, heldCmd{ctx: ctx, ch: ch})
	case <-time.After(10 * time.Second):
		r.t.Fatalf("a command neither answered nor parked: a fake blocks, or a timer is not on the model's clock")
	}
}

// drain runs the clock d on: the held commands whose context ended answer,
// and the timers due by then fire in order (a spinner re-arms itself, so
// only what falls within d).
func (r *rig) drain(d time.Duration) {
	held := r.held
	r.held = nil
	for _, h := range held {
		if h.ctx.Err() == nil {
			r.held = append(r.held, h) // still held
			continue
		}
		r.deliver(<-h.ch) // the context ended: it answers at once
	}
	end := r.now + d
	for {
		i := -1
		for j, tm := range r.timers {
			if tm.at <= end && (i < 0 || tm.at < r.timers[i].at) {
				i = j
			}
		}
		if i < 0 {
			break
		}
		tm := r.timers[i]
		r.timers = append(r.timers[:i], r.timers[i+1:]...)
		r.now = tm.at
		r.deliver(tm.msg)
	}
	r.now = end
}

func (r *rig) deliver(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			r.run(c)
		}
	case tea.RawMsg, tea.QuitMsg:
	default:
		if isSequence(msg) {
			return
		}
		r.send(msg)
	}
}

// isSequence spots tea.Sequence's unexported message (quit after audit).
func isSequence(msg tea.Msg) bool { return fmt.Sprintf("%T", msg) == "tea.sequenceMsg" }

// key presses a named key ("enter", "f5", "up") or types one character,
// at a person's pace.
func (r *rig) key(name string) {
	r.human(keyPress(name))
}

// human presses k as a person does: well after the key before, and seen
// by the screen at once (the burst detector's wait is run out).
func (r *rig) human(k tea.KeyPressMsg) {
	r.typed += humanGap
	r.send(k)
	r.settleKeys()
}

// settleKeys runs out the burst detector's wait: the keys it held reach the
// screen, as they would burstGap later. No other timer moves.
func (r *rig) settleKeys() {
	r.typed += burstGap
	var flush []tea.Msg
	keep := r.timers[:0]
	for _, tm := range r.timers {
		if _, ok := tm.msg.(burstFlushMsg); ok {
			flush = append(flush, tm.msg)
			continue
		}
		keep = append(keep, tm)
	}
	r.timers = keep
	for _, msg := range flush {
		r.send(msg)
	}
}

func keyPress(name string) tea.KeyPressMsg {
	codes := map[string]rune{"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab,
		"up": tea.KeyUp, "down": tea.KeyDown, "backspace": tea.KeyBackspace,
		"f1": tea.KeyF1, "f2": tea.KeyF2, "f3": tea.KeyF3, "f4": tea.KeyF4, "f5": tea.KeyF5,
		"f6": tea.KeyF6, "f7": tea.KeyF7, "f8": tea.KeyF8, "f9": tea.KeyF9, "f10": tea.KeyF10}
	if c, ok := strings.CutPrefix(name, "ctrl+"); ok && len(c) == 1 {
		return tea.KeyPressMsg{Code: rune(c[0]), Mod: tea.ModCtrl}
	}
	if c, ok := codes[name]; ok {
		return tea.KeyPressMsg{Code: c}
	}
	rs := []rune(name)
	return tea.KeyPressMsg{Code: rs[0], Text: name}
}

// typeText types s at a person's pace.
func (r *rig) typeText(s string) {
	for _, c := range s {
		r.human(tea.KeyPressMsg{Code: c, Text: string(c)})
	}
}

// scan sends code and Enter as a scanner does: one burst, scanGap between
// keys.
func (r *rig) scan(code string) {
	for _, c := range code {
		r.typed += scanGap
		r.send(tea.KeyPressMsg{Code: c, Text: string(c)})
	}
	r.typed += scanGap
	r.send(tea.KeyPressMsg{Code: tea.KeyEnter})
	r.settleKeys()
}

// screen is the plain text of the frame.
func (r *rig) screen() string { return ansi.Strip(r.m.View().Content) }

func tea_WindowSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }
