package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/demo"
	"github.com/till-pos/till/store/storetest"
)

// TestE2EOffline runs the real till in tmux with its database behind a
// Toxiproxy proxy (issue 16). Signed in, the database goes; a cash sale
// waits for it, ctrl+f and manager 103's PIN sell it offline, the next
// sale goes straight to the journal; the database comes back and both
// sales are in the tables once, with the times they were sold. Then the
// till is started while the database is down: it signs in and sells from
// its snapshot, and that sale too arrives once the database answers.
func TestE2EOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		storetest.Missing(t, "tmux is not installed")
	}
	d := storetest.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	data := demo.Data(pos.DefaultScanRules())
	if _, err := store.Seed(ctx, d.Admin, data); err != nil {
		t.Fatalf("seed: %v", err)
	}
	var code string
	for _, it := range data.Items {
		if it.Item.Active && !it.Item.Weighed && it.Label == "" && len(it.Item.Code) == 13 && it.Stock >= 5 {
			code = it.Item.Code
			break
		}
	}
	proxy := storetest.StartToxiproxy(t).NewProxy(t, regexp.MustCompile(`tcp\(([^)]*)\)`).FindStringSubmatch(d.DSN)[1])
	dsn := regexp.MustCompile(`tcp\([^)]*\)`).ReplaceAllString(d.DSN, "tcp("+proxy.Listen+")")

	tmp := t.TempDir()
	bin := filepath.Join(t.TempDir(), "till") // not in the state directory, whose till/ is the till's
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	session := fmt.Sprintf("till-e2e-offline-%d", os.Getpid())
	logFile := filepath.Join(tmp, "till.log")
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, "tmux", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	start := func() {
		tmux("new-session", "-d", "-s", session, "-x", "110", "-y", "32",
			"-e", "POS_DSN="+dsn, "-e", "POS_LOG="+logFile, "-e", "XDG_STATE_HOME="+tmp, "-e", "TERM=xterm-256color",
			bin+"; sleep 30")
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", session).Run() })
	capture := func() string { return tmux("capture-pane", "-p", "-t", session) }
	waitFor := func(what string, within time.Duration) string {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			s := capture()
			if strings.Contains(s, what) {
				return s
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(logFile)
				t.Fatalf("screen never showed %q; it shows:\n%s\nlog:\n%s", what, s, log)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	typeSlowly := func(text string) {
		for _, c := range text {
			humanKeys(t, ctx, session, string(c))
		}
	}
	scan := func() { tmux("send-keys", "-t", session, "-l", code); tmux("send-keys", "-t", session, "Enter") }
	// sellOffline waits for the offer to sell offline and has manager
	// 103 approve it, at a person's pace.
	sellOffline := func() {
		t.Helper()
		waitFor("ctrl+f sells it offline", 60*time.Second)
		humanKeys(t, ctx, session, "C-f")
		waitFor("Manager approval", 10*time.Second)
		typeSlowly("103")
		humanKeys(t, ctx, session, "Tab")
		typeSlowly("9999")
		humanKeys(t, ctx, session, "Enter")
	}
	setDB := func(up bool) {
		t.Helper()
		if err := proxy.SetEnabled(up); err != nil {
			t.Fatal(err)
		}
	}

	start()
	waitFor("items in the catalog", 20*time.Second)
	signIn(t, ctx, session)
	waitFor("ready to scan", 20*time.Second)
	snapshotFile := filepath.Join(tmp, "till", "offline", "store-1", "till-1", "snapshot")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if fi, err := os.Stat(snapshotFile); err == nil {
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("snapshot %s has mode %v, want 0600", snapshotFile, fi.Mode().Perm())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no offline snapshot at %s", snapshotFile)
		}
	}

	setDB(false)
	wentDown := time.Now()
	scan()
	waitFor("✓ added", 10*time.Second)
	humanKeys(t, ctx, session, "F5")
	waitFor("Cash given", 10*time.Second)
	typeSlowly("5")
	humanKeys(t, ctx, session, "Enter")
	sellOffline()
	screen := waitFor("CHANGE DUE", 20*time.Second)
	t.Logf("first offline sale:\n%s", screen)
	if !strings.Contains(screen, "OFFLINE") {
		t.Errorf("the done screen does not say OFFLINE:\n%s", screen)
	}
	humanKeys(t, ctx, session, "Enter")
	scan()
	waitFor("✓ added", 10*time.Second)
	humanKeys(t, ctx, session, "F5")
	waitFor("Cash given", 10*time.Second)
	humanKeys(t, ctx, session, "F5") // a card: refused offline
	waitFor("cards need the network", 10*time.Second)
	humanKeys(t, ctx, session, "F2")
	screen = waitFor("2 sales waiting to be sent", 20*time.Second)
	t.Logf("second offline sale:\n%s", screen)
	if n := countRows(t, d, `SELECT COUNT(*) FROM transactions`); n != 0 {
		t.Fatalf("%d sales in the database while it was unreachable", n)
	}

	cameBack := time.Now()
	setDB(true)
	screen = waitFor("offline sales were sent", 30*time.Second)
	t.Logf("back online:\n%s", screen)
	checkForwarded(t, d, 2, 2, wentDown, cameBack)

	// Quit, then start while the database is down.
	humanKeys(t, ctx, session, "Enter")
	humanKeys(t, ctx, session, "C-c")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if log, _ := os.ReadFile(logFile); strings.Contains(string(log), "till stopped") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the till did not stop on ctrl+c")
		}
	}
	_ = exec.Command("tmux", "kill-session", "-t", session).Run()
	setDB(false)
	wentDown = time.Now()
	start()
	waitFor("items in the catalog", 60*time.Second)
	signIn(t, ctx, session)
	waitFor("ready to scan", 60*time.Second)
	scan()
	waitFor("✓ added", 10*time.Second)
	humanKeys(t, ctx, session, "F5")
	waitFor("Cash given", 10*time.Second)
	humanKeys(t, ctx, session, "F2")
	sellOffline()
	screen = waitFor("1 sale waiting to be sent", 20*time.Second)
	t.Logf("started offline, one sale:\n%s", screen)
	cameBack = time.Now()
	setDB(true)
	waitFor("offline sales were sent", 30*time.Second)
	checkForwarded(t, d, 3, 3, wentDown, cameBack)
	// Started offline, the till registers its id once the database answers.
	if n := countRows(t, d, `SELECT COUNT(*) FROM tills WHERE till_id = 'till-1' AND lease_key IS NOT NULL`); n != 1 {
		t.Errorf("the till started offline is not registered once the database is back (%d leases)", n)
	}
	// Made offline, audited once the database was back: the approvals
	// and the sign-in from the snapshot.
	for action, want := range map[string]int{"offline_approved": 2, "sign_in_offline": 1} {
		if n := countRows(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = '`+action+`'`); n < want {
			t.Errorf("%d %s audit entries, want at least %d", n, action, want)
		}
	}
	humanKeys(t, ctx, session, "Enter")
	humanKeys(t, ctx, session, "C-c")
}

func countRows(t *testing.T, d *storetest.Database, query string) int {
	t.Helper()
	var n int
	if err := d.Admin.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkForwarded: want offline sales in the tables, each once, the last
// sold while the database was down (between down and back), and the
// invariants of a sale.
func checkForwarded(t *testing.T, d *storetest.Database, want, wantOffline int, down, back time.Time) {
	t.Helper()
	if n := countRows(t, d, `SELECT COUNT(*) FROM transactions`); n != want {
		t.Errorf("%d sales in the database, want %d", n, want)
	}
	// A SellCash still retrying when the cashier went offline may commit
	// once the database is back: the forward then finds that sale by its
	// key (recorded once, online), so at least the sales that went
	// straight to the journal are offline sales.
	if n := countRows(t, d, `SELECT COUNT(*) FROM offline_sales`); n < wantOffline || n > want {
		t.Errorf("%d offline sales, want %d to %d", n, wantOffline, want)
	}
	if n := countRows(t, d, `SELECT COUNT(*) FROM (SELECT idempotency_key FROM transactions GROUP BY idempotency_key HAVING COUNT(*) > 1) x`); n != 0 {
		t.Errorf("%d keys recorded twice", n)
	}
	var sold, forwarded time.Time
	if err := d.Admin.QueryRow(`SELECT t.completed_at, o.forwarded_at FROM transactions t
		JOIN offline_sales o ON o.transaction_id = t.transaction_id ORDER BY t.transaction_id DESC LIMIT 1`).Scan(&sold, &forwarded); err != nil {
		t.Fatal(err)
	}
	if sold.Before(down.Add(-time.Second)) || sold.After(back) || forwarded.Before(back.Add(-time.Second)) {
		t.Errorf("the last offline sale was sold at %s and forwarded at %s; the database was down from %s to %s",
			sold, forwarded, down, back)
	}
	bad, err := store.CheckInvariants(context.Background(), d.Admin, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
}
