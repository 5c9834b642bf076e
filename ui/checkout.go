package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// The checkout flow is pos.SaleInProgress's: the tender screen hands it
// the cash and the cards, runs the step it returns in a command and gives
// the result back to it. Every step is idempotent by the sale key, so
// while the database is down the till retries the same step with a backoff
// and nothing is recorded twice.
//
// The answers of recording and voiding (and their retries) are handled
// whatever screen is shown (protocol, called from background): the cashier
// may step back from a tender that waits for the database, and the change
// is shown the moment the sale is recorded.

// nextNotes returns the two smallest banknotes (5 to 500 in the major
// unit) larger than due, for the quick keys.
func nextNotes(due pos.Money) []pos.Money {
	var out []pos.Money
	for _, n := range [...]pos.Money{500, 1000, 2000, 5000, 10000, 20000, 50000} {
		if n > due && len(out) < 2 {
			out = append(out, n)
		}
	}
	return out
}

// tender is the tender screen, which keeps the retry counts.
func (m *Model) tender() *tenderScreen { return m.screens[screenTender].(*tenderScreen) }

// toTender shows the tender for the basket (F5). When the money already
// taken covers the sale (cash handed over, then lines voided) the sale is
// recorded at once and the change shown.
func (m *Model) toTender() tea.Cmd {
	if len(m.sale.Lines()) == 0 {
		return m.reject("the basket is empty: scan an item first")
	}
	m.goTo(screenTender)
	if m.sale.Covered() && !m.sale.Recording() {
		return m.finishCovered()
	}
	return nil
}

// finishCovered records a sale the money taken already covers.
func (m *Model) finishCovered() tea.Cmd {
	return m.unlessLookingUp(m.finishNow)
}

func (m *Model) finishNow() tea.Cmd {
	st, err := m.sale.Finish()
	if err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	return m.finish(st)
}

// takeCash adds cash handed over; when it covers what is due the sale is
// recorded.
func (m *Model) takeCash(amount pos.Money) tea.Cmd {
	if amount >= m.sale.CashDue() && amount <= m.set.CashLimit(m.sale.CashDue()) {
		return m.unlessLookingUp(func() tea.Cmd { return m.takeCashNow(amount) })
	}
	return m.takeCashNow(amount)
}

func (m *Model) takeCashNow(amount pos.Money) tea.Cmd {
	st, err := m.sale.TakeCash(amount)
	if err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	if st.Kind == pos.StepNone {
		m.setStatus(fmt.Sprintf("cash %s taken; %s still due", m.money(amount), m.money(m.sale.CashDue())), false)
		return nil
	}
	return m.finish(st)
}

// finish runs the step that records the sale (SellCash, or Complete after
// the reservation); the tender screen waits for it.
func (m *Model) finish(st pos.Step) tea.Cmd {
	m.tender().tries = 0
	if st.Kind == pos.StepSell && m.offline() {
		return m.sellOffline() // offline and approved: straight to the journal
	}
	m.setStatus("recording the sale…", false)
	return m.runStep(st, 0)
}

// protocol handles the answers of recording and voiding the sale, and the
// timers that retry them, on whatever screen is shown.
func (m *Model) protocol(msg tea.Msg) (tea.Cmd, bool) {
	t := m.tender()
	switch msg := msg.(type) {
	case stepMsg:
		if msg.attempt != 0 {
			return nil, false // a card payment's: the payment screen's
		}
		switch msg.result.Kind {
		case pos.StepSell, pos.StepComplete, pos.StepSellOffline:
			return m.recorded(msg), true
		case pos.StepRelease:
			return m.released(msg, &t.release), true
		}
	case retryMsg:
		switch {
		case msg.op != retryFinish && msg.op != retryRelease:
			return nil, false
		case msg.saleKey != m.sale.Key():
		case msg.op == retryFinish && m.sale.Recording():
			return m.runStep(m.sale.Pending(), 0), true
		case msg.op == retryRelease && (m.sale.Stage() == pos.StageReleasing || m.sale.Stage() == pos.StageReopening):
			return m.runStep(m.sale.Pending(), 0), true
		}
		return nil, true
	}
	return nil, false
}

// recorded handles the answer to finish.
func (m *Model) recorded(msg stepMsg) tea.Cmd {
	t := m.tender()
	r := msg.result
	if r.Key != m.sale.Key() {
		return nil
	}
	given := m.sale.CashGiven()
	next := m.sale.Apply(r)
	if r.Kind == pos.StepSellOffline {
		if r.Err != nil {
			return m.offlineFailed(r.Err)
		}
		m.off.status.Waiting++
		t.tries = 0
		return m.saleDone(m.sale.Completed(), "sold OFFLINE (sent when the database is back)")
	}
	m.noteDB(r.Err)
	if r.Err != nil {
		if next.Retry && m.off.mode == offlineApproved && m.canSellOffline() {
			return m.sellOffline() // this outage was approved: no waiting
		}
		if next.Retry {
			t.tries++
			offline := ""
			if m.canSellOffline() {
				offline = " · " + m.km.SellOffline.Help().Key + " sells it offline"
			}
			m.setStatus(fmt.Sprintf("waiting for the database: sale not recorded yet; retry in %s (%s failed)%s",
				backoff(t.tries-1), tries(t.tries), offline), true)
			return m.retryAfter(t.tries, retryMsg{op: retryFinish, saleKey: r.Key})
		}
		t.tries = 0
		// The sale cannot be recorded as it is (e.g. an item is short): the
		// sale forgot the cash so that it is taken again, with the amount
		// in view, once the basket is put right.
		cmd := m.fail("record the sale", r.Err)
		if given > 0 {
			m.setStatus(m.status.text+fmt.Sprintf(" (cash %s not taken)", m.money(given)), true)
		}
		return cmd
	}
	t.tries = 0
	return m.saleDone(m.sale.Completed(), "sale recorded")
}

// saleDone shows a recorded sale with its change, from whatever screen.
func (m *Model) saleDone(done pos.Sale, what string) tea.Cmd {
	m.confirm = nil // a question about the sale no longer applies
	m.lastSale = &done
	m.newSale()
	cmd := m.show(screenDone, saleDoneMsg{sale: done})
	m.setStatus(fmt.Sprintf("%s: %s, change %s", what, m.money(done.Totals.Total+done.CashRounding), m.money(done.Change())), false)
	return tea.Batch(cmd, m.openDrawer(done))
}

// openDrawer kicks the cash drawer once a sale with cash in it is recorded
// (never for a card-only sale). A drawer that does not open is said on the
// screen and never touches the sale: the cashier opens it with its key.
func (m *Model) openDrawer(done pos.Sale) tea.Cmd {
	if m.deps.Drawer == nil || !done.HasCash() {
		return nil
	}
	ctx, drawer := m.ctx, m.deps.Drawer
	return func() tea.Msg { return drawerMsg{err: drawer.OpenDrawer(ctx)} }
}

// stepBack leaves a tender that waits for the database: the sale stays as
// it is and keeps being recorded in the background (by its key: it is
// never sold twice); F9 voids it, and the change shows once it is recorded.
func (m *Model) stepBack() tea.Cmd {
	m.goTo(screenBasket)
	m.setStatus("sale kept: it is recorded once the database answers ("+m.km.VoidSale.Help().Key+" voids it)", true)
	return nil
}

// reopen gives back the reservation of a sale no card has paid, so that
// its basket can change (after a declined, cancelled or uncharged card).
func (m *Model) reopen() tea.Cmd {
	st, err := m.sale.Reopen()
	if err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	if st.Kind == pos.StepNone {
		m.goTo(screenBasket)
		return nil
	}
	m.tender().release = 0
	m.setStatus("giving back the reserved stock so the basket can change…", false)
	return m.runStep(st, 0)
}

// lockedReason says why a sale that may be in the database cannot be
// left: what the quit key and the refused edits tell the cashier.
func (m *Model) lockedReason() string {
	vs := m.km.VoidSale.Help().Key
	switch m.sale.Stage() {
	case pos.StageSelling, pos.StageCompleting:
		return "the sale may be recorded; waiting for the database… (" + vs + " voids it)"
	case pos.StageReleasing:
		return "the sale is being voided: waiting for the database"
	case pos.StageReopening:
		return "the reserved stock is being given back: waiting for the database"
	case pos.StageReserveSent:
		return "the sale may be reserved: pay it, esc on the tender to change it, or " + vs + " to void it"
	}
	if m.sale.CardPaid() > 0 {
		return fmt.Sprintf("a card has paid %s: pay the rest or void the sale (%s)", m.money(m.sale.CardPaid()), vs)
	}
	return "the sale is reserved: pay it, esc on the tender to change it, or " + vs + " to void it"
}

// tries writes "1 try" or "3 tries".
func tries(n int) string {
	if n == 1 {
		return "1 try"
	}
	return fmt.Sprintf("%d tries", n)
}

// coveredHint tells the cashier, after the basket shrank, that the money
// taken already covers it.
func (m *Model) coveredHint() {
	if m.sale.Covered() {
		m.setStatus(fmt.Sprintf("cash %s covers it: %s finishes, change %s · %s", m.money(m.sale.CashGiven()),
			m.km.Pay.Help().Key, m.money(-m.sale.CashDue()), m.status.text), false)
	}
}
