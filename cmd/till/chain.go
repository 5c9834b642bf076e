package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
)

// A chain, not a shop: the till holds its (store, till) id with a lease
// while it runs, and `till stores` lists the stores and their tills.

const (
	// tillLease is how long a till's hold on its id lasts without renewal:
	// a till that crashed on another machine is free again after it.
	tillLease = 90 * time.Second
	// tillRenew is how often a running till renews it.
	tillRenew = tillLease / 3
)

// holdTill registers the till and takes its lease, refusing to start
// while another running till holds the same store and till ids. It renews
// the lease in the background until release is called (at quit), which
// gives it up at once.
func holdTill(ctx context.Context, db *store.DB, s pos.Settings) (release func(), err error) {
	host, _ := os.Hostname()
	l := store.Lease{Store: s.StoreID, Till: s.TillID, Key: pos.NewKey(), Host: host, PID: os.Getpid(),
		Version: tillVersion(), TTL: tillLease}
	if err := db.AcquireTill(ctx, l, processGone(host)); err != nil {
		return nil, err
	}
	slog.Info("till registered", "store", l.Store, "till", l.Till, "lease", tillLease)
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-rctx.Done():
				return
			case <-time.After(tillRenew):
			}
			if err := db.RenewTill(rctx, l); err != nil && rctx.Err() == nil {
				slog.Error("till registration not renewed", "err", err)
			}
		}
	}()
	return func() {
		stop()
		wg.Wait()
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		defer cancel()
		if err := db.ReleaseTill(cctx, l); err != nil {
			slog.Warn("till registration not released; it runs out by itself", "err", err)
		}
	}, nil
}

// processGone says whether a lease holder on this same machine has ended
// (a till restarted after a crash need not wait for its old lease).
func processGone(self string) func(host string, pid int) bool {
	return func(host string, pid int) bool {
		if host != self || self == "" || pid <= 0 || pid == os.Getpid() {
			return false
		}
		return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
	}
}

// tillVersion is the build's module version and VCS revision.
func tillVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

// runStores is `till stores`: every store and its tills, with the time
// each was last seen.
func runStores(ctx context.Context, env *environment, args []string) error {
	fs, cfg := newFlags(env, "stores")
	if err := fs.Parse(args); err != nil {
		return err
	}
	admin, err := openAdmin(ctx, cfg)
	if err != nil {
		return err
	}
	defer admin.Close()
	list, err := store.ListStores(ctx, admin)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(env.stdout, 2, 8, 2, ' ', 0)
	for i, s := range list {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s %s, cash rounding %d, %s\n", s.ID, s.Name, s.Address, s.Currency,
			s.TaxMode, s.CashRounding, s.TimeZone)
		if len(s.Tills) == 0 {
			fmt.Fprintln(w, "  (no tills yet)")
		}
		for _, t := range s.Tills {
			seen := "never"
			if !t.LastSeen.IsZero() {
				seen = t.LastSeen.UTC().Format("2006-01-02 15:04:05 UTC")
			}
			state := "stopped"
			if t.Live {
				state = fmt.Sprintf("running on %s (pid %d)", t.Host, t.PID)
			}
			fmt.Fprintf(w, "  %s\tlast seen %s\t%s\t%s\n", t.Till, seen, t.Version, state)
		}
	}
	return w.Flush()
}
