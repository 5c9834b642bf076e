package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
)

// refunder is a scripted card refund gateway: it keeps the refunds it made
// by attempt key, as Stripe does, and plays one outcome per call from its
// script (then "ok"). It stands in for the gateway only; the database is
// real.
type refunder struct {
	mu     sync.Mutex
	script []string // "ok", "fail", "lost" (made, answer lost), "down" (not made, no answer)
	made   map[string]pos.Money
	calls  int
}

func (g *refunder) next() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	if len(g.script) == 0 {
		return "ok"
	}
	s := g.script[0]
	g.script = g.script[1:]
	return s
}

func (g *refunder) RefundCard(ctx context.Context, req pos.RefundRequest) (pos.ChargeResult, error) {
	outcome := g.next()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.made == nil {
		g.made = map[string]pos.Money{}
	}
	switch outcome {
	case "fail":
		return pos.ChargeResult{Status: pos.PaymentFailed, Message: "the bank refused the refund"}, nil
	case "down":
		return pos.ChargeResult{}, pos.Errorf(pos.EUnavailable, "network down")
	}
	g.made[req.AttemptKey] = req.Amount // idempotent by key: set, never added
	if outcome == "lost" {
		return pos.ChargeResult{}, pos.Errorf(pos.EUnavailable, "answer lost")
	}
	return pos.ChargeResult{Status: pos.PaymentApproved, Provider: "test", ProviderRef: "re_" + req.AttemptKey[:8]}, nil
}

func (g *refunder) FindRefund(ctx context.Context, req pos.RefundRequest) (pos.ChargeResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.made[req.AttemptKey]; !ok {
		return pos.ChargeResult{}, pos.Errorf(pos.ENotFound, "no such refund")
	}
	return pos.ChargeResult{Status: pos.PaymentApproved, Provider: "test", ProviderRef: "re_" + req.AttemptKey[:8]}, nil
}

func (g *refunder) total() pos.Money {
	g.mu.Lock()
	defer g.mu.Unlock()
	var s pos.Money
	for _, m := range g.made {
		s += m
	}
	return s
}

func (f *fixture) returns(g *refunder) *pos.Returns {
	return &pos.Returns{Store: f.db, Gateway: g, Settings: f.co.Settings}
}

// sellSplit sells lines paid card (cardAmount) and the rest in cash, to
// the fixture's customer.
func (f *fixture) sellSplit(t *testing.T, cardAmount pos.Money, lines ...[2]int) pos.Sale {
	t.Helper()
	ctx := context.Background()
	d := f.draft(t, lines...)
	d.CustomerID = f.customer.ID
	sale, err := f.co.Reserve(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if cardAmount > 0 {
		p, err := f.co.PayCard(ctx, sale, cardAmount)
		if err != nil {
			t.Fatal(err)
		}
		sale.Payments = append(sale.Payments, p)
	}
	done, err := f.co.Complete(ctx, sale, sale.Due())
	if cardAmount == sale.Totals.Total {
		done, err = f.co.Complete(ctx, sale)
	}
	if err != nil {
		t.Fatal(err)
	}
	return done
}

func (f *fixture) points(t *testing.T) int {
	return f.count(t, `SELECT loyalty_points FROM customers WHERE customer_id = ?`, f.customer.ID)
}

func TestReturnOneLineOfASplitSale(t *testing.T) {
	f := newFixture(t, 10, 10, 10)
	ctx := context.Background()
	// 1.99 + 2.99 + 3.99 = 8.97: 5.00 on the card, 3.97 in cash; 8 points.
	sale := f.sellSplit(t, 500, [2]int{0, 1}, [2]int{1, 1}, [2]int{2, 1})
	if f.points(t) != 8 {
		t.Fatalf("points after the sale: %d, want 8", f.points(t))
	}
	g := &refunder{}
	rs := f.returns(g)
	src, err := rs.Open(ctx, sale.Key)
	if err != nil {
		t.Fatal(err)
	}
	// The third line (3.99) and the first (1.99): 5.98 = 5.00 card + 0.98 cash.
	req := rs.Request(pos.NewKey(), sale.Key, f.cashier, []pos.ReturnLine{
		{SaleLine: 3, Quantity: 1, Reason: pos.ReasonChangedMind, Restock: true},
		{SaleLine: 1, Quantity: 1, Reason: pos.ReasonDamaged, Restock: true},
	})
	plan, err := pos.PlanReturn(src, req)
	if err != nil {
		t.Fatal(err)
	}
	ret, err := rs.Begin(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if ret.Total != plan.Total || ret.Total != 598 || len(ret.Refunds) != 2 {
		t.Fatalf("begin: total %d (plan %d), %d refunds; want 598 and 2", ret.Total, plan.Total, len(ret.Refunds))
	}
	if got := f.count(t, `SELECT COUNT(*) FROM refunds WHERE status = 'pending'`); got != 2 {
		t.Errorf("refund rows pending before the gateway is asked: %d, want 2", got)
	}
	ret, err = rs.RefundCards(ctx, ret)
	if err != nil {
		t.Fatal(err)
	}
	done, err := rs.Complete(ctx, ret.Key)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != pos.ReturnCompleted || done.CardBack() != 500 || done.CashBack() != 98 {
		t.Errorf("done: %s card %d cash %d; want completed 500 98", done.Status, done.CardBack(), done.CashBack())
	}
	if g.total() != 500 {
		t.Errorf("refunded at the gateway: %d, want 500", g.total())
	}
	// The damaged line stays out of stock; the other goes back.
	if a, c := f.stock(t, 0), f.stock(t, 2); a != 9 || c != 10 {
		t.Errorf("stock: item 0 %d (want 9: damaged), item 2 %d (want 10)", a, c)
	}
	// 8 points for 8.97; 5.98 of it is worth round(8 × 598/897) = 5.
	if got := f.points(t); got != 3 || done.PointsReversed != 5 {
		t.Errorf("points: customer %d, reversed %d; want 3 and 5", got, done.PointsReversed)
	}
	for what, q := range map[string]string{
		"receipt outbox rows": `SELECT COUNT(*) FROM receipt_outbox WHERE return_id = ?`,
		"event outbox rows":   `SELECT COUNT(*) FROM event_outbox WHERE return_id = ? AND event_type = 'return.completed'`,
		"audit rows":          `SELECT COUNT(*) FROM audit_log WHERE action = 'return' AND sale_key = (SELECT t.idempotency_key FROM returns r JOIN transactions t ON t.transaction_id = r.transaction_id WHERE r.return_id = ?)`,
	} {
		if got := f.count(t, q, done.ID); got != 1 {
			t.Errorf("%s: %d, want 1", what, got)
		}
	}
	// The sale's row never changes.
	again, err := f.db.Sale(ctx, sale.Key)
	if err != nil || again.Status != pos.SaleCompleted || again.Totals.Total != sale.Totals.Total {
		t.Errorf("the sale after the return: %v %v", again.Status, err)
	}
	// What is left: line 2 only, and the card has nothing left.
	src, err = rs.Open(ctx, sale.Key)
	if err != nil {
		t.Fatal(err)
	}
	if src.Left(0) != 0 || src.Left(1) != 1 || src.Left(2) != 0 || src.Refunded != 598 {
		t.Errorf("left: %d %d %d refunded %d; want 0 1 0 598", src.Left(0), src.Left(1), src.Left(2), src.Refunded)
	}
	rest, err := pos.PlanReturn(src, rs.Request(pos.NewKey(), sale.Key, f.cashier,
		[]pos.ReturnLine{{SaleLine: 2, Quantity: 1, Reason: pos.ReasonOther, Restock: true}}))
	if err != nil {
		t.Fatal(err)
	}
	if len(rest.Refunds) != 1 || rest.Refunds[0].Method != pos.MethodCash || rest.Refunds[0].Amount != 299 {
		t.Errorf("the rest goes to cash: %+v", rest.Refunds)
	}
	f.checkInvariants(t)
}

func TestReturnRefusesMoreThanSold(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	sale := f.sellSplit(t, 0, [2]int{0, 2})
	rs := f.returns(&refunder{})
	for _, q := range []int64{3, 0, -1} {
		_, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sale.Key, f.cashier,
			[]pos.ReturnLine{{SaleLine: 1, Quantity: q, Reason: pos.ReasonOther}}))
		if err == nil {
			t.Errorf("returning %d of 2: no error", q)
		}
	}
	_, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sale.Key, f.cashier,
		[]pos.ReturnLine{{SaleLine: 1, Quantity: 1, Reason: "lost"}}))
	if pos.ErrorCode(err) != pos.EInvalid {
		t.Errorf("an unknown reason: got %v, want invalid", err)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM returns`); got != 0 {
		t.Errorf("returns recorded: %d, want 0", got)
	}
}

// TestConcurrentReturnsOfOneSale returns one receipt from 24 tills at once:
// 5 units sold on a card, each till returns 1. Exactly 5 returns go
// through, and the card is refunded exactly what it paid.
func TestConcurrentReturnsOfOneSale(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	sale := f.sellSplit(t, 995, [2]int{0, 5}) // 5 × 1.99 all on the card
	g := &refunder{}
	rs := f.returns(g)
	const tills = 24
	var wg sync.WaitGroup
	results := make(chan error, tills)
	for range tills {
		wg.Go(func() {
			ret, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sale.Key, f.cashier,
				[]pos.ReturnLine{{SaleLine: 1, Quantity: 1, Reason: pos.ReasonChangedMind, Restock: true}}))
			if err == nil {
				if ret, err = rs.RefundCards(ctx, ret); err == nil {
					_, err = rs.Complete(ctx, ret.Key)
				}
			}
			results <- err
		})
	}
	wg.Wait()
	close(results)
	ok, refused := 0, 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case pos.ErrorCode(err) == pos.EConflict:
			refused++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 5 || refused != tills-5 {
		t.Errorf("returns: %d went through, %d refused; want 5 and %d", ok, refused, tills-5)
	}
	if g.total() != 995 {
		t.Errorf("refunded to the card: %d, want 995", g.total())
	}
	if got := f.stock(t, 0); got != 10 {
		t.Errorf("stock: %d, want 10", got)
	}
	f.checkInvariants(t)
}

func TestReturnSameKeyTwiceIsOneReturn(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	sale := f.sellSplit(t, 0, [2]int{0, 3})
	rs := f.returns(&refunder{})
	req := rs.Request(pos.NewKey(), sale.Key, f.cashier,
		[]pos.ReturnLine{{SaleLine: 1, Quantity: 1, Reason: pos.ReasonOther, Restock: true}})
	a, err := rs.Begin(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rs.Begin(ctx, req)
	if err != nil || a.ID != b.ID {
		t.Fatalf("second begin: %v, ids %d %d", err, a.ID, b.ID)
	}
	for range 2 {
		if _, err := rs.Complete(ctx, a.Key); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.stock(t, 0); got != 8 {
		t.Errorf("stock: %d, want 8 (one unit back once)", got)
	}
	f.checkInvariants(t)
}

func TestFailedCardRefund(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	manager := f.d.AddCashier(t, pos.Cashier{Number: "900", Name: "Mia", Manager: true}, "9999").ID
	tests := []struct {
		name  string
		then  func(rs *pos.Returns, key string) (pos.Return, error)
		want  pos.ReturnStatus
		stock int64
	}{
		{"cash instead, with a manager", func(rs *pos.Returns, key string) (pos.Return, error) {
			if _, err := rs.RefundInCash(ctx, key, f.cashier); pos.ErrorCode(err) != pos.EConflict {
				t.Errorf("cash instead approved by a cashier: got %v, want conflict", err)
			}
			if _, err := rs.RefundInCash(ctx, key, manager); err != nil {
				return pos.Return{}, err
			}
			return rs.Complete(ctx, key)
		}, pos.ReturnCompleted, 10},
		{"cancelled", func(rs *pos.Returns, key string) (pos.Return, error) {
			if _, err := rs.Complete(ctx, key); pos.ErrorCode(err) != pos.EConflict {
				t.Errorf("completing with a failed card refund: got %v, want conflict", err)
			}
			return rs.Cancel(ctx, key)
		}, pos.ReturnFailed, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sale := f.sellSplit(t, 199, [2]int{0, 1})
			g := &refunder{script: []string{"fail"}}
			rs := f.returns(g)
			ret, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sale.Key, f.cashier,
				[]pos.ReturnLine{{SaleLine: 1, Quantity: 1, Reason: pos.ReasonWrongItem, Restock: true}}))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rs.RefundCards(ctx, ret); pos.ErrorCode(err) != pos.EDeclined {
				t.Fatalf("refund: got %v, want declined", err)
			}
			done, err := tt.then(rs, ret.Key)
			if err != nil {
				t.Fatal(err)
			}
			if done.Status != tt.want || f.stock(t, 0) != tt.stock {
				t.Errorf("got %s stock %d, want %s %d", done.Status, f.stock(t, 0), tt.want, tt.stock)
			}
			if tt.want == pos.ReturnCompleted && (done.CashBack() != 199 || done.ApprovedBy != manager) {
				t.Errorf("cash back %d approved by %d; want 199 by %d", done.CashBack(), done.ApprovedBy, manager)
			}
			f.checkInvariants(t)
		})
	}
}

// TestRecoverReturns stops a till between a refund's row and the
// gateway's answer: recovery finds what the gateway did by the key.
func TestRecoverReturns(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	tests := []struct {
		name   string
		script []string
		status pos.ReturnStatus
		stock  int64
		owed   pos.Money
	}{
		{"refund made, answer lost", []string{"lost"}, pos.ReturnCompleted, 10, 100},
		{"refund never reached the gateway", []string{"down"}, pos.ReturnFailed, 9, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sale := f.sellSplit(t, 99, [2]int{0, 1}) // 0.99 card + 1.00 cash
			g := &refunder{script: tt.script}
			rs := f.returns(g)
			ret, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sale.Key, f.cashier,
				[]pos.ReturnLine{{SaleLine: 1, Quantity: 1, Reason: pos.ReasonChangedMind, Restock: true}}))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rs.RefundCards(ctx, ret); pos.ErrorCode(err) != pos.EUnavailable {
				t.Fatalf("refund: got %v, want unavailable", err)
			}
			// The till stops here. Its next start:
			rep, err := rs.Recover(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.db.Return(ctx, ret.Key)
			if err != nil {
				t.Fatal(err)
			}
			var owed pos.Money
			for _, r := range got.Refunds {
				if r.Status == pos.RefundOwed {
					owed += r.Amount
				}
			}
			if got.Status != tt.status || f.stock(t, 0) != tt.stock || owed != tt.owed {
				t.Errorf("after recovery %+v: %s stock %d owed %d; want %s %d %d",
					rep, got.Status, f.stock(t, 0), owed, tt.status, tt.stock, tt.owed)
			}
			if g.calls != 1 {
				t.Errorf("refunds asked for: %d, want 1 (recovery finds, never refunds again)", g.calls)
			}
			f.checkInvariants(t)
		})
	}
}

func TestReturnWithoutReceipt(t *testing.T) {
	f := newFixture(t, 10, 10)
	ctx := context.Background()
	manager := f.d.AddCashier(t, pos.Cashier{Number: "900", Name: "Mia", Manager: true}, "9999").ID
	rs := f.returns(&refunder{})
	it := f.items[1]
	req := rs.Request(pos.NewKey(), "", f.cashier, []pos.ReturnLine{{ItemID: it.ID, Code: it.Code,
		Name: it.Name, Quantity: 2, UnitPrice: it.Price, TaxRate: it.TaxRate, Reason: pos.ReasonChangedMind, Restock: true}})
	if _, err := rs.Begin(ctx, req); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("without a manager: got %v, want conflict", err)
	}
	req.ApprovedBy = f.cashier
	if _, err := rs.Begin(ctx, req); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("approved by a cashier: got %v, want conflict", err)
	}
	req.ApprovedBy = manager
	ret, err := rs.Begin(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	done, err := rs.Complete(ctx, ret.Key)
	if err != nil {
		t.Fatal(err)
	}
	if done.CashBack() != 2*it.Price || done.SaleKey != "" || f.stock(t, 1) != 12 {
		t.Errorf("got cash %d sale %q stock %d; want %d, none, 12", done.CashBack(), done.SaleKey, f.stock(t, 1), 2*it.Price)
	}
	f.checkInvariants(t)
}

func TestReturnApprovalOverLimitAndPointsNeverBelowZero(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	manager := f.d.AddCashier(t, pos.Cashier{Number: "900", Name: "Mia", Manager: true}, "9999").ID
	sale := f.sellSplit(t, 0, [2]int{0, 5}) // 9.95: 9 points
	// The customer spent 7 of them.
	if _, err := f.d.Admin.Exec(`UPDATE customers SET loyalty_points = 2 WHERE customer_id = ?`, f.customer.ID); err != nil {
		t.Fatal(err)
	}
	rs := f.returns(&refunder{})
	rs.Settings.ReturnApprovalOver = 500
	req := rs.Request(pos.NewKey(), sale.Key, f.cashier,
		[]pos.ReturnLine{{SaleLine: 1, Quantity: 5, Reason: pos.ReasonChangedMind, Restock: true}})
	if _, err := rs.Begin(ctx, req); pos.ErrorCode(err) != pos.EConflict {
		t.Fatalf("9.95 over a 5.00 limit without a manager: got %v, want conflict", err)
	}
	req.ApprovedBy = manager
	ret, err := rs.Begin(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	done, err := rs.Complete(ctx, ret.Key)
	if err != nil {
		t.Fatal(err)
	}
	if f.points(t) != 0 || done.PointsReversed != 2 || done.PointsUnreversed != 7 {
		t.Errorf("points: customer %d, reversed %d, unreversed %d; want 0 2 7", f.points(t), done.PointsReversed, done.PointsUnreversed)
	}
	f.checkInvariants(t)
}

func TestVoidACompletedSale(t *testing.T) {
	f := newFixture(t, 10, 10)
	ctx := context.Background()
	now := time.Now()
	sale := f.sellSplit(t, 100, [2]int{0, 2}, [2]int{1, 1})
	rs := f.returns(&refunder{})
	src, err := rs.Open(ctx, sale.Key)
	if err != nil {
		t.Fatal(err)
	}
	rs.Now = func() time.Time { return now.Add(48 * time.Hour) }
	if _, err := rs.Void(src, pos.NewKey(), f.cashier); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("void two days later: got %v, want conflict", err)
	}
	rs.Now = nil
	req, err := rs.Void(src, pos.NewKey(), f.cashier)
	if err != nil {
		t.Fatal(err)
	}
	ret, err := rs.Begin(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if ret, err = rs.RefundCards(ctx, ret); err != nil {
		t.Fatal(err)
	}
	done, err := rs.Complete(ctx, ret.Key)
	if err != nil {
		t.Fatal(err)
	}
	if done.Kind != pos.KindVoid || done.Refunded() != sale.Totals.Total || f.stock(t, 0) != 10 || f.stock(t, 1) != 10 {
		t.Errorf("void: kind %s refunded %d of %d, stock %d %d", done.Kind, done.Refunded(), sale.Totals.Total, f.stock(t, 0), f.stock(t, 1))
	}
	if _, err := rs.Open(ctx, sale.Key); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("opening a voided sale: got %v, want conflict", err)
	}
	f.checkInvariants(t)
}

// TestReturnsAsTheTillUser runs every step of a return with exactly the
// till's grants: begin, card refunds (one failing), cash instead with a
// manager, complete (stock, points, outboxes, audit), and a cancelled one.
func TestReturnsAsTheTillUser(t *testing.T) {
	f := newFixture(t, 100)
	ctx := context.Background()
	manager := f.d.AddCashier(t, pos.Cashier{Number: "900", Name: "Mia", Manager: true}, "9999").ID
	db, _ := tillUser(t, f.d)
	sale := f.sellSplit(t, 100, [2]int{0, 3})
	rs := &pos.Returns{Store: db, Gateway: &refunder{script: []string{"fail"}}, Settings: settings()}
	ret, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sale.Key, f.cashier,
		[]pos.ReturnLine{{SaleLine: 1, Quantity: 2, Reason: pos.ReasonChangedMind, Restock: true}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.RefundCards(ctx, ret); pos.ErrorCode(err) != pos.EDeclined {
		t.Fatalf("refund: got %v, want declined", err)
	}
	if _, err := rs.RefundInCash(ctx, ret.Key, manager); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Complete(ctx, ret.Key); err != nil {
		t.Fatal(err)
	}
	other, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sale.Key, f.cashier,
		[]pos.ReturnLine{{SaleLine: 1, Quantity: 1, Reason: pos.ReasonDamaged}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Cancel(ctx, other.Key); err != nil {
		t.Fatal(err)
	}
	if got := f.stock(t, 0); got != 99 {
		t.Errorf("stock: %d, want 99", got)
	}
	f.checkInvariants(t)
}

// TestManagerApproval checks a manager's PIN at the till through the
// sign-in procedure: refused for a wrong PIN, a cashier and the manager's
// own action, and every answer audited with both people.
func TestManagerApproval(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	manager := f.d.AddCashier(t, pos.Cashier{Number: "900", Name: "Mia", Manager: true}, "9999")
	a := &pos.Approver{Cashiers: f.db, Audit: f.db, StoreID: "s1", TillID: "t1"}
	tests := []struct {
		name    string
		cashier int64
		number  string
		pin     string
		ok      bool
	}{
		{"wrong PIN", f.cashier, "900", "9998", false},
		{"unknown number", f.cashier, "901", "9999", false},
		{"a cashier is not a manager", f.cashier, "101", "1234", false},
		{"a manager approving their own", manager.ID, "900", "9999", false},
		{"the manager", f.cashier, "900", "9999", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action IN ('approval','approval_refused')`)
			m, err := a.Approve(ctx, tt.cashier, "a return without a receipt", "", tt.number, tt.pin)
			if tt.ok != (err == nil) || tt.ok && m.ID != manager.ID {
				t.Errorf("got %+v, %v; want ok=%v", m, err, tt.ok)
			}
			if err != nil && pos.ErrorMessage(err) == "" {
				t.Error("a refusal without a message for the cashier")
			}
			after := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action IN ('approval','approval_refused')
				AND cashier_id = ?`, tt.cashier)
			if after < 1 || f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action IN ('approval','approval_refused')`) != before+1 {
				t.Errorf("audit rows: want one more for cashier %d", tt.cashier)
			}
		})
	}
}

// TestTrainingReturn returns a training sale in training: the return is
// recorded (and its receipt queued) but no stock, points or event move,
// and a live till refuses the training receipt.
func TestTrainingReturn(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	f.co.Settings.Training = true
	sale := f.sellSplit(t, 100, [2]int{0, 2})
	live := f.returns(&refunder{})
	live.Settings.Training = false
	if _, err := live.Open(ctx, sale.Key); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("a live till opening a training receipt: got %v, want conflict", err)
	}
	rs := f.returns(&refunder{})
	ret, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sale.Key, f.cashier,
		[]pos.ReturnLine{{SaleLine: 1, Quantity: 2, Reason: pos.ReasonChangedMind, Restock: true}}))
	if err != nil {
		t.Fatal(err)
	}
	if ret, err = rs.RefundCards(ctx, ret); err != nil {
		t.Fatal(err)
	}
	done, err := rs.Complete(ctx, ret.Key)
	if err != nil {
		t.Fatal(err)
	}
	if !done.Training || f.stock(t, 0) != 3 || f.points(t) != 0 {
		t.Errorf("training return: training=%v stock %d points %d; want true 3 0", done.Training, f.stock(t, 0), f.points(t))
	}
	if got := f.count(t, `SELECT COUNT(*) FROM event_outbox WHERE return_id = ?`, done.ID); got != 0 {
		t.Errorf("events for a training return: %d, want 0", got)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM receipt_outbox WHERE return_id = ?`, done.ID); got != 1 {
		t.Errorf("receipts queued: %d, want 1", got)
	}
	f.checkInvariants(t)
}

// TestReturnAtAnotherStore returns a sale made at s1 at two other stores
// of the chain: berlin-1 stocks the item and gets the unit back; a new
// store that never stocked it takes the goods back without a stock figure.
func TestReturnAtAnotherStore(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	f.d.AddStore(t, store.StoreInfo{ID: "paris-1", Name: "Paris", Currency: "EUR"})
	sale := f.sellSplit(t, 0, [2]int{0, 2})
	berlinBefore := f.count(t, `SELECT stock_quantity FROM store_inventory WHERE store_id = 'berlin-1' AND item_id = ?`, f.items[0].ID)
	for _, at := range []string{"berlin-1", "paris-1"} {
		rs := f.returns(&refunder{})
		rs.Settings.StoreID = at
		ret, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sale.Key, f.cashier,
			[]pos.ReturnLine{{SaleLine: 1, Quantity: 1, Reason: pos.ReasonChangedMind, Restock: true}}))
		if err != nil {
			t.Fatal(err)
		}
		done, err := rs.Complete(ctx, ret.Key)
		if err != nil {
			t.Fatal(err)
		}
		if want := at == "berlin-1"; done.Lines[0].Restock != want || done.StoreID != at {
			t.Errorf("return at %s: restock %v store %s", at, done.Lines[0].Restock, done.StoreID)
		}
	}
	if got := f.count(t, `SELECT stock_quantity FROM store_inventory WHERE store_id = 'berlin-1' AND item_id = ?`, f.items[0].ID); got != berlinBefore+1 {
		t.Errorf("berlin-1 stock: %d, want %d", got, berlinBefore+1)
	}
	if f.stock(t, 0) != 8 {
		t.Errorf("s1 stock: %d, want 8 (sold there, returned elsewhere)", f.stock(t, 0))
	}
	f.checkInvariants(t)
}

// TestReturnLimitsAreTheDatabases shows the limits hold without the till's
// Go code: once a line is returned in full and its card refunded, the
// counters' CHECK constraints refuse one more unit or one more cent, even
// from a statement written by hand.
func TestReturnLimitsAreTheDatabases(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	sale := f.sellSplit(t, 398, [2]int{0, 2})
	rs := f.returns(&refunder{})
	ret, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sale.Key, f.cashier,
		[]pos.ReturnLine{{SaleLine: 1, Quantity: 2, Reason: pos.ReasonOther, Restock: true}}))
	if err != nil {
		t.Fatal(err)
	}
	if ret, err = rs.RefundCards(ctx, ret); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Complete(ctx, ret.Key); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE sale_line_returns SET returned = returned + 1 WHERE transaction_id = ?`,
		`UPDATE sale_refunds SET refunded = refunded + 0.01 WHERE transaction_id = ?`,
		`UPDATE payment_refunds SET refunded = refunded + 0.01 WHERE payment_id IN (SELECT payment_id FROM payments WHERE transaction_id = ?)`,
		`UPDATE sale_line_returns SET returned = -1 WHERE transaction_id = ?`,
	} {
		if _, err := f.d.Admin.ExecContext(ctx, q, sale.ID); err == nil {
			t.Errorf("the database let this pass a limit: %s", q)
		}
	}
	f.checkInvariants(t)
}
