package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/till-pos/till/pos"
)

// The event outbox (migrations/00005_events.sql). enqueueEvent writes a
// row in the transaction that completes or voids a sale, CompleteReturn
// one (return_id set) in the one that completes a return; a publisher
// claims due rows, sends their events and marks them. Like the receipt
// outbox there is no lock held while sending: a claim moves
// next_attempt_at forward by the lease and stamps a token, so the rows are
// not due again while one publisher sends them and come back by themselves
// if it dies.

var _ pos.EventOutbox = (*DB)(nil)

// saleEventTypes is the event a sale reaching a status emits.
var saleEventTypes = map[pos.SaleStatus]pos.EventType{
	pos.SaleCompleted: pos.EventSaleCompleted,
	pos.SaleVoided:    pos.EventSaleVoided,
}

// enqueueEvent writes the outbox row of the event a sale reaching status
// emits (none for a failed sale, nor for a training sale): one INSERT …
// SELECT, which reads the store, till and training flag from the sale's
// row the transaction already holds.
func enqueueEvent(ctx context.Context, tx *txn, saleID int64, key string, status pos.SaleStatus) error {
	if tx.v3stock {
		return nil // (a test filling a database as the version before the outbox did)
	}
	query, args, ok := eventStmt(saleByID(saleID), key, status, tx.now)
	if !ok {
		return nil
	}
	_, err := tx.ExecContext(ctx, query, args...)
	return err
}

// eventStmt is enqueueEvent's INSERT … SELECT; ok is false for a status
// that emits no event.
func eventStmt(sale saleRef, key string, status pos.SaleStatus, now time.Time) (query string, args []any, ok bool) {
	t, ok := saleEventTypes[status]
	if !ok {
		return "", nil, false
	}
	return `INSERT INTO event_outbox
		(event_id, event_type, transaction_id, store_id, till_id, next_attempt_at, created_at)
		SELECT ?, ?, transaction_id, store_id, till_id, ?, ? FROM transactions
		WHERE transaction_id = ` + sale.sql + ` AND NOT training`,
		append([]any{pos.EventID(key, t), string(t), now, now}, sale.args...), true
}

// eventValuesStmt is eventStmt for a batch that has the sale's store,
// till and training flag in hand: a plain INSERT … VALUES, cheaper than
// reading the sale's row back. ok is false when no event is due (a status
// that emits none, or a training sale).
func eventValuesStmt(sale saleRef, key string, status pos.SaleStatus, storeID, tillID string, training bool, now time.Time) (query string, args []any, ok bool) {
	t, ok := saleEventTypes[status]
	if !ok || training {
		return "", nil, false
	}
	return `INSERT INTO event_outbox
		(event_id, event_type, transaction_id, store_id, till_id, next_attempt_at, created_at)
		VALUES (?, ?, ` + sale.sql + `, ?, ?, ?, ?)`,
		slices.Concat([]any{pos.EventID(key, t), string(t)}, sale.args, []any{storeID, tillID, now, now}), true
}

// ClaimEvents leases up to limit pending events, oldest first, and builds
// each from its sale or return. evenIfNotDue takes events backing off too,
// never those another publisher holds. An event whose sale or return cannot
// be loaded or does not make a valid event comes back with Problem set, to
// be parked.
func (db *DB) ClaimEvents(ctx context.Context, tillID string, lease time.Duration, limit int, evenIfNotDue bool) ([]pos.OutboxEvent, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	if limit <= 0 {
		limit = 10
	}
	now := db.now().UTC()
	token := uuid.NewString()
	query := `UPDATE event_outbox SET next_attempt_at = ?, lease_token = ? WHERE status = 'pending'`
	args := []any{now.Add(lease), token}
	if tillID != "" {
		query += ` AND till_id = ?`
		args = append(args, tillID)
	}
	if evenIfNotDue {
		// Backing off is no reason to wait (a failure clears the token);
		// another publisher's live lease is.
		query += ` AND (next_attempt_at <= ? OR lease_token = '')`
	} else {
		query += ` AND next_attempt_at <= ?`
	}
	args = append(args, now)
	query += ` ORDER BY next_attempt_at, outbox_id LIMIT ?`
	args = append(args, limit)
	// Two publishers' claims can deadlock (each UPDATE … ORDER BY … LIMIT
	// locks rows as it scans): retried as a transaction, like a sale.
	if err := db.withTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	}); err != nil {
		return nil, mapError(err, "claim events to send")
	}
	// Each row names a sale or a return (event_outbox_one), never both.
	rows, err := db.writer.QueryContext(ctx, `SELECT o.event_id, o.event_type, o.store_id, o.attempts,
			o.created_at, COALESCE(t.idempotency_key, r.idempotency_key, ''), o.return_id IS NOT NULL
		FROM event_outbox o
		LEFT JOIN transactions t ON t.transaction_id = o.transaction_id
		LEFT JOIN returns r ON r.return_id = o.return_id
		WHERE o.lease_token = ? AND o.status = 'pending' ORDER BY o.outbox_id`, token)
	if err != nil {
		return nil, mapError(err, "claim events to send")
	}
	var out []pos.OutboxEvent
	var keys []string
	var returns []bool
	for rows.Next() {
		var e pos.OutboxEvent
		var key string
		var isReturn bool
		if err := rows.Scan(&e.ID, &e.Type, &e.StoreID, &e.Attempts, &e.Created, &key, &isReturn); err != nil {
			rows.Close()
			return nil, mapError(err, "claim events to send")
		}
		out = append(out, e)
		keys = append(keys, key)
		returns = append(returns, isReturn)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "claim events to send")
	}
	for i := range out {
		var err error
		if returns[i] {
			err = db.buildReturnEvent(ctx, &out[i], keys[i])
		} else {
			err = db.buildSaleEvent(ctx, &out[i], keys[i])
		}
		if err != nil {
			return nil, err // the database's trouble, not the event's: the leases lapse by themselves
		}
	}
	return out, nil
}

// buildSaleEvent builds a claimed event from its sale, or sets its Problem.
func (db *DB) buildSaleEvent(ctx context.Context, e *pos.OutboxEvent, key string) error {
	sale, err := db.Sale(ctx, key)
	switch {
	case pos.ErrorCode(err) == pos.ENotFound:
		e.Problem = pos.ErrorMessage(err)
		return nil
	case err != nil:
		return err
	}
	if e.Event, err = pos.NewSaleEvent(e.Type, sale, e.Created); err != nil {
		e.Problem = pos.ErrorMessage(err)
	}
	return nil
}

// buildReturnEvent builds a claimed event from its return, or sets its
// Problem.
func (db *DB) buildReturnEvent(ctx context.Context, e *pos.OutboxEvent, key string) error {
	if e.Type != pos.EventReturnCompleted {
		e.Problem = fmt.Sprintf("a return has no %s event", e.Type)
		return nil
	}
	ret, err := db.Return(ctx, key)
	switch {
	case pos.ErrorCode(err) == pos.ENotFound:
		e.Problem = pos.ErrorMessage(err)
		return nil
	case err != nil:
		return err
	}
	if e.Event, err = pos.NewReturnEvent(ret, e.Created); err != nil {
		e.Problem = pos.ErrorMessage(err)
	}
	return nil
}

// EventsSent marks events delivered: one UPDATE.
func (db *DB) EventsSent(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	ctx, cancel := db.call(ctx)
	defer cancel()
	args := []any{db.now().UTC()}
	for _, id := range ids {
		args = append(args, id)
	}
	err := db.withTx(ctx, func(tx *txn) error { // retried on a deadlock with another publisher's claim
		_, err := tx.ExecContext(ctx, `UPDATE event_outbox SET status = 'sent', sent_at = ?,
			last_error = '', lease_token = '' WHERE status = 'pending' AND event_id IN (`+placeholders(len(ids))+`)`, args...)
		return err
	})
	return mapError(err, "mark events sent")
}

// EventsFailed records a failed attempt for each event and when to try it
// again.
func (db *DB) EventsFailed(ctx context.Context, failed []pos.EventFailure, backoff func(attempts int) time.Duration) error {
	if len(failed) == 0 {
		return nil
	}
	err := db.withTx(ctx, func(tx *txn) error {
		ids := make([]any, len(failed))
		for i, f := range failed {
			ids[i] = f.ID
		}
		rows, err := tx.QueryContext(ctx, `SELECT event_id, attempts FROM event_outbox
			WHERE status = 'pending' AND event_id IN (`+placeholders(len(ids))+`) FOR UPDATE`, ids...)
		if err != nil {
			return err
		}
		attempts := map[string]int{}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return err
			}
			attempts[id] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, f := range failed {
			n, ok := attempts[f.ID]
			if !ok {
				continue // sent or parked meanwhile
			}
			if _, err := tx.ExecContext(ctx, `UPDATE event_outbox SET attempts = ?, last_error = ?,
					next_attempt_at = ?, lease_token = '' WHERE event_id = ?`,
				n+1, truncate(f.Reason, 255), tx.now.Add(backoff(n+1)), f.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return mapError(err, "record failed event sends")
}

// EventsParked sets events aside with their reasons.
func (db *DB) EventsParked(ctx context.Context, parked []pos.EventFailure) error {
	err := db.withTx(ctx, func(tx *txn) error {
		for _, p := range parked {
			if _, err := tx.ExecContext(ctx, `UPDATE event_outbox SET status = 'parked', last_error = ?,
					attempts = attempts + 1, lease_token = '' WHERE event_id = ? AND status = 'pending'`,
				truncate(p.Reason, 255), p.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return mapError(err, "park events")
}

// ExpireEvents marks a till's pending events created before a time as
// expired (no queue is configured to take them).
func (db *DB) ExpireEvents(ctx context.Context, tillID string, before time.Time) (int, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	query := `UPDATE event_outbox SET status = 'expired', lease_token = '',
			last_error = 'no queue configured within the retention'
		WHERE status = 'pending' AND created_at < ?`
	args := []any{before.UTC()}
	if tillID != "" {
		query += ` AND till_id = ?`
		args = append(args, tillID)
	}
	res, err := db.writer.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, mapError(err, "expire unsent events")
	}
	n, err := res.RowsAffected()
	return int(n), mapError(err, "expire unsent events")
}

// EventBacklog counts a till's pending and parked events ("" every till).
func (db *DB) EventBacklog(ctx context.Context, tillID string) (pos.EventBacklog, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	query := `SELECT COUNT(CASE WHEN status = 'pending' THEN 1 END),
			MIN(CASE WHEN status = 'pending' THEN created_at END),
			COUNT(CASE WHEN status = 'parked' THEN 1 END)
		FROM event_outbox WHERE status IN ('pending', 'parked')`
	var args []any
	if tillID != "" {
		query += ` AND till_id = ?`
		args = append(args, tillID)
	}
	var b pos.EventBacklog
	var oldest sql.NullTime
	err := db.writer.QueryRowContext(ctx, query, args...).Scan(&b.Pending, &oldest, &b.Parked)
	b.Oldest = oldest.Time
	return b, mapError(err, "count unsent events")
}

// PruneEvents deletes sent and expired events created before a time, for
// the administrative user (`till events prune`): the till's own user
// deletes nothing. Parked events stay until someone looks at them.
func PruneEvents(ctx context.Context, admin *sql.DB, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := admin.ExecContext(ctx, `DELETE FROM event_outbox
			WHERE status IN ('sent', 'expired') AND created_at < ? LIMIT 1000`, before.UTC())
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		total += n
		if err != nil || n < 1000 {
			return total, err
		}
	}
}
