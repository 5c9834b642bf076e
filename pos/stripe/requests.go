package stripe

import (
	"context"
	"strings"
	"time"

	stripeapi "github.com/stripe/stripe-go/v76"

	"github.com/till-pos/till/pos"
)

// The requests the gateway sends, one function each, so the stripe-mock
// test can check every one of them against Stripe's own API description.

// expandCharge asks for the latest charge with the PaymentIntent: the card
// brand, last 4 digits and authorisation code are on it.
var expandCharge = "latest_charge"

func (g *Gateway) createIntent(ctx context.Context, req pos.ChargeRequest) (*stripeapi.PaymentIntent, error) {
	params := &stripeapi.PaymentIntentParams{
		Amount:             stripeapi.Int64(int64(req.Amount)),
		Currency:           stripeapi.String(strings.ToLower(req.Currency.Code)),
		PaymentMethodTypes: []*string{stripeapi.String("card_present")},
		CaptureMethod:      stripeapi.String(string(g.cfg.Capture)),
		Metadata: map[string]string{
			"sale_key":    req.SaleKey,
			"attempt_key": req.AttemptKey,
			"store":       req.StoreID,
			"till":        req.TillID,
		},
	}
	params.Context = ctx
	params.IdempotencyKey = idemKey(req.AttemptKey, "create")
	return g.intents.New(params)
}

func (g *Gateway) process(ctx context.Context, attemptKey, piID string) error {
	params := &stripeapi.TerminalReaderProcessPaymentIntentParams{PaymentIntent: stripeapi.String(piID)}
	params.Context = ctx
	params.IdempotencyKey = idemKey(attemptKey, "process")
	_, err := g.readers.ProcessPaymentIntent(g.cfg.ReaderID, params)
	return err
}

func (g *Gateway) getReader(ctx context.Context) (*stripeapi.TerminalReader, error) {
	params := &stripeapi.TerminalReaderParams{}
	params.Context = ctx
	return g.readers.Get(g.cfg.ReaderID, params)
}

func (g *Gateway) cancelAction(ctx context.Context) error {
	params := &stripeapi.TerminalReaderCancelActionParams{}
	params.Context = ctx
	// No idempotency key of ours: cancelling twice is harmless, and a
	// replayed answer from an earlier cancel would hide the current state.
	_, err := g.readers.CancelAction(g.cfg.ReaderID, params)
	return err
}

func (g *Gateway) getIntent(ctx context.Context, piID string) (*stripeapi.PaymentIntent, error) {
	params := &stripeapi.PaymentIntentParams{}
	params.Context = ctx
	params.AddExpand(expandCharge)
	return g.intents.Get(piID, params)
}

func (g *Gateway) cancelIntent(ctx context.Context, attemptKey, piID string) (*stripeapi.PaymentIntent, error) {
	params := &stripeapi.PaymentIntentCancelParams{
		CancellationReason: stripeapi.String(string(stripeapi.PaymentIntentCancellationReasonAbandoned)),
	}
	params.Context = ctx
	params.IdempotencyKey = idemKey(attemptKey, "cancel")
	params.AddExpand(expandCharge)
	return g.intents.Cancel(piID, params)
}

func (g *Gateway) capture(ctx context.Context, attemptKey, piID string) (*stripeapi.PaymentIntent, error) {
	params := &stripeapi.PaymentIntentCaptureParams{}
	params.Context = ctx
	params.IdempotencyKey = idemKey(attemptKey, "capture")
	params.AddExpand(expandCharge)
	return g.intents.Capture(piID, params)
}

// lookupWindow is how far from the attempt's own clock a PaymentIntent's
// creation time may be: the till's and Stripe's clocks may differ, and the
// create may have been retried.
const lookupWindow = 15 * time.Minute

// maxListPages bounds the scan of the list fallback (100 per page).
const maxListPages = 50

// findByAttempt finds the PaymentIntent created for an attempt, or nil.
//
// Search by metadata is cheap but eventually consistent (Stripe indexes
// within about a minute), so when it finds nothing the PaymentIntents
// created around the attempt's time are listed, which is consistent.
// Re-sending the create with the same idempotency key was not chosen: it
// needs the create's exact parameters (pos.Payment has no currency, store
// or till) and, when the first create never arrived, it would create a
// PaymentIntent from a read.
func (g *Gateway) findByAttempt(ctx context.Context, p pos.Payment) (*stripeapi.PaymentIntent, error) {
	search := &stripeapi.PaymentIntentSearchParams{}
	search.Context = ctx
	search.Query = "metadata['attempt_key']:'" + p.AttemptKey + "'"
	search.Single = true
	search.AddExpand("data." + expandCharge)
	var found []*stripeapi.PaymentIntent
	it := g.intents.Search(search)
	for it.Next() {
		found = append(found, it.PaymentIntent())
	}
	if err := it.Err(); err != nil {
		return nil, err
	}
	if pi := best(found, p.AttemptKey); pi != nil {
		return pi, nil
	}
	if p.CreatedAt.IsZero() {
		return nil, nil
	}
	list := &stripeapi.PaymentIntentListParams{CreatedRange: &stripeapi.RangeQueryParams{
		GreaterThanOrEqual: p.CreatedAt.Add(-lookupWindow).Unix(),
		LesserThanOrEqual:  p.CreatedAt.Add(lookupWindow).Unix(),
	}}
	list.Context = ctx
	list.Limit = stripeapi.Int64(100)
	list.AddExpand("data." + expandCharge)
	lit := g.intents.List(list)
	for n := 0; lit.Next(); n++ {
		if n >= maxListPages*100 {
			return nil, pos.Errorf(pos.EUnavailable, "too many Stripe payments around %s to find this one",
				p.CreatedAt.Format(time.RFC3339))
		}
		found = append(found, lit.PaymentIntent())
	}
	if err := lit.Err(); err != nil {
		return nil, err
	}
	return best(found, p.AttemptKey), nil
}

// best picks the PaymentIntent of an attempt that took money, if one did.
// There is one per attempt (the create is idempotent); preferring a paid
// one keeps a charge from being overlooked should there ever be two.
func best(pis []*stripeapi.PaymentIntent, attemptKey string) *stripeapi.PaymentIntent {
	rank := func(s stripeapi.PaymentIntentStatus) int {
		switch s {
		case stripeapi.PaymentIntentStatusSucceeded:
			return 3
		case stripeapi.PaymentIntentStatusRequiresCapture, stripeapi.PaymentIntentStatusProcessing:
			return 2
		case stripeapi.PaymentIntentStatusCanceled:
			return 0
		}
		return 1
	}
	var pick *stripeapi.PaymentIntent
	for _, pi := range pis {
		if pi == nil || pi.Metadata["attempt_key"] != attemptKey {
			continue
		}
		if pick == nil || rank(pi.Status) > rank(pick.Status) {
			pick = pi
		}
	}
	return pick
}

// actionFor returns the reader's action if it is processing piID.
func actionFor(rd *stripeapi.TerminalReader, piID string) *stripeapi.TerminalReaderAction {
	if rd == nil || rd.Action == nil || rd.Action.Type != stripeapi.TerminalReaderActionTypeProcessPaymentIntent ||
		rd.Action.ProcessPaymentIntent == nil || rd.Action.ProcessPaymentIntent.PaymentIntent == nil ||
		rd.Action.ProcessPaymentIntent.PaymentIntent.ID != piID {
		return nil
	}
	return rd.Action
}
