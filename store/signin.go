package store

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/till-pos/till/pos"
)

// SignInRefused is what the till is told whenever a sign-in is refused:
// an unknown number, a wrong PIN, an inactive cashier and a locked sign-in
// read the same (and carry the same code, pos.EInvalid), so the till — or
// whoever holds its database user — cannot learn which numbers exist. The
// audit log says which it was.
const SignInRefused = "wrong cashier number or PIN, or sign-in is locked: try again, or ask a manager"

// maxNumberLen is the length of the procedures' number parameter.
const maxNumberLen = 64

// maxPINIterations bounds the PBKDF2 work pin_params may ask of the till.
const maxPINIterations = 10_000_000

// SignIn signs a cashier in at a store's till. The PIN never leaves the
// till and its hash never leaves the database: pin_params gives the salt
// and iteration count, the till derives the PBKDF2 key, and the sign_in
// procedure (migrations/00002_signin.sql, run with its definer's rights)
// compares it, counts wrong PINs and locks the cashier after the policy's
// limit, on the database's clock and in one transaction, and writes the
// audit row with the store and till.
func (db *DB) SignIn(ctx context.Context, storeID, tillID, number, pin string) (pos.Cashier, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	// No cashier number is this long (cashiers.number is VARCHAR(16)); cut
	// what was typed to the procedures' parameter, so it is refused and
	// audited like any other unknown number instead of failing the call.
	if r := []rune(number); len(r) > maxNumberLen {
		number = string(r[:maxNumberLen])
	}
	var iter int
	var salt string
	err := db.writer.QueryRowContext(ctx, `CALL pin_params(?)`, number).Scan(&iter, &salt)
	if err != nil {
		return pos.Cashier{}, mapError(err, "sign in")
	}
	key := pinKey(pin, salt, iter)

	var c pos.Cashier
	var ok bool
	for attempt := 1; ; attempt++ {
		err = db.writer.QueryRowContext(ctx, `CALL sign_in(?, ?, ?, ?)`, storeID, tillID, number, key).
			Scan(&ok, &c.ID, &c.Number, &c.Name, &c.Manager)
		// The procedure rolled itself back on a deadlock or lock wait:
		// nothing was counted, so it may run again.
		if err == nil || !serverRolledBack(err) || attempt >= db.retry.attempts {
			break
		}
		select {
		case <-ctx.Done():
			return pos.Cashier{}, mapError(err, "sign in")
		case <-time.After(db.retry.backoff(attempt)):
		}
	}
	if err != nil {
		return pos.Cashier{}, mapError(err, "sign in")
	}
	if !ok {
		return pos.Cashier{}, pos.Errorf(pos.EInvalid, "%s", SignInRefused)
	}
	return c, nil
}

// pinKey is the PBKDF2-SHA256 key of pin with the stored salt and count,
// written as pos.HashPIN writes the last field of a hash (unpadded
// base64). Parameters it cannot use give a key that matches nothing, so
// the attempt is still counted.
func pinKey(pin, salt string, iter int) string {
	raw, err := base64.RawStdEncoding.DecodeString(salt)
	if err != nil || iter < 1 || iter > maxPINIterations {
		return ""
	}
	key, err := pbkdf2.Key(sha256.New, pin, raw, iter, 32)
	if err != nil {
		return ""
	}
	return base64.RawStdEncoding.EncodeToString(key)
}
