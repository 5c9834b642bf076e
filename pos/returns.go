package pos

import (
	"cmp"
	"context"
	"math/big"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// A return gives goods back and money back. It is its own record: it names
// the sale it returns (none without a receipt), its lines and its refunds;
// the sale is never changed. The store enforces, under the sale's row lock,
// that no line is returned beyond what was sold and no payment refunded
// beyond what it paid, however many tills return the same receipt at once.

// ReturnReason is why a line comes back.
type ReturnReason string

const (
	ReasonDamaged     ReturnReason = "damaged" // never goes back to stock
	ReasonWrongItem   ReturnReason = "wrong_item"
	ReasonChangedMind ReturnReason = "changed_mind"
	ReasonOther       ReturnReason = "other"
)

// ReturnReasons lists the reasons in the order the till offers them.
var ReturnReasons = []ReturnReason{ReasonChangedMind, ReasonWrongItem, ReasonDamaged, ReasonOther}

// Label is the reason as a cashier and a receipt read it.
func (r ReturnReason) Label() string {
	switch r {
	case ReasonDamaged:
		return "damaged"
	case ReasonWrongItem:
		return "wrong item"
	case ReasonChangedMind:
		return "changed mind"
	case ReasonOther:
		return "other"
	}
	return string(r)
}

// Valid reports whether r is one of the reasons.
func (r ReturnReason) Valid() bool {
	switch r {
	case ReasonDamaged, ReasonWrongItem, ReasonChangedMind, ReasonOther:
		return true
	}
	return false
}

// ReturnKind tells a return from the void of a completed sale (a full
// return made the same day, with the same guarantees).
type ReturnKind string

const (
	KindReturn ReturnKind = "return"
	KindVoid   ReturnKind = "void"
)

// ReturnStatus is where a return is in its protocol.
type ReturnStatus string

const (
	ReturnPending   ReturnStatus = "pending"   // recorded; refunds not all settled
	ReturnCompleted ReturnStatus = "completed" // money back, stock back; never changes
	ReturnFailed    ReturnStatus = "failed"    // nothing was refunded; nothing happened
)

// RefundOwed is a cash refund the till never handed out: it stopped before
// the return completed, after a card part had gone back. A manager pays it
// from the drawer; the audit log and `till reconcile` say so.
const RefundOwed PaymentStatus = "owed"

// ReturnLine is one line of a return.
type ReturnLine struct {
	// SaleLine is the returned sale's line (1-based); 0 without a receipt.
	SaleLine int
	ItemID   ItemID
	Code     string
	Name     string
	Weighed  bool
	// Quantity counts pieces, or grams when Weighed.
	Quantity  int64
	UnitPrice Money
	TaxRate   int
	Reason    ReturnReason
	// Restock puts the quantity back in the store's stock (never for damaged).
	Restock bool
	// What the line refunds: its share of the sold line's amounts.
	Net, Tax, Gross Money
}

// Refund is one refund of a return: cash, or one card refund attempt
// against one of the sale's card payments.
type Refund struct {
	AttemptKey string // unique per attempt; the gateway's idempotency key derives from it
	ReturnKey  string
	Method     Method
	// Status is PaymentPending, PaymentApproved (the money went back),
	// PaymentFailed, PaymentUnknown or RefundOwed.
	Status PaymentStatus
	Amount Money
	// PaymentKey and PaymentRef name the sale's card payment refunded (its
	// attempt key and the gateway's reference, e.g. the PaymentIntent).
	PaymentKey  string
	PaymentRef  string
	Provider    string
	ProviderRef string // the gateway's refund id
	CardBrand   string
	CardLast4   string
	Message     string
	CreatedAt   time.Time
}

// Return is a recorded (or planned) return.
type Return struct {
	ID         int64
	Key        string // idempotency key: one return per key, ever
	SaleKey    string // "" without a receipt
	SaleID     int64  // the returned sale's number, printed on its receipt
	Kind       ReturnKind
	StoreID    string
	TillID     string
	CashierID  int64
	ApprovedBy int64 // the approving manager; 0: none needed
	CustomerID int64
	Training   bool
	Currency   string
	Lines      []ReturnLine
	Subtotal   Money
	Tax        Money
	Total      Money // what the lines are worth
	// CashRounding is added to Total for the cash part (e.g. −0.02).
	CashRounding     Money
	CashInstead      bool // a manager approved cash instead of the card
	Refunds          []Refund
	PointsReversed   int64
	PointsUnreversed int64 // the customer had spent them
	Status           ReturnStatus
	// Approval says why the return needs a manager ("" when it does not);
	// the store refuses it without ApprovedBy.
	Approval    string
	CreatedAt   time.Time
	CompletedAt time.Time
}

// Refunded is the money going back: Total plus CashRounding.
func (r Return) Refunded() Money { return r.Total + r.CashRounding }

// CashBack is the cash handed to the customer.
func (r Return) CashBack() Money { return r.sum(MethodCash, PaymentApproved, PaymentPending) }

// CardBack is what went back to cards.
func (r Return) CardBack() Money { return r.sum(MethodCard, PaymentApproved) }

func (r Return) sum(m Method, statuses ...PaymentStatus) Money {
	var s Money
	for _, f := range r.Refunds {
		if f.Method != m {
			continue
		}
		for _, st := range statuses {
			if f.Status == st {
				s += f.Amount
			}
		}
	}
	return s
}

// CardsSettled reports whether no card refund is waiting for an answer.
func (r Return) CardsSettled() bool {
	for _, f := range r.Refunds {
		if f.Method == MethodCard && !f.Status.Final() {
			return false
		}
	}
	return true
}

// MoneyMoved reports whether any refund went back or may have.
func (r Return) MoneyMoved() bool {
	for _, f := range r.Refunds {
		if f.Method == MethodCard && f.Status != PaymentFailed {
			return true
		}
	}
	return false
}

// Returnable is a sale as a return sees it: what each line and each
// payment has left after earlier returns (pending and completed ones).
type Returnable struct {
	Sale Sale
	// Per sale line (index = line_no − 1): quantity and amounts already
	// returned.
	Returned      []int64
	ReturnedGross []Money
	ReturnedTax   []Money
	// CardRefunded is what each card payment (by attempt key) has refunded
	// or may have (approved, pending, unknown).
	CardRefunded map[string]Money
	// Refunded is every refund so far, cash and card (not failed ones).
	Refunded       Money
	PointsReversed int64 // planned by earlier returns, taken back or not
}

// Left is how much of line i (0-based) can still be returned.
func (r Returnable) Left(i int) int64 {
	if i < 0 || i >= len(r.Sale.Lines) {
		return 0
	}
	var done int64
	if i < len(r.Returned) {
		done = r.Returned[i]
	}
	return r.Sale.Lines[i].Quantity - done
}

// FullyReturned reports whether nothing is left to return.
func (r Returnable) FullyReturned() bool {
	for i := range r.Sale.Lines {
		if r.Left(i) > 0 {
			return false
		}
	}
	return true
}

// ReturnRequest is what the till asks the store to record.
type ReturnRequest struct {
	Key        string
	SaleKey    string // "" without a receipt
	Kind       ReturnKind
	StoreID    string
	TillID     string
	CashierID  int64
	ApprovedBy int64
	Training   bool
	Currency   string
	// Lines: SaleLine, Quantity, Reason and Restock for a receipt return;
	// without a receipt also the item (ItemID, Code, Name, Weighed) and its
	// catalogue price and tax rate.
	Lines       []ReturnLine
	CashInstead bool
	// The store's cash step and tax mode, for the cash part and for lines
	// priced from the catalogue.
	CashStep Money
	TaxMode  TaxMode
	// ApprovalOver: a return worth more needs a manager (0: no limit).
	ApprovalOver Money
}

// PlanReturn works out a return from what is left of its sale: each line's
// share of the sold line's amounts (so that returning a line in parts
// refunds exactly what it cost in total), the refunds — card first, each
// card payment up to what it has left, then cash, unless CashInstead — and
// the loyalty points to take back. It does no I/O: the till calls it to
// show the return, and the store calls it again under the sale's lock with
// what is left then, which is what counts.
func PlanReturn(src Returnable, req ReturnRequest) (Return, error) {
	if _, err := uuid.Parse(req.Key); err != nil {
		return Return{}, Errorf(EInvalid, "the return has no valid key")
	}
	if len(req.Lines) == 0 {
		return Return{}, Errorf(EInvalid, "choose what comes back")
	}
	ret := Return{Key: req.Key, SaleKey: req.SaleKey, Kind: cmp.Or(req.Kind, KindReturn),
		StoreID: req.StoreID, TillID: req.TillID, CashierID: req.CashierID, ApprovedBy: req.ApprovedBy,
		Training: req.Training, Currency: req.Currency, CashInstead: req.CashInstead, Status: ReturnPending}
	if req.SaleKey == "" {
		if err := planUnreceipted(&ret, req); err != nil {
			return Return{}, err
		}
	} else if err := planFromSale(&ret, src, req); err != nil {
		return Return{}, err
	}
	// A return can be worth nothing (a few grams of a cheap weighed line):
	// the goods still come back, with no refund.
	switch {
	case req.SaleKey == "":
		ret.Approval = "a return without a receipt"
	case req.CashInstead:
		ret.Approval = "cash instead of the card"
	case req.ApprovalOver > 0 && ret.Total > req.ApprovalOver:
		ret.Approval = "a return over the limit"
	}
	return ret, planRefunds(&ret, src, req.CashStep)
}

func planFromSale(ret *Return, src Returnable, req ReturnRequest) error {
	sale := src.Sale
	if sale.Key != req.SaleKey {
		return Errorf(EInvalid, "the return does not match its sale")
	}
	if sale.Status != SaleCompleted {
		return Errorf(EConflict, "sale %d is %s: only a completed sale can be returned", sale.ID, sale.Status)
	}
	if sale.Training != req.Training {
		if sale.Training {
			return Errorf(EConflict, "that is a training receipt: return it in training mode")
		}
		return Errorf(EConflict, "a real sale cannot be returned in training mode")
	}
	ret.SaleID, ret.CustomerID, ret.Currency = sale.ID, sale.CustomerID, sale.Currency
	ret.StoreID = cmp.Or(ret.StoreID, sale.StoreID)
	seen := map[int]bool{}
	var grossBefore, grossNow Money
	for _, g := range src.ReturnedGross {
		grossBefore += g
	}
	for _, want := range req.Lines {
		i := want.SaleLine - 1
		if i < 0 || i >= len(sale.Lines) {
			return Errorf(EInvalid, "sale %d has no line %d", sale.ID, want.SaleLine)
		}
		if seen[i] {
			return Errorf(EInvalid, "line %d is chosen twice", want.SaleLine)
		}
		seen[i] = true
		if err := checkReason(want); err != nil {
			return err
		}
		sold := sale.Lines[i]
		left := src.Left(i)
		if want.Quantity <= 0 {
			return Errorf(EInvalid, "a quantity to return must be positive")
		}
		if want.Quantity > left {
			return Errorf(EConflict, "%s: only %s left to return", sold.Name, quantityText(sold, left))
		}
		before := sold.Quantity - left
		lt := sale.Totals.Lines[i]
		gross := share(lt.Gross, before, want.Quantity, sold.Quantity)
		tax := share(lt.Tax, before, want.Quantity, sold.Quantity)
		ret.Lines = append(ret.Lines, ReturnLine{SaleLine: want.SaleLine, ItemID: sold.ItemID,
			Code: sold.Code, Name: sold.Name, Weighed: sold.Weighed, Quantity: want.Quantity,
			UnitPrice: sold.UnitPrice, TaxRate: sold.TaxRate, Reason: want.Reason,
			Restock: want.Restock && want.Reason != ReasonDamaged,
			Net:     gross - tax, Tax: tax, Gross: gross})
		ret.Total += gross
		ret.Tax += tax
		grossNow += gross
	}
	ret.Subtotal = ret.Total - ret.Tax
	if sale.PointsEarned > 0 && sale.Totals.Total > 0 {
		// The same share rule for points, over the whole sale: all
		// returns of a sale together take back exactly what it earned.
		ret.PointsReversed = int64(share(Money(sale.PointsEarned), int64(grossBefore), int64(grossNow), int64(sale.Totals.Total)))
	}
	return nil
}

// planUnreceipted prices a return without a receipt at the catalogue's
// price: all of it in cash, with a manager's approval.
func planUnreceipted(ret *Return, req ReturnRequest) error {
	ret.CashInstead = true
	lines := make([]Line, len(req.Lines))
	for i, l := range req.Lines {
		if err := checkReason(l); err != nil {
			return err
		}
		lines[i] = Line{ItemID: l.ItemID, Code: l.Code, Name: l.Name, Weighed: l.Weighed,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, TaxRate: l.TaxRate}
	}
	totals, err := ComputeTotals(lines, req.TaxMode)
	if err != nil {
		return err
	}
	for i, l := range req.Lines {
		lt := totals.Lines[i]
		l.SaleLine = 0
		l.Restock = l.Restock && l.Reason != ReasonDamaged
		l.Net, l.Tax, l.Gross = lt.Net, lt.Tax, lt.Gross
		ret.Lines = append(ret.Lines, l)
	}
	ret.Subtotal, ret.Tax, ret.Total = totals.Subtotal, totals.Tax, totals.Total
	return nil
}

func checkReason(l ReturnLine) error {
	if !l.Reason.Valid() {
		return Errorf(EInvalid, "choose why %s comes back", cmpOr(l.Name, "the line"))
	}
	return nil
}

// planRefunds splits the return's money over the sale's tenders: each
// approved card payment up to what it has left, in the order they were
// taken, then cash, rounded to the cash step but never beyond what the sale
// has left to refund.
func planRefunds(ret *Return, src Returnable, cashStep Money) error {
	left := ret.Total
	n := 0
	add := func(f Refund) {
		n++
		f.AttemptKey = RefundKey(ret.Key, n)
		f.ReturnKey, f.Status = ret.Key, PaymentPending
		ret.Refunds = append(ret.Refunds, f)
	}
	var paid Money
	for _, p := range src.Sale.Payments {
		if p.Status == PaymentApproved {
			paid += p.Amount
		}
	}
	if !ret.CashInstead {
		for _, p := range src.Sale.Payments {
			if p.Method != MethodCard || p.Status != PaymentApproved || left == 0 {
				continue
			}
			amount := min(left, p.Amount-src.CardRefunded[p.AttemptKey])
			if amount <= 0 {
				continue
			}
			add(Refund{Method: MethodCard, Amount: amount, PaymentKey: p.AttemptKey, PaymentRef: p.ProviderRef,
				Provider: p.Provider, CardBrand: p.CardBrand, CardLast4: p.CardLast4})
			left -= amount
		}
	}
	if left == 0 {
		return nil
	}
	cash, rounding := Settings{CashRounding: cashStep}.RoundCash(left)
	if ret.SaleKey != "" {
		// Never more than the sale has left: its payments less every refund.
		// Cash rounding on earlier returns (or on the sale) can leave less
		// than the rest of the goods are worth: never pay beyond it.
		if room := paid - src.Refunded - (ret.Total - left); cash > room {
			cash, rounding = max(room, 0), max(room, 0)-left
		}
	}
	ret.CashRounding = rounding
	if cash > 0 {
		add(Refund{Method: MethodCash, Amount: cash})
	}
	return nil
}

// share is the part of amount that quantity q of total units is worth when
// before units were already taken: round(amount·(before+q)/total) −
// round(amount·before/total), so the parts of a line returned in pieces add
// up to the line exactly. Big integers: amount·quantity can pass int64 for
// weighed lines.
func share(amount Money, before, q, total int64) Money {
	if total <= 0 {
		return 0
	}
	at := func(n int64) int64 {
		p := new(big.Int).Mul(big.NewInt(int64(amount)), big.NewInt(n))
		t := big.NewInt(total)
		// half away from zero, as divRound
		p.Mul(p, big.NewInt(2))
		if p.Sign() >= 0 {
			p.Add(p, t)
		} else {
			p.Sub(p, t)
		}
		return p.Quo(p, new(big.Int).Mul(t, big.NewInt(2))).Int64()
	}
	return Money(at(before+q) - at(before))
}

// quantityText writes a line's quantity as the cashier counts it.
func quantityText(l Line, q int64) string {
	if l.Weighed {
		return strconv.FormatInt(q, 10) + " g"
	}
	return strconv.FormatInt(q, 10)
}

var refundNamespace = uuid.MustParse("6f1c0f5e-3a51-4d0e-9f55-6d1f2f7e7a10")

// RefundKey is the attempt key of a return's nth refund: derived from the
// return's key, so planning the same return again names the same refunds.
func RefundKey(returnKey string, n int) string {
	return uuid.NewSHA1(refundNamespace, []byte(returnKey+"/refund/"+strconv.Itoa(n))).String()
}

// ReturnStore records returns. Every method is one short transaction,
// idempotent by the return's key or the refund's attempt key.
type ReturnStore interface {
	// Returnable loads a sale with what each line and payment has left.
	Returnable(ctx context.Context, saleKey string) (Returnable, error)
	// BeginReturn plans req (PlanReturn) against the sale as it is under
	// its row lock and records the return pending with its lines and
	// refund rows. A key already recorded returns the first return.
	BeginReturn(ctx context.Context, req ReturnRequest) (Return, error)
	// FinishRefund records a card refund's outcome.
	FinishRefund(ctx context.Context, f Refund) (Refund, error)
	// RefundInCash replaces a return's failed card refunds with one cash
	// refund of the same amount, approved by a manager.
	RefundInCash(ctx context.Context, returnKey string, approvedBy int64) (Return, error)
	// CompleteReturn completes a return whose card refunds all went back:
	// cash refunds are paid (or, when owed, recorded as owed), returned
	// stock goes back, points are taken back, the receipt and the event
	// are queued.
	CompleteReturn(ctx context.Context, returnKey string, owed bool) (Return, error)
	// FailReturn ends a return that moved no money.
	FailReturn(ctx context.Context, returnKey string) (Return, error)
	// Return loads a return with its lines and refunds.
	Return(ctx context.Context, key string) (Return, error)
	// PendingReturns lists a till's returns still pending since before a time.
	PendingReturns(ctx context.Context, tillID string, before time.Time) ([]Return, error)
}

// RefundRequest asks a gateway to give part of a card payment back.
type RefundRequest struct {
	AttemptKey string // the refund's; the gateway's idempotency key derives from it
	ReturnKey  string
	SaleKey    string
	PaymentKey string // the card payment's attempt key
	PaymentRef string // the gateway's reference of the payment (PaymentIntent id)
	Amount     Money
	Currency   Currency
}

// CardRefunder gives card payments back, in part or in full.
//
// RefundCard answers like PaymentGateway.Charge: a result with Status
// PaymentApproved (refunded) or PaymentFailed (nothing refunded: Message
// says why, e.g. that this card can only be refunded on the reader with the
// card present) and a nil error; an EUnavailable or EInternal error when
// the outcome is unknown; any other error when nothing was refunded.
// Repeating a call with the same AttemptKey never refunds twice.
//
// FindRefund asks what became of an attempt: the refund found by its key,
// or an ENotFound error when the gateway has none (nothing was refunded).
type CardRefunder interface {
	RefundCard(ctx context.Context, req RefundRequest) (ChargeResult, error)
	FindRefund(ctx context.Context, req RefundRequest) (ChargeResult, error)
}
