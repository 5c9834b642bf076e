package main

import (
	"context"
	"database/sql"
	"fmt"
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
	fs, cfg := newFlags(env, "demo")
	if err := fs.Parse(args); err != nil {
		return err
	}
	settings, err := cfg.settings(true)
	if err != nil {
		return err
	}
	dir, err := stateDir(env.getenv)
	if err != nil {
		return err
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
	err = openScreen(ctx, env, screenSetup{settings: settings, hint: demoHint(settings, data),
		store: store.Config{WriterDSN: dsn, CallTimeout: 15 * time.Second, StoreID: settings.StoreID}})
	fmt.Fprintf(env.stdout, "till demo: training over. Codes and PINs for next time: %s\n", sheet)
	return err
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
