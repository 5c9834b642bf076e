package ui

import (
	"time"

	"github.com/till-pos/till/pos"
)

// Every I/O command answers with one of these. Each carries the id of what
// it answers (a request number or the sale key), so an answer that arrives
// after the cashier moved on is recognised and dropped.

// catalogMsg answers a catalog load or refresh.
type catalogMsg struct {
	items []pos.Item
	err   error
}

// refreshMsg is the timer that starts the next catalog refresh.
type refreshMsg struct{}

// signedInMsg answers a sign-in.
type signedInMsg struct {
	req     int
	cashier pos.Cashier
	err     error
}

// cardCustomerMsg answers a loyalty card scanned into the basket.
type cardCustomerMsg struct {
	saleKey  string
	card     string
	try      int // how many lookups of the card failed before this one
	customer pos.Customer
	err      error
}

// customersMsg answers a customer search.
type customersMsg struct {
	req   int
	found []pos.Customer
	err   error
}

// auditMsg answers an audit log write.
type auditMsg struct {
	entry pos.AuditEntry
	err   error
	// spooled: the database did not take it, the till's disk did (the
	// offline audit spool): it is written once the database is back.
	spooled bool
}

// drawerMsg answers a kick of the cash drawer.
type drawerMsg struct{ err error }

// stepMsg answers a step of the sale protocol (pos.Step): recording,
// reserving, charging a card, looking a card payment up, voiding. attempt
// is the card payment it belongs to (0 for the others).
type stepMsg struct {
	attempt int
	result  pos.Result
}

// cardStartMsg tells the payment screen to start a card payment: step is
// the reservation or the charge the sale returned.
type cardStartMsg struct {
	amount pos.Money
	step   pos.Step
}

// saleDoneMsg tells the done screen which sale was just recorded.
type saleDoneMsg struct{ sale pos.Sale }

// retryOp names what a retryMsg tries again.
type retryOp int

const (
	retryFinish   retryOp = iota + 1 // record the sale (SellCash or Complete)
	retryReserve                     // reserve the sale before a card
	retryResolve                     // ask what became of a card payment
	retryRelease                     // void the recorded sale
	retryCustomer                    // look up the customer of a loyalty card scanned
)

// retryMsg fires when it is time to try a waiting operation again.
type retryMsg struct {
	op      retryOp
	saleKey string
	attempt int
	card    string // retryCustomer: the loyalty card
	try     int    // retryCustomer: how many lookups failed
}

// receiptMsg answers printing or saving a receipt.
type receiptMsg struct {
	saleKey string
	where   string
	err     error
}

// backoff is the wait before retry n (0-based): 1s, 2s, 4s, then 8s.
func backoff(n int) time.Duration {
	return time.Second << min(n, 3)
}
