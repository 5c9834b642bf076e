// Package ui is the cashier's screen: a Bubble Tea program whose root model
// routes messages to one model per screen (sign-in, basket, customer lookup,
// tender, payment in progress, sale done).
//
// The ui talks to the rest of the till only through pos types and
// interfaces, and only inside tea.Cmd functions, so the screen never blocks
// on the network: every call returns a typed message carrying the id of what
// it answers, and stale answers are dropped.
package ui

import (
	"context"
	"log/slog"
	"time"

	"github.com/till-pos/till/pos"
)

// ReceiptSink prints or saves a finished sale's receipt. The receipts issue
// plugs in here; nil means receipts are not set up on this till, and the
// done screen says so.
type ReceiptSink interface {
	Print(ctx context.Context, sale pos.Sale) error
	// Save stores the receipt and returns where (a path or an address).
	Save(ctx context.Context, sale pos.Sale) (string, error)
}

// RefundReceiptSink prints or saves a return's refund receipt (marked
// REFUND, naming the sale returned); nil: refund receipts are not set up.
type RefundReceiptSink interface {
	PrintReturn(ctx context.Context, ret pos.Return) error
	// SaveReturn stores the refund receipt and returns where.
	SaveReturn(ctx context.Context, ret pos.Return) (string, error)
}

// SaleNumbers finds a sale's key from the number printed on its receipt
// (the store's SaleKeyByNumber).
type SaleNumbers interface {
	SaleKeyByNumber(ctx context.Context, number int64) (string, error)
}

// CardSimulator lets a trainer choose what the next simulated card payment
// does. It is nil on a real till, and its keys are then not shown.
type CardSimulator interface {
	NextDecline()
	NextTimeout()
}

// TestCardReader presents Stripe's test cards to the payment waiting on a
// test-mode reader. It is nil on a live till, and its keys are then not
// shown.
type TestCardReader interface {
	PresentTestCard(ctx context.Context, decline bool) error
}

// ReportSink prints or saves an X or Z report through the receipt path
// (nil: reports are not set up; the report is still shown).
type ReportSink interface {
	PrintReport(ctx context.Context, r pos.Report) error
	// SaveReport stores the report and returns where.
	SaveReport(ctx context.Context, r pos.Report) (string, error)
}

// Deps is everything the screen needs from the outside world, wired in
// cmd/till.
type Deps struct {
	// Checkout runs the sale protocol; its Settings are the till's settings
	// and its Gateway (nil: cash only) takes card payments.
	Checkout  *pos.Checkout
	Catalog   pos.Catalog
	Customers pos.Customers
	Cashiers  pos.Cashiers
	Audit     pos.AuditLog
	Receipts  ReceiptSink // nil: receipts are not set up
	// Returns runs returns and refunds (nil: returns are not on this
	// till); Approver checks a manager's number and PIN at the till.
	Returns        *pos.Returns
	Approver       *pos.Approver
	Unlocker       pos.Unlocker      // nil: a manager cannot unlock a cashier at the till
	RefundReceipts RefundReceiptSink // nil: refund receipts are not set up
	// SaleNumbers finds a sale by the number printed on its receipt (nil:
	// a return starts only from the receipt's barcode).
	SaleNumbers SaleNumbers
	// Parked keeps parked baskets (nil: parking is not set up);
	// ParkedTickets prints their tickets (nil: none printed).
	Parked        pos.ParkedStore
	ParkedTickets ParkedTickets
	// ReceiptCopies reprints receipts marked COPY (nil: not set up).
	ReceiptCopies ReceiptCopies
	Drawer        pos.Drawer // nil: no cash drawer on this till
	// CashOffice opens and closes the till's sessions and records its
	// cash movements (nil: no cash office on this till, and no banner
	// asks for a float); Reports prints and saves its X and Z.
	CashOffice *pos.CashOffice
	Reports    ReportSink
	CardSim    CardSimulator  // nil: a real card reader
	TestCards  TestCardReader // nil: not a test-mode reader
	// CardNote says which card reader is in use, e.g. "simulated card
	// reader"; shown in the header so nobody mistakes it for a real one.
	CardNote string
	// Hint is shown on the sign-in screen (training: the demo PINs).
	Hint []string
	// RefreshEvery is how often the catalog cache asks for changed items;
	// 0 means 30 seconds.
	RefreshEvery time.Duration
	// MaxQuantityUnconfirmed is the largest quantity (F2, or "N*" before a
	// code) taken without asking the cashier to confirm; 0 means 50.
	MaxQuantityUnconfirmed int64
	// OfflineStatus brings the offline forwarder's news (nil: this till
	// does not sell offline, or nobody forwards); OfflineApprover checks a
	// manager against the till's snapshot when the database cannot be
	// reached; OfflineNeedsManager: going offline needs a manager.
	// Checkout.Journal keeps the offline sales.
	OfflineStatus       <-chan OfflineStatus
	OfflineApprover     *pos.Approver
	OfflineNeedsManager bool
	// Location is the store's time zone (POS_TIMEZONE), for the clock on
	// screen, as on the receipts; nil means the machine's.
	Location *time.Location
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives what the screen has to say (never the terminal: the
	// screen owns it); nil discards it.
	Log *slog.Logger
}
