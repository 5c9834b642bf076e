package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// A sale a card has paid (reserved, the card's money taken) is voided only
// once a manager approves (issue 12): the void refunds the card through
// pos.Checkout.Release. Without a card payment F9 voids as before. The
// approval is audited with both people by pos.Approver; the void itself
// is audited as every void is (void_sale), naming the manager.

// voidNeedsManager says whether voiding the sale needs a manager: a card
// has paid part of it.
func (m *Model) voidNeedsManager() bool { return m.sale.Locked() && m.sale.CardPaid() > 0 }

// askVoidApproval shows the approval screen for voiding the sale; the
// answer goes to the payment screen, which releases the sale.
func (m *Model) askVoidApproval() tea.Cmd {
	t := m.screens[screenTender].(*tenderScreen)
	t.voidKey = m.sale.Key()
	return m.askApproval(approvalAsk{
		purpose: approveVoid,
		action:  fmt.Sprintf("void sale after a card payment of %s", m.money(m.sale.CardPaid())),
		saleKey: m.sale.Key(),
		back:    screenTender,
	})
}

// voidAnswer handles the manager's answer on the payment screen: approved,
// the sale is released (its card refunded) if it is still the sale asked
// about and still reserved; cancelled, the sale stays as it was.
func (t *tenderScreen) voidAnswer(m *Model, msg tea.Msg) tea.Cmd {

	key := t.voidKey
	t.voidKey, t.voidBy = "", nil
	a, ok := msg.(approvedMsg)
	if !ok || a.purpose != approveVoid || key == "" {
		return nil
	}
	if key != m.sale.Key() || !m.sale.Locked() {
		return m.badInput("the sale changed meanwhile: it was not voided")
	}
	mgr := a.manager
	t.voidKey, t.voidBy = key, &mgr
	m.setStatus(fmt.Sprintf("voiding the sale (approved by %s)…", mgr.Name), false)
	return m.release()
}

// voidApproval is what the void_sale audit adds for the sale key: the
// manager who approved the void, if one did.
func (m *Model) voidApproval(key string) string {
	t := m.screens[screenTender].(*tenderScreen)
	if t.voidBy == nil || t.voidKey != key {
		return ""
	}
	mgr := t.voidBy
	t.voidKey, t.voidBy = "", nil
	return fmt.Sprintf("; approved by manager %d (%s)", mgr.ID, mgr.Name)
}
