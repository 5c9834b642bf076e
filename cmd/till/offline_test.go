package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/journal"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// TestOfflineStatusAndUpload: two sales sold offline wait in till t9's
// journal; `till offline status` says so, refuses while the journal is held
// (the till running), `till report z` refuses the Z, and `till offline
// upload` sends them once — a second upload sends nothing.
func TestOfflineStatusAndUpload(t *testing.T) {
	d := storetest.NewDatabase(t)
	state := t.TempDir()
	env := map[string]string{"POS_ADMIN_DSN": d.DSN, "POS_DSN": d.DSN, "POS_TILL_ID": "t9", "XDG_STATE_HOME": state}
	if _, errs, code := runTill(t, env, "seed"); code != 0 {
		t.Fatalf("seed: %s", errs)
	}
	ctx := context.Background()
	items, err := d.Open(t).Items(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := newOfflinePaths(func(k string) string { return env[k] }, "store-1", "t9")
	if err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(paths.journal())
	if err != nil {
		t.Fatal(err)
	}
	co := &pos.Checkout{Journal: j, OfflineLimits: pos.DefaultOfflineLimits(),
		Settings: pos.Settings{StoreID: "store-1", TillID: "t9", Currency: pos.EUR(), TaxMode: pos.TaxInclusive}}
	var sold []pos.Sale
	for _, it := range items[30:] {
		if len(sold) == 2 {
			break
		}
		if !it.Active || it.Weighed || it.Price == 0 {
			continue
		}
		line, err := pos.NewLine(it, pos.Scan{Quantity: 1})
		if err != nil {
			t.Fatal(err)
		}
		draft, err := co.Draft(&pos.Basket{Key: pos.NewKey(), Lines: []pos.Line{line}}, 1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := co.SellOffline(draft, draft.Totals.Total)
		if err != nil {
			t.Fatal(err)
		}
		sold = append(sold, s)
	}

	if err := j.SpoolAudit(pos.AuditEntry{StoreID: "store-1", TillID: "t9", CashierID: 3, Action: "offline_approved",
		Detail: "manager 3 approved selling offline"}); err != nil {
		t.Fatal(err)
	}
	// The till runs (it holds the journal): the commands leave it alone.
	if _, errs, code := runTill(t, env, "offline", "status"); code == 0 || !strings.Contains(errs, "is running on this machine") {
		t.Errorf("status while the till holds the journal: exit %d, %s", code, errs)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runTill(t, env, "offline", "status")
	if code != 0 || !strings.Contains(out, "waiting to be sent: 2, €") || !strings.Contains(out, "sent: 0") {
		t.Fatalf("status: exit %d\n%s%s", code, out, errs)
	}
	if _, errs, code := runTill(t, env, "report", "z", "--counted", "0"); code == 0 || !strings.Contains(errs, "run till offline upload first") {
		t.Errorf("a Z with offline sales waiting: exit %d, %s", code, errs)
	}
	out, errs, code = runTill(t, env, "offline", "upload")
	if code != 0 || !strings.Contains(out, "forwarded 2, already there 0") || !strings.Contains(out, "audit entries made offline written: 1") {
		t.Fatalf("upload: exit %d\n%s%s", code, out, errs)
	}
	out, _, _ = runTill(t, env, "offline", "upload")
	if !strings.Contains(out, "forwarded 0, already there 0") || !strings.Contains(out, "sent: 2") {
		t.Errorf("second upload:\n%s", out)
	}
	var n int
	if err := d.Admin.QueryRow(`SELECT COUNT(*) FROM transactions t JOIN offline_sales o ON o.transaction_id = t.transaction_id
		WHERE t.idempotency_key IN (?, ?)`, sold[0].Key, sold[1].Key).Scan(&n); err != nil || n != 2 {
		t.Errorf("offline sales in the database: %d, %v; want 2", n, err)
	}
}

// TestForwarderWithoutAJournal: a till whose state directory cannot hold a
// journal sells online only, and its forwarder still tells the screen
// whether the database answers (it used to block on a nil channel).
func TestForwarderWithoutAJournal(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(state, nil, 0o600); err != nil { // a file where the directory should be
		t.Fatal(err)
	}
	env := &environment{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string {
		return map[string]string{"XDG_STATE_HOME": state}[k]
	}}
	db, err := store.Open(context.Background(), store.Config{WriterDSN: "till@tcp(127.0.0.1:1)/none", Offline: true,
		CallTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	off, err := openOffline(env, db, pos.Settings{StoreID: "store-1", TillID: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	if off.journal != nil {
		t.Fatal("a journal opened under a file")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go off.run(ctx)
	select {
	case s := <-off.status:
		if s.Reachable || s.Waiting != 0 {
			t.Errorf("status %+v, want unreachable, nothing waiting", s)
		}
	case <-ctx.Done():
		t.Fatal("no status from the forwarder")
	}
}
