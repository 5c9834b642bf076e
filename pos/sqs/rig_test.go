package sqs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/sqs/sqstest"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// rig is a migrated database with items, customers and a cashier, a
// checkout on it, and a test FIFO queue.
type rig struct {
	d         *storetest.Database
	db        *store.DB
	co        *pos.Checkout
	q         *sqstest.Server
	items     []pos.Item
	customers []pos.Customer
	cashier   int64
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{d: storetest.NewDatabase(t), q: sqstest.New(t, "store-events.fifo")}
	for i := range 4 {
		it := pos.Item{Code: fmt.Sprintf("CODE%03d", i), Name: fmt.Sprintf("Item %d", i),
			Price: pos.Money(150*(i+1) + 49), TaxRate: []int{700, 1900}[i%2], Active: true}
		r.items = append(r.items, r.d.AddItem(t, it, 1_000_000))
	}
	for i := range 5 {
		r.customers = append(r.customers, r.d.AddCustomer(t, pos.Customer{Name: fmt.Sprintf("Customer %d", i),
			LoyaltyCard: fmt.Sprintf("98000000%05d", i)}))
	}
	r.cashier = r.d.AddCashier(t, pos.Cashier{Number: "101", Name: "Ann"}, "1234").ID
	r.db = r.d.Open(t)
	r.co = &pos.Checkout{Sales: r.db, Settings: pos.Settings{StoreID: "s1", TillID: "t1", Currency: pos.EUR(),
		TaxMode: pos.TaxInclusive, PointsPer: 100, Scan: pos.DefaultScanRules()}}
	return r
}

// sell makes a cash sale of one to three random lines, for a loyalty
// customer two times in three, and returns its key.
func (r *rig) sell(t testing.TB, rng *rand.Rand) string {
	t.Helper()
	b := &pos.Basket{Key: pos.NewKey()}
	for range 1 + rng.IntN(3) {
		line, err := pos.NewLine(r.items[rng.IntN(len(r.items))], pos.Scan{Quantity: int64(1 + rng.IntN(4))})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Add(line); err != nil {
			t.Fatal(err)
		}
	}
	if rng.IntN(3) > 0 {
		c := r.customers[rng.IntN(len(r.customers))]
		b.Customer = &c
	}
	s, err := r.co.Draft(b, r.cashier)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.co.SellCash(ctx, s, s.Totals.Total+1000); err != nil {
		t.Fatal(err)
	}
	return s.Key
}

// client is the real SDK client talking to endpoint (the queue, or a
// proxy in front of it).
func client(endpoint string) *awssqs.Client {
	return awssqs.New(awssqs.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   &http.Client{Timeout: 10 * time.Second},
	})
}

// rewards is the reference consumer: it applies each event id once and
// keeps the points each customer earned.
type rewards struct {
	seen       map[string]bool
	points     map[int64]int64
	duplicates int
}

func consume(t testing.TB, msgs []sqstest.Message) *rewards {
	t.Helper()
	r := &rewards{seen: map[string]bool{}, points: map[int64]int64{}}
	for _, m := range msgs {
		var e pos.Event
		if err := json.Unmarshal([]byte(m.Body), &e); err != nil {
			t.Fatalf("message %s: %v", m.MessageID, err)
		}
		if m.DedupID != e.ID || m.GroupID != e.StoreID {
			t.Errorf("message %s: dedup %s group %s, want the event id %s and store %s", m.MessageID, m.DedupID, m.GroupID, e.ID, e.StoreID)
		}
		if r.seen[e.ID] {
			r.duplicates++
			continue
		}
		r.seen[e.ID] = true
		if e.Type == pos.EventSaleCompleted && e.Customer != nil {
			r.points[e.Customer.ID] += e.Points
		}
	}
	return r
}

// checkRewards compares the consumer's totals with the database's.
func (r *rig) checkRewards(t testing.TB, rw *rewards) {
	t.Helper()
	rows, err := r.d.Admin.Query(`SELECT customer_id, loyalty_points FROM customers`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, pts int64
		if err := rows.Scan(&id, &pts); err != nil {
			t.Fatal(err)
		}
		if rw.points[id] != pts {
			t.Errorf("customer %d: the consumer has %d points, the database %d", id, rw.points[id], pts)
		}
	}
}

// outboxIDs lists the event ids in the outbox by status.
func (r *rig) outboxIDs(t testing.TB, status string) map[string]bool {
	t.Helper()
	rows, err := r.d.Admin.Query(`SELECT event_id FROM event_outbox WHERE status = ?`, status)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	return ids
}
