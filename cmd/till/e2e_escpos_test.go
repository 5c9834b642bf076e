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
	"github.com/till-pos/till/receipts/escpos"
	"github.com/till-pos/till/receipts/escpos/escpostest"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/demo"
	"github.com/till-pos/till/store/storetest"
)

// TestE2EReceiptOnAnESCPOSPrinter runs the real binary in tmux with
// POS_PRINTER pointing at a virtual ESC/POS printer: a cash sale, F2 on the
// done screen prints it natively; with the paper out, F2 tells the cashier
// so on the screen, and the sale and its saved receipt stand.
func TestE2EReceiptOnAnESCPOSPrinter(t *testing.T) {
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
	var code string
	for _, it := range data.Items {
		if it.Item.Active && !it.Item.Weighed && it.Label == "" && len(it.Item.Code) == 13 && it.Stock > 5 {
			if sc, err := rules.Parse(it.Item.Code); err == nil && sc.Kind == pos.ScanItem {
				code = it.Item.Code
				break
			}
		}
	}
	if code == "" {
		t.Fatal("demo data: no scannable item")
	}
	vp := escpostest.Start(t)

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "till")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	session := fmt.Sprintf("till-e2e-escpos-%d", os.Getpid())
	logFile := filepath.Join(tmp, "till.log")
	receiptDir := filepath.Join(tmp, "receipts")
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
		"-e", "POS_PRINTER="+vp.URL(), "-e", "POS_PRINTER_WIDTH=80", "-e", "POS_RECEIPT_DIR="+receiptDir,
		bin+"; sleep 30")
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
	signIn(t, ctx, session)
	waitFor("ready to scan")
	tmux("send-keys", "-t", session, code, "Enter")
	waitFor("✓ added")
	tmux("send-keys", "-t", session, "F5")
	waitFor("Cash given")
	tmux("send-keys", "-t", session, "F2")
	waitFor("CHANGE DUE")

	var key string
	if err := d.Admin.QueryRowContext(ctx, `SELECT idempotency_key FROM transactions WHERE payment_status = 'completed'`).Scan(&key); err != nil {
		t.Fatalf("the sale in the database: %v", err)
	}

	tmux("send-keys", "-t", session, "F2")
	waitFor("receipt printed")
	doc, err := escpostest.Decode(vp.Printed(), escpos.Width80)
	if err != nil {
		t.Fatalf("the printer was sent what it cannot print: %v", err)
	}
	t.Logf("printed:\n%s", doc.String(escpos.Columns(escpos.Width80)))
	if bc := doc.Barcodes(); len(bc) != 1 || doc.Cuts() != 1 {
		t.Fatalf("%d barcodes, %d cuts", len(bc), doc.Cuts())
	} else if sc, err := rules.Parse(bc[0].Digits); err != nil || sc.Code != key {
		t.Errorf("the printed barcode scans as %q (%v), want the sale %s", sc.Code, err, key)
	}

	vp.SetPaperOut(true)
	vp.Reset()
	tmux("send-keys", "-t", session, "F2")
	screen := waitFor("paper out")
	t.Logf("paper out:\n%s", screen)
	if strings.Contains(screen, "DATABASE UNREACHABLE") {
		t.Errorf("a printer fault is shown as the database's:\n%s", screen)
	}
	for _, job := range vp.Jobs() {
		if doc, err := escpostest.Decode(job, escpos.Width80); err != nil || doc.Cuts() != 0 || len(doc.Lines()) != 0 {
			t.Errorf("a printer with no paper was sent the receipt: %v", err)
		}
	}
	saved, _ := filepath.Glob(filepath.Join(receiptDir, "*", "*-"+key+".pdf"))
	if len(saved) != 1 {
		t.Errorf("saved receipts: %v, want the sale's", saved)
	}
	var status string
	if err := d.Admin.QueryRowContext(ctx, `SELECT payment_status FROM transactions WHERE idempotency_key = ?`, key).Scan(&status); err != nil || status != "completed" {
		t.Errorf("the sale after the printer fault: %q, %v", status, err)
	}
}
