package store_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
)

// unlockRig is the sign-in rig with cashier 101 locked, and two more:
// 104 (PIN 4444, not a manager) and 105 (PIN 5555, a manager who may sign
// in only at store s7).
func newUnlockRig(t *testing.T) *signInRig {
	t.Helper()
	r := newSignInRig(t)
	for _, c := range []struct {
		number, name, pin string
		manager           bool
	}{
		{"104", "Dan Eyre", "4444", false},
		{"105", "Eve Ford", "5555", true},
	} {
		hash, err := pos.HashPIN(c.pin)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.d.Admin.Exec(`INSERT INTO cashiers (number, name, pin_hash, manager, active)
			VALUES (?, ?, ?, ?, TRUE)`, c.number, c.name, hash, c.manager)
		if err != nil {
			t.Fatal(err)
		}
		r.id[c.number], _ = res.LastInsertId()
	}
	if _, err := r.d.Admin.Exec(`INSERT INTO cashier_stores (cashier_id, store_id) VALUES (?, 's1'), (?, 's7')`,
		r.id["104"], r.id["105"]); err != nil {
		t.Fatal(err)
	}
	r.lockFor(t, "101", 2*time.Minute)
	return r
}

// TestUnlockCashier: a manager unlocks a locked cashier at the till, the
// manager's PIN checked like a sign-in's (counted, locking the manager)
// and every answer audited in the procedure's transaction with both
// people.
func TestUnlockCashier(t *testing.T) {
	tests := []struct {
		name          string
		manager, pin  string
		cashier       string
		managerFailed int           // the manager's failed_attempts before
		managerLock   time.Duration // > 0: the manager is locked
		wantOK        bool
		wantAction    string
		wantDetail    string
		wantMgrFailed int  // the manager's failed_attempts after
		wantMgrLocked bool // the manager locked after
		wantLocked    bool // cashier 101 (or the one named) still locked after
	}{
		{name: "a manager unlocks", manager: "103", pin: "9999", cashier: "101", wantOK: true,
			wantAction: "unlock_cashier", wantDetail: "(Ann Baker) unlocked by manager %[2]d (Cat Dunn); was locked until"},
		{name: "a manager's earlier wrong PINs are forgotten", manager: "103", pin: "9999", cashier: "101", managerFailed: 2,
			wantOK: true, wantAction: "unlock_cashier", wantDetail: "unlocked by manager %[2]d"},
		{name: "a wrong manager PIN is counted", manager: "103", pin: "0000", cashier: "101",
			wantAction: "unlock_failed", wantDetail: "cashier 101 by manager number 103: wrong PIN 1 of 3",
			wantMgrFailed: 1, wantLocked: true},
		{name: "the last wrong manager PIN locks the manager", manager: "103", pin: "0000", cashier: "101", managerFailed: 2,
			wantAction: "unlock_lockout", wantDetail: "wrong PIN 3 of 3: the manager is locked until",
			wantMgrLocked: true, wantLocked: true},
		{name: "a locked manager is refused, right PIN or not", manager: "103", pin: "9999", cashier: "101", managerLock: time.Minute,
			wantAction: "unlock_locked", wantDetail: "the manager is locked until", wantMgrLocked: true, wantLocked: true},
		{name: "a cashier who is not a manager", manager: "104", pin: "4444", cashier: "101",
			wantAction: "unlock_refused", wantDetail: "is not a manager (the PIN was right)", wantLocked: true},
		{name: "a manager not allowed at the store", manager: "105", pin: "5555", cashier: "101",
			wantAction: "unlock_refused", wantDetail: "may not sign in at store s1", wantLocked: true},
		{name: "an inactive manager number", manager: "102", pin: "2222", cashier: "101",
			wantAction: "unlock_inactive", wantDetail: "not active", wantLocked: true},
		{name: "an unknown manager number", manager: "999", pin: "9999", cashier: "101",
			wantAction: "unlock_unknown", wantDetail: "no cashier numbered 999", wantLocked: true},
		{name: "an unknown cashier", manager: "103", pin: "9999", cashier: "998",
			wantAction: "unlock_refused", wantDetail: "no cashier numbered 998"},
		{name: "a manager cannot unlock themselves", manager: "103", pin: "9999", cashier: "103",
			wantAction: "unlock_refused", wantDetail: "cannot unlock themselves"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newUnlockRig(t)
			if _, err := r.d.Admin.Exec(`UPDATE cashiers SET failed_attempts = ? WHERE number = ?`, tt.managerFailed, tt.manager); err != nil {
				t.Fatal(err)
			}
			if tt.managerLock > 0 {
				r.lockFor(t, tt.manager, tt.managerLock)
			}
			before := len(r.audit(t))
			m, err := r.db.UnlockCashier(context.Background(), "s1", "t1", tt.manager, tt.pin, tt.cashier)
			if tt.wantOK {
				if err != nil || m.ID != r.id[tt.manager] || !m.Manager {
					t.Fatalf("got %+v %v, want manager %d", m, err, r.id[tt.manager])
				}
			} else if pos.ErrorCode(err) != pos.EInvalid || pos.ErrorMessage(err) != store.UnlockRefused || m.ID != 0 {
				t.Fatalf("got %+v %v, want refused (%q)", m, err, store.UnlockRefused)
			}
			rows := r.audit(t)[before:]
			if len(rows) != 1 {
				t.Fatalf("audit rows: got %d, want 1", len(rows))
			}
			a := rows[0]
			wantDetail := tt.wantDetail
			if strings.Contains(wantDetail, "%") {
				wantDetail = fmt.Sprintf(wantDetail, r.id[tt.cashier], r.id[tt.manager])
			}
			if a.action != tt.wantAction || !strings.Contains(a.detail, wantDetail) || a.store != "s1" || a.till != "t1" {
				t.Errorf("audit: got %s/%s %s %q, want s1/t1 %s containing %q", a.store, a.till, a.action, a.detail, tt.wantAction, wantDetail)
			}
			if id, known := r.id[tt.cashier]; a.cashier.Valid != known || a.cashier.Int64 != id {
				t.Errorf("audit cashier: got %v, want %d (the cashier unlocked)", a.cashier, id)
			}
			if tt.wantOK && !strings.Contains(a.detail, fmt.Sprintf("cashier %d (", r.id[tt.cashier])) {
				t.Errorf("audit %q does not name the cashier %d", a.detail, r.id[tt.cashier])
			}
			if _, known := r.id[tt.manager]; known && tt.manager != tt.cashier {
				failed, locked := r.lockState(t, tt.manager)
				if failed != tt.wantMgrFailed || locked != tt.wantMgrLocked {
					t.Errorf("manager: got failed %d locked %v, want %d %v", failed, locked, tt.wantMgrFailed, tt.wantMgrLocked)
				}
			}
			if _, known := r.id[tt.cashier]; known {
				cf, cl := r.lockState(t, tt.cashier)
				if cl != tt.wantLocked || (tt.wantOK && cf != 0) {
					t.Errorf("cashier %s: got locked %v failed %d, want locked %v", tt.cashier, cl, cf, tt.wantLocked)
				}
			}
			if tt.wantOK {
				if _, err := r.db.SignIn(context.Background(), "s1", "t1", tt.cashier, "1111"); err != nil {
					t.Errorf("sign-in after the unlock: %v", err)
				}
			}
		})
	}
}

// TestUnlockConcurrentWrongPINs: 16 unlocks with wrong manager PINs at
// once, all queued on the manager's row, count exactly MaxPINAttempts
// wrong PINs and lock the manager; the rest are refused as locked, even a
// right PIN typed afterwards, and the cashier stays locked.
func TestUnlockConcurrentWrongPINs(t *testing.T) {
	const attempts = 16
	r := newUnlockRig(t)
	r.setPolicy(t, pos.MaxPINAttempts, 10*time.Minute)
	ctx := context.Background()
	// 16 PBKDF2 derivations at once on a shared machine are slow; this
	// test is about the count, not speed.
	db, err := store.Open(ctx, store.Config{WriterDSN: r.d.DSN, MaxOpen: 40, CallTimeout: 3 * time.Minute,
		ReadTimeout: 3 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before := len(r.audit(t))
	// Hold the manager's row so that every attempt waits on it at once.
	gate, err := r.d.Admin.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gate.Rollback() })
	if _, err := gate.Exec(`SELECT cashier_id FROM cashiers WHERE number = '103' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]error, attempts)
	for i := range results {
		wg.Go(func() {
			_, results[i] = db.UnlockCashier(ctx, "s1", "t"+strconv.Itoa(i), "103", fmt.Sprintf("%04d", 3000+i), "101")
		})
	}
	waitForLockWaits(t, r.d, attempts)
	if err := gate.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range results {
		if pos.ErrorCode(err) != pos.EInvalid {
			t.Fatalf("attempt %d: got %v, want refused", i, err)
		}
	}
	counts := map[string]int{}
	rows := r.audit(t)[before:]
	for _, a := range rows {
		counts[a.action]++
	}
	want := map[string]int{"unlock_failed": pos.MaxPINAttempts - 1, "unlock_lockout": 1, "unlock_locked": attempts - pos.MaxPINAttempts}
	if len(rows) != attempts || fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("audit: got %d rows %v, want %d %v", len(rows), counts, attempts, want)
	}
	if _, locked := r.lockState(t, "103"); !locked {
		t.Errorf("the manager is not locked after %d wrong PINs", attempts)
	}
	if _, err := db.UnlockCashier(ctx, "s1", "t1", "103", "9999", "101"); pos.ErrorCode(err) != pos.EInvalid {
		t.Errorf("the right PIN of a locked manager: got %v, want refused", err)
	}
	if _, locked := r.lockState(t, "101"); !locked {
		t.Errorf("cashier 101 was unlocked by a locked manager")
	}
}

// TestUnlockAsTheTillUser runs the unlock with exactly the till's grants:
// the till cannot reset the lock itself, but the procedure can; its own
// transaction cannot roll a counted wrong manager PIN back.
func TestUnlockAsTheTillUser(t *testing.T) {
	r := newUnlockRig(t)
	db, _ := tillUser(t, r.d)
	ctx := context.Background()
	if _, err := db.Writer().Exec(`UPDATE cashiers SET locked_until = NULL WHERE number = '101'`); err == nil {
		t.Fatal("the till's user could reset a lock itself")
	}
	conn, err := db.Writer().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{"START TRANSACTION", "CALL unlock_cashier('s1', 't1', '103', 'guess', '101')", "ROLLBACK"} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	conn.Close()
	if failed, _ := r.lockState(t, "103"); failed != 1 {
		t.Errorf("after a rolled-back guess: the manager's failed_attempts %d, want 1", failed)
	}
	if _, err := db.UnlockCashier(ctx, "s1", "t1", "103", "0000", "101"); pos.ErrorCode(err) != pos.EInvalid {
		t.Fatalf("a wrong manager PIN as the till's user: got %v, want refused", err)
	}
	m, err := db.UnlockCashier(ctx, "s1", "t1", "103", "9999", "101")
	if err != nil || m.ID != r.id["103"] {
		t.Fatalf("unlock as the till's user: got %+v %v", m, err)
	}
	if failed, locked := r.lockState(t, "101"); locked || failed != 0 {
		t.Errorf("cashier 101 after the unlock: failed %d locked %v", failed, locked)
	}
	if c, err := db.SignIn(ctx, "s1", "t1", "101", "1111"); err != nil || c.ID != r.id["101"] {
		t.Errorf("sign-in after the unlock: %+v %v", c, err)
	}
}
