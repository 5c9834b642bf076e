package receipts_test

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"
	_ "time/tzdata" // the tests' store is in Europe/Berlin whatever the machine's zone

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/simpay"
	"github.com/till-pos/till/receipts"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// fixture is a migrated database with a small catalogue, a cashier and a
// loyalty customer, and a checkout whose clocks are fixed, so receipts made
// through the real sale protocol render the same text every run.
type fixture struct {
	d        *storetest.Database
	db       *store.DB
	co       *pos.Checkout
	gw       *simpay.Gateway
	items    map[string]pos.Item
	cashier  int64
	customer pos.Customer
	svc      *receipts.Service
	loc      *time.Location
	keys     int
	clock    func() time.Time // the store's clock
}

// saleTime is when every fixture sale happens: 14:05 in Berlin.
var saleTime = time.Date(2026, 3, 1, 13, 5, 0, 0, time.UTC)

func newFixture(t testing.TB, currency pos.Currency, training bool) *fixture {
	t.Helper()
	f := &fixture{d: storetest.NewDatabase(t), gw: &simpay.Gateway{}, items: map[string]pos.Item{}}
	catalogue := []pos.Item{
		{Code: "4000000000017", Name: "Sparkling water 1 l", Price: 129, TaxRate: 1900, Active: true},
		{Code: "4000000000024", Name: "Rye bread", Price: 349, TaxRate: 700, Active: true},
		{Code: "4000000000031", Name: "Organic free-range eggs, box of ten, from Hill Farm cooperative", Price: 429, TaxRate: 700, Active: true},
		{Code: "4000000000048", Name: "Red wine, Rioja", Price: 899, TaxRate: 1900, Active: true},
		{Code: "12345", Name: "Bananas", Price: 199, TaxRate: 700, Weighed: true, Active: true},
	}
	for _, it := range catalogue {
		f.items[it.Name] = f.d.AddItem(t, it, 1000000)
	}
	f.cashier = f.d.AddCashier(t, pos.Cashier{Number: "101", Name: "Ann Baker"}, "1234").ID
	f.customer = f.d.AddCustomer(t, pos.Customer{Name: "Bo Lind", LoyaltyCard: "9800000000015", LoyaltyPoints: 120})
	f.clock = func() time.Time { return saleTime }
	f.db = f.d.OpenWithClock(t, func() time.Time { return f.clock() })
	f.co = &pos.Checkout{Sales: f.db, Gateway: f.gw, Now: func() time.Time { return saleTime },
		Settings: pos.Settings{StoreID: "berlin-1", TillID: "till-3", Currency: currency, TaxMode: pos.TaxInclusive,
			PointsPer: 100, Training: training, Scan: pos.DefaultScanRules()}}
	var err error
	if f.loc, err = time.LoadLocation("Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	f.svc = &receipts.Service{Records: f.db, Returns: f.db, Currency: currency, Location: f.loc,
		Store: receipts.Store{Name: "Corner Shop", Address: "Hauptstraße 12 | 10115 Berlin", TaxID: "DE123456789"}}
	return f
}

// line is a basket line: an item by name, a quantity (grams for weighed
// items) and a discount.
type line struct {
	name     string
	qty      int64
	discount pos.Money
}

// basket makes a draft sale with a deterministic key.
func (f *fixture) basket(t testing.TB, customer bool, lines ...line) pos.Sale {
	t.Helper()
	f.keys++
	b := &pos.Basket{Key: fmt.Sprintf("00000000-0000-4000-8000-%012d", f.keys)}
	for i, l := range lines {
		it, ok := f.items[l.name]
		if !ok {
			t.Fatalf("no item %q", l.name)
		}
		scan := pos.Scan{Quantity: l.qty}
		if it.Weighed {
			scan = pos.Scan{Measure: pos.MeasureWeight, Value: l.qty}
		}
		pl, err := pos.NewLine(it, scan)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Add(pl); err != nil {
			t.Fatal(err)
		}
		if l.discount > 0 {
			if err := b.SetDiscount(i, l.discount); err != nil {
				t.Fatal(err)
			}
		}
	}
	if customer {
		c := f.customer
		b.Customer = &c
	}
	s, err := f.co.Draft(b, f.cashier)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// cashSale sells a basket for cash through the protocol.
func (f *fixture) cashSale(t testing.TB, s pos.Sale, tendered pos.Money) pos.Sale {
	t.Helper()
	done, err := f.co.SellCash(context.Background(), s, tendered)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

// splitSale reserves a basket, pays card on part of it and the rest cash.
func (f *fixture) splitSale(t testing.TB, s pos.Sale, card, tendered pos.Money) pos.Sale {
	t.Helper()
	ctx := context.Background()
	s, err := f.co.Reserve(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.co.PayCard(ctx, s, card)
	if err != nil {
		t.Fatal(err)
	}
	s.Payments = append(s.Payments, p)
	done, err := f.co.Complete(ctx, s, tendered)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

func (f *fixture) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.d.Admin.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// needTool finds a program the test runs; under CI=true its absence fails
// the test instead of skipping it.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	storetest.Missing(t, "%s is not installed; .ci/ensure-packages installs poppler-utils", name)
	return ""
}
