package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/till-pos/till/pos"
)

var (
	_ pos.Catalog   = (*DB)(nil)
	_ pos.Customers = (*DB)(nil)
	_ pos.Cashiers  = (*DB)(nil)
	_ pos.AuditLog  = (*DB)(nil)
)

// Items returns the catalog items changed at or after since, from the
// reader (falling back to the writer if the reader is down), as the
// store's tills sell them (Config.StoreID).
func (db *DB) Items(ctx context.Context, since time.Time) ([]pos.Item, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	var items []pos.Item
	err := db.read(ctx, func(q *sql.DB) error {
		items = items[:0]
		rows, err := q.QueryContext(ctx, itemsSQL(db.storeID), itemsArgs(db.storeID, since)...)
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

// itemsSQL is the catalogue query: chain-wide without a store; for a
// store, with its price and active overrides, an item it has no row for
// being inactive there, and changed when either the item or the store's
// row changed.
func itemsSQL(storeID string) string {
	if storeID == "" {
		return `SELECT item_id, code, item_name, price, tax_rate_bp, weighed, active, updated_at
			FROM inventory WHERE updated_at >= ? ORDER BY updated_at, item_id`
	}
	return `SELECT i.item_id, i.code, i.item_name, COALESCE(s.price, i.price), i.tax_rate_bp, i.weighed,
			i.active AND s.item_id IS NOT NULL AND COALESCE(s.active, TRUE),
			GREATEST(i.updated_at, COALESCE(s.updated_at, i.updated_at)) AS changed
		FROM inventory i LEFT JOIN store_inventory s ON s.store_id = ? AND s.item_id = i.item_id
		WHERE i.updated_at >= ? OR s.updated_at >= ?
		ORDER BY changed, i.item_id`
}

func itemsArgs(storeID string, since time.Time) []any {
	if storeID == "" {
		return []any{since.UTC()}
	}
	return []any{storeID, since.UTC(), since.UTC()}
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

// FindCustomers finds customers by what a cashier is told at the till:
//   - a word of the name, or the start of one, in any case and with or
//     without accents ("schm", "Schmidt", "muller" or "mueller" for
//     "Anna Müller"); with several words every one must start a word of
//     the name, in any order ("anna schm");
//   - the phone number in any format, or its last digits ("+49 30 23125 107",
//     "030 23125107", "107"): digits only, compared from the end;
//   - the email, or its start, once the search has an @;
//   - the loyalty card number.
//
// Every way in is a LIKE 'x%' or an equality on an index (migration
// 00003): the name through customer_name_words, the phone through
// phone_rdigits (its digits reversed). Results are ordered by name.
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
	text, args := customerSearchSQL(query, limit)
	var out []pos.Customer
	err := db.read(ctx, func(q *sql.DB) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, text, args...)
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

// maxSearchWords bounds the words of a name search: each is a join. A
// search of more words matches no name (it may still be an email).
const maxSearchWords = 8

// customerSearchSQL builds the search for a trimmed, non-empty query: a
// UNION of one indexed SELECT per way in, so each uses its own index.
func customerSearchSQL(query string, limit int) (string, []any) {
	var parts []string
	var args []any
	digits := phoneDigits(query)
	cards := []any{query, query}
	if digits != "" {
		cards[1] = digitsOnly(query) // a card typed in groups
	}
	parts = append(parts, customerColumns+` WHERE loyalty_card IN (?, ?)`)
	args = append(args, cards...)
	if strings.Contains(query, "@") {
		parts = append(parts, customerColumns+` WHERE email LIKE ?`)
		args = append(args, escapeLike(query)+"%")
	}
	if digits != "" {
		parts = append(parts, customerColumns+` WHERE phone_rdigits LIKE ?`)
		args = append(args, reverse(digits)+"%")
	}
	if tokens := searchTokens(query); len(tokens) > 0 && len(tokens) <= maxSearchWords {
		var where []string
		for _, variants := range tokens {
			var like []string
			for _, v := range variants {
				like = append(like, "word LIKE ?")
				args = append(args, escapeLike(v)+"%")
			}
			where = append(where, `customer_id IN (SELECT customer_id FROM customer_name_words WHERE `+
				strings.Join(like, " OR ")+`)`)
		}
		parts = append(parts, customerColumns+` WHERE `+strings.Join(where, " AND "))
	}
	args = append(args, limit)
	return "(" + strings.Join(parts, ") UNION (") + ") ORDER BY name, customer_id LIMIT ?", args
}

// phoneDigits returns the digits of a query that reads as a phone number
// (digits, blanks and + - ( ) . / only), or "" for any other. A whole
// number (7 digits or more) loses its leading zeros, the trunk 0 or the
// international 00, so that "030 23125 107" and "0049 30 23125 107" find
// "+49 30 23125 107" by its end; a shorter one is the number's last
// digits, zeros and all ("0100").
func phoneDigits(q string) string {
	var b strings.Builder
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case unicode.IsSpace(r) || strings.ContainsRune("+-()./", r):
		default:
			return ""
		}
	}
	d := b.String()
	if len(d) >= 7 {
		d = strings.TrimLeft(d, "0")
	}
	return d
}

// searchTokens splits a name search into words, each with the spellings
// to look for: the word with ß, æ, œ, ø, ł, đ, þ, ð written out, and, if
// it has ä, ö or ü, also written the German way (ae, oe, ue). The
// collation (utf8mb4_unicode_ci) folds case and other accents. It splits
// and writes out as customer_name_words_set does (migration 00003), and
// splits at any blank or control character too (a control character in a
// LIKE pattern may be ignorable to the collation, and match anything).
func searchTokens(q string) [][]string {
	var out [][]string
	for _, w := range strings.FieldsFunc(q, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(nameSeparators, r)
	}) {
		w = letterFolder.Replace(w)
		variants := []string{w}
		if g := germanFolder.Replace(w); g != w {
			variants = append(variants, g)
		}
		out = append(out, variants)
	}
	return out
}

// nameSeparators split a name into words, with blanks (migration 00003).
const nameSeparators = "-,./()'"

var (
	letterFolder = strings.NewReplacer("ß", "ss", "ẞ", "SS", "æ", "ae", "Æ", "AE", "œ", "oe", "Œ", "OE",
		"ø", "o", "Ø", "O", "ł", "l", "Ł", "L", "đ", "d", "Đ", "D", "þ", "th", "Þ", "TH", "ð", "d", "Ð", "D")
	germanFolder = strings.NewReplacer("ä", "ae", "Ä", "AE", "ö", "oe", "Ö", "OE", "ü", "ue", "Ü", "UE")
)

func reverse(s string) string {
	b := []byte(s) // digits only
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
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
