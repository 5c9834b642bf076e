package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/till-pos/till/pos"
)

// basket is what one customer brings to the till.
type basket struct {
	lines    []pos.Line // distinct items, in the order they were scanned
	card     bool
	customer int64 // 0: none
}

// without drops the lines of items that were short of stock.
func (b basket) without(short []pos.ItemID) basket {
	b.lines = slices.DeleteFunc(slices.Clone(b.lines), func(l pos.Line) bool {
		return slices.Contains(short, l.ItemID)
	})
	return b
}

// shopper makes baskets: a few hot items take HotShare of the lines.
type shopper struct {
	cfg       config
	items     []pos.Item
	customers []int64
}

func (s shopper) basket(rng *rand.Rand) basket {
	n := s.cfg.MinLines + rng.IntN(s.cfg.MaxLines-s.cfg.MinLines+1)
	hot, cold := s.items[:s.cfg.HotItems], s.items[s.cfg.HotItems:]
	picked := make(map[pos.ItemID]bool, n)
	hotLeft, coldLeft := len(hot), len(cold) // not yet in the basket
	var b basket
	for len(b.lines) < n && hotLeft+coldLeft > 0 {
		from, left := cold, &coldLeft
		if hotLeft > 0 && (coldLeft == 0 || rng.Float64() < s.cfg.HotShare) {
			from, left = hot, &hotLeft
		}
		it := from[rng.IntN(len(from))]
		if picked[it.ID] {
			continue
		}
		picked[it.ID] = true
		*left--
		l, err := pos.NewLine(it, pos.Scan{Quantity: 1 + int64(rng.IntN(3))})
		if err != nil {
			panic(fmt.Sprintf("bench item %s: %v", it.Code, err)) // seeded by us: a bug
		}
		b.lines = append(b.lines, l)
	}
	b.card = rng.Float64() < s.cfg.CardShare
	if rng.Float64() < s.cfg.Loyalty {
		b.customer = s.customers[rng.IntN(len(s.customers))]
	}
	return b
}

// attempt is what one try at selling a basket came to.
type attempt struct {
	sold    bool
	short   []pos.ItemID // out of stock: the till drops these and sells the rest
	retries int          // transactions the flow ran again (deadlock, lock wait)
	err     error
}

// served is what one customer's visit came to.
type served struct {
	sold       bool
	outOfStock int // rejections before the rest was sold (or nothing was left)
	retries    int
	err        error
}

// sellAll sells a basket; when items are short the till drops them and
// sells what is left, as a cashier would.
func sellAll(ctx context.Context, b basket, sell func(context.Context, basket) attempt) served {
	var s served
	for len(b.lines) > 0 {
		a := sell(ctx, b)
		s.retries += a.retries
		switch {
		case a.sold:
			s.sold = true
			return s
		case a.err != nil:
			s.err = a.err
			return s
		case len(a.short) == 0:
			s.err = fmt.Errorf("out of stock without naming an item")
			return s
		}
		s.outOfStock++
		b = b.without(a.short)
	}
	return s
}

// tillFunc serves one customer (or, for the limit flow, one commit).
type tillFunc func(ctx context.Context, rng *rand.Rand) served

// flowTills is a flow ready to run: one tillFunc per till, and the server
// connection each till holds (0 for a pooled till), so the hard stop can
// end what is stuck on the server.
type flowTills struct {
	tills   []tillFunc
	connIDs []int64
}

// tillStats is one till's tally; the run merges them.
type tillStats struct {
	inWindow, late, cut, outOfStock, failed, retries int64
	latencies                                        []time.Duration
	errs                                             []string
}

// loadResult is what the tills did, before the wire counts and the checks.
type loadResult struct {
	window                                           time.Duration
	inWindow, late, cut, outOfStock, failed, retries int64
	latencies                                        []time.Duration // sorted
	errs                                             []string
}

// drive runs every till until the window closes, lets sales in flight
// finish for cfg.Drain, then cuts the rest: kill ends their server
// connections (a lock wait is not interrupted by the client going away)
// and their context is cancelled.
func drive(ctx context.Context, cfg config, ft flowTills, kill func([]int64)) loadResult {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stopped atomic.Bool
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	stats := make([]tillStats, len(ft.tills))
	done := make([]atomic.Bool, len(ft.tills))
	var wg sync.WaitGroup
	for i, till := range ft.tills {
		wg.Go(func() {
			defer done[i].Store(true)
			st := &stats[i]
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)))
			for time.Now().Before(deadline) && runCtx.Err() == nil {
				began := time.Now()
				s := till(runCtx, rng)
				took := time.Since(began)
				st.outOfStock += int64(s.outOfStock)
				st.retries += int64(s.retries)
				switch {
				case s.sold && time.Now().After(deadline):
					st.late++
					st.latencies = append(st.latencies, took)
				case s.sold:
					st.inWindow++
					st.latencies = append(st.latencies, took)
				case s.err != nil && stopped.Load():
					// Cut at the hard stop: it had waited at least this long.
					st.cut++
					st.latencies = append(st.latencies, took)
				case s.err != nil:
					st.failed++
					if len(st.errs) < 3 {
						st.errs = append(st.errs, s.err.Error())
					}
				}
			}
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-ctx.Done():
	case <-time.After(time.Until(deadline) + cfg.Drain):
	}
	stopped.Store(true)
	var stuck []int64
	for i, id := range ft.connIDs {
		if id != 0 && !done[i].Load() {
			stuck = append(stuck, id)
		}
	}
	if len(stuck) > 0 {
		kill(stuck)
	}
	cancel()
	<-finished

	r := loadResult{window: cfg.Duration}
	errSeen := map[string]bool{}
	for _, st := range stats {
		r.inWindow += st.inWindow
		r.late += st.late
		r.cut += st.cut
		r.outOfStock += st.outOfStock
		r.failed += st.failed
		r.retries += st.retries
		r.latencies = append(r.latencies, st.latencies...)
		for _, e := range st.errs {
			if !errSeen[e] && len(r.errs) < 5 {
				errSeen[e] = true
				r.errs = append(r.errs, e)
			}
		}
	}
	slices.Sort(r.latencies)
	return r
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}
