package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/till-pos/till/pos"
)

// SignInRefused is what the till is told whenever an offline sign-in is
// refused: word for word store.SignInRefused (with the same code,
// pos.EInvalid), so an unknown number, a wrong PIN and a locked sign-in
// read the same offline as online. It is copied, not imported, so that
// pos/snapshot does not depend on the database adapter.
const SignInRefused = "wrong cashier number or PIN, or sign-in is locked: try again, or ask a manager"

// Cashiers signs cashiers in from a snapshot while the database cannot be
// reached. It implements pos.Cashiers.
//
// It counts wrong PINs per cashier number in memory, as the database does
// in its rows: after pos.MaxPINAttempts wrong PINs in a row the number is
// locked for pos.PINLockout. Attempts on one number are taken one at a
// time, the count checked and changed around the PIN check, so any number
// of sign-ins at once get exactly pos.MaxPINAttempts guesses before the
// lock. The database's count cannot be read offline, so the count starts
// from what the till kept on its disk (Loader), or from nothing. Nothing
// is audited here (Fallback.Audit).
type Cashiers struct {
	storeID string
	now     func() time.Time
	// check is pos.CheckPIN; tests count the guesses through it.
	check func(hash, pin string) bool
	// byNumber is fixed once made, so it is read without a lock; each
	// entry guards its own count.
	byNumber map[string]*offlineCashier
	// decoy is a hash an unknown number's PIN is checked against, so an
	// unknown number takes as long as a wrong PIN to refuse.
	decoy string
	// kept, if set, keeps the counts on disk (keepIn).
	kept *lockouts
}

// keepIn keeps the wrong-PIN counts and locks in l, taking up those it
// already holds: a till started again gives nobody fresh guesses. Call it
// before the first SignIn.
func (c *Cashiers) keepIn(l *lockouts) {
	for n, oc := range c.byNumber {
		s := l.get(n)
		oc.failed, oc.lockedUntil = s.Failed, s.LockedUntil
	}
	c.kept = l
}

// keep writes oc's count to disk, if kept there.
func (c *Cashiers) keep(oc *offlineCashier) error {
	if c.kept == nil {
		return nil
	}
	return c.kept.set(oc.cashier.Number, lockState{Failed: oc.failed, LockedUntil: oc.lockedUntil})
}

// offlineCashier is one cashier and their wrong-PIN count.
type offlineCashier struct {
	cashier pos.OfflineCashier
	// turn is held (a token in it) by the attempt under way: a channel
	// rather than a mutex, so a waiting sign-in still ends with its ctx.
	turn        chan struct{}
	failed      int       // wrong PINs in a row, under turn
	lockedUntil time.Time // under turn
}

// NewCashiers returns the cashiers of s, signing in at s.StoreID only, on
// the clock now (nil: time.Now). A number listed twice (Load refuses such
// a snapshot) signs in neither cashier: there is no telling which is meant.
func NewCashiers(s Snapshot, now func() time.Time) *Cashiers {
	if now == nil {
		now = time.Now
	}
	c := &Cashiers{storeID: s.StoreID, now: now, check: pos.CheckPIN,
		byNumber: make(map[string]*offlineCashier, len(s.Cashiers))}
	twice := map[string]bool{}
	for _, oc := range s.Cashiers {
		if _, dup := c.byNumber[oc.Number]; dup {
			twice[oc.Number] = true
		}
		c.byNumber[oc.Number] = &offlineCashier{cashier: oc, turn: make(chan struct{}, 1)}
		c.decoy = oc.PINHash
	}
	for n := range twice {
		delete(c.byNumber, n)
	}
	return c
}

// SignIn checks a cashier's PIN against the snapshot's hash. Every refusal
// (an unknown number, a wrong PIN, a locked number, another store) is
// pos.EInvalid with SignInRefused, as online. tillID is not used: nothing
// is audited offline.
func (c *Cashiers) SignIn(ctx context.Context, storeID, tillID, number, pin string) (pos.Cashier, error) {
	refused := pos.Errorf(pos.EInvalid, "%s", SignInRefused)
	if err := ctx.Err(); err != nil {
		return pos.Cashier{}, pos.WrapError(pos.EUnavailable, err, "cancelled (offline sign in)")
	}
	if storeID != c.storeID {
		// The snapshot's cashiers are another store's: online sign-in
		// refuses a cashier at a store not theirs, so offline does too.
		return pos.Cashier{}, refused
	}
	oc, known := c.byNumber[number]
	if !known {
		if c.decoy != "" {
			c.check(c.decoy, pin) // the time of a wrong PIN; the answer is no
		}
		return pos.Cashier{}, refused
	}
	select {
	case oc.turn <- struct{}{}:
	case <-ctx.Done():
		return pos.Cashier{}, pos.WrapError(pos.EUnavailable, ctx.Err(), "cancelled (offline sign in)")
	}
	defer func() { <-oc.turn }()

	// The clock is read once the turn is ours, like the database's once
	// the row is locked.
	now := c.now()
	if now.Before(oc.lockedUntil) {
		// Not checked: a locked number gets no more guesses.
		return pos.Cashier{}, refused
	}
	// The attempt is spent before the PIN is checked: a till killed
	// during the check (to see whether it was right) has still used it.
	oc.failed++
	if err := c.keep(oc); err != nil {
		oc.failed--
		return pos.Cashier{}, pos.WrapError(pos.EUnavailable, err,
			"offline sign-in is not possible: the till cannot keep count of wrong PINs on its disk")
	}
	if c.check(oc.cashier.PINHash, pin) {
		oc.failed, oc.lockedUntil = 0, time.Time{}
		c.keep(oc) // a failed write leaves one attempt counted: the safe side
		return oc.cashier.Cashier, nil
	}
	if oc.failed >= pos.MaxPINAttempts {
		// As sign_in does: the count starts again once the lock is over.
		oc.failed, oc.lockedUntil = 0, now.Add(pos.PINLockout)
		if err := c.keep(oc); err != nil {
			return pos.Cashier{}, pos.WrapError(pos.EUnavailable, err,
				"offline sign-in is not possible: the till cannot keep count of wrong PINs on its disk")
		}
	}
	return pos.Cashier{}, refused
}

// Loader returns what Fallback.Offline needs: the snapshot at path, for
// storeID, as Cashiers on the clock now. It loads the file when first
// asked and again only when the file has changed since (the till saved a
// newer snapshot); otherwise it gives the same Cashiers. The wrong-PIN
// counts and locks live beside the snapshot (path + ".lockouts", written
// before each PIN is checked), so a newer snapshot, or the till started
// again, gives nobody fresh guesses. A failed load is not kept: the next
// sign-in tries the file again.
func Loader(path, storeID string, now func() time.Time) func() (*Cashiers, error) {
	var (
		mu      sync.Mutex
		current *Cashiers
		modTime time.Time
		size    int64
		kept    *lockouts // one for every snapshot loaded: the counts are the numbers'
	)
	return func() (*Cashiers, error) {
		mu.Lock()
		defer mu.Unlock()
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("offline sign-in: %w", err)
		}
		if current != nil && fi.ModTime().Equal(modTime) && fi.Size() == size {
			return current, nil
		}
		s, err := Load(path, storeID)
		if err != nil {
			return nil, fmt.Errorf("offline sign-in: %w", err)
		}
		if kept == nil {
			if kept, err = openLockouts(path + ".lockouts"); err != nil {
				return nil, fmt.Errorf("offline sign-in: %w", err)
			}
		}
		next := NewCashiers(s, now)
		next.keepIn(kept)
		current, modTime, size = next, fi.ModTime(), fi.Size()
		return current, nil
	}
}

// Fallback signs cashiers in online and, only while the database cannot
// be reached, from the snapshot. It implements pos.Cashiers.
type Fallback struct {
	// Online is the database's sign-in (store.DB).
	Online pos.Cashiers
	// Offline gives the snapshot's Cashiers. It must give the same one
	// each time (or one carrying its counts, as Loader does): the lockout
	// lives in it.
	Offline func() (*Cashiers, error)
	// Audit, if set, records each sign-in tried from the snapshot (the
	// database's own audit cannot: it does not answer), e.g. into the
	// offline journal's audit spool.
	Audit func(pos.AuditEntry)
}

// unreachable is what the cashier is told when the database cannot be
// reached and there is no snapshot to sign in from.
const unreachable = "the database cannot be reached and offline sign-in is not possible; try again in a moment, or ask a manager"

// SignIn tries Online first. Only when it fails with pos.EUnavailable (the
// database down or not answering) does it sign in from the snapshot: a
// refusal online (a wrong PIN, a locked cashier, pos.EInvalid) stands, or
// offline sign-in would give every cashier more guesses and let a locked
// or removed cashier in. When offline sign-in cannot be done either (no
// snapshot, an unreadable one), the error is pos.EUnavailable saying so,
// with both causes for the log.
func (f Fallback) SignIn(ctx context.Context, storeID, tillID, number, pin string) (pos.Cashier, error) {
	c, err := f.Online.SignIn(ctx, storeID, tillID, number, pin)
	if pos.ErrorCode(err) != pos.EUnavailable {
		return c, err
	}
	// A cancelled or expired ctx reads as EUnavailable too: the caller
	// gave up, the database did not necessarily go away.
	if ctx.Err() != nil {
		return pos.Cashier{}, err
	}
	if f.Offline == nil {
		return pos.Cashier{}, pos.WrapError(pos.EUnavailable, errors.Join(err, errors.New("no offline snapshot configured")), unreachable)
	}
	off, oerr := f.Offline()
	if oerr != nil {
		return pos.Cashier{}, pos.WrapError(pos.EUnavailable, errors.Join(err, oerr), unreachable)
	}
	c, err = off.SignIn(ctx, storeID, tillID, number, pin)
	if f.Audit != nil {
		e := pos.AuditEntry{StoreID: storeID, TillID: tillID, CashierID: c.ID, Action: "sign_in_offline",
			Detail: fmt.Sprintf("cashier number %q signed in from the till's snapshot", number)}
		if err != nil {
			e.Action, e.Detail = "sign_in_offline_refused", fmt.Sprintf("cashier number %q refused by the till's snapshot", number)
		}
		f.Audit(e)
	}
	return c, err
}

var (
	_ pos.Cashiers = (*Cashiers)(nil)
	_ pos.Cashiers = Fallback{}
)
