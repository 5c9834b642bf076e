package ui

import (
	"context"
	"fmt"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/till-pos/till/pos"
)

// paymentScreen waits for the card reader, with a spinner. Esc cancels the
// call's context; PayCard records the cancelled outcome itself.
type paymentScreen struct {
	spin    spinner.Model
	state   payState
	attempt int // the card payment this screen waits for
	amount  pos.Money
	phase   string // what is happening, for the cashier
	cancel  context.CancelFunc
	tries   int
}

func newPayment() *paymentScreen {
	return &paymentScreen{spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

// start shows a new card payment: the step is the reservation (when the
// sale is not reserved yet) or the charge.
func (p *paymentScreen) start(m *Model, msg cardStartMsg) tea.Cmd {
	p.attempt, p.amount, p.tries, p.state = m.nextReq(), msg.amount, 0, payIdle
	ev := payCharge
	if msg.step.Kind == pos.StepReserve {
		ev = payReserve
	}
	return tea.Batch(p.spin.Tick, p.transition(m, ev, msg.step, pos.Result{}))
}

// send runs a step of the card payment. A reservation or a charge can be
// cancelled with Esc; a lookup cannot.
func (p *paymentScreen) send(m *Model, st pos.Step) tea.Cmd {
	if st.Kind == pos.StepNone {
		return nil
	}
	ctx, cancel := context.WithCancel(m.ctx)
	p.cancel = cancel
	switch p.state {
	case payReserving:
		p.phase = "recording the sale…"
	case payCharging:
		p.phase = "waiting for the card…"
	case payResolving:
		if p.tries == 0 {
			p.phase = "no answer from the card reader: checking what happened…"
		}
	}
	attempt := p.attempt
	return func() tea.Msg {
		defer cancel()
		return stepMsg{attempt: attempt, result: st.Run(ctx)}
	}
}

func (p *paymentScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case cardStartMsg:
		return p.start(m, msg)
	case spinner.TickMsg:
		var cmd tea.Cmd
		if p.spin, cmd = p.spin.Update(msg); cmd == nil {
			return nil // not this spinner's tick
		}
		// The next frame, on the model's timer rather than the spinner's own.
		return m.after(p.spin.Spinner.FPS, p.spin.Tick())
	case stepMsg:
		if msg.attempt != p.attempt || msg.result.Key != m.sale.Key() {
			return nil
		}
		return p.answered(m, msg.result)
	case retryMsg:
		if msg.attempt != p.attempt || msg.saleKey != m.sale.Key() {
			return nil
		}
		return p.transition(m, payRetryDue, m.sale.Pending(), pos.Result{})
	case tea.KeyPressMsg:
		return p.key(m, msg)
	case testCardMsg:
		if msg.err != nil {
			return m.fault("present a test card", msg.err) // the reader's fault, not the database's
		}
		m.setStatus("test mode: a test card was presented to the reader", false)
	}
	return nil
}

func (p *paymentScreen) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.km.Esc):
		return p.transition(m, payEsc, pos.Step{}, pos.Result{})
	case key.Matches(msg, m.km.SimDecline) && m.deps.CardSim != nil:
		m.deps.CardSim.NextDecline()
		m.setStatus("training: the next card payment will be declined", false)
	case key.Matches(msg, m.km.SimTimeout) && m.deps.CardSim != nil:
		m.deps.CardSim.NextTimeout()
		m.setStatus("training: the next card reader will time out", false)
	case key.Matches(msg, m.km.TestCard) && m.deps.TestCards != nil:
		return presentTestCard(m, false)
	case key.Matches(msg, m.km.TestDecline) && m.deps.TestCards != nil:
		return presentTestCard(m, true)
	}
	return nil
}

// answered hands the answer of a reservation, a charge or a lookup to the
// sale, which says what to run next, and moves the screen on.
func (p *paymentScreen) answered(m *Model, r pos.Result) tea.Cmd {
	next := m.sale.Apply(r)
	if r.Kind == pos.StepReserve {
		m.noteDB(r.Err) // the database answered the reservation, or did not
	}
	return p.transition(m, payEventOf(r), next, r)
}

// transition moves the screen to its next state and does what the
// transition says: next is the step the sale returned, r the answer that
// caused it (if any).
func (p *paymentScreen) transition(m *Model, ev payEvent, next pos.Step, r pos.Result) tea.Cmd {
	var act payAction
	p.state, act = p.state.on(ev)
	switch act {
	case actSend:
		if ev == payUnknown {
			p.tries = 0
		}
		return p.send(m, next)
	case actRetry:
		p.tries++
		op, doing := retryReserve, "waiting for the database"
		if r.Kind == pos.StepResolve {
			op, doing = retryResolve, "checking the card payment"
		}
		p.phase = fmt.Sprintf("%s (try %d): %s", doing, p.tries, pos.ErrorMessage(r.Err))
		return m.retryAfter(p.tries, retryMsg{op: op, saleKey: r.Key, attempt: p.attempt})
	case actCancel:
		m.sale.CancelCard()
		p.phase = "cancelling…"
		if p.cancel != nil {
			p.cancel()
		}
	case actRefuse:
		return m.reject("checking what became of the payment: it cannot be cancelled now")
	case actApproved:
		return p.approved(m, r.Payment, next)
	case actCancelled:
		m.goTo(screenTender)
		m.setStatus("card payment cancelled", false)
	case actNotCharged:
		m.goTo(screenTender)
		m.setStatus("card payment cancelled: nothing was charged", false)
	case actFailed:
		m.goTo(screenTender)
		if r.Kind == pos.StepReserve {
			return m.fail("reserve the sale", r.Err)
		}
		if r.Payment.Status == "" {
			// No answer from the gateway: the attempt row could not be
			// written, a database fault.
			return m.fail("card payment", r.Err)
		}
		return m.fault("card payment", r.Err) // the reader's or the bank's answer
	case actLookupNot:
		m.goTo(screenTender)
		return m.reject(fmt.Sprintf("card payment %s%s: nothing was charged", r.Payment.Status, suffix(r.Payment.Message)))
	}
	return nil
}

// approved is a card payment the sale has kept; next records the sale when
// nothing is left to pay.
func (p *paymentScreen) approved(m *Model, pay pos.Payment, next pos.Step) tea.Cmd {
	m.log.Info("card approved", "sale", pay.SaleKey, "amount", pay.Amount, "brand", pay.CardBrand, "last4", pay.CardLast4)
	m.goTo(screenTender)
	if next.Kind != pos.StepNone {
		return m.finish(next)
	}
	m.setStatus(fmt.Sprintf("card %s approved; %s still due", m.money(pay.Amount), m.money(m.sale.Owed())), false)
	return nil
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func (p *paymentScreen) view(m *Model, w, h int) string {
	rows := []string{
		m.st.Title.Render("Card payment"), "",
		m.st.Big.Render(bigText(m.money(p.amount))), "",
		p.spin.View() + " " + p.phase,
	}
	if p.state == payReserving || p.state == payCharging {
		rows = append(rows, "", "Ask the customer to tap, insert or swipe their card.")
	}
	if m.deps.CardSim != nil {
		rows = append(rows, "", m.st.Training.Render(" TRAINING ")+m.st.Muted.Render(" simulated reader: it approves unless F6/F7 set the next one"))
	}
	box := m.st.Dialog.Render(lipgloss.JoinVertical(lipgloss.Left, rows...))
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, box)
}

func (p *paymentScreen) bindings(m *Model) []key.Binding {
	out := []key.Binding{with(m.km.Esc, "cancel card")}
	if m.deps.CardSim != nil {
		out = append(out, m.km.SimDecline, m.km.SimTimeout)
	}
	if m.deps.TestCards != nil {
		out = append(out, m.km.TestCard, m.km.TestDecline)
	}
	return out
}

// testCardMsg is the reader's answer to a test card.
type testCardMsg struct{ err error }

// presentTestCard asks a test-mode reader to take a test card, as a
// customer would tap one, without blocking the screen.
func presentTestCard(m *Model, decline bool) tea.Cmd {
	reader, ctx := m.deps.TestCards, m.ctx
	return func() tea.Msg { return testCardMsg{reader.PresentTestCard(ctx, decline)} }
}
