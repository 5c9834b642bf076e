package store

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/till-pos/till/pos"
)

// A sale's return limits (migrations/00006_returns.sql): sale_line_returns,
// payment_refunds and sale_refunds count what its lines have had returned
// and what its card payments and the sale have refunded, and their CHECK
// constraints refuse to pass what was sold or paid. The limits are the
// database's, whatever any till's Go code planned.

// limitUse is what a return takes from its sale's limits (or, taken off
// again, gives back).
type limitUse struct {
	lines map[int]int64        // sale line number → quantity
	cards map[string]pos.Money // card payment attempt key → amount
	money pos.Money            // every refund, cash and card
}

// returnUse is what ret uses: its lines and its refunds that are not failed.
func returnUse(ret pos.Return) limitUse {
	u := limitUse{lines: map[int]int64{}, cards: map[string]pos.Money{}}
	for _, l := range ret.Lines {
		if l.SaleLine > 0 {
			u.lines[l.SaleLine] += l.Quantity
		}
	}
	for _, f := range ret.Refunds {
		if f.Status == pos.PaymentFailed {
			continue
		}
		if f.Method == pos.MethodCard {
			u.cards[f.PaymentKey] += f.Amount
		}
		u.money += f.Amount
	}
	return u
}

// useLimits adds u (sign +1) to the sale's counters or takes it off (−1).
// Adding first makes sure the counters' rows exist (INSERT IGNORE … SELECT
// copies what was sold and paid; IGNORE only skips rows already there,
// since a row of zeros passes every CHECK), then every counter moves in one
// UPDATE per table, whose CHECK refuses passing a limit: at most six
// statements, whatever the size of the return. Not INSERT … ON DUPLICATE
// KEY UPDATE: the server checks the row it would insert before finding
// the duplicate, and MariaDB asks for UPDATE on every inserted column.
func useLimits(ctx context.Context, tx *txn, saleID int64, u limitUse, sign int64) error {
	if len(u.lines) > 0 {
		nos := slices.Sorted(maps.Keys(u.lines))
		in := placeholders(len(nos))
		ids := make([]any, 0, len(nos))
		caseSQL, caseArgs := deltaCase("line_no", len(nos))
		for _, no := range nos {
			ids = append(ids, no)
			caseArgs = append(caseArgs, no, sign*u.lines[no])
		}
		if sign > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT IGNORE INTO sale_line_returns (transaction_id, line_no, sold, returned)
				SELECT transaction_id, line_no, quantity, 0 FROM transaction_items
				WHERE transaction_id = ? AND line_no IN (`+in+`) ORDER BY line_no`,
				append([]any{saleID}, ids...)...); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sale_line_returns SET returned = returned + `+caseSQL+`
			WHERE transaction_id = ? AND line_no IN (`+in+`) ORDER BY line_no`,
			slices.Concat(caseArgs, []any{saleID}, ids)...); err != nil {
			return limitError(err, "that is more than is left to return of this sale")
		}
	}
	if len(u.cards) > 0 {
		keys := slices.Sorted(maps.Keys(u.cards))
		in := placeholders(len(keys))
		ids := make([]any, 0, len(keys))
		caseSQL, caseArgs := deltaCase("p.attempt_key", len(keys))
		for _, k := range keys {
			ids = append(ids, k)
			caseArgs = append(caseArgs, k, dec(pos.Money(sign)*u.cards[k]))
		}
		if sign > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT IGNORE INTO payment_refunds (payment_id, paid, refunded)
				SELECT payment_id, amount, 0 FROM payments
				WHERE transaction_id = ? AND method = 'card' AND status = 'approved'
				AND attempt_key IN (`+in+`) ORDER BY payment_id`, append([]any{saleID}, ids...)...); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE payment_refunds r JOIN payments p ON p.payment_id = r.payment_id
			SET r.refunded = r.refunded + `+caseSQL+`
			WHERE p.transaction_id = ? AND p.attempt_key IN (`+in+`)`,
			slices.Concat(caseArgs, []any{saleID}, ids)...)
		if err != nil {
			return limitError(err, "that is more than is left to refund on the card")
		}
		if n, err := res.RowsAffected(); err != nil || n != int64(len(keys)) {
			return errors.Join(err, pos.Errorf(pos.EConflict, "a card refund names no approved card payment of this sale"))
		}
	}
	if u.money != 0 {
		if sign > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT IGNORE INTO sale_refunds (transaction_id, paid, refunded)
				SELECT ?, COALESCE(SUM(amount), 0), 0 FROM payments WHERE transaction_id = ? AND status = 'approved'`,
				saleID, saleID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sale_refunds SET refunded = refunded + ? WHERE transaction_id = ?`,
			dec(pos.Money(sign)*u.money), saleID); err != nil {
			return limitError(err, "that is more than is left to refund of this sale")
		}
	}
	return nil
}

// deltaCase writes "CASE col WHEN ? THEN ? … END" for n keys.
func deltaCase(col string, n int) (string, []any) {
	var b strings.Builder
	b.WriteString("CASE " + col)
	for range n {
		b.WriteString(" WHEN ? THEN ?")
	}
	b.WriteString(" END")
	return b.String(), make([]any, 0, 2*n)
}

func limitError(err error, msg string) error {
	switch mysqlCode(err) {
	case errCheckMariaDB, errCheckMySQL:
		return pos.WrapError(pos.EConflict, err, "%s: another till may have just returned part of it; scan the receipt again", msg)
	}
	return err
}
