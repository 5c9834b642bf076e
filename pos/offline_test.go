package pos

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// journalMem is an OfflineJournal in memory; fail makes Append fail.
type journalMem struct {
	mu        sync.Mutex
	sales     []Sale
	forwarded map[string]bool
	fail      error
}

func (j *journalMem) Append(s Sale) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		return j.fail
	}
	for _, o := range j.sales {
		if o.Key == s.Key {
			return Errorf(EConflict, "key %s is in the journal", s.Key)
		}
	}
	j.sales = append(j.sales, s)
	return nil
}

func (j *journalMem) MarkForwarded(key string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.forwarded == nil {
		j.forwarded = map[string]bool{}
	}
	j.forwarded[key] = true
	return nil
}

func (j *journalMem) State() (JournalState, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var st JournalState
	for _, s := range j.sales {
		if j.forwarded[s.Key] {
			st.Forwarded++
		} else {
			st.Pending = append(st.Pending, s)
		}
	}
	return st, nil
}

func TestSellOfflineLimits(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	waiting := func(n int, total Money, at time.Time) []Sale {
		var out []Sale
		for range n {
			out = append(out, Sale{Key: NewKey(), Totals: Totals{Total: total}, CreatedAt: at})
		}
		return out
	}
	limits := OfflineLimits{MaxSales: 3, MaxValue: 10000, MaxAge: 24 * time.Hour}
	for _, tt := range []struct {
		name     string
		limits   OfflineLimits
		pending  []Sale
		pricesAt time.Time
		tendered []Money
		fail     error
		want     string // "" for a sale kept, else part of the error
	}{
		{"first sale", limits, nil, now.Add(-time.Hour), []Money{2000}, nil, ""},
		{"two waiting", limits, waiting(2, 100, now.Add(-time.Hour)), now, []Money{2000}, nil, ""},
		{"count reached", limits, waiting(3, 100, now), now, []Money{2000}, nil, "3 sales wait"},
		{"value passed", limits, waiting(2, 4500, now), now, []Money{2000}, nil, "would pass"},
		{"oldest too old", limits, waiting(1, 100, now.Add(-25*time.Hour)), now, []Money{2000}, nil, "offline for too long"},
		{"prices too old", limits, nil, now.Add(-25 * time.Hour), []Money{2000}, nil, "prices on this till"},
		{"no limits", OfflineLimits{}, waiting(50, 9000, now.Add(-100*time.Hour)), now.Add(-100 * time.Hour), []Money{2000}, nil, ""},
		{"no cash", limits, nil, now, nil, nil, "only cash"},
		{"too little cash", limits, nil, now, []Money{100}, nil, "more is needed"},
		{"disk full", limits, nil, now, []Money{2000}, Errorf(EUnavailable, "the till's disk is full"), "disk is full"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j := &journalMem{sales: tt.pending, fail: tt.fail}
			co := &Checkout{Settings: Settings{StoreID: "s1", TillID: "t1", Currency: EUR(), CashRounding: 5},
				Journal: j, OfflineLimits: tt.limits, Now: func() time.Time { return now },
				PricesAt: func() time.Time { return tt.pricesAt }}
			b := &Basket{Key: NewKey()}
			if err := b.Add(Line{ItemID: 1, Name: "tea", Quantity: 1, UnitPrice: 1347, TaxRate: 700}); err != nil {
				t.Fatal(err)
			}
			draft, err := co.Draft(b, 7)
			if err != nil {
				t.Fatal(err)
			}
			sold, err := co.SellOffline(draft, tt.tendered...)
			if tt.want != "" {
				if err == nil || !strings.Contains(ErrorMessage(err), tt.want) {
					t.Fatalf("got %v, want an error saying %q", err, tt.want)
				}
				if len(j.sales) != len(tt.pending) {
					t.Errorf("the journal holds %d sales, want %d: a refused sale was kept", len(j.sales), len(tt.pending))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !sold.Offline || sold.Status != SaleCompleted || !sold.CompletedAt.Equal(now) ||
				sold.CashRounding != -2 || sold.Change() != 2000-1345 {
				t.Errorf("sold %+v", sold)
			}
			if last := j.sales[len(j.sales)-1]; last.Key != draft.Key || !last.Offline {
				t.Errorf("the journal's last sale is %+v", last)
			}
		})
	}
}

// TestSaleInProgressGoesOffline: a cash sale whose SellCash finds the
// database down is sold offline instead; the journal holds it once, a
// timer's retry does not run it again, and a late answer of the SellCash
// is not taken. A sale with a reservation cannot go offline.
func TestSaleInProgressGoesOffline(t *testing.T) {
	r := newProgressRig(t)
	j := &journalMem{}
	r.co.Journal, r.co.OfflineLimits = j, DefaultOfflineLimits()
	r.db.down = 10
	st, err := r.s.TakeCash(2000)
	if err != nil {
		t.Fatal(err)
	}
	sellCash := st
	if next := r.s.Apply(st.Run(context.Background())); !next.Retry {
		t.Fatalf("got %s, want a retry", next.Kind)
	}
	off, err := r.s.SellOffline()
	if err != nil {
		t.Fatal(err)
	}
	if p := r.s.Pending(); p.Kind != StepNone {
		t.Errorf("pending %s while selling offline, want none (a timer must not run it again)", p.Kind)
	}
	r.db.down = 0
	late := sellCash.Run(context.Background()) // the SellCash answers after all
	if next := r.s.Apply(late); next.Kind != StepNone || r.s.Stage() != StageSelling {
		t.Fatalf("a late SellCash answer was taken: %s at %s", next.Kind, r.s.Stage())
	}
	r.run(off, nil)
	if r.s.Stage() != StageCompleted || !r.s.Completed().Offline || len(j.sales) != 1 {
		t.Fatalf("stage %s, offline %v, %d in the journal", r.s.Stage(), r.s.Completed().Offline, len(j.sales))
	}
	if _, err := r.s.SellOffline(); err == nil {
		t.Error("a completed sale went offline again")
	}

	// The journal fails: the sale waits to be recorded online again.
	r = newProgressRig(t)
	r.co.Journal, r.co.OfflineLimits = &journalMem{fail: errors.New("disk full")}, DefaultOfflineLimits()
	r.db.down = 1
	st, _ = r.s.TakeCash(2000)
	r.s.Apply(st.Run(context.Background()))
	off, _ = r.s.SellOffline()
	r.s.Apply(off.Run(context.Background()))
	if p := r.s.Pending(); r.s.Stage() != StageSelling || p.Kind != StepSell {
		t.Fatalf("after the journal failed: %s pending %s, want selling, sell", r.s.Stage(), p.Kind)
	}
	r.run(r.s.Pending(), nil)
	if r.s.Stage() != StageCompleted || r.s.Completed().Offline {
		t.Errorf("recorded online: stage %s offline %v", r.s.Stage(), r.s.Completed().Offline)
	}

	// A card sale reserved its stock: it cannot go offline.
	r = newProgressRig(t)
	r.co.Journal = &journalMem{}
	r.gw.next = []PaymentStatus{PaymentApproved}
	r.db.down = 2
	st, err = r.s.PayCard(500)
	if err != nil {
		t.Fatal(err)
	}
	r.s.Apply(st.Run(context.Background()))
	if _, err := r.s.SellOffline(); ErrorCode(err) != EConflict {
		t.Errorf("a reserved sale: got %v, want a refusal", err)
	}
}

// offlineSink is an OfflineSales whose answers the test scripts by key.
type offlineSink struct {
	got  []string
	errs map[string]error
}

func (s *offlineSink) ForwardOffline(ctx context.Context, sale Sale) (ForwardResult, error) {
	if err := s.errs[sale.Key]; err != nil {
		return ForwardResult{}, err
	}
	s.got = append(s.got, sale.Key)
	return ForwardResult{Sale: sale, Already: len(s.got) == 1}, nil
}

// TestForwardJournal: a refused sale is reported and skipped (it stays in
// the journal), an unreachable database stops the pass, and what was
// recorded is marked.
func TestForwardJournal(t *testing.T) {
	j := &journalMem{}
	var keys []string
	for range 4 {
		k := NewKey()
		keys = append(keys, k)
		j.sales = append(j.sales, Sale{Key: k})
	}
	sink := &offlineSink{errs: map[string]error{
		keys[1]: Errorf(EInvalid, "an unknown item"),
		keys[3]: Errorf(EUnavailable, "the database went away"),
	}}
	rep, err := ForwardJournal(context.Background(), j, sink)
	if ErrorCode(err) != EUnavailable {
		t.Fatalf("got %v, want the database's EUnavailable", err)
	}
	if rep.Already != 1 || rep.Forwarded != 1 || len(rep.Failed) != 1 || rep.Failed[0].Key != keys[1] || rep.Left != 2 {
		t.Errorf("report %+v", rep)
	}
	st, _ := j.State()
	if st.Forwarded != 2 || len(st.Pending) != 2 || st.Pending[0].Key != keys[1] || st.Pending[1].Key != keys[3] {
		t.Errorf("journal after the pass: %+v", st)
	}
}
