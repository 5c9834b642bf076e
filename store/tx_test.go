package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
)

// TestOneClockPerTransaction: every time a transaction writes is the one
// reading of the store's clock taken when it began, though the clock here
// ticks a second at every reading.
func TestOneClockPerTransaction(t *testing.T) {
	f := newFixture(t, 100, 100)
	ctx := context.Background()
	var mu sync.Mutex
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.clock = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second)
		return clock
	}
	s := f.draft(t, [2]int{0, 1}, [2]int{1, 2})
	s.CustomerID = f.customer.ID
	done, err := f.co.SellCash(ctx, s, s.Totals.Total+500)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != pos.SaleCompleted {
		t.Fatalf("got status %s, want completed", done.Status)
	}
	var stamps []time.Time
	for _, q := range []string{
		`SELECT completed_at FROM transactions WHERE transaction_id = ?`,
		`SELECT updated_at FROM transactions WHERE transaction_id = ?`,
		`SELECT created_at FROM payments WHERE transaction_id = ?`,
		`SELECT updated_at FROM payments WHERE transaction_id = ?`,
		`SELECT created_at FROM receipt_outbox WHERE transaction_id = ?`,
		`SELECT next_attempt_at FROM receipt_outbox WHERE transaction_id = ?`,
	} {
		var at time.Time
		if err := f.d.Admin.QueryRowContext(ctx, q, done.ID).Scan(&at); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		stamps = append(stamps, at)
		if !at.Equal(stamps[0]) {
			t.Errorf("%s: got %s, want %s like the sale's completed_at", q, at, stamps[0])
		}
	}
	if !done.CompletedAt.Equal(stamps[0]) {
		t.Errorf("the sale's CompletedAt: got %s, want %s", done.CompletedAt, stamps[0])
	}
}
