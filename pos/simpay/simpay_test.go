package simpay

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/till-pos/till/pos"
)

// charge takes a simulated €10.00 card payment and returns its attempt key.
func charge(tb testing.TB, g *Gateway, o Outcome) string {
	tb.Helper()
	g.Then(o)
	req := pos.ChargeRequest{AttemptKey: pos.NewKey(), SaleKey: pos.NewKey(), Amount: 1000, Currency: pos.EUR()}
	res, err := g.Charge(context.Background(), req)
	if err != nil || res.Status != pos.PaymentApproved {
		tb.Fatalf("charge: got %+v, %v; want approved", res, err)
	}
	return req.AttemptKey
}

func refundOf(paymentKey string, amount pos.Money) pos.RefundRequest {
	return pos.RefundRequest{AttemptKey: pos.NewKey(), ReturnKey: pos.NewKey(), PaymentKey: paymentKey,
		PaymentRef: "sim_" + paymentKey[:8], Amount: amount, Currency: pos.EUR()}
}

// TestRefundCard refunds parts of a simulated €10.00 payment, one step
// after another, with the trainer's outcomes, and checks each answer, what
// FindRefund says afterwards, that asking again with the same attempt key
// never refunds twice, and how many refunds went through.
func TestRefundCard(t *testing.T) {
	type step struct {
		then    *Outcome // queued before the refund
		amount  pos.Money
		status  pos.PaymentStatus // "" when an error is wanted
		code    string
		msg     string
		found   pos.PaymentStatus // FindRefund's answer; "" for not found
		unknown bool              // the refund went through but the till did not hear
	}
	outcome := func(o Outcome) *Outcome { return &o }
	ok := func(amount pos.Money) step {
		return step{amount: amount, status: pos.PaymentApproved, found: pos.PaymentApproved}
	}
	cases := []struct {
		name    string
		paid    Outcome // how the payment was taken
		unknown bool    // the payment was taken by another (restarted) reader
		steps   []step
		refunds int
	}{
		{name: "approved", steps: []step{ok(400)}, refunds: 1},
		{name: "partial twice, then more than is left", steps: []step{ok(400), ok(500),
			{amount: 200, code: pos.EConflict, msg: "only €1.00 left to refund"}, ok(100),
			{amount: 1, code: pos.EConflict, msg: "only €0.00 left"}}, refunds: 3},
		{name: "declined", steps: []step{{then: outcome(Decline), amount: 400, status: pos.PaymentFailed,
			msg: "can no longer take refunds", found: pos.PaymentFailed}, ok(1000)}, refunds: 1},
		{name: "timeout: unknown, then found", steps: []step{{then: outcome(Timeout), amount: 400, code: pos.EUnavailable,
			found: pos.PaymentApproved, unknown: true}, ok(600)}, refunds: 2},
		{name: "lost answer: unknown, then found", steps: []step{{then: outcome(Lost), amount: 1000, code: pos.EUnavailable,
			found: pos.PaymentApproved, unknown: true}, {amount: 1, code: pos.EConflict, msg: "only €0.00 left"}}, refunds: 1},
		{name: "card present only", paid: InPersonOnly, steps: []step{{amount: 400, status: pos.PaymentFailed,
			msg: "only be refunded with the card on the reader", found: pos.PaymentFailed}}},
		{name: "trainer makes the next refund card present only", steps: []step{{then: outcome(InPersonOnly), amount: 400,
			status: pos.PaymentFailed, msg: "card on the reader", found: pos.PaymentFailed}, ok(400)}, refunds: 1},
		{name: "a payment another reader took", unknown: true, steps: []step{ok(1000)}, refunds: 1},
		{name: "no amount", steps: []step{{amount: 0, code: pos.EInvalid, msg: "positive amount"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := &Gateway{}
			paymentKey := pos.NewKey()
			if !tc.unknown {
				paymentKey = charge(t, g, tc.paid)
			}
			ctx := context.Background()
			for i, s := range tc.steps {
				if s.then != nil {
					g.Then(*s.then)
				}
				req := refundOf(paymentKey, s.amount)
				res, err := g.RefundCard(ctx, req)
				if res.Status != s.status || pos.ErrorCode(err) != s.code {
					t.Fatalf("step %d: got %+v, %v; want %q, error %q", i+1, res, err, s.status, s.code)
				}
				if got := res.Message + pos.ErrorMessage(err); !strings.Contains(got, s.msg) {
					t.Errorf("step %d: cashier reads %q, want it to contain %q", i+1, got, s.msg)
				}
				found, ferr := g.FindRefund(ctx, req)
				switch {
				case s.found == "" && pos.ErrorCode(ferr) != pos.ENotFound:
					t.Errorf("step %d: find: got %+v, %v; want not found", i+1, found, ferr)
				case s.found != "" && (ferr != nil || found.Status != s.found):
					t.Errorf("step %d: find: got %+v, %v; want %s", i+1, found, ferr, s.found)
				}
				if s.found == "" {
					continue
				}
				before := g.Refunds()
				again, err := g.RefundCard(ctx, req)
				if err != nil || again != found {
					t.Errorf("step %d: ask again: got %+v, %v; want %+v", i+1, again, err, found)
				}
				if g.Refunds() != before {
					t.Errorf("step %d: asking again refunded again", i+1)
				}
				if found.Status == pos.PaymentApproved && (found.Provider != Provider || !strings.HasPrefix(found.ProviderRef, "simre_")) {
					t.Errorf("step %d: got provider %q ref %q, want %s simre_…", i+1, found.Provider, found.ProviderRef, Provider)
				}
			}
			if got := g.Refunds(); got != tc.refunds {
				t.Errorf("refunds: got %d, want %d", got, tc.refunds)
			}
		})
	}
}

// TestRefundCardOnceUnderConcurrency: one attempt asked from 16 goroutines
// at once refunds once.
func TestRefundCardOnceUnderConcurrency(t *testing.T) {
	g := &Gateway{}
	req := refundOf(charge(t, g, Approve), 700)
	var wg sync.WaitGroup
	results := make([]pos.ChargeResult, 16)
	for i := range results {
		wg.Go(func() {
			res, err := g.RefundCard(context.Background(), req)
			if err != nil {
				t.Error(err)
			}
			results[i] = res
		})
	}
	wg.Wait()
	for i, r := range results {
		if r != results[0] || r.Status != pos.PaymentApproved {
			t.Errorf("goroutine %d: got %+v, want %+v approved", i, r, results[0])
		}
	}
	if got := g.Refunds(); got != 1 {
		t.Errorf("refunds: got %d, want 1", got)
	}
}

// TestRefundReleases: Refund (a released sale) gives the whole payment
// back, answers the same when asked again, leaves nothing for a card
// refund, leaves the trainer's queued outcome for the next charge, and
// fails for a payment that needs the card on the reader.
func TestRefundReleases(t *testing.T) {
	ctx := context.Background()
	g := &Gateway{}
	key := charge(t, g, Approve)
	p := pos.Payment{AttemptKey: key, Method: pos.MethodCard, Status: pos.PaymentApproved, Amount: 1000}
	g.Then(Decline)
	for i := range 2 {
		if res, err := g.Refund(ctx, p); err != nil || res.Status != pos.PaymentRefunded {
			t.Errorf("refund (%d): got %+v, %v; want refunded", i+1, res, err)
		}
	}
	if _, err := g.RefundCard(ctx, refundOf(key, 1)); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("card refund after the release: got %v, want conflict", err)
	}
	if res, _ := g.Charge(ctx, pos.ChargeRequest{AttemptKey: pos.NewKey(), Amount: 100}); res.Status != pos.PaymentDeclined {
		t.Errorf("next charge: got %s, want the queued decline", res.Status)
	}
	if _, err := g.Refund(ctx, pos.Payment{AttemptKey: pos.NewKey()}); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("refund of an unknown payment: got %v, want conflict", err)
	}
	interac := pos.Payment{AttemptKey: charge(t, g, InPersonOnly), Amount: 1000}
	if res, err := g.Refund(ctx, interac); err != nil || res.Status != pos.PaymentFailed || !strings.Contains(res.Message, "card on the reader") {
		t.Errorf("refund of a card-present-only payment: got %+v, %v; want failed, card on the reader", res, err)
	}
}
