package stripe

import (
	"context"
	"errors"

	stripeapi "github.com/stripe/stripe-go/v76"

	"github.com/till-pos/till/pos"
)

// declineTestCard is Stripe's documented test card number that is always
// declined (card_declined). It is public, belongs to no one, works only in
// test mode, and is sent only in the test-helper request below: never
// stored, logged or shown. The approving card needs no number: the
// simulated reader presents its default test card.
const declineTestCard = "4000000000000002"

// PresentPaymentMethod asks Stripe's simulated reader, in test mode only,
// to present a test card to the payment it is waiting for: one that is
// approved, or with decline one that is declined. The payment screen calls
// it from a key while a Charge is waiting for the customer.
func (g *Gateway) PresentPaymentMethod(ctx context.Context, decline bool) error {
	if !g.TestMode() {
		return pos.Errorf(pos.EConflict, "test cards can only be presented with a Stripe test-mode key")
	}
	params := &stripeapi.TestHelpersTerminalReaderPresentPaymentMethodParams{Type: stripeapi.String("card_present")}
	if decline {
		params.CardPresent = &stripeapi.TestHelpersTerminalReaderPresentPaymentMethodCardPresentParams{
			Number: stripeapi.String(declineTestCard),
		}
	}
	params.Context = ctx
	if _, err := g.testReaders.PresentPaymentMethod(g.cfg.ReaderID, params); err != nil {
		var se *stripeapi.Error
		if errors.As(err, &se) {
			return pos.WrapError(pos.EConflict, err,
				"the simulated reader could not present a test card (%s): is a payment waiting on it?", se.Code)
		}
		return pos.WrapError(pos.EUnavailable, err, "could not reach Stripe to present a test card")
	}
	return nil
}
