package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/till-pos/till/pos"
)

// The return protocol's transactions (migrations/00006_returns.sql). Every
// transaction that records or changes a return of a sale first locks the
// sale's row (FOR UPDATE on transactions; its trigger does not fire for a
// lock) and then the return's: all returns of one sale queue there, so the
// quantities and refunds each one checks against include every other's.

var _ pos.ReturnStore = (*DB)(nil)

// Returnable loads a sale with what each line and payment has left.
func (db *DB) Returnable(ctx context.Context, saleKey string) (pos.Returnable, error) {
	var src pos.Returnable
	err := db.withTx(ctx, func(tx *txn) error {
		var err error
		src, err = db.loadReturnable(ctx, tx, saleKey)
		return err
	})
	return src, mapError(err, "load the sale to return")
}

func (db *DB) loadReturnable(ctx context.Context, q execer, saleKey string) (pos.Returnable, error) {
	sale, err := db.loadSale(ctx, q, saleKey)
	if err != nil {
		return pos.Returnable{}, err
	}
	src := pos.Returnable{Sale: sale, Returned: make([]int64, len(sale.Lines)),
		ReturnedGross: make([]pos.Money, len(sale.Lines)), ReturnedTax: make([]pos.Money, len(sale.Lines)),
		CardRefunded: map[string]pos.Money{}}
	rows, err := q.QueryContext(ctx, `SELECT ri.sale_line_no, SUM(ri.quantity), SUM(ri.line_total), SUM(ri.tax_amount)
		FROM returns r JOIN return_items ri ON ri.return_id = r.return_id
		WHERE r.transaction_id = ? AND r.status <> 'failed'
		GROUP BY ri.sale_line_no`, sale.ID)
	if err != nil {
		return src, err
	}
	for rows.Next() {
		var line int
		var qty int64
		var gross, tax pos.Money
		if err := rows.Scan(&line, &qty, money{&gross}, money{&tax}); err != nil {
			rows.Close()
			return src, err
		}
		if line >= 1 && line <= len(sale.Lines) {
			src.Returned[line-1], src.ReturnedGross[line-1], src.ReturnedTax[line-1] = qty, gross, tax
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return src, err
	}
	rows, err = q.QueryContext(ctx, `SELECT COALESCE(p.attempt_key, ''), f.method, SUM(f.amount)
		FROM returns r JOIN refunds f ON f.return_id = r.return_id
		LEFT JOIN payments p ON p.payment_id = f.payment_id
		WHERE r.transaction_id = ? AND r.status <> 'failed' AND f.status <> 'failed'
		GROUP BY p.attempt_key, f.method`, sale.ID)
	if err != nil {
		return src, err
	}
	for rows.Next() {
		var key string
		var method pos.Method
		var amount pos.Money
		if err := rows.Scan(&key, &method, money{&amount}); err != nil {
			rows.Close()
			return src, err
		}
		if method == pos.MethodCard {
			src.CardRefunded[key] += amount
		}
		src.Refunded += amount
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return src, err
	}
	err = q.QueryRowContext(ctx, `SELECT COALESCE(SUM(points_reversed + points_unreversed), 0)
		FROM returns WHERE transaction_id = ? AND status <> 'failed'`, sale.ID).Scan(&src.PointsReversed)
	return src, err
}

// lockSaleRow locks a sale's row for the returns that name it.
func lockSaleRow(ctx context.Context, tx *txn, key string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT transaction_id FROM transactions
		WHERE idempotency_key = ? FOR UPDATE`, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, pos.Errorf(pos.ENotFound, "no sale with key %s", key)
	}
	return id, err
}

// BeginReturn plans the return against its sale under the sale's lock and
// records it pending, with its lines and refund rows.
func (db *DB) BeginReturn(ctx context.Context, req pos.ReturnRequest) (pos.Return, error) {
	var ret pos.Return
	err := db.withTx(ctx, func(tx *txn) error {
		var src pos.Returnable
		if req.SaleKey != "" {
			if _, err := lockSaleRow(ctx, tx, req.SaleKey); err != nil {
				return err
			}
		}
		var exists int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM returns WHERE idempotency_key = ?`, req.Key).Scan(&exists)
		if err != nil {
			return err
		}
		if exists > 0 {
			return errExists
		}
		if req.SaleKey != "" {
			if src, err = db.loadReturnable(ctx, tx, req.SaleKey); err != nil {
				return err
			}
		}
		if ret, err = pos.PlanReturn(src, req); err != nil {
			return err
		}
		if ret.Approval != "" {
			if err := checkManager(ctx, tx, req.ApprovedBy, ret.Approval); err != nil {
				return err
			}
		}
		if err := restockable(ctx, tx, &ret); err != nil {
			return err
		}
		ret.CreatedAt = tx.now
		if err := insertReturn(ctx, tx, &ret, req.CashStep); err != nil {
			return err
		}
		if ret.ApprovedBy != 0 {
			// The approval is recorded with the action it allows.
			if err := insertAudit(ctx, tx, returnHead{storeID: ret.StoreID, tillID: ret.TillID,
				cashierID: ret.CashierID, saleKey: ret.SaleKey}, "return_approved",
				fmt.Sprintf("%s approved by manager %d", ret.Approval, ret.ApprovedBy)); err != nil {
				return err
			}
		}
		if ret.SaleKey == "" {
			return nil
		}
		return useLimits(ctx, tx, ret.SaleID, returnUse(ret), +1)
	})
	if errors.Is(err, errExists) {
		first, err := db.Return(ctx, req.Key)
		if err != nil {
			return pos.Return{}, err
		}
		if first.SaleKey != req.SaleKey || len(first.Lines) != len(req.Lines) {
			return pos.Return{}, pos.Errorf(pos.EConflict, "this return key was already used for a different return")
		}
		return first, nil
	}
	return ret, mapError(err, "record the return")
}

// restockable turns Restock off for lines whose item the returning store
// does not stock (no store_inventory row there, as at a store of the chain
// that never sold it): those goods come back but no stock figure moves.
func restockable(ctx context.Context, tx *txn, ret *pos.Return) error {
	var ids []any
	for _, l := range ret.Lines {
		if l.Restock && !ret.Training {
			ids = append(ids, int64(l.ItemID))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT item_id FROM store_inventory WHERE store_id = ? AND item_id IN (`+
		placeholders(len(ids))+`)`, append([]any{ret.StoreID}, ids...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	stocked := map[pos.ItemID]bool{}
	for rows.Next() {
		var id pos.ItemID
		if err := rows.Scan(&id); err != nil {
			return err
		}
		stocked[id] = true
	}
	for i, l := range ret.Lines {
		if l.Restock && !stocked[l.ItemID] {
			ret.Lines[i].Restock = false
		}
	}
	return rows.Err()
}

// checkManager refuses an approval by anyone but an active manager.
func checkManager(ctx context.Context, tx *txn, id int64, what string) error {
	if id == 0 {
		return pos.Errorf(pos.EConflict, "%s needs a manager's approval", what)
	}
	var manager bool
	err := tx.QueryRowContext(ctx, `SELECT manager FROM cashiers WHERE cashier_id = ?`, id).Scan(&manager)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !manager {
		return pos.Errorf(pos.EConflict, "%s needs a manager's approval; cashier %d is not a manager", what, id)
	}
	return err
}

func insertReturn(ctx context.Context, tx *txn, ret *pos.Return, cashStep pos.Money) error {
	var sale, customer, approver any
	if ret.SaleKey != "" {
		sale = ret.SaleID
	}
	if ret.CustomerID != 0 {
		customer = ret.CustomerID
	}
	if ret.ApprovedBy != 0 {
		approver = ret.ApprovedBy
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO returns
		(idempotency_key, transaction_id, kind, store_id, till_id, cashier_id, approved_by, customer_id,
		 training, currency, subtotal, tax, total_amount, cash_rounding, cash_step, cash_instead,
		 points_reversed, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
		ret.Key, sale, string(ret.Kind), ret.StoreID, ret.TillID, ret.CashierID, approver, customer,
		ret.Training, ret.Currency, dec(ret.Subtotal), dec(ret.Tax), dec(ret.Total), dec(ret.CashRounding),
		dec(cashStep), ret.CashInstead, ret.PointsReversed, tx.now, tx.now)
	if mysqlCode(err) == errDupEntry {
		return errExists
	}
	if err != nil {
		return err
	}
	if ret.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	const row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	args := make([]any, 0, 15*len(ret.Lines))
	for i, l := range ret.Lines {
		var saleLine any
		if l.SaleLine > 0 {
			saleLine = l.SaleLine
		}
		args = append(args, ret.ID, i+1, saleLine, int64(l.ItemID), l.Code, l.Name, l.Weighed, l.Quantity,
			dec(l.UnitPrice), l.TaxRate, dec(l.Net), dec(l.Tax), dec(l.Gross), string(l.Reason), l.Restock)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO return_items
		(return_id, line_no, sale_line_no, item_id, code, item_name, weighed, quantity, unit_price,
		 tax_rate_bp, net_amount, tax_amount, line_total, reason, restock)
		VALUES `+repeatJoin(row, len(ret.Lines)), args...); err != nil {
		return err
	}
	return insertRefunds(ctx, tx, ret.ID, ret.Refunds)
}

func insertRefunds(ctx context.Context, tx *txn, returnID int64, fs []pos.Refund) error {
	if len(fs) == 0 {
		return nil
	}
	const row = "(?, ?, ?, ?, ?, (SELECT payment_id FROM payments WHERE attempt_key = ?), ?, ?, ?, ?, ?, ?, ?)"
	args := make([]any, 0, 13*len(fs))
	for _, f := range fs {
		var payment any
		if f.Method == pos.MethodCard {
			payment = f.PaymentKey
		}
		args = append(args, returnID, f.AttemptKey, string(f.Method), string(f.Status), dec(f.Amount), payment,
			f.Provider, f.ProviderRef, f.CardBrand, f.CardLast4, truncate(f.Message, 255), tx.now, tx.now)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO refunds
		(return_id, attempt_key, method, status, amount, payment_id, provider, provider_ref,
		 card_brand, card_last4, message, created_at, updated_at)
		VALUES `+repeatJoin(row, len(fs)), args...)
	return err
}

// returnHead is the returns row as the protocol's later steps need it.
type returnHead struct {
	id         int64
	saleID     int64 // 0 without a receipt
	saleKey    string
	status     pos.ReturnStatus
	kind       pos.ReturnKind
	storeID    string
	tillID     string
	cashierID  int64
	customerID sql.NullInt64
	training   bool
	total      pos.Money
	rounding   pos.Money
	cashStep   pos.Money
	points     int64
}

// lockReturn locks the return's sale row (if it has one), then its own.
func lockReturn(ctx context.Context, tx *txn, key string) (returnHead, error) {
	var h returnHead
	var saleKey sql.NullString
	var saleID sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT t.idempotency_key, t.transaction_id FROM returns r
		LEFT JOIN transactions t ON t.transaction_id = r.transaction_id
		WHERE r.idempotency_key = ?`, key).Scan(&saleKey, &saleID)
	if errors.Is(err, sql.ErrNoRows) {
		return h, pos.Errorf(pos.ENotFound, "no return with key %s", key)
	}
	if err != nil {
		return h, err
	}
	if saleKey.Valid {
		if _, err := lockSaleRow(ctx, tx, saleKey.String); err != nil {
			return h, err
		}
	}
	h.saleKey, h.saleID = saleKey.String, saleID.Int64
	err = tx.QueryRowContext(ctx, `SELECT return_id, status, kind, store_id, till_id, cashier_id,
			customer_id, training, total_amount, cash_rounding, cash_step, points_reversed
		FROM returns WHERE idempotency_key = ? FOR UPDATE`, key).Scan(&h.id, &h.status, &h.kind,
		&h.storeID, &h.tillID, &h.cashierID, &h.customerID, &h.training, money{&h.total},
		money{&h.rounding}, money{&h.cashStep}, &h.points)
	return h, err
}

// returnRefunds reads a locked return's refunds.
func returnRefunds(ctx context.Context, q execer, returnID int64, returnKey string) ([]pos.Refund, error) {
	rows, err := q.QueryContext(ctx, `SELECT f.attempt_key, f.method, f.status, f.amount,
			COALESCE(p.attempt_key, ''), COALESCE(p.provider_ref, ''), f.provider, f.provider_ref,
			f.card_brand, f.card_last4, f.message, f.created_at
		FROM refunds f LEFT JOIN payments p ON p.payment_id = f.payment_id
		WHERE f.return_id = ? ORDER BY f.refund_id`, returnID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pos.Refund
	for rows.Next() {
		f := pos.Refund{ReturnKey: returnKey}
		if err := rows.Scan(&f.AttemptKey, &f.Method, &f.Status, money{&f.Amount}, &f.PaymentKey,
			&f.PaymentRef, &f.Provider, &f.ProviderRef, &f.CardBrand, &f.CardLast4, &f.Message,
			&f.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FinishRefund records a card refund's outcome under the return's locks.
// Repeating it with the same outcome is harmless; a different outcome for
// a settled refund is refused.
func (db *DB) FinishRefund(ctx context.Context, f pos.Refund) (pos.Refund, error) {
	switch f.Status {
	case pos.PaymentApproved, pos.PaymentFailed, pos.PaymentUnknown:
	default:
		return f, pos.Errorf(pos.EInvalid, "a card refund is recorded as approved, failed or unknown, not %s", f.Status)
	}
	var stored pos.Refund
	err := db.withTx(ctx, func(tx *txn) error {
		h, err := lockReturn(ctx, tx, f.ReturnKey)
		if err != nil {
			return err
		}
		if h.status != pos.ReturnPending {
			return pos.Errorf(pos.EConflict, "the return is %s", h.status)
		}
		res, err := tx.ExecContext(ctx, `UPDATE refunds SET status = ?, provider = ?, provider_ref = ?,
				card_brand = ?, card_last4 = ?, message = ?, updated_at = ?
			WHERE attempt_key = ? AND return_id = ? AND method = 'card' AND status IN ('pending','unknown')`,
			string(f.Status), f.Provider, f.ProviderRef, f.CardBrand, f.CardLast4, truncate(f.Message, 255),
			tx.now, f.AttemptKey, h.id)
		if err != nil {
			return err
		}
		changed, err := res.RowsAffected()
		if err != nil {
			return err
		}
		fs, err := returnRefunds(ctx, tx, h.id, f.ReturnKey)
		if err != nil {
			return err
		}
		for _, got := range fs {
			if got.AttemptKey != f.AttemptKey {
				continue
			}
			stored = got
			if changed == 1 && got.Status == pos.PaymentFailed && h.saleID != 0 {
				// Nothing went back: the card and the sale have it left.
				return useLimits(ctx, tx, h.saleID, limitUse{cards: map[string]pos.Money{got.PaymentKey: got.Amount},
					money: got.Amount}, -1)
			}
			return nil
		}
		return pos.Errorf(pos.ENotFound, "no card refund %s on return %s", f.AttemptKey, f.ReturnKey)
	})
	if err != nil {
		return f, mapError(err, "record the card refund")
	}
	if stored.Status != f.Status {
		return stored, pos.Errorf(pos.EConflict, "the card refund is already %s", stored.Status)
	}
	return stored, nil
}

// RefundInCash pays a return's failed card parts in cash: the return's
// cash refund becomes what the cards did not give back, rounded to its cash
// step, never beyond what the sale has left to refund.
func (db *DB) RefundInCash(ctx context.Context, key string, approvedBy int64) (pos.Return, error) {
	err := db.withTx(ctx, func(tx *txn) error {
		h, err := lockReturn(ctx, tx, key)
		if err != nil {
			return err
		}
		if h.status != pos.ReturnPending {
			return pos.Errorf(pos.EConflict, "the return is %s", h.status)
		}
		if err := checkManager(ctx, tx, approvedBy, "cash instead of the card"); err != nil {
			return err
		}
		fs, err := returnRefunds(ctx, tx, h.id, key)
		if err != nil {
			return err
		}
		var card, cash pos.Money
		var cashKey string
		for _, f := range fs {
			switch {
			case f.Method == pos.MethodCard && !f.Status.Final():
				return pos.Errorf(pos.EConflict, "a card refund is still waiting for an answer")
			case f.Method == pos.MethodCard && f.Status == pos.PaymentApproved:
				card += f.Amount
			case f.Method == pos.MethodCash:
				cash, cashKey = f.Amount, f.AttemptKey
			}
		}
		need := h.total - card
		amount, rounding := pos.Settings{CashRounding: h.cashStep}.RoundCash(need)
		if h.saleKey != "" {
			src, err := db.loadReturnable(ctx, tx, h.saleKey)
			if err != nil {
				return err
			}
			var paid pos.Money
			for _, p := range src.Sale.Payments {
				if p.Status == pos.PaymentApproved {
					paid += p.Amount
				}
			}
			// src.Refunded counts this return's own card and cash parts.
			if room := paid - src.Refunded + cash; amount > room {
				amount, rounding = room, room-need
			}
		}
		if amount == cash && card+cash == h.total+h.rounding {
			return errExists // paid in cash before
		}
		if amount <= 0 {
			return pos.Errorf(pos.EConflict, "nothing is left to refund in cash")
		}
		if h.saleID != 0 {
			if err := useLimits(ctx, tx, h.saleID, limitUse{money: amount - cash}, +1); err != nil {
				return err
			}
		}
		if cashKey != "" {
			_, err = tx.ExecContext(ctx, `UPDATE refunds SET amount = ?, updated_at = ? WHERE attempt_key = ?`,
				dec(amount), tx.now, cashKey)
		} else {
			err = insertRefunds(ctx, tx, h.id, []pos.Refund{{AttemptKey: pos.RefundKey(key, len(fs)+1),
				Method: pos.MethodCash, Status: pos.PaymentPending, Amount: amount}})
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE returns SET cash_rounding = ?, cash_instead = TRUE,
			approved_by = ?, updated_at = ? WHERE return_id = ?`, dec(rounding), approvedBy, tx.now, h.id)
		if err != nil {
			return err
		}
		return insertAudit(ctx, tx, h, "return_cash_instead",
			fmt.Sprintf("failed card refunds paid in cash: %s, approved by manager %d", dec(amount), approvedBy))
	})
	if err != nil && !errors.Is(err, errExists) {
		return pos.Return{}, mapError(err, "refund in cash")
	}
	return db.Return(ctx, key)
}

// CompleteReturn completes a return whose card refunds all went back (or
// were replaced by cash): its cash refund is paid (owed: recorded as owed,
// the till having stopped before handing it out), restocked lines go back
// to the returning store's stock, the points are taken back as far as the
// customer still has them, and the receipt, the event and the audit row
// are written.
func (db *DB) CompleteReturn(ctx context.Context, key string, owed bool) (pos.Return, error) {
	err := db.withTx(ctx, func(tx *txn) error {
		h, err := lockReturn(ctx, tx, key)
		if err != nil {
			return err
		}
		switch h.status {
		case pos.ReturnCompleted:
			return errExists
		case pos.ReturnFailed:
			return pos.Errorf(pos.EConflict, "the return failed and cannot be completed")
		}
		fs, err := returnRefunds(ctx, tx, h.id, key)
		if err != nil {
			return err
		}
		var covered pos.Money
		for _, f := range fs {
			switch {
			case f.Method == pos.MethodCard && !f.Status.Final():
				return pos.Errorf(pos.EConflict, "a card refund is still waiting for an answer")
			case f.Status != pos.PaymentFailed:
				covered += f.Amount
			}
		}
		if covered != h.total+h.rounding {
			return pos.Errorf(pos.EConflict, "a card refund did not go through: refund it in cash with a manager, or cancel the return")
		}
		cashStatus := pos.PaymentApproved
		if owed {
			cashStatus = pos.RefundOwed
		}
		if _, err := tx.ExecContext(ctx, `UPDATE refunds SET status = ?, updated_at = ?
			WHERE return_id = ? AND method = 'cash' AND status = 'pending'`, string(cashStatus), tx.now, h.id); err != nil {
			return err
		}
		if !h.training {
			if _, err := tx.ExecContext(ctx, `UPDATE store_inventory i
				JOIN (SELECT item_id, SUM(quantity) AS qty FROM return_items
				      WHERE return_id = ? AND restock GROUP BY item_id) r ON r.item_id = i.item_id
				SET i.stock_quantity = i.stock_quantity + r.qty
				WHERE i.store_id = ?`, h.id, h.storeID); err != nil {
				return err
			}
		}
		reversed, unreversed, err := takeBackPoints(ctx, tx, h)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE returns SET status = 'completed', points_reversed = ?,
				points_unreversed = ?, completed_at = ?, updated_at = ? WHERE return_id = ?`,
			reversed, unreversed, tx.now, tx.now, h.id); err != nil {
			return err
		}
		if err := enqueueReturnEvent(ctx, tx, h, key); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO receipt_outbox
			(return_id, till_id, status, next_attempt_at, created_at) VALUES (?, ?, 'pending', ?, ?)`,
			h.id, h.tillID, tx.now, tx.now); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s of %s: %s refunded", h.kind, cmpOrString(h.saleKey, "no receipt"), dec(h.total+h.rounding))
		if owed {
			detail += "; the cash part is owed: the till stopped before handing it out"
		}
		if unreversed > 0 {
			detail += fmt.Sprintf("; %d points could not be taken back", unreversed)
		}
		return insertAudit(ctx, tx, h, string(h.kind), detail)
	})
	if err != nil && !errors.Is(err, errExists) {
		return pos.Return{}, mapError(err, "complete the return")
	}
	return db.Return(ctx, key)
}

// takeBackPoints takes the return's points off its customer, never below
// zero, and says how many could not be.
func takeBackPoints(ctx context.Context, tx *txn, h returnHead) (int64, int64, error) {
	if h.training || !h.customerID.Valid || h.points <= 0 {
		return 0, 0, nil
	}
	var balance int64
	if err := tx.QueryRowContext(ctx, `SELECT loyalty_points FROM customers WHERE customer_id = ? FOR UPDATE`,
		h.customerID.Int64).Scan(&balance); err != nil {
		return 0, 0, err
	}
	take := min(max(balance, 0), h.points)
	if take > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET loyalty_points = loyalty_points - ?
			WHERE customer_id = ?`, take, h.customerID.Int64); err != nil {
			return 0, 0, err
		}
	}
	return take, h.points - take, nil
}

func enqueueReturnEvent(ctx context.Context, tx *txn, h returnHead, key string) error {
	if h.training || tx.v3stock {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO event_outbox
		(event_id, event_type, return_id, store_id, till_id, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		pos.EventID(key, pos.EventReturnCompleted), string(pos.EventReturnCompleted), h.id, h.storeID, h.tillID, tx.now, tx.now)
	return err
}

func insertAudit(ctx context.Context, tx *txn, h returnHead, action, detail string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log
		(at, store_id, till_id, cashier_id, action, sale_key, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		tx.now, h.storeID, h.tillID, h.cashierID, action, nullIfEmpty(h.saleKey), truncate(detail, 1024))
	return err
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func cmpOrString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// FailReturn ends a return that moved no money: card refunds never sent
// are marked failed, and nothing comes back to stock.
func (db *DB) FailReturn(ctx context.Context, key string) (pos.Return, error) {
	err := db.withTx(ctx, func(tx *txn) error {
		h, err := lockReturn(ctx, tx, key)
		if err != nil {
			return err
		}
		switch h.status {
		case pos.ReturnFailed:
			return errExists
		case pos.ReturnCompleted:
			return pos.Errorf(pos.EConflict, "the return is completed")
		}
		ret, err := loadReturn(ctx, tx, key)
		if err != nil {
			return err
		}
		for _, f := range ret.Refunds {
			if f.Method == pos.MethodCard && (f.Status == pos.PaymentApproved || f.Status == pos.PaymentUnknown) {
				return pos.Errorf(pos.EConflict, "a card refund went back or may have: the return cannot be cancelled")
			}
		}
		if h.saleID != 0 {
			if err := useLimits(ctx, tx, h.saleID, returnUse(ret), -1); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE refunds SET status = 'failed', updated_at = ?
			WHERE return_id = ? AND status = 'pending'`, tx.now, h.id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE returns SET status = 'failed', updated_at = ?
			WHERE return_id = ?`, tx.now, h.id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, h, "return_cancelled", fmt.Sprintf("%s cancelled: nothing refunded", h.kind))
	})
	if err != nil && !errors.Is(err, errExists) {
		return pos.Return{}, mapError(err, "cancel the return")
	}
	return db.Return(ctx, key)
}

// Return loads a return with its lines and refunds.
func (db *DB) Return(ctx context.Context, key string) (pos.Return, error) {
	var r pos.Return
	err := db.withTx(ctx, func(tx *txn) error {
		var err error
		r, err = loadReturn(ctx, tx, key)
		return err
	})
	return r, mapError(err, "load the return")
}

func loadReturn(ctx context.Context, q execer, key string) (pos.Return, error) {
	var r pos.Return
	var saleID, approver, customer sql.NullInt64
	var saleKey sql.NullString
	var completed sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT r.return_id, r.idempotency_key, r.transaction_id, t.idempotency_key,
			r.kind, r.store_id, r.till_id, r.cashier_id, r.approved_by, r.customer_id, r.training, r.currency,
			r.subtotal, r.tax, r.total_amount, r.cash_rounding, r.cash_instead, r.points_reversed,
			r.points_unreversed, r.status, r.created_at, r.completed_at
		FROM returns r LEFT JOIN transactions t ON t.transaction_id = r.transaction_id
		WHERE r.idempotency_key = ?`, key).Scan(&r.ID, &r.Key, &saleID, &saleKey, &r.Kind, &r.StoreID,
		&r.TillID, &r.CashierID, &approver, &customer, &r.Training, &r.Currency, money{&r.Subtotal},
		money{&r.Tax}, money{&r.Total}, money{&r.CashRounding}, &r.CashInstead, &r.PointsReversed,
		&r.PointsUnreversed, &r.Status, &r.CreatedAt, &completed)
	if errors.Is(err, sql.ErrNoRows) {
		return r, pos.Errorf(pos.ENotFound, "no return with key %s", key)
	}
	if err != nil {
		return r, err
	}
	r.SaleID, r.SaleKey, r.ApprovedBy, r.CustomerID = saleID.Int64, saleKey.String, approver.Int64, customer.Int64
	r.CompletedAt = completed.Time
	rows, err := q.QueryContext(ctx, `SELECT COALESCE(sale_line_no, 0), item_id, code, item_name, weighed,
			quantity, unit_price, tax_rate_bp, net_amount, tax_amount, line_total, reason, restock
		FROM return_items WHERE return_id = ? ORDER BY line_no`, r.ID)
	if err != nil {
		return r, err
	}
	for rows.Next() {
		var l pos.ReturnLine
		if err := rows.Scan(&l.SaleLine, &l.ItemID, &l.Code, &l.Name, &l.Weighed, &l.Quantity,
			money{&l.UnitPrice}, &l.TaxRate, money{&l.Net}, money{&l.Tax}, money{&l.Gross}, &l.Reason,
			&l.Restock); err != nil {
			rows.Close()
			return r, err
		}
		r.Lines = append(r.Lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, err
	}
	r.Refunds, err = returnRefunds(ctx, q, r.ID, r.Key)
	return r, err
}

// PendingReturns lists a till's returns still pending since before a time
// (the till of the store's own store, like PendingSales).
func (db *DB) PendingReturns(ctx context.Context, tillID string, before time.Time) ([]pos.Return, error) {
	var out []pos.Return
	err := db.withTx(ctx, func(tx *txn) error {
		out = out[:0]
		keys, err := queryKeys(ctx, tx, `SELECT idempotency_key FROM returns
			WHERE till_id = ? AND status = 'pending' AND created_at < ?
			AND (? = '' OR store_id = ?) ORDER BY return_id`, tillID, before.UTC(), db.storeID, db.storeID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			r, err := loadReturn(ctx, tx, k)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, mapError(err, "list pending returns")
}
