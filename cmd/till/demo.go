package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/demo"
)

// trainingDatabase is the database `till demo` creates, migrates and seeds.
const trainingDatabase = "till_training"

// runDemo is training mode: a local server (POS_ADMIN_DSN or POS_DSN if it
// answers, else a private one it starts and stops), a training database
// migrated and seeded, and the screen with TRAINING shown at all times.
func runDemo(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("till demo", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	cfg := &config{dsn: env.getenv("POS_DSN"), adminDSN: env.getenv("POS_ADMIN_DSN")}
	cfg.bindSettings(fs, env.getenv)
	fs.Usage = func() { demoUsage(fs.Output(), fs) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: till demo takes no arguments (got %q); see till demo --help", errUsage, fs.Args())
	}
	settings, err := cfg.settings(true)
	if err != nil {
		return err
	}
	maxQty, err := cfg.quantityLimit()
	if err != nil {
		return err
	}
	dir, err := stateDir(env.getenv)
	if err != nil {
		return err
	}
	// The trainer sheet and the log go there whichever server is used.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	server, stop, err := demoServer(ctx, env, cfg, filepath.Join(dir, "mysql"))
	if err != nil {
		return err
	}
	defer stop()
	dsn, err := withDatabase(server, trainingDatabase)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "till demo: preparing the training database %s…\n", trainingDatabase)
	data := demo.Data(settings.Scan)
	rep, err := prepareTraining(ctx, dsn, data, settings.StoreID)
	if err != nil {
		return err
	}
	sheet := filepath.Join(dir, "trainer-sheet.txt")
	if err := writeSheet(sheet, settings, data, rep); err != nil {
		return err
	}
	limits, needsManager, err := cfg.offline.limits(settings.Currency)
	if err != nil {
		return err
	}
	err = openScreen(ctx, env, screenSetup{settings: settings, hint: demoHint(settings, data), maxQuantity: maxQty,
		offline: limits, offlineNeedsManager: needsManager,
		store: store.Config{WriterDSN: dsn, CallTimeout: 15 * time.Second, StoreID: settings.StoreID}})
	fmt.Fprintf(env.stdout, "till demo: training over. Codes and PINs for next time: %s\n", sheet)
	return err
}

// demoUsage is `till demo --help`.
func demoUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `usage: till demo [flags]

Training mode: the cashier screen on the demo store, TRAINING shown at all times,
nothing charged. For trainers and for trying the till.

It uses the MySQL or MariaDB server of POS_ADMIN_DSN or POS_DSN when one answers.
Otherwise it starts a private MariaDB in ~/.local/state/till/mysql, reachable only
through a unix socket in that private folder, and stops it when the till stops.
On that server it creates the database till_training, migrates and seeds it (a
later demo keeps the earlier sales), writes the cashier numbers, PINs and codes to
try to ~/.local/state/till/trainer-sheet.txt, and opens the cashier screen. Card
payments go to a simulated reader (F6: the next one is declined, F7: it times out).

A private server needs the MariaDB server programs: sudo apt-get install
mariadb-server on Debian or Ubuntu (make demo installs them when it can).

Examples:
  till demo
  POS_ADMIN_DSN='root@tcp(127.0.0.1:3306)/' till demo    train on an existing server
  till demo --currency USD --tax-mode exclusive --cash-rounding 5

Environment: POS_ADMIN_DSN, POS_DSN (a server to train on), XDG_STATE_HOME (the state
directory is $XDG_STATE_HOME/till), POS_LOG, NO_COLOR.

Flags (the store's settings to train with):
`)
	fs.PrintDefaults()
}

// demoServer finds the server to train on: the configured one if it
// answers, otherwise a private server started for this run.
func demoServer(ctx context.Context, env *environment, cfg *config, dir string) (string, func(), error) {
	for _, candidate := range []string{cfg.adminDSN, cfg.dsn} {
		if candidate == "" {
			continue
		}
		dsn, ok := serverDSN(candidate)
		if ok && answers(ctx, dsn) {
			fmt.Fprintln(env.stderr, "till demo: using the MySQL server of POS_ADMIN_DSN/POS_DSN")
			return dsn, func() {}, nil
		}
		fmt.Fprintln(env.stderr, "till demo: the configured MySQL server does not answer; starting a private one")
		break
	}
	if findServer() == "" {
		return "", nil, noServerError(os.Geteuid() == 0)
	}
	fmt.Fprintf(env.stderr, "till demo: starting a private MariaDB server in %s…\n", dir)
	s, err := startPrivateServer(ctx, dir)
	if err != nil {
		return "", nil, err
	}
	return s.dsn, func() {
		fmt.Fprintln(env.stderr, "till demo: stopping the private MariaDB server…")
		s.stop()
	}, nil
}

// answers reports whether a server DSN accepts a connection within 3 s.
func answers(ctx context.Context, dsn string) bool {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return false
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return db.PingContext(ctx) == nil
}

// prepareTraining creates, migrates and seeds the training database. All
// three are idempotent: a second demo keeps the first one's sales.
func prepareTraining(ctx context.Context, dsn string, data demo.Store, storeID string) (store.SeedReport, error) {
	if err := store.EnsureDatabase(ctx, dsn, "", false); err != nil {
		return store.SeedReport{}, err
	}
	admin, err := store.OpenAdmin(ctx, dsn)
	if err != nil {
		return store.SeedReport{}, err
	}
	defer admin.Close()
	if _, err := store.Migrate(ctx, admin); err != nil {
		return store.SeedReport{}, fmt.Errorf("migrate the training database: %w", err)
	}
	rep, err := store.Seed(ctx, admin, data, storeID)
	if err != nil {
		return rep, fmt.Errorf("seed the training database: %w", err)
	}
	return rep, nil
}

func writeSheet(path string, s pos.Settings, d demo.Store, rep store.SeedReport) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("trainer sheet: %w", err)
	}
	printTrainerSheet(&environment{stdout: f, stderr: f, getenv: os.Getenv}, s, d, rep)
	return f.Close()
}

// demoHint is what the sign-in screen shows a trainer: a PIN, an item, a
// scale label and a loyalty card to try.
func demoHint(s pos.Settings, d demo.Store) []string {
	var out []string
	if len(d.Cashiers) > 0 {
		c := d.Cashiers[0]
		out = append(out, fmt.Sprintf("Try: cashier %s, PIN %s", c.Cashier.Number, c.PIN))
	}
	item, label := "", ""
	for _, it := range d.Items {
		switch {
		case item == "" && it.Label == "" && it.Item.Active && !it.Item.Weighed && len(it.Item.Code) == 13:
			item = fmt.Sprintf("item %s (%s)", it.Item.Code, it.Item.Name)
		case label == "" && it.Label != "" && it.Item.Weighed:
			label = fmt.Sprintf("scale label %s (%s)", it.Label, it.Item.Name)
		}
	}
	for _, l := range []string{item, label} {
		if l != "" {
			out = append(out, l)
		}
	}
	if len(d.Customers) > 0 && d.Customers[0].LoyaltyCard != "" {
		out = append(out, fmt.Sprintf("loyalty card %s (%s)", d.Customers[0].LoyaltyCard, d.Customers[0].Name))
	}
	return out
}
