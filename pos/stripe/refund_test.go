package stripe

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/stripe/stripetest"
	"github.com/till-pos/till/store"
)

// refundRig is a Stripe gateway on the scripted fake, for refunds: a
// payment is made at the fake directly (NewPayment), as a till's Charge
// would have left it.
type refundRig struct {
	fake *stripetest.Fake
	gw   *Gateway
	logs *syncBuffer
}

// newRefundRig: retries as Config.MaxNetworkRetries; with none, every
// request also takes a new connection, since net/http itself repeats a
// request with an Idempotency-Key header once when a reused connection
// closes without an answer.
func newRefundRig(tb testing.TB, retries int64) *refundRig {
	tb.Helper()
	r := &refundRig{fake: stripetest.NewFake(tb), logs: &syncBuffer{}}
	cfg := Config{SecretKey: stripetest.FakeKey, ReaderID: stripetest.FakeReader, APIBase: r.fake.URL,
		RequestTimeout: 2 * time.Second, MaxNetworkRetries: retries,
		Logger: slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if retries < 0 {
		cfg.HTTPClient = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	}
	g, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	r.gw = g
	return r
}

// request is a refund attempt of a return against payment piID.
func refundRequest(piID string, amount pos.Money) pos.RefundRequest {
	return pos.RefundRequest{AttemptKey: pos.NewKey(), ReturnKey: pos.NewKey(), SaleKey: pos.NewKey(),
		PaymentKey: pos.NewKey(), PaymentRef: piID, Amount: amount, Currency: pos.EUR()}
}

// refunded counts and sums the refunds of piID that moved money.
func (r *refundRig) refunded(piID string) (n int, sum int64) { return refundedAt(r.fake, piID) }

func refundedAt(fake *stripetest.Fake, piID string) (n int, sum int64) {
	for _, f := range fake.Refunds() {
		if f.PaymentIntent == piID && f.Status != "failed" && f.Status != "canceled" {
			n++
			sum += f.Amount
		}
	}
	return n, sum
}

// checkClean fails on a card number in the logs or in what was sent.
func (r *refundRig) checkClean(tb testing.TB) {
	tb.Helper()
	if found := stripetest.CardNumbers(r.logs.String()); len(found) > 0 {
		tb.Errorf("card numbers in the logs: %q", found)
	}
	for _, req := range r.fake.Requests() {
		if found := stripetest.CardNumbers(req.Form.Encode()); len(found) > 0 {
			tb.Errorf("card numbers sent in %s %s: %q", req.Method, req.Path, found)
		}
	}
}

// TestRefundCard gives parts of one €10.00 card payment back, one step
// after another, and checks each answer, what Stripe refunded, and that
// FindRefund finds each refund made by its attempt key.
func TestRefundCard(t *testing.T) {
	type step struct {
		amount pos.Money
		script stripetest.RefundScript
		status pos.PaymentStatus // "" when an error is wanted
		code   string            // of the error
		msg    string            // part of what the cashier reads
	}
	approved := func(amount pos.Money) step { return step{amount: amount, status: pos.PaymentApproved} }
	cases := []struct {
		name    string
		card    stripetest.Card
		steps   []step
		refunds int   // refunds that moved money
		sum     int64 // what they gave back
		replays int   // requests Stripe answered from its idempotency cache
	}{
		{name: "approved", steps: []step{approved(400)}, refunds: 1, sum: 400},
		{name: "pending at the bank", steps: []step{{amount: 400, script: stripetest.RefundScript{Status: "pending"},
			status: pos.PaymentApproved, msg: "pending at the bank"}}, refunds: 1, sum: 400},
		{name: "partial twice, then more than is left", steps: []step{approved(400), approved(500),
			{amount: 200, code: pos.EConflict, msg: "the card payment has only €1.00 left to refund"},
			approved(100)}, refunds: 3, sum: 1000},
		{name: "all of it, then more", steps: []step{approved(1000),
			{amount: 1, code: pos.EConflict, msg: "refunded in full already"}}, refunds: 1, sum: 1000},
		{name: "failed: the card is closed", steps: []step{{amount: 400,
			script: stripetest.RefundScript{Status: "failed", FailureReason: "expired_or_canceled_card"},
			status: pos.PaymentFailed, msg: "the card can no longer take refunds"}}},
		{name: "cancelled at Stripe", steps: []step{{amount: 400, script: stripetest.RefundScript{Status: "canceled"},
			status: pos.PaymentFailed, msg: "cancelled at Stripe"}}},
		{name: "failed, then refunded again", steps: []step{{amount: 1000,
			script: stripetest.RefundScript{Status: "failed", FailureReason: "lost_or_stolen_card"},
			status: pos.PaymentFailed, msg: "refund in cash with a manager"}, approved(1000)}, refunds: 1, sum: 1000},
		{name: "waits for an action", steps: []step{{amount: 400,
			script: stripetest.RefundScript{Status: "requires_action"}, status: pos.PaymentPending}}, refunds: 1, sum: 400},
		{name: "card present only (Interac)", card: stripetest.Interac, steps: []step{{amount: 400,
			status: pos.PaymentFailed, msg: inPersonOnly}}},
		{name: "Stripe answers 500", steps: []step{{amount: 400,
			script: stripetest.RefundScript{Fault: stripetest.RefundServerError}, code: pos.EUnavailable,
			msg: "Stripe could not answer"}}},
		// A request that got no answer is repeated (by net/http or
		// stripe-go) with the same idempotency key: one refund either way.
		{name: "answer lost once, the request repeated", steps: []step{{amount: 400,
			script: stripetest.RefundScript{Fault: stripetest.RefundAnswerLost}, status: pos.PaymentApproved}},
			refunds: 1, sum: 400, replays: 1},
		{name: "dropped before Stripe, the request repeated", steps: []step{{amount: 400,
			script: stripetest.RefundScript{Fault: stripetest.RefundNotReached}, status: pos.PaymentApproved}},
			refunds: 1, sum: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRefundRig(t, 0)
			card := tc.card
			if card == stripetest.NoCard {
				card = stripetest.Approved
			}
			pi := r.fake.NewPayment(1000, "eur", card)
			ctx := context.Background()
			for i, s := range tc.steps {
				if s.script != (stripetest.RefundScript{}) {
					r.fake.NextRefund(s.script)
				}
				req := refundRequest(pi, s.amount)
				res, err := r.gw.RefundCard(ctx, req)
				t.Logf("step %d: %s %s, cashier reads %q / %q", i+1, pos.EUR().Format(s.amount), res.Status, res.Message, pos.ErrorMessage(err))
				if res.Status != s.status || pos.ErrorCode(err) != s.code {
					t.Fatalf("step %d: got %q, error %v (%s); want %q, error %q", i+1, res.Status, err, pos.ErrorCode(err), s.status, s.code)
				}
				if got := res.Message + pos.ErrorMessage(err); !strings.Contains(got, s.msg) {
					t.Errorf("step %d: cashier reads %q, want it to contain %q", i+1, got, s.msg)
				}
				if err != nil {
					continue
				}
				if res.Provider != Provider {
					t.Errorf("step %d: provider %q, want %q", i+1, res.Provider, Provider)
				}
				found, ferr := r.gw.FindRefund(ctx, req)
				switch {
				case res.ProviderRef == "": // refused: no refund was made
					if pos.ErrorCode(ferr) != pos.ENotFound {
						t.Errorf("step %d: find: got %+v, %v; want not found", i+1, found, ferr)
					}
				case !strings.HasPrefix(res.ProviderRef, "re_"):
					t.Errorf("step %d: reference %q, want the refund's re_…", i+1, res.ProviderRef)
				case ferr != nil || found != res:
					t.Errorf("step %d: find: got %+v, %v; want %+v", i+1, found, ferr, res)
				}
				if res.ProviderRef != "" {
					checkMetadata(t, r.fake, res.ProviderRef, req)
				}
			}
			if n, sum := r.refunded(pi); n != tc.refunds || sum != tc.sum {
				t.Errorf("refunds made: got %d for %d, want %d for %d", n, sum, tc.refunds, tc.sum)
			}
			if got := r.fake.Counts().Replays; got != tc.replays {
				t.Errorf("idempotent replays: got %d, want %d", got, tc.replays)
			}
			r.checkClean(t)
		})
	}
}

func checkMetadata(tb testing.TB, f *stripetest.Fake, refundID string, req pos.RefundRequest) {
	tb.Helper()
	for _, r := range f.Refunds() {
		if r.ID != refundID {
			continue
		}
		want := map[string]string{"attempt_key": req.AttemptKey, "return_key": req.ReturnKey,
			"sale_key": req.SaleKey, "payment_key": req.PaymentKey}
		for k, v := range want {
			if r.Metadata[k] != v {
				tb.Errorf("refund %s metadata %s: got %q, want %q", refundID, k, r.Metadata[k], v)
			}
		}
		if r.Amount != int64(req.Amount) {
			tb.Errorf("refund %s amount: got %d, want %d", refundID, r.Amount, req.Amount)
		}
		return
	}
	tb.Errorf("no refund %s at Stripe", refundID)
}

// TestRefundUnknownOutcome: the till gets no answer (stripe-go does not
// repeat the request here), so RefundCard reports an unknown outcome;
// FindRefund then tells whether the refund was made, and asking again
// with the same attempt key — at once, or after Stripe has forgotten the
// idempotency key — never refunds twice.
func TestRefundUnknownOutcome(t *testing.T) {
	cases := []struct {
		name  string
		fault stripetest.RefundFault
		made  bool // the refund was made though the till heard nothing
		// replayed: asked again the same day, Stripe replays its first
		// answer (a 500) and nothing is refunded until the key expires.
		replayed bool
	}{
		{name: "answer lost after the refund", fault: stripetest.RefundAnswerLost, made: true},
		{name: "dropped before Stripe", fault: stripetest.RefundNotReached},
		{name: "Stripe answers 500", fault: stripetest.RefundServerError, replayed: true},
	}
	for _, tc := range cases {
		for _, forget := range []bool{false, true} {
			name := tc.name
			if forget {
				name += ", asked again a day later"
			}
			t.Run(name, func(t *testing.T) {
				r := newRefundRig(t, -1)
				pi := r.fake.NewPayment(1000, "eur", stripetest.Approved)
				ctx := context.Background()
				req := refundRequest(pi, 600)
				r.fake.NextRefund(stripetest.RefundScript{Fault: tc.fault})
				res, err := r.gw.RefundCard(ctx, req)
				if code := pos.ErrorCode(err); code != pos.EUnavailable {
					t.Fatalf("refund with no answer: got %+v, %v; want an unknown outcome (unavailable)", res, err)
				}
				found, err := r.gw.FindRefund(ctx, req)
				switch {
				case tc.made && (err != nil || found.Status != pos.PaymentApproved || !strings.HasPrefix(found.ProviderRef, "re_")):
					t.Errorf("find: got %+v, %v; want the refund approved", found, err)
				case !tc.made && pos.ErrorCode(err) != pos.ENotFound:
					t.Errorf("find: got %+v, %v; want not found", found, err)
				}
				if forget {
					r.fake.ForgetIdempotencyKeys()
				}
				if tc.replayed && !forget {
					again, err := r.gw.RefundCard(ctx, req)
					if pos.ErrorCode(err) != pos.EUnavailable {
						t.Errorf("ask again the same day: got %+v, %v; want Stripe's 500 again (unavailable)", again, err)
					}
					if n, _ := r.refunded(pi); n != 0 {
						t.Errorf("refunds made: got %d, want 0", n)
					}
					return
				}
				for i := range 2 {
					again, err := r.gw.RefundCard(ctx, req)
					if err != nil || again.Status != pos.PaymentApproved {
						t.Fatalf("ask again (%d): got %+v, %v; want approved", i+1, again, err)
					}
					if tc.made && again.ProviderRef != found.ProviderRef {
						t.Errorf("ask again (%d): refund %s, want the first one %s", i+1, again.ProviderRef, found.ProviderRef)
					}
				}
				if n, sum := r.refunded(pi); n != 1 || sum != 600 {
					t.Errorf("refunds made: got %d for %d, want 1 for 600", n, sum)
				}
				// The payment has 4.00 left: a second attempt for 6.00 is refused.
				if _, err := r.gw.RefundCard(ctx, refundRequest(pi, 600)); pos.ErrorCode(err) != pos.EConflict ||
					!strings.Contains(pos.ErrorMessage(err), "only €4.00 left") {
					t.Errorf("another 6.00: got %v; want only €4.00 left", err)
				}
				r.checkClean(t)
			})
		}
	}
}

// TestRefundSettledLater: a refund pending at the bank is approved; if the
// bank refuses it later, FindRefund reports it failed.
func TestRefundSettledLater(t *testing.T) {
	r := newRefundRig(t, 0)
	pi := r.fake.NewPayment(1000, "eur", stripetest.Approved)
	req := refundRequest(pi, 250)
	r.fake.NextRefund(stripetest.RefundScript{Status: "pending"})
	res, err := r.gw.RefundCard(context.Background(), req)
	if err != nil || res.Status != pos.PaymentApproved {
		t.Fatalf("pending refund: got %+v, %v; want approved", res, err)
	}
	if err := r.fake.SettleRefund(res.ProviderRef, "failed", "lost_or_stolen_card"); err != nil {
		t.Fatal(err)
	}
	found, err := r.gw.FindRefund(context.Background(), req)
	if err != nil || found.Status != pos.PaymentFailed || found.ProviderRef != res.ProviderRef {
		t.Errorf("find after the bank refused: got %+v, %v; want %s failed", found, err, res.ProviderRef)
	}
}

// TestRefundCardRefusesBadRequests: requests that cannot be right are
// refused without a refund, most before reaching Stripe.
func TestRefundCardRefusesBadRequests(t *testing.T) {
	r := newRefundRig(t, 0)
	pi := r.fake.NewPayment(1000, "eur", stripetest.Approved)
	for _, tc := range []struct {
		name string
		edit func(*pos.RefundRequest)
		code string
		msg  string
	}{
		{"no attempt key", func(q *pos.RefundRequest) { q.AttemptKey = "" }, pos.EInvalid, "no valid attempt key"},
		{"attempt key with a quote", func(q *pos.RefundRequest) { q.AttemptKey = "a'b" }, pos.EInvalid, "no valid attempt key"},
		{"no payment", func(q *pos.RefundRequest) { q.PaymentRef = "" }, pos.EConflict, "no Stripe reference"},
		{"a path for a payment", func(q *pos.RefundRequest) { q.PaymentRef = "pi_1/../x" }, pos.EInvalid, "is not a Stripe payment"},
		{"nothing to refund", func(q *pos.RefundRequest) { q.Amount = 0 }, pos.EInvalid, "positive amount"},
		{"a payment Stripe does not have", func(q *pos.RefundRequest) { q.PaymentRef = "pi_unknown" }, pos.EConflict,
			"Stripe has no card payment pi_unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := refundRequest(pi, 100)
			tc.edit(&req)
			res, err := r.gw.RefundCard(context.Background(), req)
			if pos.ErrorCode(err) != tc.code || !strings.Contains(pos.ErrorMessage(err), tc.msg) {
				t.Errorf("got %+v, %v (%s); want %s containing %q", res, err, pos.ErrorCode(err), tc.code, tc.msg)
			}
		})
	}
	if n, _ := r.refunded(pi); n != 0 {
		t.Errorf("refunds made: got %d, want 0", n)
	}
}

// TestReleaseRefundIsRefundCard: Refund, used when a pending sale is
// released, refunds the whole payment once under the payment's key,
// reports a payment refunded in full as refunded, and keeps the
// PaymentIntent as the reference.
func TestReleaseRefundIsRefundCard(t *testing.T) {
	r := newRefundRig(t, 0)
	pi := r.fake.NewPayment(1000, "eur", stripetest.Approved)
	p := pos.Payment{AttemptKey: pos.NewKey(), SaleKey: pos.NewKey(), Method: pos.MethodCard,
		Status: pos.PaymentApproved, Amount: 1000, ProviderRef: pi}
	for i := range 3 {
		if i == 2 {
			r.fake.ForgetIdempotencyKeys()
		}
		res, err := r.gw.Refund(context.Background(), p)
		if err != nil || res.Status != pos.PaymentRefunded || res.ProviderRef != pi {
			t.Errorf("refund (%d): got %+v, %v; want refunded, reference %s", i+1, res, err, pi)
		}
	}
	if n, sum := r.refunded(pi); n != 1 || sum != 1000 {
		t.Errorf("refunds made: got %d for %d, want 1 for 1000", n, sum)
	}
	refunds := r.fake.Refunds()
	if len(refunds) != 1 || refunds[0].Metadata["attempt_key"] != p.AttemptKey || refunds[0].Metadata["sale_key"] != p.SaleKey {
		t.Errorf("refund metadata: got %+v, want the payment's attempt and sale keys", refunds)
	}
	// Refunded in full elsewhere (the Dashboard): nothing to do, refunded.
	other := pos.Payment{AttemptKey: pos.NewKey(), SaleKey: p.SaleKey, Method: pos.MethodCard,
		Status: pos.PaymentApproved, Amount: 1000, ProviderRef: pi}
	if res, err := r.gw.Refund(context.Background(), other); err != nil || res.Status != pos.PaymentRefunded {
		t.Errorf("refund of a payment refunded elsewhere: got %+v, %v; want refunded", res, err)
	}
	// An Interac payment cannot be released this way: the cashier is told.
	interac := pos.Payment{AttemptKey: pos.NewKey(), SaleKey: pos.NewKey(), Method: pos.MethodCard,
		Status: pos.PaymentApproved, Amount: 500, ProviderRef: r.fake.NewPayment(500, "eur", stripetest.Interac)}
	if res, err := r.gw.Refund(context.Background(), interac); err != nil || res.Status != pos.PaymentFailed || res.Message != inPersonOnly {
		t.Errorf("refund of an Interac payment: got %+v, %v; want failed: %s", res, err, inPersonOnly)
	}
}

// TestRefundCardAfterASale: a sale paid on the reader through Checkout, on
// a real database, is given back in two parts against the payment the
// store recorded, in each capture mode; a third part is refused, as the
// payment has nothing left; no card number anywhere.
func TestRefundCardAfterASale(t *testing.T) {
	for _, capture := range []CaptureMode{CaptureAutomatic, CaptureManual} {
		t.Run(string(capture), func(t *testing.T) {
			ctx := context.Background()
			r := newRig(t)
			g := r.gateway(t, r.config(capture))
			co := r.checkout(g, 0)
			sale := r.reserve(t, co)
			r.fake.Next(stripetest.Script{Card: stripetest.Approved})
			p, err := co.PayCard(ctx, sale, sale.Totals.Total)
			if err != nil || p.Status != pos.PaymentApproved {
				t.Fatalf("pay: got %s, %v; want approved", p.Status, err)
			}
			r.finish(t, co, sale, p)
			stored, err := r.db.Sale(ctx, sale.Key)
			if err != nil || stored.Status != pos.SaleCompleted || len(stored.Payments) != 1 {
				t.Fatalf("sale: got %+v, %v; want completed with one payment", stored, err)
			}
			paid := stored.Payments[0]
			parts := []pos.Money{paid.Amount / 2, paid.Amount - paid.Amount/2, 1}
			for i, amount := range parts {
				req := pos.RefundRequest{AttemptKey: pos.NewKey(), ReturnKey: pos.NewKey(), SaleKey: sale.Key,
					PaymentKey: paid.AttemptKey, PaymentRef: paid.ProviderRef, Amount: amount, Currency: pos.EUR()}
				res, err := g.RefundCard(ctx, req)
				if i == len(parts)-1 {
					if pos.ErrorCode(err) != pos.EConflict || !strings.Contains(pos.ErrorMessage(err), "refunded in full already") {
						t.Errorf("part %d: got %+v, %v; want refused: refunded in full already", i+1, res, err)
					}
					continue
				}
				if err != nil || res.Status != pos.PaymentApproved {
					t.Fatalf("part %d: got %+v, %v; want approved", i+1, res, err)
				}
				if found, err := g.FindRefund(ctx, req); err != nil || found != res {
					t.Errorf("part %d: find: got %+v, %v; want %+v", i+1, found, err, res)
				}
				checkMetadata(t, r.fake, res.ProviderRef, req)
			}
			if n, sum := refundedAt(r.fake, paid.ProviderRef); n != 2 || sum != int64(paid.Amount) {
				t.Errorf("refunds made: got %d for %d, want 2 for %d", n, sum, paid.Amount)
			}
			r.checkNoCardNumbers(t)
		})
	}
}

// TestReturnThroughStripeWithATillStopped returns a card sale through the
// return protocol on a real database and the fake Stripe; the answer to
// the refund never reaches the till, which stops there. Its next start
// (Recover) finds at Stripe what happened by the refund's key: the return
// completes with exactly one refund, or fails with none; never two.
func TestReturnThroughStripeWithATillStopped(t *testing.T) {
	cases := []struct {
		name   string
		fault  stripetest.RefundFault
		status pos.ReturnStatus
		made   int
	}{
		{"refund made, answer lost", stripetest.RefundAnswerLost, pos.ReturnCompleted, 1},
		{"request never reached Stripe", stripetest.RefundNotReached, pos.ReturnFailed, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			r := newRig(t)
			// No retries and no reused connections: the lost answer stays
			// lost (net/http would repeat an idempotent request by itself).
			cfg := r.config(CaptureAutomatic)
			cfg.MaxNetworkRetries = -1
			cfg.HTTPClient = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			g := r.gateway(t, cfg)
			co := r.checkout(g, 0)
			sale := r.reserve(t, co)
			r.fake.Next(stripetest.Script{Card: stripetest.Approved})
			p, err := co.PayCard(ctx, sale, sale.Totals.Total)
			if err != nil {
				t.Fatal(err)
			}
			r.finish(t, co, sale, p)
			rs := &pos.Returns{Store: r.db, Gateway: g, Settings: co.Settings}
			ret, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sale.Key, r.cashier,
				[]pos.ReturnLine{{SaleLine: 2, Quantity: 1, Reason: pos.ReasonChangedMind, Restock: true}}))
			if err != nil {
				t.Fatal(err)
			}
			r.fake.NextRefund(stripetest.RefundScript{Fault: tc.fault})
			if _, err := rs.RefundCards(ctx, ret); pos.ErrorCode(err) != pos.EUnavailable {
				t.Fatalf("refund: got %v, want no answer (unavailable)", err)
			}
			// The till stops here; the next start recovers with a new gateway.
			restarted := &pos.Returns{Store: r.db, Gateway: r.gateway(t, r.config(CaptureAutomatic)), Settings: co.Settings}
			if _, err := restarted.Recover(ctx, 0); err != nil {
				t.Fatal(err)
			}
			got, err := r.db.Return(ctx, ret.Key)
			if err != nil {
				t.Fatal(err)
			}
			n, sum := refundedAt(r.fake, p.ProviderRef)
			if got.Status != tc.status || n != tc.made || (tc.made == 1 && sum != int64(ret.Total)) {
				t.Errorf("after recovery: %s with %d refunds for %d at Stripe; want %s with %d for %d",
					got.Status, n, sum, tc.status, tc.made, ret.Total)
			}
			if bad, err := store.CheckInvariants(ctx, r.admin, r.initial); err != nil || len(bad) > 0 {
				t.Errorf("invariants: %v %v", bad, err)
			}
			r.checkNoCardNumbers(t)
		})
	}
}
