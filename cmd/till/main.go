// Command till is the cashier's till and its tools.
//
//	till              the cashier screen (POS_DSN)
//	till demo         training mode on a local MySQL
//	till migrate      apply the schema (POS_ADMIN_DSN)
//	till seed         load the demo store (POS_ADMIN_DSN)
//	till grants       print or apply the till user's privileges
//	till reconcile    resolve this till's sales left pending
//	till stores       list the stores and their tills (POS_ADMIN_DSN)
//
// Configuration is read here, once, from flags and the environment (flags
// win), and passed down as values.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/till-pos/till/pos"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

// environment is what a subcommand may use of the outside world.
type environment struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func commands() []command {
	return []command{
		{"demo", "training mode: a local MariaDB/MySQL, seeded, TRAINING on screen", runDemo},
		{"migrate", "apply the database schema (POS_ADMIN_DSN)", runMigrate},
		{"seed", "load the demo store: items, customers, cashiers (POS_ADMIN_DSN)", runSeed},
		{"grants", "print (or --apply) the till user's least privileges", runGrants},
		{"reconcile", "resolve this till's sales left pending", runReconcile},
		{"stores", "list the stores and their tills, with last-seen times (POS_ADMIN_DSN)", runStores},
		{"receipts", "drain: upload pending receipts to S3 · reprint SALE: a COPY", runReceipts},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	env := &environment{stdout: stdout, stderr: stderr, getenv: getenv}
	name := ""
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	for _, c := range commands() {
		if c.name == name {
			return report(env, c.run(ctx, env, args))
		}
	}
	if name == "" || len(name) > 1 && name[0] == '-' && name != "-h" && name != "--help" {
		// No subcommand (flags only): the cashier screen.
		if name != "" {
			args = append([]string{name}, args...)
		}
		return report(env, runScreen(ctx, env, args))
	}
	if name == "help" || name == "-h" || name == "--help" {
		usage(env)
		return 0
	}
	fmt.Fprintf(stderr, "till: unknown command %q\n", name)
	usage(env)
	return 2
}

func usage(env *environment) {
	fmt.Fprintln(env.stderr, "usage: till <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(env.stderr, "  %-10s %s\n", c.name, c.summary)
	}
}

// report prints an error the way a person can act on it.
func report(env *environment, err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(env.stderr, "till:", err)
		return 2
	}
	var pe *pos.Error
	if errors.As(err, &pe) {
		fmt.Fprintf(env.stderr, "till: %s\n", pe.Error())
		return 1
	}
	fmt.Fprintln(env.stderr, "till:", err)
	return 1
}

var errUsage = errors.New("usage")
