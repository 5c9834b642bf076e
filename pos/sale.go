package pos

import "time"

// SaleStatus is the seed's payment_status of a sale (transactions row).
type SaleStatus string

const (
	SalePending   SaleStatus = "pending"   // reserved: stock taken, not yet paid
	SaleCompleted SaleStatus = "completed" // paid; never changes again
	SaleFailed    SaleStatus = "failed"    // released after a payment failure or recovery
	SaleVoided    SaleStatus = "voided"    // released because the cashier cancelled it
)

// Sale is a recorded (or about to be recorded) sale.
type Sale struct {
	ID         int64
	Key        string // idempotency key: one sale per key, ever
	StoreID    string
	TillID     string
	CashierID  int64
	CustomerID int64 // 0: no customer
	Training   bool
	Currency   string // ISO 4217 code of the store's currency
	Lines      []Line
	Totals     Totals
	// CashRounding is added to Total when the last part is paid in cash
	// (e.g. −0.02 to round 13.47 down to 13.45). It is its own receipt line.
	CashRounding Money
	Status       SaleStatus
	Payments     []Payment
	PointsEarned int64
	CreatedAt    time.Time
	CompletedAt  time.Time
	// Offline: sold while the database could not be reached, kept in the
	// till's journal and forwarded later (its receipt says OFFLINE).
	Offline bool
}

// Paid is the sum of the sale's approved payments.
func (s Sale) Paid() Money {
	var sum Money
	for _, p := range s.Payments {
		if p.Status == PaymentApproved {
			sum += p.Amount
		}
	}
	return sum
}

// Due is what is left to pay (before cash rounding of that rest).
func (s Sale) Due() Money { return s.Totals.Total + s.CashRounding - s.Paid() }

// Change is the cash handed back to the customer.
func (s Sale) Change() Money {
	var sum Money
	for _, p := range s.Payments {
		sum += p.Change
	}
	return sum
}

// HasCash reports whether cash was taken: the drawer opens for such a sale.
func (s Sale) HasCash() bool {
	for _, p := range s.Payments {
		if p.Method == MethodCash && p.Status == PaymentApproved {
			return true
		}
	}
	return false
}

// Method is how a payment is made.
type Method string

const (
	MethodCash Method = "cash"
	MethodCard Method = "card"
)

// PaymentStatus is the state of one payment attempt.
type PaymentStatus string

const (
	PaymentPending   PaymentStatus = "pending"   // row written, gateway not answered yet
	PaymentApproved  PaymentStatus = "approved"  // money taken
	PaymentDeclined  PaymentStatus = "declined"  // the bank said no
	PaymentCancelled PaymentStatus = "cancelled" // cancelled at the till or reader
	PaymentFailed    PaymentStatus = "failed"    // an error with no charge
	PaymentUnknown   PaymentStatus = "unknown"   // no answer: recovery must ask the gateway
	PaymentRefunded  PaymentStatus = "refunded"  // approved, then given back
)

// Final reports whether the status can no longer change by itself.
func (s PaymentStatus) Final() bool {
	return s != PaymentPending && s != PaymentUnknown
}

// Payment is one tender or payment attempt. Only the gateway's ids, the card
// brand, the last 4 digits and the authorisation code are ever kept.
type Payment struct {
	AttemptKey  string // unique per attempt; the gateway's idempotency key derives from it
	SaleKey     string
	Method      Method
	Status      PaymentStatus
	Amount      Money // applied to the sale
	Tendered    Money // cash handed over (cash only)
	Change      Money // cash handed back (cash only)
	Provider    string
	ProviderRef string // e.g. the PaymentIntent id
	CardBrand   string
	CardLast4   string
	AuthCode    string
	Message     string // the gateway's reason for a decline or failure, for the cashier
	CreatedAt   time.Time
}

// Settings is the store and till configuration the sale core needs. It is
// read once in cmd/till and passed down as a value.
type Settings struct {
	StoreID  string
	TillID   string
	Currency Currency
	TaxMode  TaxMode
	// CashRounding is the step cash amounts round to (e.g. 5 for 0.05); 0 is none.
	CashRounding Money
	// PointsPer is how many minor units of total earn one loyalty point; 0 is none.
	PointsPer Money
	Training  bool
	Scan      ScanRules
	// CashOverLimit is how much a cash amount typed at the till may exceed
	// what is due; anything more is refused as a slip (a scanned code or a
	// mistyped amount) and nothing is recorded. 0: the currency's largest
	// banknote (Currency.LargestNote).
	CashOverLimit Money
	// ReturnApprovalOver: a return worth more needs a manager's approval
	// (POS_RETURN_APPROVAL_OVER; 0: no limit).
	ReturnApprovalOver Money
	// DiscountLimit is the largest discount, in basis points of what is
	// discounted (a line, or the basket), a cashier gives without a
	// manager's approval (POS_DISCOUNT_LIMIT_PERCENT; 0: every discount
	// needs one).
	DiscountLimit int
	// PriceOverrideLimit is how far, in basis points of the catalogue
	// price, a cashier may change a line's price without a manager's
	// approval (POS_PRICE_OVERRIDE_LIMIT_PERCENT; 0: every override needs
	// one).
	PriceOverrideLimit int
	// OpenPriceMax is the largest price typed for an open-price item (one
	// whose catalogue price is 0) or as an override (POS_OPEN_PRICE_MAX;
	// 0: DefaultOpenPriceMax).
	OpenPriceMax Money
}

// RoundCash rounds a cash amount due to the store's cash step, half away
// from zero, and returns the rounded amount and the adjustment.
func (s Settings) RoundCash(due Money) (Money, Money) {
	if s.CashRounding <= 1 || due <= 0 {
		return due, 0
	}
	r := Money(divRound(int64(due), int64(s.CashRounding))) * s.CashRounding
	return r, r - due
}

// Points is the loyalty points a sale's total earns.
func (s Settings) Points(total Money) int64 {
	if s.PointsPer <= 0 || total <= 0 {
		return 0
	}
	return int64(total / s.PointsPer)
}
