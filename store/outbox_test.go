package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
)

// outboxClock is a store clock the test moves by hand.
type outboxClock struct{ now time.Time }

func (c *outboxClock) Now() time.Time { return c.now }

func TestReceiptOutbox(t *testing.T) {
	f := newFixture(t, 100, 100)
	ctx := context.Background()
	clock := &outboxClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f.clock = clock.Now
	var keys []string
	for i := range 3 {
		s := f.draft(t, [2]int{i % 2, 1})
		done, err := f.co.SellCash(ctx, s, s.Totals.Total)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, done.Key)
		clock.now = clock.now.Add(time.Second)
	}
	pending := func(till string, dueOnly bool, limit int) []string {
		t.Helper()
		got, err := f.db.PendingReceipts(ctx, till, dueOnly, limit)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := pending("t1", true, 0); strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Fatalf("due: got %v, want %v oldest first", got, keys)
	}
	if got := pending("t1", true, 2); len(got) != 2 {
		t.Errorf("limit 2: got %d keys", len(got))
	}
	if got := pending("another-till", false, 0); len(got) != 0 {
		t.Errorf("another till's receipts: got %v, want none", got)
	}

	// A claim keeps other workers off for the lease.
	claim := func(key string, force bool) bool {
		t.Helper()
		ok, err := f.db.ClaimReceipt(ctx, key, time.Minute, force)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim(keys[0], false) {
		t.Fatal("first claim: got false, want true")
	}
	if claim(keys[0], false) {
		t.Error("second claim within the lease: got true, want false")
	}
	if got := pending("", true, 0); len(got) != 2 {
		t.Errorf("due while one is leased: got %d, want 2", len(got))
	}
	if !claim(keys[0], true) {
		t.Error("a drain's claim (even if not due): got false, want true")
	}

	// A failure counts an attempt, keeps the reason and backs off.
	backoff := func(n int) time.Duration { return time.Duration(n) * 10 * time.Minute }
	for want := 1; want <= 2; want++ {
		n, err := f.db.ReceiptFailed(ctx, keys[1], "s3 unreachable: "+strings.Repeat("x", 300), backoff)
		if err != nil || n != want {
			t.Fatalf("failure %d: got %d attempts, %v", want, n, err)
		}
	}
	var attempts int
	var lastErr string
	var next time.Time
	if err := f.d.Admin.QueryRow(`SELECT o.attempts, o.last_error, o.next_attempt_at FROM receipt_outbox o
		JOIN transactions t ON t.transaction_id = o.transaction_id WHERE t.idempotency_key = ?`, keys[1]).
		Scan(&attempts, &lastErr, &next); err != nil {
		t.Fatal(err)
	}
	if attempts != 2 || len(lastErr) != 255 || !next.Equal(clock.now.Add(20*time.Minute)) {
		t.Errorf("after two failures: got attempts %d, error of %d bytes, next %s; want 2, 255, %s",
			attempts, len(lastErr), next, clock.now.Add(20*time.Minute))
	}
	clock.now = clock.now.Add(time.Hour)
	if got := pending("t1", true, 0); len(got) != 3 {
		t.Errorf("an hour later: got %d due, want 3", len(got))
	}

	// Uploaded: never due, never claimed again.
	if err := f.db.ReceiptUploaded(ctx, keys[2], "receipts/s1/2026/03/01/"+keys[2]+".pdf"); err != nil {
		t.Fatal(err)
	}
	if claim(keys[2], true) {
		t.Error("claiming an uploaded receipt: got true, want false")
	}
	if got := pending("", false, 0); len(got) != 2 {
		t.Errorf("pending after one upload: got %d, want 2", len(got))
	}
	if _, err := f.db.ReceiptFailed(ctx, keys[2], "late", backoff); pos.ErrorCode(err) != pos.ENotFound {
		t.Errorf("failing an uploaded receipt: got %v, want not found", err)
	}
}

func TestReceiptPartiesAndSaleNumbers(t *testing.T) {
	f := newFixture(t, 100, 100)
	ctx := context.Background()
	clock := &outboxClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f.clock = clock.Now
	sell := func(customer bool) pos.Sale {
		t.Helper()
		s := f.draft(t, [2]int{1, 2}) // 2 × 2.99 = 5 points
		if customer {
			s.CustomerID = f.customer.ID
		}
		done, err := f.co.SellCash(ctx, s, s.Totals.Total)
		if err != nil {
			t.Fatal(err)
		}
		clock.now = clock.now.Add(time.Minute)
		return done
	}
	first, second, anonymous := sell(true), sell(true), sell(false)
	cases := []struct {
		name        string
		sale        pos.Sale
		wantBalance int64
		wantName    string
	}{
		{"first", first, 5, "Bo"},
		{"second", second, 10, "Bo"},
		{"no customer", anonymous, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cashier, customer, err := f.db.ReceiptParties(ctx, c.sale)
			if err != nil {
				t.Fatal(err)
			}
			if cashier.Name != "Ann" || customer.Name != c.wantName || customer.LoyaltyPoints != c.wantBalance {
				t.Errorf("got %q, %q with %d points; want Ann, %q with %d", cashier.Name, customer.Name,
					customer.LoyaltyPoints, c.wantName, c.wantBalance)
			}
			key, err := f.db.SaleKeyByNumber(ctx, c.sale.ID)
			if err != nil || key != c.sale.Key {
				t.Errorf("sale number %d: got %q, %v; want %q", c.sale.ID, key, err, c.sale.Key)
			}
		})
	}
	if _, err := f.db.SaleKeyByNumber(ctx, 999999); pos.ErrorCode(err) != pos.ENotFound {
		t.Errorf("unknown number: got %v, want not found", err)
	}
}

// TestOutboxAsTheTillUser runs the outbox methods as a user with exactly
// the till's grants: the worker needs no privilege the till lacks.
func TestOutboxAsTheTillUser(t *testing.T) {
	f := newFixture(t, 100)
	ctx := context.Background()
	db, _ := tillUser(t, f.d)
	s := f.draft(t, [2]int{0, 1})
	s.CustomerID = f.customer.ID
	sale, err := (&pos.Checkout{Sales: db, Settings: settings()}).SellCash(ctx, s, s.Totals.Total)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		run  func() error
	}{
		{"pending", func() error { _, err := db.PendingReceipts(ctx, "t1", true, 10); return err }},
		{"claim", func() error { _, err := db.ClaimReceipt(ctx, sale.Key, time.Minute, true); return err }},
		{"fail", func() error {
			_, err := db.ReceiptFailed(ctx, sale.Key, "down", func(int) time.Duration { return time.Second })
			return err
		}},
		{"parties", func() error { _, _, err := db.ReceiptParties(ctx, sale); return err }},
		{"number", func() error { _, err := db.SaleKeyByNumber(ctx, sale.ID); return err }},
		{"uploaded", func() error { return db.ReceiptUploaded(ctx, sale.Key, "k") }},
	}
	// A return's refund receipt and event, through the same grants.
	rs := &pos.Returns{Store: db, Settings: settings()}
	ret, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sale.Key, f.cashier,
		[]pos.ReturnLine{{SaleLine: 1, Quantity: 1, Reason: pos.ReasonChangedMind, Restock: true}}))
	if err == nil {
		_, err = rs.Complete(ctx, ret.Key)
	}
	if err != nil {
		t.Fatalf("a return as the till user: %v", err)
	}
	steps = append(steps, []struct {
		name string
		run  func() error
	}{
		{"pending with a return", func() error {
			keys, err := db.PendingReceipts(ctx, "t1", false, 10)
			if err == nil && (len(keys) != 1 || keys[0] != ret.Key) {
				err = fmt.Errorf("got %v, want the return's key", keys)
			}
			return err
		}},
		{"claim a return's", func() error { _, err := db.ClaimReceipt(ctx, ret.Key, time.Minute, true); return err }},
		{"fail a return's", func() error {
			_, err := db.ReceiptFailed(ctx, ret.Key, "down", func(int) time.Duration { return time.Second })
			return err
		}},
		{"upload a return's", func() error { return db.ReceiptUploaded(ctx, ret.Key, "k2") }},
		{"claim a return's event", func() error {
			evs, err := db.ClaimEvents(ctx, "t1", time.Minute, 10, true)
			for _, e := range evs {
				if e.Type == pos.EventReturnCompleted && e.Problem == "" && e.Event.SaleKey == ret.Key {
					return err
				}
			}
			return errors.Join(err, fmt.Errorf("no return event among %d claimed", len(evs)))
		}},
	}...)
	for _, st := range steps {
		if err := st.run(); err != nil {
			t.Errorf("%s as the till user: %v", st.name, err)
		}
	}
}

// cashReturn returns a sale's first line in cash through the return
// protocol, completing it: its receipt and event enter the outboxes.
func (f *fixture) cashReturn(t testing.TB, sale pos.Sale, quantity int64) pos.Return {
	t.Helper()
	ctx := context.Background()
	rs := &pos.Returns{Store: f.db, Settings: settings()}
	ret, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sale.Key, f.cashier,
		[]pos.ReturnLine{{SaleLine: 1, Quantity: quantity, Reason: pos.ReasonChangedMind, Restock: true}}))
	if err != nil {
		t.Fatal(err)
	}
	done, err := rs.Complete(ctx, ret.Key)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

// TestReceiptOutboxWithReturns: a return's refund receipt is listed,
// claimed, failed and marked uploaded by the return's key, beside the
// sale's receipt and apart from it.
func TestReceiptOutboxWithReturns(t *testing.T) {
	f := newFixture(t, 100)
	ctx := context.Background()
	clock := &outboxClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f.clock = clock.Now
	s := f.draft(t, [2]int{0, 3})
	sale, err := f.co.SellCash(ctx, s, s.Totals.Total)
	if err != nil {
		t.Fatal(err)
	}
	clock.now = clock.now.Add(time.Minute)
	ret := f.cashReturn(t, sale, 1)
	row := func(column string, id int64) (status string, attempts int, objectKey string) {
		t.Helper()
		if err := f.d.Admin.QueryRow(`SELECT status, attempts, object_key FROM receipt_outbox WHERE `+column+` = ?`, id).
			Scan(&status, &attempts, &objectKey); err != nil {
			t.Fatalf("%s %d's outbox row: %v", column, id, err)
		}
		return status, attempts, objectKey
	}
	pending := func(dueOnly bool) string {
		t.Helper()
		got, err := f.db.PendingReceipts(ctx, "t1", dueOnly, 0)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, ",")
	}
	if got, want := pending(true), sale.Key+","+ret.Key; got != want {
		t.Fatalf("due: got %s, want the sale's then the return's key", got)
	}
	backoff := func(int) time.Duration { return time.Hour }
	steps := []struct {
		name string
		run  func() (any, error)
		want any
	}{
		{"claim", func() (any, error) { return f.db.ClaimReceipt(ctx, ret.Key, time.Minute, false) }, true},
		{"claim within the lease", func() (any, error) { return f.db.ClaimReceipt(ctx, ret.Key, time.Minute, false) }, false},
		{"due while leased", func() (any, error) { return pending(true), nil }, sale.Key},
		{"forced claim", func() (any, error) { return f.db.ClaimReceipt(ctx, ret.Key, time.Minute, true) }, true},
		{"failed", func() (any, error) { return f.db.ReceiptFailed(ctx, ret.Key, "s3 down", backoff) }, 1},
		{"failed again", func() (any, error) { return f.db.ReceiptFailed(ctx, ret.Key, "s3 down", backoff) }, 2},
		{"uploaded", func() (any, error) {
			return nil, f.db.ReceiptUploaded(ctx, ret.Key, "receipts/s1/returns/2026/03/01/"+ret.Key+".pdf")
		}, nil},
		{"claim when uploaded", func() (any, error) { return f.db.ClaimReceipt(ctx, ret.Key, time.Minute, true) }, false},
		{"pending when uploaded", func() (any, error) { return pending(false), nil }, sale.Key},
		{"unknown key", func() (any, error) { return f.db.ClaimReceipt(ctx, pos.NewKey(), time.Minute, true) }, false},
	}
	for _, st := range steps {
		got, err := st.run()
		if err != nil || got != st.want {
			t.Errorf("%s: got %v, %v; want %v", st.name, got, err, st.want)
		}
	}
	if status, attempts, key := row("return_id", ret.ID); status != "uploaded" || attempts != 2 || key != "receipts/s1/returns/2026/03/01/"+ret.Key+".pdf" {
		t.Errorf("the return's row: got %s, %d attempts, %q", status, attempts, key)
	}
	if status, attempts, key := row("transaction_id", sale.ID); status != "pending" || attempts != 0 || key != "" {
		t.Errorf("the sale's row was touched: got %s, %d attempts, %q", status, attempts, key)
	}
	if _, err := f.db.ReceiptFailed(ctx, ret.Key, "late", backoff); pos.ErrorCode(err) != pos.ENotFound {
		t.Errorf("failing an uploaded refund receipt: got %v, want not found", err)
	}
	if _, err := f.db.ReceiptFailed(ctx, pos.NewKey(), "late", backoff); pos.ErrorCode(err) != pos.ENotFound {
		t.Errorf("failing an unknown key: got %v, want not found", err)
	}
}
