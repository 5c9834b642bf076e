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
}

// cardMsg answers a card payment (with the reservation made first if the
// sale was not reserved yet).
type cardMsg struct {
	attempt int
	saleKey string
	// reserved is the sale as recorded, when this command reserved it.
	reserved *pos.Sale
	payment  pos.Payment
	err      error
}

// resolvedMsg answers a lookup of a card payment whose outcome was unknown.
type resolvedMsg struct {
	attempt int
	saleKey string
	payment pos.Payment
	err     error
}

// completedMsg answers recording the sale (SellCash or Complete).
type completedMsg struct {
	saleKey string
	sale    pos.Sale
	err     error
}

// releasedMsg answers voiding a recorded sale.
type releasedMsg struct {
	saleKey string
	err     error
}

// retryMsg fires when it is time to try a waiting operation again.
type retryMsg struct {
	op      string // "finish", "card", "resolve", "release"
	saleKey string
	attempt int
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
