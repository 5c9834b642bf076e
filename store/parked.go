package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/till-pos/till/pos"
)

// parkedDoc is a parked basket's JSON document: its customer and lines.
// The field names are the stored format; they do not follow pos's.
type parkedDoc struct {
	Customer *parkedCustomer `json:"customer"`
	Lines    []parkedLine    `json:"lines"`
}

type parkedCustomer struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Phone  string `json:"phone,omitempty"`
	Email  string `json:"email,omitempty"`
	Card   string `json:"card"`
	Points int64  `json:"points"`
}

type parkedLine struct {
	ItemID     int64  `json:"item_id"`
	Code       string `json:"code"`
	Name       string `json:"name"`
	Weighed    bool   `json:"weighed,omitempty"`
	Quantity   int64  `json:"quantity"`
	UnitPrice  string `json:"unit_price"`
	ListPrice  string `json:"list_price"`
	Overridden bool   `json:"price_overridden,omitempty"`
	Discount   string `json:"discount"`
	TaxRate    int    `json:"tax_rate_bp"`
}

func encodeParked(p pos.ParkedBasket) ([]byte, error) {
	var d parkedDoc
	if c := p.Customer; c != nil {
		d.Customer = &parkedCustomer{ID: c.ID, Name: c.Name, Phone: c.Phone, Email: c.Email, Card: c.LoyaltyCard, Points: c.LoyaltyPoints}
	}
	d.Lines = make([]parkedLine, 0, len(p.Lines))
	for _, l := range p.Lines {
		d.Lines = append(d.Lines, parkedLine{ItemID: int64(l.ItemID), Code: l.Code, Name: l.Name, Weighed: l.Weighed,
			Quantity: l.Quantity, UnitPrice: dec(l.UnitPrice), ListPrice: dec(l.ListPrice), Overridden: l.PriceOverridden,
			Discount: dec(l.Discount), TaxRate: l.TaxRate})
	}
	return json.Marshal(d)
}

func decodeParked(b []byte, p *pos.ParkedBasket) error {
	var d parkedDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("parked basket %d: %w", p.Number, err)
	}
	if c := d.Customer; c != nil {
		p.Customer = &pos.Customer{ID: c.ID, Name: c.Name, Phone: c.Phone, Email: c.Email, LoyaltyCard: c.Card, LoyaltyPoints: c.Points}
	}
	for _, l := range d.Lines {
		pl := pos.ParkedLine{Line: pos.Line{ItemID: pos.ItemID(l.ItemID), Code: l.Code, Name: l.Name, Weighed: l.Weighed,
			Quantity: l.Quantity, PriceOverridden: l.Overridden, TaxRate: l.TaxRate}}
		var err error
		for _, f := range []struct {
			s string
			m *pos.Money
		}{{l.UnitPrice, &pl.UnitPrice}, {l.ListPrice, &pl.ListPrice}, {l.Discount, &pl.Discount}} {
			if *f.m, err = parseDec(f.s); err != nil {
				return fmt.Errorf("parked basket %d: %w", p.Number, err)
			}
		}
		p.Lines = append(p.Lines, pl)
	}
	return nil
}

const parkedColumns = `parked_id, park_key, store_id, till_id, cashier_id, total_amount, basket, status,
	parked_at, COALESCE(resumed_till, ''), COALESCE(resumed_by, 0), COALESCE(resumed_key, ''), resumed_at`

func scanParked(row interface{ Scan(...any) error }) (pos.ParkedBasket, error) {
	var p pos.ParkedBasket
	var doc []byte
	var resumed sql.NullTime
	err := row.Scan(&p.Number, &p.Key, &p.StoreID, &p.TillID, &p.CashierID, money{&p.Total}, &doc, &p.Status,
		&p.ParkedAt, &p.ResumedTill, &p.ResumedBy, &p.ResumedKey, &resumed)
	if err != nil {
		return p, err
	}
	p.ResumedAt = resumed.Time
	return p, decodeParked(doc, &p)
}

// Park stores a basket without taking stock, and audits it, in one
// transaction. Parking the same sale key again returns the first.
func (db *DB) Park(ctx context.Context, p pos.ParkedBasket) (pos.ParkedBasket, error) {
	if len(p.Lines) == 0 {
		return pos.ParkedBasket{}, pos.Errorf(pos.EInvalid, "the basket is empty: nothing to park")
	}
	doc, err := encodeParked(p)
	if err != nil {
		return pos.ParkedBasket{}, pos.WrapError(pos.EInternal, err, "park the basket")
	}
	var out pos.ParkedBasket
	err = db.withTx(ctx, func(tx *txn) error {
		var customer any
		if p.Customer != nil {
			customer = p.Customer.ID
		}
		// The document goes as a string: MySQL 8 refuses a JSON value from
		// a binary one ([]byte).
		res, err := tx.ExecContext(ctx, `INSERT INTO parked_baskets (park_key, store_id, till_id, cashier_id,
				customer_id, line_count, total_amount, basket, status, parked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'parked', ?)`,
			p.Key, p.StoreID, p.TillID, p.CashierID, customer, len(p.Lines), dec(p.Total), string(doc), tx.now)
		if mysqlCode(err) == errDupEntry {
			// Parked before (also by a till racing this one): the unique
			// key answers, with no read ahead of it.
			return errExists
		}
		if err != nil {
			return err
		}
		out = p
		out.Status, out.ParkedAt = pos.ParkedWaiting, tx.now
		if out.Number, err = res.LastInsertId(); err != nil {
			return err
		}
		return insertAudit(ctx, tx, returnHead{storeID: p.StoreID, tillID: p.TillID, cashierID: p.CashierID, saleKey: p.Key},
			"park", fmt.Sprintf("parked ticket %s: %d lines, total %s", pos.ParkedCode(out.Number), len(p.Lines), dec(p.Total)))
	})
	if errors.Is(err, errExists) {
		first, err := db.parkedBy(ctx, `park_key = ?`, p.Key)
		if err != nil {
			return pos.ParkedBasket{}, mapError(err, "park the basket")
		}
		return first, nil
	}
	return out, mapError(err, "park the basket")
}

func (db *DB) parkedBy(ctx context.Context, where string, args ...any) (pos.ParkedBasket, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	p, err := scanParked(db.writer.QueryRowContext(ctx, `SELECT `+parkedColumns+` FROM parked_baskets WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return p, pos.Errorf(pos.ENotFound, "no such parked basket")
	}
	return p, err
}

// ParkedBaskets lists a store's baskets still waiting, oldest first.
func (db *DB) ParkedBaskets(ctx context.Context, storeID string) ([]pos.ParkedBasket, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	rows, err := db.writer.QueryContext(ctx, `SELECT `+parkedColumns+` FROM parked_baskets
		WHERE store_id = ? AND status = 'parked' ORDER BY parked_at, parked_id LIMIT 200`, storeID)
	if err != nil {
		return nil, mapError(err, "list the parked baskets")
	}
	defer rows.Close()
	var out []pos.ParkedBasket
	for rows.Next() {
		p, err := scanParked(rows)
		if err != nil {
			return nil, mapError(err, "list the parked baskets")
		}
		out = append(out, p)
	}
	return out, mapError(rows.Err(), "list the parked baskets")
}

// Resume takes a waiting basket of storeID back into the sale r.SaleKey,
// exactly once: the conditional UPDATE (status still 'parked') decides
// between two tills; the loser gets EConflict naming who resumed it. The
// same resumption again (its sale key) returns the basket again, so a
// till whose answer was lost can ask once more. Audited in the same
// transaction.
func (db *DB) Resume(ctx context.Context, storeID string, number int64, r pos.Resumption) (pos.ParkedBasket, error) {
	var out pos.ParkedBasket
	err := db.withTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE parked_baskets
			SET status = 'resumed', resumed_till = ?, resumed_by = ?, resumed_key = ?, resumed_at = ?
			WHERE parked_id = ? AND store_id = ? AND status = 'parked'`,
			r.TillID, r.CashierID, r.SaleKey, tx.now, number, storeID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		p, err := scanParked(tx.QueryRowContext(ctx, `SELECT `+parkedColumns+` FROM parked_baskets
			WHERE parked_id = ? AND store_id = ?`, number, storeID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return pos.Errorf(pos.ENotFound, "no parked basket %s at this store", pos.ParkedCode(number))
		case err != nil:
			return err
		case n == 0 && p.ResumedKey == r.SaleKey:
			out = p
			return errExists // resumed by this very call before: the same answer
		case n == 0:
			return pos.Errorf(pos.EConflict, "parked basket %s was already resumed at till %s", pos.ParkedCode(number), p.ResumedTill)
		}
		out = p
		return insertAudit(ctx, tx, returnHead{storeID: storeID, tillID: r.TillID, cashierID: r.CashierID, saleKey: r.SaleKey},
			"resume_parked", fmt.Sprintf("resumed parked ticket %s (parked at till %s by cashier %d, sale %s)",
				pos.ParkedCode(number), p.TillID, p.CashierID, p.Key))
	})
	if errors.Is(err, errExists) {
		return out, nil
	}
	return out, mapError(err, "resume the parked basket")
}
