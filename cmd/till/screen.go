package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/simpay"
	"github.com/till-pos/till/pos/snapshot"
	"github.com/till-pos/till/pos/stripe"
	"github.com/till-pos/till/receipts"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/ui"
)

// The cash office prints and saves its reports through the receipt
// service.
var (
	_ pos.ReportPrinter = (*receipts.Service)(nil)
	_ ui.ReportSink     = (*receipts.Service)(nil)
)

// runScreen is `till` with no subcommand: the cashier screen on POS_DSN.
func runScreen(ctx context.Context, env *environment, args []string) error {
	env, err := withStoreRow(ctx, env, args) // the store's settings from its row (config.go)
	if err != nil {
		return err
	}
	fs, cfg := newFlags(env, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	settings, sc, err := cfg.till()
	if err != nil {
		return err
	}
	maxQty, err := cfg.quantityLimit()
	if err != nil {
		return err
	}
	limits, needsManager, err := cfg.offline.limits(settings.Currency)
	if err != nil {
		return err
	}
	return openScreen(ctx, env, screenSetup{settings: settings, store: sc, maxQuantity: maxQty,
		offline: limits, offlineNeedsManager: needsManager})
}

// screenSetup is what differs between the real till and training.
type screenSetup struct {
	settings pos.Settings
	store    store.Config
	hint     []string // shown on the sign-in screen
	// maxQuantity is the largest quantity taken without asking (0: the
	// screen's default).
	maxQuantity int64
	// Selling through an outage: the limits, and whether a manager must
	// approve going offline.
	offline             pos.OfflineLimits
	offlineNeedsManager bool
}

// openScreen wires the store and the card gateway into the ui and runs it
// until the cashier quits or ctx is cancelled.
func openScreen(ctx context.Context, env *environment, s screenSetup) error {
	logPath, closeLog, err := openLog(env)
	if err != nil {
		return err
	}
	defer closeLog()
	slog.Info("till starting", "store", s.settings.StoreID, "till", s.settings.TillID, "training", s.settings.Training)

	db, startOffline, err := openStore(ctx, env, s)
	if err != nil {
		return err
	}
	defer db.Close()
	// One running till per id (chain.go). Started while the database does
	// not answer, the till does not wait for it (holdTill would retry for
	// seconds before the screen is up, and keys typed meanwhile go to a
	// terminal not yet in raw mode): the forwarder registers it once the
	// database answers, and the journal's lock keeps a second till of this
	// id on this machine out meanwhile.
	registered := false
	if !startOffline {
		releaseTill, err := holdTill(ctx, db, s.settings)
		if err != nil {
			return err
		}
		defer releaseTill()
		registered = true
	}
	off, err := openOffline(env, db, s.settings)
	if err != nil {
		return err
	}
	defer off.close()
	if !registered {
		off.register = func() (func(), error) { return holdTill(ctx, db, s.settings) }
		defer off.releaseRegistration()
	}
	if startOffline && off.journal == nil {
		return fmt.Errorf("the database does not answer and this till cannot sell offline (see the log: %s)", logPath)
	}
	tel, err := startTelemetry(ctx, env, db, s.settings) // sale events and metrics (events.go)
	if err != nil {
		return err
	}
	defer tel.stop()
	off.metrics = tel.metrics // the offline sales waiting, as a gauge

	gw, err := cardGateway(env.getenv, s.settings.Training, slog.Default())
	if err != nil {
		return err
	}
	co := &pos.Checkout{Sales: db, Gateway: gw, Settings: s.settings, Metrics: tel.metrics,
		OfflineLimits: s.offline, PricesAt: off.pricesAt}
	if off.journal != nil { // a nil *journal.Journal in the interface would not read as none
		co.Journal = off.journal
	}
	// Sign-in, and a manager's approval to go offline, fall back on the
	// snapshot when the database does not answer.
	cashiers := snapshot.Fallback{Online: db, Offline: off.cashiers, Audit: off.auditOffline}
	deps := ui.Deps{
		Checkout:               co,
		Catalog:                off, // the snapshot's catalogue when the database does not answer
		Customers:              db,
		Cashiers:               cashiers,
		OfflineStatus:          off.status,
		OfflineApprover:        &pos.Approver{Cashiers: cashiers, StoreID: s.settings.StoreID, TillID: s.settings.TillID},
		OfflineNeedsManager:    s.offlineNeedsManager,
		Audit:                  db,
		CardNote:               cardNote(gw, env.getenv),
		Hint:                   s.hint,
		MaxQuantityUnconfirmed: s.maxQuantity,
		Log:                    slog.Default(), // the log file openLog set up
	}
	if sim, ok := gw.(*simpay.Gateway); ok && s.settings.Training {
		deps.CardSim = simCard{sim}
	}
	if tr, ok := gw.(testModeReader); ok && tr.TestMode() {
		deps.TestCards = stripeTestCards{tr}
	}
	svc, worker, err := newReceipts(ctx, env, db, s.settings)
	if err != nil {
		return err
	}
	deps.Receipts = tel.receipts(svc)
	deps.Drawer = drawer(svc)
	deps.Location = svc.Location // the clock on screen in the receipts' zone (POS_TIMEZONE)
	deps.RefundReceipts = svc    // a return's refund receipt, printed and saved like a sale's
	deps.ReceiptCopies = svc     // reprints marked COPY (ctrl+r)
	deps.Parked = db             // parked baskets (ctrl+p)
	if svc.CanPrint() {
		deps.ParkedTickets = svc // their tickets, printed when parked (none without a printer: the number is on screen)
	}
	rets := newReturns(db, gw, s.settings, svc.Location) // returns.go
	deps.Returns, deps.Approver, deps.SaleNumbers = rets, newApprover(db, s.settings), db
	deps.Unlocker = db // a manager unlocks a locked cashier at sign-in (F9)
	// The cash office: sessions, movements, X and Z on the store; a
	// movement opens the till's drawer, and the Z prints the receipts' way.
	deps.CashOffice = &pos.CashOffice{Store: db, Drawer: deps.Drawer, Printer: svc, Settings: s.settings}
	deps.Reports = svc
	if worker != nil {
		go worker.Run(ctx) // uploads in the background; never blocks a sale
	}
	go recoverLeftovers(ctx, co, rets, gw)
	go off.run(ctx) // probes the database, renews the snapshot, forwards the journal
	m := ui.New(ctx, deps, ui.NewStyles(env.getenv("NO_COLOR") == ""))
	err = runProgram(ctx, env, m, m.Filter) // see signals.go
	slog.Info("till stopped", "err", err)
	if err != nil {
		return fmt.Errorf("the screen stopped: %w (log: %s)", err, logPath)
	}
	return nil
}

// openStore opens the till's database. When it does not answer and the
// till has a snapshot to sell from, the pools are opened without it
// (startOffline): every call fails with EUnavailable until it answers,
// and the screen sells offline meanwhile.
func openStore(ctx context.Context, env *environment, s screenSetup) (*store.DB, bool, error) {
	db, err := store.Open(ctx, s.store)
	if err == nil {
		return db, false, nil
	}
	if pos.ErrorCode(err) != pos.EUnavailable {
		return nil, false, fmt.Errorf("open the database: %w", err)
	}
	paths, perr := newOfflinePaths(env.getenv, s.settings.StoreID, s.settings.TillID)
	if perr != nil {
		return nil, false, fmt.Errorf("open the database: %w", err)
	}
	if _, serr := snapshot.Load(paths.snapshot(), s.settings.StoreID); serr != nil {
		return nil, false, fmt.Errorf("open the database: %w (and no offline snapshot to start from: %v)", err, serr)
	}
	slog.Warn("database unreachable at start: selling offline from the snapshot", "err", err)
	cfg := s.store
	cfg.Offline = true
	db, err = store.Open(ctx, cfg)
	return db, true, err
}

// cardNote tells the cashier which card reader this till uses.
func cardNote(gw pos.PaymentGateway, getenv func(string) string) string {
	switch gw.(type) {
	case nil:
		return "cash only (no card reader set up)"
	case *simpay.Gateway:
		return "card: simulated"
	}
	return "card: reader " + getenv("POS_STRIPE_READER")
}

// recoverLeftovers resolves this till's sales left pending by an earlier
// run (a crash, a power cut): at start, then every recoverEvery for sales
// pending longer than recoverStale, which no cashier keeps open that long.
func recoverLeftovers(ctx context.Context, co *pos.Checkout, rets *pos.Returns, gw pos.PaymentGateway) {
	age := recoverAge(gw, 0)
	for {
		rep, err := co.Recover(ctx, age)
		if err != nil || len(rep.Completed)+len(rep.Released)+len(rep.Unresolved) > 0 {
			slog.Info("recovered pending sales", "completed", len(rep.Completed), "released", len(rep.Released),
				"unresolved", len(rep.Unresolved), "err", err)
		}
		recoverReturns(ctx, rets, age) // returns.go
		select {
		case <-ctx.Done():
			return
		case <-time.After(recoverEvery):
		}
		age = recoverAge(gw, recoverStale)
	}
}

const (
	recoverEvery = 10 * time.Minute
	recoverStale = time.Hour
)

// testModeReader is a Stripe reader that can be handed test cards (test
// mode only: live keys refuse it).
type testModeReader interface {
	TestMode() bool
	PresentPaymentMethod(ctx context.Context, decline bool) error
}

var _ testModeReader = (*stripe.Gateway)(nil)

// stripeTestCards gives the payment screen's test-card keys to a Stripe
// test-mode reader.
type stripeTestCards struct{ r testModeReader }

func (c stripeTestCards) PresentTestCard(ctx context.Context, decline bool) error {
	return c.r.PresentPaymentMethod(ctx, decline)
}

// simCard lets the trainer's keys steer the simulated reader.
type simCard struct{ g *simpay.Gateway }

func (s simCard) NextDecline() { s.g.Then(simpay.Decline) }
func (s simCard) NextTimeout() { s.g.Then(simpay.Timeout) }

// openLog points log/slog at a file: the terminal belongs to the screen.
// POS_LOG names the file; by default it is till.log in the state directory.
func openLog(env *environment) (string, func(), error) {
	path := env.getenv("POS_LOG")
	if path == "" {
		dir, err := stateDir(env.getenv)
		if err != nil {
			return "", nil, err
		}
		path = filepath.Join(dir, "till.log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", nil, fmt.Errorf("log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return "", nil, fmt.Errorf("open the log: %w", err)
	}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})))
	return path, func() {
		slog.SetDefault(prev)
		f.Close()
	}, nil
}

// stateDir is where the till keeps its log and the training server:
// $XDG_STATE_HOME/till, or ~/.local/state/till.
func stateDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "till"), nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("no state directory: set XDG_STATE_HOME or HOME: %w", err)
		}
	}
	return filepath.Join(home, ".local", "state", "till"), nil
}
