package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 30, 22, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// countChecks makes c count the PIN checks made against each hash: the
// guesses a number was given.
func countChecks(c *Cashiers) map[string]*atomic.Int64 {
	counts := map[string]*atomic.Int64{}
	for _, oc := range c.byNumber {
		counts[oc.cashier.PINHash] = new(atomic.Int64)
	}
	check := c.check
	c.check = func(hash, pin string) bool {
		if n, ok := counts[hash]; ok {
			n.Add(1)
		}
		return check(hash, pin)
	}
	return counts
}

func refused(err error) bool {
	return pos.ErrorCode(err) == pos.EInvalid && pos.ErrorMessage(err) == SignInRefused
}

// TestCashiersSignIn: the right PIN signs the snapshot's cashier in; an
// unknown number, a wrong PIN and another store read the same.
func TestCashiersSignIn(t *testing.T) {
	s := testSnapshot(t)
	tests := []struct {
		name, store, number, pin string
		want                     pos.Cashier // zero: refused
	}{
		{"a cashier", "s1", "101", "1111", s.Cashiers[0].Cashier},
		{"a manager", "s1", "103", "9999", s.Cashiers[1].Cashier},
		{"a wrong PIN", "s1", "101", "1112", pos.Cashier{}},
		{"another cashier's PIN", "s1", "101", "9999", pos.Cashier{}},
		{"no PIN", "s1", "101", "", pos.Cashier{}},
		{"an unknown number", "s1", "102", "1111", pos.Cashier{}},
		{"another store", "s2", "101", "1111", pos.Cashier{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCashiers(s, nil)
			got, err := c.SignIn(context.Background(), tt.store, "t1", tt.number, tt.pin)
			if tt.want.ID != 0 {
				if err != nil || got != tt.want {
					t.Errorf("got %+v %v, want %+v", got, err, tt.want)
				}
				return
			}
			if !refused(err) || got != (pos.Cashier{}) {
				t.Errorf("got %+v %v, want refused with %q", got, err, SignInRefused)
			}
		})
	}
}

// TestCashiersLockout: pos.MaxPINAttempts wrong PINs in a row lock a
// number for pos.PINLockout, during which no PIN is even checked; a right
// PIN before that starts the count again; one number's lock is not
// another's.
func TestCashiersLockout(t *testing.T) {
	if pos.MaxPINAttempts != 3 {
		t.Fatalf("the steps assume 3 attempts, pos says %d", pos.MaxPINAttempts)
	}
	clk := newClock()
	c := NewCashiers(testSnapshot(t), clk.Now)
	checks := countChecks(c)
	hash101 := c.byNumber["101"].cashier.PINHash
	steps := []struct {
		name        string
		advance     time.Duration
		number, pin string
		wantOK      bool
		wantChecked bool
	}{
		{"wrong 1", 0, "101", "0000", false, true},
		{"wrong 2", 0, "101", "0000", false, true},
		{"right: the count starts again", 0, "101", "1111", true, true},
		{"wrong 1 again", 0, "101", "0000", false, true},
		{"wrong 2 again", 0, "101", "0000", false, true},
		{"wrong 3 locks", 0, "101", "0000", false, true},
		{"locked: the right PIN is refused unchecked", 0, "101", "1111", false, false},
		{"another number is not locked", 0, "103", "9999", true, false},
		{"still locked a second before the end", pos.PINLockout - time.Second, "101", "1111", false, false},
		{"the lock is over", time.Second, "101", "1111", true, true},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		before := checks[hash101].Load()
		got, err := c.SignIn(context.Background(), "s1", "t1", st.number, st.pin)
		if st.wantOK && (err != nil || got.Number != st.number) {
			t.Fatalf("%s: got %+v %v, want signed in", st.name, got, err)
		}
		if !st.wantOK && !refused(err) {
			t.Fatalf("%s: got %+v %v, want refused", st.name, got, err)
		}
		if checked := checks[hash101].Load() > before; st.number == "101" && checked != st.wantChecked {
			t.Errorf("%s: PIN checked %v, want %v", st.name, checked, st.wantChecked)
		}
	}
}

// TestCashiersConcurrentLockout: 32 wrong PINs at once on one number get
// exactly pos.MaxPINAttempts guesses checked, all are refused, and the
// number is locked: concurrent sign-ins do not get around the count.
func TestCashiersConcurrentLockout(t *testing.T) {
	clk := newClock()
	c := NewCashiers(testSnapshot(t), clk.Now)
	checks := countChecks(c)
	hash101 := c.byNumber["101"].cashier.PINHash
	const n = 32
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// Different wrong PINs, as someone guessing would type.
			pin := "00" + string(rune('0'+i/10)) + string(rune('0'+i%10))
			_, errs[i] = c.SignIn(context.Background(), "s1", "t1", "101", pin)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if !refused(err) {
			t.Errorf("sign-in %d: got %v, want refused", i, err)
		}
	}
	if got := checks[hash101].Load(); got != pos.MaxPINAttempts {
		t.Errorf("%d PINs checked, want exactly %d", got, pos.MaxPINAttempts)
	}
	if _, err := c.SignIn(context.Background(), "s1", "t1", "101", "1111"); !refused(err) {
		t.Errorf("the right PIN after the burst: got %v, want refused (locked)", err)
	}
	clk.Advance(pos.PINLockout)
	if got, err := c.SignIn(context.Background(), "s1", "t1", "101", "1111"); err != nil || got.Number != "101" {
		t.Errorf("the right PIN once the lock is over: got %+v %v", got, err)
	}
}

// TestCashiersSignInWaitsWithItsContext: a sign-in queued behind another
// on the same number ends when its ctx does.
func TestCashiersSignInWaitsWithItsContext(t *testing.T) {
	c := NewCashiers(testSnapshot(t), nil)
	oc := c.byNumber["101"]
	oc.turn <- struct{}{} // an attempt under way
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.SignIn(ctx, "s1", "t1", "101", "1111")
	if pos.ErrorCode(err) != pos.EUnavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want EUnavailable with the deadline", err)
	}
	<-oc.turn
}

// onlineStub is the database's sign-in, answering as told.
type onlineStub struct {
	cashier pos.Cashier
	err     error
	calls   atomic.Int64
}

func (o *onlineStub) SignIn(context.Context, string, string, string, string) (pos.Cashier, error) {
	o.calls.Add(1)
	return o.cashier, o.err
}

// TestFallback: online's answer stands unless the database is unreachable
// (EUnavailable); only then the snapshot signs in, and when it cannot, the
// error says so.
func TestFallback(t *testing.T) {
	s := testSnapshot(t)
	onlineCashier := pos.Cashier{ID: 99, Number: "101", Name: "Ann Baker (online)"}
	down := pos.Errorf(pos.EUnavailable, "reconnecting to the database: it did not answer in time")
	wrongPIN := pos.Errorf(pos.EInvalid, "%s", SignInRefused)
	internal := errors.New("driver: bad connection state")
	noSnapshot := func() (*Cashiers, error) { return nil, os.ErrNotExist }
	tests := []struct {
		name        string
		online      *onlineStub
		offline     func() (*Cashiers, error) // nil: the snapshot of s
		noOffline   bool                      // Offline left nil
		cancelled   bool
		pin         string
		want        pos.Cashier
		wantErr     error  // errors.Is
		wantCode    string // when an error is wanted
		wantMessage string
		wantOffline bool // Offline asked
	}{
		{name: "online ok: the online answer", online: &onlineStub{cashier: onlineCashier}, pin: "1111",
			want: onlineCashier},
		{name: "online wrong PIN: not tried offline", online: &onlineStub{err: wrongPIN}, pin: "1111",
			wantErr: wrongPIN, wantCode: pos.EInvalid, wantMessage: SignInRefused},
		{name: "online internal error: not tried offline", online: &onlineStub{err: internal}, pin: "1111",
			wantErr: internal, wantCode: pos.EInternal},
		{name: "database down: the snapshot signs in", online: &onlineStub{err: down}, pin: "1111",
			want: s.Cashiers[0].Cashier, wantOffline: true},
		{name: "database down, wrong PIN offline: refused", online: &onlineStub{err: down}, pin: "0000",
			wantCode: pos.EInvalid, wantMessage: SignInRefused, wantOffline: true},
		{name: "database down, no snapshot", online: &onlineStub{err: down}, offline: noSnapshot, pin: "1111",
			wantErr: os.ErrNotExist, wantCode: pos.EUnavailable, wantMessage: unreachable, wantOffline: true},
		{name: "database down, no offline sign-in set up", online: &onlineStub{err: down}, noOffline: true, pin: "1111",
			wantErr: down, wantCode: pos.EUnavailable, wantMessage: unreachable},
		{name: "cancelled: not tried offline", online: &onlineStub{err: down}, cancelled: true, pin: "1111",
			wantErr: down, wantCode: pos.EUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked atomic.Int64
			offline := NewCashiers(s, nil)
			f := Fallback{Online: tt.online}
			if !tt.noOffline {
				f.Offline = func() (*Cashiers, error) {
					asked.Add(1)
					if tt.offline != nil {
						return tt.offline()
					}
					return offline, nil
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancelled {
				cancel()
			}
			got, err := f.SignIn(ctx, "s1", "t1", "101", tt.pin)
			if tt.online.calls.Load() != 1 {
				t.Errorf("online asked %d times, want once", tt.online.calls.Load())
			}
			if asked.Load() > 0 != tt.wantOffline {
				t.Errorf("offline asked %d times, want asked %v", asked.Load(), tt.wantOffline)
			}
			if tt.wantCode == "" {
				if err != nil || got != tt.want {
					t.Errorf("got %+v %v, want %+v", got, err, tt.want)
				}
				return
			}
			if got != (pos.Cashier{}) || pos.ErrorCode(err) != tt.wantCode ||
				(tt.wantErr != nil && !errors.Is(err, tt.wantErr)) ||
				(tt.wantMessage != "" && pos.ErrorMessage(err) != tt.wantMessage) {
				t.Errorf("got %+v %v (%s: %q), want %s %q wrapping %v",
					got, err, pos.ErrorCode(err), pos.ErrorMessage(err), tt.wantCode, tt.wantMessage, tt.wantErr)
			}
		})
	}
}

// TestLoader: the snapshot is loaded once and the same Cashiers given
// while the file is unchanged; a newer snapshot is loaded with the locks
// carried over; a file that cannot be used is refused and tried again.
func TestLoader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offline", "snapshot")
	clk := newClock()
	load := Loader(path, "s1", clk.Now)
	if _, err := load(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no snapshot yet: got %v", err)
	}
	s := testSnapshot(t)
	if err := Save(path, s); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := load(); !errors.Is(err, ErrExposed) {
		t.Fatalf("a 0644 snapshot: got %v, want ErrExposed", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	c1, err := load()
	if err != nil {
		t.Fatal(err)
	}
	if c2, err := load(); err != nil || c2 != c1 {
		t.Fatalf("unchanged file: got %p %v, want the same Cashiers %p", c2, err, c1)
	}
	for range pos.MaxPINAttempts {
		if _, err := c1.SignIn(context.Background(), "s1", "t1", "101", "0000"); !refused(err) {
			t.Fatalf("wrong PIN: %v", err)
		}
	}
	// A newer snapshot (one item fewer, so the file differs in size too).
	s.TakenAt = s.TakenAt.Add(time.Hour)
	s.Items = s.Items[:1]
	if err := Save(path, s); err != nil {
		t.Fatal(err)
	}
	c3, err := load()
	if err != nil || c3 == c1 {
		t.Fatalf("newer file: got %p %v, want a new Cashiers", c3, err)
	}
	if _, err := c3.SignIn(context.Background(), "s1", "t1", "101", "1111"); !refused(err) {
		t.Errorf("101 after the reload: got %v, want still locked", err)
	}
	if got, err := c3.SignIn(context.Background(), "s1", "t1", "103", "9999"); err != nil || !got.Manager {
		t.Errorf("103 after the reload: got %+v %v", got, err)
	}
}

// TestFallbackAudits: a sign-in from the snapshot, let in or refused, is
// handed to Audit (the database cannot audit it); one online is not.
func TestFallbackAudits(t *testing.T) {
	snap := testSnapshot(t)
	var got []pos.AuditEntry
	offline := NewCashiers(snap, time.Now)
	f := Fallback{Online: &onlineStub{err: pos.Errorf(pos.EUnavailable, "the database does not answer")},
		Offline: func() (*Cashiers, error) { return offline, nil },
		Audit:   func(e pos.AuditEntry) { got = append(got, e) }}
	ctx := context.Background()
	if _, err := f.SignIn(ctx, snap.StoreID, "t1", snap.Cashiers[0].Number, "1111"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.SignIn(ctx, snap.StoreID, "t1", snap.Cashiers[0].Number, "0000"); err == nil {
		t.Fatal("a wrong PIN signed in")
	}
	if len(got) != 2 || got[0].Action != "sign_in_offline" || got[0].CashierID != snap.Cashiers[0].ID ||
		got[1].Action != "sign_in_offline_refused" || got[1].CashierID != 0 {
		t.Errorf("audited: %+v", got)
	}
}

// TestLockoutsSurviveARestart: the wrong-PIN counts live on the till's
// disk, so quitting and starting the till gives no fresh guesses — two
// wrong PINs, a restart (a new Loader), one more: locked, the right PIN
// refused. 32 sign-ins at once on a restarted till still get exactly the
// guesses left. The file is the till user's alone.
func TestLockoutsSurviveARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offline", "snapshot")
	if err := Save(path, testSnapshot(t)); err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	ctx := context.Background()
	start := func() *Cashiers {
		t.Helper()
		c, err := Loader(path, "s1", clk.Now)()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := start()
	for range pos.MaxPINAttempts - 1 {
		if _, err := c.SignIn(ctx, "s1", "t1", "101", "0000"); !refused(err) {
			t.Fatalf("wrong PIN: %v", err)
		}
	}
	if fi, err := os.Stat(path + ".lockouts"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the lockouts file: %v, %v; want mode 0600", fi, err)
	}
	c = start() // the till quit and started again
	if _, err := c.SignIn(ctx, "s1", "t1", "101", "0000"); !refused(err) {
		t.Fatalf("wrong PIN: %v", err)
	}
	if _, err := c.SignIn(ctx, "s1", "t1", "101", "1111"); !refused(err) {
		t.Fatalf("the right PIN after %d wrong ones across a restart: got %v, want locked", pos.MaxPINAttempts, err)
	}
	clk.Advance(pos.PINLockout)
	c = start()
	checks := countChecks(c)
	hash := c.byNumber["101"].cashier.PINHash
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SignIn(ctx, "s1", "t1", "101", fmt.Sprintf("00%02d", i))
		}()
	}
	wg.Wait()
	if got := checks[hash].Load(); got != pos.MaxPINAttempts {
		t.Errorf("32 sign-ins at once after the lock ran out: %d PINs checked, want %d", got, pos.MaxPINAttempts)
	}
	if _, err := start().SignIn(ctx, "s1", "t1", "101", "1111"); !refused(err) {
		t.Errorf("after the burst and a restart: got %v, want locked", err)
	}
}
