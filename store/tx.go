package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
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

// retryPolicy bounds withTx's retries. A transaction the server rolled
// back (deadlock, lock wait) is tried a few times; a lost connection or a
// failover is ridden through for a while, because a failover takes
// seconds, not attempts.
type retryPolicy struct {
	attempts int           // for rollbacks by the server
	window   time.Duration // for lost connections and a read-only writer
	base     time.Duration
	max      time.Duration
}

var defaultRetry = retryPolicy{attempts: 5, window: 8 * time.Second, base: 25 * time.Millisecond, max: time.Second}

// backoff is the jittered pause before attempt n+1 (n counts from 1).
func (p retryPolicy) backoff(n int) time.Duration {
	d := min(p.base<<min(n-1, 20), p.max)
	return d/2 + rand.N(d/2+1)
}

// failure is what withTx does about an error.
type failure int

const (
	// giveUp: the error is the answer (a refused change, a bug, a
	// cancelled call).
	giveUp failure = iota
	// retryTx: the server rolled the transaction back or never got it
	// (deadlock, lock wait, read-only writer, connection lost before
	// COMMIT was sent): run it again.
	retryTx
	// resolveByKey: COMMIT was sent and no answer came back, so it may or
	// may not have committed. Running the closure again resolves it: its
	// first write is guarded by the sale's or payment's unique key, so it
	// finds the first result if there is one (errExists) and writes it
	// once if there is not.
	resolveByKey
)

func (f failure) String() string {
	return [...]string{"give up", "retry the transaction", "resolve by key"}[f]
}

// errOutcomeUnknown marks a transaction whose COMMIT got no answer and
// that could not be resolved before the call's time ran out.
var errOutcomeUnknown = errors.New("commit outcome unknown")

// txn is a writer transaction with the time it began. Everything it
// stamps (created, completed, updated, next attempt) uses now, read once
// from the store's clock when the transaction begins, so one transaction
// never writes two different times for one moment. A retried attempt is a
// new transaction and reads the clock again.
type txn struct {
	*sql.Tx
	now     time.Time // UTC
	v3stock bool      // DB.v3stock
}

// withTx runs fn in a writer transaction and commits, retrying what
// classify says may be retried: a bounded number of times (rollbacks) or
// for a bounded time (lost connections, failover), with jittered backoff,
// never past the call's deadline. fn must therefore have no effect outside
// the database and be idempotent by key: every caller here guards its
// first write with the sale's or payment's unique key, so a retry after an
// unknown COMMIT outcome finds the first result.
func (db *DB) withTx(ctx context.Context, fn func(tx *txn) error) error {
	return db.retrying(ctx, func(ctx context.Context) (bool, error) {
		return db.tryTx(ctx, fn)
	})
}

// retrying runs attempts of one transaction (withTx's or withBatches')
// until one succeeds or classify says to stop; try reports whether its
// COMMIT may have reached the server without an answer.
func (db *DB) retrying(ctx context.Context, try func(ctx context.Context) (commitSent bool, err error)) error {
	ctx, cancel := db.call(ctx)
	defer cancel()
	start := time.Now()
	for attempt := 1; ; attempt++ {
		commitSent, err := try(ctx)
		if err == nil {
			if attempt > 1 {
				db.log.Info("database transaction recovered", "attempts", attempt, "after", time.Since(start))
			}
			return nil
		}
		if attempt > 1 && errors.Is(err, errExists) {
			db.log.Info("database transaction resolved by key: an earlier attempt had committed",
				"attempts", attempt, "after", time.Since(start))
		}
		kind := classify(err, commitSent)
		pause := db.retry.backoff(attempt)
		more := time.Since(start)+pause < db.retry.window
		if serverRolledBack(err) {
			more = attempt < db.retry.attempts
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < pause {
			more = false
		}
		if kind == giveUp || !more || ctx.Err() != nil {
			if kind != giveUp {
				db.count(pos.MetricDBUnavailable)
				db.log.Warn("database transaction failed", "kind", kind.String(), "attempts", attempt,
					"after", time.Since(start), "err", err)
			}
			// A COMMIT that got no answer, or was cut off by the call's
			// deadline, may have committed: say so, so the caller knows
			// that trying again with the same key is what resolves it.
			if commitSent && (kind == resolveByKey || ctx.Err() != nil) {
				return fmt.Errorf("%w: %w", errOutcomeUnknown, err)
			}
			return err
		}
		db.count(pos.MetricDBRetries)
		db.log.Warn("database transaction retried", "kind", kind.String(), "attempt", attempt,
			"backoff", pause, "err", err)
		select {
		case <-ctx.Done():
			db.count(pos.MetricDBUnavailable)
			if kind == resolveByKey {
				return fmt.Errorf("%w: %w", errOutcomeUnknown, errors.Join(err, ctx.Err()))
			}
			return errors.Join(err, ctx.Err())
		case <-time.After(pause):
		}
	}
}

// tryTx runs one attempt and reports whether COMMIT may have reached the
// server.
func (db *DB) tryTx(ctx context.Context, fn func(tx *txn) error) (commitSent bool, err error) {
	sqlTx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	tx := &txn{Tx: sqlTx, now: db.now().UTC(), v3stock: db.v3stock}
	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) && !retryable(err) {
			return false, errors.Join(err, rbErr)
		}
		return false, err
	}
	return true, tx.Commit()
}

// MySQL server error numbers the store reacts to.
const (
	errDupEntry        = 1062
	errNoParent        = 1452 // a foreign key names a row that does not exist
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

// classify says what withTx does about err; commitSent says the error
// came from COMMIT, whose packet may have reached the server.
func classify(err error, commitSent bool) failure {
	switch {
	case err == nil:
		return giveUp
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return giveUp // the caller's time is up; the caller resolves by key later
	case serverRolledBack(err):
		return retryTx
	case !connectionLost(err):
		return giveUp
	case commitSent && !errors.Is(err, driver.ErrBadConn):
		// ErrBadConn means the driver wrote nothing (or found the
		// connection dead first); any other loss during COMMIT may have
		// come after the server committed.
		return resolveByKey
	}
	return retryTx
}

// serverRolledBack reports errors after which the server has undone the
// transaction (or refused to start it) and the connection is still good:
// only these count against the attempt limit.
func serverRolledBack(err error) bool {
	if errors.Is(err, errStockMoved) {
		return true // rolled back by the store itself, for the same reason
	}
	switch mysqlCode(err) {
	case errDeadlock, errLockWaitTimeout, errReadOnly, errReadOnlyTx, errInnoReadOnly:
		return true
	}
	return false
}

// retryable reports whether the whole transaction may simply run again
// (before any COMMIT was sent).
func retryable(err error) bool {
	return classify(err, false) == retryTx
}

// connectionLost reports an error of the connection rather than of the
// statement: bad or invalid connection, a network error or timeout.
func connectionLost(err error) bool {
	var ne net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.As(err, &ne) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
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
	case errors.Is(err, errOutcomeUnknown):
		return pos.WrapError(pos.EUnavailable, err, "reconnecting to the database: the connection dropped "+
			"while saving; try again and the till will find what was saved (%s)", doing)
	case errors.Is(err, context.DeadlineExceeded):
		return pos.WrapError(pos.EUnavailable, err, "reconnecting to the database: it did not answer in time; "+
			"try again in a moment (%s)", doing)
	case errors.Is(err, context.Canceled):
		return pos.WrapError(pos.EUnavailable, err, "cancelled (%s)", doing)
	case errors.Is(err, sql.ErrNoRows):
		return pos.WrapError(pos.ENotFound, err, "not found (%s)", doing)
	case errors.Is(err, errStockMoved):
		return pos.WrapError(pos.EConflict, err, "stock changed while the sale was recorded; try again (%s)", doing)
	}
	switch mysqlCode(err) {
	case errDupEntry:
		return pos.WrapError(pos.EConflict, err, "already recorded (%s)", doing)
	case errDeadlock, errLockWaitTimeout:
		return pos.WrapError(pos.EUnavailable, err, "the database is busy; try again (%s)", doing)
	case errReadOnly, errReadOnlyTx, errInnoReadOnly:
		return pos.WrapError(pos.EUnavailable, err, "reconnecting: the database is switching over; try again in a moment (%s)", doing)
	case errSignal, errCheckMySQL, errCheckMariaDB:
		return pos.WrapError(pos.EConflict, err, "the database refused the change (%s)", doing)
	case errAccessDenied:
		return pos.WrapError(pos.EInternal, err, "the database refused the till's sign-in: check its user, "+
			"password or IAM policy (%s)", doing)
	case errTableAccess, errColumnAccess:
		return pos.WrapError(pos.EInternal, err, "the till's database user may not do this (%s)", doing)
	}
	if msg, ok := tlsProblem(err); ok {
		return pos.WrapError(pos.EInternal, err, "%s (%s)", msg, doing)
	}
	if connectionLost(err) {
		return pos.WrapError(pos.EUnavailable, err, "the database is unavailable; reconnecting — try again in a moment (%s)", doing)
	}
	return pos.WrapError(pos.EInternal, err, "database error (%s)", doing)
}

// ErrorNumber is the MySQL server's error number carried by err, or 0. With
// Deadlock and LockWaitTimeout it lets tools (posbench) count what the
// server reported without knowing the driver.
func ErrorNumber(err error) uint16 { return mysqlCode(err) }

// Server error numbers a tool may compare ErrorNumber with.
const (
	Deadlock        = errDeadlock
	LockWaitTimeout = errLockWaitTimeout
)
