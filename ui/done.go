package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/till-pos/till/pos"
)

// doneScreen shows the finished sale: the change due, large, and the
// receipt choice. The basket field is live: a scan starts the next sale
// with that item.
type doneScreen struct {
	sale    pos.Sale
	scan    field
	receipt string // what became of the receipt
	busy    bool
}

func newDone() *doneScreen { return &doneScreen{scan: field{max: 64}} }

func (d *doneScreen) show(s pos.Sale) {
	d.sale, d.receipt, d.busy = s, "", false
	d.scan.reset()
}

func (d *doneScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case saleDoneMsg:
		d.show(msg.sale)
	case receiptMsg:
		if msg.saleKey != d.sale.Key {
			return nil
		}
		d.busy = false
		if msg.err != nil {
			// A printer or disk fault, not the database's: its own message.
			d.receipt = "failed: " + pos.ErrorMessage(msg.err)
			cmd := m.fault("receipt", msg.err)
			m.setStatus("receipt: "+pos.ErrorMessage(msg.err), true)
			return cmd
		}
		d.receipt = "receipt " + msg.where
		m.setStatus(d.receipt, false)
	case tea.PasteMsg:
		return m.show(screenBasket, msg)
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.km.NextSale):
			m.goTo(screenBasket)
			if d.scan.empty() {
				m.setStatus("ready for the next sale", false)
				return nil
			}
			return m.scanInput(d.scan.take()) // asks before a quantity above the limit
		case key.Matches(msg, m.km.Print):
			return d.print(m, false)
		case key.Matches(msg, m.km.Save):
			return d.print(m, true)
		case key.Matches(msg, m.km.Esc):
			d.scan.reset()
		case key.Matches(msg, m.km.SignOut):
			return m.signOut()
		default:
			d.scan.key(msg)
		}
	}
	return nil
}

// fault shows the failure of something that is not the database (the
// printer, the card reader): its own message, the bell and the log, and
// the database banner left as it is.
func (m *Model) fault(doing string, err error) tea.Cmd {
	m.log.Warn(doing, "err", err, "code", pos.ErrorCode(err))
	m.setStatus(pos.ErrorMessage(err), true)
	return bell
}

func (d *doneScreen) print(m *Model, save bool) tea.Cmd {
	r := m.deps.Receipts
	switch {
	case r == nil:
		return m.reject("receipts are not set up on this till yet")
	case d.busy:
		return nil
	}
	d.busy = true
	d.receipt = "receipt: working…"
	ctx, sale := m.ctx, d.sale
	return func() tea.Msg {
		if save {
			where, err := r.Save(ctx, sale)
			return receiptMsg{saleKey: sale.Key, where: "saved to " + where, err: err}
		}
		return receiptMsg{saleKey: sale.Key, where: "printed", err: r.Print(ctx, sale)}
	}
}

func (d *doneScreen) view(m *Model, w, h int) string {
	s := d.sale
	rows := []string{m.st.Title.Render("Sale complete") + "  " + m.st.Muted.Render(fmt.Sprintf("#%d", s.ID))}
	if s.Offline && s.ID == 0 {
		rows[0] = m.st.Title.Render("Sale complete") + "  " + m.st.Banner.Render(" OFFLINE ")
	}
	if s.Training {
		rows[0] += "  " + m.st.Training.Render(" TRAINING — not a real sale ")
	}
	if s.Offline && s.ID == 0 {
		rows = append(rows, m.st.Muted.Render("Kept on this till; sent to the database when it answers again."))
	}
	rows = append(rows, "", fmt.Sprintf("%-18s %12s", "Total", m.money(s.Totals.Total)))
	if s.CashRounding != 0 {
		rows = append(rows, fmt.Sprintf("%-18s %12s", "Cash rounding", m.money(s.CashRounding)))
	}
	for _, p := range s.Payments {
		if p.Status != pos.PaymentApproved {
			continue
		}
		name := "Cash"
		if p.Method == pos.MethodCard {
			name = fmt.Sprintf("Card %s ••%s", p.CardBrand, p.CardLast4)
		}
		given := p.Amount
		if p.Method == pos.MethodCash && p.Tendered > 0 {
			given = p.Tendered
		}
		rows = append(rows, fmt.Sprintf("%-18s %12s", name, m.money(given)))
	}
	if s.PointsEarned > 0 {
		rows = append(rows, fmt.Sprintf("%-18s %12d", "Points earned", s.PointsEarned))
	}
	rows = append(rows, "", m.st.Total.Render("CHANGE DUE"), m.st.Big.Render(bigText(m.money(s.Change()))), "")
	switch {
	case d.receipt != "":
		rows = append(rows, "Receipt: "+d.receipt)
	case m.deps.Receipts == nil:
		rows = append(rows, m.st.Muted.Render("Receipts are not set up on this till yet (no print or save)."))
	default:
		rows = append(rows, "Receipt? "+m.km.Print.Help().Key+" print · "+m.km.Save.Help().Key+" save · or none")
	}
	rows = append(rows, "", m.st.Prompt.Render("Scan to start the next sale › ")+m.st.Field.Render(d.scan.render(true)))
	body := strings.Join(rows, "\n")
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Top, m.st.Dialog.Render(body))
}

func (d *doneScreen) bindings(m *Model) []key.Binding {
	out := []key.Binding{m.km.NextSale}
	if m.deps.Receipts != nil {
		out = append(out, m.km.Print, m.km.Save)
	}
	return append(out, m.km.SignOut, m.km.Quit)
}
