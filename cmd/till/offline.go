package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/journal"
	"github.com/till-pos/till/pos/snapshot"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/ui"
)

// Selling through a database outage (issue 16). While online the till
// keeps a snapshot of its store's catalogue, settings and offline cashiers
// (PIN hashes only, a file only the till's user can read); when the
// database does not answer it signs cashiers in and sells cash from it,
// keeping each sale in a journal (pos/journal) that a forwarder sends to
// the database, exactly once by key, as soon as it answers again.

// Timing of the forwarder: how often it asks the database whether it
// answers (and forwards what waits), and how often it renews the snapshot.
const (
	offlineProbeEvery    = 3 * time.Second
	offlineSnapshotEvery = 5 * time.Minute
)

// offlinePaths are where a till's offline files live:
// <state>/offline/<store>/<till>/{snapshot,journal/}.
type offlinePaths struct{ dir string }

func newOfflinePaths(getenv func(string) string, storeID, tillID string) (offlinePaths, error) {
	state, err := stateDir(getenv)
	if err != nil {
		return offlinePaths{}, err
	}
	return offlinePaths{filepath.Join(state, "offline", url.PathEscape(storeID), url.PathEscape(tillID))}, nil
}

func (p offlinePaths) snapshot() string { return filepath.Join(p.dir, "snapshot") }
func (p offlinePaths) journal() string  { return filepath.Join(p.dir, "journal") }

// offlineConfig is how a till sells offline (POS_OFFLINE_*).
type offlineConfig struct {
	approval                   string // "manager" (default) or "none"
	maxSales, maxValue, maxAge string
}

func (c *offlineConfig) bind(fs *flag.FlagSet, getenv func(string) string) {
	str := func(p *string, name, env, def, usage string) { stringFlag(fs, getenv, p, name, env, def, usage) }
	str(&c.approval, "offline-approval", "POS_OFFLINE_APPROVAL", "manager", "who lets the till sell offline during an outage: manager or none")
	str(&c.maxSales, "offline-max-sales", "POS_OFFLINE_MAX_SALES", "500", "most offline sales waiting to be sent; 0: no limit")
	str(&c.maxValue, "offline-max-value", "POS_OFFLINE_MAX_VALUE", "10000", "most value of offline sales waiting to be sent; 0: no limit")
	str(&c.maxAge, "offline-max-age", "POS_OFFLINE_MAX_AGE", "24h", "oldest offline sale waiting, and oldest prices, the till sells offline with; 0: no limit")
}

// limits parses the limits in the store's currency.
func (c offlineConfig) limits(cur pos.Currency) (pos.OfflineLimits, bool, error) {
	var l pos.OfflineLimits
	var needsManager bool
	switch c.approval {
	case "manager", "":
		needsManager = true
	case "none":
	default:
		return l, false, fmt.Errorf("%w: offline approval %q: manager or none", errUsage, c.approval)
	}
	n, err := strconv.Atoi(c.maxSales)
	if err != nil || n < 0 {
		return l, false, fmt.Errorf("%w: offline max sales %q: a whole number", errUsage, c.maxSales)
	}
	l.MaxSales = n
	if c.maxValue != "0" {
		if l.MaxValue, err = cur.Parse(c.maxValue); err != nil || l.MaxValue < 0 {
			return l, false, fmt.Errorf("%w: offline max value %q: an amount, e.g. 10000", errUsage, c.maxValue)
		}
	}
	if l.MaxAge, err = time.ParseDuration(c.maxAge); err != nil || l.MaxAge < 0 {
		return l, false, fmt.Errorf("%w: offline max age %q: a duration, e.g. 24h", errUsage, c.maxAge)
	}
	return l, needsManager, nil
}

// offlineStoreRow stands the snapshot's copy of the store's row in for the
// database, which does not answer at start: the till then sells as the
// store does, offline. ok is false when there is no usable snapshot.
func offlineStoreRow(env *environment, storeID, tillID string) (map[string]string, bool) {
	paths, err := newOfflinePaths(env.getenv, storeID, tillID)
	if err != nil {
		return nil, false
	}
	snap, err := snapshot.Load(paths.snapshot(), storeID)
	if err != nil {
		fmt.Fprintf(env.stderr, "till: no offline snapshot to start from (%v)\n", err)
		return nil, false
	}
	return snap.StoreSettings, true
}

// offlineTill is the till's offline side: its journal, its snapshot and
// the forwarder that sends the journal's sales to the database.
type offlineTill struct {
	paths    offlinePaths
	storeID  string
	db       *store.DB
	journal  *journal.Journal
	cashiers func() (*snapshot.Cashiers, error)
	status   chan ui.OfflineStatus
	mu       sync.Mutex
	takenAt  time.Time   // the snapshot's time: when the prices were read
	metrics  pos.Metrics // nil: none kept
	// register holds the till's id (holdTill) for a till that started
	// while the database did not answer; release gives it back at the end.
	register   func() (release func(), err error)
	regMu      sync.Mutex
	release    func()
	regRefused string // the last refusal, logged once
}

// registerOnce registers a till started offline, once the database
// answers. Another running till with the same id refuses it: logged (once
// per reason), tried again at the next probe.
func (o *offlineTill) registerOnce() {
	o.regMu.Lock()
	defer o.regMu.Unlock()
	if o.register == nil || o.release != nil {
		return
	}
	rel, err := o.register()
	if err != nil {
		if msg := pos.ErrorMessage(err); msg != o.regRefused {
			o.regRefused = msg
			slog.Error("till not registered now that the database answers", "err", err)
		}
		return
	}
	o.release = rel
}

// releaseRegistration gives back what registerOnce held.
func (o *offlineTill) releaseRegistration() {
	o.regMu.Lock()
	defer o.regMu.Unlock()
	if o.release != nil {
		o.release()
		o.release = nil
	}
}

// openOffline opens the journal (the till's own: a second till with the
// same ids on this machine is refused) and reads the snapshot's time.
func openOffline(env *environment, db *store.DB, set pos.Settings) (*offlineTill, error) {
	paths, err := newOfflinePaths(env.getenv, set.StoreID, set.TillID)
	if err != nil {
		return nil, err
	}
	j, err := journal.Open(paths.journal())
	switch {
	case errors.Is(err, syscall.EWOULDBLOCK):
		return nil, fmt.Errorf("another till %s is running on this machine: %w", set.TillID, err)
	case err != nil:
		// The till sells online as ever; it only cannot sell offline.
		slog.Error("no offline journal: this till cannot sell offline", "err", err)
		return &offlineTill{paths: paths, storeID: set.StoreID, db: db,
			status: make(chan ui.OfflineStatus, 1)}, nil
	}
	o := &offlineTill{paths: paths, storeID: set.StoreID, db: db, journal: j,
		cashiers: snapshot.Loader(paths.snapshot(), set.StoreID, time.Now),
		status:   make(chan ui.OfflineStatus, 1)}
	if snap, err := snapshot.Load(paths.snapshot(), set.StoreID); err == nil {
		o.takenAt = snap.TakenAt
	}
	st, err := j.State()
	if err != nil {
		j.Close()
		return nil, fmt.Errorf("read the offline journal: %w", err)
	}
	for _, d := range st.Damaged {
		slog.Error("offline journal damaged: the records there could not be read; they are kept for an operator",
			"file", d.File, "offset", d.Offset, "length", d.Length, "reason", d.Reason)
	}
	return o, nil
}

func (o *offlineTill) close() error {
	if o.journal == nil {
		return nil
	}
	return o.journal.Close()
}

// pricesAt is when the prices the till sells at offline were read.
func (o *offlineTill) pricesAt() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.takenAt
}

// Items is the catalogue: the database's, or the snapshot's for the first
// load when the database does not answer.
func (o *offlineTill) Items(ctx context.Context, since time.Time) ([]pos.Item, error) {
	items, err := o.db.Items(ctx, since)
	if err == nil || pos.ErrorCode(err) != pos.EUnavailable || !since.IsZero() {
		return items, err
	}
	snap, serr := snapshot.Load(o.paths.snapshot(), o.storeID)
	if serr != nil {
		slog.Warn("no offline snapshot of the catalogue", "err", serr)
		return nil, err
	}
	slog.Warn("database unreachable: the catalogue comes from the offline snapshot", "taken", snap.TakenAt, "items", len(snap.Items))
	return snap.Items, nil
}

// run probes the database, keeps the snapshot fresh and forwards the
// journal, telling the screen, until ctx ends.
func (o *offlineTill) run(ctx context.Context) {
	var snapped time.Time
	for {
		reachable := o.db.Ping(ctx) == nil
		if reachable {
			o.registerOnce()
		}
		if reachable && time.Since(snapped) >= offlineSnapshotEvery {
			if err := o.saveSnapshot(ctx); err != nil {
				slog.Warn("offline snapshot not renewed", "err", err)
			} else {
				snapped = time.Now()
			}
		}
		s := o.forward(ctx, reachable)
		if o.metrics != nil && o.journal != nil {
			o.metrics.Gauge(pos.MetricOfflineWaiting, float64(s.Waiting))
		}
		select { // the latest status wins
		case <-o.status:
		default:
		}
		o.status <- s
		select {
		case <-ctx.Done():
			return
		case <-time.After(offlineProbeEvery):
		}
	}
}

// forward sends what waits when the database answers, and says what is
// left.
func (o *offlineTill) forward(ctx context.Context, reachable bool) ui.OfflineStatus {
	s := ui.OfflineStatus{Reachable: reachable}
	if o.journal == nil {
		return s
	}
	st, err := o.journal.State()
	if err != nil {
		s.Problem = err.Error()
		return s
	}
	if reachable && len(st.Pending) > 0 {
		rep, err := pos.ForwardJournal(ctx, o.journal, o.db)
		logForward(rep, err)
		if err != nil {
			s.Problem = pos.ErrorMessage(err)
			s.Reachable = pos.ErrorCode(err) != pos.EUnavailable
		}
		if st, err = o.journal.State(); err != nil {
			s.Problem = err.Error()
			return s
		}
	}
	s.Waiting, s.Damaged = len(st.Pending), len(st.Damaged)
	if s.Reachable {
		if _, err := forwardAudits(ctx, o.journal, o.db); err != nil {
			slog.Warn("offline audit entries not written yet", "err", err)
		}
	}
	return s
}

// forwardAudits writes the audit entries spooled while offline to the
// database's audit log, then drops them from the spool; a failure keeps
// them all for the next pass (an entry written twice then: at least once).
func forwardAudits(ctx context.Context, j *journal.Journal, db *store.DB) (int, error) {
	entries, bad, upto, err := j.SpooledAudits()
	if err != nil || upto == 0 {
		return 0, err
	}
	if bad > 0 {
		slog.Error("offline audit spool: lines torn by a crash could not be read (their entries were never confirmed)", "lines", bad)
	}
	for _, e := range entries {
		if err := db.Audit(ctx, e); err != nil {
			return 0, err
		}
	}
	return len(entries), j.ClearAudits(upto)
}

// auditOffline spools an audit entry made without the database (offline
// sign-in), and logs it.
func (o *offlineTill) auditOffline(e pos.AuditEntry) {
	slog.Info("audit (offline)", "action", e.Action, "cashier", e.CashierID, "detail", e.Detail)
	if o.journal == nil {
		return
	}
	if err := o.journal.SpoolAudit(e); err != nil {
		slog.Error("offline audit entry not kept", "action", e.Action, "err", err)
	}
}

func logForward(rep pos.ForwardReport, err error) {
	slog.Info("offline sales forwarded", "forwarded", rep.Forwarded, "already", rep.Already,
		"short", len(rep.Short), "failed", len(rep.Failed), "left", rep.Left, "err", err)
	for _, r := range rep.Short {
		for _, sh := range r.Short {
			slog.Warn("offline sale short of stock: recorded, stock stopped at zero", "sale", r.Sale.ID,
				"item", sh.Name, "wanted", sh.Wanted, "available", sh.Available)
		}
	}
	for _, f := range rep.Failed {
		slog.Error("offline sale refused by the database: kept in the journal", "sale", f.Key, "err", f.Err)
	}
}

// saveSnapshot reads the store's catalogue, offline cashiers and row and
// writes the snapshot.
func (o *offlineTill) saveSnapshot(ctx context.Context) error {
	items, err := o.db.Items(ctx, time.Time{})
	if err != nil {
		return err
	}
	cashiers, err := o.db.OfflineCashiers(ctx, o.storeID)
	if err != nil {
		return err
	}
	row, err := o.db.Store(ctx, o.storeID)
	if err != nil {
		return err
	}
	now := time.Now()
	if err := snapshot.Save(o.paths.snapshot(), snapshot.Snapshot{TakenAt: now, StoreID: o.storeID,
		Items: items, Cashiers: cashiers, StoreSettings: storeEnv(row)}); err != nil {
		return err
	}
	o.mu.Lock()
	o.takenAt = now
	o.mu.Unlock()
	return nil
}

// runOffline is `till offline status|upload`.
func runOffline(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || (args[0] != "status" && args[0] != "upload") {
		return fmt.Errorf("%w: till offline status | till offline upload", errUsage)
	}
	verb := args[0]
	fs, cfg := newFlags(env, "offline "+verb)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	paths, err := newOfflinePaths(env.getenv, cfg.storeID, cfg.tillID)
	if err != nil {
		return err
	}
	j, err := journal.Open(paths.journal())
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return pos.WrapError(pos.EConflict, err, "till %s is running on this machine: it sends its offline sales itself, "+
			"and its screen shows how many wait", cfg.tillID)
	}
	if err != nil {
		return fmt.Errorf("open the offline journal: %w", err)
	}
	defer j.Close()
	st, err := j.State()
	if err != nil {
		return err
	}
	printJournal(env, paths, st, pos.CurrencyByCode(cfg.currency))
	if verb == "status" {
		if snap, err := snapshot.Load(paths.snapshot(), cfg.storeID); err == nil {
			fmt.Fprintf(env.stdout, "snapshot: taken %s, %d items, %d offline cashiers\n",
				snap.TakenAt.Format(time.RFC3339), len(snap.Items), len(snap.Cashiers))
		} else {
			fmt.Fprintf(env.stdout, "snapshot: none usable (%v)\n", err)
		}
		return nil
	}
	sc, err := cfg.storeConfig()
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, sc)
	if err != nil {
		return fmt.Errorf("open the database: %w", err)
	}
	defer db.Close()
	rep, err := pos.ForwardJournal(ctx, j, db)
	fmt.Fprintf(env.stdout, "forwarded %d, already there %d, short of stock %d, refused %d, still waiting %d\n",
		rep.Forwarded, rep.Already, len(rep.Short), len(rep.Failed), rep.Left)
	if n, aerr := forwardAudits(ctx, j, db); aerr != nil {
		err = errors.Join(err, fmt.Errorf("offline audit entries: %w", aerr))
	} else if n > 0 {
		fmt.Fprintf(env.stdout, "audit entries made offline written: %d\n", n)
	}
	for _, r := range rep.Short {
		for _, sh := range r.Short {
			fmt.Fprintf(env.stdout, "  sale %d: %s sold %d, had %d (stock stopped at zero)\n", r.Sale.ID, sh.Name, sh.Wanted, sh.Available)
		}
	}
	for _, f := range rep.Failed {
		fmt.Fprintf(env.stdout, "  refused %s: %s\n", f.Key, pos.ErrorMessage(f.Err))
	}
	if err == nil && (len(rep.Failed) > 0 || len(rep.Damaged) > 0) {
		err = fmt.Errorf("%d offline sales refused, %d damaged stretches: see above", len(rep.Failed), len(rep.Damaged))
	}
	return err
}

// offlineSalesSent refuses a Z while this till's journal holds sales not
// yet sent: their cash is in the drawer, and the Z must count them. A
// till running on the machine holds the journal; its screen refuses the Z
// the same way.
func offlineSalesSent(env *environment, set pos.Settings) error {
	paths, err := newOfflinePaths(env.getenv, set.StoreID, set.TillID)
	if err != nil {
		return err
	}
	if _, err := os.Stat(paths.journal()); errors.Is(err, os.ErrNotExist) {
		return nil // this machine never sold offline as this till
	}
	j, err := journal.Open(paths.journal())
	if err != nil {
		return nil // the running till holds it (and refuses a Z itself), or it cannot be read: its log says
	}
	defer j.Close()
	st, err := j.State()
	if err != nil {
		return err
	}
	if len(st.Pending) > 0 {
		return fmt.Errorf("%d sales sold offline on this till are not in the database yet: run till offline upload first", len(st.Pending))
	}
	return nil
}

// printJournal says what the journal holds.
func printJournal(env *environment, paths offlinePaths, st pos.JournalState, cur pos.Currency) {
	var value pos.Money
	oldest := time.Time{}
	for _, s := range st.Pending {
		value += s.Totals.Total + s.CashRounding
		if oldest.IsZero() || s.CreatedAt.Before(oldest) {
			oldest = s.CreatedAt
		}
	}
	fmt.Fprintf(env.stdout, "journal: %s\n", paths.journal())
	fmt.Fprintf(env.stdout, "waiting to be sent: %d, %s", len(st.Pending), cur.Format(value))
	if !oldest.IsZero() {
		fmt.Fprintf(env.stdout, ", oldest %s", oldest.Format(time.RFC3339))
	}
	fmt.Fprintf(env.stdout, "\nsent: %d\n", st.Forwarded)
	for _, d := range st.Damaged {
		fmt.Fprintf(env.stdout, "DAMAGED: %d bytes at offset %d (%s), kept in %s\n", d.Length, d.Offset, d.Reason, d.File)
	}
}
