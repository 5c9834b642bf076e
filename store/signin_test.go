package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// signInRig is a migrated database with cashiers 101 (PIN 1111), 102
// (PIN 2222, inactive) and 103 (PIN 9999, manager), and the till's store on
// it as the administrative user.
type signInRig struct {
	d  *storetest.Database
	db *store.DB
	id map[string]int64 // cashier id by number
}

func newSignInRig(t testing.TB) *signInRig {
	t.Helper()
	r := &signInRig{d: storetest.NewDatabase(t), id: map[string]int64{}}
	for _, c := range []struct {
		number, name, pin string
		manager, active   bool
	}{
		{"101", "Ann Baker", "1111", false, true},
		{"102", "Ben Cole", "2222", false, false},
		{"103", "Cat Dunn", "9999", true, true},
	} {
		hash, err := pos.HashPIN(c.pin)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.d.Admin.Exec(`INSERT INTO cashiers (number, name, pin_hash, manager, active)
			VALUES (?, ?, ?, ?, ?)`, c.number, c.name, hash, c.manager, c.active)
		if err != nil {
			t.Fatal(err)
		}
		r.id[c.number], _ = res.LastInsertId()
	}
	// Every cashier may sign in at every store (s7 too); TestSignInStores
	// is about the stores.
	r.d.AddStore(t, store.StoreInfo{ID: "s7"})
	if _, err := r.d.Admin.Exec(`INSERT INTO cashier_stores (cashier_id, store_id)
		SELECT cashier_id, store_id FROM cashiers CROSS JOIN stores`); err != nil {
		t.Fatal(err)
	}
	r.db = r.d.Open(t)
	return r
}

// setPolicy sets the database's lockout policy.
func (r *signInRig) setPolicy(t testing.TB, attempts int, lockout time.Duration) {
	t.Helper()
	if _, err := r.d.Admin.Exec(`UPDATE signin_policy SET max_attempts = ?, lockout_seconds = ?`,
		attempts, int(lockout/time.Second)); err != nil {
		t.Fatal(err)
	}
}

// lockFor locks a cashier for d from now on the database's clock (d < 0:
// a lock that has run out).
func (r *signInRig) lockFor(t testing.TB, number string, d time.Duration) {
	t.Helper()
	if _, err := r.d.Admin.Exec(`UPDATE cashiers SET locked_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND
		WHERE number = ?`, int(d/time.Second), number); err != nil {
		t.Fatal(err)
	}
}

type auditRow struct {
	id                  int64
	store, till, action string
	detail              string
	cashier             sql.NullInt64
	secondsAfterDBClock float64 // at − UTC_TIMESTAMP() when read
}

// audit returns the audit rows in the order they were written.
func (r *signInRig) audit(t testing.TB) []auditRow {
	t.Helper()
	rows, err := r.d.Admin.Query(`SELECT audit_id, store_id, till_id, cashier_id, action, detail,
		TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), at) / 1e6 FROM audit_log ORDER BY audit_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var a auditRow
		if err := rows.Scan(&a.id, &a.store, &a.till, &a.cashier, &a.action, &a.detail, &a.secondsAfterDBClock); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// lockState is a cashier's counter and whether it is locked now, by the
// database's clock.
func (r *signInRig) lockState(t testing.TB, number string) (failed int, locked bool) {
	t.Helper()
	err := r.d.Admin.QueryRow(`SELECT failed_attempts, COALESCE(locked_until > UTC_TIMESTAMP(6), FALSE)
		FROM cashiers WHERE number = ?`, number).Scan(&failed, &locked)
	if err != nil {
		t.Fatal(err)
	}
	return failed, locked
}

func TestSignIn(t *testing.T) {
	tests := []struct {
		name       string
		number     string
		pin        string
		lock       time.Duration // > 0: locked for this long; < 0: a lock that ran out
		failed     int           // failed_attempts before
		wantIn     bool
		wantAction string
		wantDetail string
		wantFailed int // failed_attempts after
		wantLocked bool
	}{
		{"right PIN", "101", "1111", 0, 2, true, "sign_in", "", 0, false},
		{"manager", "103", "9999", 0, 0, true, "sign_in", "", 0, false},
		{"wrong PIN is counted", "101", "1112", 0, 0, false, "sign_in_failed", "wrong PIN 1 of 3", 1, false},
		{"third wrong PIN locks", "101", "0000", 0, 2, false, "sign_in_lockout", "wrong PIN 3 of 3: locked until", 0, true},
		{"unknown number", "999", "1111", 0, 0, false, "sign_in_unknown", "no cashier numbered 999", 0, false},
		{"quote in the number", "101' OR '1'='1", "1111", 0, 0, false, "sign_in_unknown", "numbered 101' OR '1'='1", 0, false},
		{"number too long", strings.Repeat("9", 300), "1111", 0, 0, false, "sign_in_unknown", strings.Repeat("9", 64), 0, false},
		{"inactive, right PIN", "102", "2222", 0, 0, false, "sign_in_inactive", "not active (the PIN was right)", 0, false},
		{"locked, right PIN", "101", "1111", time.Minute, 0, false, "sign_in_locked", "(the PIN was right)", 0, true},
		{"locked, wrong PIN is not counted", "101", "0000", time.Minute, 1, false, "sign_in_locked", "(the PIN was wrong)", 1, true},
		{"lock ran out", "101", "1111", -time.Second, 2, true, "sign_in", "", 0, false},
		{"not a PIN", "101", "x' OR '1'='1", 0, 0, false, "sign_in_failed", "wrong PIN 1 of 3", 1, false},
		{"empty PIN", "101", "", 0, 0, false, "sign_in_failed", "wrong PIN 1 of 3", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newSignInRig(t)
			if tt.lock != 0 {
				r.lockFor(t, tt.number, tt.lock)
			}
			if _, err := r.d.Admin.Exec(`UPDATE cashiers SET failed_attempts = ? WHERE number = ?`, tt.failed, tt.number); err != nil {
				t.Fatal(err)
			}
			c, err := r.db.SignIn(context.Background(), "s7", "t3", tt.number, tt.pin)
			if tt.wantIn {
				if err != nil || c.Number != tt.number || c.ID != r.id[tt.number] || c.Manager != (tt.number == "103") || c.Name == "" {
					t.Fatalf("got %+v, %v; want cashier %s signed in", c, err, tt.number)
				}
			} else {
				if pos.ErrorCode(err) != pos.EInvalid || !strings.Contains(err.Error(), store.SignInRefused) || c != (pos.Cashier{}) {
					t.Fatalf("got %+v, %v; want the one refusal for every case (%s)", c, err, store.SignInRefused)
				}
			}
			rows := r.audit(t)
			if len(rows) != 1 {
				t.Fatalf("audit rows: got %d, want 1", len(rows))
			}
			a := rows[0]
			if a.store != "s7" || a.till != "t3" || a.action != tt.wantAction || !strings.Contains(a.detail, tt.wantDetail) {
				t.Errorf("audit: got store %q till %q %s %q; want s7 t3 %s %q", a.store, a.till, a.action, a.detail,
					tt.wantAction, tt.wantDetail)
			}
			if want := r.id[tt.number]; a.cashier.Int64 != want || a.cashier.Valid != (want != 0) {
				t.Errorf("audit cashier: got %v, want %d", a.cashier, want)
			}
			if a.secondsAfterDBClock > 0 || a.secondsAfterDBClock < -5 {
				t.Errorf("audit time is %.3f s from the database's clock", a.secondsAfterDBClock)
			}
			if _, ok := r.id[tt.number]; ok {
				failed, locked := r.lockState(t, tt.number)
				if failed != tt.wantFailed || locked != tt.wantLocked {
					t.Errorf("after: failed_attempts %d locked %v; want %d %v", failed, locked, tt.wantFailed, tt.wantLocked)
				}
			}
		})
	}
}

// TestSignInLockoutSequence walks one cashier through the whole lockout:
// wrong PINs up to the limit lock it, the right PIN is refused (and
// audited) while locked, the lock's end is on the database's clock, and a
// right PIN afterwards signs in and starts the count again.
func TestSignInLockoutSequence(t *testing.T) {
	r := newSignInRig(t)
	r.setPolicy(t, 3, 2*time.Minute)
	ctx := context.Background()
	steps := []struct {
		pin        string
		wantIn     bool
		wantAction string
	}{
		{"0000", false, "sign_in_failed"},
		{"1111", true, "sign_in"}, // the count starts again
		{"0001", false, "sign_in_failed"},
		{"0002", false, "sign_in_failed"},
		{"0003", false, "sign_in_lockout"},
		{"1111", false, "sign_in_locked"},
		{"0004", false, "sign_in_locked"},
	}
	for i, s := range steps {
		_, err := r.db.SignIn(ctx, "s1", "t1", "101", s.pin)
		if (err == nil) != s.wantIn {
			t.Fatalf("step %d (%s): got %v, want signed in %v", i, s.pin, err, s.wantIn)
		}
	}
	rows := r.audit(t)
	if len(rows) != len(steps) {
		t.Fatalf("audit rows: got %d, want %d", len(rows), len(steps))
	}
	for i, s := range steps {
		if rows[i].action != s.wantAction {
			t.Errorf("audit %d: got %s, want %s", i, rows[i].action, s.wantAction)
		}
	}
	var lockedFor float64
	if err := r.d.Admin.QueryRow(`SELECT TIMESTAMPDIFF(MICROSECOND, a.at, c.locked_until) / 1e6
		FROM cashiers c JOIN audit_log a ON a.cashier_id = c.cashier_id AND a.action = 'sign_in_lockout'
		WHERE c.number = '101'`).Scan(&lockedFor); err != nil || lockedFor != 120 {
		t.Errorf("locked for %v s after the lockout's audit time (%v); want 120", lockedFor, err)
	}
	// Two minutes later by the database's clock (moved by hand).
	r.lockFor(t, "101", -time.Second)
	if _, err := r.db.SignIn(ctx, "s1", "t1", "101", "1111"); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
}

// TestSignInConcurrentLockout fires 19 wrong PINs and the right one at
// once, several rounds, at a cashier with a 5-attempt limit. Attempts on
// one cashier are serialised by the database (the row lock), so the audit
// log, in write order, must read as one legal run of the lockout: wrong
// PINs counted until the fifth locks, everything after refused as locked —
// the right PIN too, unless it came before the lock, in which case it
// signed in and the count started again. Checked from the database, not
// from timing. In every other round an administrator's transaction holds
// the cashier's row until all 20 calls are waiting inside the database, so
// they truly meet there (the PBKDF2 work before the call would otherwise
// spread them out).
func TestSignInConcurrentLockout(t *testing.T) {
	const (
		limit  = 5
		wrong  = 19
		rounds = 4
	)
	r := newSignInRig(t)
	r.setPolicy(t, limit, 10*time.Minute)
	ctx := context.Background()
	// 20 PBKDF2 derivations at once on a shared machine can outlast the
	// till's 15 s call deadline and its 10 s read timeout while they wait on
	// the gate; this test is about the lockout, not speed.
	db, err := store.Open(ctx, store.Config{WriterDSN: r.d.DSN, MaxOpen: 40, CallTimeout: 3 * time.Minute,
		ReadTimeout: 3 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rightIn, rightRefused := 0, 0
	for round := range rounds {
		if _, err := r.d.Admin.Exec(`UPDATE cashiers SET failed_attempts = 0, locked_until = NULL WHERE number = '101'`); err != nil {
			t.Fatal(err)
		}
		before := len(r.audit(t))
		gated := round%2 == 0
		var gate *sql.Tx
		if gated {
			var err error
			if gate, err = r.d.Admin.BeginTx(ctx, nil); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { gate.Rollback() }) // if the test ends early
			if _, err := gate.Exec(`SELECT cashier_id FROM cashiers WHERE number = '101' FOR UPDATE`); err != nil {
				t.Fatal(err)
			}
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		results := make([]error, wrong+1) // [0] is the right PIN
		for i := range results {
			pin := "1111"
			if i > 0 {
				pin = fmt.Sprintf("%04d", 2000+i)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, results[i] = db.SignIn(ctx, "s1", "t"+strconv.Itoa(i), "101", pin)
			}()
		}
		close(start)
		if gated {
			waitForLockWaits(t, r.d, wrong+1)
			if err := gate.Rollback(); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		for i, err := range results[1:] {
			if pos.ErrorCode(err) != pos.EInvalid {
				t.Fatalf("round %d: wrong PIN %d: got %v, want refused", round, i+1, err)
			}
		}
		rows := r.audit(t)[before:]
		if len(rows) != wrong+1 {
			t.Fatalf("round %d: audit rows: got %d, want %d (every attempt audited)", round, len(rows), wrong+1)
		}
		// Replay the log against the rule.
		failed, locked, lockouts := 0, false, 0
		counts := map[string]int{}
		rightSeen := false
		for _, a := range rows {
			right := a.till == "t0"
			var want string
			switch {
			case locked:
				want = "sign_in_locked"
			case right:
				want, failed = "sign_in", 0
			case failed+1 == limit:
				want, failed, locked = "sign_in_lockout", 0, true
				lockouts++
			default:
				want = "sign_in_failed"
				failed++
			}
			if a.action != want {
				t.Fatalf("round %d: audit %d (till %s): got %s, want %s\n%v", round, a.id, a.till, a.action, want, rows)
			}
			if right {
				rightSeen = true
				if (a.action == "sign_in") != (results[0] == nil) {
					t.Errorf("round %d: the right PIN was told %v but audited %s", round, results[0], a.action)
				}
			}
			counts[a.action]++
		}
		if !rightSeen || lockouts != 1 || !locked {
			t.Fatalf("round %d: right PIN audited %v, lockouts %d, locked %v; want true, 1, true", round, rightSeen, lockouts, locked)
		}
		dbFailed, dbLocked := r.lockState(t, "101")
		if !dbLocked || dbFailed != 0 {
			t.Errorf("round %d: database says failed %d locked %v; want 0 locked", round, dbFailed, dbLocked)
		}
		// Exact counts: 5 counted wrong PINs end in the lock (4 failed + 1
		// lockout) after the right PIN's sign-in if it came first; every
		// other attempt is refused as locked.
		if results[0] == nil {
			rightIn++
		} else {
			rightRefused++
			if counts["sign_in_failed"] != limit-1 || counts["sign_in_lockout"] != 1 || counts["sign_in_locked"] != wrong+1-limit {
				t.Errorf("round %d: counts %v; want %d failed, 1 lockout, %d locked", round, counts, limit-1, wrong+1-limit)
			}
		}
		t.Logf("round %d (all waiting at the database first: %v): %d attempts at once: %v; right PIN signed in: %v",
			round, gated, wrong+1, counts, results[0] == nil)
	}
	t.Logf("right PIN: signed in %d, refused (after the lock) %d of %d rounds", rightIn, rightRefused, rounds)
}

// storeTrxPoll spaces the reads of INNODB_TRX: the server refreshes that
// table's cache only when nobody read it for 100 ms, so polling faster
// sees the same rows for ever.
const storeTrxPoll = 250 * time.Millisecond

// waitForLockWaits waits until n transactions of d's sessions wait for a
// row lock.
func waitForLockWaits(t *testing.T, d *storetest.Database, n int) {
	t.Helper()
	const patience = 2 * time.Minute // the test machine may be very busy
	deadline := time.Now().Add(patience)
	for {
		waiting, err := store.OpenTransactions(context.Background(), d.Admin, d.Name, true)
		if err != nil {
			// information_schema's temporary tables can fail on a busy
			// server; ask again.
			t.Logf("counting lock waits: %v", err)
		}
		if err == nil && waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			// Say what the sessions are doing instead.
			rows, _ := d.Admin.Query(`SELECT ID, COMMAND, COALESCE(STATE, ''), COALESCE(INFO, '')
				FROM information_schema.PROCESSLIST WHERE DB = ?`, d.Name)
			for rows != nil && rows.Next() {
				var id, cmd, state, info string
				rows.Scan(&id, &cmd, &state, &info)
				t.Logf("%s %s %s %q", id, cmd, state, info)
			}
			t.Fatalf("%d of %d sign-ins waiting on the cashier's row after %s", waiting, n, patience)
		}
		time.Sleep(storeTrxPoll)
	}
}

// TestSignInUnknownNumberLooksLikeWrongPIN: the till, and anyone holding
// its database user, sees the same answer for a number that does not exist
// as for a wrong PIN, and pin_params gives a number that does not exist a
// salt and count of the same shape, the same each time.
func TestSignInUnknownNumberLooksLikeWrongPIN(t *testing.T) {
	r := newSignInRig(t)
	ctx := context.Background()
	_, unknown := r.db.SignIn(ctx, "s1", "t1", "999", "1111")
	_, wrongPIN := r.db.SignIn(ctx, "s1", "t1", "101", "1112")
	r.lockFor(t, "103", time.Minute)
	_, locked := r.db.SignIn(ctx, "s1", "t1", "103", "9999")
	_, inactive := r.db.SignIn(ctx, "s1", "t1", "102", "2222")
	for name, err := range map[string]error{"unknown": unknown, "locked": locked, "inactive": inactive} {
		if err == nil || err.Error() != wrongPIN.Error() || pos.ErrorCode(err) != pos.ErrorCode(wrongPIN) {
			t.Errorf("%s: got %v (%s); wrong PIN got %v (%s)", name, err, pos.ErrorCode(err), wrongPIN, pos.ErrorCode(wrongPIN))
		}
	}
	params := func(number string) (int, string) {
		var iter int
		var salt string
		if err := r.db.Writer().QueryRow(`CALL pin_params(?)`, number).Scan(&iter, &salt); err != nil {
			t.Fatal(err)
		}
		return iter, salt
	}
	realIter, realSalt := params("101")
	fakeIter, fakeSalt := params("999")
	againIter, againSalt := params("999")
	_, otherSalt := params("998")
	if fakeIter != realIter || len(fakeSalt) != len(realSalt) || fakeSalt == realSalt {
		t.Errorf("pin_params: real %d %q, unknown %d %q; want the same count and shape", realIter, realSalt, fakeIter, fakeSalt)
	}
	if againIter != fakeIter || againSalt != fakeSalt || otherSalt == fakeSalt {
		t.Errorf("pin_params of unknown numbers: %q then %q, and %q for another; want stable and distinct",
			fakeSalt, againSalt, otherSalt)
	}
	hash, _ := pos.HashPIN("1111")
	if want := strings.Split(hash, "$")[1]; strconv.Itoa(fakeIter) != want {
		t.Errorf("pin_params count for an unknown number: %d; pos.HashPIN uses %s", fakeIter, want)
	}
}

// TestSignInPolicyDefaults: the migration's policy is pos's.
func TestSignInPolicyDefaults(t *testing.T) {
	d := storetest.NewDatabase(t)
	var attempts, seconds int
	if err := d.Admin.QueryRow(`SELECT max_attempts, lockout_seconds FROM signin_policy`).Scan(&attempts, &seconds); err != nil {
		t.Fatal(err)
	}
	if attempts != pos.MaxPINAttempts || time.Duration(seconds)*time.Second != pos.PINLockout {
		t.Errorf("signin_policy: %d attempts, %d s; pos says %d, %s", attempts, seconds, pos.MaxPINAttempts, pos.PINLockout)
	}
}

// tillUser applies the till's grants to a new user and opens the store as
// that user.
func tillUser(t *testing.T, d *storetest.Database, before ...string) (*store.DB, string) {
	t.Helper()
	ctx := context.Background()
	user := "till_si_" + d.Name[len("till_test_"):]
	const password = "till-signin-test-password"
	t.Cleanup(func() { d.Admin.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })
	if len(before) > 0 {
		if _, err := d.Admin.Exec("CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'"); err != nil {
			t.Fatal(err)
		}
		for _, g := range before {
			if _, err := d.Admin.Exec(fmt.Sprintf(g, "`"+d.Name+"`", "'"+user+"'@'%'")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := store.ApplyGrants(ctx, d.Admin, store.GrantOptions{Database: d.Name, User: user, Host: "%", Password: password}); err != nil {
		t.Fatal(err)
	}
	cfg, err := mysql.ParseDSN(d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Passwd = user, password
	db, err := store.Open(ctx, store.Config{WriterDSN: cfg.FormatDSN()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, user
}

// TestTillUserCannotReadPINHashes: the till's user signs in through the
// procedures and cannot read a PIN hash, the lockout or the policy, nor
// change them, nor roll a counted wrong PIN back. An older user (granted
// SELECT on all of cashiers and UPDATE of the lockout columns) loses that
// when the grants are applied again.
func TestTillUserCannotReadPINHashes(t *testing.T) {
	for _, tt := range []struct {
		name   string
		before []string
	}{
		{"new user", nil},
		{"user granted before migration 00002", []string{
			"GRANT SELECT, UPDATE (failed_attempts, locked_until) ON %s.cashiers TO %s",
			"GRANT SELECT (pin_hash) ON %s.cashiers TO %s",
			"GRANT INSERT ON %s.audit_log TO %s",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newSignInRig(t)
			db, _ := tillUser(t, r.d, tt.before...)
			ctx := context.Background()
			c, err := db.SignIn(ctx, "s1", "t1", "103", "9999")
			if err != nil || !c.Manager {
				t.Fatalf("sign in as the till's user: %+v %v", c, err)
			}
			if _, err := db.SignIn(ctx, "s1", "t1", "101", "0000"); pos.ErrorCode(err) != pos.EInvalid {
				t.Fatalf("wrong PIN as the till's user: %v", err)
			}
			var name string
			if err := db.Writer().QueryRow(`SELECT name FROM cashiers WHERE cashier_id = ?`, c.ID).Scan(&name); err != nil {
				t.Errorf("the till reads a cashier's name for receipts: %v", err)
			}
			for _, stmt := range []string{
				"SELECT pin_hash FROM cashiers",
				"SELECT * FROM cashiers",
				"SELECT failed_attempts, locked_until FROM cashiers",
				"SELECT COUNT(*) FROM cashiers WHERE pin_hash LIKE 'pbkdf2%'",
				"SELECT * FROM signin_policy",
				"UPDATE cashiers SET failed_attempts = 0",
				"UPDATE cashiers SET locked_until = NULL",
				"UPDATE cashiers SET pin_hash = 'x'",
				"DROP PROCEDURE sign_in",
				"CREATE PROCEDURE p() SELECT pin_hash FROM cashiers",
			} {
				rows, err := db.Writer().Query(stmt)
				if err == nil {
					rows.Close()
					t.Errorf("the till user could run %q", stmt)
				}
			}
			// Its own transaction cannot undo the count: sign_in commits it.
			conn, err := db.Writer().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, stmt := range []string{"START TRANSACTION", "CALL sign_in('s1', 't1', '101', 'guess')", "ROLLBACK"} {
				if _, err := conn.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			if failed, _ := r.lockState(t, "101"); failed != 2 {
				t.Errorf("after a rolled-back guess: failed_attempts %d, want 2", failed)
			}
		})
	}
}

func TestSignInErrorsPassThrough(t *testing.T) {
	r := newSignInRig(t)
	if _, err := r.d.Admin.Exec(`DELETE FROM signin_policy`); err != nil {
		t.Fatal(err)
	}
	_, err := r.db.SignIn(context.Background(), "s1", "t1", "101", "1111")
	if err == nil || pos.ErrorCode(err) == pos.EInvalid || errors.Is(err, context.Canceled) {
		t.Fatalf("no policy: got %v, want a database error, not a refusal", err)
	}
	if rows := r.audit(t); len(rows) != 0 {
		t.Errorf("audit rows after a failed sign-in call: %d, want 0 (rolled back)", len(rows))
	}
}

// BenchmarkSignIn measures one whole sign-in against the database: the
// parameters, the PBKDF2 derivation on the till, the procedure.
func BenchmarkSignIn(b *testing.B) {
	r := newSignInRig(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.db.SignIn(ctx, "s1", "t1", "101", "1111"); err != nil {
			b.Fatal(err)
		}
	}
}
