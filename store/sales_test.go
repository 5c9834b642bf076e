package store_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/simpay"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// fixture is a migrated database with a few items, a cashier and a customer.
type fixture struct {
	d        *storetest.Database
	db       *store.DB
	items    []pos.Item
	initial  store.Stock
	cashier  int64
	customer pos.Customer
	gw       *simpay.Gateway
	co       *pos.Checkout
	clock    func() time.Time // the store's clock; nil: time.Now
}

func settings() pos.Settings {
	return pos.Settings{StoreID: "s1", TillID: "t1", Currency: pos.EUR(), TaxMode: pos.TaxInclusive,
		PointsPer: 100, Scan: pos.DefaultScanRules()}
}

// newFixture makes one item per stock figure given.
func newFixture(t testing.TB, stocks ...int64) *fixture {
	t.Helper()
	f := &fixture{d: storetest.NewDatabase(t), gw: &simpay.Gateway{}}
	for i, stock := range stocks {
		it := pos.Item{Code: fmt.Sprintf("CODE%03d", i), Name: fmt.Sprintf("Item %d", i),
			Price: pos.Money(100*(i+1) + 99), TaxRate: []int{700, 1900}[i%2], Active: true}
		f.items = append(f.items, f.d.AddItem(t, it, stock))
	}
	f.cashier = f.d.AddCashier(t, pos.Cashier{Number: "101", Name: "Ann"}, "1234").ID
	f.customer = f.d.AddCustomer(t, pos.Customer{Name: "Bo", Email: "bo@example.com", LoyaltyCard: "9800000000015"})
	var err error
	if f.initial, err = store.StockSnapshot(context.Background(), f.d.Admin); err != nil {
		t.Fatal(err)
	}
	f.db = f.d.OpenWithClock(t, func() time.Time {
		if f.clock != nil {
			return f.clock()
		}
		return time.Now()
	})
	f.co = &pos.Checkout{Sales: f.db, Gateway: f.gw, Settings: settings()}
	return f
}

// draft builds a sale of (item index, quantity) pairs.
func (f *fixture) draft(t testing.TB, lines ...[2]int) pos.Sale {
	t.Helper()
	b := &pos.Basket{Key: pos.NewKey()}
	for _, l := range lines {
		line, err := pos.NewLine(f.items[l[0]], pos.Scan{Quantity: int64(l[1])})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Add(line); err != nil {
			t.Fatal(err)
		}
	}
	s, err := f.co.Draft(b, f.cashier)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) stock(t testing.TB, i int) int64 {
	t.Helper()
	var n int64
	if err := f.d.Admin.QueryRow(`SELECT stock_quantity FROM store_inventory WHERE store_id = ? AND item_id = ?`,
		storetest.TestStore, f.items[i].ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.d.Admin.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) checkInvariants(t testing.TB) {
	t.Helper()
	bad, err := store.CheckInvariants(context.Background(), f.d.Admin, f.initial)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error("invariant:", b)
	}
}

func TestCashSale(t *testing.T) {
	f := newFixture(t, 10, 10)
	ctx := context.Background()
	sale := f.draft(t, [2]int{0, 2}, [2]int{1, 1})
	sale.CustomerID = f.customer.ID
	// 2 × 1.99 + 2.99 = 6.97
	done, err := f.co.SellCash(ctx, sale, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != pos.SaleCompleted || done.ID == 0 {
		t.Fatalf("got status %s id %d, want completed with an id", done.Status, done.ID)
	}
	if got, want := done.Change(), pos.Money(1000-697); got != want {
		t.Errorf("change: got %d, want %d", got, want)
	}
	if got, want := f.stock(t, 0), int64(8); got != want {
		t.Errorf("stock: got %d, want %d", got, want)
	}
	stored, err := f.db.Sale(ctx, sale.Key)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Totals.Total != 697 || len(stored.Lines) != 2 || stored.PointsEarned != 6 {
		t.Errorf("stored sale: got total %d, %d lines, %d points; want 697, 2, 6",
			stored.Totals.Total, len(stored.Lines), stored.PointsEarned)
	}
	if got := f.count(t, `SELECT loyalty_points FROM customers WHERE customer_id = ?`, f.customer.ID); got != 6 {
		t.Errorf("loyalty points: got %d, want 6", got)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM receipt_outbox WHERE transaction_id = ?`, done.ID); got != 1 {
		t.Errorf("outbox rows: got %d, want 1", got)
	}
	f.checkInvariants(t)
}

func TestCashRounding(t *testing.T) {
	f := newFixture(t, 10, 10)
	f.co.Settings.CashRounding = 5
	sale := f.draft(t, [2]int{0, 1}, [2]int{1, 1}) // 1.99 + 2.99 = 4.98 → 5.00 in cash
	done, err := f.co.SellCash(context.Background(), sale, 500)
	if err != nil {
		t.Fatal(err)
	}
	if done.CashRounding != 2 || done.Change() != 0 || done.Paid() != 500 {
		t.Errorf("got rounding %d change %d paid %d, want 2, 0, 500", done.CashRounding, done.Change(), done.Paid())
	}
	f.checkInvariants(t)
}

func TestSplitCardAndCash(t *testing.T) {
	f := newFixture(t, 10, 10)
	ctx := context.Background()
	sale, err := f.co.Reserve(ctx, f.draft(t, [2]int{0, 3}, [2]int{1, 2})) // 5.97 + 5.98 = 11.95
	if err != nil {
		t.Fatal(err)
	}
	if got := f.stock(t, 0); got != 7 {
		t.Errorf("stock after reserve: got %d, want 7", got)
	}
	p, err := f.co.PayCard(ctx, sale, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != pos.PaymentApproved || p.CardLast4 != "4242" {
		t.Errorf("card payment: got %s %q, want approved 4242", p.Status, p.CardLast4)
	}
	sale.Payments = append(sale.Payments, p)
	if _, err := f.co.Complete(ctx, sale, 100); err == nil || pos.ErrorCode(err) != pos.EInvalid {
		t.Errorf("completing with too little cash: got %v, want invalid", err)
	}
	done, err := f.co.Complete(ctx, sale, 500)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != pos.SaleCompleted || done.Change() != 500-195 || len(done.Payments) != 2 {
		t.Errorf("got %s change %d %d payments, want completed 305 2", done.Status, done.Change(), len(done.Payments))
	}
	// Complete builds its answer from what it read and wrote (no third
	// request): it must be the sale as stored.
	stored, err := f.db.Sale(ctx, sale.Key)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(done, stored) {
		t.Errorf("complete answered\n%+v\nbut the database holds\n%+v", done, stored)
	}
	// Completing again answers with the first result.
	again, err := f.co.Complete(ctx, sale, 500)
	if err != nil || !reflect.DeepEqual(again, stored) {
		t.Errorf("second complete: got %v, %+v; want the first sale", err, again)
	}
	f.checkInvariants(t)
}

func TestDeclineThenVoid(t *testing.T) {
	f := newFixture(t, 5)
	ctx := context.Background()
	sale, err := f.co.Reserve(ctx, f.draft(t, [2]int{0, 5}))
	if err != nil {
		t.Fatal(err)
	}
	f.gw.Then(simpay.Decline)
	p, err := f.co.PayCard(ctx, sale, sale.Totals.Total)
	if pos.ErrorCode(err) != pos.EDeclined || p.Status != pos.PaymentDeclined {
		t.Fatalf("got %v (%s), want declined", err, p.Status)
	}
	if !strings.Contains(pos.ErrorMessage(err), "declined") {
		t.Errorf("message %q does not say declined", pos.ErrorMessage(err))
	}
	// Another till cannot have the stock while this sale holds it.
	other := f.draft(t, [2]int{0, 1})
	if _, err := f.co.Reserve(ctx, other); pos.ErrorCode(err) != pos.EOutOfStock {
		t.Errorf("reserve while held: got %v, want out of stock", err)
	}
	released, err := f.co.Release(ctx, sale.Key, pos.SaleVoided)
	if err != nil {
		t.Fatal(err)
	}
	if released.Status != pos.SaleVoided || f.stock(t, 0) != 5 {
		t.Errorf("got %s stock %d, want voided 5", released.Status, f.stock(t, 0))
	}
	if _, err := f.co.Release(ctx, sale.Key, pos.SaleVoided); err != nil {
		t.Errorf("second release: %v", err)
	}
	if f.stock(t, 0) != 5 {
		t.Errorf("stock after a second release: got %d, want 5", f.stock(t, 0))
	}
	f.checkInvariants(t)
}

func TestOutOfStockNamesItemsAndWritesNothing(t *testing.T) {
	f := newFixture(t, 2, 50, 1)
	_, err := f.co.Reserve(context.Background(), f.draft(t, [2]int{0, 3}, [2]int{1, 1}, [2]int{2, 2}))
	var pe *pos.Error
	if pos.ErrorCode(err) != pos.EOutOfStock {
		t.Fatalf("got %v, want out of stock", err)
	}
	if !errors.As(err, &pe) || len(pe.Short) != 2 || !strings.Contains(pe.Message, "Item 0") || !strings.Contains(pe.Message, "Item 2") {
		t.Errorf("message %q should name items 0 and 2", pos.ErrorMessage(err))
	}
	if n := f.count(t, `SELECT COUNT(*) FROM transactions`); n != 0 {
		t.Errorf("transactions: got %d rows, want 0", n)
	}
	if f.stock(t, 1) != 50 {
		t.Errorf("stock of item 1: got %d, want 50", f.stock(t, 1))
	}
	f.checkInvariants(t)
}

// TestBatchStoppedMidwayLeavesNoTransactionOpen: a batched transaction
// (batch.go) that the server stops at an error before its COMMIT, or that
// the store refuses after reading, is rolled back on its own connection:
// the next user of the connection is in no transaction and the sale's rows
// are not locked.
func TestBatchStoppedMidwayLeavesNoTransactionOpen(t *testing.T) {
	f := newFixture(t, 2, 50)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{WriterDSN: f.d.DSN, MaxOpen: 1}) // one connection
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	co := &pos.Checkout{Sales: db, Gateway: f.gw, Settings: settings()}
	repeated := f.draft(t, [2]int{1, 1})
	if _, err := co.SellCash(ctx, repeated, repeated.Totals.Total); err != nil {
		t.Fatal(err)
	}
	reserved, err := co.Reserve(ctx, f.draft(t, [2]int{1, 2}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		want string // a pos error code; "" for success
	}{
		{"short stock: the stock guard's CHECK stops the batch", func() error {
			s := f.draft(t, [2]int{1, 1}, [2]int{0, 5})
			_, err := co.SellCash(ctx, s, s.Totals.Total)
			return err
		}, pos.EOutOfStock},
		{"repeated key: the duplicate key stops the batch", func() error {
			_, err := co.SellCash(ctx, repeated, repeated.Totals.Total)
			return err
		}, ""},
		{"complete an unknown sale: refused after the first request", func() error {
			_, err := db.Complete(ctx, pos.NewKey(), nil, 0, 0)
			return err
		}, pos.ENotFound},
		{"card payment over the total: refused after the first request", func() error {
			_, err := db.StartPayment(ctx, pos.Payment{AttemptKey: pos.NewKey(), SaleKey: reserved.Key,
				Method: pos.MethodCard, Amount: reserved.Totals.Total + 1})
			return err
		}, pos.EConflict},
		{"outcome of an unknown attempt", func() error {
			_, err := db.FinishPayment(ctx, pos.Payment{AttemptKey: pos.NewKey(), Status: pos.PaymentApproved})
			return err
		}, pos.ENotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if got := pos.ErrorCode(err); got != tt.want {
				t.Fatalf("got %q (%v), want %q", got, err, tt.want)
			}
			var open int
			if err := db.Writer().QueryRowContext(ctx, `SELECT @@in_transaction`).Scan(&open); err != nil {
				t.Fatal(err)
			}
			if open != 0 {
				t.Errorf("the connection is still in a transaction after the call")
			}
			for _, q := range []string{
				`SELECT stock_quantity FROM store_inventory WHERE store_id = ? FOR UPDATE NOWAIT`,
				`SELECT payment_status FROM transactions WHERE idempotency_key = ? FOR UPDATE NOWAIT`,
			} {
				arg := any(storetest.TestStore)
				if strings.Contains(q, "transactions") {
					arg = reserved.Key
				}
				rows, err := f.d.Admin.QueryContext(ctx, q, arg)
				if err != nil {
					t.Errorf("rows still locked after the call: %v", err)
					continue
				}
				rows.Close()
			}
		})
	}
	if got, want := f.stock(t, 0), int64(2); got != want {
		t.Errorf("stock of item 0: got %d, want %d", got, want)
	}
	f.checkInvariants(t)
}

func TestSameKeyTwiceIsOneSale(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	sale := f.draft(t, [2]int{0, 4})
	first, err := f.co.SellCash(ctx, sale, 2000)
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.co.SellCash(ctx, sale, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if first.ID != second.ID {
		t.Errorf("got sale ids %d and %d, want one sale", first.ID, second.ID)
	}
	if got := f.stock(t, 0); got != 6 {
		t.Errorf("stock: got %d, want 6", got)
	}
	if _, err := f.co.Reserve(ctx, sale); err != nil {
		t.Errorf("reserve with a completed key: %v", err)
	}
	other := f.draft(t, [2]int{0, 1})
	other.Key = sale.Key
	if _, err := f.co.Reserve(ctx, other); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("same key, different sale: got %v, want conflict", err)
	}
	f.checkInvariants(t)
}

// commitLoser commits for real, then reports the connection lost: the
// till cannot know whether its COMMIT landed.
type commitLoser struct {
	driver.Connector
	lose atomic.Int32
}

type fullConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
	driver.ConnPrepareContext
	driver.Pinger
}

type loserConn struct {
	fullConn
	c      *commitLoser
	broken bool
}

type loserTx struct {
	driver.Tx
	conn *loserConn
}

func (c *commitLoser) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &loserConn{fullConn: conn.(fullConn), c: c}, nil
}

func (c *loserConn) BeginTx(ctx context.Context, o driver.TxOptions) (driver.Tx, error) {
	tx, err := c.fullConn.BeginTx(ctx, o)
	return &loserTx{tx, c}, err
}

func (c *loserConn) IsValid() bool { return !c.broken }

// QueryContext loses the answer to a batched transaction (one request
// ending in COMMIT, batch.go) the same way: the server ran it all.
func (c *loserConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.fullConn.QueryContext(ctx, query, args)
	if err != nil || !strings.Contains(query, "\nCOMMIT") || c.c.lose.Add(-1) < 0 {
		return rows, err
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	c.broken = true
	return nil, mysql.ErrInvalidConn
}

func (t *loserTx) Commit() error {
	err := t.Tx.Commit()
	if err == nil && t.conn.c.lose.Add(-1) >= 0 {
		t.conn.broken = true
		return mysql.ErrInvalidConn
	}
	return err
}

func TestUnknownCommitOutcomeResolvesByKey(t *testing.T) {
	f := newFixture(t, 10, 10)
	mc, err := store.DriverConfig(f.d.DSN, store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		t.Fatal(err)
	}
	loser := &commitLoser{Connector: conn}
	pool := sql.OpenDB(loser)
	defer pool.Close()
	db := store.New(pool, nil)
	co := &pos.Checkout{Sales: db, Gateway: f.gw, Settings: settings()}
	ctx := context.Background()

	tests := []struct {
		name string
		sell func(pos.Sale) (pos.Sale, error)
	}{
		{"cash sale", func(s pos.Sale) (pos.Sale, error) { return co.SellCash(ctx, s, s.Totals.Total) }},
		{"reserve", func(s pos.Sale) (pos.Sale, error) { return co.Reserve(ctx, s) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.stock(t, 1)
			sale := f.draft(t, [2]int{1, 2})
			loser.lose.Store(1)
			got, err := tt.sell(sale)
			if err != nil {
				t.Fatalf("after a lost COMMIT answer: %v", err)
			}
			if loser.lose.Load() > 0 {
				t.Fatal("the COMMIT answer was never lost: the test did not test anything")
			}
			if n := f.count(t, `SELECT COUNT(*) FROM transactions WHERE idempotency_key = ?`, sale.Key); n != 1 || got.ID == 0 {
				t.Errorf("got %d sales (id %d), want exactly 1", n, got.ID)
			}
			if after := f.stock(t, 1); before-after != 2 {
				t.Errorf("stock went from %d to %d, want 2 taken once", before, after)
			}
		})
	}
	f.checkInvariants(t)
}

func TestRecover(t *testing.T) {
	f := newFixture(t, 20)
	ctx := context.Background()
	clock := time.Now()
	f.co.Now = func() time.Time { return clock }

	// 1. Reserved, then the till died before the cash was taken.
	unpaid, err := f.co.Reserve(ctx, f.draft(t, [2]int{0, 1}))
	if err != nil {
		t.Fatal(err)
	}
	// 2. Card charged but the answer was lost.
	lost, err := f.co.Reserve(ctx, f.draft(t, [2]int{0, 2}))
	if err != nil {
		t.Fatal(err)
	}
	f.gw.Then(simpay.Lost)
	if p, err := f.co.PayCard(ctx, lost, lost.Totals.Total); pos.ErrorCode(err) != pos.EUnavailable || p.Status != pos.PaymentUnknown {
		t.Fatalf("lost answer: got %v %s, want unavailable and unknown", err, p.Status)
	}
	// 3. Part paid by card, then abandoned.
	part, err := f.co.Reserve(ctx, f.draft(t, [2]int{0, 3}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.co.PayCard(ctx, part, 100); err != nil {
		t.Fatal(err)
	}
	// 4. A reader timeout: never charged.
	timedOut, err := f.co.Reserve(ctx, f.draft(t, [2]int{0, 4}))
	if err != nil {
		t.Fatal(err)
	}
	f.gw.Then(simpay.Timeout)
	if _, err := f.co.PayCard(ctx, timedOut, timedOut.Totals.Total); pos.ErrorCode(err) != pos.EUnavailable {
		t.Fatalf("timeout: got %v, want unavailable", err)
	}

	// Too young: nothing happens.
	rep, err := f.co.Recover(ctx, time.Hour)
	if err != nil || len(rep.Completed)+len(rep.Released) != 0 {
		t.Fatalf("recover of young sales: got %+v, %v; want nothing done", rep, err)
	}
	clock = clock.Add(2 * time.Hour)
	rep, err = f.co.Recover(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Completed) != 1 || rep.Completed[0] != lost.Key {
		t.Errorf("completed: got %v, want the lost-answer sale", rep.Completed)
	}
	if len(rep.Released) != 3 {
		t.Errorf("released: got %d, want 3", len(rep.Released))
	}
	for key, want := range map[string]pos.SaleStatus{unpaid.Key: pos.SaleFailed, lost.Key: pos.SaleCompleted,
		part.Key: pos.SaleFailed, timedOut.Key: pos.SaleFailed} {
		s, err := f.db.Sale(ctx, key)
		if err != nil || s.Status != want {
			t.Errorf("sale %s: got %s %v, want %s", key[:8], s.Status, err, want)
		}
	}
	if got := f.stock(t, 0); got != 18 {
		t.Errorf("stock: got %d, want 18 (only the completed sale's 2 taken)", got)
	}
	if got := f.gw.Charges(); got != 2 {
		t.Errorf("charges: got %d, want 2 (lost answer + part payment, which was refunded)", got)
	}
	f.checkInvariants(t)
}

func TestTrainingTouchesNoStockNorPoints(t *testing.T) {
	f := newFixture(t, 3)
	f.co.Settings.Training = true
	sale := f.draft(t, [2]int{0, 3})
	sale.CustomerID = f.customer.ID
	done, err := f.co.SellCash(context.Background(), sale, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if !done.Training || f.stock(t, 0) != 3 {
		t.Errorf("got training=%v stock %d, want true and 3", done.Training, f.stock(t, 0))
	}
	if got := f.count(t, `SELECT loyalty_points FROM customers WHERE customer_id = ?`, f.customer.ID); got != 0 {
		t.Errorf("points: got %d, want 0", got)
	}
	f.checkInvariants(t)
}

func TestBadInputWritesNothing(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	good := f.draft(t, [2]int{0, 1})
	tests := []struct {
		name  string
		sale  func() pos.Sale
		code  string
		quote string
	}{
		{"no lines", func() pos.Sale { s := good; s.Lines = nil; return s }, pos.EInvalid, "empty"},
		{"zero quantity", func() pos.Sale { return withLine(good, func(l *pos.Line) { l.Quantity = 0 }) }, pos.EInvalid, "at least 1"},
		{"negative quantity", func() pos.Sale { return withLine(good, func(l *pos.Line) { l.Quantity = -2 }) }, pos.EInvalid, "at least 1"},
		{"absurd quantity", func() pos.Sale { return withLine(good, func(l *pos.Line) { l.Quantity = 10000 }) }, pos.EInvalid, "over the limit"},
		{"negative price", func() pos.Sale { return withLine(good, func(l *pos.Line) { l.UnitPrice = -1 }) }, pos.EInvalid, "negative"},
		{"overflow", func() pos.Sale { return withLine(good, func(l *pos.Line) { l.UnitPrice = 1 << 60 }) }, pos.EInvalid, "too large"},
		{"unknown item", func() pos.Sale {
			s := withLine(good, func(l *pos.Line) { l.ItemID = 999999 })
			s.Key = pos.NewKey()
			return s
		}, pos.ENotFound, "not in the catalog"},
		{"bad key", func() pos.Sale { s := good; s.Key = "x"; return s }, pos.EInvalid, "key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.co.SellCash(ctx, tt.sale(), 100000)
			if pos.ErrorCode(err) != tt.code || !strings.Contains(pos.ErrorMessage(err), tt.quote) {
				t.Errorf("got %v, want %s saying %q", err, tt.code, tt.quote)
			}
		})
	}
	if n := f.count(t, `SELECT COUNT(*) FROM transactions`); n != 0 {
		t.Errorf("transactions: got %d, want 0", n)
	}
	f.checkInvariants(t)
}

// withLine changes the first line and recomputes nothing, the way a buggy
// or hostile caller would.
func withLine(s pos.Sale, f func(*pos.Line)) pos.Sale {
	s.Lines = append([]pos.Line(nil), s.Lines...)
	f(&s.Lines[0])
	if totals, err := pos.ComputeTotals(s.Lines, pos.TaxInclusive); err == nil {
		s.Totals = totals
	}
	return s
}

func TestInactiveItem(t *testing.T) {
	f := newFixture(t, 10)
	if _, err := f.d.Admin.Exec(`UPDATE inventory SET active = FALSE`); err != nil {
		t.Fatal(err)
	}
	_, err := f.co.SellCash(context.Background(), f.draft(t, [2]int{0, 1}), 1000)
	if pos.ErrorCode(err) != pos.EInvalid || !strings.Contains(pos.ErrorMessage(err), "inactive") {
		t.Errorf("got %v, want invalid: inactive", err)
	}
}

func TestDatabaseDownIsUnavailableWithinDeadline(t *testing.T) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Port 1 on loopback: nothing listens, the dial is refused.
	_, err := store.Open(ctx, store.Config{WriterDSN: "till@tcp(127.0.0.1:1)/till", CallTimeout: 2 * time.Second})
	if pos.ErrorCode(err) != pos.EUnavailable {
		t.Errorf("got %v, want unavailable", err)
	}
	if !strings.Contains(pos.ErrorMessage(err), "unavailable") {
		t.Errorf("message %q should say unavailable", pos.ErrorMessage(err))
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("took %s, want within the 2s call deadline", d)
	}
}
