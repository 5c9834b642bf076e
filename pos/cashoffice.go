package pos

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The cash office (issue 12): a till session is opened by a cashier with a
// counted float and closed by its Z report. Every cash movement of the
// drawer belongs to a session: the cash payments (and change) of its
// sales, the cash refunds of its returns, and the movements recorded here
// (paid-in, paid-out, pick-ups to the safe, no-sales). The X and Z reports
// are queries over the database, never running totals kept on the side.

// SessionStatus is the state of a till session.
type SessionStatus string

const (
	SessionOpen   SessionStatus = "open"
	SessionClosed SessionStatus = "closed" // by its Z report; never changes again
)

// Session is a till session: from the float to the Z.
type Session struct {
	ID        int64
	Key       string
	StoreID   string
	TillID    string
	Training  bool
	Currency  string
	OpenedBy  int64
	OpenedAt  time.Time
	Float     Money
	Status    SessionStatus
	ClosedBy  int64 // 0 while open
	ClosedAt  time.Time
	FloatNote CashCount // the float as counted
}

// MovementKind is what a cash movement recorded at the till is.
type MovementKind string

const (
	MovePaidIn  MovementKind = "paid_in"  // cash put in the drawer (change from the bank)
	MovePaidOut MovementKind = "paid_out" // cash taken out for an expense; a manager approves
	MovePickup  MovementKind = "pickup"   // cash taken to the safe
	MoveNoSale  MovementKind = "no_sale"  // the drawer opened without a sale; a manager approves
)

// Valid reports whether k is one of the kinds above.
func (k MovementKind) Valid() bool {
	switch k {
	case MovePaidIn, MovePaidOut, MovePickup, MoveNoSale:
		return true
	}
	return false
}

// NeedsManager reports whether a movement of this kind needs a manager's
// approval.
func (k MovementKind) NeedsManager() bool { return k == MovePaidOut || k == MoveNoSale }

// Label is the kind as a person reads it.
func (k MovementKind) Label() string {
	return map[MovementKind]string{MovePaidIn: "paid in", MovePaidOut: "paid out",
		MovePickup: "pick-up", MoveNoSale: "no sale"}[k]
}

// CashMovement is one paid-in, paid-out, pick-up or no-sale.
type CashMovement struct {
	ID         int64
	Key        string // idempotency key: one movement per key
	SessionID  int64
	StoreID    string
	TillID     string
	Kind       MovementKind
	Amount     Money // positive; 0 for a no-sale
	Reason     string
	CashierID  int64
	ApprovedBy int64 // the manager, for paid-out and no-sale
	CreatedAt  time.Time
}

// MaxReason is the longest reason a movement keeps.
const MaxReason = 255

// Validate checks a movement before anything is written.
func (m CashMovement) Validate() error {
	switch {
	case !m.Kind.Valid():
		return Errorf(EInvalid, "%q is not a kind of cash movement", m.Kind)
	case uuid.Validate(m.Key) != nil:
		return Errorf(EInvalid, "the cash movement has no valid key")
	case strings.TrimSpace(m.Reason) == "":
		return Errorf(EInvalid, "give a reason for the %s", m.Kind.Label())
	case len([]rune(m.Reason)) > MaxReason:
		return Errorf(EInvalid, "the reason is too long (at most %d characters)", MaxReason)
	case m.Kind == MoveNoSale && m.Amount != 0:
		return Errorf(EInvalid, "a no-sale moves no money")
	case m.Kind != MoveNoSale && m.Amount <= 0:
		return Errorf(EInvalid, "the amount of a %s must be more than zero", m.Kind.Label())
	case m.Amount > MaxMoney:
		return Errorf(EInvalid, "the amount is too large")
	case m.CashierID == 0:
		return Errorf(EInvalid, "no cashier is signed in")
	case m.Kind.NeedsManager() && m.ApprovedBy == 0:
		return Errorf(EConflict, "a %s needs a manager's approval", m.Kind.Label())
	case m.ApprovedBy != 0 && m.ApprovedBy == m.CashierID:
		return Errorf(EConflict, "another manager must approve a %s", m.Kind.Label())
	}
	return nil
}

// CountLine is how many of one note or coin were counted.
type CountLine struct {
	Denomination Money
	Quantity     int64
}

// CashCount is cash counted in the drawer: by denomination, or as one sum
// typed without denominations (Amount), or both.
type CashCount struct {
	Lines  []CountLine
	Amount Money
}

// CountOf is a count typed as one sum.
func CountOf(m Money) CashCount { return CashCount{Amount: m} }

// Total is what the count adds up to.
func (c CashCount) Total() Money {
	t := c.Amount
	for _, l := range c.Lines {
		t += l.Denomination * Money(l.Quantity)
	}
	return t
}

// Validate checks the count against the currency's notes and coins: known
// denominations only, each once, no negative quantity or sum, nothing
// beyond what the database holds.
func (c CashCount) Validate(cur Currency) error {
	if c.Amount < 0 {
		return Errorf(EInvalid, "a counted amount cannot be negative")
	}
	known := Denominations(cur)
	seen := map[Money]bool{}
	total := c.Amount
	for _, l := range c.Lines {
		switch {
		case !slices.Contains(known, l.Denomination):
			return Errorf(EInvalid, "%s is not a note or coin of %s", cur.Format(l.Denomination), cur.Code)
		case seen[l.Denomination]:
			return Errorf(EInvalid, "%s is counted twice", cur.Format(l.Denomination))
		case l.Quantity < 0:
			return Errorf(EInvalid, "a count of %s cannot be negative", cur.Format(l.Denomination))
		case l.Quantity > int64(MaxMoney/l.Denomination) || total > MaxMoney-l.Denomination*Money(l.Quantity):
			return Errorf(EInvalid, "the count is too large")
		}
		seen[l.Denomination] = true
		total += l.Denomination * Money(l.Quantity)
	}
	return nil
}

// Normal is the count with empty lines dropped and the rest sorted from
// the largest note down, as it is stored and printed.
func (c CashCount) Normal() CashCount {
	out := CashCount{Amount: c.Amount}
	for _, l := range c.Lines {
		if l.Quantity != 0 {
			out.Lines = append(out.Lines, l)
		}
	}
	slices.SortFunc(out.Lines, func(a, b CountLine) int { return int(b.Denomination - a.Denomination) })
	return out
}

// Denominations is the currency's notes and coins in minor units, largest
// first; nil for a currency the till does not know (count it as one sum).
func Denominations(cur Currency) []Money {
	switch cur.Code {
	case "EUR":
		return []Money{500_00, 200_00, 100_00, 50_00, 20_00, 10_00, 5_00, 2_00, 1_00, 50, 20, 10, 5, 2, 1}
	case "GBP":
		return []Money{50_00, 20_00, 10_00, 5_00, 2_00, 1_00, 50, 20, 10, 5, 2, 1}
	case "USD":
		return []Money{100_00, 50_00, 20_00, 10_00, 5_00, 2_00, 1_00, 50, 25, 10, 5, 1}
	case "JPY":
		return []Money{10_000, 5_000, 2_000, 1_000, 500, 100, 50, 10, 5, 1}
	}
	return nil
}

// OpenRequest opens a session at a till.
type OpenRequest struct {
	Key       string
	StoreID   string
	TillID    string
	CashierID int64
	Training  bool
	Currency  string
	Float     CashCount
}

// CloseRequest closes the till's open session with its Z report.
type CloseRequest struct {
	Key       string // idempotency key of the close: a repeat answers the same Z
	StoreID   string
	TillID    string
	SessionID int64 // the session the cashier counted; 0: the one open
	CashierID int64
	Counted   CashCount
}

// Tally is a count and an amount.
type Tally struct {
	Count  int64
	Amount Money
}

// TenderTotal is a tender's count and amount.
type TenderTotal struct {
	Method Method
	Count  int64
	Amount Money
}

// TaxTotal is the net, tax and gross of one tax rate: sales less returns.
type TaxTotal struct {
	Rate  int // basis points
	Net   Money
	Tax   Money
	Gross Money
}

// ReportCashier is a cashier who worked in the session.
type ReportCashier struct {
	ID     int64
	Number string
	Name   string
}

// ReportKind says whether a report is an X (the open session, read-only)
// or a Z (the close).
type ReportKind string

const (
	ReportX ReportKind = "X"
	ReportZ ReportKind = "Z"
)

// Report is an X or Z report: every figure read from the database.
type Report struct {
	Kind     ReportKind
	ZNumber  int64 // Z only
	Session  Session
	From, To time.Time // the period: the opening, and the close (Z) or the report's time (X)
	Cashiers []ReportCashier

	Float         Money
	Sales         Tally // completed sales, totals with their cash rounding
	SalesByTender []TenderTotal
	CashTendered  Money // cash handed over for sales
	Change        Money // cash handed back
	TaxByRate     []TaxTotal
	Discounts     Tally // lines with a discount: how many, how much off
	Overrides     Tally // lines with a price override: how many, their totals
	Released      Tally // sales voided or failed before payment (no money kept)
	Returns       Tally // completed returns, refunded amount
	Voids         Tally // completed voids of completed sales, refunded amount
	Refunds       []TenderTotal
	RefundsOwed   Tally // cash refunds never handed out (the till stopped): owed to the customer
	CashRounding  Money // sales' and returns' cash rounding
	NoSales       int64
	PaidIn        Tally
	PaidOut       Tally
	Pickups       Tally

	ExpectedCash Money
	Counted      CashCount
	HasCount     bool  // Z: the cash counted at the close
	Difference   Money // counted − expected (Z)

	FirstSale, LastSale int64 // sale numbers; 0 when none
	NetTotal            Money // sales − returns − voids
	GrandTotal          Money // the till's running total of every Z's NetTotal, this one included (X: as if closed now)

	// Sales and returns made at this till while no session was open,
	// listed by the next Z (not in its totals or expected cash).
	OutsideSales   Tally
	OutsideReturns Tally
	// Pending sales and returns of the session (a Z refuses to close
	// while there are any).
	Pending int64
	// Baskets parked at this till and still waiting at the report's time.
	Parked Tally
	// The session's completed sales that were made offline and forwarded
	// (issue 16): already inside Sales, SalesByTender and the expected
	// cash, counted here once more only to be listed.
	Offline Tally
	// The stock shortages of the session's sales: what a forwarded offline
	// sale took that its store did not have, by sale and item.
	Shortages []ReportShortage
}

// ReportShortage is one item a sale of the session was short of: the sale
// took Wanted, the store had Available (grams when Weighed).
type ReportShortage struct {
	SaleID    int64
	Item      string
	Weighed   bool
	Wanted    int64
	Available int64
}

// ExpectedCashOf is the drawer's cash by the figures: the float, plus cash
// taken for sales (tendered less change), less cash refunds handed out,
// plus paid-in, less paid-out and pick-ups.
func (r Report) ExpectedCashOf() Money {
	cash := r.Float + r.PaidIn.Amount - r.PaidOut.Amount - r.Pickups.Amount
	for _, t := range r.SalesByTender {
		if t.Method == MethodCash {
			cash += t.Amount
		}
	}
	for _, t := range r.Refunds {
		if t.Method == MethodCash {
			cash -= t.Amount
		}
	}
	return cash
}

// CashOfficeStore keeps sessions, movements and reports. Each method is
// one database transaction, idempotent by its key.
type CashOfficeStore interface {
	// OpenSession opens a session at a till; EConflict if one is open.
	OpenSession(ctx context.Context, req OpenRequest) (Session, error)
	// OpenSessionAt returns the till's open session, ENotFound if none.
	OpenSessionAt(ctx context.Context, storeID, tillID string) (Session, error)
	// RecordMovement records a paid-in, paid-out, pick-up or no-sale in
	// the till's open session, audited; paid-out and no-sale need a
	// manager (ApprovedBy), which the store checks.
	RecordMovement(ctx context.Context, m CashMovement) (CashMovement, error)
	// XReport reads the till's open session's figures.
	XReport(ctx context.Context, storeID, tillID string) (Report, error)
	// CloseSession closes the till's open session and returns its Z.
	CloseSession(ctx context.Context, req CloseRequest) (Report, error)
	// ZReport reads a closed session's Z by its number.
	ZReport(ctx context.Context, storeID, tillID string, zNumber int64) (Report, error)
}

// ReportPrinter gives a closed Z to the receipt path: printed on the
// roll, saved to the till's archive and uploaded, like a receipt (the
// receipts package draws it with RenderReport).
type ReportPrinter interface {
	PrintReport(ctx context.Context, r Report) error
}

// CashOffice is the till's side of the cash office: it fills in the
// till's part of each request, checks it, opens the drawer when a
// movement that needs it is recorded, and prints the Z.
type CashOffice struct {
	Store    CashOfficeStore
	Drawer   Drawer        // nil: no drawer on this till
	Printer  ReportPrinter // nil: the Z is not printed
	Settings Settings
}

// Open opens a session with the counted float.
func (c *CashOffice) Open(ctx context.Context, cashierID int64, float CashCount) (Session, error) {
	if err := float.Validate(c.Settings.Currency); err != nil {
		return Session{}, err
	}
	return c.Store.OpenSession(ctx, OpenRequest{Key: NewKey(), StoreID: c.Settings.StoreID,
		TillID: c.Settings.TillID, CashierID: cashierID, Training: c.Settings.Training,
		Currency: c.Settings.Currency.Code, Float: float.Normal()})
}

// Current returns the till's open session (ENotFound when none).
func (c *CashOffice) Current(ctx context.Context) (Session, error) {
	return c.Store.OpenSessionAt(ctx, c.Settings.StoreID, c.Settings.TillID)
}

// Move records a paid-in, paid-out, pick-up or no-sale (approvedBy: the
// manager pos.Approver returned, for paid-out and no-sale) and then opens
// the drawer. A drawer that does not open is reported with the movement
// recorded (the error's code is EUnavailable).
func (c *CashOffice) Move(ctx context.Context, kind MovementKind, amount Money, reason string, cashierID, approvedBy int64) (CashMovement, error) {
	m := CashMovement{Key: NewKey(), StoreID: c.Settings.StoreID, TillID: c.Settings.TillID, Kind: kind,
		Amount: amount, Reason: strings.TrimSpace(reason), CashierID: cashierID, ApprovedBy: approvedBy}
	if err := m.Validate(); err != nil {
		return m, err
	}
	done, err := c.Store.RecordMovement(ctx, m)
	if err != nil {
		return done, err
	}
	if c.Drawer != nil {
		if err := c.Drawer.OpenDrawer(ctx); err != nil {
			return done, WrapError(EUnavailable, err, "the %s is recorded, but the drawer did not open", kind.Label())
		}
	}
	return done, nil
}

// X reads the open session's report.
func (c *CashOffice) X(ctx context.Context) (Report, error) {
	return c.Store.XReport(ctx, c.Settings.StoreID, c.Settings.TillID)
}

// Z closes the open session with the cash counted, prints the Z and
// returns it. A Z that does not print is closed all the same: the report
// comes back with an EUnavailable error, and store.ZReport reads it again
// for a reprint.
func (c *CashOffice) Z(ctx context.Context, cashierID int64, counted CashCount) (Report, error) {
	if err := counted.Validate(c.Settings.Currency); err != nil {
		return Report{}, err
	}
	r, err := c.Store.CloseSession(ctx, CloseRequest{Key: NewKey(), StoreID: c.Settings.StoreID,
		TillID: c.Settings.TillID, CashierID: cashierID, Counted: counted.Normal()})
	if err != nil || c.Printer == nil {
		return r, err
	}
	if err := c.Printer.PrintReport(ctx, r); err != nil {
		return r, WrapError(EUnavailable, err, "Z %d is closed, but it did not print", r.ZNumber)
	}
	return r, nil
}
