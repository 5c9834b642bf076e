package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/till-pos/till/pos"
)

// tenderScreen takes the payment: cash typed or by quick keys, card, or a
// mix. The amount field holds the cash handed over, or the part to put on a
// card.
type tenderScreen struct {
	amount  field
	waiting bool // the sale is being recorded (and retried while the database is down)
	tries   int
	release int
}

func newTender() *tenderScreen {
	return &tenderScreen{amount: field{max: 12, accept: amountChars}}
}

func (t *tenderScreen) enter(*Model) { t.amount.reset() }

func (t *tenderScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case completedMsg:
		return m.completed(msg, t)
	case releasedMsg:
		return m.released(msg, &t.release)
	case retryMsg:
		switch {
		case msg.saleKey != m.sale.basket.Key:
		case msg.op == "finish" && t.waiting:
			return m.finish()
		case msg.op == "release":
			return m.release()
		}
	case tea.KeyPressMsg:
		if t.waiting {
			return m.reject("recording the sale: please wait")
		}
		return t.key(m, msg)
	}
	return nil
}

func (t *tenderScreen) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	km := m.km
	switch {
	case key.Matches(msg, km.Cash):
		if t.amount.empty() {
			return m.reject("type the cash handed over, or " + km.Exact.Help().Key + " for the exact amount")
		}
		v, err := parseAmount(m.set.Currency, t.amount.take())
		if err != nil {
			return m.reject(pos.ErrorMessage(err))
		}
		return m.takeCash(v)
	case key.Matches(msg, km.Exact):
		t.amount.reset()
		return m.takeCash(m.cashDue())
	case key.Matches(msg, km.Note1), key.Matches(msg, km.Note2):
		n := nextNotes(m.cashDue())
		i := 0
		if key.Matches(msg, km.Note2) {
			i = 1
		}
		if i >= len(n) {
			return m.reject("no note for that")
		}
		t.amount.reset()
		return m.takeCash(n[i])
	case key.Matches(msg, km.Card):
		amount := m.owed()
		if !t.amount.empty() {
			v, err := parseAmount(m.set.Currency, t.amount.String())
			if err != nil {
				return m.reject(pos.ErrorMessage(err))
			}
			amount = v
		}
		return m.payCard(amount, t)
	case key.Matches(msg, km.SimDecline) && m.deps.CardSim != nil:
		m.deps.CardSim.NextDecline()
		m.setStatus("training: the next card payment will be declined", false)
	case key.Matches(msg, km.SimTimeout) && m.deps.CardSim != nil:
		m.deps.CardSim.NextTimeout()
		m.setStatus("training: the next card reader will time out", false)
	case key.Matches(msg, km.VoidSale):
		return m.voidSale()
	case key.Matches(msg, km.Esc):
		if m.sale.locked {
			return m.reject("a card was used: pay the rest or void the sale (" + km.VoidSale.Help().Key + ")")
		}
		m.goTo(screenBasket)
	default:
		t.amount.key(msg)
	}
	return nil
}

// parseAmount reads an amount typed at the till; a comma is a decimal point.
func parseAmount(c pos.Currency, s string) (pos.Money, error) {
	return c.Parse(strings.ReplaceAll(s, ",", "."))
}

func (t *tenderScreen) bindings(m *Model) []key.Binding {
	if t.waiting {
		return []key.Binding{m.km.Quit}
	}
	out := []key.Binding{m.km.Cash, with(m.km.Exact, "exact "+m.money(max(m.cashDue(), 0)))}
	for i, n := range nextNotes(m.cashDue()) {
		out = append(out, with([]key.Binding{m.km.Note1, m.km.Note2}[i], m.money(n)))
	}
	if m.deps.Checkout.Gateway != nil {
		out = append(out, with(m.km.Card, "card (typed or all)"))
	}
	if m.deps.CardSim != nil {
		out = append(out, m.km.SimDecline, m.km.SimTimeout)
	}
	out = append(out, m.km.VoidSale)
	if !m.sale.locked {
		out = append(out, with(m.km.Esc, "back to basket"))
	}
	return out
}

func (t *tenderScreen) view(m *Model, w, h int) string {
	lw := w - panelWidth - 1
	kv := func(k, v string) string {
		return m.st.Label.Render(pad(k, 20)) + m.st.Value.Render(lpad(v, 12))
	}
	rows := []string{m.st.Title.Render("Payment"), kv("Total", m.money(m.sale.totals.Total))}
	for _, p := range m.sale.recorded.Payments {
		if p.Status == pos.PaymentApproved {
			rows = append(rows, kv(fmt.Sprintf("Card %s ••%s", p.CardBrand, p.CardLast4), m.money(p.Amount)))
		}
	}
	for _, c := range m.sale.cash {
		rows = append(rows, kv("Cash", m.money(c)))
	}
	due := m.cashDue()
	label := "Due"
	if owed := m.owed(); owed != due {
		label = fmt.Sprintf("Due (card %s, cash rounded)", m.money(owed))
	}
	rows = append(rows, "", m.st.Total.Render(label), m.st.Big.Render(bigText(m.money(max(due, 0)))), "")
	if t.waiting {
		rows = append(rows, m.st.Prompt.Render("Recording the sale… ")+m.st.Muted.Render("nothing is lost if the database is slow"))
	} else {
		rows = append(rows, m.st.Prompt.Render("Cash given › ")+m.st.Field.Render(t.amount.render(true)))
	}
	if m.deps.Checkout.Gateway == nil {
		rows = append(rows, m.st.Muted.Render("card payments are not set up on this till"))
	}
	left := fit(strings.Join(rows, "\n"), lw, h)
	return lipgloss.JoinHorizontal(lipgloss.Top, left, " ", m.customerPanel(panelWidth)+"\n"+m.totalsPanel(panelWidth))
}
