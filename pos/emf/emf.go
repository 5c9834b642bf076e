// Package emf writes the till's metrics in CloudWatch Embedded Metric
// Format: one JSON line per flush, appended to a local file that the
// CloudWatch agent ships (POS_METRICS_FILE). Nothing on the sale path
// waits for a network, and nothing is lost while the till is offline: the
// agent sends the file when it can.
//
// A line carries the store and till as dimensions, counts summed since the
// last flush, durations as lists of values (CloudWatch keeps their
// statistics), and gauges as their latest value.
package emf

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/till-pos/till/pos"
)

// Namespace is the CloudWatch namespace of the till's metrics.
const Namespace = "Till"

// Dimension names.
const (
	DimStore = "StoreId"
	DimTill  = "TillId"
)

// maxValues is how many values EMF takes for one metric in one line.
const maxValues = 100

var _ pos.Metrics = (*Recorder)(nil)

// Recorder keeps measurements until Flush writes them as one EMF line.
// It is safe for concurrent use; no call blocks on anything but the file.
type Recorder struct {
	w           io.Writer
	store, till string
	now         func() time.Time

	mu     sync.Mutex
	counts map[string]float64
	values map[string][]float64
	gauges map[string]float64
	err    error // the last write error, kept for the log
}

// New makes a Recorder writing to w for a store's till. now is its clock
// (nil: time.Now).
func New(w io.Writer, storeID, tillID string, now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{w: w, store: storeID, till: tillID, now: now,
		counts: map[string]float64{}, values: map[string][]float64{}, gauges: map[string]float64{}}
}

// OpenFile opens (creating it and its folder) the file lines are appended
// to.
func OpenFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
}

// Count adds n to a counter.
func (r *Recorder) Count(name string, n float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[name] += n
}

// Duration records one latency, in milliseconds.
func (r *Recorder) Duration(name string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.values[name] = append(r.values[name], float64(d.Microseconds())/1000)
	if len(r.values[name]) >= maxValues {
		r.flushLocked()
	}
}

// Gauge sets a value that is reported until it changes.
func (r *Recorder) Gauge(name string, v float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gauges[name] = v
}

// Flush writes what was measured since the last flush as one line, and
// nothing when nothing was.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flushLocked()
}

// Err returns the last write error.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

type metricDef struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type directive struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []metricDef `json:"Metrics"`
}

type metadata struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

func (r *Recorder) flushLocked() error {
	if len(r.counts)+len(r.values)+len(r.gauges) == 0 {
		return nil
	}
	doc := map[string]any{DimStore: r.store, DimTill: r.till}
	var names []string
	for n, v := range r.counts {
		doc[n] = v
		names = append(names, n)
	}
	for n, v := range r.values {
		doc[n] = v
		names = append(names, n)
	}
	for n, v := range r.gauges {
		doc[n] = v
		names = append(names, n)
	}
	slices.Sort(names)
	defs := make([]metricDef, len(names))
	for i, n := range names {
		defs[i] = metricDef{Name: n, Unit: pos.MetricUnit(n)}
	}
	doc["_aws"] = metadata{Timestamp: r.now().UnixMilli(), CloudWatchMetrics: []directive{{
		Namespace: Namespace, Dimensions: [][]string{{DimStore, DimTill}}, Metrics: defs}}}
	line, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if _, err := r.w.Write(append(line, '\n')); err != nil {
		// Keep the measurements for the next flush.
		r.err = fmt.Errorf("write metrics: %w", err)
		return r.err
	}
	clear(r.counts)
	clear(r.values)
	// Gauges are sampled anew each flush by whoever sets them; a stale
	// value would hide a till that stopped measuring.
	clear(r.gauges)
	return nil
}

// Run writes a heartbeat at once and every heartbeat (0: a minute), and
// flushes every flush (0: 5 s), until ctx ends; then it flushes once more.
func (r *Recorder) Run(ctx context.Context, flush, heartbeat time.Duration) {
	if flush <= 0 {
		flush = 5 * time.Second
	}
	if heartbeat <= 0 {
		heartbeat = time.Minute
	}
	r.Count(pos.MetricHeartbeat, 1)
	ft, ht := time.NewTicker(flush), time.NewTicker(heartbeat)
	defer ft.Stop()
	defer ht.Stop()
	for {
		select {
		case <-ctx.Done():
			r.Flush()
			return
		case <-ht.C:
			r.Count(pos.MetricHeartbeat, 1)
		case <-ft.C:
			r.Flush()
		}
	}
}
