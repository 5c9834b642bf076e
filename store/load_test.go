package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
)

// questions reads the server's count of statements this session sent.
func questions(t *testing.T, pool *sql.DB) int {
	t.Helper()
	var name string
	var n int
	if err := pool.QueryRow(`SHOW SESSION STATUS LIKE 'Questions'`).Scan(&name, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRoundTripsAreConstant counts, on the server, the statements one sale
// sends over a single connection: the same for 1, 10 and 100 lines.
func TestRoundTripsAreConstant(t *testing.T) {
	stocks := make([]int64, 100)
	for i := range stocks {
		stocks[i] = 1000
	}
	f := newFixture(t, stocks...)
	mc, err := store.DriverConfig(f.d.DSN, store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pool, err := sql.Open("mysql", mc.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pool.SetMaxOpenConns(1) // one session, so its counter sees every statement
	co := &pos.Checkout{Sales: store.New(pool, nil), Gateway: f.gw, Settings: settings()}
	ctx := context.Background()

	flows := []struct {
		name string
		run  func(pos.Sale) error
	}{
		{"cash sale (one transaction)", func(s pos.Sale) error {
			_, err := co.SellCash(ctx, s, s.Totals.Total)
			return err
		}},
		{"reserve", func(s pos.Sale) error {
			_, err := co.Reserve(ctx, s)
			return err
		}},
	}
	for _, flow := range flows {
		var counts []int
		for _, n := range []int{1, 10, 100} {
			lines := make([][2]int, n)
			for i := range lines {
				lines[i] = [2]int{i, 1}
			}
			sale := f.draft(t, lines...)
			before := questions(t, pool)
			if err := flow.run(sale); err != nil {
				t.Fatal(err)
			}
			counts = append(counts, questions(t, pool)-before-1) // less the SHOW itself
		}
		t.Logf("%s: round trips at 1/10/100 lines: %v", flow.name, counts)
		if counts[0] != counts[1] || counts[1] != counts[2] {
			t.Errorf("%s: got %v round trips for 1/10/100 lines, want the same for all", flow.name, counts)
		}
		if counts[0] > 8 {
			t.Errorf("%s: got %d round trips, want at most 8", flow.name, counts[0])
		}
	}
	f.checkInvariants(t)
}

// TestConcurrentCheckoutsNeverOversell runs 64 tills at once over three hot
// items with little stock, mixing cash sales, card sales, declines and
// voids, then checks the invariants exactly.
func TestConcurrentCheckoutsNeverOversell(t *testing.T) {
	const tills, salesPerTill = 64, 6
	f := newFixture(t, 150, 100, 200, 1000)
	f.gw.Delay = 0
	ctx := context.Background()
	var completed, outOfStock, voided, failed atomic.Int64
	var wg sync.WaitGroup
	for till := range tills {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(till), 7))
			co := &pos.Checkout{Sales: f.db, Gateway: f.gw, Settings: settings()}
			co.Settings.TillID = fmt.Sprintf("t%d", till)
			for range salesPerTill {
				var lines [][2]int
				for range 1 + rng.IntN(4) {
					lines = append(lines, [2]int{rng.IntN(4), 1 + rng.IntN(3)})
				}
				sale := f.draft(t, lines...)
				var err error
				switch rng.IntN(4) {
				case 0, 1: // cash, one transaction
					_, err = co.SellCash(ctx, sale, sale.Totals.Total)
				case 2: // card, the full protocol
					if sale, err = co.Reserve(ctx, sale); err == nil {
						var p pos.Payment
						if p, err = co.PayCard(ctx, sale, sale.Totals.Total); err == nil {
							sale.Payments = append(sale.Payments, p)
							_, err = co.Complete(ctx, sale)
						}
					}
				case 3: // reserved, then the customer walks away
					if sale, err = co.Reserve(ctx, sale); err == nil {
						if _, err = co.Release(ctx, sale.Key, pos.SaleVoided); err == nil {
							voided.Add(1)
							continue
						}
					}
				}
				switch pos.ErrorCode(err) {
				case "":
					completed.Add(1)
				case pos.EOutOfStock:
					outOfStock.Add(1)
				default:
					failed.Add(1)
					t.Errorf("till %d: %v", till, err)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d sales tried: %d completed, %d out of stock, %d voided, %d failed",
		tills*salesPerTill, completed.Load(), outOfStock.Load(), voided.Load(), failed.Load())
	if outOfStock.Load() == 0 {
		t.Error("no sale ran out of stock: the test did not press on the stock limit")
	}
	for i := range 3 {
		if s := f.stock(t, i); s < 0 {
			t.Errorf("item %d: stock %d", i, s)
		}
	}
	t.Logf("final stock of the hot items: %d, %d, %d", f.stock(t, 0), f.stock(t, 1), f.stock(t, 2))
	f.checkInvariants(t)
}
