package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/journal"
	"github.com/till-pos/till/pos/journal/killtest"
	"github.com/till-pos/till/store"
)

// offlineKillRuns is how many tills TestOfflineKillDuringSalesAndUpload
// starts and SIGKILLs: enough for kills to land mid-append, mid-fsync,
// mid-forward and between a forward and its journal mark, and few enough to
// finish in about a minute on a loaded two-core machine.
const offlineKillRuns = 200

// The child's settings come from the parent through the environment: the
// child is the same test binary, re-executed, with no fixture of its own.
const (
	envOfflineKillDir     = "TILL_OFFLINE_KILL_DIR" // set: this process is a child
	envOfflineKillDSN     = "TILL_OFFLINE_KILL_DSN"
	envOfflineKillCashier = "TILL_OFFLINE_KILL_CASHIER"
)

// offlineKillRun is what one killed till said before it died.
type offlineKillRun struct {
	sold        []string // keys of sales the cashier was told were complete
	sent        []string // keys handed to ForwardOffline
	forwards    int      // forward passes finished
	midForward  bool     // killed inside a forward pass
	forwarded   int      // sales recorded by its finished passes
	already     int      // sales its finished passes found already recorded
	reachedSale bool     // it got as far as selling or forwarding
}

// TestOfflineKillDuringSalesAndUpload sells offline into the real on-disk
// journal and forwards it to the real database from a till process that is
// SIGKILLed at random moments, offlineKillRuns times: mid-append, mid-fsync,
// mid-Open, inside ForwardOffline's transaction and between the database's
// COMMIT and the journal's mark. The parent then forwards what is left and
// checks that every sale a cashier saw complete is in the database exactly
// once, nothing is there that the journal did not hold, the journal has
// nothing left to send, torn tails are reported and the stock adds up
// (shortages included: one item has little stock).
func TestOfflineKillDuringSalesAndUpload(t *testing.T) {
	if dir := os.Getenv(envOfflineKillDir); dir != "" {
		offlineKillChild(dir, os.Getenv(envOfflineKillDSN), os.Getenv(envOfflineKillCashier))
		return
	}
	if testing.Short() {
		t.Skipf("kills %d tills", offlineKillRuns)
	}
	ctx := context.Background()
	f := newFixture(t, offlineKillStocks()...)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "journal.log")

	confirmed := map[string]int{} // key → times a child said it was sold
	sent := map[string]bool{}     // every key any pass handed to the database
	var midForward, reachedSale, forwards, compactions, childRecorded, childAlready int
	// Open rewrites a journal past 1 MiB whose every sale is forwarded down
	// to its damage notes, and its forwarded count starts again from zero.
	// It does so only when every sale in it is in the database, and the
	// database holds nothing but the journal's sales: so the sales it drops
	// are exactly those in the database just before that Open. droppedSales
	// counts them at the last compaction seen.
	droppedSales := 0
	salesInDB := func() int { return f.count(t, `SELECT COUNT(*) FROM transactions`) }
	watchCompaction := func(open func()) {
		before, inDB := fileSize(logPath), salesInDB()
		open()
		if after := fileSize(logPath); before > 1<<20 && after < before/2 {
			compactions++
			droppedSales = inDB
		}
	}
	start := time.Now()
	for run := range offlineKillRuns {
		var r offlineKillRun
		watchCompaction(func() { r = runOfflineKillChild(t, dir, f.d.DSN, f.cashier, run) })
		for _, k := range r.sold {
			confirmed[k]++
		}
		for _, k := range r.sent {
			sent[k] = true
		}
		if r.midForward {
			midForward++
		}
		if r.reachedSale {
			reachedSale++
		}
		forwards += r.forwards
		childRecorded += r.forwarded
		childAlready += r.already
	}
	killing := time.Since(start)

	// The database is back for good: the parent's till forwards what is
	// left until nothing waits.
	var j *journal.Journal
	watchCompaction(func() {
		var err error
		if j, err = journal.Open(dir); err != nil {
			t.Fatal(err)
		}
	})
	defer j.Close()
	first, err := j.State()
	if err != nil {
		t.Fatal(err)
	}
	leftAtEnd := len(first.Pending)
	var final pos.ForwardReport
	for pass := 0; ; pass++ {
		if pass == 3 {
			t.Fatalf("sales still pending after %d passes: %+v", pass, final)
		}
		final, err = pos.ForwardJournal(ctx, j, &sendRecorder{OfflineSales: f.db, sent: func(k string) { sent[k] = true }})
		if err != nil {
			t.Fatal(err)
		}
		for _, fl := range final.Failed {
			t.Errorf("forwarding %s failed: %v", fl.Key, fl.Err)
		}
		if final.Left == 0 {
			break
		}
	}
	st, err := j.State()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Pending) != 0 {
		t.Errorf("%d sales still pending in the journal after the final pass", len(st.Pending))
	}

	// What the database holds, by key.
	inDB := map[string]int{}
	rows, err := f.d.Admin.QueryContext(ctx, `SELECT idempotency_key, COUNT(*) FROM transactions GROUP BY idempotency_key`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		inDB[k] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()

	lost, doubled, stray := 0, 0, 0
	for k, n := range confirmed {
		if n > 1 {
			t.Errorf("sale %s was confirmed %d times", k, n)
		}
		if inDB[k] == 0 {
			lost++
			t.Errorf("sale %s was confirmed to the cashier but is not in the database", k)
		}
	}
	for k, n := range inDB {
		if n > 1 {
			doubled++
			t.Errorf("sale %s is in the database %d times", k, n)
		}
		// Keys only reach ForwardOffline from the journal's pending
		// sales, each reported as sent before it is sent.
		if !sent[k] {
			stray++
			t.Errorf("sale %s is in the database but was never sent from the journal", k)
		}
	}
	// Everything sent stays pending until the database has it, and the
	// journal has nothing pending: so every sent key is in the database.
	for k := range sent {
		if inDB[k] == 0 {
			t.Errorf("sale %s was sent from the journal but is not in the database", k)
		}
	}
	if n := f.count(t, `SELECT COUNT(*) FROM offline_sales`); n != len(inDB) {
		t.Errorf("%d offline_sales rows for %d sales, want one each", n, len(inDB))
	}
	if n := f.count(t, `SELECT COUNT(*) FROM transactions t LEFT JOIN offline_sales o ON o.transaction_id = t.transaction_id
		WHERE o.transaction_id IS NULL`); n != 0 {
		t.Errorf("%d sales in the database without their offline_sales row", n)
	}
	// Every sale the journal holds is forwarded, and they are the
	// database's sales bar those a compaction dropped.
	if st.Forwarded != len(inDB)-droppedSales {
		t.Errorf("journal: %d sales forwarded; database: %d sales, %d of them dropped from the journal by its last compaction",
			st.Forwarded, len(inDB), droppedSales)
	}

	// Kills tear the journal's tail; Open saves each torn tail to its own
	// file and reports it. Nothing inside journal.log may be damaged.
	bins, err := filepath.Glob(filepath.Join(dir, "damaged-*.bin"))
	if err != nil {
		t.Fatal(err)
	}
	unnoted := 0
	for _, d := range st.Damaged {
		if !strings.HasPrefix(filepath.Base(d.File), "damaged-") {
			t.Errorf("damage inside the journal (not a torn tail): %+v", d)
		}
		if d.Offset < 0 {
			unnoted++ // killed between saving the tail and noting it
		}
	}
	if len(st.Damaged) != len(bins) {
		t.Errorf("%d damaged stretches reported, %d torn tails saved", len(st.Damaged), len(bins))
	}

	f.checkInvariants(t)
	shortages := f.count(t, `SELECT COUNT(*) FROM stock_shortages`)
	t.Logf("runs %d in %v (%d got to sell or forward); forward passes finished %d (recorded %d, found already %d); kills during a forward %d; "+
		"sales confirmed %d, in the database %d (left for the final pass %d, found already then %d), lost %d, doubled %d, stray %d; "+
		"torn tails %d (%d without their note); shortages %d; compactions %d (journal: %d forwarded since the last)",
		offlineKillRuns, killing.Round(time.Millisecond), reachedSale, forwards, childRecorded, childAlready, midForward,
		len(confirmed), len(inDB), leftAtEnd, final.Already, lost, doubled, stray,
		len(bins), unnoted, shortages, compactions, st.Forwarded)
}

// offlineKillItems is how many items the fixture has: the till's large
// baskets take one of each, about 6 KiB of journal record, so a kill can
// land between the pages of its write and tear it.
const offlineKillItems = 40

// offlineKillStocks are the items' stocks: item 0 has little, so the
// forwarded sales run it out and leave shortages the invariants must count;
// the rest never run out.
func offlineKillStocks() []int64 {
	stocks := make([]int64, offlineKillItems)
	for i := range stocks {
		stocks[i] = 1_000_000
	}
	stocks[0] = 6
	return stocks
}

// runOfflineKillChild starts one till on the journal and database and
// SIGKILLs it after a random 5–80 ms. Three runs in four count from when the
// till is ready (so the kill lands among sales and forwards); every fourth
// counts from its start, so some kills land inside journal.Open (cutting a
// torn tail, noting it) or before anything happens.
func runOfflineKillChild(t *testing.T, dir, dsn string, cashier int64, run int) offlineKillRun {
	t.Helper()
	lines := killtest.Run(t, killtest.Child{Test: "TestOfflineKillDuringSalesAndUpload",
		Env: []string{envOfflineKillDir + "=" + dir, envOfflineKillDSN + "=" + dsn,
			envOfflineKillCashier + "=" + strconv.FormatInt(cashier, 10)},
		MinDelay: 5 * time.Millisecond, MaxDelay: 80 * time.Millisecond, FromStart: run%4 == 0,
		ReadyWithin: 30 * time.Second})

	var r offlineKillRun
	for _, l := range lines {
		kind, rest, _ := strings.Cut(l, " ")
		switch kind {
		case "sold":
			r.sold = append(r.sold, rest)
			r.reachedSale = true
		case "forwarding":
			r.midForward, r.reachedSale = true, true
		case "send":
			r.sent = append(r.sent, rest)
		case "fwd":
			r.midForward = false
			r.forwards++
			var n, a int
			if _, err := fmt.Sscanf(rest, "%d %d", &n, &a); err != nil {
				t.Fatalf("run %d: child said %q: %v", run, l, err)
			}
			r.forwarded += n
			r.already += a
		case "fail":
			t.Fatalf("run %d: till: %s", run, rest)
		}
	}
	return r
}

// offlineKillChild is the till: it opens the journal and the database and
// then, until it is killed, sells small random baskets offline and now and
// then forwards the journal. It says "sold <key>" only once SellOffline has
// returned (the cashier saw the sale complete), "forwarding" before a pass,
// "send <key>" before each sale goes to the database and "fwd <recorded>
// <already>" after the pass. One write per line: a line is all there or not
// at all.
func offlineKillChild(dir, dsn, cashierArg string) {
	say := func(format string, args ...any) {
		os.Stdout.WriteString(fmt.Sprintf(format, args...) + "\n")
	}
	fail := func(format string, args ...any) {
		say("fail "+format, args...)
		os.Exit(1)
	}
	// The parent kills the till long before this; the deadline only stops
	// an orphan that outlived a crashed parent.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cashier, err := strconv.ParseInt(cashierArg, 10, 64)
	if err != nil {
		fail("cashier %q: %v", cashierArg, err)
	}
	j, err := journal.Open(dir)
	if err != nil {
		fail("open journal: %v", err)
	}
	db, err := store.Open(ctx, store.Config{WriterDSN: dsn, StoreID: settings().StoreID})
	if err != nil {
		fail("open database: %v", err)
	}
	items, err := db.Items(ctx, time.Time{})
	if err != nil || len(items) != offlineKillItems {
		fail("items: %v (%d)", err, len(items))
	}
	// No offline limits: the journal never waits long here, and a refusal
	// would only stop the till from selling, which is not what is tested.
	co := &pos.Checkout{Settings: settings(), Journal: j}
	upload := &sendRecorder{OfflineSales: db, sent: func(k string) { say("send %s", k) }}
	say("ready")
	for n := 0; ctx.Err() == nil; n++ {
		if rand.IntN(4) == 0 {
			say("forwarding")
			rep, err := pos.ForwardJournal(ctx, j, upload)
			if err != nil {
				fail("forward: %v", err)
			}
			if len(rep.Failed) > 0 {
				fail("forward %s: %v", rep.Failed[0].Key, rep.Failed[0].Err)
			}
			say("fwd %d %d", rep.Forwarded, rep.Already)
			continue
		}
		// Mostly one to three items; every fifth basket takes one of
		// each item (a record spanning pages: kills tear it).
		pick := rand.Perm(len(items))[:1+rand.IntN(3)]
		if n%5 == 4 {
			pick = rand.Perm(len(items))
		}
		b := &pos.Basket{Key: pos.NewKey()}
		for _, i := range pick {
			line, err := pos.NewLine(items[i], pos.Scan{Quantity: int64(1 + rand.IntN(3))})
			if err != nil {
				fail("line: %v", err)
			}
			if err := b.Add(line); err != nil {
				fail("basket: %v", err)
			}
		}
		draft, err := co.Draft(b, cashier)
		if err != nil {
			fail("draft: %v", err)
		}
		sale, err := co.SellOffline(draft, draft.Totals.Total+500)
		if err != nil {
			fail("sell %s: %v", draft.Key, err)
		}
		say("sold %s", sale.Key)
	}
	os.Exit(0)
}

// sendRecorder reports each sale's key before it goes to the database, so
// the test knows every key that could have reached it.
type sendRecorder struct {
	pos.OfflineSales
	sent func(key string)
}

func (s *sendRecorder) ForwardOffline(ctx context.Context, sale pos.Sale) (pos.ForwardResult, error) {
	s.sent(sale.Key)
	return s.OfflineSales.ForwardOffline(ctx, sale)
}

// fileSize is a file's size, 0 when it is not there.
func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}
