package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/till-pos/till/pos"
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
