package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/till-pos/till/pos"
)

// The sale protocol's calls as batched transactions (batch.go): a cash sale
// and Reserve in one request, a payment's outcome in one, a payment attempt
// and Complete in two (the sale's row is read under its lock first, then
// written with COMMIT).

// saleBatch adds the statements that record sale (its Status set): the
// transactions row first, under its unique key, so a repeat stops there
// before anything moves; then @till_sale for the statements that follow;
// then the lines.
func saleBatch(b *batch, now time.Time, sale *pos.Sale) error {
	if sale.CreatedAt.IsZero() {
		sale.CreatedAt = now
	}
	var completedAt any
	if sale.Status == pos.SaleCompleted {
		sale.CompletedAt = now
		completedAt = now
	}
	var customer any
	if sale.CustomerID != 0 {
		customer = sale.CustomerID
	}
	b.addStmt(saleStmt(sale, now, completedAt, customer))
	b.add("SET @till_sale = LAST_INSERT_ID()")
	query, args, err := linesStmt(insertedSale(), sale.Lines, sale.Totals.Lines)
	if err != nil {
		return err
	}
	b.add(query, args...)
	return nil
}

// stockBatch adds, unless sale is a training sale, the statements that take
// its stock, last before COMMIT so the hot items' row locks are held for
// as short a time as the batch allows: takeStock's UPDATE, then a guard.
// The UPDATE must change one row per item; @till_taken carries its
// ROW_COUNT() to the guard, an INSERT … SELECT that inserts nothing when it
// did and otherwise a line of quantity 0, which the
// transaction_items_quantity CHECK refuses (MySQL 3819, MariaDB 4025). So
// short stock stops the batch before COMMIT without SIGNAL (which only a
// stored program may raise), and recordSale names the short items.
func stockBatch(b *batch, sale *pos.Sale) {
	if sale.Training {
		return
	}
	need := needs(sale.Lines)
	b.addStmt(takeStockStmt(sale.StoreID, need))
	b.add("SET @till_taken = ROW_COUNT()")
	b.add(fmt.Sprintf(`INSERT INTO transaction_items
		(transaction_id, line_no, item_id, code, item_name, quantity, unit_price, tax_rate_bp,
		 net_amount, tax_amount, line_total)
		SELECT @till_sale, 0, ?, '', '', 0, 0, 0, 0, 0, 0 FROM DUAL WHERE @till_taken <> %d`, len(need)),
		int64(need[0].item))
}

// recordSale sends a batch built on saleBatch and stockBatch with COMMIT,
// and reads the new sale's id once it has committed. A key already
// recorded is errExists; short stock, or an item that is unknown (the
// lines' foreign key), inactive or not stocked at the store, is rolled back
// and answered with what is wrong (shortages).
func recordSale(ctx context.Context, t *btx, b *batch, sale *pos.Sale) error {
	var after batch
	after.add("SELECT @till_sale")
	err := t.send(ctx, b, true, &after, func(rs *resultSets) error {
		ok, err := rs.one(&sale.ID)
		if err == nil && !ok {
			err = errors.New("no sale id after COMMIT")
		}
		return err
	})
	switch {
	case err == nil:
		return nil
	case duplicate(err, "transactions_key"):
		return errExists
	case !sale.Training && (violates(err, "transaction_items_quantity") || unknownParent(err, "transaction_items_item")):
		if rbErr := t.rollback(ctx); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return shortages(ctx, t.conn, sale.StoreID, needs(sale.Lines))
	}
	return err
}

// reserveBatched is Reserve in one request.
func (db *DB) reserveBatched(ctx context.Context, sale *pos.Sale) error {
	return db.withBatches(ctx, func(t *btx) error {
		var b batch
		if err := saleBatch(&b, t.now, sale); err != nil {
			return err
		}
		stockBatch(&b, sale)
		return recordSale(ctx, t, &b, sale)
	})
}

// sellCashBatched is SellCash in one request.
func (db *DB) sellCashBatched(ctx context.Context, sale *pos.Sale) error {
	return db.withBatches(ctx, func(t *btx) error {
		var b batch
		// Points first, as in SellCash's reasons.
		if sale.CustomerID != 0 && sale.PointsEarned > 0 {
			b.add(pointsStmt, sale.PointsEarned, sale.CustomerID)
		}
		if err := saleBatch(&b, t.now, sale); err != nil {
			return err
		}
		if len(sale.Payments) > 0 {
			b.addStmt(paymentsStmt(insertedSale(), t.now, sale.Payments))
		}
		if query, args, ok := eventValuesStmt(insertedSale(), sale.Key, sale.Status, sale.StoreID, sale.TillID,
			sale.Training, t.now); ok {
			b.add(query, args...)
		}
		b.addStmt(receiptStmt(insertedSale(), sale.TillID, t.now))
		stockBatch(&b, sale)
		return recordSale(ctx, t, &b, sale)
	})
}

// lockSale opens t with one request: the sale's row locked FOR UPDATE,
// then, read after the lock is granted (see lockHead), its payments and,
// if lines, its lines. It returns the sale as stored and its head.
func lockSale(ctx context.Context, t *btx, key string, lines bool) (pos.Sale, saleHead, error) {
	var s pos.Sale
	var b batch
	b.add(saleColumns+` WHERE idempotency_key = ? FOR UPDATE`, key)
	const byKey = ` (SELECT transaction_id FROM transactions WHERE idempotency_key = ?)`
	b.add(paymentColumns+` WHERE p.transaction_id =`+byKey+` ORDER BY p.payment_id`, key)
	if lines {
		b.add(lineColumns+` WHERE transaction_id =`+byKey+` ORDER BY line_no`, key)
	}
	found := false
	err := t.send(ctx, &b, false, nil, func(rs *resultSets) error {
		row := saleRow{s: &s}
		ok, err := rs.one(row.dest()...)
		if err != nil {
			return err
		}
		found = ok
		row.done()
		rows, err := rs.next()
		if err != nil {
			return err
		}
		for rows.Next() {
			p, err := scanPayment(rows)
			if err != nil {
				return err
			}
			s.Payments = append(s.Payments, p)
		}
		if err := rows.Err(); err != nil || !lines {
			return err
		}
		if rows, err = rs.next(); err != nil {
			return err
		}
		return scanLines(rows, &s)
	})
	if err != nil {
		return s, saleHead{}, err
	}
	if !found {
		return s, saleHead{}, pos.Errorf(pos.ENotFound, "no sale with key %s", key)
	}
	h := saleHead{id: s.ID, status: s.Status, total: s.Totals.Total,
		customerID: sql.NullInt64{Int64: s.CustomerID, Valid: s.CustomerID != 0},
		training:   s.Training, tillID: s.TillID, storeID: s.StoreID}
	// As lockHead sums them.
	for _, p := range s.Payments {
		switch p.Status {
		case pos.PaymentApproved:
			h.approved += p.Amount
			if p.Method == pos.MethodCard {
				h.cardsOpen++
			}
			h.committed += p.Amount
		case pos.PaymentPending, pos.PaymentUnknown:
			h.committed += p.Amount
		}
	}
	return s, h, nil
}

// startPaymentBatched is StartPayment in two requests: the sale read under
// its lock, then the attempt row with COMMIT.
func (db *DB) startPaymentBatched(ctx context.Context, p pos.Payment) error {
	return db.withBatches(ctx, func(t *btx) error {
		_, h, err := lockSale(ctx, t, p.SaleKey, false)
		if err != nil {
			return err
		}
		if h.status != pos.SalePending {
			return pos.Errorf(pos.EConflict, "the sale is %s; no more payments can be taken", h.status)
		}
		if h.committed+p.Amount > h.total {
			return pos.Errorf(pos.EConflict, "that is more than is left to pay")
		}
		var b batch
		b.addStmt(paymentsStmt(saleByID(h.id), t.now, []pos.Payment{p}))
		err = t.send(ctx, &b, true, nil, nil)
		if duplicate(err, "payments_attempt") {
			return errExists
		}
		return err
	})
}

// finishPaymentBatched is FinishPayment's transaction in one request: the
// attempt and its sale locked, the outcome written, ROW_COUNT() read, and
// COMMIT. It reports whether the row changed.
func (db *DB) finishPaymentBatched(ctx context.Context, p pos.Payment, from string) (changed bool, err error) {
	err = db.withBatches(ctx, func(t *btx) error {
		var b batch
		// Both lookups are by unique key: record locks only, no gaps.
		b.add(`SELECT t.transaction_id FROM payments p
			JOIN transactions t ON t.transaction_id = p.transaction_id
			WHERE p.attempt_key = ? FOR UPDATE`, p.AttemptKey)
		b.add(`UPDATE payments SET status = ?, provider = ?,
				provider_ref = ?, card_brand = ?, card_last4 = ?, auth_code = ?, message = ?, updated_at = ?
			WHERE attempt_key = ? AND status IN (`+from+`)`,
			string(p.Status), p.Provider, p.ProviderRef, p.CardBrand, p.CardLast4, p.AuthCode,
			truncate(p.Message, 255), t.now, p.AttemptKey)
		b.add(`SELECT ROW_COUNT()`)
		var found bool
		var n int64
		err := t.send(ctx, &b, true, nil, func(rs *resultSets) error {
			var saleID int64
			var err error
			if found, err = rs.one(&saleID); err != nil {
				return err
			}
			_, err = rs.one(&n)
			return err
		})
		if err != nil {
			return err
		}
		if !found {
			return pos.Errorf(pos.ENotFound, "no payment attempt %s", p.AttemptKey)
		}
		changed = n == 1
		return nil
	})
	return changed, err
}

// completeBatched is Complete's transaction in two requests: the sale read
// under its lock, then the cash payments, the sale's new state, the points
// and the outbox rows with COMMIT. It returns the sale as committed,
// built from what it read and wrote, so no third request loads it.
func (db *DB) completeBatched(ctx context.Context, key string, cash []pos.Payment, rounding pos.Money, points int64) (pos.Sale, error) {
	var out pos.Sale
	err := db.withBatches(ctx, func(t *btx) error {
		s, h, err := lockSale(ctx, t, key, true)
		if err != nil {
			return err
		}
		switch h.status {
		case pos.SaleCompleted:
			return errExists // completed before: answer with the first result
		case pos.SalePending:
		default:
			return pos.Errorf(pos.EConflict, "the sale was %s and cannot be completed", h.status)
		}
		var cashSum pos.Money
		for _, p := range cash {
			cashSum += p.Amount
		}
		if h.approved+cashSum != h.total+rounding {
			return pos.Errorf(pos.EInvalid, "payments of %s do not cover the total of %s",
				dec(h.approved+cashSum), dec(h.total+rounding))
		}
		pts := points
		if h.training || !h.customerID.Valid {
			pts = 0
		}
		var b batch
		if len(cash) > 0 {
			b.addStmt(paymentsStmt(saleByID(h.id), t.now, cash))
		}
		b.add(`UPDATE transactions SET payment_status = 'completed',
				cash_rounding = ?, points_earned = ?, completed_at = ?, updated_at = ?
			WHERE transaction_id = ?`, dec(rounding), pts, t.now, t.now, h.id)
		if h.customerID.Valid && pts > 0 {
			b.add(pointsStmt, pts, h.customerID.Int64)
		}
		// (v3stock: a test filling a database as the version before the
		// outbox did, as enqueueEvent.)
		if query, args, ok := eventValuesStmt(saleByID(h.id), key, pos.SaleCompleted, s.StoreID, s.TillID,
			s.Training, t.now); ok && !t.v3stock {
			b.add(query, args...)
		}
		b.addStmt(receiptStmt(saleByID(h.id), h.tillID, t.now))
		if err := t.send(ctx, &b, true, nil, nil); err != nil {
			return err
		}
		now := t.now // whole microseconds, as stored
		s.Status, s.CashRounding, s.PointsEarned, s.CompletedAt = pos.SaleCompleted, rounding, pts, now
		for _, p := range cash {
			p.SaleKey, p.Message, p.CreatedAt = key, truncate(p.Message, 255), now
			s.Payments = append(s.Payments, p)
		}
		out = s
		return nil
	})
	if errors.Is(err, errExists) {
		return db.Sale(ctx, key)
	}
	if err != nil {
		return pos.Sale{}, mapError(err, "complete the sale")
	}
	return out, nil
}
