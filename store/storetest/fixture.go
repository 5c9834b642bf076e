package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/till-pos/till/pos"
)

// The fixture builder: rows a test needs in its database, inserted as the
// administrative user and returned with the ids the database gave them.
// Every package's fixtures use these, so a change to the schema is made
// here once.

// AddItem inserts a catalogue item with its starting stock (pieces, or
// grams when weighed). Its Code, Name, Price, TaxRate, Weighed and Active
// are stored, updated_at is the server's time.
func (d *Database) AddItem(tb testing.TB, it pos.Item, stock int64) pos.Item {
	tb.Helper()
	res, err := d.Admin.ExecContext(context.Background(), `INSERT INTO inventory (code, item_name, price,
			tax_rate_bp, weighed, active, stock_quantity, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, NOW(6))`,
		it.Code, it.Name, decimal(it.Price), it.TaxRate, it.Weighed, it.Active, stock)
	it.ID = pos.ItemID(insertID(tb, "item "+it.Code, res, err))
	return it
}

// AddCashier inserts a cashier who signs in with pin (stored hashed, as
// the till does).
func (d *Database) AddCashier(tb testing.TB, c pos.Cashier, pin string) pos.Cashier {
	tb.Helper()
	hash, err := pos.HashPIN(pin)
	if err != nil {
		tb.Fatalf("cashier %s: %v", c.Number, err)
	}
	res, err := d.Admin.ExecContext(context.Background(), `INSERT INTO cashiers (number, name, pin_hash, manager)
		VALUES (?, ?, ?, ?)`, c.Number, c.Name, hash, c.Manager)
	c.ID = insertID(tb, "cashier "+c.Number, res, err)
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
