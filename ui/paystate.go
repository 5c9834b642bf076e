package ui

import "github.com/till-pos/till/pos"

// payState is where the payment screen stands. The sale's own stage (is it
// reserved, what is paid) is pos.SaleInProgress's; this is what the screen
// waits for and what the cashier may do meanwhile.
type payState int

const (
	payIdle       payState = iota // no card payment on screen
	payReserving                  // recording the sale before the card (retried while the database is down)
	payCharging                   // waiting for the card
	payCancelling                 // Esc pressed: waiting for the call in flight to end
	payResolving                  // the reader's answer was lost: asking what happened; cannot be cancelled
	payStates                     // how many states there are
)

func (s payState) String() string {
	return [...]string{"idle", "reserving", "charging", "cancelling", "resolving"}[s]
}

// payEvent is what happened to the card payment.
type payEvent int

const (
	payReserve          payEvent = iota // start: the sale must be reserved first
	payCharge                           // start: the sale is reserved, charge the card
	payReserved                         // the reservation was answered
	payReserveLost                      // the reservation got no answer (database down or answer lost)
	payReserveRefused                   // the reservation was refused outright (e.g. out of stock)
	payApproved                         // the card, or the lookup, says approved
	payUnknown                          // no answer from the reader: the payment must be looked up
	payDeclined                         // the bank said no
	payFailed                           // cancelled or failed: nothing was charged
	payLookupFailed                     // the lookup got no answer
	payLookupNotCharged                 // the lookup says nothing was charged
	payEsc                              // the cashier pressed Esc
	payRetryDue                         // the pause before asking again is over
	payEvents                           // how many events there are
)

// payAction is what the screen does after a transition.
type payAction int

const (
	actNone       payAction = iota
	actSend                 // run the step the sale returned (the charge, the lookup, the same again)
	actRetry                // ask again after a pause
	actCancel               // cancel the call in flight
	actRefuse               // refuse the key: a lookup cannot be cancelled
	actApproved             // back to the tender: the card paid
	actCancelled            // back to the tender: cancelled before any card was charged
	actNotCharged           // back to the tender: cancelled, nothing was charged
	actFailed               // back to the tender with the error
	actLookupNot            // back to the tender: the lookup says nothing was charged
)

// on is the payment screen's transition function: for every state and
// event, the next state and what to do. Events a state does not expect
// change nothing (a stale answer, a second Esc).
func (s payState) on(e payEvent) (payState, payAction) {
	type move struct {
		to  payState
		act payAction
	}
	table := [payStates][payEvents]move{
		payIdle: {
			payReserve: {payReserving, actSend},
			payCharge:  {payCharging, actSend},
		},
		payReserving: {
			payReserved:       {payCharging, actSend},
			payReserveLost:    {payReserving, actRetry},
			payReserveRefused: {payIdle, actFailed},
			payRetryDue:       {payReserving, actSend},
			payEsc:            {payCancelling, actCancel},
		},
		payCharging: {
			payApproved: {payIdle, actApproved},
			payUnknown:  {payResolving, actSend},
			payDeclined: {payIdle, actFailed},
			payFailed:   {payIdle, actFailed},
			payEsc:      {payCancelling, actCancel},
		},
		payCancelling: {
			payReserved:       {payIdle, actNotCharged},
			payFailed:         {payIdle, actNotCharged},
			payReserveLost:    {payIdle, actCancelled},
			payReserveRefused: {payIdle, actCancelled},
			payRetryDue:       {payIdle, actCancelled}, // nothing in flight: the retry is dropped
			payApproved:       {payIdle, actApproved},  // too late: the card paid
			payUnknown:        {payResolving, actSend},
			payDeclined:       {payIdle, actFailed},
		},
		payResolving: {
			payLookupFailed:     {payResolving, actRetry},
			payRetryDue:         {payResolving, actSend},
			payApproved:         {payIdle, actApproved},
			payLookupNotCharged: {payIdle, actLookupNot},
			payEsc:              {payResolving, actRefuse},
		},
	}
	if mv := table[s][e]; mv.act != actNone {
		return mv.to, mv.act
	}
	return s, actNone
}

// payEventOf says what a step's result means for the payment screen.
func payEventOf(r pos.Result) payEvent {
	switch r.Kind {
	case pos.StepReserve:
		switch {
		case r.Err == nil:
			return payReserved
		case pos.ErrorCode(r.Err) == pos.EUnavailable:
			return payReserveLost
		}
		return payReserveRefused
	case pos.StepResolve:
		switch {
		case r.Err != nil:
			return payLookupFailed
		case r.Payment.Status == pos.PaymentApproved:
			return payApproved
		}
		return payLookupNotCharged
	}
	switch {
	case r.Err == nil:
		return payApproved
	case r.Payment.Status == pos.PaymentUnknown:
		return payUnknown
	case r.Payment.Status == pos.PaymentDeclined:
		return payDeclined
	}
	return payFailed
}
