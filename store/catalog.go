package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/till-pos/till/pos"
)

var (
	_ pos.Catalog   = (*DB)(nil)
	_ pos.Customers = (*DB)(nil)
	_ pos.Cashiers  = (*DB)(nil)
	_ pos.AuditLog  = (*DB)(nil)
)

// Items returns the catalog items changed at or after since, from the
// reader (falling back to the writer if the reader is down).
func (db *DB) Items(ctx context.Context, since time.Time) ([]pos.Item, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	var items []pos.Item
	err := db.read(ctx, func(q *sql.DB) error {
		items = items[:0]
		rows, err := q.QueryContext(ctx, `SELECT item_id, code, item_name, price, tax_rate_bp, weighed,
				active, updated_at
			FROM inventory WHERE updated_at >= ? ORDER BY updated_at, item_id`, since.UTC())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var it pos.Item
			if err := rows.Scan(&it.ID, &it.Code, &it.Name, money{&it.Price}, &it.TaxRate, &it.Weighed,
				&it.Active, &it.UpdatedAt); err != nil {
				return err
			}
			items = append(items, it)
		}
		return rows.Err()
	})
	return items, mapError(err, "load the catalog")
}

// read runs a read on the reader pool and, if the reader cannot be
// reached, once more on the writer.
func (db *DB) read(ctx context.Context, fn func(*sql.DB) error) error {
	err := fn(db.reader)
	if err != nil && db.reader != db.writer && connectionLost(err) && ctx.Err() == nil {
		err = fn(db.writer)
	}
	return err
}

// FindCustomers matches a loyalty card, phone, email or the start of a name.
func (db *DB) FindCustomers(ctx context.Context, query string, limit int) ([]pos.Customer, error) {
	query = strings.TrimSpace(query)
	if query == "" {
		return nil, pos.Errorf(pos.EInvalid, "type a phone number, email, name or card")
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	ctx, cancel := db.call(ctx)
	defer cancel()
	like := escapeLike(query) + "%"
	phone := digitsOnly(query)
	if phone == "" {
		phone = "-"
	}
	var out []pos.Customer
	err := db.read(ctx, func(q *sql.DB) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, customerColumns+`
			WHERE loyalty_card = ? OR email = ? OR phone LIKE ? OR name LIKE ?
			ORDER BY name LIMIT ?`, query, query, "%"+escapeLike(phone), like, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCustomer(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, mapError(err, "look up customers")
}

// CustomerByCard returns the customer holding a loyalty card.
func (db *DB) CustomerByCard(ctx context.Context, card string) (pos.Customer, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	var c pos.Customer
	err := db.read(ctx, func(q *sql.DB) error {
		var err error
		c, err = scanCustomer(q.QueryRowContext(ctx, customerColumns+` WHERE loyalty_card = ?`, card))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return c, pos.Errorf(pos.ENotFound, "loyalty card %s is not registered", card)
	}
	return c, mapError(err, "look up the loyalty card")
}

const customerColumns = `SELECT customer_id, name, COALESCE(email, ''), COALESCE(phone, ''),
	COALESCE(loyalty_card, ''), loyalty_points FROM customers`

func scanCustomer(r interface{ Scan(...any) error }) (pos.Customer, error) {
	var c pos.Customer
	err := r.Scan(&c.ID, &c.Name, &c.Email, &c.Phone, &c.LoyaltyCard, &c.LoyaltyPoints)
	return c, err
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Audit appends an entry to the audit log.
func (db *DB) Audit(ctx context.Context, e pos.AuditEntry) error {
	ctx, cancel := db.call(ctx)
	defer cancel()
	var cashier, sale any
	if e.CashierID != 0 {
		cashier = e.CashierID
	}
	if e.SaleKey != "" {
		sale = e.SaleKey
	}
	_, err := db.writer.ExecContext(ctx, `INSERT INTO audit_log
		(at, store_id, till_id, cashier_id, action, sale_key, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		db.now().UTC(), e.StoreID, e.TillID, cashier, e.Action, sale, truncate(e.Detail, 1024))
	return mapError(err, "write the audit log")
}
