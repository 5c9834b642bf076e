package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // POS_TIMEZONE works on a till without a zoneinfo database

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
	"github.com/till-pos/till/receipts/escpos"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/ui"
)

// The cashier screen's done step prints and saves through the service
// (a return's refund receipt too), and the service opens the cash drawer
// on the ESC/POS printer.
var (
	_ ui.ReceiptSink       = (*receipts.Service)(nil)
	_ ui.RefundReceiptSink = (*receipts.Service)(nil)
	_ pos.Drawer           = (*receipts.Service)(nil)
)

// receiptConfig is the receipts' part of the configuration. It is read from
// the environment only, so the cashier screen and the subcommands agree.
type receiptConfig struct {
	store        receipts.Store
	timezone     string
	dir          string
	printer      string
	printCommand string
	escpos       escpos.Config // POS_PRINTER_WIDTH, POS_DRAWER_PIN, POS_DRAWER_PULSE
	s3           receipts.S3Config
	uploadEvery  time.Duration
}

func readReceiptConfig(getenv func(string) string) (receiptConfig, error) {
	c := receiptConfig{
		store: receipts.Store{Name: getenv("POS_STORE_NAME"), Address: getenv("POS_STORE_ADDRESS"),
			TaxID: getenv("POS_STORE_TAX_ID")},
		timezone:     getenv("POS_TIMEZONE"),
		dir:          getenv("POS_RECEIPT_DIR"),
		printer:      getenv("POS_PRINTER"),
		printCommand: getenv("POS_PRINT_COMMAND"),
		s3: receipts.S3Config{Bucket: getenv("POS_S3_BUCKET"), Prefix: getenv("POS_S3_PREFIX"),
			KMSKeyID: getenv("POS_S3_KMS_KEY"), Endpoint: getenv("POS_S3_ENDPOINT"), Region: getenv("POS_S3_REGION")},
		uploadEvery: 15 * time.Second,
	}
	if c.dir == "" {
		dir, err := dataDir(getenv)
		if err != nil {
			return c, err
		}
		c.dir = filepath.Join(dir, "receipts")
	}
	if err := c.readPrinterConfig(getenv); err != nil {
		return c, err
	}
	if v := getenv("POS_RECEIPT_UPLOAD_EVERY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("%w: POS_RECEIPT_UPLOAD_EVERY %q: a duration such as 15s", errUsage, v)
		}
		c.uploadEvery = d
	}
	return c, nil
}

// readPrinterConfig reads the ESC/POS printer's paper width and how it
// kicks the cash drawer: POS_PRINTER_WIDTH 80 or 58 (mm), POS_DRAWER_PIN 2
// or 5, POS_DRAWER_PULSE in milliseconds (or a duration such as 100ms).
func (c *receiptConfig) readPrinterConfig(getenv func(string) string) error {
	if v := getenv("POS_PRINTER_WIDTH"); v != "" {
		w, err := strconv.Atoi(strings.TrimSuffix(v, "mm"))
		if err != nil || w != escpos.Width80 && w != escpos.Width58 {
			return fmt.Errorf("%w: POS_PRINTER_WIDTH %q: 80 or 58 (mm of paper)", errUsage, v)
		}
		c.escpos.Width = w
	}
	if v := getenv("POS_DRAWER_PIN"); v != "" {
		pin, err := strconv.Atoi(v)
		if err != nil || pin != 2 && pin != 5 {
			return fmt.Errorf("%w: POS_DRAWER_PIN %q: 2 or 5 (the drawer connector's pin)", errUsage, v)
		}
		c.escpos.DrawerPin = pin
	}
	if v := getenv("POS_DRAWER_PULSE"); v != "" {
		d, err := time.ParseDuration(v)
		if ms, aerr := strconv.Atoi(v); aerr == nil {
			d, err = time.Duration(ms)*time.Millisecond, nil
		}
		if err != nil || d < 2*time.Millisecond || d > 510*time.Millisecond {
			return fmt.Errorf("%w: POS_DRAWER_PULSE %q: 2 to 510 milliseconds", errUsage, v)
		}
		c.escpos.DrawerPulse = d
	}
	return nil
}

// printer is the ESC/POS printer POS_PRINTER names (tcp://HOST[:PORT],
// file:/dev/usb/lp0, cups-raw:QUEUE), or nil when it names a CUPS printer
// for the PDF, or none.
func (c receiptConfig) escposPrinter() (*escpos.Printer, error) {
	if !escpos.IsPrinter(c.printer) {
		return nil, nil
	}
	p, err := escpos.New(c.printer, c.escpos)
	if err != nil {
		return nil, fmt.Errorf("%w: POS_PRINTER: %v", errUsage, err)
	}
	return p, nil
}

// drawer is the cash drawer the cashier screen opens on cash tenders,
// cash refunds and no-sales: the receipt service when an ESC/POS printer
// is set up, else nil (no drawer to kick; it is opened with its key).
func drawer(svc *receipts.Service) pos.Drawer {
	if svc == nil || !svc.HasDrawer() {
		return nil
	}
	return svc
}

// dataDir is where the till keeps its receipts by default:
// $XDG_DATA_HOME/till, or ~/.local/share/till.
func dataDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "till"), nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("no receipt folder: set POS_RECEIPT_DIR: %w", err)
		}
	}
	return filepath.Join(home, ".local", "share", "till"), nil
}

// printCommandLine is POS_PRINT_COMMAND split into words, $VARIABLES
// expanded (so "lp -d $POS_PRINTER -o media=X80" works); by default
// `lp -d $POS_PRINTER` when POS_PRINTER is set, else no printer. An
// ESC/POS printer in POS_PRINTER is not a CUPS printer: it has no command.
func (c receiptConfig) printCommandLine(getenv func(string) string) []string {
	if c.printCommand == "" {
		if c.printer == "" || escpos.IsPrinter(c.printer) {
			return nil
		}
		return []string{"lp", "-d", c.printer}
	}
	words := strings.Fields(c.printCommand)
	for i, w := range words {
		words[i] = os.Expand(w, getenv)
	}
	return words
}

// newReceipts builds the receipt service the cashier screen prints and
// saves with, and the upload worker (nil when no bucket is set: the
// outbox then keeps every receipt until one is). The screen runs the
// worker in the background: go worker.Run(ctx).
func newReceipts(ctx context.Context, env *environment, db *store.DB, s pos.Settings) (*receipts.Service, *receipts.Worker, error) {
	rc, err := readReceiptConfig(env.getenv)
	if err != nil {
		return nil, nil, err
	}
	loc := time.Local
	if rc.timezone != "" {
		if loc, err = time.LoadLocation(rc.timezone); err != nil {
			return nil, nil, fmt.Errorf("%w: POS_TIMEZONE %q: %v", errUsage, rc.timezone, err)
		}
	}
	if rc.store.Name == "" {
		rc.store.Name = s.StoreID
	}
	svc := &receipts.Service{Records: db, Returns: db, Reports: db, Store: rc.store, Currency: s.Currency, Location: loc,
		Dir: rc.dir, PrintCommand: rc.printCommandLine(env.getenv)}
	if p, err := rc.escposPrinter(); err != nil {
		return nil, nil, err
	} else if p != nil {
		svc.Printer = p // prints the receipt natively and kicks the drawer; the PDF is still saved
	}
	if rc.s3.Bucket == "" {
		return svc, nil, nil
	}
	archive, err := receipts.NewS3(ctx, rc.s3)
	if err != nil {
		return nil, nil, err
	}
	return svc, &receipts.Worker{Outbox: db, Receipts: svc, Archive: archive, TillID: s.TillID,
		Every: rc.uploadEvery, Log: slog.Default()}, nil
}

// runReceipts is `till receipts drain|reprint`.
func runReceipts(ctx context.Context, env *environment, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "drain":
		return runReceiptsDrain(ctx, env, args)
	case "reprint":
		return runReceiptsReprint(ctx, env, args)
	case "printer":
		return runReceiptsPrinter(ctx, env, args)
	}
	fmt.Fprintln(env.stderr, `usage:
  till receipts drain [--all-tills]         upload every pending receipt now; exit 1 if any is left
  till receipts reprint [--save|--print] SALE  a copy marked COPY (SALE: number or key; a return's key reprints its refund receipt)
  till receipts printer [--open-drawer]     ask the ESC/POS printer (POS_PRINTER) how it is; kick the drawer`)
	return fmt.Errorf("%w: till receipts drain, reprint or printer", errUsage)
}

// runReceiptsPrinter is `till receipts printer`: it asks the ESC/POS
// printer its status and says it in the cashier's words, and with
// --open-drawer kicks the cash drawer, to check the wiring when a till is
// set up. It needs no database.
func runReceiptsPrinter(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("till receipts printer", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	open := fs.Bool("open-drawer", false, "kick the cash drawer open")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: till receipts printer [--open-drawer] takes no arguments", errUsage)
	}
	rc, err := readReceiptConfig(env.getenv)
	if err != nil {
		return err
	}
	p, err := rc.escposPrinter()
	if err != nil {
		return err
	}
	if p == nil {
		return fmt.Errorf("%w: POS_PRINTER %q is not an ESC/POS printer (tcp://HOST:PORT, file:/dev/usb/lp0, cups-raw:QUEUE)", errUsage, rc.printer)
	}
	st, err := p.Status(ctx)
	if err != nil {
		return err
	}
	switch {
	case !st.Known:
		fmt.Fprintf(env.stdout, "%s: no status (a raw CUPS queue or a one-way device cannot report one)\n", p)
	case st.Fault() != "":
		fmt.Fprintf(env.stdout, "%s: %s\n", p, st.Fault())
	case st.PaperLow:
		fmt.Fprintf(env.stdout, "%s: ready; the paper roll is nearly used up\n", p)
	default:
		fmt.Fprintf(env.stdout, "%s: ready (%d mm paper)\n", p, p.Width())
	}
	if *open {
		if err := p.OpenDrawer(ctx); err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, "drawer: kicked")
	}
	if f := st.Fault(); f != "" {
		return pos.Errorf(pos.EConflict, "the printer reports %s", f)
	}
	return nil
}

// openReceipts parses the shared flags and opens the store and receipts.
func openReceipts(ctx context.Context, env *environment, name string, args []string, flags func(*flag.FlagSet)) (*store.DB, *receipts.Service, *receipts.Worker, []string, error) {
	fs, cfg := newFlags(env, name)
	if flags != nil {
		flags(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, nil, nil, err
	}
	settings, sc, err := cfg.till()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	db, err := store.Open(ctx, sc)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	svc, worker, err := newReceipts(ctx, env, db, settings)
	if err != nil {
		db.Close()
		return nil, nil, nil, nil, err
	}
	return db, svc, worker, fs.Args(), nil
}

func runReceiptsDrain(ctx context.Context, env *environment, args []string) error {
	var allTills bool
	db, _, worker, rest, err := openReceipts(ctx, env, "receipts drain", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&allTills, "all-tills", false, "upload every till's pending receipts, not only this till's")
	})
	if err != nil {
		return err
	}
	defer db.Close()
	if len(rest) > 0 {
		return fmt.Errorf("%w: till receipts drain takes no arguments", errUsage)
	}
	if worker == nil {
		return fmt.Errorf("%w: set POS_S3_BUCKET to upload receipts", errUsage)
	}
	if allTills {
		worker.TillID = ""
	}
	rep, err := worker.Drain(ctx)
	fmt.Fprintf(env.stdout, "receipts: %d uploaded, %d already there, %d failed, %d left\n",
		rep.Uploaded, rep.Existing, rep.Failed, rep.Left)
	return drained(env, rep.Errors, err, rep.Left, "receipts are still waiting for upload")
}

// drained ends a drain command (receipts, events): the first errors on
// stderr, and a failure while anything is left, so a script sees exit 1.
func drained(env *environment, errs []error, err error, left int, stillWaiting string) error {
	for i, e := range errs {
		if i == 5 {
			fmt.Fprintf(env.stderr, "… and %d more\n", len(errs)-5)
			break
		}
		fmt.Fprintln(env.stderr, "  ", e)
	}
	if err != nil {
		return err
	}
	if left > 0 {
		return pos.Errorf(pos.EUnavailable, "%d %s", left, stillWaiting)
	}
	return nil
}

func runReceiptsReprint(ctx context.Context, env *environment, args []string) error {
	var save, print bool
	db, svc, _, rest, err := openReceipts(ctx, env, "receipts reprint", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&save, "save", false, "save the copy (default when no printer is set up)")
		fs.BoolVar(&print, "print", false, "print the copy (default when POS_PRINTER is set)")
	})
	if err != nil {
		return err
	}
	defer db.Close()
	if len(rest) != 1 || save && print {
		return fmt.Errorf("%w: till receipts reprint [--save|--print] SALE (its number or key)", errUsage)
	}
	key, err := saleKey(ctx, db, rest[0])
	if err != nil {
		return err
	}
	if !save && !print {
		print = svc.CanPrint()
	}
	sale, err := db.Sale(ctx, key)
	if pos.ErrorCode(err) == pos.ENotFound {
		// A refund receipt's barcode carries its return's key.
		if ret, rerr := db.Return(ctx, key); rerr == nil {
			return reprintReturn(ctx, env, svc, ret, print)
		}
	}
	if err != nil {
		return err
	}
	if print {
		if err := svc.PrintCopy(ctx, sale); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "printed a copy of sale %d\n", sale.ID)
		return nil
	}
	path, err := svc.SaveCopy(ctx, sale)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "saved a copy of sale %d: %s\n", sale.ID, path)
	return nil
}

// reprintReturn prints or saves a copy of a return's refund receipt.
func reprintReturn(ctx context.Context, env *environment, svc *receipts.Service, ret pos.Return, print bool) error {
	if print {
		if err := svc.PrintReturnCopy(ctx, ret); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "printed a copy of the refund receipt of return %d\n", ret.ID)
		return nil
	}
	path, err := svc.SaveReturnCopy(ctx, ret)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "saved a copy of the refund receipt of return %d: %s\n", ret.ID, path)
	return nil
}

// saleKey reads a sale number or a key (as typed, or as scanned off the
// receipt's barcode).
func saleKey(ctx context.Context, db *store.DB, s string) (string, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && len(s) < 19 {
		return db.SaleKeyByNumber(ctx, n)
	}
	scan, err := pos.DefaultScanRules().Parse(strings.ToLower(s))
	if err != nil || scan.Kind != pos.ScanReceipt {
		return "", fmt.Errorf("%w: %q is neither a sale number nor a sale key", errUsage, s)
	}
	return scan.Code, nil
}
