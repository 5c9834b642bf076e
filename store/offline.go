package store

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/till-pos/till/pos"
)

// ForwardOffline records a sale made while the till could not reach the
// database (issue 16), as it was sold: under its own key, with its original
// time, completed, its cash payments and outboxes written as SellCash
// writes them. It is one request, like SellCash. A key already recorded
// answers the stored sale with Already set (the till crashed between this
// and marking its journal).
//
// The customer has left with the goods, so short stock does not stop it:
// the store's rows are locked first (in item order, as every sale locks
// them), each short item gets a stock_shortages row saying what was wanted
// and what there was, and the stock is taken down to zero, never below.
func (db *DB) ForwardOffline(ctx context.Context, sale pos.Sale) (pos.ForwardResult, error) {
	if !sale.Offline || sale.Status != pos.SaleCompleted || sale.CompletedAt.IsZero() {
		return pos.ForwardResult{}, pos.Errorf(pos.EInvalid, "sale %s is not a completed offline sale", sale.Key)
	}
	var short int64
	err := db.withBatches(ctx, func(t *btx) error {
		var b batch
		if sale.CustomerID != 0 && sale.PointsEarned > 0 {
			b.add(pointsStmt, sale.PointsEarned, sale.CustomerID)
		}
		b.addStmt(saleStmt(&sale, t.now, sale.CompletedAt.UTC(), nullID(sale.CustomerID)))
		b.add("SET @till_sale = LAST_INSERT_ID()")
		b.add(`INSERT INTO offline_sales (transaction_id, store_id, till_id, sold_at, forwarded_at)
			VALUES (@till_sale, ?, ?, ?, ?)`, sale.StoreID, sale.TillID, sale.CompletedAt.UTC(), t.now)
		query, args, err := linesStmt(insertedSale(), sale.Lines, sale.Totals.Lines)
		if err != nil {
			return err
		}
		b.add(query, args...)
		if len(sale.Payments) > 0 {
			// Paid when sold, not when forwarded.
			b.addStmt(paymentsStmt(insertedSale(), sale.CompletedAt.UTC(), sale.Payments))
		}
		if query, args, ok := eventValuesStmt(insertedSale(), sale.Key, sale.Status, sale.StoreID, sale.TillID,
			sale.Training, t.now); ok {
			b.add(query, args...)
		}
		b.addStmt(receiptStmt(insertedSale(), sale.TillID, t.now))
		if !sale.Training {
			shortStockBatch(&b, sale.StoreID, needs(sale.Lines), t.now)
		} else {
			b.add("SET @till_short = 0")
		}
		var after batch
		after.add("SELECT @till_sale, @till_short")
		return t.send(ctx, &b, true, &after, func(rs *resultSets) error {
			ok, err := rs.one(&sale.ID, &short)
			if err == nil && !ok {
				err = errors.New("no sale id after COMMIT")
			}
			return err
		})
	})
	if errors.Is(err, errExists) || duplicate(err, "transactions_key") {
		first, err := db.Sale(ctx, sale.Key)
		if err != nil {
			return pos.ForwardResult{}, err
		}
		if first.Totals.Total != sale.Totals.Total || len(first.Lines) != len(sale.Lines) {
			return pos.ForwardResult{}, pos.Errorf(pos.EConflict, "sale key %s was already used for a different sale", sale.Key)
		}
		res := pos.ForwardResult{Sale: first, Already: true}
		res.Short, err = db.saleShortages(ctx, first.ID)
		return res, err
	}
	if err != nil {
		return pos.ForwardResult{}, mapError(err, "forward the offline sale")
	}
	res := pos.ForwardResult{Sale: sale}
	if short > 0 {
		if res.Short, err = db.saleShortages(ctx, sale.ID); err != nil {
			return res, err
		}
	}
	return res, nil
}

// shortStockBatch adds the statements that take a forwarded sale's stock
// whatever there is: lock the rows, record what is short, take the rest.
// The no-op UPDATE takes the rows' exclusive locks before the shortage
// INSERT … SELECT reads them, so two tills forwarding at once queue
// instead of both holding a shared lock and deadlocking on the upgrade.
func shortStockBatch(b *batch, storeID string, need []stockNeed, now any) {
	caseSQL, caseArgs, ids := quantityCase(need)
	joinedCase := strings.Replace(caseSQL, "CASE item_id", "CASE i.item_id", 1)
	in := placeholders(len(need))
	b.add(`UPDATE store_inventory SET stock_quantity = stock_quantity
		WHERE store_id = ? AND item_id IN (`+in+`) ORDER BY item_id`, slices.Concat([]any{storeID}, ids)...)
	b.add(`INSERT INTO stock_shortages (transaction_id, store_id, item_id, wanted, available, recorded_at)
		SELECT @till_sale, ?, i.item_id, `+joinedCase+`, COALESCE(s.stock_quantity, 0), ?
		FROM inventory i LEFT JOIN store_inventory s ON s.store_id = ? AND s.item_id = i.item_id
		WHERE i.item_id IN (`+in+`) AND COALESCE(s.stock_quantity, 0) < `+joinedCase,
		slices.Concat([]any{storeID}, caseArgs, []any{now, storeID}, ids, caseArgs)...)
	b.add("SET @till_short = ROW_COUNT()")
	b.add(`UPDATE store_inventory SET stock_quantity = stock_quantity - LEAST(stock_quantity, `+caseSQL+`)
		WHERE store_id = ? AND item_id IN (`+in+`) ORDER BY item_id`, slices.Concat(caseArgs, []any{storeID}, ids)...)
}

// saleShortages lists the shortages recorded for a sale.
func (db *DB) saleShortages(ctx context.Context, saleID int64) ([]pos.Shortage, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	rows, err := db.writer.QueryContext(ctx, `SELECT s.item_id, i.item_name, s.wanted, s.available
		FROM stock_shortages s JOIN inventory i ON i.item_id = s.item_id
		WHERE s.transaction_id = ? ORDER BY s.item_id`, saleID)
	if err != nil {
		return nil, mapError(err, "read the sale's shortages")
	}
	defer rows.Close()
	var out []pos.Shortage
	for rows.Next() {
		var s pos.Shortage
		if err := rows.Scan(&s.ItemID, &s.Name, &s.Wanted, &s.Available); err != nil {
			return nil, mapError(err, "read the sale's shortages")
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "read the sale's shortages")
	}
	return out, nil
}

// nullID is a foreign key that 0 leaves NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
