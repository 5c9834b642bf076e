package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/emf"
	"github.com/till-pos/till/pos/sqs/sqstest"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

func TestEventsSchemaAndMonitoringTemplate(t *testing.T) {
	out, errs, code := runTill(t, nil, "events", "schema")
	if code != 0 || !bytes.Equal([]byte(out), pos.EventSchema()) || !json.Valid([]byte(out)) {
		t.Errorf("events schema: exit %d, %q; want the embedded JSON Schema", code, errs)
	}
	out, errs, code = runTill(t, nil, "monitoring", "template")
	if code != 0 || out != string(emf.Template()) || !strings.Contains(out, "AWS::CloudWatch::Alarm") {
		t.Errorf("monitoring template: exit %d, %q", code, errs)
	}
	if _, _, code := runTill(t, nil, "events", "drain"); code != 2 {
		t.Errorf("events drain without a queue: exit %d, want 2", code)
	}
}

// eventsStore is a seeded database with one cash sale and the environment
// `till events` reads, with the SDK pointed at a test queue.
func eventsStore(t *testing.T) (*storetest.Database, *sqstest.Server, map[string]string) {
	t.Helper()
	d := storetest.NewDatabase(t)
	q := sqstest.New(t, "events.fifo")
	env := map[string]string{"POS_ADMIN_DSN": d.DSN, "POS_DSN": d.DSN, "POS_STORE_ID": "s1", "POS_TILL_ID": "t1",
		"POS_EVENTS_QUEUE_URL": q.QueueURL, "POS_EVENTS_ENDPOINT": q.URL}
	s3Env(t, env, "") // made-up credentials and region, no real AWS configuration
	if _, errs, code := runTill(t, env, "seed"); code != 0 {
		t.Fatalf("seed: %s", errs)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{WriterDSN: d.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cashier, err := db.SignIn(ctx, "s1", "t1", "101", "1111")
	if err != nil {
		t.Fatal(err)
	}
	items, err := db.Items(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	co := &pos.Checkout{Sales: db, Settings: pos.Settings{StoreID: "s1", TillID: "t1", Currency: pos.EUR(),
		PointsPer: 100, Scan: pos.DefaultScanRules()}}
	for _, it := range items {
		if it.Weighed || !it.Active || it.Code[0] == '2' {
			continue
		}
		l, err := pos.NewLine(it, pos.Scan{Quantity: 1})
		if err != nil {
			t.Fatal(err)
		}
		s, err := co.Draft(&pos.Basket{Key: pos.NewKey(), Lines: []pos.Line{l}}, cashier.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := co.SellCash(ctx, s, s.Totals.Total); err != nil {
			t.Fatal(err)
		}
		break
	}
	return d, q, env
}

func TestEventsDrainAndPrune(t *testing.T) {
	d, q, env := eventsStore(t)
	out, errs, code := runTill(t, env, "events", "drain")
	if code != 0 || !strings.Contains(out, "1 sent") || !strings.Contains(out, "0 left") {
		t.Fatalf("events drain: exit %d, %q %q", code, out, errs)
	}
	msgs := q.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	var e pos.Event
	if err := json.Unmarshal([]byte(msgs[0].Body), &e); err != nil || e.Validate() != nil || msgs[0].GroupID != "s1" {
		t.Errorf("message: %v %v group %s\n%s", err, e.Validate(), msgs[0].GroupID, msgs[0].Body)
	}
	if testing.Verbose() {
		t.Logf("published: %s", msgs[0].Body)
	}
	out, errs, code = runTill(t, env, "events", "prune", "--older-than", "0s")
	if code != 0 || !strings.Contains(out, "1 pruned") {
		t.Errorf("events prune: exit %d, %q %q", code, out, errs)
	}
	var left int
	d.Admin.QueryRow(`SELECT COUNT(*) FROM event_outbox`).Scan(&left)
	if left != 0 {
		t.Errorf("%d outbox rows left after prune", left)
	}
}

// TestTelemetryWritesMetricsAndPublishes runs the screen's telemetry
// without the screen: the publisher sends the pending event, the metrics
// file gets a heartbeat and the backlog gauges, and stop flushes.
func TestTelemetryWritesMetricsAndPublishes(t *testing.T) {
	d, q, env := eventsStore(t)
	path := filepath.Join(t.TempDir(), "state", "metrics.jsonl")
	env["POS_METRICS_FILE"] = path
	db, err := store.Open(context.Background(), store.Config{WriterDSN: d.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := &environment{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(k string) string { return env[k] }}
	tel, err := startTelemetry(context.Background(), e, db, pos.Settings{StoreID: "s1", TillID: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(q.Messages()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	tel.stop()
	if len(q.Messages()) != 1 {
		t.Errorf("published %d events, want 1", len(q.Messages()))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{`"Heartbeat":1`, `"EventOutboxBacklog":`, `"PaymentsAwaitingReconcile":0`,
		`"EventsSent":1`, `"StoreId":"s1"`, `"TillId":"t1"`} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics file lacks %s:\n%s", want, text)
		}
	}
	if testing.Verbose() {
		t.Logf("EMF: %s", strings.SplitN(text, "\n", 2)[0])
	}
}
