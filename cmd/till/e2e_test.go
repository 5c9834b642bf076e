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

// TestE2EFiftyScanBurst builds the till, runs it in tmux against a fresh
// seeded database, signs in, types 50 scans as one burst with no delay
// between keys, tenders cash, and checks the screen and the database.
func TestE2EFiftyScanBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		storetest.Missing(t, "tmux is not installed")
	}
	d := storetest.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rules := pos.DefaultScanRules()
	data := demo.Data(rules)
	if _, err := store.Seed(ctx, d.Admin, data); err != nil {
		t.Fatalf("seed: %v", err)
	}

	// 50 different pieces items: scanning each once must give 50 lines.
	var codes []string
	var lines []pos.Line
	for _, it := range data.Items {
		if len(codes) == 50 {
			break
		}
		if !it.Item.Active || it.Item.Weighed || it.Label != "" || len(it.Item.Code) != 13 || it.Stock < 5 {
			continue
		}
		sc, err := rules.Parse(it.Item.Code)
		if err != nil || sc.Kind != pos.ScanItem {
			continue
		}
		item := it.Item
		item.ID = 1 // demo items get their ids when seeded; the totals do not depend on them
		l, err := pos.NewLine(item, sc)
		if err != nil {
			t.Fatalf("line for %s: %v", it.Item.Code, err)
		}
		codes, lines = append(codes, it.Item.Code), append(lines, l)
	}
	if len(codes) != 50 {
		t.Fatalf("demo data: got %d scannable items, want 50", len(codes))
	}
	want, err := pos.ComputeTotals(lines, pos.TaxInclusive)
	if err != nil {
		t.Fatal(err)
	}

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "till")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	session := fmt.Sprintf("till-e2e-%d", os.Getpid())
	logFile := filepath.Join(tmp, "till.log")
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, "tmux", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30",
		"-e", "POS_DSN="+d.DSN, "-e", "POS_LOG="+logFile, "-e", "XDG_STATE_HOME="+tmp, "-e", "TERM=xterm-256color",
		bin+"; sleep 30") // the pane stays after the till exits, to check it quit cleanly
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", session).Run() })
	capture := func() string { return tmux("capture-pane", "-p", "-t", session) }
	waitFor := func(what string) string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			s := capture()
			if strings.Contains(s, what) {
				return s
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(logFile)
				t.Fatalf("screen never showed %q; it shows:\n%s\nlog:\n%s", what, s, log)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	waitFor("items in the catalog")
	signIn(t, ctx, session) // at a person's pace: typed at once, a PIN is a scan
	waitFor("ready to scan")

	// One burst: every code and its Enter in a single send-keys.
	burst := []string{"send-keys", "-t", session}
	for _, c := range codes {
		burst = append(burst, c, "Enter")
	}
	tmux(burst...)
	screen := waitFor("50 lines")
	if !strings.Contains(screen, pos.EUR().Format(want.Total)) {
		t.Errorf("basket screen: total %s not shown:\n%s", pos.EUR().Format(want.Total), screen)
	}
	tmux("send-keys", "-t", session, "F5")
	waitFor("Cash given")
	tmux("send-keys", "-t", session, "F2")
	screen = waitFor("CHANGE DUE")
	t.Logf("done screen:\n%s", screen)
	if !strings.Contains(screen, pos.EUR().Format(want.Total)) {
		t.Errorf("done screen: total %s not shown", pos.EUR().Format(want.Total))
	}

	var id int64
	var status, total string
	var n int
	err = d.Admin.QueryRowContext(ctx, `SELECT transaction_id, payment_status, total_amount,
			(SELECT COUNT(*) FROM transaction_items i WHERE i.transaction_id = t.transaction_id)
		FROM transactions t`).Scan(&id, &status, &total, &n)
	if err != nil {
		t.Fatalf("the sale in the database: %v", err)
	}
	if status != "completed" || n != 50 || total != pos.EUR().Plain(want.Total) {
		t.Errorf("sale %d: got %s, %d lines, total %s; want completed, 50 lines, total %s",
			id, status, n, total, pos.EUR().Plain(want.Total))
	}

	// Nothing is in progress on the done screen: ctrl+c quits at once and
	// gives the terminal back.
	tmux("send-keys", "-t", session, "C-c")
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(capture(), "CHANGE DUE") {
		if time.Now().After(deadline) {
			t.Fatalf("the till did not quit on ctrl+c:\n%s", capture())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
