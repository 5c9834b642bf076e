package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
)

// The fixture builder: rows a test needs in its database, inserted as the
// administrative user and returned with the ids the database gave them.
// Every package's fixtures use these, so a change to the schema is made
// here once.

// TestStore is the store most tests sell at ("s1").
const TestStore = "s1"

// TestStores are the stores NewDatabase adds next to the migration's own
// store-1: the store ids the repository's tests sell at. AddItem stocks
// and AddCashier admits every store there is, so a test that sells at one
// of these needs no more; a test of its own stores calls AddStore first.
func TestStores() []string { return []string{TestStore, "berlin-1"} }

// AddStore adds a store (with no stock and no cashiers).
func (d *Database) AddStore(tb testing.TB, s store.StoreInfo) {
	tb.Helper()
	if err := store.AddStore(context.Background(), d.Admin, s); err != nil {
		tb.Fatal(err)
	}
}

// AddItem inserts a catalogue item and gives every store in the database
// the starting stock (pieces, or grams when weighed). Its Code, Name,
// Price, TaxRate, Weighed and Active are stored, updated_at is the
// server's time.
func (d *Database) AddItem(tb testing.TB, it pos.Item, stock int64) pos.Item {
	tb.Helper()
	ctx := context.Background()
	res, err := d.Admin.ExecContext(ctx, `INSERT INTO inventory (code, item_name, price,
			tax_rate_bp, weighed, active, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, NOW(6))`,
		it.Code, it.Name, decimal(it.Price), it.TaxRate, it.Weighed, it.Active)
	it.ID = pos.ItemID(insertID(tb, "item "+it.Code, res, err))
	if _, err := d.Admin.ExecContext(ctx, `INSERT INTO store_inventory (store_id, item_id, stock_quantity, updated_at)
		SELECT store_id, ?, ?, NOW(6) FROM stores`, int64(it.ID), stock); err != nil {
		tb.Fatalf("stock item %s: %v", it.Code, err)
	}
	return it
}

// SetStock sets an item's stock at a store (adding the store's row), with
// the store's own price (0: the chain's) and active flag (nil: the chain's).
func (d *Database) SetStock(tb testing.TB, storeID string, item pos.ItemID, stock int64, price pos.Money, active *bool) {
	tb.Helper()
	var p, a any
	if price != 0 {
		p = decimal(price)
	}
	if active != nil {
		a = *active
	}
	if _, err := d.Admin.ExecContext(context.Background(), `INSERT INTO store_inventory
			(store_id, item_id, stock_quantity, price, active, updated_at) VALUES (?, ?, ?, ?, ?, NOW(6))
		ON DUPLICATE KEY UPDATE stock_quantity = ?, price = ?, active = ?, updated_at = NOW(6)`,
		storeID, int64(item), stock, p, a, stock, p, a); err != nil {
		tb.Fatalf("stock item %d at %s: %v", item, storeID, err)
	}
}

// AddCashier inserts a cashier who signs in with pin (stored hashed, as
// the till does) at every store in the database, or only at the stores
// given.
func (d *Database) AddCashier(tb testing.TB, c pos.Cashier, pin string, stores ...string) pos.Cashier {
	tb.Helper()
	hash, err := pos.HashPIN(pin)
	if err != nil {
		tb.Fatalf("cashier %s: %v", c.Number, err)
	}
	ctx := context.Background()
	res, err := d.Admin.ExecContext(ctx, `INSERT INTO cashiers (number, name, pin_hash, manager)
		VALUES (?, ?, ?, ?)`, c.Number, c.Name, hash, c.Manager)
	c.ID = insertID(tb, "cashier "+c.Number, res, err)
	if len(stores) == 0 {
		_, err = d.Admin.ExecContext(ctx, `INSERT INTO cashier_stores (cashier_id, store_id)
			SELECT ?, store_id FROM stores`, c.ID)
	}
	for _, s := range stores {
		if err != nil {
			break
		}
		_, err = d.Admin.ExecContext(ctx, `INSERT INTO cashier_stores (cashier_id, store_id) VALUES (?, ?)`, c.ID, s)
	}
	if err != nil {
		tb.Fatalf("cashier %s's stores: %v", c.Number, err)
	}
	return c
}

// AddCustomer inserts a loyalty customer; an empty email, phone or card is
// stored as NULL, as the unique keys on them need.
func (d *Database) AddCustomer(tb testing.TB, c pos.Customer) pos.Customer {
	tb.Helper()
	res, err := d.Admin.ExecContext(context.Background(), `INSERT INTO customers
			(name, email, phone, loyalty_card, loyalty_points)
		VALUES (?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), ?)`,
		c.Name, c.Email, c.Phone, c.LoyaltyCard, c.LoyaltyPoints)
	c.ID = insertID(tb, "customer "+c.Name, res, err)
	return c
}

func insertID(tb testing.TB, what string, res sql.Result, err error) int64 {
	tb.Helper()
	if err != nil {
		tb.Fatalf("insert %s: %v", what, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		tb.Fatalf("insert %s: %v", what, err)
	}
	return id
}

// decimal writes minor units as the DECIMAL(12,2) the schema keeps.
func decimal(m pos.Money) string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d.%02d", sign, m/100, m%100)
}
