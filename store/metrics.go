package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/till-pos/till/pos"
)

// SetMetrics makes the store count its retries and the calls it gave up on
// because the database did not answer. Call it before the store is used.
func (db *DB) SetMetrics(m pos.Metrics) { db.metrics = m }

func (db *DB) count(name string) {
	if db.metrics != nil {
		db.metrics.Count(name, 1)
	}
}

// Backlog is what a till has waiting: receipts to upload, events to send
// (and parked), card payments whose outcome is not known yet. The oldest
// times are zero when nothing waits.
type Backlog struct {
	Receipts        int
	ReceiptsOldest  time.Time
	Events          pos.EventBacklog
	Reconcile       int
	ReconcileOldest time.Time
}

// Backlog counts a till's waiting work: three short reads of the writer.
func (db *DB) Backlog(ctx context.Context, tillID string) (Backlog, error) {
	var b Backlog
	var err error
	if b.Events, err = db.EventBacklog(ctx, tillID); err != nil {
		return b, err
	}
	ctx, cancel := db.call(ctx)
	defer cancel()
	var oldest sql.NullTime
	err = db.writer.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM receipt_outbox
		WHERE status = 'pending' AND till_id = ?`, tillID).Scan(&b.Receipts, &oldest)
	if err != nil {
		return b, mapError(err, "count receipts to upload")
	}
	b.ReceiptsOldest = oldest.Time
	// A payment waiting for reconcile belongs to a pending sale: the
	// transactions_pending index finds those first.
	err = db.writer.QueryRowContext(ctx, `SELECT COUNT(*), MIN(p.created_at) FROM transactions t
		JOIN payments p ON p.transaction_id = t.transaction_id
		WHERE t.till_id = ? AND t.payment_status = 'pending' AND p.status IN ('pending', 'unknown')`,
		tillID).Scan(&b.Reconcile, &oldest)
	b.ReconcileOldest = oldest.Time
	return b, mapError(err, "count payments to reconcile")
}
