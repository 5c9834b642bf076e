package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// receiptsStore is a seeded database with two completed cash sales made
// through the protocol, and the environment `till receipts` reads.
func receiptsStore(t *testing.T) (*storetest.Database, []pos.Sale, map[string]string) {
	t.Helper()
	d := storetest.NewDatabase(t)
	env := map[string]string{"POS_ADMIN_DSN": d.DSN, "POS_DSN": d.DSN, "POS_STORE_ID": "s1", "POS_TILL_ID": "t1",
		"POS_STORE_NAME": "Corner Shop", "POS_TIMEZONE": "Europe/London", "POS_RECEIPT_DIR": t.TempDir(),
		"PATH": os.Getenv("PATH")}
	if _, errs, code := runTill(t, env, "seed"); code != 0 {
		t.Fatalf("seed: %s", errs)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{WriterDSN: d.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cashier, err := db.SignIn(ctx, "s1", "t1", "101", "1111")
	if err != nil {
		t.Fatal(err)
	}
	items, err := db.Items(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	co := &pos.Checkout{Sales: db, Settings: pos.Settings{StoreID: "s1", TillID: "t1", Currency: pos.EUR(),
		PointsPer: 100, Scan: pos.DefaultScanRules()}}
	var sales []pos.Sale
	for _, it := range items {
		if it.Weighed || !it.Active || it.Code[0] == '2' {
			continue
		}
		l, err := pos.NewLine(it, pos.Scan{Quantity: 1})
		if err != nil {
			t.Fatal(err)
		}
		b := &pos.Basket{Key: pos.NewKey(), Lines: []pos.Line{l}}
		s, err := co.Draft(b, cashier.ID)
		if err != nil {
			t.Fatal(err)
		}
		done, err := co.SellCash(ctx, s, s.Totals.Total)
		if err != nil {
			t.Fatal(err)
		}
		if sales = append(sales, done); len(sales) == 2 {
			break
		}
	}
	return d, sales, env
}

// s3Env points the SDK at a gofakes3 server with made-up credentials and
// keeps it away from any real AWS configuration on the machine.
func s3Env(t *testing.T, env map[string]string, endpoint string) {
	t.Helper()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret",
		"AWS_REGION": "eu-west-2", "AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"), "AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v) // the SDK reads the process environment
	}
	env["POS_S3_BUCKET"], env["POS_S3_PREFIX"], env["POS_S3_ENDPOINT"] = "receipts", "archive", endpoint
}

func TestReceiptsDrain(t *testing.T) {
	d, sales, env := receiptsStore(t)
	backend := s3mem.New()
	if err := backend.CreateBucket("receipts"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()

	t.Run("S3 down", func(t *testing.T) {
		// A port nothing listens on: connection refused.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln.Close()
		s3Env(t, env, "http://"+ln.Addr().String())
		out, errs, code := runTill(t, env, "receipts", "drain")
		if code != 1 || !strings.Contains(out, "0 uploaded, 0 already there, 2 failed, 2 left") ||
			!strings.Contains(errs, "2 receipts are still waiting for upload") {
			t.Errorf("got exit %d, %q, %q; want 1 and 2 left", code, out, errs)
		}
	})
	t.Run("S3 up", func(t *testing.T) {
		s3Env(t, env, srv.URL)
		out, errs, code := runTill(t, env, "receipts", "drain")
		if code != 0 || !strings.Contains(out, "2 uploaded, 0 already there, 0 failed, 0 left") {
			t.Fatalf("got exit %d, %q, %q; want 0 and 2 uploaded", code, out, errs)
		}
		var n int
		if err := d.Admin.QueryRow(`SELECT COUNT(*) FROM receipt_outbox WHERE status = 'uploaded'
			AND object_key LIKE 'archive/s1/%'`).Scan(&n); err != nil || n != 2 {
			t.Errorf("uploaded rows: got %d, %v; want 2", n, err)
		}
		for _, s := range sales {
			date := s.CompletedAt.In(mustLoad(t, "Europe/London")).Format("2006/01/02")
			if _, err := backend.HeadObject("receipts", "archive/s1/"+date+"/"+s.Key+".pdf"); err != nil {
				t.Errorf("sale %d: %v", s.ID, err)
			}
		}
	})
	t.Run("no bucket", func(t *testing.T) {
		env := map[string]string{"POS_DSN": d.DSN}
		if _, errs, code := runTill(t, env, "receipts", "drain"); code != 2 || !strings.Contains(errs, "POS_S3_BUCKET") {
			t.Errorf("got exit %d, %q; want 2 naming POS_S3_BUCKET", code, errs)
		}
	})
}

func TestReceiptsReprint(t *testing.T) {
	_, sales, env := receiptsStore(t)
	sale := sales[0]
	bin := t.TempDir()
	record := filepath.Join(t.TempDir(), "printed.pdf")
	lp := "#!/bin/sh\necho \"$@\" > '" + record + ".args'\ncat > '" + record + "'\n"
	if err := os.WriteFile(filepath.Join(bin, "lp"), []byte(lp), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		printer string
		args    []string
		want    string
	}{
		{"save by number", "", []string{strconv.FormatInt(sale.ID, 10)}, "saved a copy of sale " + strconv.FormatInt(sale.ID, 10)},
		{"save by scanned key", "front", []string{"--save", strings.ReplaceAll(sale.Key, "-", "")}, "-copy-2.pdf"},
		{"print", "front", []string{sale.Key}, "printed a copy of sale"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env["POS_PRINTER"] = c.printer
			env["PATH"] = bin + string(os.PathListSeparator) + os.Getenv("PATH")
			t.Setenv("PATH", env["PATH"])
			out, errs, code := runTill(t, env, append([]string{"receipts", "reprint"}, c.args...)...)
			if code != 0 || !strings.Contains(out, c.want) {
				t.Fatalf("got exit %d, %q, %q; want %q", code, out, errs, c.want)
			}
		})
	}
	args, err := os.ReadFile(record + ".args")
	if err != nil || string(args) != "-d front\n" {
		t.Errorf("lp arguments: got %q, %v; want -d front", args, err)
	}
	printed, _ := os.ReadFile(record)
	if text := pdftotext(t, printed); !strings.Contains(text, "COPY") || !strings.Contains(text, "Corner Shop") {
		t.Errorf("printed copy:\n%s", text)
	}
	if _, errs, code := runTill(t, env, "receipts", "reprint", "no-such-sale"); code != 2 || !strings.Contains(errs, "neither a sale number nor a sale key") {
		t.Errorf("bad SALE: got exit %d, %q", code, errs)
	}
	if _, errs, code := runTill(t, env, "receipts", "reprint", "999999"); code != 1 || !strings.Contains(errs, "no sale number 999999") {
		t.Errorf("unknown sale: got exit %d, %q", code, errs)
	}
}

func pdftotext(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		storetest.Missing(t, "pdftotext is not installed")
	}
	cmd := exec.Command("pdftotext", "-layout", "-nodiag", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestReceiptsDrainUploadsRefundReceipts: `till receipts drain` uploads a
// completed return's refund receipt with the sales' receipts, under the
// store's returns/.
func TestReceiptsDrainUploadsRefundReceipts(t *testing.T) {
	d, sales, env := receiptsStore(t)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{WriterDSN: d.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs := &pos.Returns{Store: db, Settings: pos.Settings{StoreID: "s1", TillID: "t1", Currency: pos.EUR(),
		Scan: pos.DefaultScanRules()}}
	ret, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sales[0].Key, sales[0].CashierID,
		[]pos.ReturnLine{{SaleLine: 1, Quantity: 1, Reason: pos.ReasonChangedMind, Restock: true}}))
	if err != nil {
		t.Fatal(err)
	}
	if ret, err = rs.Complete(ctx, ret.Key); err != nil {
		t.Fatal(err)
	}
	backend := s3mem.New()
	if err := backend.CreateBucket("receipts"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	s3Env(t, env, srv.URL)
	out, errs, code := runTill(t, env, "receipts", "drain")
	if code != 0 || !strings.Contains(out, "3 uploaded, 0 already there, 0 failed, 0 left") {
		t.Fatalf("got exit %d, %q, %q; want the 2 sales' and the return's receipts uploaded", code, out, errs)
	}
	date := ret.CompletedAt.In(mustLoad(t, "Europe/London")).Format("2006/01/02")
	obj, err := backend.GetObject("receipts", "archive/s1/returns/"+date+"/"+ret.Key+".pdf", nil)
	if err != nil {
		t.Fatalf("the refund receipt is not in the bucket: %v", err)
	}
	defer obj.Contents.Close()
	pdf, err := io.ReadAll(obj.Contents)
	if err != nil {
		t.Fatal(err)
	}
	text := pdftotext(t, pdf)
	for _, want := range []string{"REFUND", "Return of sale " + strconv.FormatInt(sales[0].ID, 10), "Reason: changed mind", "Corner Shop"} {
		if !strings.Contains(text, want) {
			t.Errorf("the uploaded refund receipt does not say %q:\n%s", want, text)
		}
	}

	// The refund receipt's barcode, scanned into reprint, saves a copy.
	digits, err := pos.ReceiptCode(ret.Key)
	if err != nil {
		t.Fatal(err)
	}
	out, errs, code = runTill(t, env, "receipts", "reprint", "--save", digits)
	want := "saved a copy of the refund receipt of return " + strconv.FormatInt(ret.ID, 10) + ": "
	if code != 0 || !strings.HasPrefix(out, want) || !strings.HasSuffix(strings.TrimSpace(out), "-copy.pdf") {
		t.Fatalf("reprint: got exit %d, %q, %q; want %q…-copy.pdf", code, out, errs, want)
	}
	copyPDF, err := os.ReadFile(strings.TrimSpace(strings.TrimPrefix(out, want)))
	if err != nil {
		t.Fatal(err)
	}
	if text := pdftotext(t, copyPDF); !strings.Contains(text, "COPY") || !strings.Contains(text, "REFUND") {
		t.Errorf("the reprinted refund receipt:\n%s", text)
	}
}
