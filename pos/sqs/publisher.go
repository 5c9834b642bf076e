// Package sqs publishes the till's sale events from the event outbox to an
// Amazon SQS FIFO queue with SendMessageBatch (aws-sdk-go-v2): the message
// group is the store, so one store's events are delivered in order, and the
// deduplication id is the event id, so a resend within SQS's five-minute
// window is not delivered twice. Delivery downstream is at least once: a
// consumer applies each event id once.
package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/till-pos/till/pos"
)

// API is the part of the SQS client the publisher uses (*sqs.Client).
type API interface {
	SendMessageBatch(ctx context.Context, in *awssqs.SendMessageBatchInput, opts ...func(*awssqs.Options)) (*awssqs.SendMessageBatchOutput, error)
}

// Limits of SQS that the publisher keeps to.
const (
	maxEntries    = 10      // per SendMessageBatch
	maxBatchBytes = 1 << 20 // message bodies per batch, and one message (1 MiB)
)

// Backoff is the wait before retry n (1, 2, …): Base doubled each time up
// to Max, then jittered to between half and all of it, so tills that lost
// the queue together do not come back together.
type Backoff struct {
	Base, Max time.Duration
}

// Wait is the delay before the next attempt after n failed ones. The zero
// Backoff waits about 5 s, 10 s, 20 s, … up to 2 minutes: well inside the
// five-minute deduplication window, so a resend after a lost answer is
// not delivered twice.
func (b Backoff) Wait(n int) time.Duration {
	if b.Base <= 0 {
		b.Base = 5 * time.Second
	}
	if b.Max <= 0 {
		b.Max = 2 * time.Minute
	}
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	return d/2 + rand.N(d/2+1)
}

// Publisher sends a till's events from the outbox. It runs in the
// background of the till and never holds up a sale: the sale's transaction
// only writes the outbox row. With no Client (no queue configured) it only
// expires events older than Retention, so the outbox stays bounded.
type Publisher struct {
	Outbox    pos.EventOutbox
	Client    API    // nil: no queue configured
	QueueURL  string // POS_EVENTS_QUEUE_URL
	TillID    string // whose events; "" is every till's
	Every     time.Duration
	Lease     time.Duration
	Backoff   Backoff
	Retention time.Duration // without a queue: how long events are kept; 0 is 7 days
	Metrics   pos.Metrics   // nil: none
	Log       *slog.Logger  // nil: no log
	Now       func() time.Time
	// CallTimeout bounds one SendMessageBatch with the SDK's retries; 0
	// is 20 s. A send cut short is retried after the backoff.
	CallTimeout time.Duration
}

// Report says what a pass did.
type Report struct {
	Sent    int
	Failed  int // to be retried after the backoff
	Parked  int // malformed: set aside, not retried
	Expired int // no queue: kept past the retention
	Left    int // still pending after a Drain
	Errors  []error
}

func (r *Report) add(o Report) {
	r.Sent += o.Sent
	r.Failed += o.Failed
	r.Parked += o.Parked
	r.Expired += o.Expired
	r.Errors = append(r.Errors, o.Errors...)
}

// Run publishes due events until ctx ends: a full batch is followed by the
// next at once, otherwise it waits Every (0: 5 s). Without a queue it
// only expires old events, once a minute at most.
func (p *Publisher) Run(ctx context.Context) {
	every := p.Every
	if every <= 0 {
		every = 5 * time.Second
	}
	if p.Client == nil {
		every = max(every, time.Minute)
	}
	for {
		rep, err := p.Once(ctx)
		if err != nil && ctx.Err() == nil {
			p.log("event outbox unavailable", "err", err)
		}
		if rep.Failed+rep.Parked+rep.Expired > 0 {
			p.log("events", "sent", rep.Sent, "failed", rep.Failed, "parked", rep.Parked, "expired", rep.Expired)
		}
		wait := every
		if rep.Sent+rep.Parked == maxEntries && rep.Failed == 0 {
			wait = 0 // more are waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// Once sends one batch of due events (or, with no queue, expires old ones).
func (p *Publisher) Once(ctx context.Context) (Report, error) {
	if p.Client == nil {
		n, err := p.Outbox.ExpireEvents(ctx, p.TillID, p.now().Add(-p.retention()))
		return Report{Expired: n}, err
	}
	claimed, err := p.Outbox.ClaimEvents(ctx, p.TillID, p.lease(), maxEntries, false)
	if err != nil {
		return Report{}, err
	}
	return p.send(ctx, claimed), nil
}

// Drain sends every pending event, due or backing off, batch after batch,
// until none is left or a batch fails (the rest wait for their backoff),
// and reports how many are left.
func (p *Publisher) Drain(ctx context.Context) (Report, error) {
	if p.Client == nil {
		return Report{}, pos.Errorf(pos.EInvalid, "no queue is configured (POS_EVENTS_QUEUE_URL)")
	}
	var rep Report
	for ctx.Err() == nil {
		claimed, err := p.Outbox.ClaimEvents(ctx, p.TillID, p.lease(), maxEntries, true)
		if err != nil {
			return rep, err
		}
		if len(claimed) == 0 {
			break
		}
		r := p.send(ctx, claimed)
		rep.add(r)
		if r.Failed > 0 || len(r.Errors) > 0 {
			break
		}
	}
	b, err := p.Outbox.EventBacklog(ctx, p.TillID)
	rep.Left = b.Pending
	return rep, errors.Join(ctx.Err(), err)
}

// send delivers claimed events in batches that keep to SQS's limits and
// records each outcome: sent only if SQS lists the entry in Successful.
func (p *Publisher) send(ctx context.Context, claimed []pos.OutboxEvent) Report {
	var rep Report
	var park []pos.EventFailure
	var batch []types.SendMessageBatchRequestEntry
	size := 0
	flush := func() {
		if len(batch) > 0 {
			rep.add(p.sendBatch(ctx, batch))
			batch, size = nil, 0
		}
	}
	for _, c := range claimed {
		body, reason := encode(c)
		if reason != "" {
			park = append(park, pos.EventFailure{ID: c.ID, Reason: reason})
			continue
		}
		if size+len(body) > maxBatchBytes {
			flush()
		}
		batch = append(batch, types.SendMessageBatchRequestEntry{
			Id:                     aws.String(c.ID),
			MessageBody:            aws.String(body),
			MessageGroupId:         aws.String(c.StoreID),
			MessageDeduplicationId: aws.String(c.ID),
		})
		size += len(body)
	}
	flush()
	rep.add(p.park(ctx, park))
	return rep
}

// encode is the message body of an event, or why it cannot be sent.
func encode(c pos.OutboxEvent) (string, string) {
	if c.Problem != "" {
		return "", c.Problem
	}
	if err := c.Event.Validate(); err != nil {
		return "", pos.ErrorMessage(err)
	}
	b, err := json.Marshal(c.Event)
	switch {
	case err != nil:
		return "", err.Error()
	case len(b) > maxBatchBytes:
		return "", fmt.Sprintf("the event is %d bytes, more than SQS takes", len(b))
	case !utf8.Valid(b):
		return "", "the event is not valid UTF-8"
	}
	return string(b), ""
}

func (p *Publisher) sendBatch(ctx context.Context, entries []types.SendMessageBatchRequestEntry) Report {
	cctx, cancel := context.WithTimeout(ctx, p.callTimeout())
	out, err := p.Client.SendMessageBatch(cctx, &awssqs.SendMessageBatchInput{
		QueueUrl: aws.String(p.QueueURL), Entries: entries})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			// The till is closing: the leases lapse and the events are
			// sent again later (SQS deduplicates a send that got through).
			return Report{Errors: []error{err}}
		}
		failed := make([]pos.EventFailure, len(entries))
		for i, e := range entries {
			failed[i] = pos.EventFailure{ID: *e.Id, Reason: err.Error()}
		}
		p.count(pos.MetricEventSendErrors, len(failed))
		return p.retry(ctx, failed, err)
	}
	answered := map[string]bool{}
	var sent []string
	for _, s := range out.Successful {
		if s.Id != nil {
			sent = append(sent, *s.Id)
			answered[*s.Id] = true
		}
	}
	var failed, park []pos.EventFailure
	for _, f := range out.Failed {
		if f.Id == nil {
			continue
		}
		answered[*f.Id] = true
		reason := aws.ToString(f.Code) + ": " + aws.ToString(f.Message)
		if f.SenderFault {
			park = append(park, pos.EventFailure{ID: *f.Id, Reason: reason})
		} else {
			failed = append(failed, pos.EventFailure{ID: *f.Id, Reason: reason})
		}
	}
	for _, e := range entries {
		if !answered[*e.Id] {
			failed = append(failed, pos.EventFailure{ID: *e.Id, Reason: "SQS did not answer for this entry"})
		}
	}
	rep := Report{}
	// Record even when ctx is cancelled (the till closing): what SQS has
	// must not be sent again needlessly.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := p.Outbox.EventsSent(rctx, sent); err != nil {
		// Sent again after the lease; SQS deduplicates within its window.
		rep.Errors = append(rep.Errors, err)
	} else {
		rep.Sent = len(sent)
		p.count(pos.MetricEventsSent, len(sent))
	}
	p.count(pos.MetricEventSendErrors, len(failed))
	rep.add(p.retry(rctx, failed, nil))
	rep.add(p.park(rctx, park))
	return rep
}

func (p *Publisher) retry(ctx context.Context, failed []pos.EventFailure, cause error) Report {
	if len(failed) == 0 {
		return Report{}
	}
	rep := Report{Failed: len(failed)}
	if cause != nil {
		rep.Errors = append(rep.Errors, cause)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := p.Outbox.EventsFailed(rctx, failed, p.Backoff.Wait); err != nil {
		rep.Errors = append(rep.Errors, err)
	}
	return rep
}

func (p *Publisher) park(ctx context.Context, park []pos.EventFailure) Report {
	if len(park) == 0 {
		return Report{}
	}
	for _, f := range park {
		p.log("event parked", "event", f.ID, "reason", f.Reason)
	}
	if err := p.Outbox.EventsParked(ctx, park); err != nil {
		return Report{Errors: []error{err}}
	}
	return Report{Parked: len(park)}
}

func (p *Publisher) count(name string, n int) {
	if p.Metrics != nil && n > 0 {
		p.Metrics.Count(name, float64(n))
	}
}

func (p *Publisher) lease() time.Duration {
	if p.Lease > 0 {
		return p.Lease
	}
	return time.Minute
}

func (p *Publisher) callTimeout() time.Duration {
	if p.CallTimeout > 0 {
		return p.CallTimeout
	}
	return 20 * time.Second
}

func (p *Publisher) retention() time.Duration {
	if p.Retention > 0 {
		return p.Retention
	}
	return 7 * 24 * time.Hour
}

func (p *Publisher) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Publisher) log(msg string, args ...any) {
	if p.Log != nil {
		p.Log.Info(msg, args...)
	}
}
