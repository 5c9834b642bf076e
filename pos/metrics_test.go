package pos

import (
	"context"
	"testing"
	"time"
)

// countingMetrics keeps what it is given.
type countingMetrics struct {
	counts    map[string]float64
	durations map[string]int
}

func (m *countingMetrics) Count(name string, n float64)          { m.counts[name] += n }
func (m *countingMetrics) Duration(name string, _ time.Duration) { m.durations[name]++ }
func (m *countingMetrics) Gauge(string, float64)                 {}

// stepStore answers the protocol's writes; the rest of SaleStore is nil.
type stepStore struct {
	SaleStore
	err error
}

func (s stepStore) Reserve(_ context.Context, sale Sale) (Sale, error) {
	sale.Status = SalePending
	return sale, s.err
}

func (s stepStore) SellCash(_ context.Context, sale Sale) (Sale, error) { return sale, s.err }

func TestCheckoutMeasuresSteps(t *testing.T) {
	m := &countingMetrics{counts: map[string]float64{}, durations: map[string]int{}}
	c := &Checkout{Sales: stepStore{}, Settings: Settings{StoreID: "s1", TillID: "t1", Currency: EUR()}, Metrics: m}
	b := &Basket{Key: NewKey()}
	line, err := NewLine(Item{ID: 1, Code: "1", Name: "x", Price: 100, Active: true}, Scan{Quantity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(line); err != nil {
		t.Fatal(err)
	}
	sale, err := c.Draft(b, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Reserve(context.Background(), sale); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SellCash(context.Background(), sale, 100); err != nil {
		t.Fatal(err)
	}
	c.Sales = stepStore{err: Errorf(EUnavailable, "down")}
	c.SellCash(context.Background(), sale, 100)
	if m.counts[MetricSales] != 1 || m.counts[MetricSaleErrors] != 1 {
		t.Errorf("counts: got %v, want 1 sale and 1 error", m.counts)
	}
	if m.durations[MetricReserveLatency] != 1 || m.durations[MetricCashSaleLatency] != 2 {
		t.Errorf("latencies: got %v, want 1 reserve, 2 cash sales", m.durations)
	}
	c.cardOutcome(PaymentDeclined)
	c.cardOutcome(PaymentUnknown)
	if m.counts[MetricCardDeclined] != 1 || m.counts[MetricCardUnknown] != 1 {
		t.Errorf("card outcomes: got %v", m.counts)
	}
	(&Checkout{}).cardOutcome(PaymentApproved) // nil Metrics: nothing happens
}
