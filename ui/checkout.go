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

// takeCash adds cash handed over; when it covers what is due the sale is
// recorded.
func (m *Model) takeCash(amount pos.Money) tea.Cmd {
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
	m.setStatus("recording the sale…", false)
	return m.runStep(st, 0)
}

// completed handles the answer to finish.
func (t *tenderScreen) completed(m *Model, msg stepMsg) tea.Cmd {
	r := msg.result
	if r.Key != m.sale.Key() {
		return nil
	}
	given := m.sale.CashGiven()
	next := m.sale.Apply(r)
	m.noteDB(r.Err)
	if r.Err != nil {
		if next.Retry {
			t.tries++
			m.setStatus(fmt.Sprintf("waiting for the database to record the sale (try %d): %s; nothing is lost",
				t.tries, pos.ErrorMessage(r.Err)), true)
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
	done := m.sale.Completed()
	m.newSale()
	cmd := m.show(screenDone, saleDoneMsg{sale: done})
	m.setStatus(fmt.Sprintf("sale recorded: %s", m.money(done.Totals.Total+done.CashRounding)), false)
	return cmd
}
