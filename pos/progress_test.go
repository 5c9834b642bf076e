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
type memStore struct {
	mu     sync.Mutex
	sales  map[string]Sale
	down   int
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
	}
	s.Payments = append(slices.Clone(s.Payments), cash...)
	if s.Paid() != s.Totals.Total+rounding {
		return Sale{}, Errorf(EInvalid, "payments of %d do not cover %d", s.Paid(), s.Totals.Total+rounding)
	}
	s.CashRounding, s.PointsEarned, s.Status = rounding, points, SaleCompleted
	m.sales[key] = s
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
