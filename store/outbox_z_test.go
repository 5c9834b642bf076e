package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
)

// TestZReceiptKey: a Z's outbox key splits back into its store, till and
// number whatever the ids hold, and no sale's or return's key (a UUID) nor
// a malformed one reads as a Z's.
func TestZReceiptKey(t *testing.T) {
	for _, tt := range []struct {
		store, till string
		n           int64
		key         string
	}{
		{"s1", "t1", 1, "z:s1:t1:1"},
		{"store-9", "till-12", 345, "z:store-9:till-12:345"},
		{"a:b", "c", 2, "z:a%3Ab:c:2"},
		{"a", "b:c", 2, "z:a:b%3Ac:2"},
		{"50%", "%3A", 7, "z:50%25:%253A:7"},
	} {
		key := store.ZReceiptKey(tt.store, tt.till, tt.n)
		if key != tt.key {
			t.Errorf("ZReceiptKey(%q, %q, %d) = %q, want %q", tt.store, tt.till, tt.n, key, tt.key)
		}
		s, till, n, ok := store.ParseZReceiptKey(key)
		if !ok || s != tt.store || till != tt.till || n != tt.n {
			t.Errorf("ParseZReceiptKey(%q) = %q, %q, %d, %v", key, s, till, n, ok)
		}
	}
	for _, key := range []string{pos.NewKey(), "", "z:", "z:s1:t1", "z:s1:t1:0", "z:s1:t1:-1", "z:s1:t1:01",
		"z::t1:1", "z:s1::1", "z:s1:t1:1:2", "Z:s1:t1:1", "z:s1:t1:x"} {
		if _, _, _, ok := store.ParseZReceiptKey(key); ok {
			t.Errorf("ParseZReceiptKey(%q) reads as a Z's key", key)
		}
	}
}

// TestZReportOutbox: closing a session writes the Z's outbox row in the
// close's transaction; the outbox methods take the Z's key like a sale's
// (listed, claimed, failed with backoff, uploaded), and the table refuses
// a row that names two things or none (receipt_outbox_one, migration
// 00011).
func TestZReportOutbox(t *testing.T) {
	f := newFixture(t, 100)
	ctx := context.Background()
	office := &pos.CashOffice{Store: f.db, Settings: settings()}
	if _, err := office.Open(ctx, f.cashier, pos.CountOf(100_00)); err != nil {
		t.Fatal(err)
	}
	z, err := office.Z(ctx, f.cashier, pos.CountOf(100_00))
	if err != nil {
		t.Fatal(err)
	}
	key := store.ZReceiptKey("s1", "t1", z.ZNumber)
	var zSession int64
	if err := f.d.Admin.QueryRowContext(ctx, `SELECT z_session_id FROM receipt_outbox
		WHERE z_session_id IS NOT NULL AND status = 'pending'`).Scan(&zSession); err != nil || zSession != z.Session.ID {
		t.Fatalf("the Z's outbox row: session %d, %v; want session %d", zSession, err, z.Session.ID)
	}
	steps := []struct {
		name string
		run  func() error
	}{
		{"listed", func() error {
			keys, err := f.db.PendingReceipts(ctx, "t1", true, 10)
			if err == nil && (len(keys) != 1 || keys[0] != key) {
				err = fmt.Errorf("got %v, want [%s]", keys, key)
			}
			return err
		}},
		{"not listed for another till", func() error {
			keys, err := f.db.PendingReceipts(ctx, "t9", false, 10)
			if err == nil && len(keys) != 0 {
				err = fmt.Errorf("got %v", keys)
			}
			return err
		}},
		{"claimed", func() error {
			ok, err := f.db.ClaimReceipt(ctx, key, time.Minute, false)
			if err == nil && !ok {
				err = errors.New("not claimed")
			}
			return err
		}},
		{"not due while claimed", func() error {
			ok, err := f.db.ClaimReceipt(ctx, key, time.Minute, false)
			if err == nil && ok {
				err = errors.New("claimed twice")
			}
			return err
		}},
		{"failed twice", func() error {
			for want := 1; want <= 2; want++ {
				n, err := f.db.ReceiptFailed(ctx, key, "down", func(int) time.Duration { return time.Hour })
				if err != nil || n != want {
					return fmt.Errorf("attempts %d, %v; want %d", n, err, want)
				}
			}
			return nil
		}},
		{"backing off, still pending", func() error {
			due, err := f.db.PendingReceipts(ctx, "t1", true, 10)
			if err != nil {
				return err
			}
			all, err := f.db.PendingReceipts(ctx, "t1", false, 10)
			if err == nil && (len(due) != 0 || len(all) != 1) {
				err = fmt.Errorf("due %v, all %v", due, all)
			}
			return err
		}},
		{"uploaded", func() error { return f.db.ReceiptUploaded(ctx, key, "archive/s1/reports/t1/z-1.pdf") }},
		{"no longer pending", func() error {
			all, err := f.db.PendingReceipts(ctx, "", false, 10)
			if err == nil && len(all) != 0 {
				err = fmt.Errorf("still pending: %v", all)
			}
			return err
		}},
		{"an unknown Z", func() error {
			ok, err := f.db.ClaimReceipt(ctx, store.ZReceiptKey("s1", "t1", 99), time.Minute, true)
			if err == nil && ok {
				err = errors.New("claimed a Z that does not exist")
			}
			return err
		}},
		{"the Z it names", func() error {
			r, err := f.db.ReceiptReport(ctx, key)
			if err == nil && (r.ZNumber != z.ZNumber || r.Session.ID != z.Session.ID) {
				err = fmt.Errorf("got Z %d of session %d", r.ZNumber, r.Session.ID)
			}
			return err
		}},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			t.Errorf("%s: %v", st.name, err)
		}
	}
	var object string
	if err := f.d.Admin.QueryRowContext(ctx, `SELECT object_key FROM receipt_outbox WHERE z_session_id = ?`,
		z.Session.ID).Scan(&object); err != nil || object != "archive/s1/reports/t1/z-1.pdf" {
		t.Errorf("object key %q, %v", object, err)
	}
	// Exactly one owner. With the rows of a sale and of the Z gone (so no
	// unique key is in the way), a row naming both, or none, is refused by
	// receipt_outbox_one itself.
	s := f.draft(t, [2]int{0, 1})
	sale, err := (&pos.Checkout{Sales: f.db, Settings: settings()}).SellCash(ctx, s, s.Totals.Total)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Admin.ExecContext(ctx, `DELETE FROM receipt_outbox WHERE transaction_id = ? OR z_session_id = ?`,
		sale.ID, z.Session.ID); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		sale, zs any
	}{{"a sale and a Z", sale.ID, z.Session.ID}, {"nothing", nil, nil}} {
		_, err := f.d.Admin.ExecContext(ctx, `INSERT INTO receipt_outbox (transaction_id, z_session_id, till_id,
			next_attempt_at, created_at) VALUES (?, ?, 't1', NOW(6), NOW(6))`, tt.sale, tt.zs)
		if err == nil || !strings.Contains(err.Error(), "receipt_outbox_one") {
			t.Errorf("a row naming %s: got %v, want receipt_outbox_one to refuse it", tt.name, err)
		}
	}
	for _, tt := range []struct {
		name     string
		sale, zs any
	}{{"the sale", sale.ID, nil}, {"the Z", nil, z.Session.ID}} {
		if _, err := f.d.Admin.ExecContext(ctx, `INSERT INTO receipt_outbox (transaction_id, z_session_id, till_id,
			next_attempt_at, created_at) VALUES (?, ?, 't1', NOW(6), NOW(6))`, tt.sale, tt.zs); err != nil {
			t.Errorf("a row naming %s only: %v", tt.name, err)
		}
	}
}

// TestReportOutboxMigrationDownAndUp: migration 00011 rolls back with a
// Z's row in the outbox (the row goes, the sales' stay, and the two-owner
// CHECK is back), and applies again.
func TestReportOutboxMigrationDownAndUp(t *testing.T) {
	f := newFixture(t, 100)
	ctx := context.Background()
	s := f.draft(t, [2]int{0, 1})
	if _, err := (&pos.Checkout{Sales: f.db, Settings: settings()}).SellCash(ctx, s, s.Totals.Total); err != nil {
		t.Fatal(err)
	}
	office := &pos.CashOffice{Store: f.db, Settings: settings()}
	if _, err := office.Open(ctx, f.cashier, pos.CountOf(100_00)); err != nil {
		t.Fatal(err)
	}
	if _, err := office.Z(ctx, f.cashier, pos.CountOf(100_00)); err != nil {
		t.Fatal(err)
	}
	count := func(query string) int {
		t.Helper()
		var n int
		if err := f.d.Admin.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM receipt_outbox`); n != 2 {
		t.Fatalf("outbox rows before: %d, want the sale's and the Z's", n)
	}
	if err := store.MigrateDownTo(ctx, f.d.Admin, 9); err != nil {
		t.Fatalf("down to 9: %v", err)
	}
	if n := count(`SELECT COUNT(*) FROM receipt_outbox WHERE transaction_id IS NOT NULL`); n != 1 {
		t.Errorf("outbox rows after down: %d sales', want 1", n)
	}
	if _, err := f.d.Admin.ExecContext(ctx, `INSERT INTO receipt_outbox (till_id, next_attempt_at, created_at)
		VALUES ('t1', NOW(6), NOW(6))`); err == nil || !strings.Contains(err.Error(), "receipt_outbox_one") {
		t.Errorf("after down, a row naming nothing: got %v, want receipt_outbox_one to refuse it", err)
	}
	if _, err := store.Migrate(ctx, f.d.Admin); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if _, err := office.Open(ctx, f.cashier, pos.CountOf(100_00)); err != nil {
		t.Fatal(err)
	}
	if _, err := office.Z(ctx, f.cashier, pos.CountOf(100_00)); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT COUNT(*) FROM receipt_outbox WHERE z_session_id IS NOT NULL`); n != 1 {
		t.Errorf("Z rows after up: %d, want Z 2's", n)
	}
}
