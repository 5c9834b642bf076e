// Package simpay is the simulated card reader of training mode and tests:
// it charges and refunds nothing for real. By default it approves after a
// short delay; the next outcome can be set to a decline, a reader timeout
// (no charge) or a lost answer (charged, but the till never heard), so
// trainers and tests can walk through every path of the sale and return
// protocols.
package simpay

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/till-pos/till/pos"
)

// Outcome is what the simulated reader does with the next charge or card
// refund (RefundCard).
//
// For a refund, which needs no card: Approve refunds; Decline fails
// (nothing refunded, as a closed card would); Timeout and Lost refund, but
// the answer is lost (an unknown outcome that FindRefund then finds: the
// refund was made); InPersonOnly fails as a payment that can only be
// refunded with the card on the reader does.
type Outcome int

const (
	Approve Outcome = iota
	Decline
	Timeout // the reader never answers: no charge
	Lost    // the charge goes through but the answer is lost
	// InPersonOnly approves a charge paid with a card that can only be
	// refunded with the card on the reader (like Interac debit): every card
	// refund of it fails.
	InPersonOnly
)

func (o Outcome) String() string {
	return [...]string{"approve", "decline", "timeout", "lost answer", "in-person refunds only"}[o]
}

// Provider is the name recorded with every simulated payment and refund.
const Provider = "simulated"

// inPersonOnly is what the cashier reads when a refund needs the card.
const inPersonOnly = "this card can only be refunded with the card on the reader: refund in cash with a manager (simulated)"

// Gateway is a simulated card reader. Its zero value approves at once.
type Gateway struct {
	Delay time.Duration // how long the "customer" takes to tap

	mu       sync.Mutex
	next     []Outcome
	attempts map[string]pos.ChargeResult // by attempt key
	paid     map[string]payment          // approved charges, by attempt key
	refunds  map[string]pos.ChargeResult // card refunds, by refund attempt key
	charges  int
	refunded int
}

// payment is what the reader remembers of an approved charge.
type payment struct {
	amount, refunded pos.Money
	inPersonOnly     bool
}

var (
	_ pos.PaymentGateway = (*Gateway)(nil)
	_ pos.CardRefunder   = (*Gateway)(nil)
)

// Then queues an outcome for a coming charge or card refund (first queued,
// first used): the trainer's keys steer whichever comes next.
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

// Refunds is how many card refunds went through (lost answers included):
// tests check no attempt was refunded twice.
func (g *Gateway) Refunds() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refunded
}

func (g *Gateway) nextOutcome() Outcome {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.popOutcome()
}

// popOutcome takes the next queued outcome; g.mu is held.
func (g *Gateway) popOutcome() Outcome {
	o := Approve
	if len(g.next) > 0 {
		o, g.next = g.next[0], g.next[1:]
	}
	return o
}

// Charge simulates a tap. Repeating an attempt key returns its first result
// and never charges twice, like a real gateway's idempotency key.
func (g *Gateway) Charge(ctx context.Context, req pos.ChargeRequest) (pos.ChargeResult, error) {
	g.mu.Lock()
	if r, ok := g.attempts[req.AttemptKey]; ok {
		g.mu.Unlock()
		return r, nil
	}
	g.mu.Unlock()
	outcome := g.nextOutcome()

	select {
	case <-ctx.Done():
		// The cashier cancelled before the tap: the reader action is
		// cancelled and nothing is charged.
		return g.record(req, pos.ChargeResult{Status: pos.PaymentCancelled, Provider: Provider,
			Message: "cancelled at the till"}, 0), nil
	case <-time.After(g.Delay):
	}
	switch outcome {
	case Decline:
		return g.record(req, pos.ChargeResult{Status: pos.PaymentDeclined, Provider: Provider,
			ProviderRef: ref("sim_", req.AttemptKey), Message: "insufficient funds (simulated)"}, 0), nil
	case Timeout:
		g.record(req, pos.ChargeResult{Status: pos.PaymentFailed, Provider: Provider,
			Message: "the reader timed out (simulated)"}, 0)
		return pos.ChargeResult{}, pos.Errorf(pos.EUnavailable, "the card reader did not answer (simulated)")
	case Lost:
		g.record(req, approved(req, false), charged)
		return pos.ChargeResult{}, pos.Errorf(pos.EUnavailable, "the answer from the card reader was lost (simulated)")
	case InPersonOnly:
		return g.record(req, approved(req, true), chargedInPersonOnly), nil
	}
	return g.record(req, approved(req, false), charged), nil
}

func approved(req pos.ChargeRequest, interac bool) pos.ChargeResult {
	r := pos.ChargeResult{Status: pos.PaymentApproved, Provider: Provider,
		ProviderRef: ref("sim_", req.AttemptKey), CardBrand: "visa", CardLast4: "4242",
		AuthCode: fmt.Sprintf("S%05d", len(req.AttemptKey)*1000%99999)}
	if interac {
		r.CardBrand, r.CardLast4 = "interac", "0005"
	}
	return r
}

// ref is a simulated reference made from a key.
func ref(prefix, key string) string {
	return prefix + key[:min(8, len(key))]
}

// What a charge did, for record.
const (
	charged             = 1 + iota // money taken
	chargedInPersonOnly            // money taken; refunds need the card on the reader
)

func (g *Gateway) record(req pos.ChargeRequest, r pos.ChargeResult, how int) pos.ChargeResult {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.attempts == nil {
		g.attempts = map[string]pos.ChargeResult{}
		g.paid = map[string]payment{}
	}
	g.attempts[req.AttemptKey] = r
	if how != 0 {
		g.charges++
		g.paid[req.AttemptKey] = payment{amount: req.Amount, inPersonOnly: how == chargedInPersonOnly}
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
	return pos.ChargeResult{Status: pos.PaymentFailed, Provider: Provider, Message: "never reached the reader"}, nil
}

// Refund gives an approved simulated payment back in full (a released
// sale). Asking again answers refunded again; a payment that can only be
// refunded in person fails, as at Stripe. The queued outcomes are left for
// the charges and card refunds they were meant for.
func (g *Gateway) Refund(ctx context.Context, p pos.Payment) (pos.ChargeResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.attempts[p.AttemptKey]
	if !ok || (r.Status != pos.PaymentApproved && r.Status != pos.PaymentRefunded) {
		return pos.ChargeResult{}, pos.Errorf(pos.EConflict, "nothing to refund")
	}
	paid := g.paid[p.AttemptKey]
	switch {
	case r.Status == pos.PaymentRefunded:
		return r, nil
	case paid.inPersonOnly:
		return pos.ChargeResult{Status: pos.PaymentFailed, Provider: Provider, ProviderRef: r.ProviderRef,
			Message: inPersonOnly}, nil
	}
	r.Status = pos.PaymentRefunded
	g.attempts[p.AttemptKey] = r
	paid.refunded = paid.amount
	g.paid[p.AttemptKey] = paid
	return r, nil
}

// RefundCard gives part of a simulated card payment back; nothing real
// moves. Repeating an attempt key returns its first answer and never
// refunds twice. A payment this reader took is never refunded beyond what
// it has left; one it does not know (the training till restarted since)
// is refunded as asked, within what the store allows.
func (g *Gateway) RefundCard(ctx context.Context, req pos.RefundRequest) (pos.ChargeResult, error) {
	switch {
	case req.AttemptKey == "":
		return pos.ChargeResult{}, pos.Errorf(pos.EInvalid, "the card refund has no attempt key")
	case req.Amount <= 0:
		return pos.ChargeResult{}, pos.Errorf(pos.EInvalid, "a card refund needs a positive amount")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if r, ok := g.refunds[req.AttemptKey]; ok {
		return r, nil
	}
	paid, known := g.paid[req.PaymentKey]
	if known && !paid.inPersonOnly && req.Amount > paid.amount-paid.refunded {
		// Refused before anything happened: the queued outcome waits.
		return pos.ChargeResult{}, pos.Errorf(pos.EConflict, "the card payment has only %s left to refund (simulated)",
			req.Currency.Format(paid.amount-paid.refunded))
	}
	outcome := g.popOutcome()
	res := pos.ChargeResult{Status: pos.PaymentFailed, Provider: Provider}
	switch {
	case outcome == InPersonOnly || paid.inPersonOnly:
		res.Message = inPersonOnly // refused: no refund was made
	case outcome == Decline:
		res.ProviderRef = ref("simre_", req.AttemptKey)
		res.Message = "the card can no longer take refunds: refund in cash with a manager (simulated)"
	default:
		res.Status, res.ProviderRef = pos.PaymentApproved, ref("simre_", req.AttemptKey)
		if known {
			paid.refunded += req.Amount
			g.paid[req.PaymentKey] = paid
		}
		g.refunded++
	}
	if g.refunds == nil {
		g.refunds = map[string]pos.ChargeResult{}
	}
	g.refunds[req.AttemptKey] = res
	if res.Status == pos.PaymentApproved && (outcome == Timeout || outcome == Lost) {
		return pos.ChargeResult{}, pos.Errorf(pos.EUnavailable, "no answer about the card refund (simulated)")
	}
	return res, nil
}

// FindRefund tells what became of a card refund attempt; one the reader
// never saw refunded nothing.
func (g *Gateway) FindRefund(ctx context.Context, req pos.RefundRequest) (pos.ChargeResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r, ok := g.refunds[req.AttemptKey]; ok {
		return r, nil
	}
	return pos.ChargeResult{}, pos.Errorf(pos.ENotFound, "no simulated refund for this attempt: nothing was refunded")
}
