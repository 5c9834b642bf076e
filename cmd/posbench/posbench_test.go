package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/simpay"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// serverDSN is the test server (POS_TEST_DSN, else the local MariaDB). A
// server that does not answer skips the test on a developer's machine and
// fails it under CI=true.
func serverDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("POS_TEST_DSN")
	if dsn == "" {
		dsn = "root@tcp(127.0.0.1:3306)/"
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		tb.Fatalf("POS_TEST_DSN: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		storetest.Missing(tb, "no MySQL server at %s; set POS_TEST_DSN: %v", dsn, err)
	}
	return dsn
}

// smallConfig is a short run with little stock, so hot items run out and
// the out-of-stock path is taken.
func smallConfig(tb testing.TB) config {
	tb.Helper()
	cfg, err := parseConfig([]string{"-dsn", serverDSN(tb), "-tills", "4", "-duration", "1500ms",
		"-drain", "10s", "-items", "40", "-hot-items", "3", "-hot", "0.5", "-stock", "12",
		"-card", "0.5", "-card-time", "50ms", "-customers", "20"}, io.Discard, os.Getenv)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

func TestEveryFlowKeepsTheInvariants(t *testing.T) {
	cfg := smallConfig(t)
	rep, err := bench(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Errorf("got ok=false, want true: %+v", rep.Flows)
	}
	if got := len(rep.Flows); got != 3 {
		t.Fatalf("got %d flows, want 3", got)
	}
	for _, f := range rep.Flows {
		t.Run(f.Flow, func(t *testing.T) {
			t.Logf("%+v", f)
			if !f.InvariantsOK || len(f.Violations) > 0 {
				t.Errorf("got violations %q, want none", f.Violations)
			}
			if f.Sales == 0 {
				t.Errorf("got 0 sales, want some")
			}
			// The seed's unordered locks may deadlock past its retries:
			// that is the seed's flaw, not the bench's. Nothing else may fail.
			for _, e := range f.Errors {
				if f.Flow != flowSeed || !strings.Contains(e, "Error 1213") {
					t.Errorf("got failure %q, want none (deadlocks allowed for the seed flow only)", e)
				}
			}
			if f.Flow != flowSeed && f.Failed != 0 {
				t.Errorf("got %d failed, want 0", f.Failed)
			}
			if f.RoundTripsPerSale <= 0 {
				t.Errorf("got %.1f round trips per sale, want > 0", f.RoundTripsPerSale)
			}
			if f.Flow != flowLimit && f.OutOfStock == 0 {
				t.Errorf("got 0 out-of-stock rejections, want some (stock %d is meant to run out)", cfg.Stock)
			}
			if f.Flow == flowLimit && f.RoundTripsPerSale != 3 {
				t.Errorf("limit: got %.1f round trips per commit, want 3 (BEGIN, UPDATE, COMMIT)", f.RoundTripsPerSale)
			}
		})
	}
	for _, k := range []string{"ours/seed", "ours/limit"} {
		if rep.Ratios[k] <= 0 {
			t.Errorf("ratio %s: got %v, want > 0", k, rep.Ratios[k])
		}
	}
}

// TestInvariantCheckCatchesABrokenFlow runs the seed flow with a defect
// (the first line's stock taken twice): the run must fail.
func TestInvariantCheckCatchesABrokenFlow(t *testing.T) {
	tests := []struct {
		name   string
		broken bool
		want   int
	}{
		{"sound seed flow passes", false, 0},
		{"seed flow taking stock twice fails", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := smallConfig(t)
			cfg.Flows = []string{flowSeed}
			cfg.Duration = time.Second
			cfg.Stock = 10000 // the defect, not a shortage, is what the check must see
			cfg.breakSeed = tt.broken
			var stdout, stderr bytes.Buffer
			got := execute(context.Background(), cfg, &stdout, &stderr)
			if got != tt.want {
				t.Fatalf("got exit %d, want %d\nstdout:\n%s\nstderr:\n%s", got, tt.want, &stdout, &stderr)
			}
			caught := strings.Contains(stdout.String(), "INVARIANT VIOLATED") &&
				strings.Contains(stdout.String(), "were sold")
			if caught != tt.broken {
				t.Errorf("got violation reported=%v, want %v\n%s", caught, tt.broken, &stdout)
			}
		})
	}
}

func TestJSONOutputParses(t *testing.T) {
	dsn := serverDSN(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-json", "-tills", "2", "-duration", "1s", "-items", "30",
		"-card-time", "20ms", "-customers", "10"}, &stdout, &stderr,
		func(k string) string {
			if k == "POS_BENCH_DSN" {
				return dsn
			}
			return ""
		})
	if code != 0 {
		t.Fatalf("got exit %d, want 0\n%s", code, &stderr)
	}
	var rep report
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("decode: %v\n%s", err, stdout.String())
	}
	var flows []string
	for _, f := range rep.Flows {
		flows = append(flows, f.Flow)
	}
	if !slices.Equal(flows, allFlows) {
		t.Errorf("got flows %v, want %v", flows, allFlows)
	}
	if !rep.OK || rep.Settings.Tills != 2 || rep.Settings.Duration != "1s" {
		t.Errorf("got ok=%v tills=%d duration=%q, want true, 2, 1s", rep.OK, rep.Settings.Tills, rep.Settings.Duration)
	}
	if _, ok := rep.Ratios["ours/limit"]; !ok {
		t.Errorf("got ratios %v, want ours/limit", rep.Ratios)
	}
}

// TestHardStopCutsAndRollsBack makes every seed sale hold its locks past
// the drain: the tills are cut on the server, their transactions roll
// back, and the books still balance.
func TestHardStopCutsAndRollsBack(t *testing.T) {
	cfg := smallConfig(t)
	cfg.Flows = []string{flowSeed}
	cfg.Duration, cfg.Drain = 500*time.Millisecond, 0
	cfg.CardShare, cfg.CardTime = 1, 20*time.Second
	cfg.Stock = 10000
	began := time.Now()
	rep, err := bench(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 15*time.Second {
		t.Errorf("got a run of %s, want it cut well before the 20 s card time", took)
	}
	f := rep.Flows[0]
	if f.Cut != int64(cfg.Tills) || f.Sales != 0 {
		t.Errorf("got %d cut and %d sales, want %d cut and 0 sales", f.Cut, f.Sales, cfg.Tills)
	}
	if !rep.OK {
		t.Errorf("got violations %q, want none", f.Violations)
	}
}

// TestRoundTripsMatchTheServer checks the wire counter's statements against
// the server's own per-session count of them, over one connection: the
// round trips are counted by the same calls.
func TestRoundTripsMatchTheServer(t *testing.T) {
	cfg := smallConfig(t)
	cfg.Flows = []string{flowOurs, flowSeed}
	cfg.CardTime = 0
	ctx := context.Background()
	b, err := createDB(ctx, cfg)
	if b != nil {
		t.Cleanup(func() {
			if err := b.close(false); err != nil {
				t.Error(err)
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	mc, err := store.DriverConfig(b.dsn, store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	wire := &wireCounts{}
	pool, err := openCounting(mc, 1, wire) // one session: its counter sees everything
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	questions := func() int64 {
		t.Helper()
		var name string
		var n int64
		if err := pool.QueryRowContext(ctx, `SHOW SESSION STATUS LIKE 'Questions'`).Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	co := &pos.Checkout{Sales: store.New(pool, nil), Gateway: &simpay.Gateway{}, Settings: benchSettings(0, 1)}
	seed := &seedTill{cfg: cfg, settings: benchSettings(0, 1), cashier: b.cashier}
	shopOurs := shopper{cfg: cfg, items: b.items[flowOurs], customers: b.customers}
	shopSeed := shopper{cfg: cfg, items: b.items[flowSeed], customers: b.customers}
	rng := rand.New(rand.NewPCG(1, 2))
	flows := []struct {
		name string
		sell func(basket) attempt
	}{
		{"ours", func(bk basket) attempt { return sellOurs(ctx, co, b.cashier, bk) }},
		{"seed", func(bk basket) attempt {
			conn, err := pool.Conn(ctx) // the pool's one connection
			if err != nil {
				return attempt{err: err}
			}
			defer conn.Close()
			seed.conn = conn
			return seed.sell(ctx, rng, bk)
		}},
	}
	for _, f := range flows {
		shop := map[string]shopper{"ours": shopOurs, "seed": shopSeed}[f.name]
		for _, card := range []bool{false, true} {
			name := f.name + map[bool]string{false: " cash", true: " card"}[card]
			t.Run(name, func(t *testing.T) {
				bk := shop.basket(rng)
				bk.card = card
				q0 := questions()
				w0 := wire.snapshot()
				s0 := wire.statements.Load()
				if a := f.sell(bk); !a.sold {
					t.Fatalf("got %+v, want a sale", a)
				}
				// All counts include the second SHOW and not the first.
				want := questions() - q0
				got := wire.statements.Load() - s0
				if got != want {
					t.Errorf("got %d statements on the wire, want %d (the server's Questions)", got, want)
				}
				t.Logf("%s, %d lines: %d round trips, %d statements", name, len(bk.lines),
					wire.snapshot().minus(w0).RoundTrips-1, got-1)
			})
		}
	}
}

func TestConfigRejectsNonsense(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-tills", "0"}, "-tills"},
		{[]string{"-hot", "1.5"}, "-hot"},
		{[]string{"-min-lines", "5", "-max-lines", "2"}, "-min-lines"},
		{[]string{"-items", "5", "-max-lines", "10"}, "-max-lines"},
		{[]string{"-flows", "ours,fast"}, "unknown flow"},
		{[]string{"-flows", "seed,seed"}, "named twice"},
		{[]string{"-card", "-1"}, "-card"},
		{[]string{"extra"}, "unexpected"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := parseConfig(tt.args, io.Discard, func(string) string { return "" })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 50, 5 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 95, 10 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := percentile(tt.in, tt.p); got != tt.want {
			t.Errorf("percentile(%v, %g): got %v, want %v", tt.in, tt.p, got, tt.want)
		}
	}
}

func TestBasketsAreDistinctAndSkewed(t *testing.T) {
	items := make([]pos.Item, 20)
	for i := range items {
		items[i] = pos.Item{ID: pos.ItemID(i + 1), Code: fmt.Sprint(i + 1), Name: "item", Price: 100, Active: true}
	}
	tests := []struct {
		name          string
		hot           float64
		lines         int
		wantHotShare  float64 // of all lines, roughly
		wantTolerance float64
	}{
		{"no hot items wanted", 0, 10, 0, 0},
		{"a third hot", 0.3, 5, 0.3, 0.05},
		{"only hot, more lines than hot items", 1, 8, 3.0 / 8, 0.001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config{HotItems: 3, HotShare: tt.hot, MinLines: tt.lines, MaxLines: tt.lines, Loyalty: 0.5}
			shop := shopper{cfg: cfg, items: items, customers: []int64{7}}
			rng := rand.New(rand.NewPCG(3, 4))
			var hot, all int
			for range 2000 {
				b := shop.basket(rng)
				if len(b.lines) != tt.lines {
					t.Fatalf("got %d lines, want %d", len(b.lines), tt.lines)
				}
				seen := map[pos.ItemID]bool{}
				for _, l := range b.lines {
					if seen[l.ItemID] {
						t.Fatalf("item %d twice in one basket", l.ItemID)
					}
					seen[l.ItemID] = true
					if l.ItemID <= 3 {
						hot++
					}
					all++
				}
			}
			if got := float64(hot) / float64(all); math.Abs(got-tt.wantHotShare) > tt.wantTolerance {
				t.Errorf("got hot share %.3f, want %.3f ± %.3f", got, tt.wantHotShare, tt.wantTolerance)
			}
		})
	}
}

// TestStoresKeepTheirOwnBooks: with -stores, tills are dealt to the stores
// and each store's stock rows pay for its own sales only (the invariant
// check is per store), in both selling flows.
func TestStoresKeepTheirOwnBooks(t *testing.T) {
	cfg := smallConfig(t)
	cfg.Stores, cfg.Flows = 2, []string{flowOurs, flowSeed}
	if got := []string{benchSettings(0, 2).StoreID, benchSettings(1, 2).StoreID, benchSettings(2, 2).StoreID}; fmt.Sprint(got) != "[bench-01 bench-02 bench-01]" {
		t.Errorf("tills 1-3 in stores %v", got)
	}
	rep, err := bench(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Flows {
		if !f.InvariantsOK || f.Sales == 0 {
			t.Errorf("%s: %d sales, violations %q", f.Flow, f.Sales, f.Violations)
		}
	}
	if rep.Settings.Stores != 2 {
		t.Errorf("report says %d stores", rep.Settings.Stores)
	}
}
