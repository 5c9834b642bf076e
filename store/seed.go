package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store/demo"
)

// SeedReport says what Seed loaded.
type SeedReport struct {
	Items, Customers, Cashiers int
	Stores                     []StoreInfo
}

// DemoStores are the two stores of the demo chain: store-1 (the till's
// default store id, and the store migration 00004 makes) and store-2.
// Every demo item is stocked at both and every demo cashier may sign in
// at both.
func DemoStores() []StoreInfo {
	return []StoreInfo{
		{ID: "store-1", Name: "Demo Markt Mitte", Address: "Invalidenstraße 1, 10115 Berlin",
			TaxID: "DE000000001", Currency: "EUR", TimeZone: "Europe/Berlin", TaxMode: "inclusive"},
		{ID: "store-2", Name: "Demo Markt Hafen", Address: "Am Sandtorkai 1, 20457 Hamburg",
			TaxID: "DE000000002", Currency: "EUR", TimeZone: "Europe/Berlin", TaxMode: "inclusive"},
	}
}

// Seed loads the demo store (package demo) into the two DemoStores, and
// into every other store the database already has (a training or test
// database's own stores): every store stocks every demo item and every
// demo cashier may sign in at every store. It is idempotent: items and
// customers are matched by code and card, cashiers by number, stock rows
// by store and item; running it again changes nothing already there
// (stock and points included).
//
// Stores names more store ids to seed alike (the till's own, when it is
// not a demo store's): a missing one is added with its id for a name.
func Seed(ctx context.Context, admin *sql.DB, d demo.Store, stores ...string) (SeedReport, error) {
	now := time.Now().UTC()
	const batch = 100
	all := DemoStores()
	for _, id := range stores {
		if !slices.ContainsFunc(all, func(s StoreInfo) bool { return s.ID == id }) {
			all = append(all, StoreInfo{ID: id})
		}
	}
	return seed(ctx, admin, d, all, now, batch)
}

func seed(ctx context.Context, admin *sql.DB, d demo.Store, stores []StoreInfo, now time.Time, batch int) (SeedReport, error) {
	for _, st := range stores {
		if err := AddStore(ctx, admin, st); err != nil {
			return SeedReport{}, fmt.Errorf("seed stores: %w", err)
		}
	}
	rows, err := admin.QueryContext(ctx, storeColumns+` ORDER BY store_id`)
	if err != nil {
		return SeedReport{}, fmt.Errorf("seed stores: %w", err)
	}
	for rows.Next() {
		st, err := scanStore(rows)
		if err != nil {
			rows.Close()
			return SeedReport{}, fmt.Errorf("seed stores: %w", err)
		}
		if !slices.ContainsFunc(stores, func(s StoreInfo) bool { return s.ID == st.ID }) {
			stores = append(stores, st)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return SeedReport{}, fmt.Errorf("seed stores: %w", err)
	}
	for start := 0; start < len(d.Items); start += batch {
		part := d.Items[start:min(start+batch, len(d.Items))]
		args := make([]any, 0, 7*len(part))
		stock := make([]any, 0, 2*len(part))
		codes := make([]any, 0, len(part))
		for _, it := range part {
			if err := it.Item.Validate(); err != nil {
				return SeedReport{}, err
			}
			args = append(args, it.Item.Code, it.Item.Name, dec(it.Item.Price), it.Item.TaxRate,
				it.Item.Weighed, it.Item.Active, now)
			stock = append(stock, it.Item.Code, it.Stock)
			codes = append(codes, it.Item.Code)
		}
		if _, err := admin.ExecContext(ctx, `INSERT INTO inventory
			(code, item_name, price, tax_rate_bp, weighed, active, updated_at)
			VALUES `+repeatJoin("(?, ?, ?, ?, ?, ?, ?)", len(part))+`
			ON DUPLICATE KEY UPDATE code = code`, args...); err != nil {
			return SeedReport{}, fmt.Errorf("seed items: %w", err)
		}
		for _, st := range stores {
			if _, err := admin.ExecContext(ctx, `INSERT INTO store_inventory
				(store_id, item_id, stock_quantity, updated_at)
				SELECT ?, item_id, CASE code`+strings.Repeat(" WHEN ? THEN ?", len(part))+` END, ?
				FROM inventory WHERE code IN (`+placeholders(len(part))+`)
				ON DUPLICATE KEY UPDATE store_id = store_inventory.store_id`,
				slices.Concat([]any{st.ID}, stock, []any{now}, codes)...); err != nil {
				return SeedReport{}, fmt.Errorf("seed stock: %w", err)
			}
		}
	}
	for start := 0; start < len(d.Customers); start += batch {
		part := d.Customers[start:min(start+batch, len(d.Customers))]
		args := make([]any, 0, 5*len(part))
		for _, c := range part {
			args = append(args, c.Name, c.Email, c.Phone, c.LoyaltyCard, c.LoyaltyPoints)
		}
		if _, err := admin.ExecContext(ctx, `INSERT INTO customers
			(name, email, phone, loyalty_card, loyalty_points)
			VALUES `+repeatJoin("(?, ?, ?, ?, ?)", len(part))+`
			ON DUPLICATE KEY UPDATE customer_id = customer_id`, args...); err != nil {
			return SeedReport{}, fmt.Errorf("seed customers: %w", err)
		}
	}
	for _, c := range d.Cashiers {
		var exists int
		err := admin.QueryRowContext(ctx, `SELECT COUNT(*) FROM cashiers WHERE number = ?`, c.Cashier.Number).Scan(&exists)
		if err != nil {
			return SeedReport{}, fmt.Errorf("seed cashiers: %w", err)
		}
		if exists > 0 {
			continue
		}
		hash, err := pos.HashPIN(c.PIN)
		if err != nil {
			return SeedReport{}, err
		}
		// Demo cashiers may sign in offline (migration 00012), so a
		// trainer can show selling through a database outage. Only a
		// cashier seeded here is opted in: an existing one is left as is.
		if _, err := admin.ExecContext(ctx, `INSERT INTO cashiers (number, name, pin_hash, manager, offline_signin)
			VALUES (?, ?, ?, ?, TRUE)`, c.Cashier.Number, c.Cashier.Name, hash, c.Cashier.Manager); err != nil {
			return SeedReport{}, fmt.Errorf("seed cashiers: %w", err)
		}
	}
	// Demo cashiers sign in at every demo store.
	for _, c := range d.Cashiers {
		for _, st := range stores {
			if _, err := admin.ExecContext(ctx, `INSERT INTO cashier_stores (cashier_id, store_id)
				SELECT cashier_id, ? FROM cashiers WHERE number = ?
				ON DUPLICATE KEY UPDATE store_id = cashier_stores.store_id`, st.ID, c.Cashier.Number); err != nil {
				return SeedReport{}, fmt.Errorf("seed cashiers' stores: %w", err)
			}
		}
	}
	return SeedReport{Items: len(d.Items), Customers: len(d.Customers), Cashiers: len(d.Cashiers), Stores: stores}, nil
}
