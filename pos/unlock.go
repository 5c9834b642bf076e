package pos

import "context"

// Unlocker unlocks a cashier whose sign-in is locked after MaxPINAttempts
// wrong PINs, when a manager types their number and PIN at the till. The
// manager's PIN counts against the manager like a sign-in (the lockout is
// shared), and the unlock, or its refusal, is audited with both people, in
// the same transaction as the unlock itself.
type Unlocker interface {
	// UnlockCashier returns the manager who unlocked cashierNumber at the
	// store's till. A refusal (a wrong PIN, not a manager, a manager not of
	// the store, no such cashier) is EInvalid and does not say which.
	UnlockCashier(ctx context.Context, storeID, tillID, managerNumber, pin, cashierNumber string) (Cashier, error)
}
