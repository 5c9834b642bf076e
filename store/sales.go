package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/till-pos/till/pos"
)

// The sale protocol's transactions. Each takes a constant number of round
// trips whatever the basket size: lines go in one multi-row INSERT and stock
// comes off in one conditional UPDATE over the sale's items in id order.

var _ pos.SaleStore = (*DB)(nil)

// errExists stops a transaction whose sale key is already recorded.
var errExists = errors.New("sale key already recorded")

// errStockMoved: a sale's stock could not all be taken, yet when
// shortages looked no item was short: another till gave stock back in
// between (a batch has rolled back, so its locks are gone, before it
// asks). Nothing was written; the transaction is run again, a bounded
// number of times, like one the server rolled back.
var errStockMoved = errors.New("stock changed while the sale was recorded")

// Reserve records the sale as pending and takes its stock, in one request
// (salebatch.go).
func (db *DB) Reserve(ctx context.Context, sale pos.Sale) (pos.Sale, error) {
	sale.Status = pos.SalePending
	var err error
	if db.v3stock {
		err = db.withTx(ctx, func(tx *txn) error {
			return insertSale(ctx, tx, &sale)
		})
	} else {
		err = db.reserveBatched(ctx, &sale)
	}
	return db.settle(ctx, sale, err, "reserve the sale")
}

// SellCash records a cash sale, completed, in one transaction sent as one
// request (salebatch.go).
func (db *DB) SellCash(ctx context.Context, sale pos.Sale) (pos.Sale, error) {
	sale.Status = pos.SaleCompleted
	if !db.v3stock {
		err := db.sellCashBatched(ctx, &sale)
		return db.settle(ctx, sale, err, "record the sale")
	}
	// The one-statement-at-a-time transaction of the version before
	// batches, for a test filling a database as it did (DB.v3stock).
	err := db.withTx(ctx, func(tx *txn) error {
		// Points first: the sale row's foreign key takes a shared lock on
		// the customer row, and upgrading it to the points UPDATE's
		// exclusive lock would deadlock two sales for one customer.
		if err := addPoints(ctx, tx, sale.CustomerID, sale.PointsEarned); err != nil {
			return err
		}
		if err := insertSale(ctx, tx, &sale); err != nil {
			return err
		}
		if err := insertPayments(ctx, tx, sale.ID, sale.Payments); err != nil {
			return err
		}
		// No event: the 00003 schema has no event outbox.
		return enqueueReceipt(ctx, tx, sale.ID, sale.TillID)
	})
	return db.settle(ctx, sale, err, "record the sale")
}

// settle turns the outcome of an insertSale transaction into the answer:
// the stored sale, or for a key already recorded the first sale under it.
func (db *DB) settle(ctx context.Context, sale pos.Sale, err error, doing string) (pos.Sale, error) {
	if errors.Is(err, errExists) {
		first, err := db.Sale(ctx, sale.Key)
		if err != nil {
			return pos.Sale{}, err
		}
		if first.Totals.Total != sale.Totals.Total || len(first.Lines) != len(sale.Lines) {
			return pos.Sale{}, pos.Errorf(pos.EConflict, "this sale key was already used for a different sale")
		}
		return first, nil
	}
	if err != nil {
		return pos.Sale{}, mapError(err, doing)
	}
	return sale, nil
}

// insertSale writes the transactions row, takes the stock (the 00003
// schema's way, DB.v3stock) and writes the lines: four statements. The
// unique key makes a repeat fail first, before any stock moves.
func insertSale(ctx context.Context, tx *txn, sale *pos.Sale) error {
	now := tx.now
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
	query, args := saleStmt(sale, now, completedAt, customer)
	res, err := tx.ExecContext(ctx, query, args...)
	if mysqlCode(err) == errDupEntry {
		return errExists
	}
	if err != nil {
		return err
	}
	if sale.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	// Only the 00003 schema's path sells here now (DB.v3stock); the
	// till's sales go through the batches of salebatch.go.
	if !sale.Training {
		if err := takeStockV3(ctx, tx, sale.Lines); err != nil {
			return err
		}
	}
	return insertLines(ctx, tx, sale.ID, sale.Lines, sale.Totals.Lines)
}

// saleStmt is the INSERT of a sale's transactions row.
func saleStmt(sale *pos.Sale, now time.Time, completedAt, customer any) (string, []any) {
	return `INSERT INTO transactions
		(idempotency_key, store_id, till_id, cashier_id, customer_id, training, currency,
		 subtotal, tax, total_amount, cash_rounding, points_earned, payment_status,
		 transaction_date, completed_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, []any{
			sale.Key, sale.StoreID, sale.TillID, sale.CashierID, customer, sale.Training, sale.Currency,
			dec(sale.Totals.Subtotal), dec(sale.Totals.Tax), dec(sale.Totals.Total), dec(sale.CashRounding),
			sale.PointsEarned, string(sale.Status), sale.CreatedAt.UTC(), completedAt, now}
}

// stockNeed sums a sale's quantities per item, sorted by item id so every
// transaction locks its store's stock rows in the same order (no deadlocks
// between tills selling the same items).
type stockNeed struct {
	item pos.ItemID
	qty  int64
}

func needs(lines []pos.Line) []stockNeed {
	byItem := map[pos.ItemID]int64{}
	for _, l := range lines {
		byItem[l.ItemID] += l.Quantity
	}
	out := make([]stockNeed, 0, len(byItem))
	for id, q := range byItem {
		out = append(out, stockNeed{id, q})
	}
	slices.SortFunc(out, func(a, b stockNeed) int { return int(a.item - b.item) })
	return out
}

// quantityCase writes "CASE item_id WHEN ? THEN ? … END", the quantity each
// item of a sale needs, with its arguments, and the items' ids in order.
func quantityCase(need []stockNeed) (sql string, caseArgs, ids []any) {
	var b strings.Builder
	caseArgs = make([]any, 0, 2*len(need))
	ids = make([]any, 0, len(need))
	b.WriteString("CASE item_id")
	for _, n := range need {
		b.WriteString(" WHEN ? THEN ?")
		caseArgs = append(caseArgs, int64(n.item), n.qty)
		ids = append(ids, int64(n.item))
	}
	b.WriteString(" END")
	return b.String(), caseArgs, ids
}

// takeStockStmt decrements the selling store's stock with one conditional
// UPDATE on its own store_inventory rows (another store's rows are never
// read or locked); an item sells when it is active chain-wide and not
// switched off at the store. A single-table UPDATE, so that ORDER BY holds
// (a multi-table UPDATE takes none); the chain's active flag is read
// through IN. When fewer rows change than the sale has items, shortages
// says why.
func takeStockStmt(storeID string, need []stockNeed) (string, []any) {
	caseSQL, caseArgs, ids := quantityCase(need)
	in := placeholders(len(need))
	return `UPDATE store_inventory
		SET stock_quantity = stock_quantity - ` + caseSQL + `
		WHERE store_id = ? AND item_id IN (` + in + `) AND COALESCE(active, TRUE)
		AND item_id IN (SELECT item_id FROM inventory WHERE item_id IN (` + in + `) AND active)
		AND stock_quantity >= ` + caseSQL + `
		ORDER BY item_id`, slices.Concat(caseArgs, []any{storeID}, ids, ids, caseArgs)
}

// shortages finds out why a sale's stock could not be taken: the items
// that are short, or the first that is unknown, inactive or not stocked at
// the store. It reads through q: the transaction that tried, or after a
// rolled-back batch its connection.
func shortages(ctx context.Context, q execer, storeID string, need []stockNeed) error {
	ids := make([]any, len(need))
	for i, n := range need {
		ids[i] = int64(n.item)
	}
	in := placeholders(len(need))
	rows, err := q.QueryContext(ctx, `SELECT i.item_id, i.item_name, s.stock_quantity,
			i.active AND COALESCE(s.active, TRUE)
		FROM inventory i LEFT JOIN store_inventory s ON s.store_id = ? AND s.item_id = i.item_id
		WHERE i.item_id IN (`+in+`)`, slices.Concat([]any{storeID}, ids)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	type state struct {
		name   string
		stock  sql.NullInt64
		active bool
	}
	found := map[pos.ItemID]state{}
	for rows.Next() {
		var id pos.ItemID
		var st state
		var active sql.NullBool
		if err := rows.Scan(&id, &st.name, &st.stock, &active); err != nil {
			return err
		}
		st.active = active.Bool
		found[id] = st
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var short []pos.Shortage
	for _, n := range need {
		st, ok := found[n.item]
		switch {
		case !ok:
			return pos.Errorf(pos.ENotFound, "item %d is not in the catalog", n.item)
		case !st.stock.Valid:
			return pos.Errorf(pos.EInvalid, "%s is not sold at store %s (no stock row there)", st.name, storeID)
		case !st.active:
			return pos.Errorf(pos.EInvalid, "%s is no longer for sale (inactive item)", st.name)
		case st.stock.Int64 < n.qty:
			short = append(short, pos.Shortage{ItemID: n.item, Name: st.name, Wanted: n.qty, Available: st.stock.Int64})
		}
	}
	if len(short) == 0 {
		return errStockMoved
	}
	return pos.OutOfStockError(short)
}

// The stock statements of migration 00003's schema (one stock number per
// item in inventory), kept only so that a test can record sales exactly as
// the previous version did and then migrate them (DB.v3stock, set through
// export_test.go; a till never sets it).
func takeStockV3(ctx context.Context, tx *txn, lines []pos.Line) error {
	need := needs(lines)
	caseSQL, caseArgs, ids := quantityCase(need)
	in := placeholders(len(need))
	res, err := tx.ExecContext(ctx, `UPDATE inventory
		SET stock_quantity = stock_quantity - `+caseSQL+`
		WHERE item_id IN (`+in+`) AND active AND stock_quantity >= `+caseSQL+`
		ORDER BY item_id`, slices.Concat(caseArgs, ids, caseArgs)...)
	if err != nil {
		return err
	}
	if changed, err := res.RowsAffected(); err != nil || changed != int64(len(need)) {
		return errors.Join(err, pos.Errorf(pos.EConflict, "out of stock (00003 schema)"))
	}
	return nil
}

const releaseStockV3 = `UPDATE inventory i
	JOIN (SELECT item_id, SUM(quantity) AS qty FROM transaction_items
	      WHERE transaction_id = ? GROUP BY item_id) s ON s.item_id = i.item_id
	SET i.stock_quantity = i.stock_quantity + s.qty`

func insertLines(ctx context.Context, tx *txn, saleID int64, lines []pos.Line, totals []pos.LineTotals) error {
	query, args, err := linesStmt(saleByID(saleID), lines, totals)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, query, args...)
	return err
}

// saleRef is how a statement names its sale: by id, a parameter, or in a
// batch that has just inserted it by @till_sale (see batch.go).
type saleRef struct {
	sql  string
	args []any
}

func saleByID(id int64) saleRef { return saleRef{"?", []any{id}} }

func insertedSale() saleRef { return saleRef{sql: "@till_sale"} }

// linesStmt is the multi-row INSERT of a sale's lines.
func linesStmt(sale saleRef, lines []pos.Line, totals []pos.LineTotals) (string, []any, error) {
	if len(totals) != len(lines) {
		return "", nil, pos.Errorf(pos.EInvalid, "the sale's totals do not match its lines")
	}
	row := "(" + sale.sql + ", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	args := make([]any, 0, (13+len(sale.args))*len(lines))
	for i, l := range lines {
		t := totals[i]
		args = append(args, sale.args...)
		args = append(args, i+1, int64(l.ItemID), l.Code, l.Name, l.Weighed, l.Quantity,
			dec(l.UnitPrice), l.PriceOverridden, dec(l.Discount), l.TaxRate,
			dec(t.Net), dec(t.Tax), dec(t.Gross))
	}
	return `INSERT INTO transaction_items
		(transaction_id, line_no, item_id, code, item_name, weighed, quantity, unit_price,
		 price_overridden, discount, tax_rate_bp, net_amount, tax_amount, line_total)
		VALUES ` + repeatJoin(row, len(lines)), args, nil
}

func insertPayments(ctx context.Context, tx *txn, saleID int64, ps []pos.Payment) error {
	if len(ps) == 0 {
		return nil
	}
	query, args := paymentsStmt(saleByID(saleID), tx.now, ps)
	_, err := tx.ExecContext(ctx, query, args...)
	return err
}

// paymentsStmt is the multi-row INSERT of payments (ps not empty).
func paymentsStmt(sale saleRef, now time.Time, ps []pos.Payment) (string, []any) {
	row := "(" + sale.sql + ", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	args := make([]any, 0, (14+len(sale.args))*len(ps))
	for _, p := range ps {
		args = append(args, sale.args...)
		args = append(args, p.AttemptKey, string(p.Method), string(p.Status), dec(p.Amount),
			dec(p.Tendered), dec(p.Change), p.Provider, p.ProviderRef, p.CardBrand, p.CardLast4,
			p.AuthCode, truncate(p.Message, 255), now, now)
	}
	return `INSERT INTO payments
		(transaction_id, attempt_key, method, status, amount, tendered, change_given, provider,
		 provider_ref, card_brand, card_last4, auth_code, message, created_at, updated_at)
		VALUES ` + repeatJoin(row, len(ps)), args
}

// addPoints accrues loyalty points in the transaction that completes a sale.
func addPoints(ctx context.Context, tx *txn, customerID, points int64) error {
	if customerID == 0 || points <= 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, pointsStmt, points, customerID)
	return err
}

const pointsStmt = `UPDATE customers SET loyalty_points = loyalty_points + ?
		WHERE customer_id = ?`

// enqueueReceipt writes the receipt's outbox row in the transaction that
// completes the sale, so the upload can never be lost.
func enqueueReceipt(ctx context.Context, tx *txn, saleID int64, tillID string) error {
	query, args := receiptStmt(saleByID(saleID), tillID, tx.now)
	_, err := tx.ExecContext(ctx, query, args...)
	return err
}

func receiptStmt(sale saleRef, tillID string, now time.Time) (string, []any) {
	return `INSERT INTO receipt_outbox
		(transaction_id, till_id, status, next_attempt_at, created_at) VALUES (` + sale.sql + `, ?, 'pending', ?, ?)`,
		slices.Concat(sale.args, []any{tillID, now, now})
}

// saleHead is the transactions row as the protocol's later steps need it.
type saleHead struct {
	id         int64
	status     pos.SaleStatus
	total      pos.Money
	customerID sql.NullInt64
	training   bool
	tillID     string
	storeID    string
	committed  pos.Money // approved, pending and unknown payments
	approved   pos.Money
	cardsOpen  int // approved card payments (must be refunded before a release)
}

// lockHead locks the sale's row and reads its payments. Every change to a
// sale's payments holds this lock (StartPayment, FinishPayment, Complete,
// Release), so the plain read that follows, whose snapshot starts only
// after the lock is granted, sees them all. Locking the payments too would
// lock the gap at the end of their index and deadlock two tills starting
// card payments for their newest sales.
func lockHead(ctx context.Context, tx *txn, key string) (saleHead, error) {
	var h saleHead
	err := tx.QueryRowContext(ctx, `SELECT transaction_id, payment_status, total_amount, customer_id,
			training, till_id, store_id
		FROM transactions WHERE idempotency_key = ? FOR UPDATE`, key).Scan(&h.id, &h.status,
		money{&h.total}, &h.customerID, &h.training, &h.tillID, &h.storeID)
	if errors.Is(err, sql.ErrNoRows) {
		return h, pos.Errorf(pos.ENotFound, "no sale with key %s", key)
	}
	if err != nil {
		return h, err
	}
	err = tx.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(CASE WHEN status IN ('approved','pending','unknown') THEN amount END), 0),
			COALESCE(SUM(CASE WHEN status = 'approved' THEN amount END), 0),
			COUNT(CASE WHEN status = 'approved' AND method = 'card' THEN 1 END)
		FROM payments WHERE transaction_id = ?`, h.id).Scan(money{&h.committed}, money{&h.approved}, &h.cardsOpen)
	return h, err
}

// StartPayment writes the pending attempt row before the gateway is called,
// in two requests (salebatch.go).
func (db *DB) StartPayment(ctx context.Context, p pos.Payment) (pos.Payment, error) {
	p.Status = pos.PaymentPending
	err := db.startPaymentBatched(ctx, p)
	if errors.Is(err, errExists) {
		return db.payment(ctx, p.AttemptKey)
	}
	return p, mapError(err, "record the card payment attempt")
}

// FinishPayment records an attempt's outcome, holding the sale's row lock
// like every change to its payments (see lockHead). Repeating it with the
// same outcome is harmless; a different outcome for a final attempt is
// refused.
func (db *DB) FinishPayment(ctx context.Context, p pos.Payment) (pos.Payment, error) {
	from := "'pending','unknown'"
	if p.Status == pos.PaymentRefunded {
		from = "'approved'"
	}
	changed, err := db.finishPaymentBatched(ctx, p, from)
	if err != nil {
		return p, mapError(err, "record the card payment")
	}
	if changed {
		return p, nil
	}
	stored, err := db.payment(ctx, p.AttemptKey)
	if err != nil {
		return p, err
	}
	if stored.Status != p.Status {
		return stored, pos.Errorf(pos.EConflict, "the payment is already %s", stored.Status)
	}
	return stored, nil
}

// Complete records the final cash payments and completes the sale, in two
// requests (salebatch.go).
func (db *DB) Complete(ctx context.Context, key string, cash []pos.Payment, rounding pos.Money, points int64) (pos.Sale, error) {
	return db.completeBatched(ctx, key, cash, rounding, points)
}

// Release gives a pending sale's stock back and marks it failed or voided.
func (db *DB) Release(ctx context.Context, key string, status pos.SaleStatus) (pos.Sale, error) {
	if status != pos.SaleFailed && status != pos.SaleVoided {
		return pos.Sale{}, pos.Errorf(pos.EInvalid, "a sale is released as failed or voided")
	}
	err := db.withTx(ctx, func(tx *txn) error {
		h, err := lockHead(ctx, tx, key)
		if err != nil {
			return err
		}
		switch h.status {
		case pos.SaleFailed, pos.SaleVoided:
			return errExists // released before
		case pos.SaleCompleted:
			return pos.Errorf(pos.EConflict, "a completed sale cannot be voided; make a return instead")
		}
		if h.cardsOpen > 0 {
			return pos.Errorf(pos.EConflict, "the sale has a card payment that must be refunded first")
		}
		if h.committed > h.approved {
			return pos.Errorf(pos.EConflict, "a card payment is still in progress")
		}
		if !h.training && tx.v3stock {
			if _, err := tx.ExecContext(ctx, releaseStockV3, h.id); err != nil {
				return err
			}
		} else if !h.training {
			// Back to the selling store's rows, the ones Reserve took it from.
			if _, err := tx.ExecContext(ctx, `UPDATE store_inventory i
				JOIN (SELECT item_id, SUM(quantity) AS qty FROM transaction_items
				      WHERE transaction_id = ? GROUP BY item_id) s ON s.item_id = i.item_id
				SET i.stock_quantity = i.stock_quantity + s.qty
				WHERE i.store_id = ?`, h.id, h.storeID); err != nil {
				return err
			}
		}
		if err := enqueueEvent(ctx, tx, h.id, key, status); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE transactions SET payment_status = ?, updated_at = ?
			WHERE transaction_id = ?`, string(status), tx.now, h.id)
		return err
	})
	if err != nil && !errors.Is(err, errExists) {
		return pos.Sale{}, mapError(err, "release the sale")
	}
	return db.Sale(ctx, key)
}

// Sale loads a sale with its lines and payments (three queries).
// It reads in one transaction: a consistent view of the sale, retried like
// any other when a failover cuts the connection.
func (db *DB) Sale(ctx context.Context, key string) (pos.Sale, error) {
	var s pos.Sale
	err := db.withTx(ctx, func(tx *txn) error {
		var err error
		if s, err = db.loadSale(ctx, tx, key); err != nil || db.v3stock {
			return err
		}
		// Sold offline and forwarded (migration 00013): its receipt says so.
		return tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM offline_sales WHERE transaction_id = ?)`,
			s.ID).Scan(&s.Offline)
	})
	return s, mapError(err, "load the sale")
}

func (db *DB) loadSale(ctx context.Context, q execer, key string) (pos.Sale, error) {
	var s pos.Sale
	h := saleRow{s: &s}
	err := q.QueryRowContext(ctx, saleColumns+` WHERE idempotency_key = ?`, key).Scan(h.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return s, pos.Errorf(pos.ENotFound, "no sale with key %s", key)
	}
	if err != nil {
		return s, err
	}
	h.done()
	if err := loadLines(ctx, q, &s); err != nil {
		return s, err
	}
	rows, err := q.QueryContext(ctx, paymentColumns+` WHERE transaction_id = ? ORDER BY payment_id`, s.ID)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return s, err
		}
		s.Payments = append(s.Payments, p)
	}
	return s, rows.Err()
}

const lineColumns = `SELECT item_id, code, item_name, weighed, quantity, unit_price,
			price_overridden, discount, tax_rate_bp, net_amount, tax_amount, line_total
		FROM transaction_items`

const saleColumns = `SELECT transaction_id, idempotency_key, store_id, till_id,
			cashier_id, customer_id, training, currency, subtotal, tax, total_amount, cash_rounding,
			points_earned, payment_status, transaction_date, completed_at
		FROM transactions`

// saleRow scans saleColumns into a sale: Scan(dest()...), then done().
type saleRow struct {
	s         *pos.Sale
	customer  sql.NullInt64
	completed sql.NullTime
}

func (h *saleRow) dest() []any {
	s := h.s
	return []any{&s.ID, &s.Key, &s.StoreID, &s.TillID, &s.CashierID, &h.customer, &s.Training,
		&s.Currency, money{&s.Totals.Subtotal}, money{&s.Totals.Tax}, money{&s.Totals.Total},
		money{&s.CashRounding}, &s.PointsEarned, &s.Status, &s.CreatedAt, &h.completed}
}

func (h *saleRow) done() { h.s.CustomerID, h.s.CompletedAt = h.customer.Int64, h.completed.Time }

func loadLines(ctx context.Context, q execer, s *pos.Sale) error {
	rows, err := q.QueryContext(ctx, lineColumns+` WHERE transaction_id = ? ORDER BY line_no`, s.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	return scanLines(rows, s)
}

// scanLines reads lineColumns rows into s.
func scanLines(rows *sql.Rows, s *pos.Sale) error {
	for rows.Next() {
		var l pos.Line
		var t pos.LineTotals
		if err := rows.Scan(&l.ItemID, &l.Code, &l.Name, &l.Weighed, &l.Quantity, money{&l.UnitPrice},
			&l.PriceOverridden, money{&l.Discount}, &l.TaxRate, money{&t.Net}, money{&t.Tax}, money{&t.Gross}); err != nil {
			return err
		}
		s.Lines = append(s.Lines, l)
		s.Totals.Lines = append(s.Totals.Lines, t)
		s.Totals.Discount += l.Discount
		if l.Weighed {
			s.Totals.Items++
		} else {
			s.Totals.Items += l.Quantity
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.Totals.Bands = bands(s.Lines, s.Totals.Lines)
	return nil
}

func bands(lines []pos.Line, totals []pos.LineTotals) []pos.TaxBand {
	var out []pos.TaxBand
	for i, l := range lines {
		j := slices.IndexFunc(out, func(b pos.TaxBand) bool { return b.Rate == l.TaxRate })
		if j < 0 {
			out = append(out, pos.TaxBand{Rate: l.TaxRate})
			j = len(out) - 1
		}
		out[j].Net += totals[i].Net
		out[j].Tax += totals[i].Tax
		out[j].Gross += totals[i].Gross
	}
	slices.SortFunc(out, func(a, b pos.TaxBand) int { return a.Rate - b.Rate })
	return out
}

const paymentColumns = `SELECT p.attempt_key, (SELECT idempotency_key FROM transactions t
		WHERE t.transaction_id = p.transaction_id), p.method, p.status, p.amount, p.tendered,
		p.change_given, p.provider, p.provider_ref, p.card_brand, p.card_last4, p.auth_code,
		p.message, p.created_at
	FROM payments p`

func scanPayment(r interface{ Scan(...any) error }) (pos.Payment, error) {
	var p pos.Payment
	err := r.Scan(&p.AttemptKey, &p.SaleKey, &p.Method, &p.Status, money{&p.Amount}, money{&p.Tendered},
		money{&p.Change}, &p.Provider, &p.ProviderRef, &p.CardBrand, &p.CardLast4, &p.AuthCode,
		&p.Message, &p.CreatedAt)
	return p, err
}

func (db *DB) payment(ctx context.Context, attemptKey string) (pos.Payment, error) {
	p, err := scanPayment(db.writer.QueryRowContext(ctx, paymentColumns+` WHERE p.attempt_key = ?`, attemptKey))
	if errors.Is(err, sql.ErrNoRows) {
		return p, pos.Errorf(pos.ENotFound, "no payment attempt %s", attemptKey)
	}
	return p, mapError(err, "load the payment")
}

// PendingSales lists a till's sales still pending since before a time: the
// till of the store's own store (Config.StoreID), since every store of a
// chain may have a till-1.
func (db *DB) PendingSales(ctx context.Context, tillID string, before time.Time) ([]pos.Sale, error) {
	var sales []pos.Sale
	err := db.withTx(ctx, func(tx *txn) error {
		sales = sales[:0]
		keys, err := queryKeys(ctx, tx, `SELECT idempotency_key FROM transactions
			WHERE till_id = ? AND payment_status = 'pending' AND transaction_date < ?
			AND (? = '' OR store_id = ?)
			ORDER BY transaction_id`, tillID, before.UTC(), db.storeID, db.storeID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			s, err := db.loadSale(ctx, tx, k)
			if err != nil {
				return err
			}
			sales = append(sales, s)
		}
		return nil
	})
	return sales, mapError(err, "list pending sales")
}

// queryKeys reads a one-column list of keys, closing the rows before the
// caller loads each (a transaction runs one statement at a time).
func queryKeys(ctx context.Context, q execer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

func placeholders(n int) string { return repeatJoin("?", n) }

func repeatJoin(s string, n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(s+", ", n-1) + s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%.*s", n, s)
}
