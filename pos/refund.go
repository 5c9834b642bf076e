package pos

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"
)

// Returns runs the return protocol, the mirror of Checkout's: Begin records
// the return and its refund rows; RefundCards gives the card parts back
// outside any transaction, each attempt's row committed before the gateway
// is called; Complete puts the stock back, takes the points back and pays
// the cash; Cancel ends a return that moved no money; Recover settles what
// a stopped till left pending.
type Returns struct {
	Store    ReturnStore
	Gateway  CardRefunder // nil: card parts cannot be refunded at this till
	Settings Settings
	Now      func() time.Time // nil: time.Now
	// Location is the store's time zone, for "the same day" of a void;
	// nil: the machine's.
	Location *time.Location
}

func (r *Returns) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Open loads a sale to return, refusing what cannot be returned here.
func (r *Returns) Open(ctx context.Context, saleKey string) (Returnable, error) {
	src, err := r.Store.Returnable(ctx, saleKey)
	if err != nil {
		return src, err
	}
	switch {
	case src.Sale.Status != SaleCompleted:
		return src, Errorf(EConflict, "sale %d is %s: only a completed sale can be returned", src.Sale.ID, src.Sale.Status)
	case src.Sale.Training && !r.Settings.Training:
		return src, Errorf(EConflict, "that is a training receipt: it cannot be returned on a live till")
	case !src.Sale.Training && r.Settings.Training:
		return src, Errorf(EConflict, "that is a real sale: it cannot be returned in training mode")
	case src.Sale.Currency != r.Settings.Currency.Code:
		return src, Errorf(EConflict, "sale %d was in %s; this till takes %s", src.Sale.ID, src.Sale.Currency, r.Settings.Currency.Code)
	case src.FullyReturned():
		return src, Errorf(EConflict, "everything on sale %d has been returned already", src.Sale.ID)
	}
	return src, nil
}

// Request fills in the till's part of a return request.
func (r *Returns) Request(key, saleKey string, cashierID int64, lines []ReturnLine) ReturnRequest {
	return ReturnRequest{Key: key, SaleKey: saleKey, Kind: KindReturn, StoreID: r.Settings.StoreID,
		TillID: r.Settings.TillID, CashierID: cashierID, Training: r.Settings.Training,
		Currency: r.Settings.Currency.Code, Lines: lines, CashStep: r.Settings.CashRounding, TaxMode: r.Settings.TaxMode,
		ApprovalOver: r.Settings.ReturnApprovalOver}
}

// Void plans the void of a completed sale: everything left on it back,
// to stock, the same day only.
func (r *Returns) Void(src Returnable, key string, cashierID int64) (ReturnRequest, error) {
	sale := src.Sale
	loc := cmp.Or(r.Location, time.Local)
	y1, m1, d1 := sale.CompletedAt.In(loc).Date()
	y2, m2, d2 := r.now().In(loc).Date()
	if y1 != y2 || m1 != m2 || d1 != d2 {
		return ReturnRequest{}, Errorf(EConflict, "sale %d is from %s: only today's sales can be voided; make a return", sale.ID, sale.CompletedAt.In(loc).Format("2 Jan"))
	}
	var lines []ReturnLine
	for i := range sale.Lines {
		if left := src.Left(i); left > 0 {
			lines = append(lines, ReturnLine{SaleLine: i + 1, Quantity: left, Reason: ReasonOther, Restock: true})
		}
	}
	req := r.Request(key, sale.Key, cashierID, lines)
	req.Kind = KindVoid
	return req, nil
}

// Begin records the return and its refund rows. A return that needs a
// manager (Return.Approval) is refused without ApprovedBy.
func (r *Returns) Begin(ctx context.Context, req ReturnRequest) (Return, error) {
	return r.Store.BeginReturn(ctx, req)
}

// RefundCards gives back every card part of ret still waiting, one at a
// time, and returns the return as it stands. An error says which part did
// not go back: a failure (nothing refunded; RefundInCash or Cancel next) or
// an unknown outcome (ask again with RefundCards, or leave it to Recover).
func (r *Returns) RefundCards(ctx context.Context, ret Return) (Return, error) {
	for i, f := range ret.Refunds {
		if f.Method != MethodCard || f.Status.Final() {
			continue
		}
		if r.Gateway == nil {
			return ret, Errorf(EUnavailable, "card refunds are not set up on this till")
		}
		req := RefundRequest{AttemptKey: f.AttemptKey, ReturnKey: ret.Key, SaleKey: ret.SaleKey,
			PaymentKey: f.PaymentKey, PaymentRef: f.PaymentRef, Amount: f.Amount, Currency: r.Settings.Currency}
		var res ChargeResult
		var err error
		if f.Status == PaymentUnknown {
			// Asked before and no answer came: find it first, so a refund
			// made is never made again.
			res, err = r.Gateway.FindRefund(ctx, req)
			if ErrorCode(err) == ENotFound {
				res, err = r.Gateway.RefundCard(ctx, req)
			}
		} else {
			res, err = r.Gateway.RefundCard(ctx, req)
		}
		if err != nil {
			res = ChargeResult{Status: PaymentUnknown, Message: ErrorMessage(err)}
			if c := ErrorCode(err); c != EInternal && c != EUnavailable {
				res.Status = PaymentFailed
			}
		}
		f = applyRefund(f, res)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		f, recErr := r.Store.FinishRefund(rctx, f)
		cancel()
		ret.Refunds[i] = f
		if recErr != nil {
			return ret, recErr
		}
		switch f.Status {
		case PaymentApproved:
		case PaymentFailed:
			return ret, &Error{Code: EDeclined, Message: "the card refund of " + r.Settings.Currency.Format(f.Amount) +
				" did not go through" + suffix(f.Message), Err: err}
		default:
			return ret, &Error{Code: EUnavailable, Message: "no answer about the card refund; checking it" + suffix(f.Message), Err: err}
		}
	}
	return ret, nil
}

func applyRefund(f Refund, r ChargeResult) Refund {
	f.Status, f.Message = r.Status, r.Message
	f.Provider = cmpOr(r.Provider, f.Provider)
	f.ProviderRef = cmpOr(r.ProviderRef, f.ProviderRef)
	f.CardBrand = cmpOr(r.CardBrand, f.CardBrand)
	f.CardLast4 = cmpOr(r.CardLast4, f.CardLast4)
	return f
}

// RefundInCash pays a return's failed card parts in cash, with a manager.
func (r *Returns) RefundInCash(ctx context.Context, key string, approvedBy int64) (Return, error) {
	if approvedBy == 0 {
		return Return{}, Errorf(EConflict, "cash instead of the card needs a manager's approval")
	}
	return r.Store.RefundInCash(ctx, key, approvedBy)
}

// Complete finishes a return whose card parts all went back.
func (r *Returns) Complete(ctx context.Context, key string) (Return, error) {
	return r.Store.CompleteReturn(ctx, key, false)
}

// Cancel ends a return that moved no money: nothing comes back.
func (r *Returns) Cancel(ctx context.Context, key string) (Return, error) {
	return r.Store.FailReturn(ctx, key)
}

// ReturnRecovery says what Recover did.
type ReturnRecovery struct {
	Completed  []string // return keys
	Owed       []string // completed with the cash part owed to the customer
	Failed     []string
	Unresolved []string
}

// Recover settles this till's returns still pending after age. A card
// refund without an answer is looked up by its key (never made again if it
// was made); one the gateway never saw is marked failed. A return whose
// card parts went back is completed — its cash part, never handed out, is
// recorded as owed — and one that moved no money fails.
func (r *Returns) Recover(ctx context.Context, age time.Duration) (ReturnRecovery, error) {
	var rep ReturnRecovery
	pending, err := r.Store.PendingReturns(ctx, r.Settings.TillID, r.now().Add(-age))
	if err != nil {
		return rep, err
	}
	var errs []error
	for _, ret := range pending {
		status, owed, err := r.recoverReturn(ctx, ret)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("return %s: %w", ret.Key, err))
			rep.Unresolved = append(rep.Unresolved, ret.Key)
		case status == ReturnFailed:
			rep.Failed = append(rep.Failed, ret.Key)
		case owed:
			rep.Owed = append(rep.Owed, ret.Key)
		default:
			rep.Completed = append(rep.Completed, ret.Key)
		}
	}
	return rep, errors.Join(errs...)
}

func (r *Returns) recoverReturn(ctx context.Context, ret Return) (ReturnStatus, bool, error) {
	for i, f := range ret.Refunds {
		if f.Method != MethodCard || f.Status.Final() {
			continue
		}
		if r.Gateway == nil {
			return "", false, Errorf(EUnavailable, "card refunds are not set up on this till")
		}
		res, err := r.Gateway.FindRefund(ctx, RefundRequest{AttemptKey: f.AttemptKey, ReturnKey: ret.Key,
			SaleKey: ret.SaleKey, PaymentKey: f.PaymentKey, PaymentRef: f.PaymentRef, Amount: f.Amount,
			Currency: r.Settings.Currency})
		switch {
		case ErrorCode(err) == ENotFound:
			res = ChargeResult{Status: PaymentFailed, Message: "not found at the gateway: nothing was refunded"}
		case err != nil:
			return "", false, err
		case !res.Status.Final():
			return "", false, Errorf(EUnavailable, "the card refund is still in progress")
		}
		if ret.Refunds[i], err = r.Store.FinishRefund(ctx, applyRefund(f, res)); err != nil {
			return "", false, err
		}
	}
	if !ret.MoneyMoved() {
		done, err := r.Store.FailReturn(ctx, ret.Key)
		return done.Status, false, err
	}
	for _, f := range ret.Refunds {
		if f.Method == MethodCard && f.Status == PaymentFailed {
			// Part went back, part did not: a person must decide.
			return "", false, Errorf(EConflict, "a card part went back and another failed: finish it at the till with a manager")
		}
	}
	owed := ret.sum(MethodCash, PaymentPending) > 0
	done, err := r.Store.CompleteReturn(ctx, ret.Key, true)
	return done.Status, owed, err
}

// Approver checks a manager's number and PIN for an action at the till,
// without signing the cashier out. A wrong PIN counts against the manager
// like a wrong sign-in (the lockout is shared); every approval and refusal
// is audited with both people.
type Approver struct {
	Cashiers Cashiers
	Audit    AuditLog
	StoreID  string
	TillID   string
}

// Approve returns the manager who approved action for cashierID.
func (a *Approver) Approve(ctx context.Context, cashierID int64, action, saleKey, number, pin string) (Cashier, error) {
	m, err := a.Cashiers.SignIn(ctx, a.StoreID, a.TillID, number, pin)
	entry := AuditEntry{StoreID: a.StoreID, TillID: a.TillID, CashierID: cashierID, SaleKey: saleKey}
	switch {
	case err != nil:
		entry.Action, entry.Detail = "approval_refused", fmt.Sprintf("%s: manager number %q: %s", action, number, ErrorMessage(err))
	case !m.Manager:
		entry.Action, entry.Detail = "approval_refused", fmt.Sprintf("%s: cashier %d is not a manager", action, m.ID)
		err = Errorf(EConflict, "%s is not a manager: a manager must approve %s", m.Name, action)
	case m.ID == cashierID:
		entry.Action, entry.Detail = "approval_refused", fmt.Sprintf("%s: manager %d cannot approve their own", action, m.ID)
		err = Errorf(EConflict, "another manager must approve %s", action)
	default:
		entry.Action, entry.Detail = "approval", fmt.Sprintf("%s: approved by manager %d (%s)", action, m.ID, m.Name)
	}
	if a.Audit != nil {
		if aerr := a.Audit.Audit(context.WithoutCancel(ctx), entry); aerr != nil && err == nil {
			// An approval that cannot be audited is not given.
			return Cashier{}, aerr
		}
	}
	if err != nil {
		return Cashier{}, err
	}
	return m, nil
}
