package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts/escpos"
	"github.com/till-pos/till/receipts/escpos/escpostest"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// TestE2ECashOffice is issue 12's day at the real till, in tmux: the till
// not opened after sign-in, and a sale made all the same; the float
// counted by note and coin; a cash sale; a no-sale and a paid-out, each approved by manager 103; the X;
// the drawer counted (a sum and a coin, 50 cents short) and the Z. The
// tables then hold the session, its sale, its movements, the Z row and the
// audit, and the Z's PDF (saved and printed the receipts' way) reads line
// for line as the Z the database gives back. The drawer hangs off a
// virtual ESC/POS printer: it opens for the sales, the no-sale and the
// paid-out.
func TestE2ECashOffice(t *testing.T) {
	d := storetest.NewDatabase(t)
	a, b := seedFlow(t, d)
	vp := escpostest.Start(t)
	tmp := t.TempDir()
	receiptDir, printed := filepath.Join(tmp, "receipts"), filepath.Join(tmp, "printed")
	script := filepath.Join(tmp, "print.sh") // the report printer: keeps each job, printed.0, printed.1…
	if err := os.WriteFile(script, []byte("#!/bin/sh\nn=$(ls '"+printed+"'.* 2>/dev/null | wc -l)\ncat > '"+printed+"'.$n\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	f := startFlowTill(t, d, d.DSN, "POS_PRINTER="+vp.URL(), "POS_PRINT_COMMAND="+script,
		"POS_RECEIPT_DIR="+receiptDir, "POS_TIMEZONE=UTC")
	eur := pos.EUR()
	human := func(keys ...string) { humanKeys(t, f.ctx, f.session, keys...) }
	manager := func() {
		f.waitFor("Manager approval")
		for i := range "103" {
			human("103"[i : i+1])
			f.waitFor("Manager number " + "103"[:i+1] + "█")
		}
		human("Tab")
		for i := 1; i <= 4; i++ {
			human("9")
			f.waitFor("PIN            " + strings.Repeat("•", i) + "█")
		}
		f.keys("Enter")
	}

	// A sale before the till is opened: the banner does not stop it. It
	// is the till's history before its first session, which no Z lists.
	f.waitFor("Till not opened — ctrl+x to count the float")
	f.scan(b.code)
	f.waitFor("added " + b.name)
	f.keys("F5")
	f.waitFor("Cash given")
	f.keys("F2")
	f.waitFor("Sale complete")
	f.keys("Enter")
	f.waitFor("Till not opened — ctrl+x to count the float")

	// Open: €50 × 2, €20 × 2, €10 × 1.
	f.keys("C-x")
	f.waitFor("Count the float")
	human("Down", "Down", "Down", "Down", "2", "Enter", "2", "Enter", "1")
	f.waitFor("Counted €150.00")
	f.shot("open-till")
	f.keys("F5")
	f.waitFor("Open the till with a float of €150.00? y/n")
	f.keys("y")
	f.waitFor("till opened with a float of €150.00")
	if strings.Contains(f.capture(), "Till not opened") {
		t.Errorf("the banner stays after the float")
	}

	// A cash sale, exact.
	f.scan(a.code)
	f.waitFor("added " + a.name)
	f.keys("F5")
	f.waitFor("Cash given")
	f.keys("F2")
	f.waitFor("Sale complete")
	f.keys("Enter")
	f.waitFor("Scan ›")

	// A no-sale and a paid-out, each with the manager.
	f.keys("C-x")
	f.waitFor("Cash office", "session 1", "6  Z report")
	f.shot("office-menu")
	human("5")
	f.waitFor("No sale", "give change")
	human("Down", "Enter")
	manager()
	f.waitFor("no sale recorded: the drawer is open")
	human("3")
	f.waitFor("Paid out", "Amount")
	f.typeAmount("12.50")
	f.waitFor("supplier paid in cash")
	f.keys("Enter")
	manager()
	f.waitFor("paid out €12.50 recorded: the drawer is open")

	// The X, saved.
	human("1")
	f.waitFor("X REPORT (session open)")
	f.shot("x")
	f.keys("F3")
	f.waitFor("report saved to")
	xs, _ := filepath.Glob(filepath.Join(receiptDir, "*", "x-till-1-1-*.pdf"))
	if len(xs) != 1 {
		t.Fatalf("the X's PDF: got %v, want one", xs)
	}
	t.Logf("X (pdftotext):\n%s", pdfToText(t, xs[0]))

	// The Z: the drawer counted as a sum and one 50-cent coin, 50 cents
	// short of what the figures expect.
	expected := 150_00 + a.price - 12_50
	f.keys("Escape")
	f.waitFor("6  Z report")
	human("6")
	f.waitFor("Count the drawer for the Z")
	// (Enter after a sum alone would end the count: Down goes on to the coins.)
	human(strings.Split(eur.Plain(expected-1_00), "")...)
	human("Down", "Down", "Down", "Down", "Down", "Down", "Down", "Down", "Down", "Down", "1")
	f.waitFor("Counted " + eur.Format(expected-50))
	f.keys("F5")
	f.waitFor("Close the till with " + eur.Format(expected-50) + " counted?")
	f.keys("y")
	f.waitFor("Z REPORT, Z 1", "Z 1 recorded and printed")
	f.shot("z")
	human("PgDn")
	f.shot("z-scrolled")
	f.keys("Escape")
	f.waitFor("Till not opened — ctrl+x to count the float")

	// A sale after the Z, outside a session: the next Z lists it, outside
	// its totals. The next float opens session 2, and Z 2 closes it.
	f.scan(b.code)
	f.waitFor("added " + b.name)
	f.keys("F5")
	f.waitFor("Cash given")
	f.keys("F2")
	f.waitFor("Sale complete")
	f.keys("Enter")
	f.waitFor("Till not opened — ctrl+x to count the float")
	f.keys("C-x")
	f.waitFor("Count the float")
	f.typeAmount("100") // a sum alone: Enter ends the count
	f.waitFor("Open the till with a float of €100.00? y/n")
	f.keys("y")
	f.waitFor("till opened with a float of €100.00")
	f.keys("C-x")
	f.waitFor("session 2")
	human("6")
	f.waitFor("Count the drawer for the Z")
	f.typeAmount("100")
	f.waitFor("Close the till with €100.00 counted?")
	f.keys("y")
	f.waitFor("Z REPORT, Z 2", "Z 2 recorded and printed")
	human("PgDn", "PgDn")
	f.waitFor("Outside a session")
	f.shot("z2-outside")
	f.keys("Escape")
	f.waitFor("Till not opened — ctrl+x to count the float")

	// The tables.
	var session, opener, closer int64
	var status, float string
	if err := d.Admin.QueryRowContext(f.ctx, `SELECT session_id, status, opening_float, opened_by, COALESCE(closed_by, 0)
		FROM till_sessions WHERE store_id = 'store-1' AND till_id = 'till-1' ORDER BY session_id LIMIT 1`).Scan(&session, &status, &float, &opener, &closer); err != nil {
		t.Fatalf("till_sessions: %v", err)
	}
	var cashier, mgr int64
	if err := d.Admin.QueryRowContext(f.ctx, `SELECT (SELECT cashier_id FROM cashiers WHERE number = '101'),
		(SELECT cashier_id FROM cashiers WHERE number = '103')`).Scan(&cashier, &mgr); err != nil {
		t.Fatal(err)
	}
	if status != "closed" || float != "150.00" || opener != cashier || closer != cashier {
		t.Errorf("session: got %s float %s opened by %d closed by %d; want closed, 150.00, by %d", status, float, opener, closer, cashier)
	}
	var counts string
	if err := d.Admin.QueryRowContext(f.ctx, `SELECT GROUP_CONCAT(CONCAT(stage, ' ', denomination, 'x', quantity)
		ORDER BY stage, denomination DESC SEPARATOR ', ') FROM cash_counts WHERE session_id = ?`, session).Scan(&counts); err != nil {
		t.Fatalf("cash_counts: %v", err)
	}
	if counts != "open 50.00x2, open 20.00x2, open 10.00x1, close 0.50x1" {
		t.Errorf("cash_counts: got %q", counts)
	}
	sales := f.sales()
	var sessions string
	if err := d.Admin.QueryRowContext(f.ctx, `SELECT GROUP_CONCAT(COALESCE(session_id, 0) ORDER BY transaction_id)
		FROM transactions`).Scan(&sessions); err != nil {
		t.Fatalf("transactions: %v", err)
	}
	if len(sales) != 3 || sales[0].total != eur.Plain(b.price) || sales[1].total != eur.Plain(a.price) ||
		sales[2].total != eur.Plain(b.price) || sessions != "0,"+strconv.FormatInt(session, 10)+",0" {
		t.Errorf("sales: got %+v in sessions %s; want %s outside a session, %s in session %d, %s outside", sales, sessions,
			eur.Plain(b.price), eur.Plain(a.price), session, eur.Plain(b.price))
	}
	for _, s := range sales {
		if s.status != "completed" {
			t.Errorf("sale %s: %s, want completed", s.key, s.status)
		}
	}
	rows, err := d.Admin.QueryContext(f.ctx, `SELECT CONCAT_WS(' ', kind, amount, reason, cashier_id, COALESCE(approved_by, 0))
		FROM cash_movements WHERE session_id = ? ORDER BY movement_id`, session)
	if err != nil {
		t.Fatal(err)
	}
	var moves []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		moves = append(moves, s)
	}
	rows.Close()
	want := []string{"no_sale 0.00 check a note " + strconv.FormatInt(cashier, 10) + " " + strconv.FormatInt(mgr, 10),
		"paid_out 12.50 supplier paid in cash " + strconv.FormatInt(cashier, 10) + " " + strconv.FormatInt(mgr, 10)}
	if strings.Join(moves, "|") != strings.Join(want, "|") {
		t.Errorf("cash_movements:\n got %q\nwant %q", moves, want)
	}
	var zNumber int64
	var salesTotal, expectedCash, counted, difference, net, grand string
	if err := d.Admin.QueryRowContext(f.ctx, `SELECT z_number, sales_total, expected_cash, counted_cash, difference, net_total, grand_total
		FROM z_reports WHERE session_id = ?`, session).Scan(&zNumber, &salesTotal, &expectedCash, &counted, &difference, &net, &grand); err != nil {
		t.Fatalf("z_reports: %v", err)
	}
	if zNumber != 1 || salesTotal != eur.Plain(a.price) || expectedCash != eur.Plain(expected) || counted != eur.Plain(expected-50) ||
		difference != "-0.50" || net != eur.Plain(a.price) || grand != eur.Plain(a.price) {
		t.Errorf("z_reports: got Z %d sales %s expected %s counted %s difference %s net %s grand %s", zNumber, salesTotal,
			expectedCash, counted, difference, net, grand)
	}
	acts := "," + f.auditActions() + ","
	for _, act := range []string{",session_open,", ",approval,", ",cash_no_sale,", ",cash_paid_out,", ",z_report,"} {
		if !strings.Contains(acts, act) {
			t.Errorf("audit_log: %s missing from %q", strings.Trim(act, ","), acts)
		}
	}

	// The Z's PDF, saved and printed, against the Z the database gives back.
	zPDF := filepath.Join(receiptDir, time.Now().UTC().Format("2006-01-02"), "z-till-1-1.pdf")
	saved, err := os.ReadFile(zPDF)
	if err != nil {
		found, _ := filepath.Glob(filepath.Join(receiptDir, "*", "z-*.pdf"))
		t.Fatalf("the Z's PDF: %v (found %v)", err, found)
	}
	if sent, err := os.ReadFile(printed + ".0"); err != nil || string(sent) != string(saved) {
		t.Errorf("the printer was not sent the saved Z (%v)", err)
	}
	text := pdfToText(t, zPDF)
	t.Logf("Z (pdftotext):\n%s", text)
	db, err := store.Open(f.ctx, store.Config{WriterDSN: d.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	z, err := db.ZReport(f.ctx, "store-1", "till-1", 1)
	if err != nil {
		t.Fatalf("ZReport: %v", err)
	}
	got, wantLines := squashLines(text), squashLines(strings.Join(z.Text(eur, time.UTC), "\n"))
	if strings.Join(got, "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("the Z's PDF is not the database's Z:\n got %q\nwant %q", got, wantLines)
	}
	for _, line := range []string{"Opening float €150.00", "Sales (1) " + eur.Format(a.price), "No sales 1",
		"Paid out (1) €12.50", "Expected cash " + eur.Format(expected), "Counted cash " + eur.Format(expected-50),
		"Difference -€0.50"} {
		if !strings.Contains(strings.Join(got, "\n"), line) {
			t.Errorf("the Z's PDF lacks %q", line)
		}
	}

	if strings.Contains(text, "Outside a session") {
		t.Errorf("Z 1 lists the sale made before the till's first session")
	}

	// Z 2: the sale after Z 1 listed outside the session, the PDF again
	// the database's Z, and the Z row chained on Z 1's grand total.
	z2PDF := filepath.Join(filepath.Dir(zPDF), "z-till-1-2.pdf")
	text2 := pdfToText(t, z2PDF)
	if saved2, err := os.ReadFile(z2PDF); err != nil {
		t.Errorf("Z 2's PDF: %v", err)
	} else if sent, err := os.ReadFile(printed + ".1"); err != nil || string(sent) != string(saved2) {
		t.Errorf("the printer was not sent the saved Z 2 (%v)", err)
	}
	t.Logf("Z 2 (pdftotext):\n%s", text2)
	z2, err := db.ZReport(f.ctx, "store-1", "till-1", 2)
	if err != nil {
		t.Fatalf("ZReport 2: %v", err)
	}
	got2 := strings.Join(squashLines(text2), "\n")
	if want2 := strings.Join(squashLines(strings.Join(z2.Text(eur, time.UTC), "\n")), "\n"); got2 != want2 {
		t.Errorf("Z 2's PDF is not the database's Z 2:\n got %q\nwant %q", got2, want2)
	}
	for _, line := range []string{"Opening float €100.00", "Sales (0) €0.00", "Outside a session (not in the totals):",
		"sales (1) " + eur.Format(b.price), "Grand total " + eur.Format(a.price), "Difference €0.00"} {
		if !strings.Contains(got2, line) {
			t.Errorf("Z 2's PDF lacks %q", line)
		}
	}
	var z2Grand, z2Upto string
	if err := d.Admin.QueryRowContext(f.ctx, `SELECT grand_total, outside_sales_upto FROM z_reports WHERE z_number = 2
		AND store_id = 'store-1' AND till_id = 'till-1'`).Scan(&z2Grand, &z2Upto); err != nil {
		t.Fatalf("z_reports 2: %v", err)
	}
	if z2Grand != eur.Plain(a.price) || z2Upto != "3" {
		t.Errorf("Z 2 row: grand total %s, outside sales up to %s; want %s and sale 3", z2Grand, z2Upto, eur.Plain(a.price))
	}

	// The drawer opened for the three sales, the no-sale and the paid-out.
	doc, err := escpostest.Decode(vp.Printed(), escpos.Width80)
	if err != nil {
		t.Fatalf("the printer was sent what it cannot print: %v", err)
	}
	if n := len(doc.Pulses()); n != 5 {
		t.Errorf("drawer kicks: got %d, want 5 (three sales, no-sale, paid-out)", n)
	}
}

// pdfToText is the PDF's text as pdftotext reads it.
func pdfToText(t *testing.T, path string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		storetest.Missing(t, "pdftotext is not installed")
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext %s: %v\n%s", path, err, out)
	}
	return string(out)
}

// squashLines is text's non-empty lines with runs of spaces made one.
func squashLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return out
}
