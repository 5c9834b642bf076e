// Package store keeps the till's data in MySQL (Aurora MySQL in production,
// MariaDB or MySQL in training and tests). It implements the pos package's
// store interfaces; SQL lives only here.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/till-pos/till/pos"
)

// Config says how to reach the database. It is filled in once by cmd/till.
type Config struct {
	// WriterDSN is a go-sql-driver DSN for the writer (sales).
	WriterDSN string
	// ReaderDSN, if set, serves the catalog, customer lookups and reports.
	ReaderDSN string
	// DialTimeout, ReadTimeout and WriteTimeout bound every network call so
	// none hangs; zero takes the defaults below.
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// CallTimeout bounds each store method that has no deadline of its own.
	CallTimeout time.Duration
	// MaxOpen caps each pool.
	MaxOpen int
}

const (
	defaultDialTimeout = 3 * time.Second
	defaultIOTimeout   = 10 * time.Second
	defaultCallTimeout = 15 * time.Second
	// connMaxLifetime makes pools reconnect now and then, so a DNS flip of
	// the writer endpoint after a failover is picked up.
	connMaxLifetime = 5 * time.Minute
)

// DB is the till's database: a writer pool and a reader pool (the writer
// again when no reader is configured).
type DB struct {
	writer      *sql.DB
	reader      *sql.DB
	callTimeout time.Duration
	now         func() time.Time
	retry       retryPolicy
}

// Open connects the pools described by cfg and checks the writer answers.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	writer, err := openPool(cfg.WriterDSN, cfg)
	if err != nil {
		return nil, fmt.Errorf("writer: %w", err)
	}
	reader := writer
	if cfg.ReaderDSN != "" {
		if reader, err = openPool(cfg.ReaderDSN, cfg); err != nil {
			writer.Close()
			return nil, fmt.Errorf("reader: %w", err)
		}
	}
	db := New(writer, reader)
	if cfg.CallTimeout > 0 {
		db.callTimeout = cfg.CallTimeout
	}
	pctx, cancel := context.WithTimeout(ctx, db.callTimeout)
	defer cancel()
	if err := writer.PingContext(pctx); err != nil {
		db.Close()
		return nil, mapError(err, "connect to the database")
	}
	return db, nil
}

// New wraps pools that are already open (tests pass instrumented ones).
func New(writer, reader *sql.DB) *DB {
	if reader == nil {
		reader = writer
	}
	return &DB{writer: writer, reader: reader, callTimeout: defaultCallTimeout,
		now: time.Now, retry: defaultRetry}
}

// SetClock replaces the clock (tests).
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// Writer is the writer pool (tests and tools).
func (db *DB) Writer() *sql.DB { return db.writer }

// Close closes both pools.
func (db *DB) Close() error {
	err := db.writer.Close()
	if db.reader != db.writer {
		err = errors.Join(err, db.reader.Close())
	}
	return err
}

// DriverConfig parses a DSN and applies the settings every till connection
// needs: timeouts, parsed times in UTC, interpolated parameters (one round
// trip per statement instead of prepare, execute, close) and rejectReadOnly
// (a connection to a writer demoted by a failover is dropped, not used).
func DriverConfig(dsn string, cfg Config) (*mysql.Config, error) {
	mc, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, pos.WrapError(pos.EInvalid, err, "the database address (DSN) is not valid")
	}
	mc.Timeout = orDefault(mc.Timeout, cfg.DialTimeout, defaultDialTimeout)
	mc.ReadTimeout = orDefault(mc.ReadTimeout, cfg.ReadTimeout, defaultIOTimeout)
	mc.WriteTimeout = orDefault(mc.WriteTimeout, cfg.WriteTimeout, defaultIOTimeout)
	mc.ParseTime = true
	mc.Loc = time.UTC
	mc.InterpolateParams = true
	mc.RejectReadOnly = true
	if mc.Params == nil {
		mc.Params = map[string]string{}
	}
	if _, ok := mc.Params["time_zone"]; !ok {
		mc.Params["time_zone"] = "'+00:00'"
	}
	return mc, nil
}

func openPool(dsn string, cfg Config) (*sql.DB, error) {
	mc, err := DriverConfig(dsn, cfg)
	if err != nil {
		return nil, err
	}
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, pos.WrapError(pos.EInvalid, err, "the database settings are not valid")
	}
	pool := sql.OpenDB(conn)
	pool.SetConnMaxLifetime(connMaxLifetime)
	pool.SetConnMaxIdleTime(time.Minute)
	maxOpen := cfg.MaxOpen
	if maxOpen <= 0 {
		maxOpen = 8
	}
	pool.SetMaxOpenConns(maxOpen)
	pool.SetMaxIdleConns(maxOpen)
	return pool, nil
}

func orDefault(vals ...time.Duration) time.Duration {
	for _, v := range vals {
		if v > 0 {
			return v
		}
	}
	return 0
}

// call gives ctx the store's call deadline unless it has an earlier one.
func (db *DB) call(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < db.callTimeout {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, db.callTimeout)
}
