// Command posbench measures how many tills one database carries.
//
// It creates its own database on a MySQL-compatible server, seeds items,
// a cashier and customers, and runs simulated tills against it for a fixed
// time, three ways one after another with the same settings:
//
//	ours   the till's sale protocol (pos.Checkout over store.DB): stock is
//	       taken in one short transaction, the card is paid outside any
//	       transaction, the sale is completed in another;
//	seed   the seed article's flow: one transaction that locks and
//	       decrements each item in turn (SELECT … FOR UPDATE, UPDATE), then
//	       takes the payment while the locks are held, then commits;
//	limit  BEGIN; UPDATE one row; COMMIT on a row of its own per till: the
//	       server's commit rate, a ceiling for any sale.
//
// After each flow it checks the sale invariants on the database (no
// negative stock, stock taken = units sold, one sale per key, payments add
// up); a violation makes posbench exit 1. The database is dropped unless
// -keep is given.
//
//	go run ./cmd/posbench -tills 32 -duration 20s
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// config is one run's settings, read once from flags and the environment.
type config struct {
	DSN       string // server DSN without a database
	Tills     int
	Stores    int // tills are dealt to this many stores, each with its own stock rows
	Duration  time.Duration
	Drain     time.Duration
	Items     int     `json:"items"` // per flow: ours and seed sell from item ranges of their own
	HotItems  int     // the first HotItems of a range are hot
	HotShare  float64 // share of basket lines that pick a hot item
	MinLines  int
	MaxLines  int
	Stock     int64   `json:"stock"` // starting stock of every item
	CardShare float64 // share of sales paid by card, the rest cash
	CardTime  time.Duration
	Customers int
	Loyalty   float64 // share of sales with a loyalty customer
	Flows     []string
	Seed      uint64
	JSON      bool
	Keep      bool

	// breakSeed makes the seed flow take the first line's stock twice. It
	// is not a flag: tests use it to prove the invariant check fails a
	// flow that breaks the books.
	breakSeed bool
}

var allFlows = []string{flowOurs, flowSeed, flowLimit}

const (
	flowOurs  = "ours"
	flowSeed  = "seed"
	flowLimit = "limit"
)

func parseConfig(args []string, stderr io.Writer, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("posbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := getenv("POS_BENCH_DSN")
	if dsn == "" {
		dsn = "root@tcp(127.0.0.1:3306)/"
	}
	fs.StringVar(&c.DSN, "dsn", dsn, "server DSN with no database; posbench creates and drops its own ($POS_BENCH_DSN)")
	fs.IntVar(&c.Tills, "tills", 16, "simulated tills selling at once")
	fs.IntVar(&c.Stores, "stores", 1, "stores the tills are dealt to in turn; each store has its own stock rows of every item")
	fs.DurationVar(&c.Duration, "duration", 20*time.Second, "how long each flow runs")
	fs.DurationVar(&c.Drain, "drain", 15*time.Second, "after -duration, how long sales in flight may finish before they are cut")
	fs.IntVar(&c.Items, "items", 500, "items per flow")
	fs.IntVar(&c.HotItems, "hot-items", 5, "how many of the items are hot")
	fs.Float64Var(&c.HotShare, "hot", 0.3, "share of basket lines that are a hot item (0-1)")
	fs.IntVar(&c.MinLines, "min-lines", 1, "fewest lines in a basket")
	fs.IntVar(&c.MaxLines, "max-lines", 10, "most lines in a basket")
	fs.Int64Var(&c.Stock, "stock", 20000, "starting stock of every item (finite: hot items can run out)")
	fs.Float64Var(&c.CardShare, "card", 0.5, "share of sales paid by card (0-1); the rest is cash")
	fs.DurationVar(&c.CardTime, "card-time", 2*time.Second, "how long a card payment takes at the reader")
	fs.IntVar(&c.Customers, "customers", 1000, "loyalty customers")
	fs.Float64Var(&c.Loyalty, "loyalty", 0.3, "share of sales with a loyalty customer (0-1)")
	flows := fs.String("flows", strings.Join(allFlows, ","), "flows to run, in order")
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed for baskets")
	fs.BoolVar(&c.JSON, "json", false, "print the results as JSON")
	fs.BoolVar(&c.Keep, "keep", false, "keep the bench database")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	for f := range strings.SplitSeq(*flows, ",") {
		if f = strings.TrimSpace(f); f != "" {
			c.Flows = append(c.Flows, f)
		}
	}
	return c, c.validate()
}

func (c config) validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.Tills >= 1 && c.Tills <= 1000, "-tills %d: 1 to 1000", c.Tills)
	check(c.Stores >= 1 && c.Stores <= c.Tills, "-stores %d: 1 to -tills", c.Stores)
	check(c.Duration > 0 && c.Duration <= time.Hour, "-duration %s: more than 0, at most 1h", c.Duration)
	check(c.Drain >= 0 && c.Drain <= 10*time.Minute, "-drain %s: 0 to 10m", c.Drain)
	check(c.Items >= 1, "-items %d: at least 1", c.Items)
	check(c.HotItems >= 0 && c.HotItems <= c.Items, "-hot-items %d: 0 to -items", c.HotItems)
	check(c.HotShare >= 0 && c.HotShare <= 1, "-hot %g: a share from 0 to 1", c.HotShare)
	check(c.HotShare == 0 || c.HotItems > 0, "-hot %g needs -hot-items > 0", c.HotShare)
	check(c.MinLines >= 1 && c.MinLines <= c.MaxLines, "-min-lines %d: at least 1 and at most -max-lines", c.MinLines)
	check(c.MaxLines <= 100, "-max-lines %d: at most 100", c.MaxLines)
	check(c.MaxLines <= c.Items, "-max-lines %d: at most -items (lines are distinct items)", c.MaxLines)
	check(c.Stock >= 0, "-stock %d: not negative", c.Stock)
	check(c.CardShare >= 0 && c.CardShare <= 1, "-card %g: a share from 0 to 1", c.CardShare)
	check(c.CardTime >= 0 && c.CardTime <= time.Minute, "-card-time %s: 0 to 1m", c.CardTime)
	check(c.Customers >= 1, "-customers %d: at least 1", c.Customers)
	check(c.Loyalty >= 0 && c.Loyalty <= 1, "-loyalty %g: a share from 0 to 1", c.Loyalty)
	check(len(c.Flows) > 0, "-flows: name at least one of %s", strings.Join(allFlows, ", "))
	seen := map[string]bool{}
	for _, f := range c.Flows {
		check(f == flowOurs || f == flowSeed || f == flowLimit, "-flows: unknown flow %q (use %s)", f, strings.Join(allFlows, ", "))
		check(!seen[f], "-flows: %q named twice", f)
		seen[f] = true
	}
	return errors.Join(errs...)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, err := parseConfig(args, stderr, getenv)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "posbench:", err)
		return 2
	}
	return execute(ctx, cfg, stdout, stderr)
}

// execute runs the bench and prints the results: exit 0, or 1 when the
// bench could not run or an invariant check failed.
func execute(ctx context.Context, cfg config, stdout, stderr io.Writer) int {
	rep, err := bench(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "posbench:", err)
		return 1
	}
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "posbench:", err)
			return 1
		}
	} else {
		rep.writeTable(stdout)
	}
	if !rep.OK {
		fmt.Fprintln(stderr, "posbench: invariant check failed")
		return 1
	}
	return 0
}
