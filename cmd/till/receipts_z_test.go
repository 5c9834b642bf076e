package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts/escpos"
	"github.com/till-pos/till/receipts/escpos/escpostest"
	"github.com/till-pos/till/store"
)

// TestReceiptsDrainUploadsZReports: a Z closed through pos.CashOffice
// enters the receipt outbox in its closing transaction, and `till receipts
// drain` uploads its PDF under <prefix>/<store>/reports/<till>/z-<n>.pdf;
// the PDF's text is the Z as store.ZReport reads it, line for line. Once
// as the database's owner and once with the till's own grants for both
// the close and the drain.
func TestReceiptsDrainUploadsZReports(t *testing.T) {
	for _, tt := range []struct {
		name     string
		tillUser bool
	}{{"as the owner", false}, {"as the till user", true}} {
		t.Run(tt.name, func(t *testing.T) {
			d, sales, env := receiptsStore(t)
			ctx := context.Background()
			dsn := d.DSN
			if tt.tillUser {
				b := make([]byte, 4)
				rand.Read(b)
				user, password := "till_z_"+hex.EncodeToString(b), "z-"+hex.EncodeToString(b)
				if err := store.ApplyGrants(ctx, d.Admin, store.GrantOptions{Database: d.Name, User: user, Host: "%", Password: password}); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { d.Admin.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })
				cfg, err := mysql.ParseDSN(d.DSN)
				if err != nil {
					t.Fatal(err)
				}
				cfg.User, cfg.Passwd = user, password
				dsn = cfg.FormatDSN()
				env["POS_DSN"] = dsn
			}
			db, err := store.Open(ctx, store.Config{WriterDSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			office := &pos.CashOffice{Store: db, Settings: pos.Settings{StoreID: "s1", TillID: "t1", Currency: pos.EUR()}}
			cashier := sales[0].CashierID
			for _, float := range []pos.Money{10000, 5000} { // two sessions: Z 1 and Z 2
				if _, err := office.Open(ctx, cashier, pos.CountOf(float)); err != nil {
					t.Fatal(err)
				}
				if _, err := office.Z(ctx, cashier, pos.CountOf(float+123)); err != nil {
					t.Fatal(err)
				}
			}
			backend := s3mem.New()
			if err := backend.CreateBucket("receipts"); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(gofakes3.New(backend).Server())
			defer srv.Close()
			s3Env(t, env, srv.URL)
			out, errs, code := runTill(t, env, "receipts", "drain")
			if code != 0 || !strings.Contains(out, "4 uploaded, 0 already there, 0 failed, 0 left") {
				t.Fatalf("got exit %d, %q, %q; want the 2 sales' receipts and the 2 Zs uploaded", code, out, errs)
			}
			for _, n := range []int64{1, 2} {
				z, err := db.ZReport(ctx, "s1", "t1", n)
				if err != nil {
					t.Fatal(err)
				}
				key := "archive/s1/reports/t1/z-" + strconv.FormatInt(n, 10) + ".pdf"
				obj, err := backend.GetObject("receipts", key, nil)
				if err != nil {
					t.Fatalf("Z %d is not in the bucket at %s: %v", n, key, err)
				}
				pdf, err := io.ReadAll(obj.Contents)
				obj.Contents.Close()
				if err != nil {
					t.Fatal(err)
				}
				got := textLines(pdftotext(t, pdf))
				want := textLines(strings.Join(z.Text(pos.EUR(), mustLoad(t, "Europe/London")), "\n"))
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("Z %d uploaded says:\n%s\nwant:\n%s", n, strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			}
			// Drained: a second drain finds nothing to do.
			out, errs, code = runTill(t, env, "receipts", "drain")
			if code != 0 || !strings.Contains(out, "0 uploaded, 0 already there, 0 failed, 0 left") {
				t.Fatalf("second drain: got exit %d, %q, %q", code, out, errs)
			}
		})
	}
}

// textLines is a text's non-blank lines with each run of spaces made one:
// pdftotext -layout widens the gaps of a Courier line, never its words or
// their order.
func textLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\f", "\n"), "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestZPrintsOnTheESCPOSPrinter: a till set up with POS_PRINTER=tcp://…
// and no POS_PRINT_COMMAND (newReceipts, as the till builds it) prints the
// Z it closes on the ESC/POS printer, at 80 and 58 mm: the decoded lines
// are store.ZReport's text, the title bold, one cut; the PDF is saved. With
// a print command set as well, the Z goes to the command, not the printer.
func TestZPrintsOnTheESCPOSPrinter(t *testing.T) {
	for _, tt := range []struct {
		width   string
		command bool
	}{{"80", false}, {"58", false}, {"80", true}} {
		t.Run(fmt.Sprintf("%smm/command %v", tt.width, tt.command), func(t *testing.T) {
			d, sales, env := receiptsStore(t)
			ctx := context.Background()
			vp := escpostest.Start(t)
			env["POS_PRINTER"], env["POS_PRINTER_WIDTH"] = vp.URL(), tt.width
			if tt.command {
				env["POS_PRINT_COMMAND"] = "true"
			}
			db, err := store.Open(ctx, store.Config{WriterDSN: d.DSN})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			settings := pos.Settings{StoreID: "s1", TillID: "t1", Currency: pos.EUR()}
			svc, _, err := newReceipts(ctx, &environment{getenv: func(k string) string { return env[k] }}, db, settings)
			if err != nil {
				t.Fatal(err)
			}
			office := &pos.CashOffice{Store: db, Printer: svc, Settings: settings}
			if _, err := office.Open(ctx, sales[0].CashierID, pos.CountOf(100_00)); err != nil {
				t.Fatal(err)
			}
			z, err := office.Z(ctx, sales[0].CashierID, pos.CountOf(100_00))
			if err != nil {
				t.Fatal(err)
			}
			saved, _ := filepath.Glob(filepath.Join(env["POS_RECEIPT_DIR"], "*", "z-t1-1.pdf"))
			if len(saved) != 1 {
				t.Errorf("the Z is not saved: %v", saved)
			}
			width := escpos.Width80
			if tt.width == "58" {
				width = escpos.Width58
			}
			doc, err := escpostest.Decode(vp.Printed(), width)
			if err != nil {
				t.Fatalf("the printer was sent what it cannot print: %v", err)
			}
			if tt.command {
				if len(doc.Lines()) != 0 {
					t.Errorf("with a print command, the ESC/POS printer printed %d lines", len(doc.Lines()))
				}
				return
			}
			stored, err := db.ZReport(ctx, "s1", "t1", z.ZNumber)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for i, l := range doc.Lines() {
				if l.Bold != (i == 0) && l.Text != "" {
					t.Errorf("line %d %q: bold %v", i, l.Text, l.Bold)
				}
				got = append(got, l.Text)
			}
			for len(got) > 0 && got[len(got)-1] == "" {
				got = got[:len(got)-1]
			}
			for _, l := range stored.Text(pos.EUR(), mustLoad(t, "Europe/London")) {
				want = append(want, strings.TrimRight(l, " "))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("printed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if doc.Cuts() != 1 {
				t.Errorf("cuts: %d, want 1", doc.Cuts())
			}
		})
	}
}
