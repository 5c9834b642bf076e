package emf_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/emf"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func fixed() time.Time { return time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC) }

// checkEMF checks a line the way CloudWatch reads it: the _aws metadata
// with a millisecond timestamp, one directive naming its dimensions, and
// every metric and dimension it names present at the top level (numbers,
// or lists of at most 100 numbers).
func checkEMF(t *testing.T, line []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(line, &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, line)
	}
	aws, ok := doc["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("no _aws: %s", line)
	}
	if ts, ok := aws["Timestamp"].(float64); !ok || ts < 1e12 {
		t.Errorf("Timestamp %v is not milliseconds since the epoch", aws["Timestamp"])
	}
	dirs, _ := aws["CloudWatchMetrics"].([]any)
	if len(dirs) != 1 {
		t.Fatalf("got %d directives, want 1", len(dirs))
	}
	d := dirs[0].(map[string]any)
	if d["Namespace"] != emf.Namespace {
		t.Errorf("namespace %v", d["Namespace"])
	}
	dims := d["Dimensions"].([]any)
	for _, set := range dims {
		for _, dim := range set.([]any) {
			if _, ok := doc[dim.(string)].(string); !ok {
				t.Errorf("dimension %v has no string value", dim)
			}
		}
	}
	metrics := d["Metrics"].([]any)
	if len(metrics) > 100 {
		t.Errorf("%d metrics in one directive, CloudWatch takes 100", len(metrics))
	}
	for _, m := range metrics {
		m := m.(map[string]any)
		name, unit := m["Name"].(string), m["Unit"].(string)
		if !slices.Contains([]string{"Count", "Milliseconds", "Seconds"}, unit) {
			t.Errorf("%s: unit %q", name, unit)
		}
		switch v := doc[name].(type) {
		case float64:
		case []any:
			if len(v) == 0 || len(v) > 100 {
				t.Errorf("%s: %d values", name, len(v))
			}
		default:
			t.Errorf("%s: value %v is not a number or a list", name, doc[name])
		}
	}
	return doc
}

func TestGoldenLine(t *testing.T) {
	var buf bytes.Buffer
	r := emf.New(&buf, "s1", "t1", fixed)
	r.Count(pos.MetricSales, 1)
	r.Count(pos.MetricSales, 1)
	r.Duration(pos.MetricReserveLatency, 12500*time.Microsecond)
	r.Duration(pos.MetricReserveLatency, 40*time.Millisecond)
	r.Duration(pos.MetricCompleteLatency, 8*time.Millisecond)
	r.Count(pos.MetricCardDeclined, 1)
	r.Count(pos.MetricDBRetries, 3)
	r.Gauge(pos.MetricEventBacklog, 4)
	r.Gauge(pos.MetricEventOldest, 95)
	r.Count(pos.MetricHeartbeat, 1)
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(); err != nil { // nothing new: no line
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "line.golden")
	if *update {
		os.WriteFile(golden, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if buf.String() != string(want) {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	checkEMF(t, bytes.TrimSpace(buf.Bytes()))
}

// TestEveryMetricIsValidEMF writes each metric the till knows and checks
// the line.
func TestEveryMetricIsValidEMF(t *testing.T) {
	var buf bytes.Buffer
	r := emf.New(&buf, "store-42", "till-7", fixed)
	for _, n := range pos.MetricNames() {
		switch pos.MetricUnit(n) {
		case "Milliseconds":
			r.Duration(n, time.Millisecond)
		case "Seconds":
			r.Gauge(n, 1)
		default:
			r.Count(n, 1)
		}
	}
	r.Flush()
	doc := checkEMF(t, bytes.TrimSpace(buf.Bytes()))
	for _, n := range pos.MetricNames() {
		if _, ok := doc[n]; !ok {
			t.Errorf("%s is missing", n)
		}
	}
}

// TestRunBeatsAndFlushes: a heartbeat at once and each interval, lines
// flushed on their own, a last flush at the end; over 100 latencies in
// one interval are split across lines.
func TestRunBeatsAndFlushes(t *testing.T) {
	var buf syncBuffer
	r := emf.New(&buf, "s1", "t1", nil)
	for range 150 {
		r.Duration(pos.MetricCashSaleLatency, time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx, 20*time.Millisecond, 50*time.Millisecond); close(done) }()
	time.Sleep(180 * time.Millisecond)
	cancel()
	<-done
	beats, values := 0.0, 0
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		doc := checkEMF(t, []byte(line))
		if v, ok := doc[pos.MetricHeartbeat].(float64); ok {
			beats += v
		}
		if v, ok := doc[pos.MetricCashSaleLatency].([]any); ok {
			values += len(v)
		}
	}
	if beats < 3 || values != 150 {
		t.Errorf("got %v heartbeats and %d latencies, want at least 3 and 150", beats, values)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
