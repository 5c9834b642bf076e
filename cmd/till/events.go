package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/emf"
	"github.com/till-pos/till/pos/sqs"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/ui"
)

// Sale events and metrics (DESIGN §9): the cashier screen starts the
// telemetry below; `till events` and `till monitoring` are the operators'
// side.
//
//	POS_EVENTS_QUEUE_URL   the SQS FIFO queue of sale events (none: events are
//	                       kept POS_EVENTS_RETENTION, then expired)
//	POS_EVENTS_ENDPOINT    another SQS endpoint (a VPC endpoint, a test queue)
//	POS_EVENTS_RETENTION   how long unsent events are kept without a queue (168h)
//	POS_METRICS_FILE       the EMF file the CloudWatch agent ships
//	                       (default: metrics.jsonl in the state directory)

// eventsConfig is what the events publisher reads from the environment.
type eventsConfig struct {
	queueURL  string
	endpoint  string
	retention time.Duration
}

func readEventsConfig(getenv func(string) string) (eventsConfig, error) {
	c := eventsConfig{queueURL: getenv("POS_EVENTS_QUEUE_URL"), endpoint: getenv("POS_EVENTS_ENDPOINT"),
		retention: 7 * 24 * time.Hour}
	if v := getenv("POS_EVENTS_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("%w: POS_EVENTS_RETENTION %q: a duration such as 168h", errUsage, v)
		}
		c.retention = d
	}
	return c, nil
}

// publisher builds the events publisher of a till (its Client nil when no
// queue is configured).
func (c eventsConfig) publisher(ctx context.Context, db *store.DB, tillID string, m pos.Metrics) (*sqs.Publisher, error) {
	p := &sqs.Publisher{Outbox: db, QueueURL: c.queueURL, TillID: tillID, Retention: c.retention,
		Metrics: m, Log: slog.Default()}
	if c.queueURL == "" {
		return p, nil
	}
	client, err := sqs.NewClient(ctx, c.queueURL, c.endpoint)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	p.Client = client
	return p, nil
}

// metricsPath is POS_METRICS_FILE, or metrics.jsonl in the state directory.
func metricsPath(getenv func(string) string) (string, error) {
	if p := getenv("POS_METRICS_FILE"); p != "" {
		return p, nil
	}
	dir, err := stateDir(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "metrics.jsonl"), nil
}

// telemetry is what the cashier screen runs beside the sale: the metrics
// file, the events publisher and the backlog sampler. None of them is on
// the sale path; the sale only writes its outbox rows and counts in memory.
type telemetry struct {
	metrics *emf.Recorder
	stop    func()
}

// startTelemetry opens the metrics file, makes the store count its
// retries, and starts the publisher and the sampler until stop.
func startTelemetry(ctx context.Context, env *environment, db *store.DB, s pos.Settings) (*telemetry, error) {
	ec, err := readEventsConfig(env.getenv)
	if err != nil {
		return nil, err
	}
	path, err := metricsPath(env.getenv)
	if err != nil {
		return nil, err
	}
	pub, err := ec.publisher(ctx, db, s.TillID, nil)
	if err != nil {
		return nil, err
	}
	// A metrics file that cannot be opened does not stop the till: its
	// heartbeat goes missing, which is what the alarm is for.
	var out io.WriteCloser = nopCloser{io.Discard}
	if f, err := emf.OpenFile(path); err != nil {
		slog.Error("metrics file: no metrics are written", "path", path, "err", err)
	} else {
		out = f
	}
	rec := emf.New(out, s.StoreID, s.TillID, nil)
	pub.Metrics = rec
	db.SetMetrics(rec)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, run := range []func(){
		func() { rec.Run(ctx, 5*time.Second, time.Minute) },
		func() { pub.Run(ctx) }, // never blocks a sale: the outbox is its only input
		func() { sampleBacklog(ctx, db, s.TillID, rec, 30*time.Second) },
	} {
		wg.Add(1)
		go func() { defer wg.Done(); run() }()
	}
	slog.Info("telemetry", "metrics", path, "events queue", ec.queueURL)
	return &telemetry{metrics: rec, stop: func() {
		cancel()
		wg.Wait()
		if err := errors.Join(rec.Flush(), out.Close()); err != nil {
			slog.Warn("metrics file", "err", err)
		}
	}}, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// sampleBacklog sets the backlog gauges now and every interval: outboxes
// and payments waiting for reconcile, with the age of their oldest entry.
func sampleBacklog(ctx context.Context, db *store.DB, tillID string, m pos.Metrics, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if b, err := db.Backlog(ctx, tillID); err == nil {
			now := time.Now()
			age := func(t time.Time) float64 {
				if t.IsZero() {
					return 0
				}
				return max(now.Sub(t).Seconds(), 0)
			}
			m.Gauge(pos.MetricReceiptBacklog, float64(b.Receipts))
			m.Gauge(pos.MetricReceiptOldest, age(b.ReceiptsOldest))
			m.Gauge(pos.MetricEventBacklog, float64(b.Events.Pending))
			m.Gauge(pos.MetricEventOldest, age(b.Events.Oldest))
			m.Gauge(pos.MetricEventsParked, float64(b.Events.Parked))
			m.Gauge(pos.MetricReconcileWaiting, float64(b.Reconcile))
			m.Gauge(pos.MetricReconcileOldest, age(b.ReconcileOldest))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// countedReceipts counts the receipts that failed to print.
type countedReceipts struct {
	ui.ReceiptSink
	m pos.Metrics
}

func (r countedReceipts) Print(ctx context.Context, sale pos.Sale) error {
	err := r.ReceiptSink.Print(ctx, sale)
	if err != nil {
		r.m.Count(pos.MetricPrintFailures, 1)
	}
	return err
}

// receipts wraps the screen's receipt sink so print failures are counted.
func (t *telemetry) receipts(sink ui.ReceiptSink) ui.ReceiptSink {
	if sink == nil {
		return nil
	}
	return countedReceipts{ReceiptSink: sink, m: t.metrics}
}

// runEvents is `till events schema|drain|prune`.
func runEvents(ctx context.Context, env *environment, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "schema":
		_, err := env.stdout.Write(pos.EventSchema())
		return err
	case "drain":
		return runEventsDrain(ctx, env, args)
	case "prune":
		return runEventsPrune(ctx, env, args)
	}
	fmt.Fprintln(env.stderr, `usage:
  till events schema                    print the JSON Schema of the sale events
  till events drain [--all-tills]       send every pending event now (POS_EVENTS_QUEUE_URL); exit 1 if any is left
  till events prune [--older-than 168h] delete sent and expired events (POS_ADMIN_DSN)`)
	return fmt.Errorf("%w: till events schema, drain or prune", errUsage)
}

func runEventsDrain(ctx context.Context, env *environment, args []string) error {
	fs, cfg := newFlags(env, "events drain")
	allTills := fs.Bool("all-tills", false, "send every till's pending events, not only this till's")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: till events drain takes no arguments", errUsage)
	}
	ec, err := readEventsConfig(env.getenv)
	if err != nil {
		return err
	}
	if ec.queueURL == "" {
		return fmt.Errorf("%w: set POS_EVENTS_QUEUE_URL to send events", errUsage)
	}
	settings, sc, err := cfg.till()
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, sc)
	if err != nil {
		return err
	}
	defer db.Close()
	pub, err := ec.publisher(ctx, db, settings.TillID, nil)
	if err != nil {
		return err
	}
	if *allTills {
		pub.TillID = ""
	}
	rep, err := pub.Drain(ctx)
	fmt.Fprintf(env.stdout, "events: %d sent, %d failed, %d parked, %d left\n", rep.Sent, rep.Failed, rep.Parked, rep.Left)
	return drained(env, rep.Errors, err, rep.Left, "events are still waiting to be sent")
}

func runEventsPrune(ctx context.Context, env *environment, args []string) error {
	fs, cfg := newFlags(env, "events prune")
	older := fs.Duration("older-than", 7*24*time.Hour, "delete sent and expired events created longer ago than this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	admin, err := openAdmin(ctx, cfg)
	if err != nil {
		return err
	}
	defer admin.Close()
	n, err := store.PruneEvents(ctx, admin, time.Now().Add(-*older))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "events: %d pruned\n", n)
	return nil
}

// runMonitoring is `till monitoring template`.
func runMonitoring(ctx context.Context, env *environment, args []string) error {
	if len(args) == 1 && args[0] == "template" {
		_, err := env.stdout.Write(emf.Template())
		return err
	}
	fmt.Fprintln(env.stderr, "usage:\n  till monitoring template   print the CloudFormation template of the till's alarms")
	return fmt.Errorf("%w: till monitoring template", errUsage)
}
