package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/till-pos/till/store"
)

// bench makes the database, runs each flow in turn and checks the
// invariants after each. Progress goes to progress; the results come back.
func bench(ctx context.Context, cfg config, progress io.Writer) (rep report, err error) {
	fmt.Fprintf(progress, "posbench: creating a database and seeding it…\n")
	b, err := createDB(ctx, cfg)
	if b != nil {
		defer func() {
			if cerr := b.close(cfg.Keep); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}()
	}
	if err != nil {
		return rep, err
	}
	rep = report{Settings: settingsOf(cfg), Server: b.version, Database: b.name, Kept: cfg.Keep, OK: true}
	reported := map[string]bool{}
	for _, flow := range cfg.Flows {
		fmt.Fprintf(progress, "posbench: %s: %d tills for %s…\n", flow, cfg.Tills, cfg.Duration)
		fr, err := runFlow(ctx, cfg, b, flow, progress)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", flow, err)
		}
		// The check runs over the whole database; a violation belongs to
		// the first flow after which it appears.
		fr.Violations = slices.DeleteFunc(fr.Violations, func(v string) bool { return reported[v] })
		for _, v := range fr.Violations {
			reported[v] = true
		}
		fr.InvariantsOK = len(fr.Violations) == 0
		rep.OK = rep.OK && fr.InvariantsOK
		rep.Flows = append(rep.Flows, fr)
	}
	rep.TillBoundPerSec = tillBound(cfg)
	rep.Ratios = ratiosOf(rep.Flows, rep.TillBoundPerSec)
	return rep, nil
}

// runFlow runs one flow on a pool of its own, counted on the wire.
func runFlow(ctx context.Context, cfg config, b *benchDB, flow string, progress io.Writer) (flowResult, error) {
	// The same driver settings as the till (store.DriverConfig), except
	// that the read timeout outlasts the server's lock wait timeout: a
	// flow waiting for a row lock then hears 1205 from the server, as an
	// application would, instead of the client dropping the connection.
	mc, err := store.DriverConfig(b.dsn, store.Config{ReadTimeout: b.lockWait + 10*time.Second})
	if err != nil {
		return flowResult{}, err
	}
	wire := &wireCounts{}
	pool, err := openCounting(mc, cfg.Tills+4, wire)
	if err != nil {
		return flowResult{}, err
	}
	defer pool.Close()

	var ft flowTills
	release := func() {}
	switch flow {
	case flowOurs:
		if err := warm(ctx, pool, cfg.Tills); err != nil {
			return flowResult{}, err
		}
		ft = oursTills(store.New(pool, nil), cfg, b)
	case flowSeed:
		ft, release, err = seedTills(ctx, pool, cfg, b)
	case flowLimit:
		if err = createLimitTable(ctx, b.admin, cfg.Tills); err == nil {
			ft, release, err = limitTills(ctx, pool, cfg)
		}
	}
	if err != nil {
		return flowResult{}, err
	}
	kill := func(ids []int64) {
		kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		fmt.Fprintf(progress, "posbench: %s: cutting %d tills still busy %s after the end\n", flow, len(ids), cfg.Drain)
		if err := b.kill(kctx, ids); err != nil {
			fmt.Fprintf(progress, "posbench: %s: %v\n", flow, err)
		}
	}
	before := wire.snapshot()
	waitsBefore, werr := rowLockWaits(ctx, b.admin)
	lr := drive(ctx, cfg, ft, kill)
	wired := wire.snapshot().minus(before)
	waitsAfter, werr2 := rowLockWaits(ctx, b.admin)
	release()
	pool.Close()

	// Sales cut at the hard stop are rolled back by the server; wait for
	// that before reading the books.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.lockWait+time.Minute)
	defer cancel()
	if err := b.waitIdle(cctx); err != nil {
		return flowResult{}, err
	}
	violations, err := store.CheckInvariants(cctx, b.admin, b.initial)
	if err != nil {
		return flowResult{}, fmt.Errorf("check invariants: %w", err)
	}
	if flow == flowLimit {
		more, err := checkLimit(cctx, b.admin, lr.inWindow+lr.late, lr.cut)
		if err != nil {
			return flowResult{}, fmt.Errorf("check the limit table: %w", err)
		}
		violations = append(violations, more...)
	}
	fr := resultOf(flow, cfg, lr, wired)
	fr.Violations = violations
	if werr == nil && werr2 == nil {
		fr.RowLockWaits = waitsAfter - waitsBefore
	}
	return fr, nil
}

// warm opens a connection per till before the clock starts, so the first
// sales do not pay for connecting.
func warm(ctx context.Context, pool *sql.DB, n int) error {
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := pool.Conn(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	return nil
}

// rowLockWaits is the server's Innodb_row_lock_waits: how many times a
// statement had to wait for a row lock, since the server started. It
// counts every database on the server, so it is meaningful on a server
// the bench has to itself.
func rowLockWaits(ctx context.Context, admin *sql.DB) (int64, error) {
	var name string
	var n int64
	err := admin.QueryRowContext(ctx, `SHOW GLOBAL STATUS LIKE 'Innodb_row_lock_waits'`).Scan(&name, &n)
	return n, err
}
