package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts/escpos"
	"github.com/till-pos/till/receipts/escpos/escpostest"
)

// TestReceiptsOnAnESCPOSPrinter: with POS_PRINTER=tcp://… the till prints
// natively on the printer (a virtual one here) at the configured width,
// kicks the drawer on the configured pin, and reports the printer's faults
// in plain words while still saving the receipt.
func TestReceiptsOnAnESCPOSPrinter(t *testing.T) {
	_, sales, env := receiptsStore(t)
	sale := sales[0]
	vp := escpostest.Start(t)
	env["POS_PRINTER"], env["POS_PRINTER_WIDTH"] = vp.URL(), "58"
	env["POS_DRAWER_PIN"], env["POS_DRAWER_PULSE"] = "5", "80"

	out, errs, code := runTill(t, env, "receipts", "reprint", sale.Key)
	if code != 0 || !strings.Contains(out, "printed a copy of sale") {
		t.Fatalf("reprint: exit %d, %q, %q", code, out, errs)
	}
	doc, err := escpostest.Decode(vp.Printed(), escpos.Width58)
	if err != nil {
		t.Fatalf("the printer was sent what a 58 mm printer cannot print: %v", err)
	}
	text := doc.Text()
	for _, want := range []string{"Corner Shop", "COPY", "TOTAL", "Thank you"} {
		if !strings.Contains(text, want) {
			t.Errorf("%q is not on the printed copy:\n%s", want, doc.String(32))
		}
	}
	bc := doc.Barcodes()
	if len(bc) != 1 || doc.Cuts() != 1 {
		t.Fatalf("%d barcodes, %d cuts; want 1 and 1", len(bc), doc.Cuts())
	}
	if scan, err := pos.DefaultScanRules().Parse(bc[0].Digits); err != nil || scan.Code != sale.Key {
		t.Errorf("the barcode scans as %q (%v), want %s", scan.Code, err, sale.Key)
	}
	// The PDF is saved all the same.
	saved, _ := filepath.Glob(filepath.Join(env["POS_RECEIPT_DIR"], "*", "*-"+sale.Key+"-copy*.pdf"))
	if len(saved) == 0 {
		t.Error("the copy's PDF is not saved")
	}

	vp.Reset()
	out, errs, code = runTill(t, env, "receipts", "printer", "--open-drawer")
	if code != 0 || !strings.Contains(out, "ready (58 mm paper)") || !strings.Contains(out, "drawer: kicked") {
		t.Errorf("printer --open-drawer: exit %d, %q, %q", code, out, errs)
	}
	doc, err = escpostest.Decode(vp.Printed(), escpos.Width58)
	want := escpostest.Item{Kind: escpostest.Pulse, Pin: 5, On: 80 * time.Millisecond}
	if p := doc.Pulses(); err != nil || len(p) != 1 || p[0] != want {
		t.Errorf("drawer: %+v (%v), want %+v", doc.Items, err, want)
	}

	vp.SetPaperOut(true)
	out, _, code = runTill(t, env, "receipts", "printer")
	if code != 1 || !strings.Contains(out, "paper out") {
		t.Errorf("printer with no paper: exit %d, %q", code, out)
	}
	_, errs, code = runTill(t, env, "receipts", "reprint", sale.Key)
	if code != 1 || !strings.Contains(errs, "paper out: put in a new paper roll, then print the receipt again; the receipt is saved at") {
		t.Errorf("reprint with no paper: exit %d, %q", code, errs)
	}
	vp.Stop()
	_, errs, code = runTill(t, env, "receipts", "reprint", sale.Key)
	if code != 1 || !strings.Contains(errs, "printer offline") {
		t.Errorf("reprint to an unplugged printer: exit %d, %q", code, errs)
	}
}

func TestPrinterConfiguration(t *testing.T) {
	base := map[string]string{"POS_RECEIPT_DIR": t.TempDir()}
	getenv := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		}
	}
	for _, bad := range []map[string]string{
		{"POS_PRINTER_WIDTH": "76"},
		{"POS_DRAWER_PIN": "3"},
		{"POS_DRAWER_PULSE": "2s"},
		{"POS_DRAWER_PULSE": "0"},
	} {
		if _, err := readReceiptConfig(getenv(bad)); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	rc, err := readReceiptConfig(getenv(map[string]string{"POS_PRINTER": "tcp://10.0.0.9",
		"POS_PRINTER_WIDTH": "58mm", "POS_DRAWER_PIN": "5", "POS_DRAWER_PULSE": "120ms"}))
	if err != nil {
		t.Fatal(err)
	}
	want := escpos.Config{Width: 58, DrawerPin: 5, DrawerPulse: 120 * time.Millisecond}
	if rc.escpos != want || rc.printCommandLine(getenv(nil)) != nil {
		t.Errorf("got %+v and command %v; want %+v and no lp command", rc.escpos, rc.printCommandLine(getenv(nil)), want)
	}

	// The screen gets a drawer only from an ESC/POS printer.
	env := &environment{stdout: io.Discard, stderr: io.Discard}
	settings := pos.Settings{StoreID: "s1", TillID: "t1", Currency: pos.EUR()}
	for spec, wantDrawer := range map[string]bool{"tcp://10.0.0.9:9100": true, "file:/dev/usb/lp0": true,
		"cups-raw:front": true, "front": false, "": false} {
		env.getenv = getenv(map[string]string{"POS_PRINTER": spec})
		svc, _, err := newReceipts(context.Background(), env, nil, settings)
		if err != nil {
			t.Fatalf("%q: %v", spec, err)
		}
		if got := drawer(svc) != nil; got != wantDrawer {
			t.Errorf("POS_PRINTER=%q: drawer %v, want %v", spec, got, wantDrawer)
		}
	}
	env.getenv = getenv(map[string]string{"POS_PRINTER": "tcp://"})
	if _, _, err := newReceipts(context.Background(), env, nil, settings); err == nil {
		t.Error("POS_PRINTER=tcp:// with no host: no error")
	}
}
