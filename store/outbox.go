package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/till-pos/till/pos"
)

// The receipt outbox. finishSale writes a pending row in the transaction
// that completes a sale, and CompleteReturn one (return_id set) in the one
// that completes a return; the till's receipt worker claims due rows, uploads
// the receipt and marks the row, or records the failure and when to try
// again. The till's user may only change the outbox's status, attempts,
// next_attempt_at, last_error, object_key and uploaded_at (tillGrants).
//
// There is no lease column: a claim moves next_attempt_at forward by the
// lease, so the row is not due again while one worker uploads it, and comes
// back by itself if that worker dies. Two workers that still upload the
// same receipt (a drain stealing a lease) do no harm: the upload is a
// conditional write that never overwrites.

// PendingReceipts lists the keys of the sales, returns and Z reports whose
// PDFs wait for upload (a Z's key is ZReceiptKey's), oldest first: only those due now when dueOnly, else all
// of them. tillID "" means every till; a till id is that till of the
// store's own store (Config.StoreID) when it has one. limit ≤ 0 means no
// limit.
func (db *DB) PendingReceipts(ctx context.Context, tillID string, dueOnly bool, limit int) ([]string, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	// Each row names one of a sale, a return or a Z (receipt_outbox_one).
	query := `SELECT COALESCE(t.idempotency_key, r.idempotency_key), z.store_id, z.till_id, z.z_number
		FROM receipt_outbox o
		LEFT JOIN transactions t ON t.transaction_id = o.transaction_id
		LEFT JOIN returns r ON r.return_id = o.return_id
		LEFT JOIN z_reports z ON z.session_id = o.z_session_id
		WHERE o.status = 'pending'`
	var args []any
	if dueOnly {
		query += ` AND o.next_attempt_at <= ?`
		args = append(args, db.now().UTC())
	}
	if tillID != "" {
		query += ` AND o.till_id = ?`
		args = append(args, tillID)
		if db.storeID != "" { // every store of a chain may have a till-1
			query += ` AND COALESCE(t.store_id, r.store_id, z.store_id) = ?`
			args = append(args, db.storeID)
		}
	}
	query += ` ORDER BY o.next_attempt_at, o.outbox_id`
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := db.writer.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapError(err, "list receipts to upload")
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k, zStore, zTill sql.NullString
		var zNumber sql.NullInt64
		if err := rows.Scan(&k, &zStore, &zTill, &zNumber); err != nil {
			return nil, mapError(err, "list receipts to upload")
		}
		if zNumber.Valid {
			k.String = ZReceiptKey(zStore.String, zTill.String, zNumber.Int64)
		}
		keys = append(keys, k.String)
	}
	return keys, mapError(rows.Err(), "list receipts to upload")
}

// ZReceiptKey is the outbox key of a Z report: "z:<store>:<till>:<Z
// number>", with '%' and ':' in the store and till ids escaped as %25 and
// %3A so the key splits back unambiguously. A sale's or a return's key is
// a UUID, which never contains ':', so no key names two things.
func ZReceiptKey(storeID, tillID string, zNumber int64) string {
	return "z:" + escapeKeyPart(storeID) + ":" + escapeKeyPart(tillID) + ":" + strconv.FormatInt(zNumber, 10)
}

var (
	keyPartEscaper   = strings.NewReplacer("%", "%25", ":", "%3A")
	keyPartUnescaper = strings.NewReplacer("%3A", ":", "%25", "%")
)

func escapeKeyPart(s string) string { return keyPartEscaper.Replace(s) }

// ParseZReceiptKey splits a ZReceiptKey; ok is false for any other key.
func ParseZReceiptKey(key string) (storeID, tillID string, zNumber int64, ok bool) {
	rest, found := strings.CutPrefix(key, "z:")
	if !found {
		return "", "", 0, false
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", "", 0, false
	}
	n, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != parts[2] {
		return "", "", 0, false
	}
	return keyPartUnescaper.Replace(parts[0]), keyPartUnescaper.Replace(parts[1]), n, true
}

// receiptOwner finds what a receipt key names: the outbox column to match
// (transaction_id for a sale, return_id for a return, z_session_id for a
// Z) and the id. A key never changes what it names, so the statements that
// follow match on one unique index each. ok is false when the key names
// none.
func receiptOwner(ctx context.Context, q execer, key string) (column string, id int64, ok bool, err error) {
	if storeID, tillID, n, isZ := ParseZReceiptKey(key); isZ {
		err = q.QueryRowContext(ctx, `SELECT session_id FROM z_reports
			WHERE store_id = ? AND till_id = ? AND z_number = ?`, storeID, tillID, n).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return "", 0, false, nil
		}
		return "z_session_id", id, err == nil, err
	}
	var sale, ret sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT
			(SELECT transaction_id FROM transactions WHERE idempotency_key = ?),
			(SELECT return_id FROM returns WHERE idempotency_key = ?)`, key, key).Scan(&sale, &ret)
	switch {
	case err != nil:
		return "", 0, false, err
	case sale.Valid:
		return "transaction_id", sale.Int64, true, nil
	case ret.Valid:
		return "return_id", ret.Int64, true, nil
	}
	return "", 0, false, nil
}

// ReceiptReport loads the Z report an outbox key names (ZReceiptKey), as
// ZReport reads it: what the receipt worker renders and uploads.
func (db *DB) ReceiptReport(ctx context.Context, key string) (pos.Report, error) {
	storeID, tillID, n, ok := ParseZReceiptKey(key)
	if !ok {
		return pos.Report{}, pos.Errorf(pos.ENotFound, "%q is not a Z report's key", key)
	}
	return db.ZReport(ctx, storeID, tillID, n)
}

// ClaimReceipt leases a pending receipt (key: a sale's, a return's or a
// Z's) for
// upload: it is not due again for lease. It reports false when the receipt
// is already uploaded, or (unless evenIfNotDue) is not due because another
// worker holds it or it is backing off.
func (db *DB) ClaimReceipt(ctx context.Context, key string, lease time.Duration, evenIfNotDue bool) (bool, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	column, id, ok, err := receiptOwner(ctx, db.writer, key)
	if err != nil || !ok {
		return false, mapError(err, "claim a receipt for upload")
	}
	now := db.now().UTC()
	query := `UPDATE receipt_outbox SET next_attempt_at = ? WHERE ` + column + ` = ? AND status = 'pending'`
	args := []any{now.Add(lease), id}
	if !evenIfNotDue {
		query += ` AND next_attempt_at <= ?`
		args = append(args, now)
	}
	res, err := db.writer.ExecContext(ctx, query, args...)
	if err != nil {
		return false, mapError(err, "claim a receipt for upload")
	}
	n, err := res.RowsAffected()
	if err != nil || n == 1 || !evenIfNotDue {
		return n == 1, mapError(err, "claim a receipt for upload")
	}
	// The server counts changed rows, and a forced claim at the same
	// instant as the last one changes nothing: ask whether it is pending.
	var pending bool
	err = db.writer.QueryRowContext(ctx, `SELECT status = 'pending' FROM receipt_outbox
		WHERE `+column+` = ?`, id).Scan(&pending)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return pending, mapError(err, "claim a receipt for upload")
}

// ReceiptUploaded marks a receipt (a sale's or a return's) as archived
// under objectKey.
func (db *DB) ReceiptUploaded(ctx context.Context, key, objectKey string) error {
	ctx, cancel := db.call(ctx)
	defer cancel()
	column, id, ok, err := receiptOwner(ctx, db.writer, key)
	if err != nil || !ok {
		return mapError(err, "mark a receipt uploaded")
	}
	_, err = db.writer.ExecContext(ctx, `UPDATE receipt_outbox SET status = 'uploaded',
			object_key = ?, uploaded_at = ?, last_error = ''
		WHERE `+column+` = ?`, truncate(objectKey, 512), db.now().UTC(), id)
	return mapError(err, "mark a receipt uploaded")
}

// ReceiptFailed records a failed upload of a sale's or a return's receipt:
// one more attempt, the reason, and the next try after backoff(attempts so
// far). It returns the attempts.
func (db *DB) ReceiptFailed(ctx context.Context, key, reason string, backoff func(attempts int) time.Duration) (int, error) {
	var attempts int
	err := db.withTx(ctx, func(tx *txn) error {
		column, owner, ok, err := receiptOwner(ctx, tx, key)
		if err != nil {
			return err
		}
		var id int64
		if ok {
			err = tx.QueryRowContext(ctx, `SELECT outbox_id, attempts FROM receipt_outbox
				WHERE `+column+` = ? AND status = 'pending' FOR UPDATE`, owner).Scan(&id, &attempts)
		}
		if !ok || errors.Is(err, sql.ErrNoRows) {
			return pos.Errorf(pos.ENotFound, "no pending receipt for %s", key)
		}
		if err != nil {
			return err
		}
		attempts++
		_, err = tx.ExecContext(ctx, `UPDATE receipt_outbox SET attempts = ?, last_error = ?,
				next_attempt_at = ? WHERE outbox_id = ?`,
			attempts, truncate(reason, 255), tx.now.Add(backoff(attempts)), id)
		return err
	})
	return attempts, mapError(err, "record a failed receipt upload")
}

// ReceiptParties loads the cashier and customer a sale's receipt names. The
// customer's LoyaltyPoints is the balance right after this sale: today's
// balance less what sales completed later earned (completing a sale is the
// only thing that adds points). A sale without a customer returns a zero
// Customer.
func (db *DB) ReceiptParties(ctx context.Context, sale pos.Sale) (pos.Cashier, pos.Customer, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	var c pos.Cashier
	err := db.reader.QueryRowContext(ctx, `SELECT cashier_id, number, name, manager FROM cashiers
		WHERE cashier_id = ?`, sale.CashierID).Scan(&c.ID, &c.Number, &c.Name, &c.Manager)
	if errors.Is(err, sql.ErrNoRows) {
		return c, pos.Customer{}, pos.Errorf(pos.ENotFound, "no cashier %d", sale.CashierID)
	}
	if err != nil || sale.CustomerID == 0 {
		return c, pos.Customer{}, mapError(err, "load the receipt's cashier")
	}
	var cu pos.Customer
	var email, phone, card sql.NullString
	// Read from the writer: the balance must include the sale just completed.
	err = db.writer.QueryRowContext(ctx, `SELECT c.customer_id, c.name, c.email, c.phone, c.loyalty_card,
			c.loyalty_points - COALESCE((SELECT SUM(t.points_earned) FROM transactions t
				WHERE t.customer_id = c.customer_id AND t.payment_status = 'completed'
				AND t.completed_at > (SELECT completed_at FROM transactions WHERE transaction_id = ?)), 0)
		FROM customers c WHERE c.customer_id = ?`, sale.ID, sale.CustomerID).Scan(
		&cu.ID, &cu.Name, &email, &phone, &card, &cu.LoyaltyPoints)
	if errors.Is(err, sql.ErrNoRows) {
		return c, cu, pos.Errorf(pos.ENotFound, "no customer %d", sale.CustomerID)
	}
	cu.Email, cu.Phone, cu.LoyaltyCard = email.String, phone.String, card.String
	return c, cu, mapError(err, "load the receipt's customer")
}

// SaleKeyByNumber finds a sale's key from the number printed on its
// receipt (the transaction id).
func (db *DB) SaleKeyByNumber(ctx context.Context, number int64) (string, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	var key string
	err := db.reader.QueryRowContext(ctx, `SELECT idempotency_key FROM transactions
		WHERE transaction_id = ?`, number).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", pos.Errorf(pos.ENotFound, "no sale number %d", number)
	}
	return key, mapError(err, "find the sale")
}
