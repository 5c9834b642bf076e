package stripe

import (
	"context"
	"errors"
	"net/http"

	stripeapi "github.com/stripe/stripe-go/v76"

	"github.com/till-pos/till/pos"
)

// What the cashier reads. pos prefixes them ("card declined: …", "card
// payment failed: …"), so they start in lower case and say what to do.

func approved(pi *stripeapi.PaymentIntent) pos.ChargeResult {
	res := pos.ChargeResult{Status: pos.PaymentApproved, Provider: Provider, ProviderRef: pi.ID}
	if ch := pi.LatestCharge; ch != nil {
		res.AuthCode = ch.AuthorizationCode
		if d := ch.PaymentMethodDetails; d != nil && d.CardPresent != nil {
			res.CardBrand = string(d.CardPresent.Brand)
			res.CardLast4 = d.CardPresent.Last4
			if r := d.CardPresent.Receipt; r != nil && r.AuthorizationCode != "" {
				res.AuthCode = r.AuthorizationCode
			}
		}
		if d := ch.PaymentMethodDetails; d != nil && d.InteracPresent != nil {
			res.CardBrand = string(d.InteracPresent.Brand)
			res.CardLast4 = d.InteracPresent.Last4
			if r := d.InteracPresent.Receipt; r != nil && r.AuthorizationCode != "" {
				res.AuthCode = r.AuthorizationCode
			}
		}
	}
	return res
}

func cancelled(msg string) pos.ChargeResult {
	return pos.ChargeResult{Status: pos.PaymentCancelled, Provider: Provider, Message: msg}
}

func failed(msg string) pos.ChargeResult {
	return pos.ChargeResult{Status: pos.PaymentFailed, Provider: Provider, Message: msg}
}

func withRef(r pos.ChargeResult, piID string) pos.ChargeResult {
	r.ProviderRef = cmpOr(r.ProviderRef, piID)
	return r
}

// declined explains a card's decline. Lost, stolen and fraud codes read as
// a plain decline, as Stripe advises: the cashier should not accuse.
func declined(e *stripeapi.Error) pos.ChargeResult {
	code := string(e.DeclineCode)
	if code == "" {
		code = string(e.Code)
	}
	return pos.ChargeResult{Status: pos.PaymentDeclined, Provider: Provider, Message: declineMessage(code)}
}

func declineMessage(code string) string {
	switch code {
	case "insufficient_funds":
		return "insufficient funds; ask for another card"
	case "expired_card":
		return "the card has expired; ask for another card"
	case "incorrect_pin", "invalid_pin":
		return "wrong PIN; try again"
	case "pin_try_exceeded":
		return "too many wrong PINs; ask for another card"
	case "offline_pin_required", "online_or_offline_pin_required":
		return "the card needs its PIN: insert the card and enter the PIN"
	case "card_velocity_exceeded", "withdrawal_count_limit_exceeded":
		return "the card's limit is reached; ask for another card"
	case "card_not_supported", "currency_not_supported":
		return "this card cannot be used here; ask for another card"
	case "call_issuer":
		return "the bank asks the customer to call them; ask for another card"
	case "processing_error", "try_again_later", "issuer_not_available", "reenter_transaction":
		return "the bank could not process the card; try again"
	case "testmode_decline", "live_mode_test_card":
		return "a test card was used"
	}
	return "the bank declined the card; ask for another card"
}

// actionFailure explains a reader action that failed without a decline.
func actionFailure(act *stripeapi.TerminalReaderAction) pos.ChargeResult {
	switch act.FailureCode {
	case "customer_canceled", "customer_cancelled", "canceled", "cancelled":
		return cancelled("cancelled on the card reader")
	case "card_declined":
		return declined(&stripeapi.Error{Code: stripeapi.ErrorCodeCardDeclined})
	}
	return failed("the card reader could not read the card; try again")
}

// readerFailure explains why the reader did not take the payment; the
// PaymentIntent is cancelled after it, so nothing was charged.
func readerFailure(ctx context.Context, err error) pos.ChargeResult {
	if ctx.Err() != nil {
		return cancelled("cancelled at the till")
	}
	var se *stripeapi.Error
	if !errors.As(err, &se) {
		return failed("could not reach Stripe to start the payment; nothing was charged, try again")
	}
	switch se.Code {
	case stripeapi.ErrorCodeTerminalReaderBusy:
		return failed("the card reader is busy with another payment: finish or cancel it on the reader, then try again")
	case stripeapi.ErrorCodeTerminalReaderOffline:
		return failed("the card reader is offline: check that it is on and connected, then try again")
	case stripeapi.ErrorCodeTerminalReaderTimeout:
		return failed("the card reader did not answer: check it, then try again")
	case stripeapi.ErrorCodeTerminalReaderHardwareFault:
		return failed("the card reader reported a fault: restart it, then try again")
	case stripeapi.ErrorCodeResourceMissing:
		return failed("Stripe does not know this till's card reader: check POS_STRIPE_READER")
	}
	return failed(setupProblem(se, "Stripe refused to start the payment on the reader"))
}

// notStarted explains a PaymentIntent that could not be created.
func notStarted(ctx context.Context, err error) pos.ChargeResult {
	if ctx.Err() != nil {
		return cancelled("cancelled at the till")
	}
	var se *stripeapi.Error
	if !errors.As(err, &se) {
		return failed("could not reach Stripe; nothing was charged, try again")
	}
	return failed(setupProblem(se, "Stripe refused the payment"))
}

// setupProblem explains errors that are the till's configuration, not the
// customer's card.
func setupProblem(se *stripeapi.Error, fallback string) string {
	switch {
	case se.HTTPStatusCode == http.StatusUnauthorized:
		return "Stripe refused the till's key: check STRIPE_SECRET_KEY"
	case se.HTTPStatusCode == http.StatusForbidden:
		return "the till's Stripe key lacks a permission (see the README); nothing was charged"
	case se.HTTPStatusCode == http.StatusTooManyRequests:
		return "Stripe is busy; nothing was charged, try again in a moment"
	case se.HTTPStatusCode >= 500:
		return "Stripe is having trouble; nothing was charged, try again"
	}
	return fallback + " (" + string(se.Code) + "); nothing was charged"
}

// unknown wraps an error after which nobody knows whether money moved.
func unknown(err error, msg string) error {
	var pe *pos.Error
	if errors.As(err, &pe) {
		return err
	}
	return pos.WrapError(pos.EUnavailable, err, "%s", msg)
}

// isStripeError reports whether Stripe answered err (else the request got
// no answer and may or may not have been carried out).
func isStripeError(err error) bool {
	var se *stripeapi.Error
	return errors.As(err, &se)
}

func isCode(err error, code stripeapi.ErrorCode) bool {
	var se *stripeapi.Error
	return errors.As(err, &se) && se.Code == code
}
