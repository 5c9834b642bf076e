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
// While the sale is being recorded (and retried while the database is
// down), the sale says so (Recording) and the screen says it waits; the
// cashier may step back to the basket (esc) or void the sale (F9) meanwhile.
type tenderScreen struct {
	amount  field
	tries   int
	release int
	// voidKey is the sale a manager is asked to let void; voidBy who
	// approved the void being released.
	voidKey string
	voidBy  *pos.Cashier
}

func newTender() *tenderScreen {
	return &tenderScreen{amount: field{max: 12, accept: amountChars}}
}

func (t *tenderScreen) enter(*Model) { t.amount.reset() }

// The answers of recording and voiding are handled by Model.protocol,
// whatever screen is shown.
func (t *tenderScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg.(type) {
	case approvedMsg, approvalCancelledMsg:
		return t.voidAnswer(m, msg)
	}
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		if m.sale.Recording() {
			return t.waitingKey(m, msg)
		}
		return t.key(m, msg)
	}
	return nil
}

// waitingKey answers the keys while the sale is being recorded: esc steps
// back to the basket, F9 voids the sale; nothing else can change it.
func (t *tenderScreen) waitingKey(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.km.Esc):
		return m.stepBack()
	case key.Matches(msg, m.km.VoidSale):
		return m.voidSale()
	}
	why := "recording the sale: waiting for the database; esc: back to the basket, " +
		m.km.VoidSale.Help().Key + ": void it"
	if msg.Text != "" {
		m.setStatus(why, true) // a scan or typing: said once, not a bell a character
		return nil
	}
	return m.reject(why)
}

func (t *tenderScreen) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	km := m.km
	switch {
	case key.Matches(msg, km.Cash):
		if t.amount.empty() && m.sale.Covered() {
			return m.finishCovered()
		}
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
		if m.sale.Covered() {
			return m.finishCovered()
		}
		return m.takeCash(m.sale.CashDue())
	case key.Matches(msg, km.Note1), key.Matches(msg, km.Note2):
		n := nextNotes(m.sale.CashDue())
		i := 0
		if key.Matches(msg, km.Note2) {
			i = 1
		}
		if i >= len(n) {
			return m.reject("no note for that")
		}
		t.amount.reset()
		return m.takeCash(n[i])
	case key.Matches(msg, km.Card) && m.offline():
		return m.badInput("the till is offline: cards need the network — take cash")
	case key.Matches(msg, km.Card):
		amount := m.sale.Owed()
		if !t.amount.empty() {
			v, err := parseAmount(m.set.Currency, t.amount.take()) // a refused amount is not kept to append to
			if err != nil {
				return m.reject(pos.ErrorMessage(err))
			}
			amount = v
		}
		return m.unlessLookingUp(func() tea.Cmd { return t.payCard(m, amount) })
	case key.Matches(msg, km.SimDecline) && m.deps.CardSim != nil:
		m.deps.CardSim.NextDecline()
		m.setStatus("training: the next card payment will be declined", false)
	case key.Matches(msg, km.SimTimeout) && m.deps.CardSim != nil:
		m.deps.CardSim.NextTimeout()
		m.setStatus("training: the next card reader will time out", false)
	case key.Matches(msg, km.VoidSale):
		return m.voidSale()
	case key.Matches(msg, km.Esc):
		if m.sale.Locked() {
			// No card paid: the reservation is given back and the basket
			// can change; an approved card keeps it locked (refused).
			return m.reopen()
		}
		m.goTo(screenBasket)
	default:
		t.amount.key(msg)
	}
	return nil
}

// payCard starts a card payment for amount on the payment screen,
// reserving the sale first if that was not done yet.
func (t *tenderScreen) payCard(m *Model, amount pos.Money) tea.Cmd {
	st, err := m.sale.PayCard(amount)
	if err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	t.amount.reset()
	m.setStatus("", false)
	return m.show(screenPayment, cardStartMsg{amount: amount, step: st})
}

// parseAmount reads an amount typed at the till; a comma is a decimal point.
func parseAmount(c pos.Currency, s string) (pos.Money, error) {
	return c.Parse(strings.ReplaceAll(s, ",", "."))
}

func (t *tenderScreen) bindings(m *Model) []key.Binding {
	if m.sale.Recording() {
		keys := []key.Binding{with(m.km.Esc, "back to basket (sale kept)"), m.km.VoidSale}
		if m.canSellOffline() && m.dbDown != "" && m.sale.Pending().Kind == pos.StepSell {
			keys = append(keys, m.km.SellOffline)
		}
		return append(keys, m.km.Quit)
	}
	if st := m.sale.Stage(); st == pos.StageReleasing || st == pos.StageReopening {
		return []key.Binding{m.km.Quit}
	}
	if m.sale.Covered() {
		return []key.Binding{with(m.km.Cash, "finish: change "+m.money(-m.sale.CashDue())), m.km.VoidSale,
			with(m.km.Esc, "back to basket")}
	}
	out := []key.Binding{m.km.Cash, with(m.km.Exact, "exact "+m.money(max(m.sale.CashDue(), 0)))}
	for i, n := range nextNotes(m.sale.CashDue()) {
		out = append(out, with([]key.Binding{m.km.Note1, m.km.Note2}[i], m.money(n)))
	}
	if m.deps.Checkout.Gateway != nil {
		out = append(out, with(m.km.Card, "card (typed or all)"))
	}
	if m.deps.CardSim != nil {
		out = append(out, m.km.SimDecline, m.km.SimTimeout)
	}
	out = append(out, m.km.VoidSale)
	switch {
	case !m.sale.Locked():
		out = append(out, with(m.km.Esc, "back to basket"))
	case m.sale.CardPaid() == 0:
		out = append(out, with(m.km.Esc, "change the basket"))
	}
	return out
}

func (t *tenderScreen) view(m *Model, w, h int) string {
	lw := w - panelWidth - 1
	kv := func(k, v string) string {
		return m.st.Label.Render(pad(k, 20)) + m.st.Value.Render(lpad(v, 12))
	}
	rows := []string{m.st.Title.Render("Payment"), kv("Total", m.money(m.sale.Totals().Total))}
	for _, p := range m.sale.Cards() {
		rows = append(rows, kv(fmt.Sprintf("Card %s ••%s", p.CardBrand, p.CardLast4), m.money(p.Amount)))
	}
	for _, c := range m.sale.Cash() {
		rows = append(rows, kv("Cash", m.money(c)))
	}
	due := m.sale.CashDue()
	label := "Due"
	if owed := m.sale.Owed(); owed != due {
		label = fmt.Sprintf("Due (card %s, cash rounded)", m.money(owed))
	}
	if due < 0 && m.sale.Covered() && !m.sale.Recording() {
		label, due = "CHANGE", -due
	}
	rows = append(rows, "", m.st.Total.Render(label), m.st.Big.Render(bigText(m.money(max(due, 0)))), "")
	stage := m.sale.Stage()
	switch {
	case stage == pos.StageReleasing || stage == pos.StageReopening:
		what := "Voiding the sale…"
		if stage == pos.StageReopening {
			what = "Giving back the reserved stock…"
		}
		rows = append(rows, m.st.Prompt.Render(what))
		if t.release > 0 {
			rows = append(rows, m.st.Error.Render("waiting for the database"),
				m.st.Muted.Render(fmt.Sprintf("retrying (%s failed) · nothing is lost", tries(t.release))))
		}
	case m.sale.Recording() && t.tries > 0:
		rows = append(rows, m.st.Error.Render("Waiting for the database to record the sale"),
			m.st.Muted.Render(fmt.Sprintf("retrying (%s failed) · nothing is lost", tries(t.tries))),
			m.st.Muted.Render("the change shows once it is recorded"))
	case m.sale.Recording():
		rows = append(rows, m.st.Prompt.Render("Recording the sale… ")+m.st.Muted.Render("nothing is lost if the database is slow"))
	case m.sale.Covered():
		rows = append(rows, m.st.Prompt.Render("Paid in full: ")+m.st.Muted.Render(m.km.Cash.Help().Key+" finishes the sale"))
	default:
		rows = append(rows, m.st.Prompt.Render("Cash given › ")+m.st.Field.Render(t.amount.render(true)))
	}
	if m.deps.Checkout.Gateway == nil {
		rows = append(rows, m.st.Muted.Render("card payments are not set up on this till"))
	}
	left := fit(strings.Join(rows, "\n"), lw, h)
	return lipgloss.JoinHorizontal(lipgloss.Top, left, " ", m.customerPanel(panelWidth)+"\n"+m.totalsPanel(panelWidth))
}
