package stripe

import (
	"context"
	"errors"
	"net/http"
	"strings"

	stripeapi "github.com/stripe/stripe-go/v76"

	"github.com/till-pos/till/pos"
)

// Refunds give card payments back with Stripe's Refund API, in part (a
// return) or in full (a pending sale released), without the card: the money
// goes back to the card that paid. Like a charge, every refund carries an
// idempotency key derived from its attempt key, and the attempt key in its
// metadata, so a refund whose answer was lost is found again (FindRefund)
// and a repeated one is never made twice.
//
// Outcomes:
//   - succeeded: approved.
//   - pending: approved too, with the message "pending at the bank". Stripe
//     has taken the money from the account's balance and sent the refund
//     to the card's bank; for cards it normally succeeds within minutes. If
//     the bank later refuses it (a closed card), Stripe marks it failed and
//     the money comes back to the account: FindRefund then reports it
//     failed, but the till does not revisit a completed return: Stripe
//     notifies the account (charge.refund.updated), and the back office
//     settles it with the customer.
//   - requires_action: pending (not final): Stripe waits for something
//     outside the till; cards never need it.
//   - failed or canceled: failed, nothing refunded, with the reason.
//   - no answer, a timeout, a 5xx, a 409 or 429: an EUnavailable error, the
//     outcome unknown; FindRefund settles it. (Stripe replays a 500 to the
//     same idempotency key for 24 hours, so asking again the same day gets
//     the 500 again; FindRefund, finding nothing, lets the return go on
//     in cash.) A key reused with other details (idempotency_error) is an
//     EInternal error: unknown too, since the first request may have
//     refunded.
//   - refused (4xx): nothing was refunded. The gateway reads the
//     PaymentIntent to explain why: more than is left ("the card payment
//     has only €x left to refund", an EConflict error), a payment that can
//     only be refunded with the card on the reader (a failed result, see
//     inPersonOnly), a disputed payment.
//
// Before creating a refund the gateway lists the payment's refunds for one
// already made under the attempt key: Stripe replays a repeated request's
// answer for 24 hours only, and a refund whose answer was lost may be
// asked for again a day later (a till restarted after a weekend).
//
// Stripe Terminal's Interac payments (interac_present, Canada) can only be
// refunded in person, with the card on a reader; the Refund API and the
// Dashboard refuse them. Stripe documents that they are refused, not the
// exact error, so the gateway decides by the type of the payment's charge.
// The till creates its PaymentIntents for card_present only, so it never
// takes one itself; the check guards payments taken otherwise.

// inPersonOnly is what the cashier reads when a payment cannot be refunded
// without the card on the reader.
const inPersonOnly = "this card can only be refunded with the card on the reader: refund in cash with a manager"

// errFullyRefunded marks a refusal because the payment has nothing left to
// refund: Refund (a release) takes that as done.
var errFullyRefunded = errors.New("stripe: the payment is refunded in full")

var _ pos.CardRefunder = (*Gateway)(nil)

// RefundCard gives req.Amount of the card payment req.PaymentRef (its
// PaymentIntent) back. See the outcomes above.
func (g *Gateway) RefundCard(ctx context.Context, req pos.RefundRequest) (pos.ChargeResult, error) {
	if err := checkRefund(req); err != nil {
		return pos.ChargeResult{}, err
	}
	log := g.log.With("refund_attempt", req.AttemptKey, "return", req.ReturnKey, "payment_intent", req.PaymentRef)
	// Stripe replays a repeated key's answer for 24 hours only; a refund
	// made longer ago is found here instead of being made again.
	r, err := g.findRefund(ctx, req.PaymentRef, req.AttemptKey)
	switch {
	case err != nil && !isCode(err, stripeapi.ErrorCodeResourceMissing):
		log.Warn("stripe: could not look for an earlier refund", "err", err)
		return pos.ChargeResult{}, unknown(err, "Stripe could not be reached to refund the card")
	case r != nil:
		res := refundResult(r)
		log.Info("stripe: refund made earlier", "refund", r.ID, "status", r.Status, "result", res.Status)
		return res, nil
	}
	r, err = g.createRefund(ctx, req)
	if err != nil {
		res, err := g.refused(ctx, req, err)
		log.Warn("stripe: refund not made", "amount", req.Amount, "status", res.Status, "message", res.Message, "err", err)
		return res, err
	}
	res := refundResult(r)
	log.Info("stripe: refund", "refund", r.ID, "amount", r.Amount, "status", r.Status, "result", res.Status)
	return res, nil
}

// FindRefund finds the refund made for req.AttemptKey among the refunds of
// its PaymentIntent (a list, consistent at once, unlike search), or returns
// an ENotFound error: nothing was refunded for that attempt.
func (g *Gateway) FindRefund(ctx context.Context, req pos.RefundRequest) (pos.ChargeResult, error) {
	if err := checkAttemptKey(req.AttemptKey); err != nil {
		return pos.ChargeResult{}, err
	}
	if req.PaymentRef == "" {
		// RefundCard refuses these before calling Stripe.
		return pos.ChargeResult{}, pos.Errorf(pos.ENotFound, "the card payment has no Stripe reference: nothing was refunded")
	}
	r, err := g.findRefund(ctx, req.PaymentRef, req.AttemptKey)
	switch {
	case isCode(err, stripeapi.ErrorCodeResourceMissing):
		return pos.ChargeResult{}, pos.WrapError(pos.ENotFound, err, "Stripe has no payment %s: nothing was refunded", req.PaymentRef)
	case err != nil:
		return pos.ChargeResult{}, unknown(err, "Stripe could not be reached to find the card refund")
	case r == nil:
		return pos.ChargeResult{}, pos.Errorf(pos.ENotFound, "Stripe has no refund for this attempt: nothing was refunded")
	}
	g.log.Info("stripe: refund found", "refund_attempt", req.AttemptKey, "refund", r.ID, "status", r.Status)
	return refundResult(r), nil
}

// Refund gives an approved payment back in full, when a sale that was
// never completed is released. It is RefundCard for the whole payment
// under the payment's own attempt key; a payment that has nothing left to
// refund is reported refunded, as before. The result keeps the
// PaymentIntent as its reference: it is written on the payment's row.
func (g *Gateway) Refund(ctx context.Context, p pos.Payment) (pos.ChargeResult, error) {
	res, err := g.RefundCard(ctx, pos.RefundRequest{AttemptKey: p.AttemptKey, SaleKey: p.SaleKey,
		PaymentKey: p.AttemptKey, PaymentRef: p.ProviderRef, Amount: p.Amount})
	switch {
	case errors.Is(err, errFullyRefunded):
		res = pos.ChargeResult{Status: pos.PaymentApproved, Provider: Provider}
	case err != nil:
		return pos.ChargeResult{}, err
	}
	if res.Status == pos.PaymentApproved {
		res.Status = pos.PaymentRefunded
	}
	res.ProviderRef = p.ProviderRef
	return res, nil
}

func checkRefund(req pos.RefundRequest) error {
	if err := checkAttemptKey(req.AttemptKey); err != nil {
		return pos.Errorf(pos.EInvalid, "the card refund has no valid attempt key")
	}
	switch {
	case req.PaymentRef == "":
		return pos.Errorf(pos.EConflict, "the card payment has no Stripe reference to refund")
	case strings.ContainsAny(req.PaymentRef, "/?#% "):
		return pos.Errorf(pos.EInvalid, "%q is not a Stripe payment", req.PaymentRef)
	case req.Amount <= 0:
		return pos.Errorf(pos.EInvalid, "a card refund needs a positive amount")
	}
	return nil
}

func (g *Gateway) createRefund(ctx context.Context, req pos.RefundRequest) (*stripeapi.Refund, error) {
	md := map[string]string{}
	for k, v := range map[string]string{"attempt_key": req.AttemptKey, "return_key": req.ReturnKey,
		"sale_key": req.SaleKey, "payment_key": req.PaymentKey} {
		if v != "" {
			md[k] = v
		}
	}
	params := &stripeapi.RefundParams{
		PaymentIntent: stripeapi.String(req.PaymentRef),
		Amount:        stripeapi.Int64(int64(req.Amount)),
		Reason:        stripeapi.String(string(stripeapi.RefundReasonRequestedByCustomer)),
		Metadata:      md,
	}
	params.Context = ctx
	params.IdempotencyKey = idemKey(req.AttemptKey, "refund")
	return g.refunds.New(params)
}

// findRefund lists the PaymentIntent's refunds for the one whose metadata
// names the attempt; should there be two, a refund that moved money wins.
func (g *Gateway) findRefund(ctx context.Context, piID, attemptKey string) (*stripeapi.Refund, error) {
	params := &stripeapi.RefundListParams{PaymentIntent: stripeapi.String(piID)}
	params.Context = ctx
	params.Limit = stripeapi.Int64(100)
	rank := func(s stripeapi.RefundStatus) int {
		switch s {
		case stripeapi.RefundStatusSucceeded, stripeapi.RefundStatusPending:
			return 3
		case stripeapi.RefundStatusRequiresAction:
			return 2
		}
		return 1
	}
	var pick *stripeapi.Refund
	it := g.refunds.List(params)
	for n := 0; it.Next(); n++ {
		if n >= maxListPages*100 {
			return nil, pos.Errorf(pos.EUnavailable, "too many refunds on Stripe payment %s to find this one", piID)
		}
		r := it.Refund()
		if r == nil || r.Metadata["attempt_key"] != attemptKey {
			continue
		}
		if pick == nil || rank(r.Status) > rank(pick.Status) {
			pick = r
		}
	}
	return pick, it.Err()
}

// refundResult is what a refund Stripe made means for the till.
func refundResult(r *stripeapi.Refund) pos.ChargeResult {
	res := pos.ChargeResult{Provider: Provider, ProviderRef: r.ID}
	switch r.Status {
	case stripeapi.RefundStatusSucceeded:
		res.Status = pos.PaymentApproved
	case stripeapi.RefundStatusPending:
		res.Status, res.Message = pos.PaymentApproved, "pending at the bank"
	case stripeapi.RefundStatusFailed, stripeapi.RefundStatusCanceled:
		res.Status, res.Message = pos.PaymentFailed, refundFailure(r)
	default: // requires_action, or a status this version does not know
		res.Status, res.Message = pos.PaymentPending, "Stripe reports the refund "+strings.ReplaceAll(string(r.Status), "_", " ")
	}
	return res
}

func refundFailure(r *stripeapi.Refund) string {
	switch r.FailureReason {
	case stripeapi.RefundFailureReasonExpiredOrCanceledCard, stripeapi.RefundFailureReasonLostOrStolenCard:
		return "the card can no longer take refunds: refund in cash with a manager"
	case "merchant_request":
		return "the refund was cancelled at Stripe; nothing was refunded"
	case "", stripeapi.RefundFailureReasonUnknown:
		return "Stripe could not refund the card (" + string(r.Status) + "): refund in cash with a manager"
	}
	return "Stripe could not refund the card (" + strings.ReplaceAll(string(r.FailureReason), "_", " ") +
		"): refund in cash with a manager"
}

// refused turns a refund request that failed into a result or an error,
// telling an unknown outcome from a refusal (nothing refunded).
func (g *Gateway) refused(ctx context.Context, req pos.RefundRequest, err error) (pos.ChargeResult, error) {
	var se *stripeapi.Error
	switch {
	case !errors.As(err, &se):
		if ctx.Err() != nil {
			return pos.ChargeResult{}, pos.WrapError(pos.EUnavailable, err, "the card refund was interrupted; checking it")
		}
		return pos.ChargeResult{}, pos.WrapError(pos.EUnavailable, err, "no answer from Stripe about the card refund")
	case se.HTTPStatusCode >= 500, se.HTTPStatusCode == http.StatusConflict, se.HTTPStatusCode == http.StatusTooManyRequests:
		// A 409 is another request with this key still running.
		return pos.ChargeResult{}, pos.WrapError(pos.EUnavailable, err, "Stripe could not answer about the card refund now")
	case se.Type == stripeapi.ErrorTypeIdempotency:
		// The key was used before with other details: that earlier
		// request may have refunded. FindRefund settles it.
		return pos.ChargeResult{}, pos.WrapError(pos.EInternal, err, "Stripe has another request under this refund's key; checking it")
	case se.HTTPStatusCode == http.StatusUnauthorized:
		return pos.ChargeResult{}, pos.WrapError(pos.EConflict, err, "Stripe refused the till's key: check STRIPE_SECRET_KEY; nothing was refunded")
	case se.HTTPStatusCode == http.StatusForbidden:
		return pos.ChargeResult{}, pos.WrapError(pos.EConflict, err, "the till's Stripe key may not make refunds (see the README); nothing was refunded")
	}
	// Refused: nothing was refunded (an earlier refund of this attempt
	// would have been found before the request).
	pi, perr := g.getIntent(ctx, req.PaymentRef)
	if perr != nil {
		if isCode(perr, stripeapi.ErrorCodeResourceMissing) {
			return pos.ChargeResult{}, pos.WrapError(pos.EConflict, err, "Stripe has no card payment %s; nothing was refunded", req.PaymentRef)
		}
		return pos.ChargeResult{}, pos.WrapError(pos.EConflict, err, "Stripe refused the card refund (%s); nothing was refunded", errCode(se))
	}
	return explainRefusal(req, pi, se, err)
}

// explainRefusal says why Stripe refused to refund pi: nothing was refunded.
func explainRefusal(req pos.RefundRequest, pi *stripeapi.PaymentIntent, se *stripeapi.Error, err error) (pos.ChargeResult, error) {
	ch := pi.LatestCharge
	if ch != nil && ch.PaymentMethodDetails != nil &&
		ch.PaymentMethodDetails.Type == stripeapi.ChargePaymentMethodDetailsTypeInteracPresent {
		return failed(inPersonOnly), nil
	}
	cur := req.Currency
	if !strings.EqualFold(cur.Code, string(pi.Currency)) {
		cur = pos.CurrencyByCode(string(pi.Currency))
	}
	if pi.Status != stripeapi.PaymentIntentStatusSucceeded || ch == nil {
		return pos.ChargeResult{}, pos.WrapError(pos.EConflict, err,
			"the card payment is %s at Stripe: it has nothing to refund", strings.ReplaceAll(string(pi.Status), "_", " "))
	}
	captured := ch.AmountCaptured
	if captured == 0 && ch.Captured {
		captured = ch.Amount
	}
	switch left := pos.Money(captured - ch.AmountRefunded); {
	case left <= 0 || ch.Refunded:
		return pos.ChargeResult{}, pos.WrapError(pos.EConflict, errors.Join(errFullyRefunded, err),
			"the card payment has been refunded in full already")
	case left < req.Amount:
		return pos.ChargeResult{}, pos.WrapError(pos.EConflict, err,
			"the card payment has only %s left to refund", cur.Format(left))
	}
	switch se.Code {
	case stripeapi.ErrorCodeChargeDisputed, stripeapi.ErrorCodeRefundDisputedPayment:
		return pos.ChargeResult{}, pos.WrapError(pos.EConflict, err,
			"the customer disputed this card payment with their bank, so it cannot be refunded: ask a manager")
	case stripeapi.ErrorCodeBalanceInsufficient:
		return pos.ChargeResult{}, pos.WrapError(pos.EConflict, err,
			"the store's Stripe balance cannot cover the refund: refund in cash with a manager")
	}
	return pos.ChargeResult{}, pos.WrapError(pos.EConflict, err, "Stripe refused the card refund (%s); nothing was refunded", errCode(se))
}

func errCode(se *stripeapi.Error) string {
	if se.Code != "" {
		return string(se.Code)
	}
	if se.Param != "" {
		return "invalid " + se.Param
	}
	return string(se.Type)
}
