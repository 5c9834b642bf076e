package pos

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// SaleStore records sales. Every method is one short database transaction
// and idempotent by the sale key or the payment attempt key: repeating a call
// after a timeout returns the first result and never takes stock twice.
type SaleStore interface {
	// Reserve inserts sale as pending and takes its stock (not for training
	// sales), or returns EOutOfStock naming the short items.
	Reserve(ctx context.Context, sale Sale) (Sale, error)
	// SellCash is Reserve and Complete in one transaction: sale carries its
	// cash payments, rounding and points, and is stored completed.
	SellCash(ctx context.Context, sale Sale) (Sale, error)
	// StartPayment writes a pending attempt row before the gateway is called.
	StartPayment(ctx context.Context, p Payment) (Payment, error)
	// FinishPayment records an attempt's outcome.
	FinishPayment(ctx context.Context, p Payment) (Payment, error)
	// Complete records the cash payments, marks the sale completed, accrues
	// loyalty points and enqueues the receipt; the payments must cover the
	// total plus rounding.
	Complete(ctx context.Context, saleKey string, cash []Payment, rounding Money, points int64) (Sale, error)
	// Release gives the stock back and marks the sale failed or voided. A
	// sale with approved payments that were not refunded cannot be released.
	Release(ctx context.Context, saleKey string, status SaleStatus) (Sale, error)
	// Sale returns a sale with its lines and payments.
	Sale(ctx context.Context, key string) (Sale, error)
	// PendingSales lists a till's sales still pending since before a time.
	PendingSales(ctx context.Context, tillID string, before time.Time) ([]Sale, error)
}

// ChargeRequest asks a gateway to take a card payment.
type ChargeRequest struct {
	AttemptKey string
	SaleKey    string
	StoreID    string
	TillID     string
	Amount     Money
	Currency   Currency
}

// ChargeResult is what a gateway knows of a payment attempt.
type ChargeResult struct {
	Status      PaymentStatus
	Provider    string
	ProviderRef string
	CardBrand   string
	CardLast4   string
	AuthCode    string
	Message     string
}

// PaymentGateway takes card payments.
//
// Charge answers every outcome it knows with a result and a nil error:
// approved, declined, cancelled (at the till or the reader) and failed
// (nothing was charged) are results, not errors. It returns an error in
// two cases only, and PayCard relies on the code:
//   - EUnavailable (or EInternal): the outcome is unknown (the network or
//     the reader vanished, or the answer was lost); money may have moved,
//     and Lookup must be asked later;
//   - any other code (EInvalid for a request it refuses before reaching the
//     reader, such as a bad attempt key or amount): nothing was charged.
//
// Lookup asks what became of an earlier attempt; Refund gives an approved
// payment back.
type PaymentGateway interface {
	Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error)
	Lookup(ctx context.Context, p Payment) (ChargeResult, error)
	Refund(ctx context.Context, p Payment) (ChargeResult, error)
}

// Checkout runs the sale protocol: Reserve, Pay, Complete or Release,
// Recover. No lock is held while a card is being paid: stock is taken in one
// short transaction, the card is charged outside any transaction, and the
// sale is completed in another.
type Checkout struct {
	Sales    SaleStore
	Gateway  PaymentGateway // nil: cash only
	Settings Settings
	Now      func() time.Time // nil: time.Now
	Metrics  Metrics          // nil: none kept
	// Journal keeps the sales made while the database cannot be reached
	// (SellOffline); nil: this till does not sell offline.
	Journal       OfflineJournal
	OfflineLimits OfflineLimits
	// PricesAt says when the prices the till sells at were read from the
	// database (its snapshot's time while offline); nil: not checked.
	PricesAt func() time.Time
}

// recordTimeout bounds the write that records a gateway's answer, which
// must happen even when the cashier cancelled the call that got it.
const recordTimeout = 10 * time.Second

// NewKey makes an idempotency key (a random UUID).
func NewKey() string { return uuid.NewString() }

func (c *Checkout) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Draft turns a basket into a sale ready to be reserved or sold.
func (c *Checkout) Draft(b *Basket, cashierID int64) (Sale, error) {
	if len(b.Lines) == 0 {
		return Sale{}, Errorf(EInvalid, "the basket is empty")
	}
	if _, err := uuid.Parse(b.Key); err != nil {
		return Sale{}, Errorf(EInvalid, "the sale has no valid key")
	}
	totals, err := ComputeTotals(b.Lines, c.Settings.TaxMode)
	if err != nil {
		return Sale{}, err
	}
	s := Sale{
		Key: b.Key, StoreID: c.Settings.StoreID, TillID: c.Settings.TillID,
		CashierID: cashierID, Training: c.Settings.Training, Currency: c.Settings.Currency.Code,
		Lines: append([]Line(nil), b.Lines...), Totals: totals,
		Status: SalePending, CreatedAt: c.now(),
	}
	if b.Customer != nil {
		s.CustomerID = b.Customer.ID
	}
	return s, nil
}

// Reserve records the sale as pending and takes its stock.
func (c *Checkout) Reserve(ctx context.Context, sale Sale) (Sale, error) {
	if err := c.validate(sale); err != nil {
		return Sale{}, err
	}
	return c.step(MetricReserveLatency, func() (Sale, error) { return c.Sales.Reserve(ctx, sale) })
}

// SellCash sells a basket paid all in cash in one transaction.
func (c *Checkout) SellCash(ctx context.Context, sale Sale, tendered ...Money) (Sale, error) {
	if err := c.validate(sale); err != nil {
		return Sale{}, err
	}
	sale, err := c.paidInCash(sale, tendered, c.now())
	if err != nil {
		return Sale{}, err
	}
	return c.step(MetricCashSaleLatency, func() (Sale, error) { return c.Sales.SellCash(ctx, sale) })
}

// paidInCash is sale completed at a time with the cash handed over: its
// payments, cash rounding and points (SellCash, SellOffline).
func (c *Checkout) paidInCash(sale Sale, tendered []Money, at time.Time) (Sale, error) {
	cash, rounding, err := c.SettleCash(sale, tendered)
	if err != nil {
		return Sale{}, err
	}
	sale.Payments, sale.CashRounding = cash, rounding
	sale.PointsEarned = c.points(sale)
	sale.Status = SaleCompleted
	sale.CompletedAt = at
	return sale, nil
}

// SettleCash turns the cash handed over into payments for what is due,
// rounding the cash due to the store's step. The last tender gets the change.
func (c *Checkout) SettleCash(sale Sale, tendered []Money) ([]Payment, Money, error) {
	due := sale.Totals.Total - sale.Paid()
	if len(tendered) == 0 {
		return nil, 0, nil
	}
	if due <= 0 {
		return nil, 0, Errorf(EConflict, "nothing is left to pay")
	}
	rounded, rounding := c.Settings.RoundCash(due)
	var given Money
	for _, t := range tendered {
		if t <= 0 || t > MaxMoney {
			return nil, 0, Errorf(EInvalid, "a cash amount must be positive")
		}
		given += t
	}
	if given > MaxMoney {
		return nil, 0, Errorf(EInvalid, "that is too much cash")
	}
	if given < rounded {
		return nil, 0, Errorf(EInvalid, "%s more is needed", c.Settings.Currency.Format(rounded-given))
	}
	var payments []Payment
	left := rounded
	for i, t := range tendered {
		applied := min(t, left)
		left -= applied
		p := Payment{AttemptKey: NewKey(), SaleKey: sale.Key, Method: MethodCash,
			Status: PaymentApproved, Amount: applied, Tendered: t, CreatedAt: c.now()}
		if i == len(tendered)-1 {
			p.Change = given - rounded
		}
		payments = append(payments, p)
	}
	return payments, rounding, nil
}

// PayCard takes a card payment for part or all of a reserved sale. The
// attempt row is committed before the gateway is called, so a crash never
// leaves a charge nobody knows about. A decline returns the payment and an
// EDeclined error; an unknown outcome returns EUnavailable and leaves the
// attempt for ResolvePayment or Recover.
func (c *Checkout) PayCard(ctx context.Context, sale Sale, amount Money) (Payment, error) {
	if c.Gateway == nil {
		return Payment{}, Errorf(EUnavailable, "card payments are not set up on this till")
	}
	if sale.Status != SalePending || sale.ID == 0 {
		return Payment{}, Errorf(EConflict, "the sale is not reserved")
	}
	if due := sale.Due(); amount <= 0 || amount > due {
		return Payment{}, Errorf(EInvalid, "card amount must be between %s and %s",
			c.Settings.Currency.Format(1), c.Settings.Currency.Format(due))
	}
	p, err := c.Sales.StartPayment(ctx, Payment{AttemptKey: NewKey(), SaleKey: sale.Key,
		Method: MethodCard, Status: PaymentPending, Amount: amount, CreatedAt: c.now()})
	if err != nil {
		return Payment{}, err
	}
	res, chargeErr := c.Gateway.Charge(ctx, ChargeRequest{AttemptKey: p.AttemptKey, SaleKey: sale.Key,
		StoreID: sale.StoreID, TillID: sale.TillID, Amount: amount, Currency: c.Settings.Currency})
	if chargeErr != nil {
		res = ChargeResult{Status: PaymentUnknown, Message: ErrorMessage(chargeErr)}
		if ErrorCode(chargeErr) != EInternal && ErrorCode(chargeErr) != EUnavailable {
			res.Status = PaymentFailed // the gateway knows no money moved
		}
	}
	p = applyResult(p, res)
	c.cardOutcome(p.Status)
	// Record the answer even if the cashier has just pressed Esc.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	p, err = c.Sales.FinishPayment(rctx, p)
	if err != nil {
		return p, err
	}
	return p, paymentError(p, chargeErr)
}

// ResolvePayment asks the gateway what became of an attempt whose outcome
// is unknown and records the answer.
func (c *Checkout) ResolvePayment(ctx context.Context, p Payment) (Payment, error) {
	if p.Status.Final() {
		return p, nil
	}
	if c.Gateway == nil {
		return p, Errorf(EUnavailable, "card payments are not set up on this till")
	}
	res, err := c.Gateway.Lookup(ctx, p)
	if err != nil {
		return p, err
	}
	if !res.Status.Final() {
		return p, Errorf(EUnavailable, "the card payment is still in progress")
	}
	return c.Sales.FinishPayment(ctx, applyResult(p, res))
}

func applyResult(p Payment, r ChargeResult) Payment {
	p.Status, p.Message = r.Status, r.Message
	p.Provider = cmpOr(r.Provider, p.Provider)
	p.ProviderRef = cmpOr(r.ProviderRef, p.ProviderRef)
	p.CardBrand = cmpOr(r.CardBrand, p.CardBrand)
	p.CardLast4 = cmpOr(r.CardLast4, p.CardLast4)
	p.AuthCode = cmpOr(r.AuthCode, p.AuthCode)
	return p
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func paymentError(p Payment, cause error) error {
	switch p.Status {
	case PaymentApproved:
		return nil
	case PaymentDeclined:
		return &Error{Code: EDeclined, Message: "card declined" + suffix(p.Message), Err: cause}
	case PaymentCancelled:
		return &Error{Code: EConflict, Message: "card payment cancelled", Err: cause}
	case PaymentUnknown:
		return &Error{Code: EUnavailable, Message: "no answer from the card reader; checking the payment" + suffix(p.Message), Err: cause}
	}
	return &Error{Code: EUnavailable, Message: "card payment failed" + suffix(p.Message), Err: cause}
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}

// Complete finishes a reserved sale whose card payments are recorded; the
// rest, if any, is paid with the cash tendered. sale is the sale as Reserve
// returned it with the card payments PayCard approved since: what is due is
// worked out from it, and the store checks that the payments it holds
// cover the total. A till does not keep that list itself:
// SaleInProgress does, and issues this call.
func (c *Checkout) Complete(ctx context.Context, sale Sale, tendered ...Money) (Sale, error) {
	cash, rounding, err := c.SettleCash(sale, tendered)
	if err != nil {
		return Sale{}, err
	}
	if sale.Totals.Total+rounding-sale.Paid()-sumAmounts(cash) != 0 {
		return Sale{}, Errorf(EInvalid, "%s is still due", c.Settings.Currency.Format(sale.Due()))
	}
	return c.step(MetricCompleteLatency, func() (Sale, error) {
		return c.Sales.Complete(ctx, sale.Key, cash, rounding, c.points(sale))
	})
}

// Release cancels a reserved sale: approved card payments are refunded first,
// then the stock is given back.
func (c *Checkout) Release(ctx context.Context, key string, status SaleStatus) (Sale, error) {
	sale, err := c.Sales.Sale(ctx, key)
	if err != nil {
		return Sale{}, err
	}
	if sale.Status == SaleCompleted {
		// Never refund the cards of a completed sale: it is a return now.
		return sale, Errorf(EConflict, "a completed sale cannot be voided; make a return instead")
	}
	for _, p := range sale.Payments {
		if p.Method != MethodCard || p.Status != PaymentApproved {
			continue
		}
		if c.Gateway == nil {
			return Sale{}, Errorf(EConflict, "a card payment must be refunded first")
		}
		res, err := c.Gateway.Refund(ctx, p)
		if err != nil {
			return Sale{}, err
		}
		if res.Status != PaymentRefunded {
			return Sale{}, Errorf(EUnavailable, "the refund did not go through%s", suffix(res.Message))
		}
		if _, err := c.Sales.FinishPayment(ctx, applyResult(p, res)); err != nil {
			return Sale{}, err
		}
	}
	return c.Sales.Release(ctx, key, status)
}

// RecoveryReport says what Recover did.
type RecoveryReport struct {
	Completed  []string // sale keys
	Released   []string
	Unresolved []string // still pending: the gateway could not tell yet
}

// Recover resolves this till's sales that are still pending after age:
// unknown payments are looked up, fully paid sales completed, the rest
// released (refunding partial card payments). Nothing stays reserved.
func (c *Checkout) Recover(ctx context.Context, age time.Duration) (RecoveryReport, error) {
	var rep RecoveryReport
	pending, err := c.Sales.PendingSales(ctx, c.Settings.TillID, c.now().Add(-age))
	if err != nil {
		return rep, err
	}
	var errs []error
	for _, sale := range pending {
		done, err := c.recoverSale(ctx, sale)
		switch {
		case err != nil:
			errs = append(errs, err)
			rep.Unresolved = append(rep.Unresolved, sale.Key)
		case done == SaleCompleted:
			rep.Completed = append(rep.Completed, sale.Key)
		default:
			rep.Released = append(rep.Released, sale.Key)
		}
	}
	return rep, errors.Join(errs...)
}

func (c *Checkout) recoverSale(ctx context.Context, sale Sale) (SaleStatus, error) {
	for i, p := range sale.Payments {
		if p.Status.Final() {
			continue
		}
		resolved, err := c.ResolvePayment(ctx, p)
		if err != nil {
			return "", err
		}
		sale.Payments[i] = resolved
	}
	if sale.Paid() >= sale.Totals.Total {
		done, err := c.Sales.Complete(ctx, sale.Key, nil, 0, c.points(sale))
		return done.Status, err
	}
	done, err := c.Release(ctx, sale.Key, SaleFailed)
	return done.Status, err
}

func (c *Checkout) validate(sale Sale) error {
	if len(sale.Lines) == 0 {
		return Errorf(EInvalid, "the basket is empty")
	}
	if _, err := uuid.Parse(sale.Key); err != nil {
		return Errorf(EInvalid, "the sale has no valid key")
	}
	totals, err := ComputeTotals(sale.Lines, c.Settings.TaxMode)
	if err != nil {
		return err
	}
	if totals.Total != sale.Totals.Total || totals.Tax != sale.Totals.Tax {
		return Errorf(EInvalid, "the sale's totals do not match its lines")
	}
	return nil
}

func (c *Checkout) points(sale Sale) int64 {
	if sale.Training || sale.CustomerID == 0 {
		return 0
	}
	return c.Settings.Points(sale.Totals.Total)
}

func sumAmounts(ps []Payment) Money {
	var s Money
	for _, p := range ps {
		s += p.Amount
	}
	return s
}
