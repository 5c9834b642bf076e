package stripe

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/stripe/stripetest"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// rig is a till on a real database with a Stripe gateway pointed at the
// scripted fake Stripe.
type rig struct {
	fake    *stripetest.Fake
	db      *store.DB
	admin   *sql.DB
	items   []pos.Item
	initial store.Stock
	logs    *syncBuffer
	cashier int64
}

func newRig(tb testing.TB) *rig {
	tb.Helper()
	d := storetest.NewDatabase(tb)
	r := &rig{fake: stripetest.NewFake(tb), admin: d.Admin, logs: &syncBuffer{}}
	for i := range 2 {
		it := pos.Item{Code: fmt.Sprintf("CARD%03d", i), Name: fmt.Sprintf("Item %d", i),
			Price: pos.Money(500 + 250*i), TaxRate: 1900, Active: true}
		r.items = append(r.items, d.AddItem(tb, it, 10))
	}
	r.cashier = d.AddCashier(tb, pos.Cashier{Number: "101", Name: "Ann"}, "1234").ID
	var err error
	if r.initial, err = store.StockSnapshot(context.Background(), d.Admin); err != nil {
		tb.Fatal(err)
	}
	r.db = d.Open(tb)
	return r
}

// config is a gateway configuration for the fake with short waits.
func (r *rig) config(capture CaptureMode) Config {
	return Config{SecretKey: stripetest.FakeKey, ReaderID: stripetest.FakeReader, APIBase: r.fake.URL,
		Capture: capture, Wait: 3 * time.Second, PollInterval: 20 * time.Millisecond,
		RequestTimeout: 2 * time.Second,
		Logger:         slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

func (r *rig) gateway(tb testing.TB, cfg Config) *Gateway {
	tb.Helper()
	g, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// checkout is a till; clockShift moves its clock (and the gateway's, when
// the caller sets it) forward, as for a till restarted later.
func (r *rig) checkout(gw pos.PaymentGateway, clockShift time.Duration) *pos.Checkout {
	return &pos.Checkout{Sales: r.db, Gateway: gw, Now: func() time.Time { return time.Now().Add(clockShift) },
		Settings: pos.Settings{StoreID: "store-1", TillID: "till-1", Currency: pos.EUR(),
			TaxMode: pos.TaxInclusive, Scan: pos.DefaultScanRules()}}
}

// reserve builds a basket of one of each item and reserves it.
func (r *rig) reserve(tb testing.TB, co *pos.Checkout) pos.Sale {
	tb.Helper()
	b := &pos.Basket{Key: pos.NewKey()}
	for _, it := range r.items {
		l, err := pos.NewLine(it, pos.Scan{Quantity: 1})
		if err != nil {
			tb.Fatal(err)
		}
		if err := b.Add(l); err != nil {
			tb.Fatal(err)
		}
	}
	sale, err := co.Draft(b, r.cashier)
	if err != nil {
		tb.Fatal(err)
	}
	if sale, err = co.Reserve(context.Background(), sale); err != nil {
		tb.Fatal(err)
	}
	return sale
}

// finish completes the sale when the card paid it, else releases it, as
// the cashier screen does.
func (r *rig) finish(tb testing.TB, co *pos.Checkout, sale pos.Sale, p pos.Payment) {
	tb.Helper()
	ctx := context.Background()
	if p.Status == pos.PaymentApproved {
		sale.Payments = append(sale.Payments, p)
		if _, err := co.Complete(ctx, sale); err != nil {
			tb.Fatalf("complete: %v", err)
		}
		return
	}
	if _, err := co.Release(ctx, sale.Key, pos.SaleFailed); err != nil {
		tb.Fatalf("release: %v", err)
	}
}

// outcome is what a case must end with.
type outcome struct {
	sale     pos.SaleStatus
	charges  int // PaymentIntents that took money
	captures int
}

// check verifies the end state: the sale, what Stripe charged (at most
// one PaymentIntent per attempt, none left that could still be charged),
// the database invariants, and no card number anywhere.
func (r *rig) check(tb testing.TB, saleKey string, attempts int, want outcome) {
	tb.Helper()
	ctx := context.Background()
	sale, err := r.db.Sale(ctx, saleKey)
	if err != nil {
		tb.Fatal(err)
	}
	if sale.Status != want.sale {
		tb.Errorf("sale: got %s, want %s", sale.Status, want.sale)
	}
	c := r.fake.Counts()
	if c.Creates > attempts {
		tb.Errorf("payment intents created: got %d, want at most %d (one per attempt)", c.Creates, attempts)
	}
	if c.Charges != want.charges || c.Captures != want.captures {
		tb.Errorf("charges/captures: got %d/%d, want %d/%d", c.Charges, c.Captures, want.charges, want.captures)
	}
	if c.Refunds != 0 {
		tb.Errorf("refunds: got %d, want 0", c.Refunds)
	}
	for id, status := range r.fake.IntentStatuses() {
		if status != "succeeded" && status != "canceled" {
			tb.Errorf("payment intent %s left %s: it could still be charged", id, status)
		}
	}
	var approved pos.Money
	for _, p := range sale.Payments {
		if p.Status == pos.PaymentApproved {
			approved += p.Amount
		}
		if !p.Status.Final() {
			tb.Errorf("payment %s left %s", p.AttemptKey, p.Status)
		}
	}
	if want.charges > 0 && approved != sale.Totals.Total {
		tb.Errorf("approved payments: got %d, want the total %d", approved, sale.Totals.Total)
	}
	bad, err := store.CheckInvariants(ctx, r.admin, r.initial)
	if err != nil {
		tb.Fatal(err)
	}
	for _, b := range bad {
		tb.Errorf("invariant: %s", b)
	}
	r.checkNoCardNumbers(tb)
}

// checkNoCardNumbers looks for card numbers in the gateway's logs, in what
// was sent to Stripe (but the test helper, which sends Stripe's public
// declining test card on purpose) and in every text column of the database.
func (r *rig) checkNoCardNumbers(tb testing.TB) {
	tb.Helper()
	if found := stripetest.CardNumbers(r.logs.String()); len(found) > 0 {
		tb.Errorf("card numbers in the logs: %q", found)
	}
	for _, req := range r.fake.Requests() {
		if strings.Contains(req.Path, "present_payment_method") {
			continue
		}
		if found := stripetest.CardNumbers(req.Form.Encode()); len(found) > 0 {
			tb.Errorf("card numbers sent in %s %s: %q", req.Method, req.Path, found)
		}
	}
	ctx := context.Background()
	rows, err := r.admin.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = DATABASE() AND data_type IN ('char','varchar','text','mediumtext','longtext','json')`)
	if err != nil {
		tb.Fatal(err)
	}
	var cols [][2]string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			tb.Fatal(err)
		}
		cols = append(cols, [2]string{t, c})
	}
	rows.Close()
	if len(cols) == 0 {
		tb.Fatal("no text columns found: the scan would check nothing")
	}
	for _, tc := range cols {
		vals, err := r.admin.QueryContext(ctx, fmt.Sprintf("SELECT `%s` FROM `%s`", tc[1], tc[0]))
		if err != nil {
			tb.Fatal(err)
		}
		for vals.Next() {
			var v sql.NullString
			if err := vals.Scan(&v); err != nil {
				tb.Fatal(err)
			}
			if found := stripetest.CardNumbers(v.String); len(found) > 0 {
				tb.Errorf("card numbers in %s.%s: %q", tc[0], tc[1], found)
			}
		}
		vals.Close()
	}
}

// waitFor polls cond for up to 5 seconds.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("timed out waiting for %s", what)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
