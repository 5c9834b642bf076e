package store

import (
	"context"
	"time"

	"github.com/till-pos/till/pos"
)

// UnlockRefused is what the till is told whenever an unlock is refused: a
// wrong manager PIN, a cashier who is not a manager or not of the store, a
// locked manager and an unknown cashier read the same. The audit log says
// which it was.
const UnlockRefused = "wrong manager number or PIN, or not a manager of this store"

// UnlockCashier has a manager unlock a cashier's sign-in at a store's till
// (pos.Unlocker). Like SignIn, the manager's PIN never leaves the till and
// its hash never leaves the database: pin_params gives the salt and count,
// the till derives the key, and the unlock_cashier procedure
// (migrations/00010_unlock.sql, definer's rights) checks it under the
// manager's own lockout, checks the manager may act at the store, resets
// the cashier's wrong PINs and lock and writes the audit row, in one
// transaction. It returns the manager.
func (db *DB) UnlockCashier(ctx context.Context, storeID, tillID, managerNumber, pin, cashierNumber string) (pos.Cashier, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	managerNumber, cashierNumber = cutNumber(managerNumber), cutNumber(cashierNumber)
	var iter int
	var salt string
	err := db.writer.QueryRowContext(ctx, `CALL pin_params(?)`, managerNumber).Scan(&iter, &salt)
	if err != nil {
		return pos.Cashier{}, mapError(err, "unlock a cashier")
	}
	key := pinKey(pin, salt, iter)

	var m pos.Cashier
	var ok bool
	for attempt := 1; ; attempt++ {
		err = db.writer.QueryRowContext(ctx, `CALL unlock_cashier(?, ?, ?, ?, ?)`,
			storeID, tillID, managerNumber, key, cashierNumber).
			Scan(&ok, &m.ID, &m.Number, &m.Name, &m.Manager)
		// The procedure rolled itself back on a deadlock or lock wait:
		// nothing was counted, so it may run again.
		if err == nil || !serverRolledBack(err) || attempt >= db.retry.attempts {
			break
		}
		select {
		case <-ctx.Done():
			return pos.Cashier{}, mapError(err, "unlock a cashier")
		case <-time.After(db.retry.backoff(attempt)):
		}
	}
	if err != nil {
		return pos.Cashier{}, mapError(err, "unlock a cashier")
	}
	if !ok {
		return pos.Cashier{}, pos.Errorf(pos.EInvalid, "%s", UnlockRefused)
	}
	return m, nil
}

// cutNumber cuts a typed number to the procedures' parameter: no cashier
// number is that long, so it is refused and audited like any unknown one.
func cutNumber(number string) string {
	if r := []rune(number); len(r) > maxNumberLen {
		return string(r[:maxNumberLen])
	}
	return number
}
