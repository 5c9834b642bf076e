package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// report is a run's results; -json prints it as it is.
type report struct {
	Settings settings     `json:"settings"`
	Server   string       `json:"server"`
	Database string       `json:"database"`
	Kept     bool         `json:"kept"`
	Flows    []flowResult `json:"flows"`
	// TillBoundPerSec is the most sales per second the tills could make
	// with a database that took no time: tills ÷ the average card time per
	// sale (card share × card time). Zero when no sale waits for a card.
	TillBoundPerSec float64 `json:"till_bound_per_sec,omitempty"`
	// Ratios of sales per second: "ours/seed", "ours/limit" and, with
	// cards, "ours/till-bound". A ratio is left out when its divisor is 0.
	Ratios map[string]float64 `json:"ratios"`
	// OK is false when any flow's invariant check found a violation.
	OK bool `json:"ok"`
}

// settings is the run's configuration in readable units.
type settings struct {
	Tills     int      `json:"tills"`
	Stores    int      `json:"stores"`
	Duration  string   `json:"duration"`
	Drain     string   `json:"drain"`
	Items     int      `json:"items_per_flow"`
	HotItems  int      `json:"hot_items"`
	HotShare  float64  `json:"hot_share"`
	MinLines  int      `json:"min_lines"`
	MaxLines  int      `json:"max_lines"`
	Stock     int64    `json:"stock"`
	CardShare float64  `json:"card_share"`
	CardTime  string   `json:"card_time"`
	Customers int      `json:"customers"`
	Loyalty   float64  `json:"loyalty_share"`
	Flows     []string `json:"flows"`
	Seed      uint64   `json:"seed"`
}

func settingsOf(c config) settings {
	return settings{Tills: c.Tills, Stores: max(c.Stores, 1), Duration: c.Duration.String(), Drain: c.Drain.String(), Items: c.Items,
		HotItems: c.HotItems, HotShare: c.HotShare, MinLines: c.MinLines, MaxLines: c.MaxLines,
		Stock: c.Stock, CardShare: c.CardShare, CardTime: c.CardTime.String(), Customers: c.Customers,
		Loyalty: c.Loyalty, Flows: c.Flows, Seed: c.Seed}
}

// flowResult is one flow's figures. For the limit flow a "sale" is one
// committed single-row transaction.
type flowResult struct {
	Flow string `json:"flow"`
	// Sales completed within the window (-duration), and per second.
	Sales       int64   `json:"sales"`
	SalesPerSec float64 `json:"sales_per_sec"`
	// Latency of serving one customer: from the first attempt until the
	// sale is recorded, card time, retries and the out-of-stock round
	// included. Sales cut at the hard stop count with the time they had
	// waited, so when Cut > 0 the high percentiles are lower bounds.
	P50ms float64 `json:"p50_ms"`
	P95ms float64 `json:"p95_ms"`
	P99ms float64 `json:"p99_ms"`
	// Retries: transactions run again after a deadlock or lock wait
	// timeout (ours: by the store, seen as those errors on the wire;
	// seed: by the flow's own bounded retry).
	Retries   int64 `json:"retries"`
	Deadlocks int64 `json:"deadlocks"`  // server error 1213 answers
	LockWaits int64 `json:"lock_waits"` // server error 1205 answers
	// RowLockWaits: the server's Innodb_row_lock_waits during the window
	// (statements that waited for a row lock at all, however briefly;
	// server-wide).
	RowLockWaits int64 `json:"row_lock_waits"`
	// OutOfStock counts rejected attempts; the till then sells the rest.
	OutOfStock int64 `json:"out_of_stock"`
	// Failed: customers whose sale ended in an error (retries exhausted).
	Failed int64    `json:"failed"`
	Errors []string `json:"errors,omitempty"` // a few of their messages
	// Late sales finished during the drain after the window; Cut ones were
	// still in flight when the drain ran out and were aborted.
	Late int64 `json:"late"`
	Cut  int64 `json:"cut"`
	// RoundTripsPerSale: requests the flow sent to the server (each
	// statement, BEGIN, COMMIT, ROLLBACK), counted on the wire, per sale
	// completed (window and drain), rejected attempts and retries included.
	RoundTripsPerSale float64  `json:"round_trips_per_sale"`
	InvariantsOK      bool     `json:"invariants_ok"`
	Violations        []string `json:"violations,omitempty"`
}

func resultOf(flow string, cfg config, lr loadResult, wired counts) flowResult {
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Millisecond)*10) / 10 }
	fr := flowResult{Flow: flow, Sales: lr.inWindow,
		SalesPerSec: math.Round(float64(lr.inWindow)/lr.window.Seconds()*10) / 10,
		P50ms:       ms(percentile(lr.latencies, 50)), P95ms: ms(percentile(lr.latencies, 95)),
		P99ms: ms(percentile(lr.latencies, 99)), Retries: lr.retries,
		Deadlocks: wired.Deadlocks, LockWaits: wired.LockWaits, OutOfStock: lr.outOfStock,
		Failed: lr.failed, Errors: lr.errs, Late: lr.late, Cut: lr.cut}
	if flow == flowOurs {
		fr.Retries = wired.Deadlocks + wired.LockWaits
	}
	if sold := lr.inWindow + lr.late; sold > 0 {
		fr.RoundTripsPerSale = math.Round(float64(wired.RoundTrips)/float64(sold)*10) / 10
	}
	return fr
}

// tillBound is tills ÷ the average time a sale waits for the card reader.
func tillBound(c config) float64 {
	wait := c.CardShare * c.CardTime.Seconds()
	if wait <= 0 {
		return 0
	}
	return math.Round(float64(c.Tills)/wait*10) / 10
}

func ratiosOf(flows []flowResult, bound float64) map[string]float64 {
	by := map[string]flowResult{}
	for _, f := range flows {
		by[f.Flow] = f
	}
	out := map[string]float64{}
	ours, ok := by[flowOurs]
	if !ok {
		return out
	}
	for _, other := range []string{flowSeed, flowLimit} {
		if o, ok := by[other]; ok && o.SalesPerSec > 0 {
			out[flowOurs+"/"+other] = roundSig(ours.SalesPerSec / o.SalesPerSec)
		}
	}
	if bound > 0 {
		out[flowOurs+"/till-bound"] = roundSig(ours.SalesPerSec / bound)
	}
	return out
}

// roundSig rounds to three significant digits.
func roundSig(v float64) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	scale := math.Pow(10, 2-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*scale) / scale
}

func (r report) writeTable(w io.Writer) {
	s := r.Settings
	kept := "dropped"
	if r.Kept {
		kept = "kept"
	}
	stores := fmt.Sprintf("%d stores", s.Stores)
	if s.Stores <= 1 {
		stores = "1 store"
	}
	fmt.Fprintf(w, "%d tills in %s, %s per flow; baskets of %d-%d lines, %d hot items take %.0f%% of lines, stock %d each;\n",
		s.Tills, stores, s.Duration, s.MinLines, s.MaxLines, s.HotItems, s.HotShare*100, s.Stock)
	pay := "every sale in cash"
	if s.CardShare > 0 {
		pay = fmt.Sprintf("%.0f%% of sales by card taking %s, the rest cash", s.CardShare*100, s.CardTime)
	}
	fmt.Fprintf(w, "%s; server %s, database %s (%s)\n\n", pay, r.Server, r.Database, kept)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "flow\tsales\tsales/s\tp50 ms\tp95 ms\tp99 ms\tretries\tdeadlocks\tlock waits\trow lock waits\tout of stock\tfailed\tlate\tcut\trt/sale\tinvariants\t")
	for _, f := range r.Flows {
		inv := "ok"
		if !f.InvariantsOK {
			inv = fmt.Sprintf("FAILED (%d)", len(f.Violations))
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\t%s\t\n",
			f.Flow, f.Sales, f.SalesPerSec, f.P50ms, f.P95ms, f.P99ms, f.Retries, f.Deadlocks, f.LockWaits, f.RowLockWaits,
			f.OutOfStock, f.Failed, f.Late, f.Cut, f.RoundTripsPerSale, inv)
	}
	tw.Flush()
	var ratios []string
	for _, k := range []string{"ours/seed", "ours/limit", "ours/till-bound"} {
		if v, ok := r.Ratios[k]; ok {
			ratios = append(ratios, fmt.Sprintf("%s %.3g×", k, v))
		}
	}
	if len(ratios) > 0 {
		fmt.Fprintf(w, "\nsales/s ratios: %s\n", strings.Join(ratios, ", "))
	}
	if r.TillBoundPerSec > 0 {
		fmt.Fprintf(w, "till-bound: %.1f sales/s (tills ÷ average card wait per sale: the most any flow can sell)\n", r.TillBoundPerSec)
	}
	for _, f := range r.Flows {
		for _, e := range f.Errors {
			fmt.Fprintf(w, "%s: error: %s\n", f.Flow, e)
		}
		for _, v := range f.Violations {
			fmt.Fprintf(w, "%s: INVARIANT VIOLATED: %s\n", f.Flow, v)
		}
	}
}
