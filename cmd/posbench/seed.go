package main

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
)

// The seed article's flow (shared/seeds, "Implementing the POS Transaction
// Flow with Aurora"), written as an application following it would:
//
//	BEGIN
//	for each item, in the order scanned:
//	    SELECT stock_quantity FROM store_inventory WHERE store_id = ? AND item_id = ? FOR UPDATE
//	    (short: ROLLBACK)
//	    UPDATE store_inventory SET stock_quantity = stock_quantity - ? WHERE store_id = ? AND item_id = ?
//	INSERT INTO transactions (… 'pending')
//	update the customer record (loyalty points)
//	process the payment                 <- the card, with every lock held
//	UPDATE transactions SET payment_status = 'completed'
//	COMMIT
//
// The seed's schema has no lines or payments; this flow writes them too,
// the cheapest way (one multi-row INSERT for the lines, one INSERT for the
// payment), so the same invariant check applies to both flows. Deadlocks (1213) and lock wait timeouts (1205) are rolled
// back and retried, a bounded number of times with jittered backoff, as a
// careful application would; nothing is retried once the card is charged.

// seedAttempts bounds the retries, like the store's own policy.
const seedAttempts = 5

type seedTill struct {
	conn     *sql.Conn
	cfg      config
	settings pos.Settings
	cashier  int64
	broken   bool // take the first line's stock twice (tests only)
}

func seedTills(ctx context.Context, pool *sql.DB, cfg config, b *benchDB) (flowTills, func(), error) {
	shop := shopper{cfg: cfg, items: b.items[flowSeed], customers: b.customers}
	ft, closeAll, err := dedicatedTills(ctx, pool, cfg.Tills, func(i int, conn *sql.Conn) tillFunc {
		t := &seedTill{conn: conn, cfg: cfg, settings: benchSettings(i, cfg.Stores), cashier: b.cashier, broken: cfg.breakSeed}
		return func(ctx context.Context, rng *rand.Rand) served {
			return sellAll(ctx, shop.basket(rng), func(ctx context.Context, bk basket) attempt {
				return t.sell(ctx, rng, bk)
			})
		}
	})
	return ft, closeAll, err
}

// dedicatedTills gives every till a server connection of its own and
// notes its id, so the hard stop can end it on the server.
func dedicatedTills(ctx context.Context, pool *sql.DB, n int, mk func(int, *sql.Conn) tillFunc) (flowTills, func(), error) {
	var ft flowTills
	var conns []*sql.Conn
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
	}
	for i := range n {
		conn, err := pool.Conn(ctx)
		if err != nil {
			closeAll()
			return ft, nil, err
		}
		conns = append(conns, conn)
		var id int64
		if err := conn.QueryRowContext(ctx, `SELECT CONNECTION_ID()`).Scan(&id); err != nil {
			closeAll()
			return ft, nil, err
		}
		ft.connIDs = append(ft.connIDs, id)
		ft.tills = append(ft.tills, mk(i, conn))
	}
	return ft, closeAll, nil
}

func (t *seedTill) sell(ctx context.Context, rng *rand.Rand, b basket) attempt {
	totals, err := pos.ComputeTotals(b.lines, t.settings.TaxMode)
	if err != nil {
		return attempt{err: err}
	}
	key := pos.NewKey()
	var a attempt
	for try := 0; ; try++ {
		short, charged, err := t.try(ctx, b, totals, key)
		switch {
		case err == nil && short != 0:
			a.short = []pos.ItemID{short}
			return a
		case err == nil:
			a.sold = true
			return a
		}
		code := store.ErrorNumber(err)
		if charged || (code != store.Deadlock && code != store.LockWaitTimeout) || try+1 >= seedAttempts {
			a.err = err
			return a
		}
		a.retries++
		backoff := min(20*time.Millisecond<<try, 500*time.Millisecond)
		backoff = backoff/2 + time.Duration(rng.Int64N(int64(backoff/2)+1))
		select {
		case <-ctx.Done():
			a.err = errors.Join(err, ctx.Err())
			return a
		case <-time.After(backoff):
		}
	}
}

// try runs the seed's transaction once. It returns the first item found
// short (the transaction rolled back), or whether the card was charged
// before an error.
func (t *seedTill) try(ctx context.Context, b basket, totals pos.Totals, key string) (short pos.ItemID, charged bool, err error) {
	tx, err := t.conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback() // after a COMMIT it does nothing
	for i, l := range b.lines {
		var stock int64
		if err := tx.QueryRowContext(ctx, `SELECT stock_quantity FROM store_inventory
			WHERE store_id = ? AND item_id = ? FOR UPDATE`, t.settings.StoreID, int64(l.ItemID)).Scan(&stock); err != nil {
			return 0, false, err
		}
		if stock < l.Quantity {
			return l.ItemID, false, nil
		}
		take := 1
		if t.broken && i == 0 {
			take = 2
		}
		for range take {
			if _, err := tx.ExecContext(ctx, `UPDATE store_inventory SET stock_quantity = stock_quantity - ?
				WHERE store_id = ? AND item_id = ?`, l.Quantity, t.settings.StoreID, int64(l.ItemID)); err != nil {
				return 0, false, err
			}
		}
	}
	now := time.Now().UTC()
	var customer any
	var points int64
	if b.customer != 0 {
		customer, points = b.customer, t.settings.Points(totals.Total)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO transactions
		(idempotency_key, store_id, till_id, cashier_id, customer_id, training, currency,
		 subtotal, tax, total_amount, cash_rounding, points_earned, payment_status,
		 transaction_date, completed_at, updated_at)
		VALUES (?, ?, ?, ?, ?, FALSE, ?, ?, ?, ?, 0, ?, 'pending', ?, NULL, ?)`,
		key, t.settings.StoreID, t.settings.TillID, t.cashier, customer, t.settings.Currency.Code,
		decimal(totals.Subtotal), decimal(totals.Tax), decimal(totals.Total), points, now, now)
	if err != nil {
		return 0, false, err
	}
	saleID, err := res.LastInsertId()
	if err != nil {
		return 0, false, err
	}
	const row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	args := make([]any, 0, 12*len(b.lines))
	for i, l := range b.lines {
		lt := totals.Lines[i]
		args = append(args, saleID, i+1, int64(l.ItemID), l.Code, l.Name, l.Quantity,
			decimal(l.UnitPrice), decimal(l.Discount), l.TaxRate, decimal(lt.Net), decimal(lt.Tax), decimal(lt.Gross))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO transaction_items
		(transaction_id, line_no, item_id, code, item_name, quantity, unit_price, discount,
		 tax_rate_bp, net_amount, tax_amount, line_total)
		VALUES `+repeatJoin(row, len(b.lines)), args...); err != nil {
		return 0, false, err
	}
	if points > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET loyalty_points = loyalty_points + ? WHERE customer_id = ?`,
			points, b.customer); err != nil {
			return 0, false, err
		}
	}
	method, brand, last4, provider := "cash", "", "", ""
	if b.card {
		// The seed's process_payment: the customer taps while this
		// transaction holds every item's row lock.
		select {
		case <-ctx.Done():
			return 0, false, ctx.Err()
		case <-time.After(t.cfg.CardTime):
		}
		charged = true
		method, brand, last4, provider = "card", "visa", "4242", "simulated"
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO payments
		(transaction_id, attempt_key, method, status, amount, tendered, provider, card_brand, card_last4,
		 created_at, updated_at)
		VALUES (?, ?, ?, 'approved', ?, ?, ?, ?, ?, ?, ?)`,
		saleID, pos.NewKey(), method, decimal(totals.Total), decimal(cashTendered(b.card, totals.Total)),
		provider, brand, last4, now, now); err != nil {
		return 0, charged, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE transactions SET payment_status = 'completed', completed_at = ?,
		updated_at = ? WHERE transaction_id = ?`, now, now, saleID); err != nil {
		return 0, charged, err
	}
	return 0, charged, tx.Commit()
}

func cashTendered(card bool, total pos.Money) pos.Money {
	if card {
		return 0
	}
	return total
}
