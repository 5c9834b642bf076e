package pos

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// memStore is a SaleStore in memory, idempotent by key like the real one.
// down makes the next calls fail as if the database were unreachable;
// refuse makes Reserve and SellCash refuse the sale outright.
// lose makes the next inserts commit but lose their answer.
type memStore struct {
	mu     sync.Mutex
	sales  map[string]Sale
	down   int
	lose   int
	refuse error
	nextID int64
}

func (m *memStore) fail() error {
	if m.down > 0 {
		m.down--
		return Errorf(EUnavailable, "the database is unreachable")
	}
	return nil
}

func (m *memStore) insert(s Sale) (Sale, error) {
	if err := m.fail(); err != nil {
		return Sale{}, err
	}
	if old, ok := m.sales[s.Key]; ok {
		return old, nil
	}
	if m.refuse != nil {
		return Sale{}, m.refuse
	}
	if m.sales == nil {
		m.sales = map[string]Sale{}
	}
	m.nextID++
	s.ID = m.nextID
	m.sales[s.Key] = s
	if m.lose > 0 {
		m.lose--
		return Sale{}, Errorf(EUnavailable, "the connection was lost after COMMIT")
	}
	return s, nil
}

func (m *memStore) Reserve(ctx context.Context, s Sale) (Sale, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s.Status = SalePending
	return m.insert(s)
}

func (m *memStore) SellCash(ctx context.Context, s Sale) (Sale, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.insert(s)
}

func (m *memStore) StartPayment(ctx context.Context, p Payment) (Payment, error) { return p, nil }

func (m *memStore) FinishPayment(ctx context.Context, p Payment) (Payment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sales[p.SaleKey]
	for i, q := range s.Payments {
		if q.AttemptKey == p.AttemptKey {
			s.Payments[i] = p
			return p, nil
		}
	}
	s.Payments = append(s.Payments, p)
	m.sales[p.SaleKey] = s
	return p, nil
}

func (m *memStore) Complete(ctx context.Context, key string, cash []Payment, rounding Money, points int64) (Sale, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail(); err != nil {
		return Sale{}, err
	}
	s, ok := m.sales[key]
	switch {
	case !ok:
		return Sale{}, Errorf(ENotFound, "no sale %s", key)
	case s.Status == SaleCompleted:
		return s, nil
	case s.Status != SalePending:
		return Sale{}, Errorf(EConflict, "the sale was %s and cannot be completed", s.Status)
	}
	s.Payments = append(slices.Clone(s.Payments), cash...)
	if s.Paid() != s.Totals.Total+rounding {
		return Sale{}, Errorf(EInvalid, "payments of %d do not cover %d", s.Paid(), s.Totals.Total+rounding)
	}
	s.CashRounding, s.PointsEarned, s.Status = rounding, points, SaleCompleted
	m.sales[key] = s
	if m.lose > 0 {
		m.lose--
		return Sale{}, Errorf(EUnavailable, "the connection was lost after COMMIT")
	}
	return s, nil
}

func (m *memStore) Release(ctx context.Context, key string, status SaleStatus) (Sale, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail(); err != nil {
		return Sale{}, err
	}
	s, ok := m.sales[key]
	if !ok {
		return Sale{}, Errorf(ENotFound, "no sale %s", key)
	}
	s.Status = status
	m.sales[key] = s
	return s, nil
}

func (m *memStore) Sale(ctx context.Context, key string) (Sale, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sales[key]
	if !ok {
		return Sale{}, Errorf(ENotFound, "no sale %s", key)
	}
	return s, nil
}

func (m *memStore) PendingSales(ctx context.Context, tillID string, before time.Time) ([]Sale, error) {
	return nil, nil
}

// scriptGateway answers charges from a script: approved unless told.
type scriptGateway struct {
	next    []PaymentStatus
	charged map[string]ChargeResult
}

func (g *scriptGateway) Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error) {
	st := PaymentApproved
	if len(g.next) > 0 {
		st, g.next = g.next[0], g.next[1:]
	}
	ok := ChargeResult{Status: PaymentApproved, Provider: "script", CardBrand: "visa", CardLast4: "4242"}
	if g.charged == nil {
		g.charged = map[string]ChargeResult{}
	}
	switch st {
	case PaymentUnknown: // charged, but the answer is lost
		g.charged[req.AttemptKey] = ok
		return ChargeResult{}, Errorf(EUnavailable, "the reader did not answer")
	case PaymentApproved:
		g.charged[req.AttemptKey] = ok
		return ok, nil
	}
	return ChargeResult{Status: st, Message: "insufficient funds"}, nil
}

func (g *scriptGateway) Lookup(ctx context.Context, p Payment) (ChargeResult, error) {
	if r, ok := g.charged[p.AttemptKey]; ok {
		return r, nil
	}
	return ChargeResult{Status: PaymentFailed}, nil
}

func (g *scriptGateway) Refund(ctx context.Context, p Payment) (ChargeResult, error) {
	return ChargeResult{Status: PaymentRefunded}, nil
}

// progressRig is one sale at a till on the fakes: milk 1.29 + bread 3.49 +
// cheese 8.69 = 13.47, cash rounded to 0.05.
type progressRig struct {
	t     *testing.T
	db    *memStore
	gw    *scriptGateway
	co    *Checkout
	s     *SaleInProgress
	steps []string // every step run, "reserve", "reserve (retry)", …
}

func newProgressRig(t *testing.T) *progressRig {
	r := &progressRig{t: t, db: &memStore{}, gw: &scriptGateway{}}
	r.co = &Checkout{Sales: r.db, Gateway: r.gw, Settings: Settings{StoreID: "s1", TillID: "t1",
		Currency: EUR(), CashRounding: 5, PointsPer: 100}}
	r.s = r.co.Open(1)
	for i, price := range []Money{129, 349, 869} {
		if err := r.s.Add(Line{ItemID: ItemID(i + 1), Name: fmt.Sprint("item ", i+1), Quantity: 1,
			UnitPrice: price, TaxRate: 700}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// run runs steps, applying each result, until the sale waits on nothing;
// retries run at once (the store is down a set number of calls).
func (r *progressRig) run(st Step, err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatalf("got %v, want a step", err)
	}
	for n := 0; st.Kind != StepNone; n++ {
		if n > 20 {
			r.t.Fatalf("steps never end: %v", r.steps)
		}
		name := st.Kind.String()
		if st.Retry {
			name += " (retry)"
		}
		r.steps = append(r.steps, name)
		st = r.s.Apply(st.Run(context.Background()))
	}
}

func TestSaleInProgress(t *testing.T) {
	type action func(r *progressRig)
	cash := func(m Money) action { return func(r *progressRig) { r.run(r.s.TakeCash(m)) } }
	cashDue := func(r *progressRig) { r.run(r.s.TakeCash(r.s.CashDue())) }
	card := func(m Money) action { return func(r *progressRig) { r.run(r.s.PayCard(m)) } }
	cardOwed := func(r *progressRig) { r.run(r.s.PayCard(r.s.Owed())) }
	gateway := func(sts ...PaymentStatus) action {
		return func(r *progressRig) { r.gw.next = append(r.gw.next, sts...) }
	}
	down := func(n int) action { return func(r *progressRig) { r.db.down = n } }
	refuse := func(r *progressRig) { r.db.refuse = Errorf(EOutOfStock, "item 1 is short") }
	mend := func(r *progressRig) { r.db.refuse = nil }
	void := func(r *progressRig) { r.run(r.s.Release(SaleVoided)) }
	// cardCancelled starts a card and cancels it before the reservation
	// is answered.
	cardCancelled := func(r *progressRig) {
		st, err := r.s.PayCard(500)
		if err != nil {
			r.t.Fatal(err)
		}
		r.s.CancelCard()
		r.steps = append(r.steps, st.Kind.String())
		r.run(r.s.Apply(st.Run(context.Background())), nil)
	}

	tests := []struct {
		name    string
		do      []action
		steps   []string
		stage   Stage
		status  SaleStatus // of the sale in the store; "" none
		owed    Money      // after the actions
		cashDue Money
		paid    Money // CardPaid + CashGiven
	}{
		{name: "nothing paid yet", stage: StageOpen, owed: 1347, cashDue: 1345},
		{name: "cash, rounded down", do: []action{cash(1345)},
			steps: []string{"sell"}, stage: StageCompleted, status: SaleCompleted, owed: -1345 + 1347, cashDue: 0, paid: 1345},
		{name: "cash in two parts, change", do: []action{cash(1000), cash(1000)},
			steps: []string{"sell"}, stage: StageCompleted, status: SaleCompleted, owed: -653, cashDue: -655, paid: 2000},
		{name: "cash not enough yet", do: []action{cash(1000)},
			stage: StageOpen, owed: 347, cashDue: 345, paid: 1000},
		{name: "card for all", do: []action{cardOwed},
			steps: []string{"reserve", "charge", "complete"}, stage: StageCompleted, status: SaleCompleted, paid: 1347},
		{name: "card then cash", do: []action{card(500), cashDue},
			steps: []string{"reserve", "charge", "complete"}, stage: StageCompleted, status: SaleCompleted, owed: 2, cashDue: 0, paid: 1345},
		{name: "cash then card", do: []action{cash(500), cardOwed},
			steps: []string{"reserve", "charge", "complete"}, stage: StageCompleted, status: SaleCompleted, paid: 1347},
		{name: "declined, then cash", do: []action{gateway(PaymentDeclined), cardOwed},
			steps: []string{"reserve", "charge"}, stage: StageReserved, status: SalePending, owed: 1347, cashDue: 1345},
		{name: "declined, then cash completes", do: []action{gateway(PaymentDeclined), cardOwed, cashDue},
			steps: []string{"reserve", "charge", "complete"}, stage: StageCompleted, status: SaleCompleted, owed: 2, paid: 1345},
		{name: "answer lost, resolved approved", do: []action{gateway(PaymentUnknown), cardOwed},
			steps: []string{"reserve", "charge", "resolve", "complete"}, stage: StageCompleted, status: SaleCompleted, paid: 1347},
		{name: "database down at reserve", do: []action{down(2), cardOwed},
			steps: []string{"reserve", "reserve (retry)", "reserve (retry)", "charge", "complete"},
			stage: StageCompleted, status: SaleCompleted, paid: 1347},
		{name: "database down at sell", do: []action{down(1), cash(1345)},
			steps: []string{"sell", "sell (retry)"}, stage: StageCompleted, status: SaleCompleted, owed: 2, paid: 1345},
		{name: "out of stock at reserve: open again", do: []action{refuse, cardOwed},
			steps: []string{"reserve"}, stage: StageOpen, owed: 1347, cashDue: 1345},
		{name: "out of stock at sell: cash forgotten", do: []action{refuse, cash(2000)},
			steps: []string{"sell"}, stage: StageOpen, owed: 1347, cashDue: 1345},
		{name: "out of stock, put right, sold", do: []action{refuse, cash(2000), mend, cash(2000)},
			steps: []string{"sell", "sell"}, stage: StageCompleted, status: SaleCompleted, owed: -653, cashDue: -655, paid: 2000},
		{name: "card cancelled while reserving", do: []action{cardCancelled},
			steps: []string{"reserve"}, stage: StageReserved, status: SalePending, owed: 1347, cashDue: 1345},
		{name: "reservation lost, card cancelled, paid cash", do: []action{down(1), cardCancelled, cashDue},
			steps: []string{"reserve", "complete"}, stage: StageCompleted, status: SaleCompleted, owed: 2, paid: 1345},
		{name: "void a reserved sale", do: []action{gateway(PaymentDeclined), cardOwed, void},
			steps: []string{"reserve", "charge", "release"}, stage: StageReleased, status: SaleVoided, owed: 1347, cashDue: 1345},
		{name: "void while the database is down", do: []action{card(500), down(1), void},
			steps: []string{"reserve", "charge", "release", "release (retry)"}, stage: StageReleased, status: SaleVoided,
			owed: 847, cashDue: 845, paid: 500},
		{name: "void an unrecorded sale", do: []action{cash(500), void},
			stage: StageReleased, owed: 847, cashDue: 845, paid: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newProgressRig(t)
			for _, a := range tt.do {
				a(r)
			}
			if !slices.Equal(r.steps, tt.steps) {
				t.Errorf("steps: got %q, want %q", r.steps, tt.steps)
			}
			if got := r.s.Stage(); got != tt.stage {
				t.Errorf("stage: got %s, want %s", got, tt.stage)
			}
			if got := r.db.sales[r.s.Key()].Status; got != tt.status {
				t.Errorf("stored status: got %q, want %q", got, tt.status)
			}
			if got := r.s.Owed(); got != tt.owed {
				t.Errorf("owed: got %d, want %d", got, tt.owed)
			}
			if got := r.s.CashDue(); got != tt.cashDue {
				t.Errorf("cash due: got %d, want %d", got, tt.cashDue)
			}
			if got := r.s.CardPaid() + r.s.CashGiven(); got != tt.paid {
				t.Errorf("paid: got %d, want %d", got, tt.paid)
			}
			if tt.stage == StageCompleted {
				done := r.s.Completed()
				if done.Paid() != done.Totals.Total+done.CashRounding {
					t.Errorf("completed: paid %d, want %d", done.Paid(), done.Totals.Total+done.CashRounding)
				}
			}
		})
	}
}

func TestSaleInProgressRefuses(t *testing.T) {
	tests := []struct {
		name string
		do   func(r *progressRig) error
		want string
	}{
		{"no cash amount", func(r *progressRig) error { _, err := r.s.TakeCash(0); return err }, EInvalid},
		{"too much cash", func(r *progressRig) error { _, err := r.s.TakeCash(MaxMoney + 1); return err }, EInvalid},
		{"card over what is owed", func(r *progressRig) error { _, err := r.s.PayCard(1348); return err }, EInvalid},
		{"card of nothing", func(r *progressRig) error { _, err := r.s.PayCard(0); return err }, EInvalid},
		{"no card reader", func(r *progressRig) error {
			r.co.Gateway = nil
			_, err := r.s.PayCard(100)
			return err
		}, EUnavailable},
		{"empty basket", func(r *progressRig) error {
			s := r.co.Open(1)
			_, err := s.TakeCash(100)
			return err
		}, EConflict},
		{"edit once reserved", func(r *progressRig) error {
			r.gw.next = []PaymentStatus{PaymentDeclined}
			r.run(r.s.PayCard(100))
			return r.s.Add(Line{ItemID: 9, Name: "late", Quantity: 1, UnitPrice: 1})
		}, EConflict},
		{"customer once reserved", func(r *progressRig) error {
			r.gw.next = []PaymentStatus{PaymentDeclined}
			r.run(r.s.PayCard(100))
			return r.s.Attach(Customer{ID: 1})
		}, EConflict},
		{"cash while recording", func(r *progressRig) error {
			if _, err := r.s.TakeCash(2000); err != nil {
				return err
			}
			_, err := r.s.TakeCash(100)
			return err
		}, EConflict},
		{"nothing left to pay", func(r *progressRig) error {
			r.run(r.s.PayCard(1000))
			r.run(r.s.PayCard(347))
			_, err := r.s.PayCard(1)
			return err
		}, EConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newProgressRig(t)
			if err := tt.do(r); ErrorCode(err) != tt.want {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// A result for another sale, or one the sale does not wait for, is ignored.
func TestSaleInProgressIgnoresStaleResults(t *testing.T) {
	r := newProgressRig(t)
	st, err := r.s.PayCard(500)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range []Result{
		{Kind: StepReserve, Key: NewKey(), Err: Errorf(EOutOfStock, "short")},
		{Kind: StepCharge, Key: r.s.Key(), Payment: Payment{Status: PaymentApproved, Amount: 500}},
		{Kind: StepSell, Key: r.s.Key()},
	} {
		if next := r.s.Apply(res); next.Kind != StepNone || r.s.Stage() != StageReserveSent {
			t.Errorf("Apply(%+v): got %s at %s, want nothing at reserve sent", res, next.Kind, r.s.Stage())
		}
	}
	if r.s.CardPaid() != 0 {
		t.Errorf("card paid: got %d, want 0", r.s.CardPaid())
	}
	if next := r.s.Apply(st.Run(context.Background())); next.Kind != StepCharge || next.Amount != 500 {
		t.Errorf("after the reservation: got %s of %d, want a charge of 500", next.Kind, next.Amount)
	}
}

func TestSaleInProgressEditsKeepTotals(t *testing.T) {
	r := newProgressRig(t)
	if err := r.s.SetQuantity(0, 3); err != nil {
		t.Fatal(err)
	}
	if got := r.s.Totals().Total; got != 1347+2*129 {
		t.Errorf("after quantity 3: total %d, want %d", got, 1347+2*129)
	}
	if err := r.s.SetQuantity(0, MaxQuantity+1); ErrorCode(err) != EInvalid {
		t.Errorf("absurd quantity: got %v, want invalid", err)
	}
	if l, err := r.s.Void(1); err != nil || l.UnitPrice != 349 {
		t.Fatalf("void line 1: got %+v %v", l, err)
	}
	if got := r.s.Totals().Total; got != 3*129+869 || len(r.s.Lines()) != 2 {
		t.Errorf("after void: total %d with %d lines, want %d with 2", got, len(r.s.Lines()), 3*129+869)
	}
	if err := r.s.Attach(Customer{ID: 7, Name: "Ann"}); err != nil || r.s.Customer().ID != 7 {
		t.Fatalf("attach: %v", err)
	}
	if c, err := r.s.Detach(); err != nil || c.ID != 7 || r.s.Customer() != nil {
		t.Fatalf("detach: got %+v %v", c, err)
	}
	if _, err := r.s.Detach(); ErrorCode(err) != EInvalid {
		t.Errorf("detach again: got %v, want invalid", err)
	}
}

// A typed cash amount above what is due plus the largest note (or the
// store's own limit) is refused and nothing is taken: the €96,385,074
// "cash" of a scanned EAN-8 is impossible.
func TestTakeCashBound(t *testing.T) {
	tests := []struct {
		name   string
		cur    Currency
		over   Money // Settings.CashOverLimit
		amount Money // the sale is 13.47 (13.45 in cash)
		ok     bool
	}{
		{"EUR exact", EUR(), 0, 1345, true},
		{"EUR due plus €500", EUR(), 0, 1345 + 500_00, true},
		{"EUR a cent more", EUR(), 0, 1345 + 500_00 + 1, false},
		{"EUR scanned EAN-8", EUR(), 0, 96385074_00, false},
		{"GBP due plus £50", GBP(), 0, 1345 + 50_00, true},
		{"GBP £100", GBP(), 0, 100_00, false},
		{"USD due plus $100", USD(), 0, 1345 + 100_00, true},
		{"USD $200", USD(), 0, 200_00, false},
		{"unknown currency: 500 units", CurrencyByCode("CHF"), 0, 1345 + 500_00, true},
		{"unknown currency: more", CurrencyByCode("CHF"), 0, 1345 + 500_01, false},
		{"store limit €100", EUR(), 100_00, 1345 + 100_00, true},
		{"store limit €100, €200", EUR(), 100_00, 200_00, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newProgressRig(t)
			r.co.Settings.Currency, r.co.Settings.CashOverLimit = tt.cur, tt.over
			st, err := r.s.TakeCash(tt.amount)
			if tt.ok {
				r.run(st, err)
				if r.s.Stage() != StageCompleted {
					t.Errorf("stage: got %s, want completed", r.s.Stage())
				}
				return
			}
			if ErrorCode(err) != EInvalid || st.Kind != StepNone {
				t.Fatalf("got %s, %v; want refused as invalid", st.Kind, err)
			}
			if r.s.CashGiven() != 0 || r.s.Stage() != StageOpen || len(r.db.sales) != 0 {
				t.Errorf("after the refusal: cash %d, stage %s, %d sales stored; want nothing", r.s.CashGiven(), r.s.Stage(), len(r.db.sales))
			}
		})
	}
	// Part paid: the bound follows what is still due.
	r := newProgressRig(t)
	r.run(r.s.TakeCash(1000))
	if _, err := r.s.TakeCash(345 + 500_00 + 1); ErrorCode(err) != EInvalid {
		t.Errorf("second cash over the bound: got %v, want invalid", err)
	}
}

// Cash taken, then a line voided so that the cash covers more than the
// total: the sale is finished and the change is what was handed over less
// the new total (issue: "Due €0.00" and "nothing is left to pay" forever).
func TestFinishWhenCashCoversAfterAVoid(t *testing.T) {
	r := newProgressRig(t) // 13.47 → 13.45 in cash
	r.run(r.s.TakeCash(1000))
	if _, err := r.s.Void(2); err != nil { // cheese 8.69: 4.78 left, 4.80 in cash
		t.Fatal(err)
	}
	if !r.s.Covered() || r.s.CashDue() != -520 {
		t.Fatalf("covered %v, cash due %d; want covered and -520", r.s.Covered(), r.s.CashDue())
	}
	if _, err := r.s.TakeCash(100); ErrorCode(err) != EConflict {
		t.Errorf("more cash: got %v, want nothing left to pay", err)
	}
	r.run(r.s.Finish())
	done := r.s.Completed()
	if r.s.Stage() != StageCompleted || done.Change() != 520 || done.Totals.Total != 478 || done.CashRounding != 2 {
		t.Errorf("got stage %s, change %d, total %d, rounding %d; want completed, 520, 478, 2",
			r.s.Stage(), done.Change(), done.Totals.Total, done.CashRounding)
	}
	if done.Paid() != done.Totals.Total+done.CashRounding {
		t.Errorf("payments %d do not add up to %d", done.Paid(), done.Totals.Total+done.CashRounding)
	}
	// Two hand-overs, the second no longer needed: both are kept, the change is on the last.
	r = newProgressRig(t)
	r.run(r.s.TakeCash(1000))
	r.run(r.s.TakeCash(300))
	if _, err := r.s.Void(2); err != nil {
		t.Fatal(err)
	}
	r.run(r.s.Finish())
	if done := r.s.Completed(); done.Change() != 820 || len(done.Payments) != 2 || done.Paid() != 480 {
		t.Errorf("two hand-overs: change %d, %d payments, paid %d; want 820, 2, 480", done.Change(), len(done.Payments), done.Paid())
	}
	// Nothing covered yet: Finish refuses.
	r = newProgressRig(t)
	r.run(r.s.TakeCash(1000))
	if _, err := r.s.Finish(); ErrorCode(err) != EInvalid {
		t.Errorf("finish with 3.45 due: got %v, want invalid", err)
	}
}

// After a declined, cancelled or uncharged card, Reopen releases the
// reservation (failed) and the basket goes on under a new key; an approved
// card keeps it locked.
func TestReopenAfterACardThatDidNotPay(t *testing.T) {
	tests := []struct {
		name string
		do   func(r *progressRig)
	}{
		{"declined", func(r *progressRig) {
			r.gw.next = []PaymentStatus{PaymentDeclined}
			r.run(r.s.PayCard(r.s.Owed()))
		}},
		{"cancelled at the reader", func(r *progressRig) {
			r.gw.next = []PaymentStatus{PaymentCancelled}
			r.run(r.s.PayCard(r.s.Owed()))
		}},
		{"timed out, nothing charged", func(r *progressRig) {
			r.gw.next = []PaymentStatus{PaymentFailed}
			r.run(r.s.PayCard(r.s.Owed()))
		}},
		{"reservation never answered, card cancelled", func(r *progressRig) {
			r.db.lose = 1 // it committed, but the till never heard
			st, err := r.s.PayCard(500)
			if err != nil {
				r.t.Fatal(err)
			}
			r.s.CancelCard()
			r.run(r.s.Apply(st.Run(context.Background())), nil)
		}},
		{"database down while reserving, card cancelled", func(r *progressRig) {
			r.db.down = 1
			st, err := r.s.PayCard(500)
			if err != nil {
				r.t.Fatal(err)
			}
			r.s.CancelCard()
			r.run(r.s.Apply(st.Run(context.Background())), nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newProgressRig(t)
			r.run(r.s.TakeCash(200)) // cash handed over before the card
			tt.do(r)
			if !r.s.Locked() {
				t.Fatalf("after the card: not locked, stage %s", r.s.Stage())
			}
			old := r.s.Key()
			r.db.down = 1 // the release waits for the database too
			r.run(r.s.Reopen())
			if r.s.Locked() || r.s.Key() == old || r.s.CashGiven() != 200 || len(r.s.Lines()) != 3 {
				t.Fatalf("after reopen: locked %v, same key %v, cash %d, %d lines; want open, new key, 200, 3",
					r.s.Locked(), r.s.Key() == old, r.s.CashGiven(), len(r.s.Lines()))
			}
			if got := r.db.sales[old].Status; got != SaleFailed {
				t.Errorf("old key: got %q, want failed (released)", got)
			}
			if _, err := r.s.Void(2); err != nil {
				t.Fatalf("edit after reopen: %v", err)
			}
			r.run(r.s.TakeCash(r.s.CashDue()))
			if r.s.Stage() != StageCompleted || r.db.sales[r.s.Key()].Status != SaleCompleted || r.s.Completed().Totals.Total != 478 {
				t.Errorf("sold after reopen: stage %s, stored %q, total %d", r.s.Stage(), r.db.sales[r.s.Key()].Status, r.s.Completed().Totals.Total)
			}
			completed := 0
			for _, s := range r.db.sales {
				if s.Status == SaleCompleted {
					completed++
				}
			}
			if completed != 1 {
				t.Errorf("completed sales: got %d, want 1", completed)
			}
		})
	}
	r := newProgressRig(t)
	r.run(r.s.PayCard(500))
	if _, err := r.s.Reopen(); ErrorCode(err) != EConflict || !r.s.Locked() {
		t.Errorf("reopen after an approved card: got %v locked %v, want refused and locked", err, r.s.Locked())
	}
}

// A SellCash whose answer was lost may have committed: voiding it resolves
// it by its key. Recorded: the sale is completed (never voided or sold
// again); not recorded: the key is claimed and released, so a late commit
// can never sell it.
func TestVoidAfterALostSellCash(t *testing.T) {
	for _, committed := range []bool{true, false} {
		t.Run(fmt.Sprint("committed ", committed), func(t *testing.T) {
			r := newProgressRig(t)
			if committed {
				r.db.lose = 1
			} else {
				r.db.down = 1
			}
			st, err := r.s.TakeCash(2000)
			if err != nil {
				t.Fatal(err)
			}
			if next := r.s.Apply(st.Run(context.Background())); !next.Retry || r.s.Stage() != StageSelling {
				t.Fatalf("lost answer: got %s retry %v at %s, want a retry while selling", next.Kind, next.Retry, r.s.Stage())
			}
			r.run(r.s.Release(SaleVoided))
			want, stored := StageReleased, SaleVoided
			if committed {
				want, stored = StageCompleted, SaleCompleted
			}
			if r.s.Stage() != want || r.db.sales[r.s.Key()].Status != stored || len(r.db.sales) != 1 {
				t.Fatalf("got %s, stored %q, %d sales; want %s, %q, 1", r.s.Stage(), r.db.sales[r.s.Key()].Status, len(r.db.sales), want, stored)
			}
			if committed && r.s.Completed().Change() != 2000-1345 {
				t.Errorf("change: got %d, want %d", r.s.Completed().Change(), 2000-1345)
			}
			// The SellCash sent again (a late retry) finds the key taken.
			st.Run(context.Background())
			if len(r.db.sales) != 1 || r.db.sales[r.s.Key()].Status != stored {
				t.Errorf("after a late SellCash: %d sales, %q; want 1, %q", len(r.db.sales), r.db.sales[r.s.Key()].Status, stored)
			}
		})
	}
}

// A loyalty card being looked up holds the sale: it is not recorded or
// reserved until the customer is attached or the cashier skips it.
func TestCustomerLookupHoldsTheSale(t *testing.T) {
	r := newProgressRig(t)
	if err := r.s.AwaitCustomer("9800000000011"); err != nil {
		t.Fatal(err)
	}
	if r.s.Empty() || r.s.CustomerLookup() != "9800000000011" {
		t.Fatalf("lookup not kept: %q", r.s.CustomerLookup())
	}
	r.run(r.s.TakeCash(500)) // part of the cash: taken
	for name, try := range map[string]func() (Step, error){
		"cash covering": func() (Step, error) { return r.s.TakeCash(2000) },
		"card":          func() (Step, error) { return r.s.PayCard(100) },
		"exact cash":    func() (Step, error) { return r.s.TakeCash(r.s.CashDue()) },
	} {
		if st, err := try(); ErrorCode(err) != EConflict || st.Kind != StepNone {
			t.Errorf("%s while looking up: got %s, %v; want refused", name, st.Kind, err)
		}
	}
	if r.s.CashGiven() != 500 || r.s.Stage() != StageOpen || len(r.db.sales) != 0 {
		t.Fatalf("after the refusals: cash %d, stage %s, %d sales", r.s.CashGiven(), r.s.Stage(), len(r.db.sales))
	}
	if r.s.CustomerLookedUp("9800000000028") {
		t.Errorf("an answer for another card ended the lookup")
	}
	if !r.s.CustomerLookedUp("9800000000011") {
		t.Fatalf("the answer did not end the lookup")
	}
	if err := r.s.Attach(Customer{ID: 7}); err != nil {
		t.Fatal(err)
	}
	r.run(r.s.TakeCash(r.s.CashDue()))
	if r.s.Stage() != StageCompleted || r.s.Completed().CustomerID != 7 || r.s.Completed().PointsEarned != 13 {
		t.Errorf("completed: stage %s, customer %d, points %d; want completed, 7, 13", r.s.Stage(), r.s.Completed().CustomerID, r.s.Completed().PointsEarned)
	}
	// Skipped: the sale goes on without the customer; a late answer is stale.
	r = newProgressRig(t)
	_ = r.s.AwaitCustomer("9800000000011")
	r.s.SkipCustomer()
	r.run(r.s.TakeCash(2000))
	if r.s.Stage() != StageCompleted || r.s.Completed().CustomerID != 0 || r.s.CustomerLookedUp("9800000000011") {
		t.Errorf("skipped: stage %s, customer %d", r.s.Stage(), r.s.Completed().CustomerID)
	}
}

// A Complete whose answer was lost, then a void: the sale is found
// completed and shown so; no card is refunded, nothing is voided. With a
// card paid, the void is refused while the sale is being recorded.
func TestVoidAfterALostComplete(t *testing.T) {
	r := newProgressRig(t)
	r.gw.next = []PaymentStatus{PaymentDeclined}
	r.run(r.s.PayCard(500)) // reserved, nothing paid
	r.db.lose = 1
	st, err := r.s.TakeCash(2000)
	if err != nil || st.Kind != StepComplete {
		t.Fatalf("cash: got %s, %v; want complete", st.Kind, err)
	}
	if next := r.s.Apply(st.Run(context.Background())); !next.Retry {
		t.Fatalf("lost answer: got %s, want a retry", next.Kind)
	}
	r.run(r.s.Release(SaleVoided))
	if r.s.Stage() != StageCompleted || r.db.sales[r.s.Key()].Status != SaleCompleted || r.s.Completed().Change() != 2000-1345 {
		t.Errorf("got %s, stored %s, change %d; want completed with %d change", r.s.Stage(), r.db.sales[r.s.Key()].Status, r.s.Completed().Change(), 2000-1345)
	}

	r = newProgressRig(t)
	r.run(r.s.PayCard(500))
	r.db.down = 1
	st, err = r.s.TakeCash(r.s.CashDue())
	if err != nil {
		t.Fatal(err)
	}
	r.s.Apply(st.Run(context.Background()))
	if _, err := r.s.Release(SaleVoided); ErrorCode(err) != EConflict || r.s.Stage() != StageCompleting || r.s.Pending().Kind != StepComplete {
		t.Errorf("void of a card-paid sale being recorded: got %v at %s waiting on %s; want refused, still completing", err, r.s.Stage(), r.s.Pending().Kind)
	}
}
