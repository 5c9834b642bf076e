package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
	"github.com/till-pos/till/store"
)

// wireCounts counts, on the client, what a pool sent to the server and the
// lock errors the server answered with. The pool interpolates parameters,
// so every Exec, Query, BEGIN, COMMIT and ROLLBACK is one request and one
// answer: one round trip, even when the request is a batch of statements
// (the store's sales, store/batch.go). The statements in them are counted
// too, and a test checks that count against the server's own per-session
// 'Questions' counter (one per statement). Counting on the client keeps the
// figures exact on a server shared with other work, which the global
// counter is not.
type wireCounts struct {
	roundTrips atomic.Int64
	statements atomic.Int64
	deadlocks  atomic.Int64 // error 1213: the server rolled a transaction back
	lockWaits  atomic.Int64 // error 1205: a lock wait timed out
}

type counts struct {
	RoundTrips, Deadlocks, LockWaits int64
}

func (w *wireCounts) snapshot() counts {
	return counts{w.roundTrips.Load(), w.deadlocks.Load(), w.lockWaits.Load()}
}

func (c counts) minus(o counts) counts {
	return counts{c.RoundTrips - o.RoundTrips, c.Deadlocks - o.Deadlocks, c.LockWaits - o.LockWaits}
}

// sent records one round trip and what it answered. driver.ErrSkip means
// the driver declined before sending anything (database/sql then prepares,
// and the prepare is counted instead).
func (w *wireCounts) sent(err error) error {
	return w.sentQuery("", err)
}

// sentQuery is sent for a request of query's text ("": one statement).
func (w *wireCounts) sentQuery(query string, err error) error {
	if errors.Is(err, driver.ErrSkip) {
		return err
	}
	w.roundTrips.Add(1)
	w.statements.Add(int64(statementsIn(query)))
	switch store.ErrorNumber(err) {
	case store.Deadlock:
		w.deadlocks.Add(1)
	case store.LockWaitTimeout:
		w.lockWaits.Add(1)
	}
	return err
}

// countingConnector wraps a driver connector so every connection it makes
// counts into w.
type countingConnector struct {
	driver.Connector
	w *wireCounts
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{conn: conn, w: c.w}, nil
}

// openCounting opens a pool on cfg whose traffic is counted into w.
func openCounting(cfg *mysql.Config, maxOpen int, w *wireCounts) (*sql.DB, error) {
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	pool := sql.OpenDB(countingConnector{Connector: conn, w: w})
	pool.SetMaxOpenConns(maxOpen)
	pool.SetMaxIdleConns(maxOpen)
	return pool, nil
}

// countingConn forwards every optional interface go-sql-driver implements,
// so database/sql takes the same paths (no extra prepares) as without it.
type countingConn struct {
	conn driver.Conn
	w    *wireCounts
}

var (
	_ driver.ExecerContext      = (*countingConn)(nil)
	_ driver.QueryerContext     = (*countingConn)(nil)
	_ driver.ConnBeginTx        = (*countingConn)(nil)
	_ driver.ConnPrepareContext = (*countingConn)(nil)
	_ driver.Pinger             = (*countingConn)(nil)
	_ driver.SessionResetter    = (*countingConn)(nil)
	_ driver.Validator          = (*countingConn)(nil)
	_ driver.NamedValueChecker  = (*countingConn)(nil)
)

func (c *countingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if c.w.sent(err) != nil {
		return nil, err
	}
	return &countingStmt{Stmt: st, w: c.w}, nil
}

func (c *countingConn) Close() error { return c.conn.Close() }

func (c *countingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if c.w.sent(err) != nil {
		return nil, err
	}
	return countingTx{tx: tx, w: c.w}, nil
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	res, err := c.conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	return res, c.w.sentQuery(query, err)
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	return rows, c.w.sentQuery(query, err)
}

// Ping is COM_PING, which the server does not count as a question; neither
// does the bench.
func (c *countingConn) Ping(ctx context.Context) error { return c.conn.(driver.Pinger).Ping(ctx) }

func (c *countingConn) ResetSession(ctx context.Context) error {
	return c.conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *countingConn) IsValid() bool { return c.conn.(driver.Validator).IsValid() }

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

type countingTx struct {
	tx driver.Tx
	w  *wireCounts
}

func (t countingTx) Commit() error   { return t.w.sent(t.tx.Commit()) }
func (t countingTx) Rollback() error { return t.w.sent(t.tx.Rollback()) }

type countingStmt struct {
	driver.Stmt
	w *wireCounts
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	res, err := s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	return res, s.w.sent(err)
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	return rows, s.w.sent(err)
}

// statementsIn counts the statements of a request's text: its semicolons
// outside quotes, plus one.
func statementsIn(query string) int {
	n := 1
	var quote byte
	for i := 0; i < len(query); i++ {
		switch ch := query[i]; {
		case quote != 0 && ch == '\\':
			i++
		case quote != 0 && ch == quote:
			quote = 0
		case quote != 0:
		case ch == '\'' || ch == '"' || ch == '`':
			quote = ch
		case ch == ';':
			n++
		}
	}
	return n
}
