package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/demo"
	"github.com/till-pos/till/store/storetest"
)

// e2eTill is the till binary running in a tmux pane against a test
// database seeded with the demo store.
type e2eTill struct {
	t       *testing.T
	ctx     context.Context
	db      *storetest.Database
	session string
	logFile string
}

// startTill builds the till and runs it in tmux at w×h.
func startTill(t *testing.T, ctx context.Context, w, h int) *e2eTill {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		storetest.Missing(t, "tmux is not installed")
	}
	d := storetest.NewDatabase(t)
	if _, err := store.Seed(ctx, d.Admin, demo.Data(pos.DefaultScanRules())); err != nil {
		t.Fatalf("seed: %v", err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "till")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	e := &e2eTill{t: t, ctx: ctx, db: d, session: fmt.Sprintf("till-e2e-in-%d-%d", os.Getpid(), time.Now().UnixNano()),
		logFile: filepath.Join(tmp, "till.log")}
	e.tmux("new-session", "-d", "-s", e.session, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h),
		"-e", "POS_DSN="+d.DSN, "-e", "POS_LOG="+e.logFile, "-e", "XDG_STATE_HOME="+tmp, "-e", "TERM=xterm-256color",
		bin+"; sleep 30")
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", e.session).Run() })
	return e
}

func (e *e2eTill) tmux(args ...string) string {
	e.t.Helper()
	out, err := exec.CommandContext(e.ctx, "tmux", args...).CombinedOutput()
	if err != nil {
		e.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (e *e2eTill) capture() string { return e.tmux("capture-pane", "-p", "-t", e.session) }

// waitFor waits until the screen shows what, and returns the screen.
func (e *e2eTill) waitFor(what string) string {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := e.capture()
		if strings.Contains(s, what) {
			return s
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(e.logFile)
			e.t.Fatalf("screen never showed %q; it shows:\n%s\nlog:\n%s", what, s, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// typeKeys presses keys as a person does, one at a time and well apart:
// keys sent together are a scanner burst to the till.
func (e *e2eTill) typeKeys(keys ...string) {
	e.t.Helper()
	humanKeys(e.t, e.ctx, e.session, keys...)
}

// scan sends code and Enter in one write, as a keyboard-wedge scanner does.
func (e *e2eTill) scan(code string) {
	e.t.Helper()
	e.tmux("send-keys", "-t", e.session, code, "Enter")
}

// humanKeys sends each key to the tmux session on its own, 100 ms apart.
func humanKeys(t *testing.T, ctx context.Context, session string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if out, err := exec.CommandContext(ctx, "tmux", "send-keys", "-t", session, k).CombinedOutput(); err != nil {
			t.Fatalf("tmux send-keys %s: %v\n%s", k, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// signIn signs in as cashier 101 with PIN 1111 at a person's pace: each
// key is on screen before the next is typed, so however slow the machine,
// the keys never reach the till together (that would be a scan).
func signIn(t *testing.T, ctx context.Context, session string) {
	t.Helper()
	shows := func(what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			out, err := exec.CommandContext(ctx, "tmux", "capture-pane", "-p", "-t", session).CombinedOutput()
			if err != nil {
				t.Fatalf("tmux capture-pane: %v\n%s", err, out)
			}
			if strings.Contains(string(out), what) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("signing in: the screen never showed %q:\n%s", what, out)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for i := range "101" {
		humanKeys(t, ctx, session, "101"[i:i+1])
		shows("Cashier number " + "101"[:i+1] + "█")
	}
	humanKeys(t, ctx, session, "Tab")
	shows("PIN            █")
	for i := 1; i <= 4; i++ {
		humanKeys(t, ctx, session, "1")
		shows("PIN            " + strings.Repeat("•", i) + "█")
	}
	humanKeys(t, ctx, session, "Enter")
}

// TestE2EScanOnTenderIsNotCash: in the first hour at a real till, with
// €0.30 left to pay, scanning the EAN-8 96385074 completed the sale with
// "Cash €96,385,074.00, Change €96,385,073.70", stored in payments. Now the
// scan sells the item (the sale is still open), and the database holds
// only what was paid.
func TestE2EScanOnTenderIsNotCash(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := startTill(t, ctx, 100, 30)
	e.waitFor("items in the catalog")
	signIn(t, ctx, e.session)
	e.waitFor("ready to scan")

	e.scan("4006381333931") // Fineliner pen black, €1.29
	e.waitFor("added Fineliner")
	e.typeKeys("F5")
	e.waitFor("Cash given")
	for i := range "0.99" { // each key on screen before the next: typed, not scanned
		e.typeKeys("0.99"[i : i+1])
		e.waitFor("Cash given › " + "0.99"[:i+1] + "█")
	}
	e.typeKeys("Enter")
	screen := e.waitFor("€0.30 still due")
	t.Logf("tender, €0.30 left:\n%s", screen)

	e.scan("96385074") // Peppermint chewing gum 10 pcs, €0.89
	screen = e.waitFor("added Peppermint")
	t.Logf("after scanning 96385074 on the tender screen:\n%s", screen)
	if !strings.Contains(screen, "Scan ›") || !strings.Contains(screen, "€2.18") {
		t.Errorf("want the basket with the gum and the total €2.18:\n%s", screen)
	}
	e.typeKeys("F5")
	e.waitFor("Cash given")
	e.typeKeys("F2") // the exact cash: €1.19 more
	screen = e.waitFor("CHANGE DUE")
	t.Logf("done:\n%s", screen)

	var status, total string
	var lines int
	err := e.db.Admin.QueryRowContext(ctx, `SELECT payment_status, total_amount,
			(SELECT COUNT(*) FROM transaction_items i WHERE i.transaction_id = t.transaction_id)
		FROM transactions t`).Scan(&status, &total, &lines)
	if err != nil {
		t.Fatalf("the sale in the database: %v", err)
	}
	if status != "completed" || total != "2.18" || lines != 2 {
		t.Errorf("sale: got %s, total %s, %d lines; want completed, 2.18, 2 lines", status, total, lines)
	}
	rows, err := e.db.Admin.QueryContext(ctx, `SELECT method, status, amount, tendered, change_given FROM payments ORDER BY payment_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var paid []string
	for rows.Next() {
		var method, st, amount, tendered, change string
		if err := rows.Scan(&method, &st, &amount, &tendered, &change); err != nil {
			t.Fatal(err)
		}
		paid = append(paid, fmt.Sprintf("%s %s amount %s tendered %s change %s", method, st, amount, tendered, change))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var absurd int
	if err := e.db.Admin.QueryRowContext(ctx, `SELECT COUNT(*) FROM payments WHERE tendered > 100 OR amount > 100 OR change_given > 100`).Scan(&absurd); err != nil {
		t.Fatal(err)
	}
	var sum string
	if err := e.db.Admin.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount), 0) FROM payments WHERE status = 'approved'`).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	t.Logf("payments: %q", paid)
	if absurd != 0 || sum != "2.18" {
		t.Errorf("payments %q: want them to add up to 2.18 and none absurd (%d over €100)", paid, absurd)
	}
}
