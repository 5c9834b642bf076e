package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store/demo"
)

// SeedReport says what Seed loaded.
type SeedReport struct {
	Items, Customers, Cashiers int
}

// Seed loads the demo store (package demo). It is idempotent: items and customers are
// matched by code and card, cashiers by number; running it again changes
// nothing already there (stock and points included).
func Seed(ctx context.Context, admin *sql.DB, d demo.Store) (SeedReport, error) {
	now := time.Now().UTC()
	const batch = 100
	for start := 0; start < len(d.Items); start += batch {
		part := d.Items[start:min(start+batch, len(d.Items))]
		args := make([]any, 0, 8*len(part))
		for _, it := range part {
			if err := it.Item.Validate(); err != nil {
				return SeedReport{}, err
			}
			args = append(args, it.Item.Code, it.Item.Name, dec(it.Item.Price), it.Item.TaxRate,
				it.Item.Weighed, it.Item.Active, it.Stock, now)
		}
		if _, err := admin.ExecContext(ctx, `INSERT INTO inventory
			(code, item_name, price, tax_rate_bp, weighed, active, stock_quantity, updated_at)
			VALUES `+repeatJoin("(?, ?, ?, ?, ?, ?, ?, ?)", len(part))+`
			ON DUPLICATE KEY UPDATE code = code`, args...); err != nil {
			return SeedReport{}, fmt.Errorf("seed items: %w", err)
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
		if _, err := admin.ExecContext(ctx, `INSERT INTO cashiers (number, name, pin_hash, manager)
			VALUES (?, ?, ?, ?)`, c.Cashier.Number, c.Cashier.Name, hash, c.Cashier.Manager); err != nil {
			return SeedReport{}, fmt.Errorf("seed cashiers: %w", err)
		}
	}
	return SeedReport{Items: len(d.Items), Customers: len(d.Customers), Cashiers: len(d.Cashiers)}, nil
}
