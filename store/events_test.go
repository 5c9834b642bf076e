package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/simpay"
	"github.com/till-pos/till/store"
)

// TestEventsWrittenWithTheSale: completing (cash or card) and voiding a
// sale write one outbox row each in the sale's transaction; a failed or
// training sale and a repeated call write none.
func TestEventsWrittenWithTheSale(t *testing.T) {
	f := newFixture(t, 20, 20)
	ctx := context.Background()
	events := func() int { return f.count(t, `SELECT COUNT(*) FROM event_outbox`) }

	cash := f.draft(t, [2]int{0, 2})
	cash.CustomerID = f.customer.ID
	sold, err := f.co.SellCash(ctx, cash, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.co.SellCash(ctx, cash, 1000); err != nil { // the same key again
		t.Fatal(err)
	}
	card, err := f.co.Reserve(ctx, f.draft(t, [2]int{1, 1}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.co.PayCard(ctx, card, card.Totals.Total)
	if err != nil {
		t.Fatal(err)
	}
	card.Payments = append(card.Payments, p)
	if _, err := f.co.Complete(ctx, card); err != nil {
		t.Fatal(err)
	}
	if _, err := f.co.Complete(ctx, card); err != nil {
		t.Fatal(err)
	}
	voided, err := f.co.Reserve(ctx, f.draft(t, [2]int{0, 1}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.co.Release(ctx, voided.Key, pos.SaleVoided); err != nil {
		t.Fatal(err)
	}
	failed, err := f.co.Reserve(ctx, f.draft(t, [2]int{0, 1}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.co.Release(ctx, failed.Key, pos.SaleFailed); err != nil {
		t.Fatal(err)
	}
	f.co.Settings.Training = true
	if _, err := f.co.SellCash(ctx, f.draft(t, [2]int{0, 1}), 1000); err != nil {
		t.Fatal(err)
	}
	if got := events(); got != 3 {
		t.Fatalf("outbox rows: got %d, want 3 (cash, card, void)", got)
	}

	claimed, err := f.db.ClaimEvents(ctx, "t1", time.Minute, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != 3 {
		t.Fatalf("claimed %d events, want 3", len(claimed))
	}
	byType := map[pos.EventType]pos.OutboxEvent{}
	for _, c := range claimed {
		if c.Problem != "" {
			t.Errorf("event %s: %s", c.ID, c.Problem)
		}
		byType[c.Type] = c
	}
	e := byType[pos.EventSaleCompleted].Event
	if e.ID != pos.EventID(sold.Key, pos.EventSaleCompleted) && e.ID != pos.EventID(card.Key, pos.EventSaleCompleted) {
		t.Errorf("event id %s is not derived from a sale key", e.ID)
	}
	if v := byType[pos.EventSaleVoided].Event; v.SaleKey != voided.Key || len(v.Tenders) != 0 {
		t.Errorf("void event: got sale %s, %d tenders; want %s, none", v.SaleKey, len(v.Tenders), voided.Key)
	}
	// Claimed events are not due again while leased.
	if again, err := f.db.ClaimEvents(ctx, "t1", time.Minute, 10, false); err != nil || len(again) != 0 {
		t.Errorf("second claim: got %d, %v; want none", len(again), err)
	}
	if err := f.db.EventsSent(ctx, []string{claimed[0].ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.EventsFailed(ctx, []pos.EventFailure{{ID: claimed[1].ID, Reason: "throttled"}},
		func(int) time.Duration { return time.Hour }); err != nil {
		t.Fatal(err)
	}
	if err := f.db.EventsParked(ctx, []pos.EventFailure{{ID: claimed[2].ID, Reason: "malformed"}}); err != nil {
		t.Fatal(err)
	}
	b, err := f.db.EventBacklog(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if b.Pending != 1 || b.Parked != 1 || b.Oldest.IsZero() {
		t.Errorf("backlog: got %+v, want 1 pending with an age, 1 parked", b)
	}
	if got := f.count(t, `SELECT attempts FROM event_outbox WHERE event_id = ?`, claimed[1].ID); got != 1 {
		t.Errorf("attempts after a failure: got %d, want 1", got)
	}
	// Forced (drain): the backing-off event is claimed anyway.
	if forced, err := f.db.ClaimEvents(ctx, "", time.Minute, 10, true); err != nil || len(forced) != 1 {
		t.Errorf("forced claim: got %d, %v; want 1", len(forced), err)
	}
}

// TestEventsExpireWithoutAQueue: with no queue, pending events older than
// the retention are expired by the till and deleted by the admin prune.
func TestEventsExpireWithoutAQueue(t *testing.T) {
	f := newFixture(t, 20)
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	f.clock = func() time.Time { return now }
	if _, err := f.co.SellCash(ctx, f.draft(t, [2]int{0, 1}), 1000); err != nil {
		t.Fatal(err)
	}
	now = now.Add(8 * 24 * time.Hour)
	if _, err := f.co.SellCash(ctx, f.draft(t, [2]int{0, 1}), 1000); err != nil {
		t.Fatal(err)
	}
	n, err := f.db.ExpireEvents(ctx, "t1", now.Add(-7*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v; want 1", n, err)
	}
	if b, _ := f.db.EventBacklog(ctx, "t1"); b.Pending != 1 {
		t.Errorf("pending after expiry: got %d, want 1 (the recent one)", b.Pending)
	}
	deleted, err := store.PruneEvents(ctx, f.d.Admin, now.Add(-7*24*time.Hour))
	if err != nil || deleted != 1 {
		t.Errorf("pruned %d, %v; want 1", deleted, err)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM event_outbox`); got != 1 {
		t.Errorf("rows left: got %d, want 1", got)
	}
}

// TestEventsAsTheTillUser runs the sale's event insert and the publisher's
// outbox methods with exactly the till's grants.
func TestEventsAsTheTillUser(t *testing.T) {
	f := newFixture(t, 100)
	ctx := context.Background()
	db, _ := tillUser(t, f.d)
	co := &pos.Checkout{Sales: db, Gateway: &simpay.Gateway{}, Settings: settings()}
	s := f.draft(t, [2]int{0, 1})
	s.CustomerID = f.customer.ID
	if _, err := co.SellCash(ctx, s, s.Totals.Total); err != nil {
		t.Fatal(err)
	}
	r, err := co.Reserve(ctx, f.draft(t, [2]int{0, 1}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := co.Release(ctx, r.Key, pos.SaleVoided); err != nil {
		t.Fatal(err)
	}
	claimed, err := db.ClaimEvents(ctx, "t1", time.Minute, 10, true)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim as the till user: %d, %v", len(claimed), err)
	}
	steps := []struct {
		name string
		run  func() error
	}{
		{"sent", func() error { return db.EventsSent(ctx, []string{claimed[0].ID}) }},
		{"failed", func() error {
			return db.EventsFailed(ctx, []pos.EventFailure{{ID: claimed[1].ID, Reason: "x"}}, func(int) time.Duration { return 0 })
		}},
		{"parked", func() error { return db.EventsParked(ctx, []pos.EventFailure{{ID: claimed[1].ID, Reason: "x"}}) }},
		{"expire", func() error { _, err := db.ExpireEvents(ctx, "t1", time.Now().Add(-time.Hour)); return err }},
		{"backlog", func() error { _, err := db.EventBacklog(ctx, "t1"); return err }},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			t.Errorf("%s as the till user: %v", st.name, err)
		}
	}
}

// TestBacklog counts what a till has waiting, as the metrics report it.
func TestBacklog(t *testing.T) {
	f := newFixture(t, 20)
	ctx := context.Background()
	if _, err := f.co.SellCash(ctx, f.draft(t, [2]int{0, 1}), 1000); err != nil {
		t.Fatal(err)
	}
	sale, err := f.co.Reserve(ctx, f.draft(t, [2]int{0, 1}))
	if err != nil {
		t.Fatal(err)
	}
	f.gw.Then(simpay.Timeout)
	if p, _ := f.co.PayCard(ctx, sale, sale.Totals.Total); p.Status != pos.PaymentUnknown {
		t.Fatalf("card payment: got %s, want unknown", p.Status)
	}
	b, err := f.db.Backlog(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if b.Receipts != 1 || b.Events.Pending != 1 || b.Reconcile != 1 || b.ReconcileOldest.IsZero() || b.ReceiptsOldest.IsZero() {
		t.Errorf("backlog: got %+v, want 1 receipt, 1 event, 1 payment to reconcile", b)
	}
}

// countingMetrics counts what the store reports.
type countingMetrics struct {
	mu     sync.Mutex
	counts map[string]float64
}

func (m *countingMetrics) Count(name string, n float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts[name] += n
}
func (m *countingMetrics) Duration(string, time.Duration) {}
func (m *countingMetrics) Gauge(string, float64)          {}

// TestStoreCountsRetriesAndUnavailability: with every connection cut and
// none to be had, a sale's transaction retries, gives up, and says so in
// the metrics.
func TestStoreCountsRetriesAndUnavailability(t *testing.T) {
	f := newFixture(t, 10)
	var mu sync.Mutex
	var conns []net.Conn
	down := false
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			conns = append(conns, c)
		}
		return c, err
	}
	db, err := store.Open(context.Background(), store.Config{WriterDSN: f.d.DSN, Dial: dial, RetryFor: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := &countingMetrics{counts: map[string]float64{}}
	db.SetMetrics(m)
	mu.Lock()
	down = true
	for _, c := range conns {
		c.Close()
	}
	mu.Unlock()
	co := &pos.Checkout{Sales: db, Settings: settings()}
	if _, err := co.SellCash(context.Background(), f.draft(t, [2]int{0, 1}), 1000); pos.ErrorCode(err) != pos.EUnavailable {
		t.Fatalf("got %v, want unavailable", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts[pos.MetricDBRetries] < 1 || m.counts[pos.MetricDBUnavailable] != 1 {
		t.Errorf("metrics: got %v, want retries and one unavailable", m.counts)
	}
}

// TestReturnEventClaimed: completing a return writes one return.completed
// row in the return's transaction (a training return none); the publisher
// claims it built from the return, with the id derived from the return's
// key, and the document matches the published schema.
func TestReturnEventClaimed(t *testing.T) {
	f := newFixture(t, 20, 20)
	ctx := context.Background()
	s := f.draft(t, [2]int{0, 3}, [2]int{1, 1})
	s.CustomerID = f.customer.ID
	sale, err := f.co.SellCash(ctx, s, s.Totals.Total)
	if err != nil {
		t.Fatal(err)
	}
	ret := f.cashReturn(t, sale, 2)
	f.co.Settings.Training = true
	practice, err := f.co.SellCash(ctx, f.draft(t, [2]int{0, 1}), 1000)
	if err != nil {
		t.Fatal(err)
	}
	rs := &pos.Returns{Store: f.db, Settings: f.co.Settings}
	tr, err := rs.Begin(ctx, rs.Request(pos.NewKey(), practice.Key, f.cashier,
		[]pos.ReturnLine{{SaleLine: 1, Quantity: 1, Reason: pos.ReasonOther, Restock: true}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Complete(ctx, tr.Key); err != nil {
		t.Fatal(err)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM event_outbox WHERE return_id IS NOT NULL`); got != 1 {
		t.Fatalf("return events in the outbox: got %d, want 1 (none for the training return)", got)
	}

	claimed, err := f.db.ClaimEvents(ctx, "t1", time.Minute, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	var got *pos.OutboxEvent
	for i, c := range claimed {
		if c.Problem != "" {
			t.Errorf("event %s (%s): %s", c.ID, c.Type, c.Problem)
		}
		if c.Type == pos.EventReturnCompleted {
			got = &claimed[i]
		}
	}
	if len(claimed) != 2 || got == nil {
		t.Fatalf("claimed %d events, want the sale's and the return's", len(claimed))
	}
	e := got.Event
	if want := pos.EventID(ret.Key, pos.EventReturnCompleted); got.ID != want || e.ID != want {
		t.Errorf("event id: outbox %s, document %s; want %s", got.ID, e.ID, want)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"key", e.SaleKey, ret.Key},
		{"number", e.SaleNumber, ret.ID},
		{"store", e.StoreID, "s1"},
		{"till", e.TillID, "t1"},
		{"lines", len(e.Lines), 1},
		{"quantity", e.Lines[0].Quantity, int64(2)},
		{"total", e.Totals.Total, ret.Total},
		{"tenders", len(e.Tenders), 1},
		{"cash back", e.Tenders[0].Amount, ret.Refunded()},
		{"customer", e.Customer != nil && e.Customer.ID == f.customer.ID, true},
		{"points", e.Points, ret.PointsReversed},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := eventSchema(t).Validate(doc); err != nil {
		t.Errorf("the return event does not match the schema: %v\n%s", err, b)
	}
	if err := f.db.EventsSent(ctx, []string{got.ID}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM event_outbox WHERE return_id = ? AND status = 'sent'`, ret.ID); n != 1 {
		t.Errorf("the return event is not marked sent")
	}
}

func eventSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(pos.EventSchema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("event.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("event.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}
