package ui

import "github.com/till-pos/till/pos"

// returnState is where the return screen stands. The return's own record
// (what is pending, what went back) is the store's, reached through
// pos.Returns; this is what the screen waits for and what the cashier may
// do meanwhile.
type returnState int

const (
	retIdle       returnState = iota // no return on screen
	retNumber                        // typing the number printed on a receipt
	retOpening                       // loading the sale to return
	retChoosing                      // choosing lines, quantities, reasons; nothing recorded
	retRecording                     // Begin in flight (retried while the database is down)
	retRefunding                     // the card parts going back
	retResolving                     // no answer about a card refund: asking again
	retFailed                        // a card refund failed: cash with a manager, or cancel
	retCashing                       // the failed card parts turned into cash, in flight
	retCompleting                    // Complete in flight (retried while the database is down)
	retCancelling                    // Cancel in flight: nothing went back
	retDone                          // completed: the cash to give back, the receipt
)

func (s returnState) String() string {
	return [...]string{"idle", "number", "opening", "choosing", "recording", "refunding", "resolving",
		"failed", "cashing", "completing", "cancelling", "done"}[s]
}

// inFlight reports whether the return is being recorded or money is
// moving: the screen cannot be left and the till does not stop.
func (s returnState) inFlight() bool {
	switch s {
	case retRecording, retRefunding, retResolving, retCashing, retCompleting, retCancelling:
		return true
	}
	return false
}

// recorded reports whether the return is in the database, pending: it
// must be completed or cancelled before the screen is left.
func (s returnState) recorded() bool { return s.inFlight() || s == retFailed }

// returnMode tells a return by receipt from one without.
type returnMode int

const (
	modeReceipt   returnMode = iota // lines of the sale the receipt names
	modeNoReceipt                   // items from the catalogue, refunded in cash, with a manager
)

// entryMode is what the return screen's field takes.
type entryMode int

const (
	entryQuantity entryMode = iota // the selected line's quantity (grams when weighed)
	entryCode                      // an item code (a return without a receipt)
	entryNumber                    // a sale number
)

// returnOp names a step of the return protocol run in a command.
type returnOp int

const (
	opBegin    returnOp = iota + 1 // record the return (pos.Returns.Begin)
	opRefund                       // give the card parts back (RefundCards)
	opResolve                      // load the return as recorded, then RefundCards again
	opCash                         // the failed card parts in cash (RefundInCash)
	opComplete                     // stock and points back, cash paid (Complete)
	opCancel                       // nothing went back: end it (Cancel)
)

func (o returnOp) String() string {
	return [...]string{"", "record the return", "refund the card", "check the card refund",
		"refund in cash", "complete the return", "cancel the return"}[o]
}

// retrying is the state an operation waits in while it is retried.
func (o returnOp) state() returnState {
	switch o {
	case opBegin:
		return retRecording
	case opRefund:
		return retRefunding
	case opResolve:
		return retResolving
	case opCash:
		return retCashing
	case opComplete:
		return retCompleting
	}
	return retCancelling
}

// The return screen's messages. Each carries the id of what it answers: a
// request number for a look-up, the return's key for a step.

// returnStartMsg opens the return screen: by receipt (saleKey), typing a
// sale number, or without a receipt once a manager approved (manager).
type returnStartMsg struct {
	mode    returnMode
	saleKey string // by receipt: the sale scanned
	number  bool   // by receipt: ask for the sale number first
	manager pos.Cashier
}

// saleNumberMsg answers the look-up of a sale number.
type saleNumberMsg struct {
	req    int
	number int64
	key    string
	err    error
}

// returnableMsg answers pos.Returns.Open.
type returnableMsg struct {
	req int
	src pos.Returnable
	err error
}

// returnStepMsg answers a step of the return protocol.
type returnStepMsg struct {
	key  string
	step int
	op   returnOp
	ret  pos.Return
	err  error
}

// returnRetryMsg fires when it is time to run a waiting step again.
type returnRetryMsg struct {
	key  string
	step int // the step that failed
	op   returnOp
}

// refundReceiptMsg answers printing or saving a refund receipt.
type refundReceiptMsg struct {
	key, where string
	err        error
}
