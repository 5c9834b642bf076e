package stripe

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/stripe/stripetest"
)

// TestCardPayment runs pos.Checkout.PayCard against the scripted Stripe
// for each way a card payment can end, then completes or releases the sale
// as the cashier screen does.
func TestCardPayment(t *testing.T) {
	cases := []struct {
		name    string
		capture CaptureMode
		script  stripetest.Script
		config  func(*Config)
		before  func(f *stripetest.Fake)
		// during runs once the reader has the payment; cancel is the
		// cashier's Esc.
		during    func(tb testing.TB, f *stripetest.Fake, cancel context.CancelFunc)
		status    pos.PaymentStatus
		code      string // of PayCard's error
		message   string // part of what the cashier reads
		want      outcome
		card      bool // brand, last 4 and authorisation code recorded
		processes int
	}{
		{name: "approved", script: stripetest.Script{Card: stripetest.Approved, CardAfterPolls: 2},
			status: pos.PaymentApproved, want: outcome{sale: pos.SaleCompleted, charges: 1}, card: true, processes: 1},
		{name: "approved with manual capture", capture: CaptureManual,
			script: stripetest.Script{Card: stripetest.Approved, CardAfterPolls: 1},
			status: pos.PaymentApproved, want: outcome{sale: pos.SaleCompleted, charges: 1, captures: 1}, card: true, processes: 1},
		{name: "declined", script: stripetest.Script{Card: stripetest.Declined, CardAfterPolls: 1},
			status: pos.PaymentDeclined, code: pos.EDeclined, message: "card declined: insufficient funds",
			want: outcome{sale: pos.SaleFailed}, processes: 1},
		{name: "reader busy", script: stripetest.Script{Reader: stripetest.ReaderBusy},
			status: pos.PaymentFailed, code: pos.EUnavailable, message: "the card reader is busy",
			want: outcome{sale: pos.SaleFailed}},
		{name: "reader offline", script: stripetest.Script{Reader: stripetest.ReaderOffline},
			status: pos.PaymentFailed, code: pos.EUnavailable, message: "the card reader is offline",
			want: outcome{sale: pos.SaleFailed}},
		{name: "reader timeout", script: stripetest.Script{Reader: stripetest.ReaderTimeout},
			status: pos.PaymentFailed, code: pos.EUnavailable, message: "the card reader did not answer",
			want: outcome{sale: pos.SaleFailed}},
		{name: "cashier cancels while the reader waits", script: stripetest.Script{},
			during: func(tb testing.TB, f *stripetest.Fake, cancel context.CancelFunc) {
				time.Sleep(100 * time.Millisecond) // a few polls
				cancel()
			},
			status: pos.PaymentCancelled, code: pos.EConflict, message: "card payment cancelled",
			want: outcome{sale: pos.SaleFailed}, processes: 1},
		{name: "cashier cancels as the card is tapped", script: stripetest.Script{},
			during: func(tb testing.TB, f *stripetest.Fake, cancel context.CancelFunc) {
				if err := f.Present(stripetest.Approved); err != nil {
					tb.Error(err)
				}
				cancel()
			},
			status: pos.PaymentApproved, want: outcome{sale: pos.SaleCompleted, charges: 1}, card: true, processes: 1},
		{name: "cashier cancels an authorised manual-capture payment", capture: CaptureManual, script: stripetest.Script{},
			during: func(tb testing.TB, f *stripetest.Fake, cancel context.CancelFunc) {
				if err := f.Present(stripetest.Approved); err != nil {
					tb.Error(err)
				}
				cancel()
			},
			// Either the till saw the authorisation first and captured,
			// or the cancel voided it: one charge or none, never a hold
			// left behind. Both end states are checked below.
			status: "", want: outcome{sale: ""}, processes: 1},
		{name: "the create's answer is lost once", script: stripetest.Script{Card: stripetest.Approved},
			before: func(f *stripetest.Fake) { f.DropAnswers(http.MethodPost, "/v1/payment_intents", 1) },
			status: pos.PaymentApproved, want: outcome{sale: pos.SaleCompleted, charges: 1}, card: true, processes: 1},
		{name: "the process answer is lost once", script: stripetest.Script{Card: stripetest.Approved},
			before: func(f *stripetest.Fake) {
				f.DropAnswers(http.MethodPost, "/v1/terminal/readers/{id}/process_payment_intent", 1)
			},
			status: pos.PaymentApproved, want: outcome{sale: pos.SaleCompleted, charges: 1}, card: true, processes: 1},
		{name: "the create's answer never reaches the till", script: stripetest.Script{Card: stripetest.Approved},
			config: func(c *Config) { c.MaxNetworkRetries = -1 },
			before: func(f *stripetest.Fake) { f.DropAnswers(http.MethodPost, "/v1/payment_intents", 1) },
			status: pos.PaymentFailed, code: pos.EUnavailable, message: "could not reach Stripe; nothing was charged",
			want: outcome{sale: pos.SaleFailed}},
		{name: "no card within the wait", script: stripetest.Script{},
			config: func(c *Config) { c.Wait = 300 * time.Millisecond },
			status: pos.PaymentFailed, code: pos.EUnavailable, message: "no card was presented",
			want: outcome{sale: pos.SaleFailed}, processes: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			cfg := r.config(tc.capture)
			if tc.config != nil {
				tc.config(&cfg)
			}
			co := r.checkout(r.gateway(t, cfg), 0)
			sale := r.reserve(t, co)
			r.fake.Next(tc.script)
			if tc.before != nil {
				tc.before(r.fake)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var wg sync.WaitGroup
			if tc.during != nil {
				wg.Go(func() {
					waitFor(t, "the reader to start", func() bool { return r.fake.Counts().Processes == 1 })
					tc.during(t, r.fake, cancel)
				})
			}
			p, err := co.PayCard(ctx, sale, sale.Totals.Total)
			wg.Wait()
			want := tc.want
			if tc.status == "" { // either outcome is right; check it is whole
				tc.status = p.Status
				want, tc.code, tc.message = outcome{sale: pos.SaleFailed}, pos.EConflict, "card payment cancelled"
				if p.Status == pos.PaymentApproved {
					tc.code, tc.message = "", ""
					want = outcome{sale: pos.SaleCompleted, charges: 1, captures: 1}
				} else if p.Status != pos.PaymentCancelled {
					t.Errorf("status: got %s, want approved or cancelled", p.Status)
				}
			}
			if p.Status != tc.status {
				t.Errorf("payment: got %s (%v), want %s", p.Status, err, tc.status)
			}
			if got := pos.ErrorCode(err); got != tc.code {
				t.Errorf("error code: got %q (%v), want %q", got, err, tc.code)
			}
			if msg := pos.ErrorMessage(err); !strings.Contains(msg, tc.message) {
				t.Errorf("cashier reads %q, want it to contain %q", msg, tc.message)
			}
			if tc.card && (p.CardBrand != "visa" || p.CardLast4 != "4242" || p.AuthCode != "A1B2C3" || !strings.HasPrefix(p.ProviderRef, "pi_")) {
				t.Errorf("card details: got %q %q %q %q, want visa 4242 A1B2C3 pi_…", p.CardBrand, p.CardLast4, p.AuthCode, p.ProviderRef)
			}
			if got := r.fake.Counts().Processes; got != tc.processes {
				t.Errorf("payments started on the reader: got %d, want %d", got, tc.processes)
			}
			t.Logf("cashier reads: %q; %d requests to Stripe", pos.ErrorMessage(err), len(r.fake.Requests()))
			r.finish(t, co, sale, p)
			r.check(t, sale.Key, 1, want)
		})
	}
}

// TestAnswerLostAfterCharge: the customer paid, then the network went, so
// Charge cannot tell (an error, the attempt unknown); once Stripe answers
// again ResolvePayment finds the PaymentIntent by the attempt key and the
// sale completes. Once by search, once by the list fallback used while
// search has not indexed the PaymentIntent yet.
func TestAnswerLostAfterCharge(t *testing.T) {
	for _, searchMisses := range []bool{false, true} {
		name := "found by search"
		if searchMisses {
			name = "found by listing"
		}
		t.Run(name, func(t *testing.T) {
			r := newRig(t)
			cfg := r.config(CaptureAutomatic)
			cfg.Wait, cfg.MaxNetworkRetries = 500*time.Millisecond, -1
			co := r.checkout(r.gateway(t, cfg), 0)
			sale := r.reserve(t, co)
			r.fake.Next(stripetest.Script{Card: stripetest.Approved, CardAfterPolls: 1, DownAfterCard: true})
			if searchMisses {
				r.fake.SearchMisses()
			}
			p, err := co.PayCard(context.Background(), sale, sale.Totals.Total)
			if p.Status != pos.PaymentUnknown || pos.ErrorCode(err) != pos.EUnavailable {
				t.Fatalf("PayCard with the network gone: got %s, %v; want unknown, unavailable", p.Status, err)
			}
			t.Logf("cashier reads: %q", pos.ErrorMessage(err))
			if _, err := co.ResolvePayment(context.Background(), p); pos.ErrorCode(err) != pos.EUnavailable {
				t.Errorf("resolve while Stripe is unreachable: got %v, want unavailable", err)
			}
			r.fake.Up()
			p, err = co.ResolvePayment(context.Background(), p)
			if err != nil || p.Status != pos.PaymentApproved || p.CardLast4 != "4242" {
				t.Fatalf("resolve: got %s %q, %v; want approved with the card", p.Status, p.CardLast4, err)
			}
			r.finish(t, co, sale, p)
			r.check(t, sale.Key, 1, outcome{sale: pos.SaleCompleted, charges: 1})
		})
	}
}

// TestTillKilled: the till dies after the attempt row is committed and
// before Stripe's answer reaches it (its HTTP transport stops for good and
// its Checkout is never used again). A fresh till's Recover resolves the
// sale from Stripe: completed if the customer paid, released otherwise,
// with the PaymentIntent cancelled so the abandoned reader cannot charge.
func TestTillKilled(t *testing.T) {
	cases := []struct {
		name string
		// killAt: "before create" kills before the first request,
		// "on the reader" once the reader shows the payment.
		killAt  string
		capture CaptureMode
		// afterKill is what the customer does at the reader meanwhile.
		afterKill stripetest.Card
		want      outcome
		// unresolvedFirst: a restart soon after is told to wait, since
		// Stripe may not know of the attempt yet.
		unresolvedFirst bool
	}{
		{name: "customer pays after the till died", killAt: "on the reader", afterKill: stripetest.Approved,
			want: outcome{sale: pos.SaleCompleted, charges: 1}},
		{name: "customer's card authorised after the till died (manual capture)", killAt: "on the reader",
			capture: CaptureManual, afterKill: stripetest.Approved,
			want: outcome{sale: pos.SaleCompleted, charges: 1, captures: 1}},
		{name: "customer walks away", killAt: "on the reader", afterKill: stripetest.NoCard,
			want: outcome{sale: pos.SaleFailed}},
		{name: "customer's card declined", killAt: "on the reader", afterKill: stripetest.Declined,
			want: outcome{sale: pos.SaleFailed}},
		{name: "died before reaching Stripe", killAt: "before create",
			want: outcome{sale: pos.SaleFailed}, unresolvedFirst: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			kill := &killSwitch{base: http.DefaultTransport, release: make(chan struct{})}
			cfg := r.config(tc.capture)
			cfg.HTTPClient, cfg.MaxNetworkRetries = &http.Client{Transport: kill}, -1
			dying := r.checkout(r.gateway(t, cfg), 0)
			sale := r.reserve(t, dying)
			if tc.killAt == "before create" {
				kill.kill()
			}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() { _, _ = dying.PayCard(ctx, sale, sale.Totals.Total) })
			// However the test ends, the dead till's goroutine is stopped
			// before the database is dropped; it can no longer reach Stripe.
			defer func() { cancel(); close(kill.release); wg.Wait() }()
			if tc.killAt == "on the reader" {
				waitFor(t, "the reader to start", func() bool { return r.fake.Counts().Processes == 1 })
				kill.kill()
				if err := r.fake.Present(tc.afterKill); err != nil {
					t.Fatal(err)
				}
			} else {
				waitFor(t, "the attempt row", func() bool {
					s, err := r.db.Sale(context.Background(), sale.Key)
					return err == nil && len(s.Payments) == 1
				})
			}
			stored, err := r.db.Sale(context.Background(), sale.Key)
			if err != nil || len(stored.Payments) != 1 || stored.Payments[0].Status != pos.PaymentPending {
				t.Fatalf("before recovery: want one pending attempt, got %+v, %v", stored.Payments, err)
			}

			restart := func(after time.Duration) pos.RecoveryReport {
				cfg := r.config(CaptureAutomatic)
				cfg.Now = func() time.Time { return time.Now().Add(after) }
				fresh := r.checkout(r.gateway(t, cfg), after)
				rep, err := fresh.Recover(context.Background(), 0)
				t.Logf("restart after %s: %+v, %v", after, rep, err)
				return rep
			}
			if tc.unresolvedFirst {
				if rep := restart(time.Minute); len(rep.Unresolved) != 1 {
					t.Errorf("restart a minute later: got %+v, want the sale unresolved", rep)
				}
			}
			rep := restart(10 * time.Minute)
			want := rep.Released
			if tc.want.sale == pos.SaleCompleted {
				want = rep.Completed
			}
			if len(want) != 1 || want[0] != sale.Key || len(rep.Unresolved) != 0 {
				t.Errorf("recover: got %+v, want the sale %s", rep, tc.want.sale)
			}
			r.check(t, sale.Key, 1, tc.want)
		})
	}
}

// killSwitch is a till's network that dies: once killed, every request
// hangs until the test releases it, then fails, and none reaches Stripe.
type killSwitch struct {
	base    http.RoundTripper
	mu      sync.Mutex
	dead    bool
	release chan struct{}
}

func (k *killSwitch) kill() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.dead = true
}

func (k *killSwitch) RoundTrip(req *http.Request) (*http.Response, error) {
	k.mu.Lock()
	dead := k.dead
	k.mu.Unlock()
	if !dead {
		return k.base.RoundTrip(req)
	}
	select {
	case <-k.release:
	case <-req.Context().Done():
	}
	return nil, errors.New("the till is dead")
}

// TestRefund: Release refunds an approved payment once, however often it
// is asked.
func TestRefund(t *testing.T) {
	r := newRig(t)
	co := r.checkout(r.gateway(t, r.config(CaptureAutomatic)), 0)
	sale := r.reserve(t, co)
	r.fake.Next(stripetest.Script{Card: stripetest.Approved})
	p, err := co.PayCard(context.Background(), sale, sale.Totals.Total)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := co.Release(context.Background(), sale.Key, pos.SaleVoided); err != nil {
		t.Fatalf("void: %v", err)
	}
	g := co.Gateway
	for i := range 2 {
		res, err := g.Refund(context.Background(), p)
		if err != nil || res.Status != pos.PaymentRefunded {
			t.Errorf("refund again (%d): got %s, %v; want refunded", i, res.Status, err)
		}
	}
	if c := r.fake.Counts(); c.Refunds != 1 || c.Charges != 1 {
		t.Errorf("refunds/charges: got %d/%d, want 1/1", c.Refunds, c.Charges)
	}
	stored, err := r.db.Sale(context.Background(), sale.Key)
	if err != nil || stored.Status != pos.SaleVoided || stored.Payments[0].Status != pos.PaymentRefunded {
		t.Errorf("after void: got %+v, %v; want voided with the payment refunded", stored, err)
	}
	r.checkNoCardNumbers(t)
}

// TestPresentPaymentMethod: in test mode the payment screen's key presents
// an approving or a declining test card to the payment in progress.
func TestPresentPaymentMethod(t *testing.T) {
	for _, decline := range []bool{false, true} {
		want := pos.PaymentApproved
		if decline {
			want = pos.PaymentDeclined
		}
		t.Run(string(want), func(t *testing.T) {
			r := newRig(t)
			g := r.gateway(t, r.config(CaptureAutomatic))
			if !g.TestMode() {
				t.Fatal("a sk_test_ key: got live mode, want test mode")
			}
			if err := g.PresentPaymentMethod(context.Background(), decline); pos.ErrorCode(err) != pos.EConflict {
				t.Errorf("present with no payment waiting: got %v, want conflict", err)
			}
			co := r.checkout(g, 0)
			sale := r.reserve(t, co)
			var wg sync.WaitGroup
			wg.Go(func() {
				waitFor(t, "the reader to start", func() bool { return r.fake.Counts().Processes == 1 })
				if err := g.PresentPaymentMethod(context.Background(), decline); err != nil {
					t.Error(err)
				}
			})
			p, _ := co.PayCard(context.Background(), sale, sale.Totals.Total)
			wg.Wait()
			if p.Status != want {
				t.Errorf("payment: got %s, want %s", p.Status, want)
			}
			r.finish(t, co, sale, p)
			charges, sale1 := 0, pos.SaleFailed
			if !decline {
				charges, sale1 = 1, pos.SaleCompleted
			}
			r.check(t, sale.Key, 1, outcome{sale: sale1, charges: charges})
		})
	}
	live, err := New(Config{SecretKey: "rk_live_x", ReaderID: "tmr_x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := live.PresentPaymentMethod(context.Background(), false); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("present with a live key: got %v, want conflict", err)
	}
}

// TestLookupYoungAttemptNotFound: an attempt Stripe has no record of is
// reported pending while it is young (the create may still be indexed),
// and failed, nothing charged, once older than NotFoundAfter.
func TestLookupYoungAttemptNotFound(t *testing.T) {
	r := newRig(t)
	now := time.Now()
	cfg := r.config(CaptureAutomatic)
	cfg.Now = func() time.Time { return now }
	g := r.gateway(t, cfg)
	for _, tc := range []struct {
		age  time.Duration
		want pos.PaymentStatus
	}{{30 * time.Second, pos.PaymentPending}, {DefaultNotFoundAfter + time.Second, pos.PaymentFailed}} {
		p := pos.Payment{AttemptKey: pos.NewKey(), SaleKey: pos.NewKey(), Method: pos.MethodCard,
			Amount: 100, Status: pos.PaymentUnknown, CreatedAt: now.Add(-tc.age)}
		res, err := g.Lookup(context.Background(), p)
		if err != nil || res.Status != tc.want {
			t.Errorf("lookup at age %s: got %s, %v; want %s", tc.age, res.Status, err, tc.want)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no key", Config{ReaderID: "tmr_1"}},
		{"publishable key", Config{SecretKey: "pk_test_1", ReaderID: "tmr_1"}},
		{"no reader", Config{SecretKey: "sk_test_1"}},
		{"reader with a path", Config{SecretKey: "sk_test_1", ReaderID: "tmr_1/../x"}},
		{"capture mode", Config{SecretKey: "sk_test_1", ReaderID: "tmr_1", Capture: "later"}},
		{"API base", Config{SecretKey: "sk_test_1", ReaderID: "tmr_1", APIBase: "localhost:12111"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil {
				t.Errorf("got no error, want one")
			} else if strings.Contains(err.Error(), "pk_test_1") {
				t.Errorf("the error shows the key: %v", err)
			}
		})
	}
}
