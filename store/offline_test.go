package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/journal"
)

// newJournal is a real offline journal in a folder of the test's.
func newJournal(t testing.TB) *journal.Journal {
	t.Helper()
	j, err := journal.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// journalOf is a journal holding sales not forwarded: another till's, or
// this till's after it lost its marks (a crash before they were synced).
func journalOf(t testing.TB, from pos.OfflineJournal) *journal.Journal {
	t.Helper()
	st, err := from.State()
	if err != nil {
		t.Fatal(err)
	}
	j := newJournal(t)
	for _, s := range st.Pending {
		if err := j.Append(s); err != nil {
			t.Fatal(err)
		}
	}
	return j
}

// sellOffline sells lines offline at a time of the test's choosing.
func (f *fixture) sellOffline(t testing.TB, j pos.OfflineJournal, at time.Time, lines ...[2]int) pos.Sale {
	t.Helper()
	co := *f.co
	co.Journal, co.OfflineLimits = j, pos.DefaultOfflineLimits()
	co.Now = func() time.Time { return at }
	draft := f.draft(t, lines...)
	draft.CreatedAt = at.Add(-30 * time.Second) // the basket was started before it was paid
	s, err := co.SellOffline(draft, draft.Totals.Total+1000)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestForwardOfflineSales: two sales made offline two hours ago, one of
// them for more than the store has, are forwarded once with their original
// times; the short one takes the stock to zero and records the shortfall;
// forwarding them again (the journal lost its marks) finds them by key;
// the invariants hold with the shortages counted.
func TestForwardOfflineSales(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 10, 3)
	j := newJournal(t)
	at := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Microsecond)
	a := f.sellOffline(t, j, at, [2]int{0, 2})
	b := f.sellOffline(t, j, at.Add(time.Minute), [2]int{0, 1}, [2]int{1, 5})

	rep, err := pos.ForwardJournal(ctx, j, f.db)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Forwarded != 2 || rep.Already != 0 || rep.Left != 0 || len(rep.Failed) != 0 {
		t.Fatalf("first pass: %+v", rep)
	}
	if len(rep.Short) != 1 || rep.Short[0].Sale.Key != b.Key || len(rep.Short[0].Short) != 1 ||
		rep.Short[0].Short[0] != (pos.Shortage{ItemID: f.items[1].ID, Name: f.items[1].Name, Wanted: 5, Available: 3}) {
		t.Fatalf("shortages: %+v", rep.Short)
	}
	if got := f.stock(t, 0); got != 7 {
		t.Errorf("item 0 stock %d, want 7", got)
	}
	if got := f.stock(t, 1); got != 0 {
		t.Errorf("item 1 stock %d, want 0 (stopped at zero)", got)
	}
	for _, s := range []pos.Sale{a, b} {
		stored, err := f.db.Sale(ctx, s.Key)
		if err != nil {
			t.Fatal(err)
		}
		if !stored.Offline || stored.Status != pos.SaleCompleted || !stored.CreatedAt.Equal(s.CreatedAt) ||
			!stored.CompletedAt.Equal(s.CompletedAt) || stored.Totals.Total != s.Totals.Total || len(stored.Payments) != 1 ||
			!stored.Payments[0].CreatedAt.Equal(s.CompletedAt) {
			t.Errorf("stored %+v\nsold %+v", stored, s)
		}
	}
	f.checkInvariants(t)

	rep, err = pos.ForwardJournal(ctx, journalOf(t, &waiting{a, b}), f.db)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Forwarded != 0 || rep.Already != 2 || len(rep.Short) != 1 {
		t.Fatalf("second pass: %+v", rep)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM transactions`); n != 2 {
		t.Errorf("%d sales after forwarding twice, want 2", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM stock_shortages`); n != 1 {
		t.Errorf("%d shortages, want 1", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM event_outbox`); n != 2 {
		t.Errorf("%d events, want 2", n)
	}
	f.checkInvariants(t)
}

// TestForwardOfflineConcurrently: 16 tills forward the same sale at once
// (one is recorded, the rest find it), and 24 tills forward 5 sales each
// of an item with 3 in stock (all recorded, the stock at zero, every unit
// short of it a shortage), with no deadlock and the invariants holding.
func TestForwardOfflineConcurrently(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 1000, 3)
	at := time.Now().Add(-time.Hour).UTC()
	one := newJournal(t)
	f.sellOffline(t, one, at, [2]int{0, 1})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	var already sync.Map
	for i := range 16 {
		j := journalOf(t, one) // each till's own copy of the same sale
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := pos.ForwardJournal(ctx, j, f.db)
			if err == nil && len(rep.Failed) > 0 {
				err = rep.Failed[0].Err
			}
			if err != nil {
				errs <- fmt.Errorf("till %d: %w", i, err)
			}
			already.Store(i, rep.Already)
		}()
	}
	wg.Wait()
	var found int
	already.Range(func(_, v any) bool { found += v.(int); return true })
	if n := f.count(t, `SELECT COUNT(*) FROM transactions`); n != 1 || found != 15 {
		t.Errorf("one sale forwarded by 16 tills: %d recorded, %d found already (want 1, 15)", n, found)
	}

	for i := range 24 {
		j := newJournal(t)
		for range 5 {
			f.sellOffline(t, j, at, [2]int{1, 1}, [2]int{0, 2})
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := pos.ForwardJournal(ctx, j, f.db)
			if err == nil && len(rep.Failed) > 0 {
				err = rep.Failed[0].Err
			}
			if err == nil && rep.Forwarded != 5 {
				err = fmt.Errorf("report %+v", rep)
			}
			if err != nil {
				errs <- fmt.Errorf("till %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := f.stock(t, 1); got != 0 {
		t.Errorf("item 1 stock %d, want 0", got)
	}
	var short int
	if err := f.d.Admin.QueryRow(`SELECT COALESCE(SUM(wanted - available), 0) FROM stock_shortages`).Scan(&short); err != nil {
		t.Fatal(err)
	}
	if short != 120-3 {
		t.Errorf("%d units short, want %d", short, 120-3)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM offline_sales`); n != 121 {
		t.Errorf("%d offline sales, want 121", n)
	}
	f.checkInvariants(t)
}

// waiting lists sales as a journal's pending ones (journalOf's input).
type waiting []pos.Sale

func (w *waiting) State() (pos.JournalState, error) { return pos.JournalState{Pending: *w}, nil }
func (w *waiting) Append(pos.Sale) error            { return nil }
func (w *waiting) MarkForwarded(string) error       { return nil }
