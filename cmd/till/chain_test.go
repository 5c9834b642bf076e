package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// TestStoreRowSettings: a till takes its store's settings from the stores
// row; the environment and a flag still win.
func TestStoreRowSettings(t *testing.T) {
	d := storetest.NewDatabase(t)
	d.AddStore(t, store.StoreInfo{ID: "hh-1", Name: "Hafen", Address: "Kai 1", TaxID: "DE9", Currency: "GBP",
		TimeZone: "Europe/London", TaxMode: "exclusive", CashRounding: 5, ScanProfile: "UK"})
	ctx := context.Background()
	base := map[string]string{"POS_DSN": d.DSN, "POS_STORE_ID": "hh-1"}
	env, err := withStoreRow(ctx, &environment{getenv: func(k string) string { return base[k] }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, cfg := newFlags(env, "")
	set, err := cfg.settings(false)
	if err != nil {
		t.Fatal(err)
	}
	if set.Currency.Code != "GBP" || set.TaxMode != pos.TaxExclusive || set.CashRounding != 5 ||
		env.getenv("POS_STORE_NAME") != "Hafen" || env.getenv("POS_TIMEZONE") != "Europe/London" ||
		env.getenv("POS_STORE_TAX_ID") != "DE9" {
		t.Errorf("from the row: %+v, name %q", set, env.getenv("POS_STORE_NAME"))
	}
	base["POS_CURRENCY"] = "EUR"
	fs, cfg := newFlags(env, "")
	if err := fs.Parse([]string{"--cash-rounding", "0"}); err != nil {
		t.Fatal(err)
	}
	if set, err = cfg.settings(false); err != nil || set.Currency.Code != "EUR" || set.CashRounding != 0 || set.TaxMode != pos.TaxExclusive {
		t.Errorf("environment and flag over the row: %+v, %v", set, err)
	}
	base["POS_STORE_ID"] = "nowhere"
	if _, err := withStoreRow(ctx, &environment{getenv: func(k string) string { return base[k] }}, nil); pos.ErrorCode(err) != pos.ENotFound {
		t.Errorf("an unknown store: %v", err)
	}
}

// TestHoldTill: a second till with the same ids is refused with a clear
// message while the first runs; once it quits the id is free; `till
// stores` shows the till with its last-seen time.
func TestHoldTill(t *testing.T) {
	d := storetest.NewDatabase(t)
	db := d.Open(t)
	ctx := context.Background()
	set := pos.Settings{StoreID: "store-1", TillID: "till-4"}
	release, err := holdTill(ctx, db, set)
	if err != nil {
		t.Fatal(err)
	}
	_, err = holdTill(ctx, db, set)
	if pos.ErrorCode(err) != pos.EConflict || !strings.Contains(err.Error(), "till till-4 of store store-1 is already running") {
		t.Fatalf("a second till: %v", err)
	}
	out, errs, code := runTill(t, map[string]string{"POS_ADMIN_DSN": d.DSN}, "stores")
	if code != 0 || !strings.Contains(out, "till-4") || !strings.Contains(out, "running on") || !strings.Contains(out, "last seen 20") {
		t.Errorf("till stores: exit %d\n%s%s", code, out, errs)
	}
	release()
	again, err := holdTill(ctx, db, set)
	if err != nil {
		t.Fatalf("after the first quit: %v", err)
	}
	again()
	if out, _, _ := runTill(t, map[string]string{"POS_ADMIN_DSN": d.DSN}, "stores"); !strings.Contains(out, "stopped") {
		t.Errorf("till stores after quitting:\n%s", out)
	}
}

// TestProcessGone: a holder on this machine whose process has ended is
// gone; a live one, or one on another machine, is not.
func TestProcessGone(t *testing.T) {
	host, _ := os.Hostname()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatalf("run true: %v", err)
	}
	gone := processGone(host)
	if !gone(host, cmd.Process.Pid) {
		t.Errorf("an ended process (pid %d) is not gone", cmd.Process.Pid)
	}
	if gone(host, os.Getppid()) || gone("elsewhere", cmd.Process.Pid) {
		t.Error("a live process, or one on another machine, is gone")
	}
}
