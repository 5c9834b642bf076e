// Command till is the cashier's till and its tools.
//
//	till              the cashier screen (POS_DSN)
//	till demo         training mode on a local MariaDB/MySQL
//	till migrate      apply the schema (POS_ADMIN_DSN)
//	till seed         load the demo store (POS_ADMIN_DSN)
//	till grants       print or apply the till user's privileges
//	till reconcile    resolve this till's sales and returns left pending
//	till report       x: the open session's figures; z: count the drawer and close it
//	till receipts     upload pending receipts, reprint one
//	till offline      status of the offline sales waiting on this till; upload them
//	till version      the version and commit
//	till stores       list the stores and their tills (POS_ADMIN_DSN)
//
// Configuration is read here, once, from flags and the environment (flags
// win), and passed down as values. `till help` says more.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/till-pos/till/pos"
)

func main() {
	s := listen(context.Background())
	env := &environment{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, stops: s}
	code := env.run(s.ctx, os.Args[1:])
	s.stop()
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
	stops          *stops // the stop signals; nil in tests that call run
}

func commands() []command {
	return []command{
		{"demo", "training mode: a local MariaDB, the demo store, nothing charged", runDemo},
		{"migrate", "apply the database schema (POS_ADMIN_DSN)", runMigrate},
		{"seed", "load the demo store: items, customers, cashiers (POS_ADMIN_DSN)", runSeed},
		{"grants", "print (or --apply) the till user's least privileges", runGrants},
		{"reconcile", "resolve this till's sales and returns left pending", runReconcile},
		{"report", "x: the open session's figures · z --counted AMOUNT: count the drawer, close the session", runReport},
		{"stores", "list the stores and their tills, with last-seen times (POS_ADMIN_DSN)", runStores},
		{"offline", "status: the offline sales waiting on this till · upload: send them to the database now", runOffline},
		{"receipts", "drain: upload pending receipts to S3 · reprint SALE: a COPY", runReceipts},
		{"events", "schema: the sale events' JSON Schema · drain: send pending events to SQS · prune", runEvents},
		{"monitoring", "template: the CloudFormation alarms on the till's metrics", runMonitoring},
		{"version", "print the till's version and commit (also --version)", runVersion},
	}
}

// run is main without the process: tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	env := &environment{stdout: stdout, stderr: stderr, getenv: getenv}
	return env.run(ctx, args)
}

func (env *environment) run(ctx context.Context, args []string) int {
	name := ""
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 0 && name == "help" {
			// till help demo = till demo --help
			return env.run(ctx, []string{args[0], "--help"})
		}
		usage(env.stdout, env.getenv)
		return 0
	case "-version", "--version":
		return env.report(runVersion(ctx, env, args))
	}
	for _, c := range commands() {
		if c.name == name {
			return env.report(c.run(ctx, env.forHelp(args), args))
		}
	}
	if name == "" || strings.HasPrefix(name, "-") {
		// No subcommand (flags only): the cashier screen.
		if name != "" {
			args = append([]string{name}, args...)
		}
		if wantsHelp(args) {
			usage(env.stdout, env.getenv)
			return 0
		}
		return env.report(runScreen(ctx, env, args))
	}
	fmt.Fprintf(env.stderr, "till: unknown command %q\nRun 'till help' for the commands.\n", name)
	return 2
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// forHelp is env, with help written to standard output when args ask for
// it: a command's flag set prints its help where the flag package prints,
// and help asked for is the command's output, not an error.
func (env *environment) forHelp(args []string) *environment {
	if !wantsHelp(args) {
		return env
	}
	e := *env
	e.stderr = env.stdout
	return &e
}

// usage is `till help`.
func usage(w io.Writer, getenv func(string) string) {
	fmt.Fprint(w, `till is a cashier's till for retail stores, in a terminal.

Usage:
  till [flags]              open the cashier screen on the store's database (POS_DSN)
  till <command> [flags]

Commands:
`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	fmt.Fprintf(tw, "  help\tthis help; 'till help COMMAND' for a command's\n")
	tw.Flush()
	fmt.Fprint(w, `
Examples:
  till demo                  try the till: a local MariaDB, the demo store, nothing charged
  POS_DSN='till@tcp(db.example:3306)/pos' POS_DB_CA=rds-ca.pem till
                             the cashier screen on the store's database
  till migrate --admin-dsn 'admin:secret@tcp(127.0.0.1:3306)/pos'
  till grants --apply        create the till's database user with least privileges

Environment (each has a flag, e.g. --dsn for POS_DSN; a flag wins over its variable):
`)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, v := range envFlags(getenv) {
		fmt.Fprintf(tw, "  %s\t--%s\t%s\n", v.env, v.flag, v.usage)
	}
	for _, v := range [][2]string{
		{"POS_CARD_READER", "simulated: a simulated card reader; stripe (with the two below): Stripe Terminal"},
		{"STRIPE_SECRET_KEY", "the Stripe secret key of the card reader's account"},
		{"POS_STRIPE_READER", "the Stripe Terminal reader id (tmr_…)"},
		{"POS_LOG", "the log file (default: till.log in the state directory)"},
		{"XDG_STATE_HOME", "the state directory is $XDG_STATE_HOME/till (default: ~/.local/state/till)"},
		{"NO_COLOR", "set: no colours on the screen"},
	} {
		fmt.Fprintf(tw, "  %s\t\t%s\n", v[0], v[1])
	}
	tw.Flush()
	fmt.Fprint(w, `
The till stops on SIGTERM, SIGINT or SIGHUP as on ctrl+c, once a card payment in
flight has settled (a second signal stops it at once; the sale is then resolved at
the next start).
`)
}

// envFlag is a flag read from an environment variable.
type envFlag struct{ env, flag, usage string }

// envFlags lists the flags config.bind registers and their variables.
func envFlags(getenv func(string) string) []envFlag {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	(&config{}).bind(fs, getenv)
	var out []envFlag
	fs.VisitAll(func(f *flag.Flag) {
		u := f.Usage
		i := strings.LastIndex(u, " ($")
		if i < 0 || !strings.HasSuffix(u, ")") {
			return
		}
		out = append(out, envFlag{env: u[i+3 : len(u)-1], flag: f.Name, usage: u[:i]})
	})
	sort.SliceStable(out, func(i, j int) bool { return envOrder(out[i].env) < envOrder(out[j].env) })
	return out
}

// envOrder puts the database variables first, as a reader needs them.
func envOrder(env string) int {
	for i, e := range []string{"POS_DSN", "POS_READER_DSN", "POS_ADMIN_DSN", "POS_DB_CA", "POS_DB_IAM_REGION", "POS_DB_INSECURE"} {
		if e == env {
			return i
		}
	}
	return 100
}

// runVersion prints the module version and the commit it was built from.
func runVersion(_ context.Context, env *environment, args []string) error {
	if wantsHelp(args) {
		fmt.Fprintln(env.stdout, "usage: till version\n\nPrints the till's module version, the commit it was built from and the Go version.")
		return nil
	}
	fmt.Fprintln(env.stdout, version())
	return nil
}

// version is e.g. "till v0.0.0-20261130165242-7150ba5e1f2c (commit
// 7150ba5e1f2c, 2026-11-30T16:52:42Z) go1.26.0 linux/amd64".
func version() string {
	v, commit, when, dirty := "(devel)", "", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "till %s", v)
	switch {
	case commit == "":
		b.WriteString(" (commit unknown: built without version control information, e.g. by go run)")
	default:
		if len(commit) > 12 {
			commit = commit[:12]
		}
		fmt.Fprintf(&b, " (commit %s", commit)
		if when != "" {
			fmt.Fprintf(&b, ", %s", when)
		}
		if dirty {
			b.WriteString(", with uncommitted changes")
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, " %s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return b.String()
}

// report prints an error the way a person can act on it, and gives the
// exit code: 0 done, 1 failed, 2 misused, 128+n stopped by signal n.
func (env *environment) report(err error) int {
	if sig := env.stops.received(); sig != nil {
		n := 0
		if s, ok := sig.(syscall.Signal); ok {
			n = int(s)
		}
		if err == nil {
			return 0 // stopped cleanly on request
		}
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(env.stderr, "till: stopped by %s\n", signalName(sig))
			return 128 + n
		}
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case isFlagError(err):
		return 2 // the flag package said what is wrong, and printed the usage
	case errors.Is(err, errUsage):
		fmt.Fprintln(env.stderr, "till:", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
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

// isFlagError reports whether err is one the flag package has already
// printed, with the usage, before returning it from Parse.
func isFlagError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"flag provided but not defined: ", "bad flag syntax: ", "flag needs an argument: ",
		"invalid value ", "invalid boolean value ", "invalid boolean flag "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

var errUsage = errors.New("usage")
