package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"math/rand/v2"
	"net"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/till-pos/till/pos"
)

// execer is what the query helpers need: the pool or a transaction, so the
// caller owns the scope.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type retryPolicy struct {
	attempts int
	base     time.Duration
	max      time.Duration
}

var defaultRetry = retryPolicy{attempts: 5, base: 20 * time.Millisecond, max: 500 * time.Millisecond}

// withTx runs fn in a writer transaction and commits. It retries the whole
// transaction, a bounded number of times with jittered backoff, when the
// server rolled it back (deadlock, lock wait timeout), the connection was
// lost, or the server turned read-only under a failover. fn must therefore
// have no effect outside the database and be idempotent by key: every
// caller here guards its first write with the sale's or payment's unique
// key, so a retry after an unknown COMMIT outcome finds the first result.
func (db *DB) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	ctx, cancel := db.call(ctx)
	defer cancel()
	var err error
	for attempt := 0; ; attempt++ {
		err = db.tryTx(ctx, fn)
		if err == nil || !retryable(err) || attempt+1 >= db.retry.attempts {
			return err
		}
		backoff := min(db.retry.base<<attempt, db.retry.max)
		backoff = backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(backoff):
		}
	}
}

func (db *DB) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) && !retryable(err) {
			return errors.Join(err, rbErr)
		}
		return err
	}
	return tx.Commit()
}

// MySQL server error numbers the store reacts to.
const (
	errDupEntry        = 1062
	errLockWaitTimeout = 1205
	errDeadlock        = 1213
	errReadOnly        = 1290 // --read-only
	errReadOnlyTx      = 1792 // read-only transaction
	errInnoReadOnly    = 1836 // InnoDB in read-only mode
	errSignal          = 1644 // SIGNAL from a trigger
	errAccessDenied    = 1045
	errTableAccess     = 1142
	errColumnAccess    = 1143
	errCheckMySQL      = 3819
	errCheckMariaDB    = 4025
)

func mysqlCode(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// retryable reports whether the whole transaction may simply run again.
func retryable(err error) bool {
	switch mysqlCode(err) {
	case errDeadlock, errLockWaitTimeout, errReadOnly, errReadOnlyTx, errInnoReadOnly:
		return true
	}
	return connectionLost(err)
}

func connectionLost(err error) bool {
	var ne net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.As(err, &ne) || errors.Is(err, sql.ErrConnDone)
}

// mapError turns a driver error into a pos error a cashier can read; what
// is the store's own *pos.Error passes through.
func mapError(err error, doing string) error {
	var pe *pos.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		return err
	case errors.Is(err, context.DeadlineExceeded):
		return pos.WrapError(pos.EUnavailable, err, "the database did not answer in time (%s)", doing)
	case errors.Is(err, context.Canceled):
		return pos.WrapError(pos.EUnavailable, err, "cancelled (%s)", doing)
	case errors.Is(err, sql.ErrNoRows):
		return pos.WrapError(pos.ENotFound, err, "not found (%s)", doing)
	}
	switch mysqlCode(err) {
	case errDupEntry:
		return pos.WrapError(pos.EConflict, err, "already recorded (%s)", doing)
	case errDeadlock, errLockWaitTimeout:
		return pos.WrapError(pos.EUnavailable, err, "the database is busy; try again (%s)", doing)
	case errReadOnly, errReadOnlyTx, errInnoReadOnly:
		return pos.WrapError(pos.EUnavailable, err, "the database is switching over; try again (%s)", doing)
	case errSignal, errCheckMySQL, errCheckMariaDB:
		return pos.WrapError(pos.EConflict, err, "the database refused the change (%s)", doing)
	case errAccessDenied, errTableAccess, errColumnAccess:
		return pos.WrapError(pos.EInternal, err, "the till's database user may not do this (%s)", doing)
	}
	if connectionLost(err) {
		return pos.WrapError(pos.EUnavailable, err, "the database is unavailable (%s)", doing)
	}
	return pos.WrapError(pos.EInternal, err, "database error (%s)", doing)
}
