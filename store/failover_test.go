package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// The failover tests put Toxiproxy between the store and MariaDB and break
// the connection the ways an Aurora failover does. They check what the
// cashier would see (a calm EUnavailable, never a driver error), that no
// call outlives its deadline, and the DESIGN §4 invariants: one sale per
// key and stock taken once, whatever was cut.

// retryLog is a slog handler that keeps the store's retry records, so a
// test can tell that a fault really happened and how it was classified.
type retryLog struct {
	mu      sync.Mutex
	records []string
}

func (l *retryLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *retryLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *retryLog) WithGroup(string) slog.Handler            { return l }
func (l *retryLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	l.records = append(l.records, b.String())
	l.mu.Unlock()
	return nil
}

// count counts records containing every one of parts.
func (l *retryLog) count(parts ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if containsAll(r, parts) {
			n++
		}
	}
	return n
}

func (l *retryLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.records, "\n")
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// rig is a fixture whose store reaches MariaDB through a Toxiproxy proxy.
type rig struct {
	*fixture
	proxy *proxy
	db    *store.DB // through the proxy
	co    *pos.Checkout
	log   *retryLog
	hook  *statementHook
}

func newRig(t *testing.T, stocks ...int64) *rig {
	t.Helper()
	f := newFixture(t, stocks...)
	f.gw.Delay = 0
	server, err := mysql.ParseDSN(storetest.ServerDSN())
	if err != nil {
		t.Fatal(err)
	}
	tp := startToxiproxy(t)
	r := &rig{fixture: f, proxy: tp.NewProxy(t, server.Addr), log: &retryLog{}, hook: &statementHook{}}
	r.db, err = store.Open(context.Background(), store.Config{
		WriterDSN: viaProxy(t, f.d.DSN, r.proxy.Listen), MaxOpen: 16,
		Logger: slog.New(r.log), Dial: r.hook.dial})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close() })
	r.co = &pos.Checkout{Sales: r.db, Gateway: f.gw, Settings: settings()}
	return r
}

// onceEach checks that key is recorded exactly once.
func (r *rig) onceEach(t *testing.T, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if n := r.count(t, `SELECT COUNT(*) FROM transactions WHERE idempotency_key = ?`, k); n != 1 {
			t.Errorf("sale %s: got %d rows, want 1", k, n)
		}
	}
}

// calm checks an error is what a cashier may see: a pos error whose
// message says the till is reconnecting or the database is unavailable,
// and no driver text.
func calm(t *testing.T, err error) {
	t.Helper()
	msg := pos.ErrorMessage(err)
	if pos.ErrorCode(err) != pos.EUnavailable {
		t.Errorf("got %s %q, want unavailable", pos.ErrorCode(err), msg)
	}
	if !strings.Contains(msg, "reconnecting") {
		t.Errorf("message %q should say the till is reconnecting", msg)
	}
	for _, raw := range []string{"driver", "invalid connection", "bad connection", "Error 1", "EOF", "tcp"} {
		if strings.Contains(msg, raw) {
			t.Errorf("message %q shows the cashier driver text %q", msg, raw)
		}
	}
}

// TestFailoverLatency: with 200 ms added to every packet both ways (400 ms
// per round trip), a cash sale and a card sale still complete, each call
// within its deadline; a call whose deadline is too short for the latency
// comes back unavailable at its deadline instead of hanging.
func TestFailoverLatency(t *testing.T) {
	r := newRig(t, 100, 100)
	ctx := context.Background()
	const deadline = 10 * time.Second

	timed := func(name string, fn func(context.Context) error) time.Duration {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		start := time.Now()
		err := fn(cctx)
		d := time.Since(start)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if d > deadline {
			t.Errorf("%s took %s, more than its %s deadline", name, d, deadline)
		}
		t.Logf("%s: %s", name, d.Round(time.Millisecond))
		return d
	}
	cashSale := func(cctx context.Context) error {
		s := r.draft(t, [2]int{0, 1})
		_, err := r.co.SellCash(cctx, s, s.Totals.Total)
		return err
	}
	// A card sale is three calls, each with its own deadline.
	cardSale := func() time.Duration {
		start := time.Now()
		var s pos.Sale
		var err error
		timed("reserve", func(cctx context.Context) error {
			s, err = r.co.Reserve(cctx, r.draft(t, [2]int{1, 2}))
			return err
		})
		if err != nil {
			return time.Since(start)
		}
		timed("pay by card", func(cctx context.Context) error {
			var p pos.Payment
			p, err = r.co.PayCard(cctx, s, s.Totals.Total)
			s.Payments = append(s.Payments, p)
			return err
		})
		if err != nil {
			return time.Since(start)
		}
		timed("complete", func(cctx context.Context) error {
			_, err = r.co.Complete(cctx, s)
			return err
		})
		return time.Since(start)
	}
	baseCash, baseCard := timed("cash sale, no latency", cashSale), cardSale()

	r.proxy.MustAdd(t, toxic{Type: "latency", Stream: "upstream", Attributes: map[string]any{"latency": 200}})
	r.proxy.MustAdd(t, toxic{Type: "latency", Stream: "downstream", Attributes: map[string]any{"latency": 200}})
	cash, card := timed("cash sale, 200 ms latency", cashSale), cardSale()
	t.Logf("cash sale: %s without latency, %s with 200 ms per packet each way", baseCash.Round(time.Millisecond), cash.Round(time.Millisecond))
	t.Logf("card sale (reserve, pay, complete): %s without, %s with", baseCard.Round(time.Millisecond), card.Round(time.Millisecond))

	// A deadline shorter than the sale's round trip (one request since
	// batching: 400 ms here): unavailable, on time.
	short := 300 * time.Millisecond
	cctx, cancel := context.WithTimeout(ctx, short)
	defer cancel()
	start := time.Now()
	s := r.draft(t, [2]int{0, 1})
	_, err := r.co.SellCash(cctx, s, s.Totals.Total)
	took := time.Since(start)
	calm(t, err)
	if took > short+time.Second {
		t.Errorf("a call with a %s deadline took %s", short, took)
	}
	t.Logf("a sale with a %s deadline under latency gave up after %s: %q", short, took.Round(time.Millisecond), pos.ErrorMessage(err))
	if n := r.count(t, `SELECT COUNT(*) FROM transactions WHERE idempotency_key = ? AND payment_status = 'completed'`, s.Key); n > 1 {
		t.Errorf("sale cut by its deadline: %d rows", n)
	}
	r.checkInvariants(t)
}

// TestFailoverConnectionReset cuts the connection at the worst moments of
// the sale protocol. How each cut is made reliably: the store dials
// through statementHook, which sees the till's own packets; just before the
// packet that starts the named statement is written, it adds a toxic on the
// proxy, synchronously, so the fault is in place before a byte of that
// statement reaches the server:
//   - reset_peer upstream: the statement's packet is swallowed and the
//     connection reset, so the server rolls the transaction back;
//   - timeout downstream (300 ms) before COMMIT: COMMIT reaches the server
//     and commits, its answer is swallowed and the connection closed, so
//     the till does not know whether the sale was saved.
//
// When the till's read on that connection fails, the hook removes the
// toxic, so the till's own retry reconnects through a healthy proxy.
func TestFailoverConnectionReset(t *testing.T) {
	resetBefore := toxic{Type: "reset_peer", Stream: "upstream", Attributes: map[string]any{"timeout": 0}}
	swallowAnswer := toxic{Type: "timeout", Stream: "downstream", Attributes: map[string]any{"timeout": 300}}
	cases := []struct {
		name     string
		prefix   string // the statement the fault is timed to
		fault    toxic
		armAfter string // "reserve": arm once Reserve is done (the fault hits Complete)
		kind     string // how the store classifies it
		// committed: the fault's statement was COMMIT, and the sale was
		// stored with this status when the till saw the connection die.
		committed pos.SaleStatus
	}{
		// Reserve is one request, COMMIT included (batch.go): cut before
		// its answer, the till cannot know how far the server got.
		{"reset in the middle of Reserve", "UPDATE store_inventory", resetBefore, "", "resolve by key", ""},
		// Complete's first request reads the sale under its lock and has
		// no COMMIT: cut there, the transaction is simply run again.
		{"reset in the middle of Complete", "START TRANSACTION", resetBefore, "reserve", "retry the transaction", ""},
		{"reset between Reserve and Complete", "", toxic{}, "reserve", "retry the transaction", ""},
		{"reset right after Reserve's COMMIT is sent", "COMMIT", swallowAnswer, "", "resolve by key", pos.SalePending},
		{"reset right after Complete's COMMIT is sent", "COMMIT", swallowAnswer, "reserve", "resolve by key", pos.SaleCompleted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, 50, 50)
			ctx := context.Background()
			sale := r.draft(t, [2]int{0, 3}, [2]int{1, 2})
			var toxicName string
			var committedBeforeRetry atomic.Bool
			r.hook.prefix = tc.prefix
			r.hook.before = func() {
				var err error
				if toxicName, err = r.proxy.Add(tc.fault); err != nil {
					t.Error(err)
				}
			}
			r.hook.after = func() {
				if err := r.proxy.Remove(toxicName); err != nil {
					t.Error(err)
				}
				// Did the server commit before the till noticed? (Asked
				// directly, not through the proxy.)
				committedBeforeRetry.Store(tc.committed != "" && r.count(t, `SELECT COUNT(*) FROM transactions
					WHERE idempotency_key = ? AND payment_status = ?`, sale.Key, string(tc.committed)) == 1)
			}
			if tc.armAfter == "" && tc.prefix != "" {
				r.hook.arm()
			}
			start := time.Now()
			reserved, err := r.co.Reserve(ctx, sale)
			reserveTook := time.Since(start)
			if err != nil {
				t.Fatalf("reserve: %v\n%s", err, r.log)
			}
			switch {
			case tc.armAfter == "reserve" && tc.prefix != "":
				r.hook.arm()
			case tc.armAfter == "reserve":
				// Every open connection is cut and new ones are refused
				// for 500 ms: Complete starts in the outage.
				if err := r.proxy.SetEnabled(false); err != nil {
					t.Fatal(err)
				}
				go func() {
					time.Sleep(500 * time.Millisecond)
					r.proxy.SetEnabled(true)
				}()
			}
			start = time.Now()
			done, err := r.co.Complete(ctx, reserved, reserved.Totals.Total)
			completeTook := time.Since(start)
			if err != nil {
				t.Fatalf("complete: %v\n%s", err, r.log)
			}
			if done.Status != pos.SaleCompleted {
				t.Errorf("got status %s, want completed", done.Status)
			}
			if tc.prefix != "" && r.hook.fired.Load() != 1 {
				t.Errorf("the fault fired %d times, want 1", r.hook.fired.Load())
			}
			if got := r.log.count("database transaction retried", "kind="+tc.kind); got < 1 {
				t.Errorf("got no retry of kind %q; the store logged:\n%s", tc.kind, r.log)
			}
			if tc.committed != "" && !committedBeforeRetry.Load() {
				t.Errorf("the server had not committed when the till lost the connection: the test did not hit an unknown commit outcome")
			}
			r.onceEach(t, sale.Key)
			if got, want := r.stock(t, 0), int64(50-3); got != want {
				t.Errorf("stock of item 0: got %d, want %d (taken once)", got, want)
			}
			if got, want := r.stock(t, 1), int64(50-2); got != want {
				t.Errorf("stock of item 1: got %d, want %d (taken once)", got, want)
			}
			if got := r.count(t, `SELECT COUNT(*) FROM payments p JOIN transactions t USING (transaction_id)
				WHERE t.idempotency_key = ?`, sale.Key); got != 1 {
				t.Errorf("payments: got %d, want 1", got)
			}
			t.Logf("%s: reserve took %s, complete took %s (recovery included); store log:\n%s",
				tc.name, reserveTook.Round(time.Millisecond), completeTook.Round(time.Millisecond), r.log)
			r.checkInvariants(t)
		})
	}
}

// TestFailoverReadOnly turns a private server read-only, as Aurora's old
// writer is after a failover (read_only is global, so never on the shared
// server), with the till signed in as its own least-privileged user (root
// ignores read_only). Sales fail cleanly while it lasts — unavailable,
// nothing written — and the same sale goes through, once, as soon as the
// server is writable again, without reopening the store.
func TestFailoverReadOnly(t *testing.T) {
	srv := startMariaDB(t)
	t.Setenv("POS_TEST_DSN", srv.DSN())
	f := newFixture(t, 20, 20)
	ctx := context.Background()
	user := "till_ro_" + strings.ReplaceAll(f.d.Name[len("till_test_"):], "-", "")
	const password = "till-ro-test-password"
	if err := store.ApplyGrants(ctx, f.d.Admin, store.GrantOptions{Database: f.d.Name, User: user,
		Host: "%", Password: password}); err != nil {
		t.Fatal(err)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, password, "tcp", srv.Addr, f.d.Name
	log := &retryLog{}
	const retryFor = 3 * time.Second
	db, err := store.Open(ctx, store.Config{WriterDSN: cfg.FormatDSN(), Logger: slog.New(log), RetryFor: retryFor})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	co := &pos.Checkout{Sales: db, Gateway: f.gw, Settings: settings()}

	first := f.draft(t, [2]int{0, 1})
	if _, err := co.SellCash(ctx, first, first.Totals.Total); err != nil {
		t.Fatalf("sale before: %v", err)
	}
	setReadOnly := func(on int) {
		t.Helper()
		if _, err := srv.Root.ExecContext(ctx, fmt.Sprintf("SET GLOBAL read_only = %d", on)); err != nil {
			t.Fatal(err)
		}
	}
	setReadOnly(1)
	t.Cleanup(func() { srv.Root.Exec("SET GLOBAL read_only = 0") })

	during := f.draft(t, [2]int{0, 2})
	start := time.Now()
	_, err = co.SellCash(ctx, during, during.Totals.Total)
	failTook := time.Since(start)
	calm(t, err)
	if failTook > retryFor+2*time.Second {
		t.Errorf("a sale while read-only took %s to fail, want about the %s retry window", failTook, retryFor)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM transactions WHERE idempotency_key = ?`, during.Key); n != 0 {
		t.Errorf("sale while read-only: got %d rows, want 0", n)
	}
	reserved := f.draft(t, [2]int{1, 1})
	if _, err := co.Reserve(ctx, reserved); pos.ErrorCode(err) != pos.EUnavailable {
		t.Errorf("reserve while read-only: got %v, want unavailable", err)
	}

	setReadOnly(0)
	writable := time.Now()
	var recovered time.Duration
	for i := 0; ; i++ {
		if _, err = co.SellCash(ctx, during, during.Totals.Total); err == nil {
			recovered = time.Since(writable)
			break
		}
		if i >= 20 {
			t.Fatalf("the sale never went through after the server was writable: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	f.onceEach(t, first.Key, during.Key)
	if got, want := f.stock(t, 0), int64(20-1-2); got != want {
		t.Errorf("stock: got %d, want %d", got, want)
	}
	t.Logf("read-only: a sale failed cleanly after %s (about %d retries on fresh connections, each dropped by rejectReadOnly) "+
		"(and so did a reserve); after read_only=0 the same sale went through in %s without reopening the store",
		failTook.Round(time.Millisecond), log.count("database transaction retried")/2, recovered.Round(time.Millisecond))
	f.checkInvariants(t)
}

// onceEach on a plain fixture.
func (f *fixture) onceEach(t *testing.T, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if n := f.count(t, `SELECT COUNT(*) FROM transactions WHERE idempotency_key = ?`, k); n != 1 {
			t.Errorf("sale %s: got %d rows, want 1", k, n)
		}
	}
}

// soakDuration is 20 s in `make test`, 5 s with -short, or POS_SOAK (e.g.
// POS_SOAK=3m) for the long run.
func soakDuration(t *testing.T) time.Duration {
	if v := os.Getenv("POS_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > 30*time.Minute {
			t.Fatalf("POS_SOAK=%q: want a duration up to 30m", v)
		}
		return d
	}
	if testing.Short() {
		return 5 * time.Second
	}
	return 20 * time.Second
}

// TestFailoverSoak runs tills selling concurrently while the connection is
// cut at random: resets, short outages, swallowed answers (a COMMIT may be
// among them), latency spikes. A till that is told "unavailable" tries the
// same step again with the same key, as a cashier would. Afterwards every
// till recovers its pending sales and the DESIGN §4 invariants must hold.
func TestFailoverSoak(t *testing.T) {
	dur := soakDuration(t)
	const tills = 8
	r := newRig(t, 100000, 100000, 100000, 100000)
	ctx := context.Background()

	var (
		mu        sync.Mutex
		successes []time.Time // when a store call succeeded
		calls     []time.Duration
		faults    []faultEvent
		seen      = map[string]int{} // what the cashiers were told, and how often
	)
	var sales, cashierErrors, leftPending atomic.Int64
	succeeded := func(start time.Time) {
		mu.Lock()
		successes = append(successes, time.Now())
		calls = append(calls, time.Since(start))
		mu.Unlock()
	}
	// step runs one protocol step until it succeeds, as a cashier pressing
	// "try again" would, and fails the test on anything but unavailable.
	step := func(till int, what string, fn func(context.Context) error) bool {
		for attempt := 0; attempt < 40; attempt++ {
			cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			start := time.Now()
			err := fn(cctx)
			cancel()
			if err == nil {
				succeeded(start)
				return true
			}
			if pos.ErrorCode(err) != pos.EUnavailable {
				t.Errorf("till %d, %s: %v", till, what, err)
				return false
			}
			cashierErrors.Add(1)
			mu.Lock()
			seen[what+": "+pos.ErrorMessage(err)]++
			mu.Unlock()
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("till %d, %s: still unavailable after 40 tries", till, what)
		return false
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for till := range tills {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(till), 42))
			co := &pos.Checkout{Sales: r.db, Gateway: r.gw, Settings: settings()}
			co.Settings.TillID = fmt.Sprintf("soak%d", till)
			for {
				select {
				case <-stop:
					return
				default:
				}
				var lines [][2]int
				for range 1 + rng.IntN(3) {
					lines = append(lines, [2]int{rng.IntN(4), 1 + rng.IntN(3)})
				}
				sale := r.draftFor(t, co, lines...)
				switch rng.IntN(3) {
				case 0: // cash, one transaction
					if step(till, "sell cash", func(c context.Context) error {
						_, err := co.SellCash(c, sale, sale.Totals.Total)
						return err
					}) {
						sales.Add(1)
					}
				case 1: // card: reserve, pay, complete
					var reserved pos.Sale
					if !step(till, "reserve", func(c context.Context) (err error) {
						reserved, err = co.Reserve(c, sale)
						return err
					}) {
						continue
					}
					cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
					p, err := co.PayCard(cctx, reserved, reserved.Totals.Total)
					cancel()
					if err != nil {
						// The attempt is left for Recover, as at a till.
						leftPending.Add(1)
						continue
					}
					reserved.Payments = append(reserved.Payments, p)
					if step(till, "complete", func(c context.Context) error {
						_, err := co.Complete(c, reserved)
						return err
					}) {
						sales.Add(1)
					}
				case 2: // reserved, then the customer walks away
					if step(till, "reserve", func(c context.Context) error {
						_, err := co.Reserve(c, sale)
						return err
					}) {
						step(till, "void", func(c context.Context) error {
							_, err := co.Release(c, sale.Key, pos.SaleVoided)
							return err
						})
					}
				}
			}
		}()
	}

	// Chaos: a fault every 0.3–1.5 s, each lasting 50 ms – 1.5 s.
	rng := rand.New(rand.NewPCG(7, 7))
	end := time.Now().Add(dur)
	for time.Now().Before(end) {
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond)
		ev := faultEvent{start: time.Now()}
		switch rng.IntN(4) {
		case 0:
			ev.kind = "reset every connection"
			name, err := r.proxy.Add(toxic{Type: "reset_peer", Stream: "upstream", Attributes: map[string]any{"timeout": 0}})
			if err == nil {
				time.Sleep(time.Duration(50+rng.IntN(150)) * time.Millisecond)
				r.proxy.Remove(name)
			}
		case 1:
			ev.kind = "outage (cut and refused)"
			if r.proxy.SetEnabled(false) == nil {
				time.Sleep(time.Duration(100+rng.IntN(1400)) * time.Millisecond)
				r.proxy.SetEnabled(true)
			}
		case 2:
			ev.kind = "answers swallowed, then cut"
			name, err := r.proxy.Add(toxic{Type: "timeout", Stream: "downstream", Attributes: map[string]any{"timeout": 200}})
			if err == nil {
				time.Sleep(time.Duration(100+rng.IntN(300)) * time.Millisecond)
				r.proxy.Remove(name)
			}
		case 3:
			ev.kind = "latency spike (300 ms)"
			name, err := r.proxy.Add(toxic{Type: "latency", Stream: "downstream", Attributes: map[string]any{"latency": 300}})
			if err == nil {
				time.Sleep(time.Duration(500+rng.IntN(1000)) * time.Millisecond)
				r.proxy.Remove(name)
			}
		}
		ev.end = time.Now()
		faults = append(faults, ev)
	}
	close(stop)
	wg.Wait()

	// Every till resolves what it left pending, on a healthy connection.
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for till := range tills {
		co := &pos.Checkout{Sales: r.db, Gateway: r.gw, Settings: settings()}
		co.Settings.TillID = fmt.Sprintf("soak%d", till)
		if _, err := co.Recover(rctx, 0); err != nil {
			t.Errorf("recover till %d: %v", till, err)
		}
	}
	if n := r.count(t, `SELECT COUNT(*) FROM transactions WHERE payment_status = 'pending'`); n != 0 {
		t.Errorf("after recovery: %d sales still pending, want 0", n)
	}
	r.checkInvariants(t)

	// Figures for the closing note.
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(calls)
	sort.Slice(successes, func(i, j int) bool { return successes[i].Before(successes[j]) })
	recovery := map[string][]time.Duration{}
	for _, ev := range faults {
		i := sort.Search(len(successes), func(i int) bool { return !successes[i].Before(ev.end) })
		if i < len(successes) {
			recovery[ev.kind] = append(recovery[ev.kind], successes[i].Sub(ev.end))
		}
	}
	t.Logf("soak %s, %d tills: %d sales completed, %d store calls succeeded, %d unavailable answers retried by the till, "+
		"%d card payments left to Recover, %d faults",
		dur, tills, sales.Load(), len(calls), cashierErrors.Load(), leftPending.Load(), len(faults))
	if len(calls) > 0 {
		t.Logf("successful call duration: p50 %s, p99 %s, max %s", pct(calls, 50), pct(calls, 99), calls[len(calls)-1].Round(time.Millisecond))
	}
	kinds := make([]string, 0, len(recovery))
	for k := range recovery {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		ds := recovery[k]
		slices.Sort(ds)
		t.Logf("%-28s ×%-3d first success after the fault ended: median %s, max %s",
			k, len(ds), pct(ds, 50), ds[len(ds)-1].Round(time.Millisecond))
	}
	t.Logf("store retries: %d retry the transaction, %d resolve by key",
		r.log.count("retried", "kind=retry the transaction"), r.log.count("retried", "kind=resolve by key"))
	for msg, n := range seen {
		t.Logf("cashier saw ×%d: %s", n, msg)
	}
	if sales.Load() == 0 {
		t.Error("no sale completed during the soak")
	}
	if len(faults) == 0 {
		t.Error("no fault was injected")
	}
}

type faultEvent struct {
	kind       string
	start, end time.Time
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100].Round(time.Millisecond)
}

// draftFor builds a sale of (item index, quantity) pairs on a given till.
func (f *fixture) draftFor(t testing.TB, co *pos.Checkout, lines ...[2]int) pos.Sale {
	t.Helper()
	b := &pos.Basket{Key: pos.NewKey()}
	for _, l := range lines {
		line, err := pos.NewLine(f.items[l[0]], pos.Scan{Quantity: int64(l[1])})
		if err != nil {
			t.Error(err)
			return pos.Sale{}
		}
		if err := b.Add(line); err != nil {
			t.Error(err)
			return pos.Sale{}
		}
	}
	s, err := co.Draft(b, f.cashier)
	if err != nil {
		t.Error(err)
	}
	return s
}

// TestReaderFallsBackToWriter: the catalog is read from the reader when one
// is configured, and from the writer while the reader is down. The reader
// here is another database (with its own item, so the answer tells which
// side served it) behind a proxy that the test takes down.
func TestReaderFallsBackToWriter(t *testing.T) {
	r := newRig(t, 10)
	readerDB := storetest.NewDatabase(t)
	ctx := context.Background()
	readerDB.AddItem(t, pos.Item{Code: "READER1", Name: "Only on the reader", Price: 100, Active: true}, 1)
	server, err := mysql.ParseDSN(storetest.ServerDSN())
	if err != nil {
		t.Fatal(err)
	}
	readerProxy := r.proxy.Server().NewProxy(t, server.Addr)
	db, err := store.Open(ctx, store.Config{WriterDSN: viaProxy(t, r.d.DSN, r.proxy.Listen),
		ReaderDSN: viaProxy(t, readerDB.DSN, readerProxy.Listen), DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names := func() string {
		t.Helper()
		items, err := db.Items(ctx, time.Time{})
		if err != nil {
			t.Fatalf("items: %v", err)
		}
		var out []string
		for _, it := range items {
			out = append(out, it.Name)
		}
		return strings.Join(out, ",")
	}
	if got, want := names(), "Only on the reader"; got != want {
		t.Errorf("items with the reader up: got %q, want %q", got, want)
	}
	if err := readerProxy.SetEnabled(false); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got := names()
	took := time.Since(start)
	if want := "Item 0"; got != want {
		t.Errorf("items with the reader down: got %q, want %q (from the writer)", got, want)
	}
	t.Logf("reader down: the catalog came from the writer in %s", took.Round(time.Millisecond))
	if err := readerProxy.SetEnabled(true); err != nil {
		t.Fatal(err)
	}
	if got, want := names(), "Only on the reader"; got != want {
		t.Errorf("items with the reader back: got %q, want %q", got, want)
	}
}
