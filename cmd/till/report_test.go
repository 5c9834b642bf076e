package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/simpay"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// runReportCmd runs `till report …` exactly as run does once the command
// is in commands(): the same environment, help handling and exit codes.
func runReportCmd(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &environment{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	code := e.report(runReport(context.Background(), e.forHelp(args), args))
	return out.String(), errb.String(), code
}

// reportDay is a database with a till user, an open session at s1/t1 and
// a few sales and movements made through the till's own APIs.
type reportDay struct {
	d   *storetest.Database
	db  *store.DB
	env map[string]string
}

func newReportDay(t *testing.T) *reportDay {
	t.Helper()
	d := storetest.NewDatabase(t)
	ctx := context.Background()
	item := d.AddItem(t, pos.Item{Code: "4006381333931", Name: "Tea", Price: 3_49, TaxRate: 700, Active: true}, 100)
	cashier := d.AddCashier(t, pos.Cashier{Number: "101", Name: "Ann"}, "1111")
	manager := d.AddCashier(t, pos.Cashier{Number: "900", Name: "Mia", Manager: true}, "9999")
	user, password := "till_report_"+randomHex(4), randomHex(12)
	if err := store.ApplyGrants(ctx, d.Admin, store.GrantOptions{Database: d.Name, User: user, Host: "%", Password: password}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Admin.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })
	cfg, err := mysql.ParseDSN(d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Passwd = user, password
	db, err := store.Open(ctx, store.Config{WriterDSN: cfg.FormatDSN(), StoreID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	settings := pos.Settings{StoreID: "s1", TillID: "t1", Currency: pos.EUR(), TaxMode: pos.TaxInclusive,
		CashRounding: 5, Scan: pos.DefaultScanRules()}
	office := &pos.CashOffice{Store: db, Settings: settings}
	if _, err := office.Open(ctx, cashier.ID, pos.CashCount{Lines: []pos.CountLine{{Denomination: 10_00, Quantity: 5}}}); err != nil {
		t.Fatal(err)
	}
	co := &pos.Checkout{Sales: db, Gateway: &simpay.Gateway{}, Settings: settings}
	for i, qty := range []int64{1, 3, 2} {
		b := &pos.Basket{Key: pos.NewKey()}
		l, err := pos.NewLine(item, pos.Scan{Quantity: qty})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Add(l); err != nil {
			t.Fatal(err)
		}
		sale, err := co.Draft(b, cashier.ID)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if sale, err = co.Reserve(ctx, sale); err != nil {
				t.Fatal(err)
			}
			p, err := co.PayCard(ctx, sale, sale.Totals.Total)
			if err != nil {
				t.Fatal(err)
			}
			sale.Payments = append(sale.Payments, p)
			if _, err := co.Complete(ctx, sale); err != nil {
				t.Fatal(err)
			}
		} else if _, err := co.SellCash(ctx, sale, 20_00); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := office.Move(ctx, pos.MovePickup, 20_00, "to the safe", cashier.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := office.Move(ctx, pos.MoveNoSale, 0, "change for the bus", cashier.ID, manager.ID); err != nil {
		t.Fatal(err)
	}
	return &reportDay{d: d, db: db, env: map[string]string{"POS_DSN": cfg.FormatDSN(), "POS_STORE_ID": "s1",
		"POS_TILL_ID": "t1", "POS_CURRENCY": "EUR", "POS_CASHIER": "101", "POS_CASHIER_PIN": "1111"}}
}

// money reads one amount from the database as the report writes it.
func (r *reportDay) money(t *testing.T, q string, args ...any) string {
	t.Helper()
	var s string
	if err := r.d.Admin.QueryRow(q, args...).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// cashInDrawer is the session's cash by the tables: the float, cash taken
// less change, less pick-ups (no returns or paid-in here).
const cashInDrawer = `SELECT s.opening_float
	+ (SELECT COALESCE(SUM(p.tendered - p.change_given), 0) FROM payments p JOIN transactions t USING (transaction_id)
	   WHERE t.session_id = s.session_id AND p.method = 'cash' AND p.status = 'approved')
	- (SELECT COALESCE(SUM(amount), 0) FROM cash_movements m WHERE m.session_id = s.session_id AND kind = 'pickup')
	FROM till_sessions s WHERE s.till_id = 't1' ORDER BY s.session_id DESC LIMIT 1`

func TestReportX(t *testing.T) {
	r := newReportDay(t)
	expected := r.money(t, cashInDrawer)
	sales := r.money(t, `SELECT SUM(total_amount + cash_rounding) FROM transactions WHERE payment_status = 'completed'`)
	out, errs, code := runReportCmd(t, r.env, "x")
	if code != 0 {
		t.Fatalf("till report x: exit %d, %s", code, errs)
	}
	t.Logf("till report x:\n%s", out)
	for _, want := range []string{"X REPORT", "Sales (3)", "€" + sales, "Expected cash", "€" + expected,
		"No sales", "Pick-ups (1)", "101 Ann"} {
		if !strings.Contains(out, want) {
			t.Errorf("the X lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Counted cash") {
		t.Errorf("an X with a count:\n%s", out)
	}
	out, errs, code = runReportCmd(t, r.env, "x", "--json")
	if code != 0 {
		t.Fatalf("till report x --json: exit %d, %s", code, errs)
	}
	var j reportJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if j.Kind != "X" || j.ExpectedCash != expected || j.Sales.Count != 3 || j.Sales.Amount != sales ||
		j.NoSales != 1 || j.CountedCash != nil || len(j.SalesByTender) != 2 {
		t.Errorf("X as JSON: %+v; want expected cash %s, 3 sales of %s, 1 no-sale, two tenders", j, expected, sales)
	}
	// Nothing changed: the X is read-only.
	if n := r.money(t, `SELECT COUNT(*) FROM till_sessions WHERE status = 'open'`); n != "1" {
		t.Errorf("open sessions after the X: %s, want 1", n)
	}
}

func TestReportZ(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		storetest.Missing(t, "pdftotext (poppler-utils) is needed to read the Z's PDF back")
	}
	r := newReportDay(t)
	expected := r.money(t, cashInDrawer)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		says string
	}{
		{"no count", nil, []string{"z"}, 2, "--counted"},
		{"a bad count", nil, []string{"z", "--counted", "12,50"}, 2, "not an amount"},
		{"not a euro note", nil, []string{"z", "--notes", "30x1"}, 2, "not a note or coin"},
		{"no cashier", map[string]string{"POS_CASHIER": ""}, []string{"z", "--counted", "1"}, 2, "--cashier"},
		{"a wrong PIN", map[string]string{"POS_CASHIER_PIN": "0000"}, []string{"z", "--counted", "1"}, 1, store.SignInRefused},
		{"no such subcommand", nil, []string{"y"}, 2, "till report x or z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range r.env {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			_, errs, code := runReportCmd(t, env, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.says) {
				t.Errorf("exit %d %q; want %d saying %q", code, errs, tt.code, tt.says)
			}
		})
	}
	if n := r.money(t, `SELECT COUNT(*) FROM z_reports`); n != "0" {
		t.Fatalf("refused closes wrote %s Z rows", n)
	}

	pdf := filepath.Join(t.TempDir(), "z.pdf")
	out, errs, code := runReportCmd(t, r.env, "z", "--counted", "0.35", "--notes", "20x2,0.50x1", "--pdf", pdf)
	if code != 0 {
		t.Fatalf("till report z: exit %d, %s", code, errs)
	}
	t.Logf("till report z:\n%s", out)
	var z struct{ number, expected, counted, difference, grand, net string }
	if err := r.d.Admin.QueryRow(`SELECT z_number, expected_cash, counted_cash, difference, grand_total, net_total
		FROM z_reports`).Scan(&z.number, &z.expected, &z.counted, &z.difference, &z.grand, &z.net); err != nil {
		t.Fatal(err)
	}
	if z.number != "1" || z.expected != expected || z.counted != "40.85" {
		t.Errorf("the Z row: number %s expected %s counted %s; want 1, %s, 40.85", z.number, z.expected, z.counted, expected)
	}
	figures := []string{"Z REPORT, Z 1", "€" + z.expected, "€" + z.counted, "Difference", "€" + z.grand,
		"2 x €20.00", "1 x €0.50", "counted as a sum", "€0.35", "Sales (3)", "Pick-ups (1)"}
	for _, want := range figures {
		if !strings.Contains(out, want) {
			t.Errorf("the Z lacks %q:\n%s", want, out)
		}
	}
	// The PDF says what the screen says: every line, in order.
	text, err := exec.Command("pdftotext", "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	squash := func(s string) []string {
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			if l = strings.Join(strings.Fields(l), " "); l != "" {
				lines = append(lines, l)
			}
		}
		return lines
	}
	got, want := squash(string(text)), squash(out)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the PDF's text:\n%s\nwant the report's:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, want := range figures {
		if !strings.Contains(string(text), want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}

	if _, errs, code := runReportCmd(t, r.env, "z", "--counted", "1"); code != 1 || !strings.Contains(errs, "no session is open") {
		t.Errorf("a second Z: exit %d %q; want 1, no session is open", code, errs)
	}
	if _, errs, code := runReportCmd(t, r.env, "x"); code != 1 || !strings.Contains(errs, "no session is open") {
		t.Errorf("an X after the Z: exit %d %q; want 1, no session is open", code, errs)
	}
	// The next day: a session with nothing sold, closed as JSON.
	if _, err := (&pos.CashOffice{Store: r.db, Settings: pos.Settings{StoreID: "s1", TillID: "t1", Currency: pos.EUR()}}).
		Open(context.Background(), 1, pos.CountOf(40_00)); err != nil {
		t.Fatal(err)
	}
	out, errs, code = runReportCmd(t, r.env, "z", "--counted", "40", "--json")
	if code != 0 {
		t.Fatalf("till report z --json: exit %d, %s", code, errs)
	}
	var j reportJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if j.Kind != "Z" || j.ZNumber != 2 || j.GrandTotal != z.grand || j.Sales.Count != 0 || j.ExpectedCash != "40.00" ||
		j.Difference == nil || *j.Difference != "0.00" {
		t.Errorf("second Z as JSON: %+v; want Z 2, grand total %s, no sales, 40.00 expected, no difference", j, z.grand)
	}
}
