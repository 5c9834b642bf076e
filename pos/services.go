package pos

import (
	"context"
	"time"
)

// Catalog reads the items a till sells. The till keeps them in memory and
// asks only for what changed since its last refresh.
type Catalog interface {
	// Items returns the items updated at or after since (all of them for the
	// zero time), ordered by UpdatedAt.
	Items(ctx context.Context, since time.Time) ([]Item, error)
}

// Customers finds loyalty customers.
type Customers interface {
	// FindCustomers matches a phone number, email, name or loyalty card.
	FindCustomers(ctx context.Context, query string, limit int) ([]Customer, error)
	// CustomerByCard returns the customer whose loyalty card this is.
	CustomerByCard(ctx context.Context, card string) (Customer, error)
}

// Cashiers signs cashiers in.
type Cashiers interface {
	// SignIn checks a cashier's PIN at a store's till. Wrong PINs are
	// counted and audited; after MaxPINAttempts in a row sign-in is locked
	// for PINLockout.
	SignIn(ctx context.Context, storeID, tillID, number, pin string) (Cashier, error)
}

// MaxPINAttempts wrong PINs in a row lock a cashier's sign-in for PINLockout.
const (
	MaxPINAttempts = 3
	PINLockout     = 2 * time.Minute
)

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	StoreID   string
	TillID    string
	CashierID int64  // 0: nobody signed in
	Action    string // e.g. "void_line", "void_sale", "sign_in_failed"
	SaleKey   string
	Detail    string
}

// AuditLog appends to the audit log.
type AuditLog interface {
	Audit(ctx context.Context, e AuditEntry) error
}

// Drawer opens the till's cash drawer (a pulse through the receipt printer
// it hangs off). The till opens it when a sale with a cash tender
// completes, when a cash refund is paid out and on a no-sale; a failure is
// told to the cashier and never undoes the sale.
type Drawer interface {
	OpenDrawer(ctx context.Context) error
}

// Metrics receives the till's measurements, named by the Metric constants
// (metrics.go). A nil Metrics keeps none. Implementations must not block:
// they are called on the sale path.
type Metrics interface {
	Count(name string, n float64)
	Duration(name string, d time.Duration)
	Gauge(name string, v float64)
}
