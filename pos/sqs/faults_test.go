package sqs_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/sqs"
	"github.com/till-pos/till/store/storetest"
)

// fault is one row of the fault table: what is done to the connection
// between the publisher and SQS while sales go on.
type fault struct {
	name string
	// on starts the fault and returns what ends it.
	on func(t *testing.T) (off func())
	// window, if set, moves SQS's clock past its deduplication window
	// after the fault, before the events are sent again.
	window bool
}

type result struct {
	name                     string
	events, sent, lost, dups int
	sendFailures             int // failed SendMessageBatch entries: the fault did bite
	received                 int // entries SQS received, resends included
	slowestSale              time.Duration
}

// TestPublishThroughFaults runs sales and the publisher while the network
// to SQS is cut, slow, or loses SQS's answers after the send, and checks
// that no event is lost, that an event is delivered twice only where SQS
// itself would deliver it twice (a resend after its five-minute window),
// that a reference consumer applying each event id once has the rewards
// totals exactly, and that no sale waited for the queue.
func TestPublishThroughFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("fault runs take a while")
	}
	r := newRig(t)
	px := storetest.StartToxiproxy(t).NewProxy(t, strings.TrimPrefix(r.q.URL, "http://"))
	listen := px.Listen
	toxic := func(typ, stream string, attrs map[string]any) func(t *testing.T) func() {
		return func(t *testing.T) func() {
			name, err := px.Add(storetest.Toxic{Type: typ, Stream: stream, Attributes: attrs})
			if err != nil {
				t.Fatal(err)
			}
			return func() {
				if err := px.Remove(name); err != nil {
					t.Error(err)
				}
			}
		}
	}
	enabled := func(on bool) {
		if err := px.SetEnabled(on); err != nil {
			t.Fatal(err)
		}
	}
	faults := []fault{
		{name: "none", on: func(*testing.T) func() { return func() {} }},
		{name: "latency 400 ms each way", on: func(t *testing.T) func() {
			up := toxic("latency", "upstream", map[string]any{"latency": 400, "jitter": 100})(t)
			down := toxic("latency", "downstream", map[string]any{"latency": 400, "jitter": 100})(t)
			return func() { up(); down() }
		}},
		{name: "connection cut (proxy down ~3 s)", on: func(*testing.T) func() {
			enabled(false)
			return func() { enabled(true) }
		}},
		{name: "answers lost after the send", on: toxic("limit_data", "downstream", map[string]any{"bytes": 20})},
		{name: "answers never come (timeout)", on: toxic("timeout", "downstream", map[string]any{"timeout": 0})},
		{name: "answers lost, resent after SQS's 5-min window", window: true,
			on: toxic("limit_data", "downstream", map[string]any{"bytes": 20})},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	m := &lockedCounter{c: counter{}}
	newPublisher := func() *sqs.Publisher {
		return &sqs.Publisher{Outbox: r.db, Client: client("http://" + listen), QueueURL: r.q.QueueURL, TillID: "t1",
			Every: 50 * time.Millisecond, Lease: 3 * time.Second, CallTimeout: 2 * time.Second,
			Backoff: sqs.Backoff{Base: 100 * time.Millisecond, Max: time.Second}, Metrics: m}
	}
	var results []result
	shift := time.Duration(0)
	var shiftMu sync.Mutex
	r.q.SetClock(func() time.Time {
		shiftMu.Lock()
		defer shiftMu.Unlock()
		return time.Now().Add(shift)
	})
	for _, f := range faults {
		res := result{name: f.name}
		failuresBefore := m.get(pos.MetricEventSendErrors)
		_, receivedBefore := r.q.Requests()
		var keys []string
		for range 10 {
			keys = append(keys, r.sell(t, rng))
		}
		off := f.on(t)
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		if f.window {
			// One pass whose answers are lost, then SQS's clock moves on.
			if _, err := newPublisher().Once(context.Background()); err != nil {
				t.Fatal(err)
			}
		} else {
			wg.Add(1)
			go func() { defer wg.Done(); newPublisher().Run(ctx) }()
		}
		// Sales go on during the fault and never wait for the queue.
		for range 10 {
			start := time.Now()
			keys = append(keys, r.sell(t, rng))
			res.slowestSale = max(res.slowestSale, time.Since(start))
			time.Sleep(300 * time.Millisecond) // the fault lasts about 3 s, past the SDK's own retries
		}
		off()
		if f.window {
			shiftMu.Lock()
			shift += 6 * time.Minute
			shiftMu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); newPublisher().Run(ctx) }()
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			b, err := r.db.EventBacklog(context.Background(), "t1")
			if err == nil && b.Pending == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s: %d events still pending after 60 s", f.name, b.Pending)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		stop()
		wg.Wait()
		res.sendFailures = int(m.get(pos.MetricEventSendErrors) - failuresBefore)
		_, received := r.q.Requests()
		res.received = received - receivedBefore
		delivered := map[string]int{}
		for _, msg := range r.q.Messages() {
			delivered[msg.DedupID]++
		}
		for _, k := range keys {
			id := pos.EventID(k, pos.EventSaleCompleted)
			res.events++
			switch n := delivered[id]; {
			case n == 0:
				res.lost++
			default:
				res.sent++
				res.dups += n - 1
			}
		}
		results = append(results, res)
	}
	t.Logf("%-48s %6s %5s %5s %10s %13s %12s %12s", "fault", "events", "sent", "lost", "duplicated", "send failures",
		"SQS received", "slowest sale")
	for _, res := range results {
		t.Logf("%-48s %6d %5d %5d %10d %13d %12d %12s", res.name, res.events, res.sent, res.lost, res.dups,
			res.sendFailures, res.received, res.slowestSale.Round(time.Millisecond))
		if res.sendFailures == 0 && res.name != "none" && !strings.HasPrefix(res.name, "latency") {
			t.Errorf("%s: no send failed: the fault did not bite", res.name)
		}
		if res.lost != 0 {
			t.Errorf("%s: %d events lost", res.name, res.lost)
		}
		if res.dups != 0 && !strings.Contains(res.name, "window") {
			t.Errorf("%s: %d duplicates inside SQS's deduplication window", res.name, res.dups)
		}
		if res.slowestSale > 2*time.Second {
			t.Errorf("%s: a sale took %s: it waited for the queue", res.name, res.slowestSale)
		}
	}
	if last := results[len(results)-1]; last.dups == 0 {
		t.Errorf("resent after the window: no duplicate, yet SQS would deliver one (the test did not lose answers?)")
	}
	if parked := r.outboxIDs(t, "parked"); len(parked) != 0 {
		t.Errorf("%d events parked by network faults", len(parked))
	}
	rw := consume(t, r.q.Messages())
	r.checkRewards(t, rw)
	t.Logf("reference consumer: %d events applied once, %d duplicates skipped; rewards totals match the database",
		len(rw.seen), rw.duplicates)
}

// lockedCounter is a counter the publisher's goroutine and the test share.
type lockedCounter struct {
	mu sync.Mutex
	c  counter
}

func (l *lockedCounter) Count(name string, n float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.c.Count(name, n)
}
func (l *lockedCounter) Duration(string, time.Duration) {}
func (l *lockedCounter) Gauge(string, float64)          {}
func (l *lockedCounter) get(name string) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c[name]
}
