// Package store keeps the till's data in MySQL (Aurora MySQL in production,
// MariaDB or MySQL in training and tests). It implements the pos package's
// store interfaces; SQL lives only here.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
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
	// RetryFor is how long a sale's transaction keeps retrying through a
	// lost connection or a read-only writer before the cashier is told to
	// try again; zero takes 8 s. Never longer than the call's deadline.
	RetryFor time.Duration

	// CAFile is a PEM bundle (for Aurora, the RDS CA bundle). When set,
	// every connection uses TLS and verifies the server's certificate
	// against it and the host name in the DSN.
	CAFile string
	// Insecure allows a host that is not this machine without verified
	// TLS (a lab network). It never allows a cleartext password without TLS.
	Insecure bool
	// IAMRegion turns on IAM database authentication: each new physical
	// connection signs in with a fresh token built from the AWS default
	// credential chain for this region. It needs TLS (CAFile).
	IAMRegion string
	// Password, if set, is asked for the password of every new physical
	// connection (IAM sets it to a token builder; tests inject rotating
	// secrets). It wins over a password in the DSN.
	Password PasswordFunc
	// Dial, if set, opens the network connections (tests put a fault
	// injector here; production leaves it nil).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger receives retries and the driver's own messages; nil discards
	// them (the terminal is the cashier's, never the log's).
	Logger *slog.Logger
	// Now, if set, is the store's clock, read once per transaction (tests
	// fix it; a till leaves it nil for time.Now).
	Now func() time.Time
	// StoreID is the store the till sells at: its catalogue (the store's
	// prices and active flags) and its pending sales. Empty: the chain's
	// catalogue and every store's pending sales (tools).
	StoreID string
	// Offline opens the pools without waiting for the database to answer
	// (a till starting during an outage: it sells offline and its calls
	// fail with EUnavailable until the database is back).
	Offline bool
}

// PasswordFunc returns the password for a new connection to addr
// ("host:port") as user. It is called once per physical connection, so a
// short-lived token is always fresh when it is used and never stored.
type PasswordFunc func(ctx context.Context, addr, user string) (string, error)

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
	log         *slog.Logger
	metrics     pos.Metrics // nil: none (SetMetrics)
	storeID     string      // see Config.StoreID
	// v3stock: stock statements for migration 00003's schema (a test that
	// migrates a database the previous version filled; never a till).
	v3stock bool
}

// Open connects the pools described by cfg and checks the writer answers.
// Settings that would send a password or token in the clear, or reach a
// remote host without verified TLS, are refused before anything is dialled.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.IAMRegion != "" && cfg.Password == nil {
		pw, err := iamPassword(ctx, cfg.IAMRegion)
		if err != nil {
			return nil, err
		}
		cfg.Password = pw
	}
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
	if cfg.Logger != nil {
		db.log = cfg.Logger
	}
	if cfg.RetryFor > 0 {
		db.retry.window = cfg.RetryFor
	}
	if cfg.Now != nil {
		db.now = cfg.Now
	}
	db.storeID = cfg.StoreID
	if cfg.Offline {
		return db, nil
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Ping asks the writer whether it answers, within the call timeout.
func (db *DB) Ping(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, db.callTimeout)
	defer cancel()
	return mapError(db.writer.PingContext(pctx), "connect to the database")
}

// New wraps pools that are already open, with the store's defaults (tools
// such as posbench bring pools tuned for their own load).
func New(writer, reader *sql.DB) *DB {
	if reader == nil {
		reader = writer
	}
	return &DB{writer: writer, reader: reader, callTimeout: defaultCallTimeout,
		now: time.Now, retry: defaultRetry, log: slog.New(slog.DiscardHandler)}
}

// AtStore returns the store for a till of store id, on the same pools
// (posbench runs tills of many stores on one pair of pools). Close either
// and both are closed.
func (db *DB) AtStore(id string) *DB {
	c := *db
	c.storeID = id
	return &c
}

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
// trip per statement instead of prepare, execute, close), multiple
// statements per request (a batched transaction), rejectReadOnly (a
// connection to a writer demoted by a failover is dropped, not used), TLS
// from cfg.CAFile, a fresh password per connection from cfg.Password, and
// the transport rules of checkTransport. Nothing is dialled.
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
	// A sale's transaction is sent as one request of several statements
	// (batch.go). The till's SQL takes its values only as interpolated
	// parameters, which the driver escapes, never by pasting them in.
	mc.MultiStatements = true
	mc.RejectReadOnly = true
	if mc.Params == nil {
		mc.Params = map[string]string{}
	}
	if _, ok := mc.Params["time_zone"]; !ok {
		mc.Params["time_zone"] = "'+00:00'"
	}
	mc.Logger = driverLogger{orDiscard(cfg.Logger)}
	mc.DialFunc = cfg.Dial
	if cfg.IAMRegion != "" {
		if mc.Passwd != "" {
			return nil, pos.Errorf(pos.EInvalid, "with IAM sign-in the database address (DSN) must not carry a password")
		}
		// Aurora takes the token through the cleartext plugin, which is
		// why checkTransport insists on TLS.
		mc.AllowCleartextPasswords = true
	}
	if err := applyTLS(mc, cfg); err != nil {
		return nil, err
	}
	if err := checkTransport(mc, cfg); err != nil {
		return nil, err
	}
	if cfg.Password != nil {
		addr, user := withPort(mc.Net, mc.Addr), mc.User
		password := cfg.Password
		err := mc.Apply(mysql.BeforeConnect(func(ctx context.Context, c *mysql.Config) error {
			pw, err := password(ctx, addr, user)
			if err != nil {
				return pos.WrapError(pos.EUnavailable, err, "could not get a database sign-in token")
			}
			c.Passwd = pw
			return nil
		}))
		if err != nil {
			return nil, pos.WrapError(pos.EInvalid, err, "the database settings are not valid")
		}
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

func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// driverLogger sends go-sql-driver's messages (a connection that broke
// under it, say) to the till's log instead of standard error.
type driverLogger struct{ log *slog.Logger }

func (l driverLogger) Print(v ...any) {
	l.log.Warn("mysql driver", "msg", strings.TrimSpace(fmt.Sprint(v...)))
}

// call gives ctx the store's call deadline unless it has an earlier one.
func (db *DB) call(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < db.callTimeout {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, db.callTimeout)
}
