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

// on is the payment screen's transition function: every state and event,
// the next state and what to do. Events a state does not expect change
// nothing (a stale answer).
func (s payState) on(e payEvent) (payState, payAction) {
	switch s {
	case payIdle:
		switch e {
		case payReserve:
			return payReserving, actSend
		case payCharge:
			return payCharging, actSend
		}
	case payReserving:
		switch e {
		case payReserved:
			return payCharging, actSend
		case payReserveLost:
			return payReserving, actRetry
		case payReserveRefused:
			return payIdle, actFailed
		case payRetryDue:
			return payReserving, actSend
		case payEsc:
			return payCancelling, actCancel
		}
	case payCharging:
		switch e {
		case payApproved:
			return payIdle, actApproved
		case payUnknown:
			return payResolving, actSend
		case payDeclined, payFailed:
			return payIdle, actFailed
		case payEsc:
			return payCancelling, actCancel
		}
	case payCancelling:
		switch e {
		case payReserved, payFailed:
			return payIdle, actNotCharged
		case payReserveLost, payReserveRefused, payRetryDue:
			return payIdle, actCancelled
		case payApproved:
			return payIdle, actApproved // too late: the card paid
		case payUnknown:
			return payResolving, actSend
		case payDeclined:
			return payIdle, actFailed
		}
	case payResolving:
		switch e {
		case payLookupFailed:
			return payResolving, actRetry
		case payRetryDue:
			return payResolving, actSend
		case payApproved:
			return payIdle, actApproved
		case payLookupNotCharged:
			return payIdle, actLookupNot
		case payEsc:
			return payResolving, actRefuse
		}
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
