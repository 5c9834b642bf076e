package ui

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
)

// fakeReturns is pos.ReturnStore in memory: it plans a return again under
// its lock, as the store does, and keeps what each sale has left.
type fakeReturns struct {
	mu      sync.Mutex
	down    bool
	sales   map[string]pos.Sale
	returns map[string]pos.Return
	order   []string
	nextID  int64
	stock   map[pos.ItemID]int64 // given back to stock
	points  int64                // taken back from the customer
}

func newFakeReturns(sales ...pos.Sale) *fakeReturns {
	f := &fakeReturns{sales: map[string]pos.Sale{}, returns: map[string]pos.Return{}, stock: map[pos.ItemID]int64{}}
	for _, s := range sales {
		f.sales[s.Key] = s
	}
	return f
}

func (f *fakeReturns) setDown(d bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = d
}

func (f *fakeReturns) check() error {
	if f.down {
		return errDown
	}
	return nil
}

func (f *fakeReturns) returnable(saleKey string) (pos.Returnable, error) {
	s, ok := f.sales[saleKey]
	if !ok {
		return pos.Returnable{}, pos.Errorf(pos.ENotFound, "no sale %s", saleKey)
	}
	src := pos.Returnable{Sale: s, Returned: make([]int64, len(s.Lines)), ReturnedGross: make([]pos.Money, len(s.Lines)),
		ReturnedTax: make([]pos.Money, len(s.Lines)), CardRefunded: map[string]pos.Money{}}
	for _, k := range f.order {
		ret := f.returns[k]
		if ret.SaleKey != saleKey || ret.Status == pos.ReturnFailed {
			continue
		}
		for _, l := range ret.Lines {
			src.Returned[l.SaleLine-1] += l.Quantity
			src.ReturnedGross[l.SaleLine-1] += l.Gross
			src.ReturnedTax[l.SaleLine-1] += l.Tax
		}
		for _, r := range ret.Refunds {
			if r.Status == pos.PaymentFailed {
				continue
			}
			src.Refunded += r.Amount
			if r.Method == pos.MethodCard {
				src.CardRefunded[r.PaymentKey] += r.Amount
			}
		}
		src.PointsReversed += ret.PointsReversed
	}
	return src, nil
}

func (f *fakeReturns) Returnable(ctx context.Context, saleKey string) (pos.Returnable, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return pos.Returnable{}, err
	}
	return f.returnable(saleKey)
}

func (f *fakeReturns) BeginReturn(ctx context.Context, req pos.ReturnRequest) (pos.Return, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return pos.Return{}, err
	}
	if old, ok := f.returns[req.Key]; ok {
		return old, nil
	}
	var src pos.Returnable
	if req.SaleKey != "" {
		var err error
		if src, err = f.returnable(req.SaleKey); err != nil {
			return pos.Return{}, err
		}
	}
	ret, err := pos.PlanReturn(src, req)
	if err != nil {
		return pos.Return{}, err
	}
	if ret.Approval != "" && req.ApprovedBy == 0 {
		return pos.Return{}, pos.Errorf(pos.EConflict, "%s needs a manager's approval", ret.Approval)
	}
	f.nextID++
	ret.ID = f.nextID
	f.returns[ret.Key] = ret
	f.order = append(f.order, ret.Key)
	return ret, nil
}

func (f *fakeReturns) FinishRefund(ctx context.Context, r pos.Refund) (pos.Refund, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return r, err
	}
	ret := f.returns[r.ReturnKey]
	ret.Refunds = slices.Clone(ret.Refunds)
	for i, old := range ret.Refunds {
		if old.AttemptKey == r.AttemptKey {
			ret.Refunds[i] = r
		}
	}
	f.returns[r.ReturnKey] = ret
	return r, nil
}

func (f *fakeReturns) RefundInCash(ctx context.Context, key string, approvedBy int64) (pos.Return, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return pos.Return{}, err
	}
	ret := f.returns[key]
	var cash pos.Money
	var keep []pos.Refund
	for _, r := range ret.Refunds {
		if r.Method == pos.MethodCard && r.Status == pos.PaymentFailed {
			cash += r.Amount
			continue
		}
		keep = append(keep, r)
	}
	if cash == 0 {
		return ret, pos.Errorf(pos.EConflict, "no failed card refund to pay in cash")
	}
	ret.Refunds = append(keep, pos.Refund{AttemptKey: pos.RefundKey(key, len(ret.Refunds)+1), ReturnKey: key,
		Method: pos.MethodCash, Status: pos.PaymentPending, Amount: cash})
	ret.CashInstead, ret.ApprovedBy = true, approvedBy
	f.returns[key] = ret
	return ret, nil
}

func (f *fakeReturns) CompleteReturn(ctx context.Context, key string, owed bool) (pos.Return, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return pos.Return{}, err
	}
	ret := f.returns[key]
	if ret.Status == pos.ReturnCompleted {
		return ret, nil
	}
	ret.Refunds = slices.Clone(ret.Refunds)
	for i, r := range ret.Refunds {
		switch {
		case r.Method == pos.MethodCard && r.Status != pos.PaymentApproved:
			return pos.Return{}, pos.Errorf(pos.EConflict, "a card refund is not settled")
		case r.Method == pos.MethodCash && owed:
			ret.Refunds[i].Status = pos.RefundOwed
		case r.Method == pos.MethodCash:
			ret.Refunds[i].Status = pos.PaymentApproved
		}
	}
	for _, l := range ret.Lines {
		if l.Restock {
			f.stock[l.ItemID] += l.Quantity
		}
	}
	f.points += ret.PointsReversed
	ret.Status = pos.ReturnCompleted
	f.returns[key] = ret
	return ret, nil
}

func (f *fakeReturns) FailReturn(ctx context.Context, key string) (pos.Return, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return pos.Return{}, err
	}
	ret := f.returns[key]
	if ret.MoneyMoved() {
		return ret, pos.Errorf(pos.EConflict, "money went back: the return cannot fail")
	}
	ret.Status = pos.ReturnFailed
	f.returns[key] = ret
	return ret, nil
}

func (f *fakeReturns) Return(ctx context.Context, key string) (pos.Return, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return pos.Return{}, err
	}
	ret, ok := f.returns[key]
	if !ok {
		return ret, pos.Errorf(pos.ENotFound, "no return %s", key)
	}
	ret.Refunds = slices.Clone(ret.Refunds)
	return ret, nil
}

func (f *fakeReturns) PendingReturns(ctx context.Context, till string, before time.Time) ([]pos.Return, error) {
	return nil, nil
}

// all lists the returns recorded, in order.
func (f *fakeReturns) all() []pos.Return {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []pos.Return
	for _, k := range f.order {
		out = append(out, f.returns[k])
	}
	return out
}

func (f *fakeReturns) SaleKeyByNumber(ctx context.Context, n int64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(); err != nil {
		return "", err
	}
	for k, s := range f.sales {
		if s.ID == n {
			return k, nil
		}
	}
	return "", pos.Errorf(pos.ENotFound, "no sale number %d", n)
}

// fakeRefunder is a card gateway's refunds: approved unless told otherwise
// (failed, or unknown: made at the gateway but no answer came back).
type fakeRefunder struct {
	mu   sync.Mutex
	next []pos.PaymentStatus
	made map[string]pos.Money // refunds made, by attempt key
	// calls counts RefundCard calls; finds counts FindRefund calls.
	calls, finds int
}

func (g *fakeRefunder) then(s ...pos.PaymentStatus) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.next = append(g.next, s...)
}

func (g *fakeRefunder) RefundCard(ctx context.Context, req pos.RefundRequest) (pos.ChargeResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	st := pos.PaymentApproved
	if len(g.next) > 0 {
		st, g.next = g.next[0], g.next[1:]
	}
	switch st {
	case pos.PaymentFailed:
		return pos.ChargeResult{Status: pos.PaymentFailed, Message: "this card can only be refunded with the card present"}, nil
	case pos.PaymentUnknown:
		g.record(req) // it went through; the answer was lost
		return pos.ChargeResult{}, pos.Errorf(pos.EUnavailable, "the gateway did not answer")
	}
	g.record(req)
	return pos.ChargeResult{Status: pos.PaymentApproved, Provider: "fake", ProviderRef: "re_" + req.AttemptKey[:8]}, nil
}

func (g *fakeRefunder) record(req pos.RefundRequest) {
	if g.made == nil {
		g.made = map[string]pos.Money{}
	}
	g.made[req.AttemptKey] = req.Amount // by key: a repeat refunds nothing more
}

func (g *fakeRefunder) FindRefund(ctx context.Context, req pos.RefundRequest) (pos.ChargeResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.finds++
	if _, ok := g.made[req.AttemptKey]; ok {
		return pos.ChargeResult{Status: pos.PaymentApproved, Provider: "fake", ProviderRef: "re_" + req.AttemptKey[:8]}, nil
	}
	return pos.ChargeResult{}, pos.Errorf(pos.ENotFound, "no refund %s", req.AttemptKey)
}

// refunded is the money the gateway gave back.
func (g *fakeRefunder) refunded() pos.Money {
	g.mu.Lock()
	defer g.mu.Unlock()
	var sum pos.Money
	for _, a := range g.made {
		sum += a
	}
	return sum
}

// fakeManagers signs in the rig's cashier and a manager, 900 with PIN 9999.
type fakeManagers struct {
	db      *fakeDB
	mu      sync.Mutex
	refused int
}

func (c *fakeManagers) SignIn(ctx context.Context, store, till, number, pin string) (pos.Cashier, error) {
	if number == "900" && pin == "9999" {
		return pos.Cashier{ID: 9, Number: "900", Name: "Max Manager", Manager: true}, nil
	}
	c.mu.Lock()
	c.refused++
	c.mu.Unlock()
	return c.db.SignIn(ctx, store, till, number, pin)
}

// fakeRefundReceipts counts the refund receipts printed.
type fakeRefundReceipts struct {
	mu      sync.Mutex
	printed []string
}

func (p *fakeRefundReceipts) PrintReturn(ctx context.Context, ret pos.Return) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.printed = append(p.printed, ret.Key)
	return nil
}

func (p *fakeRefundReceipts) SaveReturn(ctx context.Context, ret pos.Return) (string, error) {
	return "/tmp/refund-" + ret.Key + ".pdf", nil
}

// returnRig is a rig with returns set up on sale 41: milk ×3, bread,
// apples 482 g (€9.80), paid €5.00 by card visa ••4242 and the rest in cash,
// 9 points earned by customer 7, completed at the rig's start (today).
type returnRig struct {
	*rig
	store    *fakeReturns
	gw       *fakeRefunder
	managers *fakeManagers
	drawer   *fakeDrawer
	printed  *fakeRefundReceipts
	sale     pos.Sale
}

const soldKey = "0b9a3c1e-2f4d-4a6b-8c7d-9e0f1a2b3c4d"

func soldSale(t testing.TB) pos.Sale {
	t.Helper()
	lines := []pos.Line{
		{ItemID: milk.ID, Code: milk.Code, Name: milk.Name, Quantity: 3, UnitPrice: milk.Price, TaxRate: milk.TaxRate},
		{ItemID: bread.ID, Code: bread.Code, Name: bread.Name, Quantity: 1, UnitPrice: bread.Price, TaxRate: bread.TaxRate},
		{ItemID: apples.ID, Code: apples.Code, Name: apples.Name, Weighed: true, Quantity: 482, UnitPrice: apples.Price, TaxRate: apples.TaxRate},
	}
	totals, err := pos.ComputeTotals(lines, pos.TaxInclusive)
	if err != nil {
		t.Fatal(err)
	}
	return pos.Sale{ID: 41, Key: soldKey, StoreID: "s1", TillID: "t1", CashierID: 1, CustomerID: 7, Currency: "EUR",
		Lines: lines, Totals: totals, Status: pos.SaleCompleted, PointsEarned: 9, CreatedAt: rigStart, CompletedAt: rigStart,
		Payments: []pos.Payment{
			{AttemptKey: "pay-card-1", SaleKey: soldKey, Method: pos.MethodCard, Status: pos.PaymentApproved, Amount: 500,
				Provider: "fake", ProviderRef: "pi_1", CardBrand: "visa", CardLast4: "4242"},
			{AttemptKey: "pay-cash-1", SaleKey: soldKey, Method: pos.MethodCash, Status: pos.PaymentApproved, Amount: totals.Total - 500},
		}}
}

// newReturnRig builds a signed-in till with returns set up; approvalOver
// is POS_RETURN_APPROVAL_OVER (0: no limit).
func newReturnRig(t testing.TB, approvalOver pos.Money) *returnRig {
	t.Helper()
	r := &returnRig{rig: newRig(t, false), gw: &fakeRefunder{}, drawer: &fakeDrawer{}, printed: &fakeRefundReceipts{}}
	r.sale = soldSale(t)
	r.store = newFakeReturns(r.sale)
	r.managers = &fakeManagers{db: r.db}
	set := r.m.set
	set.ReturnApprovalOver = approvalOver
	r.m.deps.Returns = &pos.Returns{Store: r.store, Gateway: r.gw, Settings: set, Now: r.clock, Location: time.UTC}
	r.m.deps.Approver = &pos.Approver{Cashiers: r.managers, Audit: r.db, StoreID: "s1", TillID: "t1"}
	r.m.deps.SaleNumbers = r.store
	r.m.deps.Drawer = r.drawer
	r.m.deps.RefundReceipts = r.printed
	r.signIn()
	return r
}

// receipt is what the sale's receipt barcode carries.
func (r *returnRig) receipt() string {
	code, err := pos.ReceiptCode(r.sale.Key)
	if err != nil {
		r.t.Fatal(err)
	}
	return code
}

// approve types the manager's number and PIN at a person's pace.
func (r *returnRig) approve(pin string) {
	r.typeText("900")
	r.key("tab")
	r.typeText(pin)
	r.key("enter")
}

// only returns the one return recorded.
func (r *returnRig) only() pos.Return {
	r.t.Helper()
	all := r.store.all()
	if len(all) != 1 {
		r.t.Fatalf("returns recorded: got %d, want 1 (screen %d, status %q)", len(all), r.m.active, r.m.status.text)
	}
	return all[0]
}

func (r *returnRig) wantScreen(want screenID, state returnState) {
	r.t.Helper()
	if r.m.active != want || want == screenReturn && r.m.returns().state != state {
		r.t.Fatalf("got screen %d state %s, want screen %d state %s (status %q)\n%s", r.m.active, r.m.returns().state,
			want, state, r.m.status.text, r.screen())
	}
}
