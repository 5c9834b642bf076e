package main

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/demo"
)

func newFlags(env *environment, name string) (*flag.FlagSet, *config) {
	fs := flag.NewFlagSet("till "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	cfg := &config{}
	cfg.bind(fs, env.getenv)
	return fs, cfg
}

// openAdmin connects as the administrative user of POS_ADMIN_DSN.
func openAdmin(ctx context.Context, cfg *config) (*sql.DB, error) {
	if err := cfg.requireAdmin(); err != nil {
		return nil, err
	}
	return store.OpenAdminTLS(ctx, cfg.adminDSN, cfg.dbCA, cfg.dbInsecure)
}

func runMigrate(ctx context.Context, env *environment, args []string) error {
	fs, cfg := newFlags(env, "migrate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.requireAdmin(); err != nil {
		return err
	}
	if err := store.EnsureDatabase(ctx, cfg.adminDSN, cfg.dbCA, cfg.dbInsecure); err != nil {
		return err
	}
	admin, err := openAdmin(ctx, cfg)
	if err != nil {
		return err
	}
	defer admin.Close()
	applied, err := store.Migrate(ctx, admin)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(env.stdout, "schema is up to date")
	}
	for _, m := range applied {
		fmt.Fprintln(env.stdout, "applied", m)
	}
	return nil
}

func runSeed(ctx context.Context, env *environment, args []string) error {
	fs, cfg := newFlags(env, "seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	settings, err := cfg.settings(false)
	if err != nil {
		return err
	}
	admin, err := openAdmin(ctx, cfg)
	if err != nil {
		return err
	}
	defer admin.Close()
	data := demo.Data(settings.Scan)
	rep, err := store.Seed(ctx, admin, data, settings.StoreID)
	if err != nil {
		return err
	}
	printTrainerSheet(env, settings, data, rep)
	return nil
}

// printTrainerSheet prints the codes and PINs a trainer needs.
func printTrainerSheet(env *environment, s pos.Settings, d demo.Store, rep store.SeedReport) {
	w := env.stdout
	fmt.Fprintf(w, "demo store: %d items, %d customers, %d cashiers\n", rep.Items, rep.Customers, rep.Cashiers)
	for _, st := range rep.Stores {
		fmt.Fprintf(w, "  store %s: %s (every item stocked, every cashier may sign in)\n", st.ID, cmp.Or(st.Name, st.ID))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "cashiers (number / PIN):")
	for _, c := range d.Cashiers {
		role := ""
		if c.Cashier.Manager {
			role = " (manager)"
		}
		fmt.Fprintf(w, "  %s / %s  %s%s\n", c.Cashier.Number, c.PIN, c.Cashier.Name, role)
	}
	fmt.Fprintln(w, "\nitems to scan or type:")
	shown := 0
	for _, it := range d.Items {
		if shown >= 8 || it.Item.Weighed || it.Label != "" || !it.Item.Active {
			continue
		}
		fmt.Fprintf(w, "  %-14s %-34s %s\n", it.Item.Code, it.Item.Name, s.Currency.Format(it.Item.Price))
		shown++
	}
	fmt.Fprintln(w, "\nscale and price labels:")
	for _, it := range d.Items {
		if it.Label != "" {
			per := ""
			if it.Item.Weighed {
				per = "/kg"
			}
			fmt.Fprintf(w, "  %-14s %-34s %s%s\n", it.Label, it.Item.Name, s.Currency.Format(it.Item.Price), per)
		}
	}
	fmt.Fprintln(w, "\nloyalty cards:")
	for _, c := range d.Customers[:min(5, len(d.Customers))] {
		fmt.Fprintf(w, "  %s  %s\n", c.LoyaltyCard, c.Name)
	}
	fmt.Fprintln(w, "\na quantity goes before a code: 3*4006381333931")
}

func runGrants(ctx context.Context, env *environment, args []string) error {
	fs, cfg := newFlags(env, "grants")
	user := fs.String("user", "pos_till", "the till's database user")
	host := fs.String("host", "%", "host part of the user account")
	database := fs.String("database", "", "database name (default: the one in POS_ADMIN_DSN)")
	password := fs.String("password", env.getenv("POS_TILL_PASSWORD"), "password for a password user ($POS_TILL_PASSWORD)")
	apply := fs.Bool("apply", false, "run the statements with POS_ADMIN_DSN")
	iam := fs.Bool("iam", false, "an IAM user (AWSAuthenticationPlugin) and the IAM policy for it")
	region := fs.String("region", "REGION", "AWS region, for the IAM policy")
	account := fs.String("account", "ACCOUNT_ID", "AWS account id, for the IAM policy")
	cluster := fs.String("cluster-resource-id", "CLUSTER_RESOURCE_ID", "the Aurora cluster's resource id (cluster-ABC…), for the IAM policy")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *database == "" && cfg.adminDSN != "" {
		if mc, err := mysql.ParseDSN(cfg.adminDSN); err == nil {
			*database = mc.DBName
		}
	}
	if *database == "" {
		return fmt.Errorf("%w: name the database with --database or in POS_ADMIN_DSN", errUsage)
	}
	opts := store.GrantOptions{Database: *database, User: *user, Host: *host, Password: *password, IAM: *iam}
	if *apply {
		admin, err := openAdmin(ctx, cfg)
		if err != nil {
			return err
		}
		defer admin.Close()
		if err := store.ApplyGrants(ctx, admin, opts); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "granted the till's privileges on %s to '%s'@'%s'\n", *database, *user, *host)
		return nil
	}
	stmts, err := store.GrantSQL(opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "-- the till's database user: exactly what the till does, nothing else\n")
	for _, s := range stmts {
		fmt.Fprintln(env.stdout, s+";")
	}
	if *iam {
		fmt.Fprintln(env.stdout, "\n-- IAM policy for the till's role or user (rds-db:connect for this one database user):")
		for _, l := range strings.Split(store.IAMPolicy(*region, *account, *cluster, *user), "\n") {
			fmt.Fprintln(env.stdout, l)
		}
	}
	return nil
}

func runReconcile(ctx context.Context, env *environment, args []string) error {
	fs, cfg := newFlags(env, "reconcile")
	age := fs.Duration("older-than", 5*time.Minute, "resolve sales pending for longer than this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	settings, sc, err := cfg.till()
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, sc)
	if err != nil {
		return err
	}
	defer db.Close()
	// With no card gateway configured, a sale with a card attempt of unknown
	// outcome stays pending and is reported, never released blind.
	gw, err := cardGateway(env.getenv, false, slog.New(slog.NewTextHandler(env.stderr, nil)))
	if err != nil {
		return err
	}
	co := &pos.Checkout{Sales: db, Gateway: gw, Settings: settings}
	rep, err := co.Recover(ctx, recoverAge(gw, *age))
	fmt.Fprintf(env.stdout, "completed %d, released %d, unresolved %d\n",
		len(rep.Completed), len(rep.Released), len(rep.Unresolved))
	for _, k := range rep.Unresolved {
		fmt.Fprintln(env.stdout, "  still pending:", k)
	}
	rrep, rerr := newReturns(db, gw, settings, nil).Recover(ctx, *age)
	reportReturns(env.stdout, rrep)
	return errors.Join(err, rerr)
}
