package receipts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/till-pos/till/pos"
)

// Records loads what a receipt prints besides the sale's own rows. The
// store implements it.
type Records interface {
	// Sale loads a sale by key as the database has it.
	Sale(ctx context.Context, key string) (pos.Sale, error)
	// ReceiptParties loads the sale's cashier and customer (a zero Customer
	// when there is none); the customer's LoyaltyPoints is the balance
	// right after the sale.
	ReceiptParties(ctx context.Context, sale pos.Sale) (pos.Cashier, pos.Customer, error)
}

// ReturnRecords loads returns for their refund receipts. The store
// implements it.
type ReturnRecords interface {
	// Return loads a return by key, with its lines and refunds.
	Return(ctx context.Context, key string) (pos.Return, error)
}

// Service prints and saves receipts. The cashier screen's done step calls
// Print or Save; `till receipts reprint` calls PrintCopy or SaveCopy.
type Service struct {
	Records Records
	// Returns loads returns for refund receipts (the store, like Records).
	Returns ReturnRecords
	// Reports loads the Z reports the outbox names, for the upload
	// worker (the store, like Records).
	Reports  ReportRecords
	Store    Store
	Currency pos.Currency
	Location *time.Location // the store's time zone; nil is the machine's
	// Dir is the local archive (POS_RECEIPT_DIR): <Dir>/<YYYY-MM-DD>/<n>-<key>.pdf.
	Dir string
	// PrintCommand is the printer's command line, e.g. ["lp", "-d", "front"];
	// the PDF goes to its standard input, or where an argument is "{}" it is
	// replaced by the saved file's path. Empty: no printer on this till.
	PrintCommand []string
	// PrintTimeout bounds the print command; 0 is 30 seconds.
	PrintTimeout time.Duration
	// Printer, when set, is a receipt printer that prints the receipt
	// natively (an ESC/POS printer, receipts/escpos) instead of
	// PrintCommand, and opens the cash drawer hung off it.
	Printer Printer
}

// Printer prints receipts natively and kicks the cash drawer connected to
// it. receipts/escpos implements it.
type Printer interface {
	// PrintReceipt prints the receipt, after asking the printer whether it
	// can; a fault (paper out, cover open, offline) is an error whose
	// message tells the cashier what to do.
	PrintReceipt(ctx context.Context, r Receipt) error
	// OpenDrawer kicks the cash drawer open.
	OpenDrawer(ctx context.Context) error
}

// Receipt assembles the receipt of a sale. It reloads the sale from the
// database so the receipt is exactly what was recorded (and byte for byte
// what the outbox worker uploads). If the database cannot answer just now,
// the receipt is made from the sale as given, with the cashier's and
// customer's numbers instead of their names: a customer always gets a
// receipt. An offline sale not yet forwarded (Offline, no ID) is not in
// the database, which could not be reached when it was sold: its receipt
// is made from the sale as given straight away, without waiting for the
// database to time out.
func (s *Service) Receipt(ctx context.Context, sale pos.Sale, copy bool) Receipt {
	given := func() Receipt {
		return withoutNames(Receipt{Sale: sale, Store: s.Store, Currency: s.Currency, Copy: copy, Location: s.Location})
	}
	if sale.Offline && sale.ID == 0 {
		return given()
	}
	r, err := s.load(ctx, sale, copy)
	if err != nil {
		return given()
	}
	return r
}

// load is Receipt with every part from the database, or an error.
func (s *Service) load(ctx context.Context, sale pos.Sale, copy bool) (Receipt, error) {
	if s.Records == nil {
		return Receipt{}, pos.Errorf(pos.EInternal, "receipts have no database")
	}
	stored, err := s.Records.Sale(ctx, sale.Key)
	if err != nil {
		return Receipt{}, err
	}
	cashier, customer, err := s.Records.ReceiptParties(ctx, stored)
	if err != nil {
		return Receipt{}, err
	}
	r := Receipt{Sale: stored, Store: s.Store, Currency: s.Currency, Copy: copy, Location: s.Location,
		Cashier: cashier.Name}
	if stored.CustomerID != 0 {
		r.Customer = &Customer{Name: customer.Name, PointsEarned: stored.PointsEarned, Balance: customer.LoyaltyPoints}
	}
	return r, nil
}

func withoutNames(r Receipt) Receipt {
	if r.Sale.CustomerID != 0 {
		r.Customer = &Customer{Name: "#" + strconv.FormatInt(r.Sale.CustomerID, 10), PointsEarned: r.Sale.PointsEarned}
	}
	return r
}

// ReturnReceipt assembles the refund receipt of a return, reloaded from
// the database like a sale's; if the database cannot answer just now, from
// the return as given, with the cashier's number instead of a name.
func (s *Service) ReturnReceipt(ctx context.Context, ret pos.Return) Receipt {
	r, err := s.loadReturn(ctx, ret.Key)
	if err != nil {
		return Receipt{Return: &ret, Store: s.Store, Currency: s.Currency, Location: s.Location}
	}
	return r
}

// loadReturn is ReturnReceipt with every part from the database, or an
// error.
func (s *Service) loadReturn(ctx context.Context, key string) (Receipt, error) {
	if s.Returns == nil || s.Records == nil {
		return Receipt{}, pos.Errorf(pos.EInternal, "refund receipts have no database")
	}
	stored, err := s.Returns.Return(ctx, key)
	if err != nil {
		return Receipt{}, err
	}
	// The parties as a sale's: the cashier, and the customer without a
	// sale to date the balance from (the refund receipt prints no balance).
	cashier, customer, err := s.Records.ReceiptParties(ctx, pos.Sale{CashierID: stored.CashierID, CustomerID: stored.CustomerID})
	if err != nil {
		return Receipt{}, err
	}
	r := Receipt{Return: &stored, Store: s.Store, Currency: s.Currency, Location: s.Location, Cashier: cashier.Name}
	if stored.CustomerID != 0 {
		r.Customer = &Customer{Name: customer.Name}
	}
	if stored.ApprovedBy != 0 {
		manager, _, err := s.Records.ReceiptParties(ctx, pos.Sale{CashierID: stored.ApprovedBy})
		if err != nil {
			return Receipt{}, err
		}
		r.Manager = manager.Name
	}
	return r, nil
}

// PrintReturn prints a return's refund receipt and saves it, like Print.
// It implements ui.RefundReceiptSink.
func (s *Service) PrintReturn(ctx context.Context, ret pos.Return) error {
	return s.printReturn(ctx, ret, false)
}

// SaveReturn saves a return's refund receipt into the archive, beside the
// sales' (return-<n>-<key>.pdf), and returns its path; saving it again
// returns the first file's path.
func (s *Service) SaveReturn(ctx context.Context, ret pos.Return) (string, error) {
	return s.saveReturn(ctx, ret, false)
}

// PrintReturnCopy prints a reprint of a refund receipt marked COPY (and
// saves it beside the original).
func (s *Service) PrintReturnCopy(ctx context.Context, ret pos.Return) error {
	return s.printReturn(ctx, ret, true)
}

// SaveReturnCopy saves a reprint of a refund receipt marked COPY as a new
// file, never over another.
func (s *Service) SaveReturnCopy(ctx context.Context, ret pos.Return) (string, error) {
	return s.saveReturn(ctx, ret, true)
}

func (s *Service) printReturn(ctx context.Context, ret pos.Return, copy bool) error {
	r := s.ReturnReceipt(ctx, ret)
	r.Copy = copy
	return s.printReceipt(ctx, r, refundFile(*r.Return))
}

func (s *Service) saveReturn(ctx context.Context, ret pos.Return, copy bool) (string, error) {
	r := s.ReturnReceipt(ctx, ret)
	r.Copy = copy
	pdf, err := Render(r)
	if err != nil {
		return "", err
	}
	return s.save(refundFile(*r.Return), r.when(), pdf, copy)
}

// refundFile is the archive's name of a refund receipt, without ".pdf".
func refundFile(ret pos.Return) string { return fmt.Sprintf("return-%d-%s", ret.ID, ret.Key) }

// saleFile is the archive's name of a sale's receipt, without ".pdf".
func saleFile(sale pos.Sale) string { return fmt.Sprintf("%d-%s", sale.ID, sale.Key) }

// Print prints a sale's receipt and saves it. A printer error is returned
// (for the cashier), and the receipt is still saved.
func (s *Service) Print(ctx context.Context, sale pos.Sale) error {
	return s.print(ctx, sale, false)
}

// Save saves a sale's receipt into the archive and returns its path.
// Saving the same sale again returns the first file's path: the original
// never changes, so there is nothing new to write.
func (s *Service) Save(ctx context.Context, sale pos.Sale) (string, error) {
	r := s.Receipt(ctx, sale, false)
	pdf, err := Render(r)
	if err != nil {
		return "", err
	}
	return s.save(saleFile(r.Sale), r.when(), pdf, false)
}

// PrintCopy prints a reprint marked COPY (and saves it beside the original).
func (s *Service) PrintCopy(ctx context.Context, sale pos.Sale) error {
	return s.print(ctx, sale, true)
}

// SaveCopy saves a reprint marked COPY as a new file, never over another.
func (s *Service) SaveCopy(ctx context.Context, sale pos.Sale) (string, error) {
	r := s.Receipt(ctx, sale, true)
	pdf, err := Render(r)
	if err != nil {
		return "", err
	}
	return s.save(saleFile(r.Sale), r.when(), pdf, true)
}

// CanPrint reports whether a printer is set up.
func (s *Service) CanPrint() bool { return s.Printer != nil || len(s.PrintCommand) > 0 }

// HasDrawer reports whether a cash drawer is set up (on a receipt printer).
func (s *Service) HasDrawer() bool { return s.Printer != nil }

// OpenDrawer opens the cash drawer through the receipt printer: the till
// calls it (pos.Drawer) when a sale with a cash tender completes, when a
// cash refund is paid out and on a no-sale. It never touches a sale.
func (s *Service) OpenDrawer(ctx context.Context) error {
	if s.Printer == nil {
		return pos.Errorf(pos.EConflict, "no cash drawer is set up on this till (POS_PRINTER names no ESC/POS printer): open it with its key")
	}
	return s.Printer.OpenDrawer(ctx)
}

// print renders the receipt, saves it, and prints it. The PDF is saved
// (and so uploaded) whatever the printer does: a printer fault is returned
// for the cashier, with where the receipt is saved.
func (s *Service) print(ctx context.Context, sale pos.Sale, copy bool) error {
	r := s.Receipt(ctx, sale, copy)
	return s.printReceipt(ctx, r, saleFile(r.Sale))
}

// printReceipt is print for any receipt, saved as file.
func (s *Service) printReceipt(ctx context.Context, r Receipt, file string) error {
	pdf, err := Render(r)
	if err != nil {
		return err
	}
	var path string
	var saveErr error
	if s.Dir != "" {
		path, saveErr = s.save(file, r.when(), pdf, r.Copy)
	}
	if s.Printer != nil {
		if err := s.Printer.PrintReceipt(ctx, r); err != nil {
			code := pos.ErrorCode(err)
			return errors.Join(pos.WrapError(code, err, "%s%s", pos.ErrorMessage(err), savedAt(path)), saveErr)
		}
		return saveErr
	}
	if len(s.PrintCommand) == 0 {
		err := pos.Errorf(pos.EUnavailable, "no printer is set up on this till (POS_PRINTER)%s", savedAt(path))
		return errors.Join(err, saveErr)
	}
	return errors.Join(s.run(ctx, pdf, path), saveErr)
}

func savedAt(path string) string {
	if path == "" {
		return ""
	}
	return "; the receipt is saved at " + path
}

// run sends the PDF to the print command.
func (s *Service) run(ctx context.Context, pdf []byte, path string) error {
	timeout := s.PrintTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := make([]string, len(s.PrintCommand))
	stdin := true
	for i, a := range s.PrintCommand {
		if a == "{}" {
			if path == "" {
				return pos.Errorf(pos.EUnavailable, "the printer takes a file and the receipt could not be saved")
			}
			a, stdin = path, false
		}
		args[i] = a
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	if stdin {
		cmd.Stdin = bytes.NewReader(pdf)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 200 {
			msg = msg[:200]
		}
		if msg == "" {
			msg = err.Error()
		}
		return pos.WrapError(pos.EUnavailable, err, "the printer did not take the receipt (%s)%s", msg, savedAt(path))
	}
	return nil
}

// save writes the PDF into <Dir>/<date>/<base>.pdf atomically and never over another
// file: it is written to a temporary file, synced, and then linked to its
// name (a link fails if the name exists, where a rename would replace it).
func (s *Service) save(base string, when time.Time, pdf []byte, copy bool) (string, error) {
	if s.Dir == "" {
		return "", pos.Errorf(pos.EUnavailable, "no receipt folder is set up on this till (POS_RECEIPT_DIR)")
	}
	loc := s.Location
	if loc == nil {
		loc = time.Local
	}
	dir := filepath.Join(s.Dir, when.In(loc).Format("2006-01-02"))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", diskError(err, dir)
	}
	tmp, err := os.CreateTemp(dir, ".receipt-*.tmp")
	if err != nil {
		return "", diskError(err, dir)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(pdf)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", diskError(err, dir)
	}
	for n := 1; n <= 1000; n++ {
		name := base + ".pdf"
		switch {
		case copy && n == 1:
			name = base + "-copy.pdf"
		case copy:
			name = fmt.Sprintf("%s-copy-%d.pdf", base, n)
		case n > 1:
			return filepath.Join(dir, name), nil // the original is already saved
		}
		path := filepath.Join(dir, name)
		err := publish(tmp.Name(), path)
		if err == nil {
			syncDir(dir)
			return path, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", diskError(err, dir)
		}
	}
	return "", pos.Errorf(pos.EConflict, "too many copies of receipt %s in %s", base, dir)
}

// publish gives the temporary file its name unless that name exists. A
// file system without hard links falls back to a check and a rename.
func publish(tmp, path string) error {
	err := os.Link(tmp, path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	if _, serr := os.Lstat(path); serr == nil {
		return fs.ErrExist
	}
	return os.Rename(tmp, path)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// diskError says plainly what went wrong with the receipt folder.
func diskError(err error, dir string) error {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return pos.WrapError(pos.EUnavailable, err, "the receipt disk is full (%s): free some space", dir)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return pos.WrapError(pos.EUnavailable, err, "the till may not write receipts into %s", dir)
	}
	return pos.WrapError(pos.EUnavailable, err, "the receipt could not be saved in %s", dir)
}

// ReportPrinter is a Printer that prints reports natively too: the
// report's text lines, the first one bold (receipts/escpos implements it).
type ReportPrinter interface {
	PrintReportText(ctx context.Context, lines []string) error
}

// PrintReport gives an X or Z report to the receipt path: the PDF
// (RenderReport) is saved into the archive beside the receipts, then
// printed: the PDF through the print command when the till has one
// (POS_PRINT_COMMAND: a till may keep a page printer for its reports beside
// its ESC/POS receipt printer), else the report's text (pos.Report.Text) on
// the ESC/POS printer. It implements pos.ReportPrinter, so
// the Z the till closes comes out of the printer. A till whose receipts are
// off (a nil Service) or that has no printer says so; the report is saved
// all the same when it can be.
func (s *Service) PrintReport(ctx context.Context, r pos.Report) error {
	if s == nil {
		return pos.Errorf(pos.EUnavailable, "receipts are not set up on this till: the report is not printed")
	}
	pdf, err := RenderReport(r, s.Currency, s.Location)
	if err != nil {
		return err
	}
	var path string
	var saveErr error
	if s.Dir != "" {
		path, saveErr = s.save(reportFile(r), r.To, pdf, false)
	}
	where := ""
	if path != "" {
		where = "; the report is saved at " + path
	}
	if p, ok := s.Printer.(ReportPrinter); ok && len(s.PrintCommand) == 0 {
		if err := p.PrintReportText(ctx, r.Text(s.Currency, s.Location)); err != nil {
			return errors.Join(pos.WrapError(pos.ErrorCode(err), err, "%s%s", pos.ErrorMessage(err), where), saveErr)
		}
		return saveErr
	}
	if len(s.PrintCommand) == 0 {
		why := "no printer is set up on this till (POS_PRINTER)"
		if s.Printer != nil {
			why = "the receipt printer prints receipts, not reports (POS_PRINT_COMMAND prints them)"
		}
		return errors.Join(pos.Errorf(pos.EUnavailable, "%s%s", why, where), saveErr)
	}
	return errors.Join(s.run(ctx, pdf, path), saveErr)
}

// SaveReport saves an X or Z report into the archive and returns its
// path. A Z is saved once (saving it again returns the first file); an X
// is named by its time, so each X read is its own file.
func (s *Service) SaveReport(ctx context.Context, r pos.Report) (string, error) {
	if s == nil {
		return "", pos.Errorf(pos.EUnavailable, "receipts are not set up on this till: the report is not saved")
	}
	pdf, err := RenderReport(r, s.Currency, s.Location)
	if err != nil {
		return "", err
	}
	return s.save(reportFile(r), r.To, pdf, false)
}

// reportFile is the archive's name of a report, without ".pdf":
// z-<till>-<Z number>, or x-<till>-<session>-<time> for an X.
func reportFile(r pos.Report) string {
	if r.Kind == pos.ReportZ {
		return fmt.Sprintf("z-%s-%d", r.Session.TillID, r.ZNumber)
	}
	return fmt.Sprintf("x-%s-%d-%s", r.Session.TillID, r.Session.ID, r.To.UTC().Format("20060102T150405"))
}
