package sqs_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/sqs"
	"github.com/till-pos/till/pos/sqs/sqstest"
)

// counter is a pos.Metrics that keeps counts.
type counter map[string]float64

func (c counter) Count(name string, n float64)   { c[name] += n }
func (c counter) Duration(string, time.Duration) {}
func (c counter) Gauge(name string, v float64)   { c[name] = v }

// TestPartialBatchFailures: SQS fails some entries of a batch. An entry is
// marked sent only when it is in Successful; one failed through no fault
// of ours is sent on the next try; one refused as malformed is parked and
// counted, never retried; an event that cannot be built is parked too.
func TestPartialBatchFailures(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	var keys []string
	for range 14 {
		keys = append(keys, r.sell(t, rng))
	}
	throttled := pos.EventID(keys[1], pos.EventSaleCompleted)
	malformed := pos.EventID(keys[2], pos.EventSaleCompleted)
	tries := map[string]int{}
	r.q.FailEntries(func(e sqstest.Entry) *sqstest.EntryFailure {
		tries[e.ID]++
		switch {
		case e.ID == throttled && tries[e.ID] == 1:
			return &sqstest.EntryFailure{Code: "InternalError", Message: "try again"}
		case e.ID == malformed:
			return &sqstest.EntryFailure{Code: "InvalidMessageContents", SenderFault: true, Message: "Invalid characters found."}
		}
		return nil
	})
	// A sale whose stored lines no longer add up cannot make an event.
	if _, err := r.d.Admin.Exec(`UPDATE transaction_items SET line_total = line_total + 1
		WHERE transaction_id = (SELECT transaction_id FROM transactions WHERE idempotency_key = ?)`, keys[3]); err != nil {
		t.Fatal(err)
	}
	broken := pos.EventID(keys[3], pos.EventSaleCompleted)

	m := counter{}
	p := &sqs.Publisher{Outbox: r.db, Client: client(r.q.URL), QueueURL: r.q.QueueURL, TillID: "t1",
		Backoff: sqs.Backoff{Base: time.Millisecond, Max: time.Millisecond}, Metrics: m}
	rep, err := p.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 7 || rep.Failed != 1 || rep.Parked != 2 {
		t.Errorf("first batch: got %+v, want 7 sent, 1 failed, 2 parked", rep)
	}
	time.Sleep(10 * time.Millisecond) // past the backoff
	rep, err = p.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 5 || rep.Left != 0 {
		t.Errorf("drain: got %+v, want the throttled one and the other 4 sent, none left", rep)
	}
	parked := r.outboxIDs(t, "parked")
	if len(parked) != 2 || !parked[malformed] || !parked[broken] {
		t.Errorf("parked: got %v, want %s and %s", parked, malformed, broken)
	}
	if tries[malformed] != 1 {
		t.Errorf("the malformed event was tried %d times, want 1", tries[malformed])
	}
	if m[pos.MetricEventsSent] != 12 || m[pos.MetricEventSendErrors] != 1 {
		t.Errorf("metrics: got %v, want 12 sent, 1 send failure", m)
	}
	b, err := r.db.EventBacklog(ctx, "t1")
	if err != nil || b.Parked != 2 || b.Pending != 0 {
		t.Errorf("backlog: got %+v, %v; want 2 parked, none pending", b, err)
	}
	var lastError string
	r.d.Admin.QueryRow(`SELECT last_error FROM event_outbox WHERE event_id = ?`, malformed).Scan(&lastError)
	if !strings.Contains(lastError, "InvalidMessageContents") {
		t.Errorf("parked reason: got %q", lastError)
	}
	rw := consume(t, r.q.Messages())
	if len(rw.seen) != 12 || rw.duplicates != 0 {
		t.Errorf("delivered: got %d events, %d duplicates; want 12, 0", len(rw.seen), rw.duplicates)
	}
}

// TestQueueRejectsWholeBatch: a queue that does not exist (or any error of
// the whole call) fails every entry for a retry; nothing is parked or
// marked sent.
func TestQueueRejectsWholeBatch(t *testing.T) {
	r := newRig(t)
	rng := rand.New(rand.NewPCG(3, 4))
	r.sell(t, rng)
	r.sell(t, rng)
	p := &sqs.Publisher{Outbox: r.db, Client: client(r.q.URL), QueueURL: r.q.QueueURL + "-gone", TillID: "t1"}
	rep, err := p.Once(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 2 || rep.Sent != 0 || rep.Parked != 0 || len(rep.Errors) == 0 ||
		!strings.Contains(rep.Errors[0].Error(), "NonExistentQueue") {
		t.Errorf("got %+v, want 2 failed with NonExistentQueue (the query-compatible code the SDK reads from x-amzn-query-error)", rep)
	}
	b, _ := r.db.EventBacklog(context.Background(), "t1")
	if b.Pending != 2 {
		t.Errorf("pending: got %d, want 2", b.Pending)
	}
}

// TestNoQueueKeepsEventsForTheRetention: without a queue the publisher
// expires pending events older than the retention, and only those.
func TestNoQueueKeepsEventsForTheRetention(t *testing.T) {
	r := newRig(t)
	r.sell(t, rand.New(rand.NewPCG(5, 6)))
	now := time.Now()
	p := &sqs.Publisher{Outbox: r.db, TillID: "t1", Retention: time.Hour, Now: func() time.Time { return now }}
	if rep, err := p.Once(context.Background()); err != nil || rep.Expired != 0 {
		t.Fatalf("within the retention: got %+v, %v; want nothing expired", rep, err)
	}
	now = now.Add(2 * time.Hour)
	if rep, err := p.Once(context.Background()); err != nil || rep.Expired != 1 {
		t.Fatalf("past the retention: got %+v, %v; want 1 expired", rep, err)
	}
	if _, err := p.Drain(context.Background()); pos.ErrorCode(err) != pos.EInvalid {
		t.Errorf("drain without a queue: got %v, want invalid", err)
	}
}

// TestBackoffIsJitteredAndBounded.
func TestBackoffIsJitteredAndBounded(t *testing.T) {
	b := sqs.Backoff{Base: time.Second, Max: 8 * time.Second}
	seen := map[time.Duration]bool{}
	for n := 1; n <= 10; n++ {
		for range 20 {
			d := b.Wait(n)
			want := min(time.Second<<(n-1), 8*time.Second)
			if d < want/2 || d > want {
				t.Fatalf("wait %d: %v, want between %v and %v", n, d, want/2, want)
			}
			seen[d] = true
		}
	}
	if len(seen) < 20 {
		t.Errorf("only %d distinct waits: not jittered", len(seen))
	}
}

// TestTwoPublishersShareTheOutbox: the till's publisher and an operator's
// drain at the same time send each event once: a claim leases it.
func TestTwoPublishersShareTheOutbox(t *testing.T) {
	r := newRig(t)
	rng := rand.New(rand.NewPCG(9, 10))
	for range 60 {
		r.sell(t, rng)
	}
	newPub := func() *sqs.Publisher {
		return &sqs.Publisher{Outbox: r.db, Client: client(r.q.URL), QueueURL: r.q.QueueURL, TillID: "t1"}
	}
	errs := make(chan error, 2)
	go func() { _, err := newPub().Drain(context.Background()); errs <- err }()
	go func() {
		p := newPub()
		for {
			rep, err := p.Once(context.Background())
			if err != nil || rep.Sent == 0 {
				errs <- err
				return
			}
		}
	}()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if b, err := r.db.EventBacklog(context.Background(), "t1"); err != nil || b.Pending != 0 {
		t.Errorf("%d events left (%v)", b.Pending, err)
	}
	_, entries := r.q.Requests()
	if n := len(r.q.Messages()); n != 60 || entries != 60 {
		t.Errorf("got %d messages from %d entries, want 60 from 60 (each event claimed once)", n, entries)
	}
}

// forgetful is an outbox whose first EventsSent fails: SQS has the events
// but the database did not record it (the connection dropped).
type forgetful struct {
	pos.EventOutbox
	failed bool
}

func (f *forgetful) EventsSent(ctx context.Context, ids []string) error {
	if !f.failed {
		f.failed = true
		return pos.Errorf(pos.EUnavailable, "the database is unavailable")
	}
	return f.EventOutbox.EventsSent(ctx, ids)
}

// TestSentButNotRecorded: when marking events sent fails, they are sent
// again once their lease lapses, inside SQS's window: received twice,
// delivered once.
func TestSentButNotRecorded(t *testing.T) {
	r := newRig(t)
	rng := rand.New(rand.NewPCG(11, 12))
	for range 5 {
		r.sell(t, rng)
	}
	p := &sqs.Publisher{Outbox: &forgetful{EventOutbox: r.db}, Client: client(r.q.URL), QueueURL: r.q.QueueURL,
		TillID: "t1", Lease: 200 * time.Millisecond}
	rep, err := p.Once(context.Background())
	if err != nil || rep.Sent != 0 || len(rep.Errors) != 1 {
		t.Fatalf("first pass: got %+v, %v; want nothing recorded as sent and the error", rep, err)
	}
	time.Sleep(300 * time.Millisecond) // the lease lapses
	if rep, err = p.Once(context.Background()); err != nil || rep.Sent != 5 {
		t.Fatalf("second pass: got %+v, %v; want 5 sent", rep, err)
	}
	_, entries := r.q.Requests()
	if n := len(r.q.Messages()); n != 5 || entries != 10 {
		t.Errorf("got %d delivered from %d entries received, want 5 from 10", n, entries)
	}
}
