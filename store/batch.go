package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Batched transactions (issue 17). A sale's transaction goes to the server
// as one request (or two, when Go must look at what it read before it
// writes): its statements joined with semicolons, parameters interpolated
// by the driver (DriverConfig turns on multiStatements), COMMIT last. The
// server runs the statements in order and stops at the first error, so:
//
//   - an error the server answers with (a duplicate key, the stock guard's
//     CHECK, a deadlock, a read-only writer) comes from a statement before
//     COMMIT: nothing is committed, and the transaction, still open on the
//     connection, is rolled back there (one more round trip, only then);
//   - a connection lost after the request with COMMIT was written may have
//     committed: withTx's resolve-by-key, as for a plain COMMIT. The first
//     write of every batch is guarded by the sale's or payment's unique
//     key, so running it again finds the first result.
//
// A batch's statements name the sale it inserts through the session
// variable @till_sale, set from LAST_INSERT_ID() right after the INSERT,
// so that no round trip fetches the id.

// batch is the text and arguments of statements sent as one request.
type batch struct {
	stmts []string
	args  []any
}

func (b *batch) add(stmt string, args ...any) {
	b.stmts = append(b.stmts, stmt)
	b.args = append(b.args, args...)
}

// addStmt adds a statement built by one of the *Stmt functions.
func (b *batch) addStmt(stmt string, args []any) { b.add(stmt, args...) }

// btx is a writer transaction sent in batches on a connection of its own:
// the first request opens it (START TRANSACTION), the last ends with
// COMMIT.
type btx struct {
	conn    *sql.Conn
	now     time.Time // UTC, read once when the attempt begins (see txn)
	v3stock bool      // DB.v3stock: the schema before the event outbox (a test)
	open    bool      // START TRANSACTION sent, neither COMMIT nor ROLLBACK done
	// commitSent: a request carrying COMMIT was written; if it got no
	// answer, the transaction may have committed.
	commitSent bool
}

// send sends b as one request, START TRANSACTION first if the transaction
// is not open yet and COMMIT last if commit; then statements of after,
// which run once the transaction has committed (reads of what it wrote).
// read, if not nil, reads the result sets of the request's SELECTs in
// order (rs.next); every result is read to the end, so an error of any
// statement, COMMIT included, is returned.
func (t *btx) send(ctx context.Context, b *batch, commit bool, after *batch, read func(rs *resultSets) error) error {
	var stmts []string
	if !t.open {
		stmts = append(stmts, "START TRANSACTION")
	}
	stmts = append(stmts, b.stmts...)
	args := b.args
	if commit {
		stmts = append(stmts, "COMMIT")
		if after != nil {
			stmts = append(stmts, after.stmts...)
			args = append(append([]any(nil), args...), after.args...)
		}
	}
	t.open = true
	if commit {
		t.commitSent = true
	}
	rows, err := t.conn.QueryContext(ctx, strings.Join(stmts, ";\n"), args...)
	if err != nil {
		return err
	}
	rs := &resultSets{rows: rows}
	if read != nil {
		err = read(rs)
	}
	for err == nil && rows.NextResultSet() {
	}
	err = errors.Join(err, rows.Err(), rows.Close())
	if err == nil && commit {
		t.open = false
	}
	return err
}

// resultSets walks a batch's result sets: only statements that return
// rows (SELECT) have one; the driver skips the others.
type resultSets struct {
	rows    *sql.Rows
	started bool
}

// next moves to the next result set and returns it.
func (r *resultSets) next() (*sql.Rows, error) {
	if r.started && !r.rows.NextResultSet() {
		if err := r.rows.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("the batch returned fewer result sets than it has SELECTs")
	}
	r.started = true
	return r.rows, nil
}

// one scans the next result set's only row; ok is false if it has none.
func (r *resultSets) one(dest ...any) (ok bool, err error) {
	rows, err := r.next()
	if err != nil {
		return false, err
	}
	if !rows.Next() {
		return false, rows.Err()
	}
	return true, rows.Scan(dest...)
}

// withBatches runs fn in a batched writer transaction, retried as withTx
// retries (see classify), with the same rules for fn: no effect outside
// the database, idempotent by key.
func (db *DB) withBatches(ctx context.Context, fn func(t *btx) error) error {
	return db.retrying(ctx, func(ctx context.Context) (bool, error) {
		return db.tryBatches(ctx, fn)
	})
}

// tryBatches runs one attempt and reports whether a COMMIT may have
// reached the server without an answer.
func (db *DB) tryBatches(ctx context.Context, fn func(t *btx) error) (commitSent bool, err error) {
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	// Whole microseconds, as DATETIME(6) keeps them: MariaDB truncates
	// finer digits and MySQL rounds them, so a sale built from now (see
	// completeBatched) equals the stored one on both.
	t := &btx{conn: conn, now: db.now().UTC().Truncate(time.Microsecond), v3stock: db.v3stock}
	err = fn(t)
	if err == nil && t.open {
		err = errors.New("store: a batched transaction ended without COMMIT") // a bug: roll it back below
	}
	if err == nil {
		return false, nil
	}
	if t.open && !connectionLost(err) {
		// The server (or fn) stopped before COMMIT: roll back here, and
		// if even that fails, drop the connection rather than give the
		// pool one with a transaction open.
		if rbErr := t.rollback(ctx); rbErr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			if !retryable(err) {
				err = errors.Join(err, rbErr)
			}
		}
	}
	// An answer from the server means the statements stopped at an error,
	// before COMMIT or at it: nothing was committed.
	return t.commitSent && mysqlCode(err) == 0, err
}

// rollback ends the open transaction on the batch's connection.
func (t *btx) rollback(ctx context.Context) error {
	if !t.open {
		return nil
	}
	_, err := t.conn.ExecContext(ctx, "ROLLBACK")
	if err == nil {
		t.open = false
	}
	return err
}

// violates reports a CHECK constraint error (MySQL 3819, MariaDB 4025)
// naming constraint: both servers put the name in the message.
func violates(err error, constraint string) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == errCheckMySQL || me.Number == errCheckMariaDB) &&
		strings.Contains(me.Message, constraint)
}

// duplicate reports a duplicate-key error on the unique key named key.
func duplicate(err error, key string) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == errDupEntry && strings.Contains(me.Message, key)
}

// unknownParent reports a foreign key error (1452) on the constraint named
// fk: a row that names a parent that does not exist.
func unknownParent(err error, fk string) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == errNoParent && strings.Contains(me.Message, fk)
}
