package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/till-pos/till/pos"
)

// The cash office (migrations/00008_cash_office.sql). The till's drawer row
// (till_drawers) is its lock: opening and closing a session take it FOR
// UPDATE, a cash movement (and the triggers that stamp a sale's or a
// return's session) LOCK IN SHARE MODE. A close therefore waits for every
// sale, return and movement already stamped with its session to commit,
// and its reads, whose snapshot begins after that lock is granted, see
// them all; anything after the close finds the session closed.

var _ pos.CashOfficeStore = (*DB)(nil)

// OpenSession opens a session at a till with its counted float.
func (db *DB) OpenSession(ctx context.Context, req pos.OpenRequest) (pos.Session, error) {
	switch {
	case uuid.Validate(req.Key) != nil:
		return pos.Session{}, pos.Errorf(pos.EInvalid, "the session has no valid key")
	case req.CashierID == 0:
		return pos.Session{}, pos.Errorf(pos.EInvalid, "no cashier is signed in")
	}
	if err := req.Float.Validate(pos.CurrencyByCode(req.Currency)); err != nil {
		return pos.Session{}, err
	}
	float := req.Float.Normal()
	err := db.withTx(ctx, func(tx *txn) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM till_sessions WHERE idempotency_key = ?`,
			req.Key).Scan(&exists); err != nil {
			return err
		}
		if exists > 0 {
			return errExists
		}
		open, err := lockDrawer(ctx, tx, req.StoreID, req.TillID, true)
		if err != nil {
			return err
		}
		if open.Valid {
			s, err := loadSession(ctx, tx, open.Int64)
			if err != nil {
				return err
			}
			return pos.Errorf(pos.EConflict, "a session is already open at till %s (session %d, opened %s): close it with a Z first",
				req.TillID, s.ID, s.OpenedAt.Format("2006-01-02 15:04 UTC"))
		}
		salesAfter, returnsAfter, err := outsideFrom(ctx, tx, req.StoreID, req.TillID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO till_sessions
			(idempotency_key, store_id, till_id, training, currency, opened_by, opened_at, opening_float,
			 status, sales_after, returns_after)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
			req.Key, req.StoreID, req.TillID, req.Training, req.Currency, req.CashierID, tx.now,
			dec(float.Total()), salesAfter, returnsAfter)
		if mysqlCode(err) == errDupEntry {
			return errExists
		}
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if err := insertCount(ctx, tx, id, "open", float); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE till_drawers SET open_session_id = ?, updated_at = ?
			WHERE store_id = ? AND till_id = ?`, id, tx.now, req.StoreID, req.TillID); err != nil {
			return err
		}
		return cashAudit(ctx, tx, req.StoreID, req.TillID, req.CashierID, "session_open",
			fmt.Sprintf("session %d opened with a float of %s", id, dec(float.Total())))
	})
	if err != nil && !errors.Is(err, errExists) {
		return pos.Session{}, mapError(err, "open the till")
	}
	s, err := db.sessionByKey(ctx, req.Key)
	if err == nil && (s.StoreID != req.StoreID || s.TillID != req.TillID) {
		return pos.Session{}, pos.Errorf(pos.EConflict, "this session key was already used at another till")
	}
	return s, err
}

// lockDrawer locks the till's drawer row (FOR UPDATE, or shared) and
// returns its open session. With create, a till that never had a drawer
// row gets one (two first opens at once deadlock on the gap, and withTx
// runs the loser again).
func lockDrawer(ctx context.Context, tx *txn, storeID, tillID string, forUpdate bool) (sql.NullInt64, error) {
	lock := "LOCK IN SHARE MODE"
	if forUpdate {
		lock = "FOR UPDATE"
	}
	var open sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT open_session_id FROM till_drawers
		WHERE store_id = ? AND till_id = ? `+lock, storeID, tillID).Scan(&open)
	if errors.Is(err, sql.ErrNoRows) && forUpdate {
		_, err = tx.ExecContext(ctx, `INSERT INTO till_drawers (store_id, till_id, updated_at) VALUES (?, ?, ?)`,
			storeID, tillID, tx.now)
		if code := mysqlCode(err); code == errNoReferencedRow || code == errNoReferencedRow2 {
			return open, pos.Errorf(pos.ENotFound, "there is no store %q", storeID)
		}
		return open, err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return open, nil
	}
	return open, err
}

// Foreign key failures: no parent row.
const (
	errNoReferencedRow  = 1216
	errNoReferencedRow2 = 1452
)

// outsideFrom is where a new session's list of sales and returns made
// outside a session starts: where the till's last Z stopped, or, for the
// till's first session, after everything it did before sessions existed.
func outsideFrom(ctx context.Context, tx *txn, storeID, tillID string) (int64, int64, error) {
	var sales, returns int64
	err := tx.QueryRowContext(ctx, `SELECT outside_sales_upto, outside_returns_upto FROM z_reports
		WHERE store_id = ? AND till_id = ? ORDER BY z_number DESC LIMIT 1`, storeID, tillID).Scan(&sales, &returns)
	if !errors.Is(err, sql.ErrNoRows) {
		return sales, returns, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(transaction_id), 0) FROM transactions
		WHERE store_id = ? AND till_id = ?`, storeID, tillID).Scan(&sales); err != nil {
		return 0, 0, err
	}
	err = tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(return_id), 0) FROM returns
		WHERE store_id = ? AND till_id = ?`, storeID, tillID).Scan(&returns)
	return sales, returns, err
}

func insertCount(ctx context.Context, tx *txn, sessionID int64, stage string, c pos.CashCount) error {
	var args []any
	n := 0
	for _, l := range c.Lines {
		if l.Quantity > 0 {
			args = append(args, sessionID, stage, dec(l.Denomination), l.Quantity)
			n++
		}
	}
	if n == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO cash_counts (session_id, stage, denomination, quantity) VALUES `+
		repeatJoin("(?, ?, ?, ?)", n), args...)
	return err
}

func cashAudit(ctx context.Context, tx *txn, storeID, tillID string, cashierID int64, action, detail string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, store_id, till_id, cashier_id, action, detail)
		VALUES (?, ?, ?, ?, ?, ?)`, tx.now, storeID, tillID, cashierID, action, truncate(detail, 1024))
	return err
}

const sessionColumns = `session_id, idempotency_key, store_id, till_id, training, currency, opened_by,
	opened_at, opening_float, status, COALESCE(closed_by, 0), closed_at, sales_after, returns_after`

type sessionRow struct {
	pos.Session
	salesAfter, returnsAfter int64
}

func scanSession(row interface{ Scan(...any) error }) (sessionRow, error) {
	var s sessionRow
	var closed sql.NullTime
	err := row.Scan(&s.ID, &s.Key, &s.StoreID, &s.TillID, &s.Training, &s.Currency, &s.OpenedBy,
		&s.OpenedAt, money{&s.Float}, &s.Status, &s.ClosedBy, &closed, &s.salesAfter, &s.returnsAfter)
	s.ClosedAt = closed.Time
	return s, err
}

func loadSessionRow(ctx context.Context, q execer, id int64) (sessionRow, error) {
	s, err := scanSession(q.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM till_sessions WHERE session_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, pos.Errorf(pos.ENotFound, "no till session %d", id)
	}
	if err != nil {
		return s, err
	}
	s.FloatNote, err = loadCount(ctx, q, id, "open", s.Float)
	return s, err
}

func loadSession(ctx context.Context, q execer, id int64) (pos.Session, error) {
	s, err := loadSessionRow(ctx, q, id)
	return s.Session, err
}

// loadCount reads a count; what the denominations do not cover of total
// was counted as one sum.
func loadCount(ctx context.Context, q execer, sessionID int64, stage string, total pos.Money) (pos.CashCount, error) {
	rows, err := q.QueryContext(ctx, `SELECT denomination, quantity FROM cash_counts
		WHERE session_id = ? AND stage = ? ORDER BY denomination DESC`, sessionID, stage)
	if err != nil {
		return pos.CashCount{}, err
	}
	defer rows.Close()
	var c pos.CashCount
	for rows.Next() {
		var l pos.CountLine
		if err := rows.Scan(money{&l.Denomination}, &l.Quantity); err != nil {
			return c, err
		}
		c.Lines = append(c.Lines, l)
	}
	c.Amount = total - c.Total()
	return c, rows.Err()
}

func (db *DB) sessionByKey(ctx context.Context, key string) (pos.Session, error) {
	var s pos.Session
	err := db.withTx(ctx, func(tx *txn) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT session_id FROM till_sessions WHERE idempotency_key = ?`, key).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return pos.Errorf(pos.ENotFound, "no till session with key %s", key)
		}
		if err != nil {
			return err
		}
		s, err = loadSession(ctx, tx, id)
		return err
	})
	return s, mapError(err, "load the till session")
}

// OpenSessionAt returns the till's open session.
func (db *DB) OpenSessionAt(ctx context.Context, storeID, tillID string) (pos.Session, error) {
	var s pos.Session
	err := db.withTx(ctx, func(tx *txn) error {
		open, err := lockDrawer(ctx, tx, storeID, tillID, false)
		if err != nil {
			return err
		}
		if !open.Valid {
			return pos.Errorf(pos.ENotFound, "no session is open at till %s: open the till with a float first", tillID)
		}
		s, err = loadSession(ctx, tx, open.Int64)
		return err
	})
	return s, mapError(err, "find the till's session")
}

// RecordMovement records a paid-in, paid-out, pick-up or no-sale in the
// till's open session, with its audit row.
func (db *DB) RecordMovement(ctx context.Context, m pos.CashMovement) (pos.CashMovement, error) {
	if err := m.Validate(); err != nil {
		return m, err
	}
	err := db.withTx(ctx, func(tx *txn) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cash_movements WHERE idempotency_key = ?`,
			m.Key).Scan(&exists); err != nil {
			return err
		}
		if exists > 0 {
			return errExists
		}
		open, err := lockDrawer(ctx, tx, m.StoreID, m.TillID, false)
		if err != nil {
			return err
		}
		if !open.Valid {
			return pos.Errorf(pos.EConflict, "no session is open at till %s: open the till with a float first", m.TillID)
		}
		if m.Kind.NeedsManager() {
			if err := checkManager(ctx, tx, m.ApprovedBy, "a "+m.Kind.Label()); err != nil {
				return err
			}
		}
		var approver any
		if m.ApprovedBy != 0 {
			approver = m.ApprovedBy
		}
		m.SessionID, m.CreatedAt = open.Int64, tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO cash_movements
			(idempotency_key, session_id, kind, amount, reason, cashier_id, approved_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, m.Key, m.SessionID, string(m.Kind), dec(m.Amount),
			m.Reason, m.CashierID, approver, tx.now)
		if mysqlCode(err) == errDupEntry {
			return errExists
		}
		if err != nil {
			return err
		}
		if m.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		detail := fmt.Sprintf("session %d: %s %s: %s", m.SessionID, m.Kind.Label(), dec(m.Amount), m.Reason)
		if m.ApprovedBy != 0 {
			detail += fmt.Sprintf("; approved by manager %d", m.ApprovedBy)
		}
		return cashAudit(ctx, tx, m.StoreID, m.TillID, m.CashierID, "cash_"+string(m.Kind), detail)
	})
	if errors.Is(err, errExists) {
		return db.movement(ctx, m)
	}
	return m, mapError(err, "record the "+m.Kind.Label())
}

func (db *DB) movement(ctx context.Context, want pos.CashMovement) (pos.CashMovement, error) {
	m := pos.CashMovement{StoreID: want.StoreID, TillID: want.TillID}
	var approver sql.NullInt64
	err := db.withTx(ctx, func(tx *txn) error {
		return tx.QueryRowContext(ctx, `SELECT movement_id, idempotency_key, session_id, kind, amount, reason,
				cashier_id, approved_by, created_at FROM cash_movements WHERE idempotency_key = ?`, want.Key).
			Scan(&m.ID, &m.Key, &m.SessionID, &m.Kind, money{&m.Amount}, &m.Reason, &m.CashierID, &approver, &m.CreatedAt)
	})
	m.ApprovedBy = approver.Int64
	if err == nil && (m.Kind != want.Kind || m.Amount != want.Amount) {
		return m, pos.Errorf(pos.EConflict, "this movement key was already used for a different movement")
	}
	return m, mapError(err, "load the cash movement")
}

// XReport reads the figures of the till's open session.
func (db *DB) XReport(ctx context.Context, storeID, tillID string) (pos.Report, error) {
	var r pos.Report
	err := db.withTx(ctx, func(tx *txn) error {
		open, err := lockDrawer(ctx, tx, storeID, tillID, false)
		if err != nil {
			return err
		}
		if !open.Valid {
			return pos.Errorf(pos.ENotFound, "no session is open at till %s: there is nothing to report", tillID)
		}
		s, err := loadSessionRow(ctx, tx, open.Int64)
		if err != nil {
			return err
		}
		if r, err = loadReport(ctx, tx, s, 0, 0, 0); err != nil {
			return err
		}
		r.Kind, r.To = pos.ReportX, tx.now
		if r.Parked, err = parkedAt(ctx, tx, storeID, tillID, r.To); err != nil {
			return err
		}
		_, grand, err := lastZ(ctx, tx, storeID, tillID)
		r.GrandTotal = grand + r.NetTotal
		return err
	})
	return r, mapError(err, "read the X report")
}

// lastZ is the till's last Z number and grand total (0, 0 before its first).
func lastZ(ctx context.Context, tx *txn, storeID, tillID string) (int64, pos.Money, error) {
	var n int64
	var grand pos.Money
	err := tx.QueryRowContext(ctx, `SELECT z_number, grand_total FROM z_reports
		WHERE store_id = ? AND till_id = ? ORDER BY z_number DESC LIMIT 1`, storeID, tillID).Scan(&n, money{&grand})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	return n, grand, err
}

// CloseSession closes the till's open session with its Z: the next Z
// number of the till, allocated under the drawer's lock in this
// transaction (so gap-free: a close that rolls back takes no number).
func (db *DB) CloseSession(ctx context.Context, req pos.CloseRequest) (pos.Report, error) {
	switch {
	case uuid.Validate(req.Key) != nil:
		return pos.Report{}, pos.Errorf(pos.EInvalid, "the close has no valid key")
	case req.CashierID == 0:
		return pos.Report{}, pos.Errorf(pos.EInvalid, "no cashier is signed in")
	}
	counted := req.Counted.Normal()
	var r pos.Report
	err := db.withTx(ctx, func(tx *txn) error {
		open, err := lockDrawer(ctx, tx, req.StoreID, req.TillID, true)
		if err != nil {
			return err
		}
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM z_reports WHERE close_key = ?`, req.Key).Scan(&done); err != nil {
			return err
		}
		if done > 0 {
			return errExists
		}
		switch {
		case !open.Valid:
			return pos.Errorf(pos.EConflict, "no session is open at till %s: it was closed already", req.TillID)
		case req.SessionID != 0 && req.SessionID != open.Int64:
			return pos.Errorf(pos.EConflict, "session %d is no longer open at till %s: it was closed already", req.SessionID, req.TillID)
		}
		s, err := loadSessionRow(ctx, tx, open.Int64)
		if err != nil {
			return err
		}
		if err := counted.Validate(pos.CurrencyByCode(s.Currency)); err != nil {
			return err
		}
		var salesUpto, returnsUpto int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(transaction_id), ?) FROM transactions
			WHERE session_id IS NULL AND transaction_id > ? AND store_id = ? AND till_id = ?`,
			s.salesAfter, s.salesAfter, s.StoreID, s.TillID).Scan(&salesUpto); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(return_id), ?) FROM returns
			WHERE session_id IS NULL AND return_id > ? AND store_id = ? AND till_id = ?`,
			s.returnsAfter, s.returnsAfter, s.StoreID, s.TillID).Scan(&returnsUpto); err != nil {
			return err
		}
		if r, err = loadReport(ctx, tx, s, salesUpto, returnsUpto, req.CashierID); err != nil {
			return err
		}
		if r.Pending > 0 {
			return pos.Errorf(pos.EConflict, "%d sales or returns of this session are still pending: "+
				"finish them (or run till reconcile) before the Z", r.Pending)
		}
		last, grand, err := lastZ(ctx, tx, s.StoreID, s.TillID)
		if err != nil {
			return err
		}
		r.Kind, r.ZNumber = pos.ReportZ, last+1
		r.GrandTotal = grand + r.NetTotal
		r.Counted, r.HasCount = counted, true
		r.Difference = counted.Total() - r.ExpectedCash
		var first, lastSale any
		if r.FirstSale != 0 {
			first, lastSale = r.FirstSale, r.LastSale
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO z_reports
			(session_id, close_key, store_id, till_id, z_number, closed_by, closed_at, sales_count, sales_total,
			 returns_total, net_total, expected_cash, counted_cash, difference, grand_total, first_sale_id,
			 last_sale_id, outside_sales_upto, outside_returns_upto)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.ID, req.Key, s.StoreID, s.TillID, r.ZNumber, req.CashierID, tx.now, r.Sales.Count,
			dec(r.Sales.Amount), dec(r.Sales.Amount-r.NetTotal), dec(r.NetTotal), dec(r.ExpectedCash),
			dec(counted.Total()), dec(r.Difference), dec(r.GrandTotal), first, lastSale, salesUpto, returnsUpto); err != nil {
			return err
		}
		// The Z's PDF goes to the archive through the receipt outbox.
		if _, err := tx.ExecContext(ctx, `INSERT INTO receipt_outbox
			(z_session_id, till_id, status, next_attempt_at, created_at) VALUES (?, ?, 'pending', ?, ?)`,
			s.ID, s.TillID, tx.now, tx.now); err != nil {
			return err
		}
		if err := insertCount(ctx, tx, s.ID, "close", counted); err != nil {
			return err
		}
		// The Z row first: the session closes only with its Z
		// (till_sessions_final), the drawer lets go only of a closed one.
		if _, err := tx.ExecContext(ctx, `UPDATE till_sessions SET status = 'closed', closed_by = ?, closed_at = ?
			WHERE session_id = ?`, req.CashierID, tx.now, s.ID); err != nil {
			return err
		}
		closed, err := loadSession(ctx, tx, s.ID)
		if err != nil {
			return err
		}
		r.Session, r.To = closed, closed.ClosedAt
		if r.Parked, err = parkedAt(ctx, tx, s.StoreID, s.TillID, r.To); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE till_drawers SET open_session_id = NULL, updated_at = ?
			WHERE store_id = ? AND till_id = ?`, tx.now, s.StoreID, s.TillID); err != nil {
			return err
		}
		return cashAudit(ctx, tx, s.StoreID, s.TillID, req.CashierID, "z_report",
			fmt.Sprintf("Z %d closed session %d: net %s, expected cash %s, counted %s, difference %s",
				r.ZNumber, s.ID, dec(r.NetTotal), dec(r.ExpectedCash), dec(counted.Total()), dec(r.Difference)))
	})
	if errors.Is(err, errExists) {
		return db.zByKey(ctx, req.Key)
	}
	if err != nil {
		return pos.Report{}, mapError(err, "close the till (Z)")
	}
	return r, nil
}

func (db *DB) zByKey(ctx context.Context, key string) (pos.Report, error) {
	var r pos.Report
	err := db.withTx(ctx, func(tx *txn) error {
		var sessionID int64
		err := tx.QueryRowContext(ctx, `SELECT session_id FROM z_reports WHERE close_key = ?`, key).Scan(&sessionID)
		if err != nil {
			return err
		}
		r, err = loadZ(ctx, tx, sessionID)
		return err
	})
	return r, mapError(err, "read the Z report")
}

// ZReport reads a closed session's Z by the till's Z number.
func (db *DB) ZReport(ctx context.Context, storeID, tillID string, zNumber int64) (pos.Report, error) {
	var r pos.Report
	err := db.withTx(ctx, func(tx *txn) error {
		var sessionID int64
		err := tx.QueryRowContext(ctx, `SELECT session_id FROM z_reports
			WHERE store_id = ? AND till_id = ? AND z_number = ?`, storeID, tillID, zNumber).Scan(&sessionID)
		if errors.Is(err, sql.ErrNoRows) {
			return pos.Errorf(pos.ENotFound, "till %s has no Z %d", tillID, zNumber)
		}
		if err != nil {
			return err
		}
		r, err = loadZ(ctx, tx, sessionID)
		return err
	})
	return r, mapError(err, "read the Z report")
}

// loadZ reads a Z: the session's figures from its rows, and the close's
// own (number, count, grand total) from its z_reports row. The session's
// rows never change after its close (nothing pending was left, and nothing
// new can be stamped with a closed session), so the figures read now are
// those of the close; TestZReadsBackAsClosed checks they equal the row's.
func loadZ(ctx context.Context, tx *txn, sessionID int64) (pos.Report, error) {
	s, err := loadSessionRow(ctx, tx, sessionID)
	if err != nil {
		return pos.Report{}, err
	}
	var z struct {
		number               int64
		closedAt             time.Time
		salesUpto, retUpto   int64
		counted, grand, diff pos.Money
	}
	if err := tx.QueryRowContext(ctx, `SELECT z_number, closed_at, outside_sales_upto, outside_returns_upto,
			counted_cash, grand_total, difference FROM z_reports WHERE session_id = ?`, sessionID).Scan(&z.number,
		&z.closedAt, &z.salesUpto, &z.retUpto, money{&z.counted}, money{&z.grand}, money{&z.diff}); err != nil {
		return pos.Report{}, err
	}
	r, err := loadReport(ctx, tx, s, z.salesUpto, z.retUpto, 0)
	if err != nil {
		return r, err
	}
	r.Kind, r.ZNumber, r.To, r.GrandTotal, r.Difference, r.HasCount = pos.ReportZ, z.number, z.closedAt, z.grand, z.diff, true
	if r.Parked, err = parkedAt(ctx, tx, s.StoreID, s.TillID, r.To); err != nil {
		return r, err
	}
	r.Counted, err = loadCount(ctx, tx, sessionID, "close", z.counted)
	return r, err
}

// parkedAt counts the baskets parked at a till that were still waiting at
// a moment: parked by then and not resumed by then, so a Z read again
// later lists what was parked at its close.
func parkedAt(ctx context.Context, q execer, storeID, tillID string, at time.Time) (pos.Tally, error) {
	var t pos.Tally
	err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(total_amount), 0) FROM parked_baskets
		WHERE store_id = ? AND till_id = ? AND parked_at <= ? AND (resumed_at IS NULL OR resumed_at > ?)`,
		storeID, tillID, at.UTC(), at.UTC()).Scan(&t.Count, money{&t.Amount})
	if err != nil {
		return t, fmt.Errorf("parked baskets: %w", err)
	}
	return t, nil
}

// loadReport reads every figure of a session from the sales, payments,
// returns, refunds and movements stamped with it. salesUpto and
// returnsUpto bound the list of rows made outside a session (0: up to
// now, for an X); closer is the cashier closing it, for the cashiers of a
// Z being closed (0: none).
func loadReport(ctx context.Context, q execer, s sessionRow, salesUpto, returnsUpto, closer int64) (pos.Report, error) {
	r := pos.Report{Session: s.Session, From: s.OpenedAt, To: s.ClosedAt, Float: s.Float}
	id := s.ID
	var first, last sql.NullInt64
	var saleRounding, retRounding pos.Money
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(total_amount + cash_rounding), 0),
			COALESCE(SUM(cash_rounding), 0), MIN(transaction_id), MAX(transaction_id)
		FROM transactions WHERE session_id = ? AND payment_status = 'completed'`, id).Scan(&r.Sales.Count,
		money{&r.Sales.Amount}, money{&saleRounding}, &first, &last); err != nil {
		return r, fmt.Errorf("sales: %w", err)
	}
	r.FirstSale, r.LastSale = first.Int64, last.Int64
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(total_amount), 0) FROM transactions
		WHERE session_id = ? AND payment_status IN ('voided','failed')`, id).Scan(&r.Released.Count,
		money{&r.Released.Amount}); err != nil {
		return r, fmt.Errorf("released sales: %w", err)
	}
	var pendingSales, pendingReturns int64
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM transactions WHERE session_id = ? AND payment_status = 'pending'`,
		id).Scan(&pendingSales); err != nil {
		return r, fmt.Errorf("pending sales: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM returns WHERE session_id = ? AND status = 'pending'`,
		id).Scan(&pendingReturns); err != nil {
		return r, fmt.Errorf("pending returns: %w", err)
	}
	r.Pending = pendingSales + pendingReturns

	rows, err := q.QueryContext(ctx, `SELECT p.method, COUNT(*), SUM(p.amount), SUM(p.tendered), SUM(p.change_given)
		FROM payments p JOIN transactions t ON t.transaction_id = p.transaction_id
		WHERE t.session_id = ? AND t.payment_status = 'completed' AND p.status = 'approved'
		GROUP BY p.method ORDER BY p.method`, id)
	if err != nil {
		return r, fmt.Errorf("tenders: %w", err)
	}
	for rows.Next() {
		var t pos.TenderTotal
		var tendered, change pos.Money
		if err := rows.Scan(&t.Method, &t.Count, money{&t.Amount}, money{&tendered}, money{&change}); err != nil {
			rows.Close()
			return r, fmt.Errorf("tenders: %w", err)
		}
		if t.Method == pos.MethodCash {
			r.CashTendered, r.Change = tendered, change
		}
		r.SalesByTender = append(r.SalesByTender, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("tenders: %w", err)
	}

	if err := q.QueryRowContext(ctx, `SELECT
			COUNT(CASE WHEN ti.discount <> 0 THEN 1 END), COALESCE(SUM(ti.discount), 0),
			COUNT(CASE WHEN ti.price_overridden THEN 1 END),
			COALESCE(SUM(CASE WHEN ti.price_overridden THEN ti.line_total END), 0)
		FROM transaction_items ti JOIN transactions t ON t.transaction_id = ti.transaction_id
		WHERE t.session_id = ? AND t.payment_status = 'completed'`, id).Scan(&r.Discounts.Count,
		money{&r.Discounts.Amount}, &r.Overrides.Count, money{&r.Overrides.Amount}); err != nil {
		return r, fmt.Errorf("discounts: %w", err)
	}

	taxes := map[int]*pos.TaxTotal{}
	for _, tq := range []struct {
		sign  pos.Money
		query string
	}{
		{1, `SELECT ti.tax_rate_bp, SUM(ti.net_amount), SUM(ti.tax_amount), SUM(ti.line_total)
			FROM transaction_items ti JOIN transactions t ON t.transaction_id = ti.transaction_id
			WHERE t.session_id = ? AND t.payment_status = 'completed' GROUP BY ti.tax_rate_bp`},
		{-1, `SELECT ri.tax_rate_bp, SUM(ri.net_amount), SUM(ri.tax_amount), SUM(ri.line_total)
			FROM return_items ri JOIN returns r ON r.return_id = ri.return_id
			WHERE r.session_id = ? AND r.status = 'completed' GROUP BY ri.tax_rate_bp`},
	} {
		rows, err := q.QueryContext(ctx, tq.query, id)
		if err != nil {
			return r, fmt.Errorf("tax by rate: %w", err)
		}
		for rows.Next() {
			var rate int
			var net, tax, gross pos.Money
			if err := rows.Scan(&rate, money{&net}, money{&tax}, money{&gross}); err != nil {
				rows.Close()
				return r, fmt.Errorf("tax by rate: %w", err)
			}
			t := taxes[rate]
			if t == nil {
				t = &pos.TaxTotal{Rate: rate}
				taxes[rate] = t
			}
			t.Net += tq.sign * net
			t.Tax += tq.sign * tax
			t.Gross += tq.sign * gross
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return r, fmt.Errorf("tax by rate: %w", err)
		}
	}
	for _, t := range taxes {
		r.TaxByRate = append(r.TaxByRate, *t)
	}
	slices.SortFunc(r.TaxByRate, func(a, b pos.TaxTotal) int { return a.Rate - b.Rate })

	rows, err = q.QueryContext(ctx, `SELECT kind, COUNT(*), SUM(total_amount + cash_rounding), SUM(cash_rounding)
		FROM returns WHERE session_id = ? AND status = 'completed' GROUP BY kind`, id)
	if err != nil {
		return r, fmt.Errorf("returns: %w", err)
	}
	for rows.Next() {
		var kind pos.ReturnKind
		var t pos.Tally
		var rounding pos.Money
		if err := rows.Scan(&kind, &t.Count, money{&t.Amount}, money{&rounding}); err != nil {
			rows.Close()
			return r, fmt.Errorf("returns: %w", err)
		}
		if kind == pos.KindVoid {
			r.Voids = t
		} else {
			r.Returns = t
		}
		retRounding += rounding
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("returns: %w", err)
	}
	rows, err = q.QueryContext(ctx, `SELECT f.method, f.status, COUNT(*), SUM(f.amount)
		FROM refunds f JOIN returns r ON r.return_id = f.return_id
		WHERE r.session_id = ? AND r.status = 'completed' AND f.status IN ('approved','owed')
		GROUP BY f.method, f.status ORDER BY f.method`, id)
	if err != nil {
		return r, fmt.Errorf("refunds: %w", err)
	}
	for rows.Next() {
		var t pos.TenderTotal
		var status string
		if err := rows.Scan(&t.Method, &status, &t.Count, money{&t.Amount}); err != nil {
			rows.Close()
			return r, fmt.Errorf("refunds: %w", err)
		}
		if status == string(pos.RefundOwed) {
			r.RefundsOwed = pos.Tally{Count: t.Count, Amount: t.Amount}
			continue
		}
		r.Refunds = append(r.Refunds, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("refunds: %w", err)
	}
	r.CashRounding = saleRounding - retRounding

	rows, err = q.QueryContext(ctx, `SELECT kind, COUNT(*), SUM(amount) FROM cash_movements
		WHERE session_id = ? GROUP BY kind`, id)
	if err != nil {
		return r, fmt.Errorf("cash movements: %w", err)
	}
	for rows.Next() {
		var kind pos.MovementKind
		var t pos.Tally
		if err := rows.Scan(&kind, &t.Count, money{&t.Amount}); err != nil {
			rows.Close()
			return r, fmt.Errorf("cash movements: %w", err)
		}
		switch kind {
		case pos.MovePaidIn:
			r.PaidIn = t
		case pos.MovePaidOut:
			r.PaidOut = t
		case pos.MovePickup:
			r.Pickups = t
		case pos.MoveNoSale:
			r.NoSales = t.Count
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("cash movements: %w", err)
	}

	rows, err = q.QueryContext(ctx, `SELECT cashier_id, number, name FROM cashiers WHERE cashier_id IN (
			SELECT opened_by FROM till_sessions WHERE session_id = ?
			UNION SELECT closed_by FROM till_sessions WHERE session_id = ? AND closed_by IS NOT NULL
			UNION SELECT cashier_id FROM transactions WHERE session_id = ?
			UNION SELECT cashier_id FROM returns WHERE session_id = ?
			UNION SELECT cashier_id FROM cash_movements WHERE session_id = ?
			UNION SELECT ?)
		ORDER BY number`, id, id, id, id, id, closer)
	if err != nil {
		return r, fmt.Errorf("cashiers: %w", err)
	}
	for rows.Next() {
		var c pos.ReportCashier
		if err := rows.Scan(&c.ID, &c.Number, &c.Name); err != nil {
			rows.Close()
			return r, fmt.Errorf("cashiers: %w", err)
		}
		r.Cashiers = append(r.Cashiers, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("cashiers: %w", err)
	}

	// Sales made offline (issue 16), forwarded into this session: listed,
	// already counted in the sales above.
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(t.total_amount + t.cash_rounding), 0)
		FROM transactions t JOIN offline_sales o ON o.transaction_id = t.transaction_id
		WHERE t.session_id = ? AND t.payment_status = 'completed'`, id).Scan(&r.Offline.Count,
		money{&r.Offline.Amount}); err != nil {
		return r, fmt.Errorf("offline sales: %w", err)
	}
	// Their shortages, named as sold (the sale's lines keep the name and
	// whether it was weighed; an item on several lines is one shortage).
	rows, err = q.QueryContext(ctx, `SELECT s.transaction_id, MIN(ti.item_name), MAX(ti.weighed), s.wanted, s.available
		FROM stock_shortages s JOIN transactions t ON t.transaction_id = s.transaction_id
		JOIN transaction_items ti ON ti.transaction_id = s.transaction_id AND ti.item_id = s.item_id
		WHERE t.session_id = ? AND t.payment_status = 'completed'
		GROUP BY s.shortage_id, s.transaction_id, s.item_id, s.wanted, s.available
		ORDER BY s.transaction_id, s.item_id`, id)
	if err != nil {
		return r, fmt.Errorf("stock shortages: %w", err)
	}
	for rows.Next() {
		var sh pos.ReportShortage
		if err := rows.Scan(&sh.SaleID, &sh.Item, &sh.Weighed, &sh.Wanted, &sh.Available); err != nil {
			rows.Close()
			return r, fmt.Errorf("stock shortages: %w", err)
		}
		r.Shortages = append(r.Shortages, sh)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("stock shortages: %w", err)
	}

	upto := func(v int64) int64 {
		if v == 0 {
			return 1<<63 - 1
		}
		return v
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(total_amount + cash_rounding), 0)
		FROM transactions WHERE session_id IS NULL AND transaction_id > ? AND transaction_id <= ?
		AND store_id = ? AND till_id = ? AND payment_status = 'completed'`, s.salesAfter, upto(salesUpto),
		s.StoreID, s.TillID).Scan(&r.OutsideSales.Count, money{&r.OutsideSales.Amount}); err != nil {
		return r, fmt.Errorf("sales outside a session: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(total_amount + cash_rounding), 0)
		FROM returns WHERE session_id IS NULL AND return_id > ? AND return_id <= ?
		AND store_id = ? AND till_id = ? AND status = 'completed'`, s.returnsAfter, upto(returnsUpto),
		s.StoreID, s.TillID).Scan(&r.OutsideReturns.Count, money{&r.OutsideReturns.Amount}); err != nil {
		return r, fmt.Errorf("returns outside a session: %w", err)
	}

	r.NetTotal = r.Sales.Amount - r.Returns.Amount - r.Voids.Amount
	r.ExpectedCash = r.ExpectedCashOf()
	return r, nil
}
