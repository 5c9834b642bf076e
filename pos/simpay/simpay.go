// Package simpay is the simulated card reader of training mode and tests:
// it charges nothing. By default it approves after a short delay; the next
// outcome can be set to a decline, a reader timeout (no charge) or a lost
// answer (charged, but the till never heard), so trainers and tests can
// walk through every path of the sale protocol.
package simpay

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/till-pos/till/pos"
)

// Outcome is what the simulated reader does with the next charge.
type Outcome int

const (
	Approve Outcome = iota
	Decline
	Timeout // the reader never answers: no charge
	Lost    // the charge goes through but the answer is lost
)

func (o Outcome) String() string {
	return [...]string{"approve", "decline", "timeout", "lost answer"}[o]
}

// Gateway is a simulated card reader. Its zero value approves at once.
type Gateway struct {
	Delay time.Duration // how long the "customer" takes to tap

	mu       sync.Mutex
	next     []Outcome
	attempts map[string]pos.ChargeResult // by attempt key
	charges  int
}

var _ pos.PaymentGateway = (*Gateway)(nil)

// Then queues an outcome for a coming charge (first queued, first used).
func (g *Gateway) Then(o Outcome) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.next = append(g.next, o)
}

// Charges is how many charges went through (approved, lost included,
// refunds not subtracted): tests check no attempt was charged twice.
func (g *Gateway) Charges() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.charges
}

// Charge simulates a tap. Repeating an attempt key returns its first result
// and never charges twice, like a real gateway's idempotency key.
func (g *Gateway) Charge(ctx context.Context, req pos.ChargeRequest) (pos.ChargeResult, error) {
	g.mu.Lock()
	if r, ok := g.attempts[req.AttemptKey]; ok {
		g.mu.Unlock()
		return r, nil
	}
	outcome := Approve
	if len(g.next) > 0 {
		outcome, g.next = g.next[0], g.next[1:]
	}
	g.mu.Unlock()

	select {
	case <-ctx.Done():
		// The cashier cancelled before the tap: the reader action is
		// cancelled and nothing is charged.
		return g.record(req, pos.ChargeResult{Status: pos.PaymentCancelled, Provider: "simulated",
			Message: "cancelled at the till"}, false), nil
	case <-time.After(g.Delay):
	}
	switch outcome {
	case Decline:
		return g.record(req, pos.ChargeResult{Status: pos.PaymentDeclined, Provider: "simulated",
			ProviderRef: "sim_" + req.AttemptKey[:8], Message: "insufficient funds (simulated)"}, false), nil
	case Timeout:
		g.record(req, pos.ChargeResult{Status: pos.PaymentFailed, Provider: "simulated",
			Message: "the reader timed out (simulated)"}, false)
		return pos.ChargeResult{}, pos.Errorf(pos.EUnavailable, "the card reader did not answer (simulated)")
	case Lost:
		g.record(req, approved(req), true)
		return pos.ChargeResult{}, pos.Errorf(pos.EUnavailable, "the answer from the card reader was lost (simulated)")
	}
	return g.record(req, approved(req), true), nil
}

func approved(req pos.ChargeRequest) pos.ChargeResult {
	return pos.ChargeResult{Status: pos.PaymentApproved, Provider: "simulated",
		ProviderRef: "sim_" + req.AttemptKey[:8], CardBrand: "visa", CardLast4: "4242",
		AuthCode: fmt.Sprintf("S%05d", len(req.AttemptKey)*1000%99999)}
}

func (g *Gateway) record(req pos.ChargeRequest, r pos.ChargeResult, charged bool) pos.ChargeResult {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.attempts == nil {
		g.attempts = map[string]pos.ChargeResult{}
	}
	g.attempts[req.AttemptKey] = r
	if charged {
		g.charges++
	}
	return r
}

// Lookup tells what became of an attempt; one it never saw was never charged.
func (g *Gateway) Lookup(ctx context.Context, p pos.Payment) (pos.ChargeResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r, ok := g.attempts[p.AttemptKey]; ok {
		return r, nil
	}
	return pos.ChargeResult{Status: pos.PaymentFailed, Provider: "simulated", Message: "never reached the reader"}, nil
}

// Refund gives an approved simulated payment back.
func (g *Gateway) Refund(ctx context.Context, p pos.Payment) (pos.ChargeResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.attempts[p.AttemptKey]
	if !ok || r.Status != pos.PaymentApproved {
		return pos.ChargeResult{}, pos.Errorf(pos.EConflict, "nothing to refund")
	}
	r.Status = pos.PaymentRefunded
	g.attempts[p.AttemptKey] = r
	return r, nil
}
