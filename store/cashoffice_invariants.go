package store

import (
	"context"
	"database/sql"
	"fmt"
)

// CheckCashOffice checks the cash office's promises on the database and
// returns every violation found (tests and posbench run it after a load,
// like CheckInvariants):
//   - every till's Z numbers run 1, 2, 3… with no gap, and each Z's grand
//     total is the previous Z's plus its own net total;
//   - a session is open exactly when its till's drawer row names it, at
//     most one per till, and a closed session has exactly one Z; an open
//     one has none;
//   - a sale or return carries only a session there is, of its own store
//     and till (session_id has no foreign key: see the migration), and a
//     closed session has nothing pending;
//   - each Z's stored figures (sales, returns, net, expected cash,
//     difference) equal what the session's sales, payments, returns,
//     refunds and movements add up to now: nothing joined or left a
//     session after its close.
func CheckCashOffice(ctx context.Context, q *sql.DB) ([]string, error) {
	var bad []string
	for _, c := range []struct {
		what  string
		query string
	}{
		{"Z numbers with a gap or a repeat", `SELECT CONCAT(store_id, '/', till_id, ': ', COUNT(*), ' Zs, last ', MAX(z_number))
			FROM z_reports GROUP BY store_id, till_id HAVING COUNT(*) <> MAX(z_number) OR MIN(z_number) <> 1`},
		{"a grand total that is not the previous plus the net", `SELECT CONCAT(z.store_id, '/', z.till_id, ' Z ', z.z_number)
			FROM z_reports z LEFT JOIN z_reports p ON p.store_id = z.store_id AND p.till_id = z.till_id
				AND p.z_number = z.z_number - 1
			WHERE z.grand_total <> COALESCE(p.grand_total, 0) + z.net_total`},
		{"an open session its drawer does not name", `SELECT CONCAT('session ', s.session_id)
			FROM till_sessions s LEFT JOIN till_drawers d ON d.open_session_id = s.session_id
			WHERE s.status = 'open' AND d.open_session_id IS NULL`},
		{"a drawer naming a session that is not open or not its own", `SELECT CONCAT(d.store_id, '/', d.till_id)
			FROM till_drawers d JOIN till_sessions s ON s.session_id = d.open_session_id
			WHERE s.status <> 'open' OR s.store_id <> d.store_id OR s.till_id <> d.till_id`},
		{"a closed session without one Z, or an open one with a Z", `SELECT CONCAT('session ', s.session_id)
			FROM till_sessions s LEFT JOIN z_reports z ON z.session_id = s.session_id
			WHERE (s.status = 'closed') <> (z.session_id IS NOT NULL)`},
		{"a sale in another till's session, or in none there is", `SELECT CONCAT('sale ', t.transaction_id)
			FROM transactions t LEFT JOIN till_sessions s ON s.session_id = t.session_id
			WHERE t.session_id IS NOT NULL AND (s.session_id IS NULL OR t.store_id <> s.store_id OR t.till_id <> s.till_id)`},
		{"a return in another till's session, or in none there is", `SELECT CONCAT('return ', r.return_id)
			FROM returns r LEFT JOIN till_sessions s ON s.session_id = r.session_id
			WHERE r.session_id IS NOT NULL AND (s.session_id IS NULL OR r.store_id <> s.store_id OR r.till_id <> s.till_id)`},
		{"a closed session with a pending sale or return", `SELECT CONCAT('session ', s.session_id)
			FROM till_sessions s WHERE s.status = 'closed' AND (
				EXISTS (SELECT 1 FROM transactions t WHERE t.session_id = s.session_id AND t.payment_status = 'pending')
				OR EXISTS (SELECT 1 FROM returns r WHERE r.session_id = s.session_id AND r.status = 'pending'))`},
		{"a Z whose figures the tables no longer add up to", `SELECT CONCAT('Z ', z.z_number, ' of ', z.store_id, '/', z.till_id,
				': sales ', z.sales_count, ' ', z.sales_total, ' (now ', f.n, ' ', f.sales, '), returns ', z.returns_total,
				' (now ', f.refunded, '), expected cash ', z.expected_cash, ' (now ', f.cash, ')')
			FROM z_reports z JOIN (
				SELECT s.session_id,
					(SELECT COUNT(*) FROM transactions t WHERE t.session_id = s.session_id AND t.payment_status = 'completed') AS n,
					(SELECT COALESCE(SUM(t.total_amount + t.cash_rounding), 0) FROM transactions t
						WHERE t.session_id = s.session_id AND t.payment_status = 'completed') AS sales,
					(SELECT COALESCE(SUM(r.total_amount + r.cash_rounding), 0) FROM returns r
						WHERE r.session_id = s.session_id AND r.status = 'completed') AS refunded,
					s.opening_float
					+ (SELECT COALESCE(SUM(p.tendered - p.change_given), 0) FROM payments p
						JOIN transactions t ON t.transaction_id = p.transaction_id
						WHERE t.session_id = s.session_id AND t.payment_status = 'completed'
						AND p.method = 'cash' AND p.status = 'approved')
					- (SELECT COALESCE(SUM(f.amount), 0) FROM refunds f JOIN returns r ON r.return_id = f.return_id
						WHERE r.session_id = s.session_id AND r.status = 'completed'
						AND f.method = 'cash' AND f.status = 'approved')
					+ (SELECT COALESCE(SUM(CASE m.kind WHEN 'paid_in' THEN m.amount ELSE -m.amount END), 0)
						FROM cash_movements m WHERE m.session_id = s.session_id) AS cash
				FROM till_sessions s WHERE s.status = 'closed') f ON f.session_id = z.session_id
			WHERE z.sales_count <> f.n OR z.sales_total <> f.sales OR z.returns_total <> f.refunded
				OR z.expected_cash <> f.cash OR z.difference <> z.counted_cash - f.cash
				OR z.net_total <> f.sales - f.refunded`},
	} {
		found, err := textRows(ctx, q, c.query)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.what, err)
		}
		for _, f := range found {
			bad = append(bad, c.what+": "+f)
		}
	}
	return bad, nil
}

// textRows runs a query of one text column.
func textRows(ctx context.Context, q *sql.DB, query string) ([]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
