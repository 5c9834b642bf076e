package store

import (
	"context"

	"github.com/till-pos/till/pos"
)

// OfflineCashiers returns the cashiers who may sign in at storeID while the
// database cannot be reached, with their PIN hashes, for the till's offline
// snapshot (package pos/snapshot). The till's user cannot read pin_hash:
// the offline_cashiers procedure (migrations/00012_offline_cashiers.sql)
// runs with its definer's rights and gives only the active cashiers opted
// in (cashiers.offline_signin) who may sign in at the store, so only they
// can be signed in offline, and only their hashes reach the till's disk.
//
// It takes the store, though an offline snapshot could hold every
// cashier's hash, because online sign-in refuses a cashier at a store not
// theirs (migrations/00004_chain.sql): offline sign-in must not let more
// people in than online sign-in would.
func (db *DB) OfflineCashiers(ctx context.Context, storeID string) ([]pos.OfflineCashier, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	rows, err := db.writer.QueryContext(ctx, `CALL offline_cashiers(?)`, storeID)
	if err != nil {
		return nil, mapError(err, "read the offline cashiers")
	}
	defer rows.Close()
	var cs []pos.OfflineCashier
	for rows.Next() {
		var c pos.OfflineCashier
		if err := rows.Scan(&c.ID, &c.Number, &c.Name, &c.Manager, &c.PINHash); err != nil {
			return nil, mapError(err, "read the offline cashiers")
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "read the offline cashiers")
	}
	return cs, nil
}
