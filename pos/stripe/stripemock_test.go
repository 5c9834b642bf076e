package stripe

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/stripe/stripetest"
)

// TestStripeMockAcceptsEveryRequest sends each request the gateway makes to
// stripe-mock, which checks it against Stripe's API description: a wrong
// parameter name, type or path fails here. stripe-mock keeps no state, so
// the answers are fixtures and only acceptance is checked.
func TestStripeMockAcceptsEveryRequest(t *testing.T) {
	base := stripetest.StartMock(t)
	for _, capture := range []CaptureMode{CaptureAutomatic, CaptureManual} {
		t.Run(string(capture), func(t *testing.T) {
			g, err := New(Config{SecretKey: stripetest.MockKey, ReaderID: stripetest.MockReader,
				APIBase: base, Capture: capture, MaxNetworkRetries: -1,
				Wait: 300 * time.Millisecond, PollInterval: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			req := pos.ChargeRequest{AttemptKey: pos.NewKey(), SaleKey: pos.NewKey(), StoreID: "store-1",
				TillID: "till-1", Amount: 1234, Currency: pos.EUR()}
			pi, err := g.createIntent(ctx, req)
			if err != nil {
				t.Fatalf("create payment intent: %v", err)
			}
			payment := pos.Payment{AttemptKey: req.AttemptKey, SaleKey: req.SaleKey, Method: pos.MethodCard,
				Amount: req.Amount, ProviderRef: pi.ID, CreatedAt: time.Now()}
			refund := pos.RefundRequest{AttemptKey: pos.NewKey(), ReturnKey: pos.NewKey(), SaleKey: req.SaleKey,
				PaymentKey: req.AttemptKey, PaymentRef: pi.ID, Amount: 500, Currency: pos.EUR()}
			requests := []struct {
				name string
				send func() error
			}{
				{"process payment intent", func() error { return g.process(ctx, req.AttemptKey, pi.ID) }},
				{"retrieve reader", func() error { _, err := g.getReader(ctx); return err }},
				{"cancel reader action", func() error { return g.cancelAction(ctx) }},
				{"retrieve payment intent", func() error { _, err := g.getIntent(ctx, pi.ID); return err }},
				{"cancel payment intent", func() error { _, err := g.cancelIntent(ctx, req.AttemptKey, pi.ID); return err }},
				{"capture payment intent", func() error { _, err := g.capture(ctx, req.AttemptKey, pi.ID); return err }},
				{"search and list payment intents", func() error { _, err := g.findByAttempt(ctx, payment); return err }},
				{"refund", func() error {
					res, err := g.Refund(ctx, payment)
					if err == nil && res.Status != pos.PaymentRefunded {
						t.Errorf("refund: got status %s, want refunded", res.Status)
					}
					return err
				}},
				{"refund part of a payment", func() error {
					res, err := g.RefundCard(ctx, refund)
					if err == nil && (res.Status != pos.PaymentApproved || !strings.HasPrefix(res.ProviderRef, "re_")) {
						t.Errorf("refund card: got %+v, want approved with a re_… reference", res)
					}
					return err
				}},
				{"find a refund", func() error {
					// stripe-mock's refunds carry no attempt key: none is ours.
					if _, err := g.FindRefund(ctx, refund); pos.ErrorCode(err) != pos.ENotFound {
						return err
					}
					return nil
				}},
				{"present approving test card", func() error { return g.PresentPaymentMethod(ctx, false) }},
				{"present declining test card", func() error { return g.PresentPaymentMethod(ctx, true) }},
				{"lookup by payment intent id", func() error { _, err := g.Lookup(ctx, payment); return err }},
				{"whole charge", func() error {
					// The fixtures never reach a decision, so the charge runs
					// out of time and cancels: every request on that path is sent.
					_, err := g.Charge(ctx, req)
					return err
				}},
			}
			for _, r := range requests {
				if err := r.send(); err != nil {
					t.Errorf("%s: stripe-mock refused it: %v", r.name, err)
				}
			}
		})
	}
}
