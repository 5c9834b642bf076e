package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/simpay"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/demo"
	"github.com/till-pos/till/store/storetest"
)

// saleFigures is every figure of a sale the migration must keep.
type saleFigures struct {
	key, store, till, status, currency string
	cashier                            int64
	customer                           sql.NullInt64
	subtotal, tax, total, rounding     string
	points                             int64
	lines, payments                    string // the rows, as text
}

func readSales(t *testing.T, q *sql.DB) map[string]saleFigures {
	t.Helper()
	rows, err := q.Query(`SELECT t.idempotency_key, t.store_id, t.till_id, t.payment_status, t.currency,
			t.cashier_id, t.customer_id, t.subtotal, t.tax, t.total_amount, t.cash_rounding, t.points_earned,
			(SELECT COALESCE(GROUP_CONCAT(CONCAT_WS('|', line_no, item_id, code, quantity, unit_price, discount,
				tax_rate_bp, net_amount, tax_amount, line_total) ORDER BY line_no SEPARATOR ';'), '')
			 FROM transaction_items i WHERE i.transaction_id = t.transaction_id),
			(SELECT COALESCE(GROUP_CONCAT(CONCAT_WS('|', attempt_key, method, status, amount, tendered,
				change_given, card_last4) ORDER BY payment_id SEPARATOR ';'), '')
			 FROM payments p WHERE p.transaction_id = t.transaction_id)
		FROM transactions t`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]saleFigures{}
	for rows.Next() {
		var s saleFigures
		if err := rows.Scan(&s.key, &s.store, &s.till, &s.status, &s.currency, &s.cashier, &s.customer,
			&s.subtotal, &s.tax, &s.total, &s.rounding, &s.points, &s.lines, &s.payments); err != nil {
			t.Fatal(err)
		}
		out[s.key] = s
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMigrateSingleStore fills a database at migration 00003 through the
// sale protocol (the store's own code, with the stock statements of that
// schema): cash sales, card sales, a mixed tender, a declined card released,
// a voided sale, sales left pending, training sales; then applies 00004 and
// checks that every sale, line and payment is as it was, that every item's
// stock is now the home store's, that the tills that sold are registered,
// that the cashiers may sign in there, and that the protocol carries on
// per store with the invariants holding.
func TestMigrateSingleStore(t *testing.T) {
	ctx := context.Background()
	d := storetest.NewEmptyDatabase(t)
	if err := store.MigrateTo(ctx, d.Admin, 3); err != nil {
		t.Fatal(err)
	}
	const home = "berlin-7"
	// The 00003 catalogue: one stock number per item.
	var items []pos.Item
	stockBefore := map[pos.ItemID]int64{}
	for i := range 40 {
		it := pos.Item{Code: fmt.Sprintf("40000000%05d", i), Name: fmt.Sprintf("Item %d", i),
			Price: pos.Money(99 + 50*i), TaxRate: []int{700, 1900}[i%2], Active: i != 39}
		stock := int64(30 + 7*i)
		res, err := d.Admin.Exec(`INSERT INTO inventory (code, item_name, price, tax_rate_bp, weighed, active,
				stock_quantity, updated_at) VALUES (?, ?, ?, ?, FALSE, ?, ?, NOW(6))`,
			it.Code, it.Name, fmt.Sprintf("%d.%02d", it.Price/100, it.Price%100), it.TaxRate, it.Active, stock)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		it.ID = pos.ItemID(id)
		items = append(items, it)
	}
	var cashiers []int64
	for i, n := range []string{"101", "102", "103"} {
		hash, err := pos.HashPIN("1234")
		if err != nil {
			t.Fatal(err)
		}
		res, err := d.Admin.Exec(`INSERT INTO cashiers (number, name, pin_hash, manager) VALUES (?, ?, ?, ?)`,
			n, "Cashier "+n, hash, i == 0)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		cashiers = append(cashiers, id)
	}
	cust := d.AddCustomer(t, pos.Customer{Name: "Bo Loyal", Email: "bo@example.com", LoyaltyCard: "9800000000015"})

	db, err := store.Open(ctx, store.Config{WriterDSN: d.DSN, MaxOpen: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v3 := db.AtVersion3()
	gw := &simpay.Gateway{}
	rng := rand.New(rand.NewPCG(19, 4))
	var pending int
	for n := range 120 {
		set := pos.Settings{StoreID: home, TillID: fmt.Sprintf("till-%d", 1+n%3), Currency: pos.EUR(),
			TaxMode: pos.TaxInclusive, PointsPer: 100, CashRounding: 5, Scan: pos.DefaultScanRules(),
			Training: n%17 == 16}
		co := &pos.Checkout{Sales: v3, Gateway: gw, Settings: set}
		b := &pos.Basket{Key: pos.NewKey()}
		if n%4 == 0 {
			b.Customer = &cust
		}
		for range 1 + rng.IntN(4) {
			line, err := pos.NewLine(items[rng.IntN(39)], pos.Scan{Quantity: int64(1 + rng.IntN(3))})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Add(line); err != nil {
				t.Fatal(err)
			}
		}
		sale, err := co.Draft(b, cashiers[n%3])
		if err != nil {
			t.Fatal(err)
		}
		switch n % 6 {
		case 0, 1, 2: // cash
			_, err = co.SellCash(ctx, sale, sale.Totals.Total+500)
		case 3: // card
			if sale, err = co.Reserve(ctx, sale); err == nil {
				var p pos.Payment
				if p, err = co.PayCard(ctx, sale, sale.Totals.Total); err == nil {
					sale.Payments = append(sale.Payments, p)
					_, err = co.Complete(ctx, sale)
				}
			}
		case 4: // declined card, then voided; or card and cash
			if sale, err = co.Reserve(ctx, sale); err != nil {
				break
			}
			if n%12 == 4 {
				gw.Then(simpay.Decline)
				if _, err = co.PayCard(ctx, sale, sale.Totals.Total); pos.ErrorCode(err) != pos.EDeclined {
					t.Fatalf("sale %d: a declined card: %v", n, err)
				}
				_, err = co.Release(ctx, sale.Key, pos.SaleVoided)
			} else {
				var p pos.Payment
				if p, err = co.PayCard(ctx, sale, sale.Totals.Total/2); err == nil {
					sale.Payments = append(sale.Payments, p)
					_, err = co.Complete(ctx, sale, sale.Totals.Total)
				}
			}
		case 5: // left pending (a till that crashed)
			_, err = co.Reserve(ctx, sale)
			pending++
		}
		if err != nil {
			t.Fatalf("sale %d: %v", n, err)
		}
	}
	// A sign-in attempt audited at another store id (a lab till).
	if _, err := db.SignIn(ctx, "lab", "t9", "101", "0000"); pos.ErrorCode(err) != pos.EInvalid {
		t.Fatalf("wrong PIN: %v", err)
	}

	salesBefore := readSales(t, d.Admin)
	for id := range stockBefore {
		delete(stockBefore, id)
	}
	rows, err := d.Admin.Query(`SELECT item_id, stock_quantity FROM inventory`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id pos.ItemID
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		stockBefore[id] = n
	}
	rows.Close()
	var auditBefore int
	d.Admin.QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&auditBefore)

	if _, err := store.Migrate(ctx, d.Admin); err != nil {
		t.Fatal(err)
	}

	salesAfter := readSales(t, d.Admin)
	if len(salesAfter) != len(salesBefore) || len(salesBefore) != 120 {
		t.Fatalf("%d sales before the migration, %d after (120 made)", len(salesBefore), len(salesAfter))
	}
	for k, b := range salesBefore {
		if a := salesAfter[k]; a != b {
			t.Errorf("sale %s changed:\nbefore %+v\nafter  %+v", k, b, a)
		}
	}
	after, err := store.StockSnapshot(ctx, d.Admin)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(stockBefore) || len(after) != len(items) {
		t.Fatalf("%d stock rows after, %d items before", len(after), len(stockBefore))
	}
	for id, n := range stockBefore {
		if got, ok := after[store.StockKey{Store: home, Item: id}]; !ok || got != n {
			t.Errorf("item %d: stock %d before, %d at %s after (row: %v)", id, n, got, home, ok)
		}
	}
	var stores, tills, grants, audit int
	d.Admin.QueryRow(`SELECT COUNT(*) FROM stores`).Scan(&stores)
	d.Admin.QueryRow(`SELECT COUNT(*) FROM tills WHERE store_id = ? AND last_seen IS NOT NULL`, home).Scan(&tills)
	d.Admin.QueryRow(`SELECT COUNT(*) FROM cashier_stores WHERE store_id = ?`, home).Scan(&grants)
	d.Admin.QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&audit)
	if stores != 2 || tills != 3 || grants != 3 || audit != auditBefore {
		t.Errorf("after the migration: %d stores (want %s and lab), %d tills of %s (want 3), "+
			"%d cashiers may sign in there (want 3), %d audit rows (had %d)", stores, home, tills, home, grants, audit, auditBefore)
	}
	info, err := db.Store(ctx, home)
	if err != nil || info.Currency != "EUR" || info.Name != home {
		t.Errorf("the home store's row: %+v, %v", info, err)
	}
	// The invariants hold over the migrated sales: each item's stock at
	// the start of 00003's life, less what the store's sales took.
	initial := store.Stock{}
	for _, it := range items {
		initial[store.StockKey{Store: home, Item: it.ID}] = int64(30 + 7*(int(it.ID)-int(items[0].ID)))
	}
	checkInvariants(t, d, initial)

	// The protocol carries on at the home store, on the new schema.
	co := &pos.Checkout{Sales: db, Gateway: gw, Settings: pos.Settings{StoreID: home, TillID: "till-1",
		Currency: pos.EUR(), TaxMode: pos.TaxInclusive, Scan: pos.DefaultScanRules()}}
	b := &pos.Basket{Key: pos.NewKey()}
	line, _ := pos.NewLine(items[0], pos.Scan{Quantity: 2})
	if err := b.Add(line); err != nil {
		t.Fatal(err)
	}
	sale, err := co.Draft(b, cashiers[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := co.SellCash(ctx, sale, 10000); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, d, initial)
	if c, err := db.SignIn(ctx, home, "till-1", "102", "1234"); err != nil || c.Number != "102" {
		t.Errorf("a cashier at the home store after the migration: %+v, %v", c, err)
	}
	t.Logf("migrated %d sales (%d pending, the rest completed, voided or training) and %d stock rows; "+
		"every sale, line, payment and stock figure unchanged", len(salesAfter), pending, len(after))
}

func checkInvariants(t *testing.T, d *storetest.Database, initial store.Stock) {
	t.Helper()
	bad, err := store.CheckInvariants(context.Background(), d.Admin, initial)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error("invariant:", b)
	}
}

// chainRig is a database with two stores of its own, two items stocked
// differently at each, and a cashier who may sign in at one of them.
type chainRig struct {
	d            *storetest.Database
	db           *store.DB
	items        []pos.Item
	cashier      pos.Cashier
	initial      store.Stock
	hamb, munich string
}

func newChainRig(t *testing.T) *chainRig {
	t.Helper()
	r := &chainRig{d: storetest.NewDatabase(t), hamb: "hamburg-1", munich: "munich-1"}
	r.d.AddStore(t, store.StoreInfo{ID: r.hamb, Name: "Hamburg", Address: "Jungfernstieg 1", TaxID: "DE1",
		Currency: "EUR", TimeZone: "Europe/Berlin", TaxMode: "exclusive", CashRounding: 5, ScanProfile: "DE"})
	r.d.AddStore(t, store.StoreInfo{ID: r.munich, Name: "Munich"})
	for i := range 2 {
		r.items = append(r.items, r.d.AddItem(t, pos.Item{Code: fmt.Sprintf("CH%d", i), Name: fmt.Sprintf("Chain item %d", i),
			Price: 1000, TaxRate: 1900, Active: true}, 0))
	}
	off := false
	r.d.SetStock(t, r.hamb, r.items[0].ID, 5, 0, nil)
	r.d.SetStock(t, r.hamb, r.items[1].ID, 9, 0, &off) // not sold in Hamburg
	r.d.SetStock(t, r.munich, r.items[0].ID, 50, 1250, nil)
	r.d.SetStock(t, r.munich, r.items[1].ID, 7, 0, nil)
	r.cashier = r.d.AddCashier(t, pos.Cashier{Number: "201", Name: "Hanna"}, "4321", r.hamb)
	var err error
	if r.initial, err = store.StockSnapshot(context.Background(), r.d.Admin); err != nil {
		t.Fatal(err)
	}
	r.db = r.d.Open(t)
	return r
}

func (r *chainRig) checkout(storeID, till string) *pos.Checkout {
	return &pos.Checkout{Sales: r.db.AtStore(storeID), Gateway: &simpay.Gateway{}, Settings: pos.Settings{
		StoreID: storeID, TillID: till, Currency: pos.EUR(), TaxMode: pos.TaxInclusive, Scan: pos.DefaultScanRules()}}
}

func (r *chainRig) sell(t *testing.T, storeID string, item, qty int) (pos.Sale, error) {
	t.Helper()
	return r.sellWithin(t, context.Background(), storeID, item, qty)
}

// sellWithin is sell under ctx (a deadline: the sale must not wait on a lock).
func (r *chainRig) sellWithin(t *testing.T, ctx context.Context, storeID string, item, qty int) (pos.Sale, error) {
	t.Helper()
	co := r.checkout(storeID, "till-1")
	b := &pos.Basket{Key: pos.NewKey()}
	line, err := pos.NewLine(r.items[item], pos.Scan{Quantity: int64(qty)})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(line); err != nil {
		t.Fatal(err)
	}
	sale, err := co.Draft(b, r.cashier.ID)
	if err != nil {
		t.Fatal(err)
	}
	return co.Reserve(ctx, sale)
}

func (r *chainRig) stock(t *testing.T, storeID string, item int) int64 {
	t.Helper()
	s, err := store.StockSnapshot(context.Background(), r.d.Admin)
	if err != nil {
		t.Fatal(err)
	}
	return s[store.StockKey{Store: storeID, Item: r.items[item].ID}]
}

// TestStockPerStore: a sale takes stock from its own store's rows only,
// is short by its own store's stock, respects the store's active flag,
// and gives back to its own store when released.
func TestStockPerStore(t *testing.T) {
	r := newChainRig(t)
	ctx := context.Background()
	if _, err := r.sell(t, r.hamb, 0, 6); pos.ErrorCode(err) != pos.EOutOfStock {
		t.Fatalf("6 of an item Hamburg has 5 of (Munich 50): %v", err)
	}
	sale, err := r.sell(t, r.hamb, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	if h, m := r.stock(t, r.hamb, 0), r.stock(t, r.munich, 0); h != 0 || m != 50 {
		t.Errorf("after Hamburg sold 5: Hamburg %d (want 0), Munich %d (want 50)", h, m)
	}
	if _, err := r.sell(t, r.hamb, 1, 1); pos.ErrorCode(err) != pos.EInvalid {
		t.Errorf("an item switched off in Hamburg: %v", err)
	}
	if _, err := r.sell(t, r.munich, 1, 7); err != nil {
		t.Errorf("the same item in Munich: %v", err)
	}
	if _, err := r.sell(t, "store-nowhere", 0, 1); pos.ErrorCode(err) != pos.EInvalid {
		t.Errorf("a store with no stock rows: %v", err)
	}
	if _, err := r.checkout(r.hamb, "till-1").Release(ctx, sale.Key, pos.SaleVoided); err != nil {
		t.Fatal(err)
	}
	if h, m := r.stock(t, r.hamb, 0), r.stock(t, r.munich, 0); h != 5 || m != 50 {
		t.Errorf("after the release: Hamburg %d (want 5), Munich %d (want 50)", h, m)
	}
	checkInvariants(t, r.d, r.initial)
	// A sale recorded at Munich cannot pass for Hamburg's in the check.
	if _, err := r.d.Admin.Exec(`UPDATE store_inventory SET stock_quantity = stock_quantity - 1
		WHERE store_id = ? AND item_id = ?`, r.munich, r.items[0].ID); err != nil {
		t.Fatal(err)
	}
	bad, err := store.CheckInvariants(ctx, r.d.Admin, r.initial)
	if err != nil || len(bad) != 1 {
		t.Errorf("one unit gone from Munich's shelf: %q, %v", bad, err)
	}
}

// TestCatalogPerStore: a till's catalogue has its store's prices and
// active flags; an item the store has no row for is inactive there.
func TestCatalogPerStore(t *testing.T) {
	r := newChainRig(t)
	ctx := context.Background()
	extra := r.d.AddItem(t, pos.Item{Code: "CH9", Name: "Munich only", Price: 300, TaxRate: 700, Active: true}, 1)
	if _, err := r.d.Admin.Exec(`DELETE FROM store_inventory WHERE store_id = ? AND item_id = ?`, r.hamb, extra.ID); err != nil {
		t.Fatal(err)
	}
	type view struct {
		price  pos.Money
		active bool
	}
	read := func(storeID string) map[string]view {
		items, err := r.db.AtStore(storeID).Items(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]view{}
		for _, it := range items {
			out[it.Code] = view{it.Price, it.Active}
		}
		return out
	}
	h, m, chain := read(r.hamb), read(r.munich), read("")
	want := []struct {
		code   string
		h, m   view
		chainV view
	}{
		{"CH0", view{1000, true}, view{1250, true}, view{1000, true}},
		{"CH1", view{1000, false}, view{1000, true}, view{1000, true}},
		{"CH9", view{300, false}, view{300, true}, view{300, true}},
	}
	for _, w := range want {
		if h[w.code] != w.h || m[w.code] != w.m || chain[w.code] != w.chainV {
			t.Errorf("%s: Hamburg %+v Munich %+v chain %+v; want %+v %+v %+v", w.code, h[w.code], m[w.code],
				chain[w.code], w.h, w.m, w.chainV)
		}
	}
	// A store's price change is what a refresh brings, and only there.
	time.Sleep(5 * time.Millisecond)
	since := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	r.d.SetStock(t, r.munich, r.items[1].ID, 7, 999, nil)
	got, err := r.db.AtStore(r.munich).Items(ctx, since)
	if err != nil || len(got) != 1 || got[0].Code != "CH1" || got[0].Price != 999 {
		t.Errorf("Munich's refresh after its price change: %+v, %v", got, err)
	}
	if got, err := r.db.AtStore(r.hamb).Items(ctx, since); err != nil || len(got) != 0 {
		t.Errorf("Hamburg's refresh after Munich's price change: %+v, %v", got, err)
	}
}

// TestSignInStores: a cashier signs in only at their stores; the refusal
// is audited, reads like any other, and a right PIN elsewhere neither
// counts as wrong nor resets the count.
func TestSignInStores(t *testing.T) {
	r := newChainRig(t)
	ctx := context.Background()
	if c, err := r.db.SignIn(ctx, r.hamb, "till-1", "201", "4321"); err != nil || c.ID != r.cashier.ID {
		t.Fatalf("at the cashier's store: %+v, %v", c, err)
	}
	if _, err := r.db.SignIn(ctx, r.munich, "till-1", "201", "0000"); pos.ErrorCode(err) != pos.EInvalid {
		t.Fatalf("a wrong PIN at another store: %v", err)
	}
	_, err := r.db.SignIn(ctx, r.munich, "till-2", "201", "4321")
	if pos.ErrorCode(err) != pos.EInvalid || pos.ErrorMessage(err) != store.SignInRefused {
		t.Fatalf("the right PIN at another store: %v", err)
	}
	var action, detail string
	var failed int
	if err := r.d.Admin.QueryRow(`SELECT action, detail FROM audit_log ORDER BY audit_id DESC LIMIT 1`).
		Scan(&action, &detail); err != nil {
		t.Fatal(err)
	}
	r.d.Admin.QueryRow(`SELECT failed_attempts FROM cashiers WHERE cashier_id = ?`, r.cashier.ID).Scan(&failed)
	if action != "sign_in_store" || detail != "refused: the cashier may not sign in at store munich-1 (the PIN was right)" || failed != 1 {
		t.Errorf("audit %s %q, failed attempts %d; want sign_in_store, 1 (the wrong PIN at Munich)", action, detail, failed)
	}
}

// TestTillLease: a second till with the same (store, till) is refused
// while the first holds it; a lease that ran out (a crash) or was released
// (a quit) lets it in; a holder that lost its lease hears so on renewal.
func TestTillLease(t *testing.T) {
	r := newChainRig(t)
	ctx := context.Background()
	a := store.Lease{Store: r.hamb, Till: "till-1", Key: pos.NewKey(), Host: "pos-a", PID: 11, Version: "v1", TTL: time.Second}
	b := a
	b.Key, b.Host, b.PID, b.Version = pos.NewKey(), "pos-b", 22, "v2"
	if err := r.db.AcquireTill(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.db.AcquireTill(ctx, a, nil); err != nil {
		t.Fatalf("the holder again: %v", err)
	}
	err := r.db.AcquireTill(ctx, b, nil)
	if pos.ErrorCode(err) != pos.EConflict || !strings.Contains(err.Error(), "till till-1 of store hamburg-1 is already running") ||
		!strings.Contains(err.Error(), "pos-a") {
		t.Fatalf("a second till with the same ids: %v", err)
	}
	other := b
	other.Till = "till-2"
	if err := r.db.AcquireTill(ctx, other, nil); err != nil {
		t.Fatalf("another till id: %v", err)
	}
	if err := r.db.AcquireTill(ctx, store.Lease{Store: "nowhere", Till: "t", Key: pos.NewKey(), TTL: time.Second}, nil); pos.ErrorCode(err) != pos.ENotFound {
		t.Fatalf("an unknown store: %v", err)
	}
	// The holder's process is gone (same machine): no need to wait.
	if err := r.db.AcquireTill(ctx, b, func(host string, pid int) bool { return host == "pos-a" && pid == 11 }); err != nil {
		t.Fatalf("taking over from a dead process: %v", err)
	}
	if err := r.db.RenewTill(ctx, a); pos.ErrorCode(err) != pos.EConflict {
		t.Fatalf("renewing a lease taken over: %v", err)
	}
	if err := r.db.RenewTill(ctx, b); err != nil {
		t.Fatal(err)
	}
	// A crash: the lease runs out.
	time.Sleep(1100 * time.Millisecond)
	if err := r.db.AcquireTill(ctx, a, nil); err != nil {
		t.Fatalf("after the lease ran out: %v", err)
	}
	if err := r.db.ReleaseTill(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := r.db.AcquireTill(ctx, b, nil); err != nil {
		t.Fatalf("after a release: %v", err)
	}
	list, err := store.ListStores(ctx, r.d.Admin)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, s := range list {
		for _, tl := range s.Tills {
			seen = append(seen, fmt.Sprintf("%s/%s %s live=%v", tl.Store, tl.Till, tl.Version, tl.Live))
			if tl.LastSeen.IsZero() {
				t.Errorf("%s/%s has no last-seen time", tl.Store, tl.Till)
			}
		}
	}
	if want := "[hamburg-1/till-1 v2 live=true hamburg-1/till-2 v2 live=false]"; fmt.Sprint(seen) != want {
		t.Errorf("tills: %v, want %s", seen, want)
	}
}

// TestStoresDoNotBlockEachOther: while a transaction holds Hamburg's row
// of an item, Munich sells the same item at once; a Hamburg sale waits.
func TestStoresDoNotBlockEachOther(t *testing.T) {
	r := newChainRig(t)
	ctx := context.Background()
	hold, err := r.d.Admin.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	if _, err := hold.Exec(`SELECT stock_quantity FROM store_inventory WHERE store_id = ? AND item_id = ? FOR UPDATE`,
		r.hamb, r.items[0].ID); err != nil {
		t.Fatal(err)
	}
	// Munich's sale must not wait on Hamburg's lock: with a deadline far
	// below the lock wait timeout, waiting would fail it.
	within, cancelMunich := context.WithTimeout(ctx, 2*time.Second)
	defer cancelMunich()
	if _, err := r.sellWithin(t, within, r.munich, 0, 1); err != nil {
		t.Fatalf("Munich while Hamburg's row is held: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	co := r.checkout(r.hamb, "till-2")
	b := &pos.Basket{Key: pos.NewKey()}
	line, _ := pos.NewLine(r.items[0], pos.Scan{Quantity: 1})
	if err := b.Add(line); err != nil {
		t.Fatal(err)
	}
	sale, err := co.Draft(b, r.cashier.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := co.Reserve(short, sale); err == nil {
		t.Error("a Hamburg sale went through while Hamburg's row was held")
	}
}

// TestPendingSalesPerStore: every store may have a till-1; a till recovers
// only its own store's pending sales.
func TestPendingSalesPerStore(t *testing.T) {
	r := newChainRig(t)
	ctx := context.Background()
	h, err := r.sell(t, r.hamb, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.sell(t, r.munich, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	for _, c := range []struct{ store, want string }{{r.hamb, h.Key}, {r.munich, m.Key}} {
		got, err := r.db.AtStore(c.store).PendingSales(ctx, "till-1", later)
		if err != nil || len(got) != 1 || got[0].Key != c.want {
			t.Errorf("%s's till-1 pending: %d sales, %v", c.store, len(got), err)
		}
	}
	if all, err := r.db.PendingSales(ctx, "till-1", later); err != nil || len(all) != 2 {
		t.Errorf("every store's till-1 (a tool): %d, %v", len(all), err)
	}
}

// TestSeedTwoStores: the seed makes the two demo stores, stocks every demo
// item at them and at every store already there, lets every demo cashier
// sign in at each, and changes nothing when run again.
func TestSeedTwoStores(t *testing.T) {
	d := storetest.NewDatabase(t) // store-1 and the TestStores
	ctx := context.Background()
	data := demo.Data(pos.DefaultScanRules())
	rep, err := store.Seed(ctx, d.Admin, data, "lab-9")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range rep.Stores {
		ids = append(ids, s.ID)
	}
	if fmt.Sprint(ids) != "[store-1 store-2 lab-9 berlin-1 s1]" {
		t.Errorf("seeded stores %v", ids)
	}
	count := func(q string, args ...any) int {
		var n int
		if err := d.Admin.QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM store_inventory`); n != 5*len(data.Items) {
		t.Errorf("%d stock rows, want %d", n, 5*len(data.Items))
	}
	if n := count(`SELECT COUNT(*) FROM cashier_stores`); n != 5*len(data.Cashiers) {
		t.Errorf("%d cashier-store rows, want %d", n, 5*len(data.Cashiers))
	}
	db := d.Open(t)
	info, err := db.Store(ctx, "store-1")
	if err != nil || info.Name != "Demo Markt Mitte" || info.TimeZone != "Europe/Berlin" {
		t.Errorf("store-1 after the seed (the migration made it bare): %+v, %v", info, err)
	}
	if _, err := d.Admin.Exec(`UPDATE store_inventory SET stock_quantity = 1 WHERE store_id = 'store-2'`); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Seed(ctx, d.Admin, data); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT COUNT(*) FROM store_inventory WHERE store_id = 'store-2' AND stock_quantity <> 1`); n != 0 {
		t.Errorf("seeding again changed %d of store-2's stock figures", n)
	}
	if c, err := db.SignIn(ctx, "store-2", "t1", data.Cashiers[0].Cashier.Number, data.Cashiers[0].PIN); err != nil || c.ID == 0 {
		t.Errorf("a demo cashier at store-2: %v", err)
	}
}

// TestMigrateChainDownAndUp: 00004 rolls back to one stock number per item
// (the sum over the stores) and applies again.
func TestMigrateChainDownAndUp(t *testing.T) {
	r := newChainRig(t) // stock of item 0: 5 in Hamburg, 50 in Munich, 0 at store-1 and s1
	ctx := context.Background()
	if err := store.MigrateDownTo(ctx, r.d.Admin, 3); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := r.d.Admin.QueryRow(`SELECT stock_quantity FROM inventory WHERE item_id = ?`, r.items[0].ID).Scan(&n); err != nil || n != 55 {
		t.Errorf("item 0 after rolling back: %d, %v; want 55", n, err)
	}
	if _, err := store.Migrate(ctx, r.d.Admin); err != nil {
		t.Fatal(err)
	}
	s, err := store.StockSnapshot(ctx, r.d.Admin)
	if err != nil || s[store.StockKey{Store: "store-1", Item: r.items[0].ID}] != 55 {
		t.Errorf("after migrating again: %v, %v", s, err)
	}
}
