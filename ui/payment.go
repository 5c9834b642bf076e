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
	attempt int // the card payment this screen waits for
	amount  pos.Money
	phase   string // what is happening, for the cashier
	cancel  context.CancelFunc
	// resolving: the reader's answer was lost and the payment is being
	// looked up; it cannot be cancelled, only waited for.
	resolving  bool
	cancelling bool
	unknown    pos.Payment
	tries      int
}

func newPayment() *paymentScreen {
	return &paymentScreen{spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

// payCard starts a card payment for amount, reserving the sale first if
// that was not done yet.
func (m *Model) payCard(amount pos.Money, t *tenderScreen) tea.Cmd {
	owed := m.owed()
	switch {
	case m.deps.Checkout.Gateway == nil:
		return m.reject("card payments are not set up on this till")
	case owed <= 0:
		return m.reject("nothing is left to pay")
	case amount <= 0 || amount > owed:
		return m.reject(fmt.Sprintf("a card can pay from %s to %s", m.money(1), m.money(owed)))
	}
	if _, err := m.draft(); err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	t.amount.reset()
	p := m.screens[screenPayment].(*paymentScreen)
	p.attempt, p.amount, p.tries = m.nextReq(), amount, 0
	p.resolving, p.cancelling = false, false
	m.goTo(screenPayment)
	m.setStatus("", false)
	return tea.Batch(p.spin.Tick, p.charge(m))
}

// charge sends the card payment (after the reservation when needed).
func (p *paymentScreen) charge(m *Model) tea.Cmd {
	draft, err := m.draft()
	if err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	ctx, cancel := context.WithCancel(m.ctx)
	p.cancel = cancel
	// From here the sale may be in the database: its lines are frozen.
	m.sale.reserveSent, m.sale.locked = true, true
	if !m.sale.reserved {
		p.phase = "recording the sale…"
	} else {
		p.phase = "waiting for the card…"
	}
	co, attempt, amount, reserved, rec := m.deps.Checkout, p.attempt, p.amount, m.sale.reserved, m.sale.recorded
	if !reserved {
		// Reserve first, as its own step, so the screen can tell the cashier
		// whether it waits for the database or for the card.
		return func() tea.Msg {
			defer cancel()
			s, err := co.Reserve(ctx, draft)
			msg := cardMsg{attempt: attempt, saleKey: draft.Key, err: err}
			if err == nil {
				msg.reserved = &s
			}
			return msg
		}
	}
	return func() tea.Msg {
		defer cancel()
		pay, err := co.PayCard(ctx, rec, amount)
		return cardMsg{attempt: attempt, saleKey: draft.Key, payment: pay, err: err}
	}
}

func (p *paymentScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		var cmd tea.Cmd
		p.spin, cmd = p.spin.Update(msg)
		return cmd
	case cardMsg:
		if msg.attempt != p.attempt || msg.saleKey != m.sale.basket.Key {
			return nil
		}
		return p.answered(m, msg)
	case resolvedMsg:
		if msg.attempt != p.attempt || msg.saleKey != m.sale.basket.Key {
			return nil
		}
		return p.resolved(m, msg)
	case retryMsg:
		if msg.attempt != p.attempt || msg.saleKey != m.sale.basket.Key {
			return nil
		}
		if msg.op == "resolve" {
			return p.resolve(m)
		}
		return p.charge(m)
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.km.Esc):
			if p.resolving {
				return m.reject("checking what became of the payment: it cannot be cancelled now")
			}
			if p.cancel != nil && !p.cancelling {
				p.cancelling, p.phase = true, "cancelling…"
				p.cancel()
			}
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
	case testCardMsg:
		if msg.err != nil {
			return m.fail("present a test card", msg.err)
		}
		m.setStatus("test mode: a test card was presented to the reader", false)
	}
	return nil
}

// answered handles the reader's answer.
func (p *paymentScreen) answered(m *Model, msg cardMsg) tea.Cmd {
	if msg.reserved != nil {
		m.sale.recorded, m.sale.reserved = *msg.reserved, true
	}
	pay, err := msg.payment, msg.err
	if msg.reserved != nil || !m.sale.reserved {
		m.noteDB(err) // the database answered the reservation, or did not
	}
	switch {
	case msg.reserved != nil && err == nil && p.cancelling:
		m.goTo(screenTender)
		m.setStatus("card payment cancelled: nothing was charged", false)
		return nil
	case msg.reserved != nil && err == nil:
		return p.charge(m) // reserved: now the card
	case err == nil:
		return p.approved(m, pay)
	case !m.sale.reserved && p.cancelling:
		m.goTo(screenTender)
		m.setStatus("card payment cancelled", false)
		return nil
	case !m.sale.reserved && pos.ErrorCode(err) == pos.EUnavailable:
		// The reservation's answer was lost or the database is down: ask
		// again (idempotent by the sale key) after a pause.
		p.tries++
		p.phase = fmt.Sprintf("waiting for the database (try %d): %s", p.tries, pos.ErrorMessage(err))
		return retryAfter(p.tries, retryMsg{op: "card", saleKey: msg.saleKey, attempt: p.attempt})
	case !m.sale.reserved:
		// Refused outright (e.g. out of stock): nothing was recorded.
		m.sale.reserveSent, m.sale.locked = false, false
		m.goTo(screenTender)
		return m.fail("reserve the sale", err)
	case pay.Status == pos.PaymentUnknown:
		p.resolving, p.unknown, p.tries = true, pay, 0
		p.phase = "no answer from the card reader: checking what happened…"
		return p.resolve(m)
	case p.cancelling && pay.Status != pos.PaymentDeclined:
		m.goTo(screenTender)
		m.setStatus("card payment cancelled: nothing was charged", false)
		return nil
	}
	m.goTo(screenTender)
	return m.fail("card payment", err)
}

func (p *paymentScreen) approved(m *Model, pay pos.Payment) tea.Cmd {
	m.sale.recorded.Payments = append(m.sale.recorded.Payments, pay)
	m.log.Info("card approved", "sale", pay.SaleKey, "amount", pay.Amount, "brand", pay.CardBrand, "last4", pay.CardLast4)
	m.goTo(screenTender)
	if m.cashDue() <= 0 {
		return m.finish()
	}
	m.setStatus(fmt.Sprintf("card %s approved; %s still due", m.money(pay.Amount), m.money(m.owed())), false)
	return nil
}

// resolve asks the gateway what became of a payment whose answer was lost.
func (p *paymentScreen) resolve(m *Model) tea.Cmd {
	ctx, co, attempt, key, pay := m.ctx, m.deps.Checkout, p.attempt, m.sale.basket.Key, p.unknown
	return func() tea.Msg {
		res, err := co.ResolvePayment(ctx, pay)
		return resolvedMsg{attempt: attempt, saleKey: key, payment: res, err: err}
	}
}

func (p *paymentScreen) resolved(m *Model, msg resolvedMsg) tea.Cmd {
	if msg.err != nil {
		p.tries++
		p.phase = fmt.Sprintf("checking the card payment (try %d): %s", p.tries, pos.ErrorMessage(msg.err))
		return retryAfter(p.tries, retryMsg{op: "resolve", saleKey: msg.saleKey, attempt: p.attempt})
	}
	p.resolving = false
	if msg.payment.Status == pos.PaymentApproved {
		return p.approved(m, msg.payment)
	}
	m.goTo(screenTender)
	return m.reject(fmt.Sprintf("card payment %s%s: nothing was charged", msg.payment.Status, suffix(msg.payment.Message)))
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
	if !p.resolving && !p.cancelling {
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
