package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/till-pos/till/pos"
)

// StockKey names one stock figure: an item at a store.
type StockKey struct {
	Store string
	Item  pos.ItemID
}

// Stock is every stock figure of the chain, per (store, item).
type Stock map[StockKey]int64

// StockSnapshot reads every store's stock of every item (tests and
// posbench take one before a run, to check the invariants after it).
func StockSnapshot(ctx context.Context, q *sql.DB) (Stock, error) {
	rows, err := q.QueryContext(ctx, `SELECT store_id, item_id, stock_quantity FROM store_inventory`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := Stock{}
	for rows.Next() {
		var k StockKey
		var n int64
		if err := rows.Scan(&k.Store, &k.Item, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// CheckInvariants checks the sale protocol's promises on the database
// (DESIGN §4, per store as §8 says) and returns every violation found:
//   - no stock is negative;
//   - for every store and item, initial stock − current stock = units in
//     that store's sales that were not released less the units completed
//     returns at that store put back (training never touches stock), less
//     the units offline sales found missing (wanted − available of each
//     shortage: the stock stopped at zero): a sale takes stock from its
//     own store's rows only;
//   - no sale line is returned beyond what was sold, no sale refunded
//     beyond what it was paid, no card payment beyond its amount; a
//     completed return's refunds add up to its total plus cash rounding,
//     and its lines to its total;
//   - one sale per idempotency key (also a unique index);
//   - a completed sale's approved payments add up to its total plus cash
//     rounding, and its lines add up to its total.
func CheckInvariants(ctx context.Context, q *sql.DB, initial Stock) ([]string, error) {
	var bad []string
	current, err := StockSnapshot(ctx, q)
	if err != nil {
		return nil, err
	}
	// What left each store's stock: the units of its sales not released,
	// less what completed returns put back, less what offline sales found
	// missing (each shortage's wanted − available: the stock stopped at
	// zero, migration 00013).
	sold := Stock{}
	for _, part := range []struct {
		sign  int64
		query string
	}{
		{1, `SELECT t.store_id, ti.item_id, SUM(ti.quantity)
			FROM transaction_items ti JOIN transactions t ON t.transaction_id = ti.transaction_id
			WHERE t.payment_status IN ('pending','completed') AND NOT t.training
			GROUP BY t.store_id, ti.item_id`},
		{-1, `SELECT r.store_id, ri.item_id, SUM(ri.quantity)
			FROM return_items ri JOIN returns r ON r.return_id = ri.return_id
			WHERE r.status = 'completed' AND NOT r.training AND ri.restock
			GROUP BY r.store_id, ri.item_id`},
		{-1, `SELECT store_id, item_id, SUM(wanted - available)
			FROM stock_shortages GROUP BY store_id, item_id`},
	} {
		if err := addStock(ctx, q, part.query, part.sign, sold); err != nil {
			return nil, err
		}
	}
	for k, now := range current {
		if now < 0 {
			bad = append(bad, fmt.Sprintf("store %s item %d has negative stock %d", k.Store, k.Item, now))
		}
		if start, ok := initial[k]; ok && start-now != sold[k] {
			bad = append(bad, fmt.Sprintf("store %s item %d: stock went from %d to %d but %d were sold there (less returns)",
				k.Store, k.Item, start, now, sold[k]))
		}
	}
	if initial != nil {
		for k, n := range sold {
			if _, ok := current[k]; !ok {
				bad = append(bad, fmt.Sprintf("store %s sold %d of item %d but has no stock row for it", k.Store, n, k.Item))
			}
		}
	}
	checks := []struct{ what, query string }{
		{"sale keys used more than once", `SELECT COUNT(*) FROM (SELECT idempotency_key FROM transactions
			GROUP BY idempotency_key HAVING COUNT(*) > 1) d`},
		{"completed sales whose payments do not add up to total + rounding", `SELECT COUNT(*) FROM transactions t
			WHERE t.payment_status = 'completed' AND t.total_amount + t.cash_rounding <>
			(SELECT COALESCE(SUM(p.amount), 0) FROM payments p WHERE p.transaction_id = t.transaction_id AND p.status = 'approved')`},
		{"sales whose lines do not add up to the total", `SELECT COUNT(*) FROM transactions t
			WHERE t.total_amount <> (SELECT COALESCE(SUM(i.line_total), 0) FROM transaction_items i
			WHERE i.transaction_id = t.transaction_id)`},
		{"released sales still holding approved card payments", `SELECT COUNT(*) FROM transactions t
			JOIN payments p ON p.transaction_id = t.transaction_id
			WHERE t.payment_status IN ('failed','voided') AND p.status = 'approved'`},
		{"sale lines returned beyond what was sold", `SELECT COUNT(*) FROM transaction_items i
			WHERE i.quantity < (SELECT COALESCE(SUM(ri.quantity), 0) FROM return_items ri
			JOIN returns r ON r.return_id = ri.return_id
			WHERE r.transaction_id = i.transaction_id AND ri.sale_line_no = i.line_no AND r.status <> 'failed')`},
		{"sales refunded beyond what they were paid", `SELECT COUNT(*) FROM transactions t
			WHERE (SELECT COALESCE(SUM(p.amount), 0) FROM payments p
			       WHERE p.transaction_id = t.transaction_id AND p.status = 'approved') <
			      (SELECT COALESCE(SUM(f.amount), 0) FROM refunds f JOIN returns r ON r.return_id = f.return_id
			       WHERE r.transaction_id = t.transaction_id AND r.status <> 'failed' AND f.status <> 'failed')`},
		{"card payments refunded beyond their amount", `SELECT COUNT(*) FROM payments p
			WHERE p.amount < (SELECT COALESCE(SUM(f.amount), 0) FROM refunds f
			JOIN returns r ON r.return_id = f.return_id
			WHERE f.payment_id = p.payment_id AND r.status <> 'failed' AND f.status <> 'failed')`},
		{"completed returns whose refunds do not add up to total + rounding", `SELECT COUNT(*) FROM returns r
			WHERE r.status = 'completed' AND r.total_amount + r.cash_rounding <>
			(SELECT COALESCE(SUM(f.amount), 0) FROM refunds f WHERE f.return_id = r.return_id
			 AND f.status IN ('approved','owed'))`},
		{"sale lines whose return counter disagrees with their returns", `SELECT COUNT(*) FROM sale_line_returns c
			WHERE c.returned <> (SELECT COALESCE(SUM(ri.quantity), 0) FROM return_items ri
			JOIN returns r ON r.return_id = ri.return_id
			WHERE r.transaction_id = c.transaction_id AND ri.sale_line_no = c.line_no AND r.status <> 'failed')`},
		{"sales whose refund counter disagrees with their refunds", `SELECT COUNT(*) FROM sale_refunds c
			WHERE c.refunded <> (SELECT COALESCE(SUM(f.amount), 0) FROM refunds f JOIN returns r ON r.return_id = f.return_id
			WHERE r.transaction_id = c.transaction_id AND r.status <> 'failed' AND f.status <> 'failed')`},
		{"card payments whose refund counter disagrees with their refunds", `SELECT COUNT(*) FROM payment_refunds c
			WHERE c.refunded <> (SELECT COALESCE(SUM(f.amount), 0) FROM refunds f JOIN returns r ON r.return_id = f.return_id
			WHERE f.payment_id = c.payment_id AND r.status <> 'failed' AND f.status <> 'failed')`},
		{"returns whose lines do not add up to the total", `SELECT COUNT(*) FROM returns r
			WHERE r.total_amount <> (SELECT COALESCE(SUM(i.line_total), 0) FROM return_items i
			WHERE i.return_id = r.return_id)`},
	}
	for _, c := range checks {
		var n int
		if err := q.QueryRowContext(ctx, c.query).Scan(&n); err != nil {
			return nil, fmt.Errorf("%s: %w", c.what, err)
		}
		if n > 0 {
			bad = append(bad, fmt.Sprintf("%d %s", n, c.what))
		}
	}
	return bad, nil
}

// OpenTransactions counts the InnoDB transactions of other sessions on
// database (only those waiting for a row lock when lockWaits is set). It
// reads information_schema's INNODB_TRX and PROCESSLIST in two statements
// and matches them here: MariaDB 10.11.19 crashed (signal 11, freeing an
// Aria temporary table) on the one statement joining them, run in a loop
// while a posbench load was ending. Poll it no faster than every 200 ms or
// so: the server refreshes INNODB_TRX only once it has not been read for
// 100 ms, and a faster loop reads the same stale rows for ever.
func OpenTransactions(ctx context.Context, admin *sql.DB, database string, lockWaits bool) (int, error) {
	conn, err := admin.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	trxQuery := `SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX`
	if lockWaits {
		trxQuery += ` WHERE trx_state = 'LOCK WAIT'`
	}
	inTrx, err := threadIDs(ctx, conn, trxQuery)
	if err != nil {
		return 0, fmt.Errorf("read INNODB_TRX: %w", err)
	}
	if len(inTrx) == 0 {
		return 0, nil
	}
	onDB, err := threadIDs(ctx, conn, `SELECT ID FROM information_schema.PROCESSLIST
		WHERE DB = ? AND ID <> CONNECTION_ID()`, database)
	if err != nil {
		return 0, fmt.Errorf("read PROCESSLIST: %w", err)
	}
	n := 0
	for id := range inTrx {
		if onDB[id] {
			n++
		}
	}
	return n, nil
}

func threadIDs(ctx context.Context, conn *sql.Conn, query string, args ...any) (map[int64]bool, error) {
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids[id] = true
	}
	return ids, rows.Err()
}

// addStock adds sign × each (store, item, quantity) row of query to into.
func addStock(ctx context.Context, q *sql.DB, query string, sign int64, into Stock) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k StockKey
		var n int64
		if err := rows.Scan(&k.Store, &k.Item, &n); err != nil {
			return err
		}
		into[k] += sign * n
	}
	return rows.Err()
}
