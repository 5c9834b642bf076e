package pos

import "time"

// The till's metrics, as CloudWatch names them. Dimensions are the store
// and the till. Alarms (`till monitoring template`) refer to these names.
const (
	MetricSales           = "Sales"           // completed sales (cash sale or complete)
	MetricSaleErrors      = "SaleErrors"      // a reserve, complete or cash sale that failed
	MetricReserveLatency  = "ReserveLatency"  // ms
	MetricCompleteLatency = "CompleteLatency" // ms
	MetricCashSaleLatency = "CashSaleLatency" // ms

	MetricDBRetries     = "DatabaseRetries"     // transactions run again (deadlock, lost connection, failover)
	MetricDBUnavailable = "DatabaseUnavailable" // calls that gave up: the database did not answer

	MetricCardApproved = "CardApprovals"
	MetricCardDeclined = "CardDeclines"
	MetricCardUnknown  = "CardUnknownOutcomes" // no answer: reconcile asks the gateway later

	MetricReconcileWaiting = "PaymentsAwaitingReconcile"          // pending or unknown card payments
	MetricReconcileOldest  = "PaymentsAwaitingReconcileOldestAge" // s
	MetricReceiptBacklog   = "ReceiptOutboxBacklog"
	MetricReceiptOldest    = "ReceiptOutboxOldestAge" // s
	MetricEventBacklog     = "EventOutboxBacklog"
	MetricEventOldest      = "EventOutboxOldestAge" // s
	MetricEventsParked     = "EventOutboxParked"
	MetricEventsSent       = "EventsSent"
	MetricEventSendErrors  = "EventSendFailures"
	MetricPrintFailures    = "PrintFailures"
	MetricHeartbeat        = "Heartbeat"           // 1 a minute while the till runs
	MetricOfflineSales     = "OfflineSales"        // sales written to the offline journal
	MetricOfflineWaiting   = "OfflineSalesWaiting" // offline sales not yet forwarded
)

// MetricUnit is the CloudWatch unit of a metric: "Milliseconds" for the
// latencies, "Seconds" for ages, "Count" for the rest.
func MetricUnit(name string) string {
	switch name {
	case MetricReserveLatency, MetricCompleteLatency, MetricCashSaleLatency:
		return "Milliseconds"
	case MetricReconcileOldest, MetricReceiptOldest, MetricEventOldest:
		return "Seconds"
	}
	return "Count"
}

// MetricNames lists every metric the till writes.
func MetricNames() []string {
	return []string{MetricSales, MetricSaleErrors, MetricReserveLatency, MetricCompleteLatency,
		MetricCashSaleLatency, MetricDBRetries, MetricDBUnavailable, MetricCardApproved,
		MetricCardDeclined, MetricCardUnknown, MetricReconcileWaiting, MetricReconcileOldest,
		MetricReceiptBacklog, MetricReceiptOldest, MetricEventBacklog, MetricEventOldest,
		MetricEventsParked, MetricEventsSent, MetricEventSendErrors, MetricPrintFailures, MetricHeartbeat,
		MetricOfflineSales, MetricOfflineWaiting}
}

// step runs one step of the sale protocol and measures it: its latency,
// and a completed sale or a failure. Nil Metrics measures nothing.
func (c *Checkout) step(latency string, sale func() (Sale, error)) (Sale, error) {
	if c.Metrics == nil {
		return sale()
	}
	start := time.Now()
	s, err := sale()
	c.Metrics.Duration(latency, time.Since(start))
	switch {
	case err != nil:
		c.Metrics.Count(MetricSaleErrors, 1)
	case latency != MetricReserveLatency && s.Status == SaleCompleted:
		c.Metrics.Count(MetricSales, 1)
	}
	return s, err
}

// count adds n to a counter (nil Metrics: none kept).
func (c *Checkout) count(name string, n float64) {
	if c.Metrics != nil {
		c.Metrics.Count(name, n)
	}
}

// cardOutcome counts a card payment's outcome.
func (c *Checkout) cardOutcome(s PaymentStatus) {
	if c.Metrics == nil {
		return
	}
	switch s {
	case PaymentApproved:
		c.Metrics.Count(MetricCardApproved, 1)
	case PaymentDeclined:
		c.Metrics.Count(MetricCardDeclined, 1)
	case PaymentUnknown:
		c.Metrics.Count(MetricCardUnknown, 1)
	}
}
