// Package stripe takes card payments on a Stripe Terminal reader with the
// server-driven integration: the till creates a PaymentIntent, hands it to
// its reader, follows the reader and the PaymentIntent until the customer's
// card is approved or declined or the cashier gives up, and captures when
// manual capture is configured.
//
// Two rules keep a payment from being taken twice or lost:
//
//   - Every write carries an idempotency key derived from the attempt key
//     that pos.Checkout commits before the gateway is called, so stripe-go's
//     own retries of a request whose answer was lost never create a second
//     PaymentIntent or a second capture.
//   - Giving up is decided by Stripe, not by the till: to abandon an attempt
//     the gateway cancels its PaymentIntent, which Stripe refuses once the
//     card has been charged. A cancelled PaymentIntent can never take money;
//     a refused cancel means the payment went through and is reported so.
//     Only when Stripe cannot be reached at all is the outcome unknown, and
//     then Charge returns an error and Lookup settles it later, finding the
//     PaymentIntent by the attempt key kept in its metadata.
//
// Nothing but the PaymentIntent and refund ids, the card brand, the last 4
// digits, the authorisation code and a status leaves this package.
package stripe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	stripeapi "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/paymentintent"
	"github.com/stripe/stripe-go/v76/refund"
	"github.com/stripe/stripe-go/v76/terminal/reader"
	testreader "github.com/stripe/stripe-go/v76/testhelpers/terminal/reader"

	"github.com/till-pos/till/pos"
)

// Provider is the name recorded with every payment this gateway takes.
const Provider = "stripe"

// CaptureMode says whether an approved card is charged at once (automatic)
// or only authorised, and then captured by the gateway (manual).
type CaptureMode string

const (
	CaptureAutomatic CaptureMode = "automatic"
	CaptureManual    CaptureMode = "manual"
)

// Defaults for the zero values of Config.
const (
	DefaultWait              = 2 * time.Minute
	DefaultPollInterval      = time.Second
	DefaultRequestTimeout    = 30 * time.Second
	DefaultMaxNetworkRetries = 2
	DefaultNotFoundAfter     = 2 * time.Minute
)

// abortTimeout bounds the requests that cancel an attempt, which must be
// made even when the cashier has just cancelled the call that started it.
const abortTimeout = 20 * time.Second

// Config is how the gateway reaches Stripe and its reader. cmd/till reads
// it from the environment; tests point APIBase at their own server.
type Config struct {
	// SecretKey is a secret (sk_…) or restricted (rk_…) API key.
	SecretKey string
	// ReaderID is the Terminal reader (tmr_…) this till uses.
	ReaderID string
	// APIBase replaces https://api.stripe.com (stripe-mock, tests).
	APIBase string
	// Capture is CaptureAutomatic (the default) or CaptureManual.
	Capture CaptureMode
	// Wait is how long the customer has to present a card before the
	// attempt is cancelled (DefaultWait).
	Wait time.Duration
	// PollInterval is how often the reader and the PaymentIntent are read
	// while the customer pays (DefaultPollInterval).
	PollInterval time.Duration
	// RequestTimeout bounds one HTTP request (DefaultRequestTimeout).
	RequestTimeout time.Duration
	// MaxNetworkRetries is how often stripe-go repeats a request that got
	// no answer, with the same idempotency key: 0 is
	// DefaultMaxNetworkRetries, a negative number none.
	MaxNetworkRetries int64
	// NotFoundAfter is how old an attempt must be before Lookup concludes,
	// when Stripe has no PaymentIntent for it, that it never reached Stripe
	// (DefaultNotFoundAfter). Younger ones are reported still pending.
	NotFoundAfter time.Duration
	// Logger receives the gateway's and stripe-go's log lines; nil
	// discards them (the till's terminal is never written to).
	Logger *slog.Logger
	// HTTPClient replaces the client built from RequestTimeout.
	HTTPClient *http.Client
	// Now is the clock Lookup measures an attempt's age with (time.Now).
	Now func() time.Time
}

// Gateway takes card payments on one Stripe Terminal reader. It holds no
// state between calls: everything it knows of a payment is at Stripe.
type Gateway struct {
	cfg         Config
	log         *slog.Logger
	intents     paymentintent.Client
	readers     reader.Client
	testReaders testreader.Client
	refunds     refund.Client
}

var _ pos.PaymentGateway = (*Gateway)(nil)

// New checks cfg and builds a gateway with its own stripe-go backend: no
// package-level state of stripe-go is read or changed.
func New(cfg Config) (*Gateway, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	retries := cfg.MaxNetworkRetries
	if retries < 0 {
		retries = 0
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: cfg.RequestTimeout}
	}
	backendCfg := &stripeapi.BackendConfig{
		HTTPClient:        httpClient,
		MaxNetworkRetries: stripeapi.Int64(retries),
		EnableTelemetry:   stripeapi.Bool(false),
		LeveledLogger:     leveledLogger{log},
	}
	if cfg.APIBase != "" {
		backendCfg.URL = stripeapi.String(cfg.APIBase)
	}
	backend := stripeapi.GetBackendWithConfig(stripeapi.APIBackend, backendCfg)
	return &Gateway{
		cfg:         cfg,
		log:         log.With("provider", Provider, "reader", cfg.ReaderID),
		intents:     paymentintent.Client{B: backend, Key: cfg.SecretKey},
		readers:     reader.Client{B: backend, Key: cfg.SecretKey},
		testReaders: testreader.Client{B: backend, Key: cfg.SecretKey},
		refunds:     refund.Client{B: backend, Key: cfg.SecretKey},
	}, nil
}

func (c Config) validate() error {
	switch {
	case c.SecretKey == "":
		return errors.New("stripe: no secret key")
	case !strings.HasPrefix(c.SecretKey, "sk_") && !strings.HasPrefix(c.SecretKey, "rk_"):
		// Never echo the key: it may be a live secret typed in the wrong place.
		return errors.New("stripe: the key must be a secret (sk_…) or restricted (rk_…) key")
	case c.ReaderID == "":
		return errors.New("stripe: no Terminal reader id")
	case strings.ContainsAny(c.ReaderID, "/?#% "):
		return fmt.Errorf("stripe: reader id %q is not a Stripe id", c.ReaderID)
	}
	switch c.Capture {
	case "", CaptureAutomatic, CaptureManual:
	default:
		return fmt.Errorf("stripe: capture mode %q: use automatic or manual", c.Capture)
	}
	if c.APIBase != "" {
		u, err := url.Parse(c.APIBase)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("stripe: API base %q is not an http(s) URL", c.APIBase)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Capture == "" {
		c.Capture = CaptureAutomatic
	}
	if c.Wait <= 0 {
		c.Wait = DefaultWait
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.MaxNetworkRetries == 0 {
		c.MaxNetworkRetries = DefaultMaxNetworkRetries
	}
	if c.NotFoundAfter <= 0 {
		c.NotFoundAfter = DefaultNotFoundAfter
	}
	return c
}

// TestMode reports whether the key is a test-mode key, with which the
// simulated reader can be asked to present a test card.
func (g *Gateway) TestMode() bool {
	return strings.HasPrefix(g.cfg.SecretKey, "sk_test_") || strings.HasPrefix(g.cfg.SecretKey, "rk_test_")
}

// MaxChargeTime is the longest a Charge can wait for the customer, with a
// margin for the requests around it. Lookup cancels what it finds
// unfinished, so recovery must only look at attempts older than this.
func (g *Gateway) MaxChargeTime() time.Duration {
	return g.cfg.Wait + abortTimeout + 2*g.cfg.RequestTimeout
}

func (g *Gateway) now() time.Time {
	if g.cfg.Now != nil {
		return g.cfg.Now()
	}
	return time.Now()
}

// Idempotency keys: one per kind of write and attempt, so a repeated
// request is answered with the first one's result for 24 hours.
func idemKey(attemptKey, op string) *string {
	return stripeapi.String("till/" + attemptKey + "/" + op)
}

// Charge takes a card payment on the reader. It returns an error only when
// Stripe could not be reached to learn or decide the outcome; a decline, a
// cancel and a reader that is busy or offline are results, with nothing
// charged.
func (g *Gateway) Charge(ctx context.Context, req pos.ChargeRequest) (pos.ChargeResult, error) {
	if err := checkAttemptKey(req.AttemptKey); err != nil {
		return pos.ChargeResult{}, err
	}
	if req.Amount <= 0 || req.Currency.Code == "" {
		return pos.ChargeResult{}, pos.Errorf(pos.EInvalid, "a card payment needs a positive amount and a currency")
	}
	log := g.log.With("attempt", req.AttemptKey, "sale", req.SaleKey)
	pi, err := g.createIntent(ctx, req)
	if err != nil {
		// Nothing was handed to the reader, so nothing was charged.
		log.Warn("stripe: create payment intent failed", "err", err)
		if !isStripeError(err) {
			g.discard(ctx, req)
		}
		return notStarted(ctx, err), nil
	}
	log = log.With("payment_intent", pi.ID)
	log.Info("stripe: payment intent created", "amount", req.Amount, "capture", g.cfg.Capture)
	if err := g.process(ctx, req.AttemptKey, pi.ID); err != nil {
		log.Warn("stripe: reader did not take the payment", "err", err)
		return g.abort(ctx, req.AttemptKey, pi.ID, readerFailure(ctx, err))
	}
	res, err := g.follow(ctx, req.AttemptKey, pi.ID)
	log.Info("stripe: charge finished", "status", res.Status, "message", res.Message, "err", err)
	return res, err
}

// discard cancels the PaymentIntent a create whose answer was lost may
// have made, so none is left behind that a reader could still take. The
// create is sent again with its idempotency key: Stripe answers with the
// first one's PaymentIntent, or makes one now, and either is cancelled.
func (g *Gateway) discard(ctx context.Context, req pos.ChargeRequest) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	pi, err := g.createIntent(actx, req)
	if err == nil {
		_, err = g.cancelIntent(actx, req.AttemptKey, pi.ID)
	}
	if err != nil {
		g.log.Warn("stripe: could not discard a payment intent whose create went unanswered; it was never "+
			"handed to the reader", "attempt", req.AttemptKey, "err", err)
	}
}

// follow polls the reader and the PaymentIntent until the payment is
// decided, the customer runs out of time or the cashier cancels.
func (g *Gateway) follow(ctx context.Context, attemptKey, piID string) (pos.ChargeResult, error) {
	deadline := time.NewTimer(g.cfg.Wait)
	defer deadline.Stop()
	tick := time.NewTicker(g.cfg.PollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return g.abort(ctx, attemptKey, piID, cancelled("cancelled at the till"))
		case <-deadline.C:
			return g.abort(ctx, attemptKey, piID, failed(fmt.Sprintf(
				"no card was presented within %s; nothing was charged", g.cfg.Wait)))
		case <-tick.C:
		}
		res, done, err := g.check(ctx, attemptKey, piID)
		switch {
		case err != nil:
			// A poll that got no answer decides nothing: keep asking until
			// the deadline, when abort settles it or reports it unknown.
			g.log.Warn("stripe: poll failed", "payment_intent", piID, "err", err)
		case done:
			return res, nil
		}
	}
}

// check reads the reader and, when its action is over, the PaymentIntent.
// done reports a final result.
func (g *Gateway) check(ctx context.Context, attemptKey, piID string) (pos.ChargeResult, bool, error) {
	rd, err := g.getReader(ctx)
	if err != nil {
		return pos.ChargeResult{}, false, err
	}
	act := actionFor(rd, piID)
	if act != nil && act.Status == stripeapi.TerminalReaderActionStatusInProgress {
		return pos.ChargeResult{}, false, nil // the customer has not tapped yet
	}
	pi, err := g.getIntent(ctx, piID)
	if err != nil {
		return pos.ChargeResult{}, false, err
	}
	res, final, err := g.settle(ctx, attemptKey, pi)
	if err != nil || final {
		return res, final, err
	}
	switch {
	case pi.Status == stripeapi.PaymentIntentStatusProcessing:
		return pos.ChargeResult{}, false, nil
	case pi.LastPaymentError != nil:
		// Declined: the PaymentIntent waits for another card, which this
		// attempt will not take; cancel it so it can never be charged.
		res, err := g.abort(ctx, attemptKey, piID, declined(pi.LastPaymentError))
		return res, true, err
	case act != nil && act.Status == stripeapi.TerminalReaderActionStatusFailed:
		res, err := g.abort(ctx, attemptKey, piID, actionFailure(act))
		return res, true, err
	case act == nil:
		// The reader shows something else now: the action was cancelled
		// on the reader or replaced.
		res, err := g.abort(ctx, attemptKey, piID, cancelled("cancelled on the card reader"))
		return res, true, err
	}
	return pos.ChargeResult{}, false, nil // action succeeded; the PaymentIntent catches up
}

// settle turns a PaymentIntent whose payment is over into a result: it
// captures an authorised one and reports succeeded and cancelled ones.
// final is false while the payment can still change.
func (g *Gateway) settle(ctx context.Context, attemptKey string, pi *stripeapi.PaymentIntent) (pos.ChargeResult, bool, error) {
	switch pi.Status {
	case stripeapi.PaymentIntentStatusSucceeded:
		return approved(pi), true, nil
	case stripeapi.PaymentIntentStatusRequiresCapture:
		captured, err := g.capture(ctx, attemptKey, pi.ID)
		if isCode(err, stripeapi.ErrorCodePaymentIntentUnexpectedState) {
			// Captured or cancelled meanwhile: read what it became.
			if captured, err = g.getIntent(ctx, pi.ID); err == nil && captured.Status == stripeapi.PaymentIntentStatusRequiresCapture {
				return pos.ChargeResult{}, false, pos.Errorf(pos.EUnavailable, "Stripe did not capture the card payment")
			}
		}
		if err != nil {
			return pos.ChargeResult{}, false, unknown(err, "Stripe could not be reached to capture it")
		}
		return g.settle(ctx, attemptKey, captured)
	case stripeapi.PaymentIntentStatusCanceled:
		if pi.LastPaymentError != nil {
			return withRef(declined(pi.LastPaymentError), pi.ID), true, nil
		}
		return withRef(cancelled("the card payment was cancelled; nothing was charged"), pi.ID), true, nil
	}
	return pos.ChargeResult{}, false, nil
}

// abort makes sure an attempt can no longer take money and reports why it
// ended. It clears the reader if it still shows this payment and cancels
// the PaymentIntent. If Stripe refuses the cancel because the card was
// charged after all, the payment is reported approved: the customer paid.
// Only when Stripe cannot be reached is the outcome unknown (an error).
func (g *Gateway) abort(ctx context.Context, attemptKey, piID string, why pos.ChargeResult) (pos.ChargeResult, error) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	why = withRef(why, piID)
	if rd, err := g.getReader(actx); err == nil {
		if act := actionFor(rd, piID); act != nil && act.Status == stripeapi.TerminalReaderActionStatusInProgress {
			if err := g.cancelAction(actx); err != nil {
				g.log.Warn("stripe: cancel reader action failed", "payment_intent", piID, "err", err)
			}
		}
	}
	_, err := g.cancelIntent(actx, attemptKey, piID)
	if err == nil {
		return why, nil
	}
	if !isCode(err, stripeapi.ErrorCodePaymentIntentUnexpectedState) {
		return pos.ChargeResult{}, unknown(err, "Stripe could not be reached to settle it")
	}
	// Stripe refused: the payment is over, one way or the other. A
	// PaymentIntent still processing is polled until it is decided.
	for {
		pi, err := g.getIntent(actx, piID)
		if err != nil {
			return pos.ChargeResult{}, unknown(err, "Stripe could not be reached to settle it")
		}
		res, final, err := g.settle(actx, attemptKey, pi)
		if err != nil {
			return pos.ChargeResult{}, err
		}
		if final {
			if res.Status == pos.PaymentCancelled {
				return why, nil
			}
			return res, nil
		}
		select {
		case <-actx.Done():
			return pos.ChargeResult{}, pos.WrapError(pos.EUnavailable, actx.Err(),
				"the card payment is still being processed by the bank")
		case <-time.After(g.cfg.PollInterval):
		}
	}
}

// Lookup tells what became of an attempt whose outcome is unknown, by its
// PaymentIntent id or, when the till never heard it, by the attempt key in
// the PaymentIntent's metadata. An attempt that was not paid is cancelled
// at Stripe on the way, so it can never be charged later: call Lookup only
// for attempts no Charge is still waiting on (older than MaxChargeTime, or
// whose Charge has returned).
func (g *Gateway) Lookup(ctx context.Context, p pos.Payment) (pos.ChargeResult, error) {
	if err := checkAttemptKey(p.AttemptKey); err != nil {
		return pos.ChargeResult{}, err
	}
	var pi *stripeapi.PaymentIntent
	var err error
	if p.ProviderRef != "" {
		pi, err = g.getIntent(ctx, p.ProviderRef)
	} else {
		pi, err = g.findByAttempt(ctx, p)
	}
	if err != nil {
		return pos.ChargeResult{}, unknown(err, "Stripe could not be reached")
	}
	if pi == nil {
		if g.now().Sub(p.CreatedAt) < g.cfg.NotFoundAfter {
			return pos.ChargeResult{Status: pos.PaymentPending, Provider: Provider,
				Message: "Stripe has no record of the payment yet; try again in a minute"}, nil
		}
		return pos.ChargeResult{Status: pos.PaymentFailed, Provider: Provider,
			Message: "the payment never reached Stripe; nothing was charged"}, nil
	}
	res, final, err := g.settle(ctx, p.AttemptKey, pi)
	if err != nil || final {
		return res, err
	}
	if pi.Status == stripeapi.PaymentIntentStatusProcessing {
		return pos.ChargeResult{Status: pos.PaymentPending, Provider: Provider, ProviderRef: pi.ID,
			Message: "the bank is still processing the card payment"}, nil
	}
	why := cancelled("the card payment was not completed; nothing was charged")
	if pi.LastPaymentError != nil {
		why = declined(pi.LastPaymentError)
	}
	return g.abort(ctx, p.AttemptKey, pi.ID, why)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// checkAttemptKey refuses keys that cannot be written into a search query
// or an idempotency key as they are (pos makes UUIDs).
func checkAttemptKey(key string) error {
	if key == "" || len(key) > 64 {
		return pos.Errorf(pos.EInvalid, "the card payment has no valid attempt key")
	}
	for _, r := range key {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			return pos.Errorf(pos.EInvalid, "the card payment has no valid attempt key")
		}
	}
	return nil
}
