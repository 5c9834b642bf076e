package ui

import (
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// The checkout flow, from the tender screen:
//
//   - all cash and no card: SellCash, one transaction, when the cash covers
//     the total;
//   - a card: Reserve once (the sale and its stock are recorded as pending),
//     PayCard per card, then Complete with the cash handed over, which was
//     kept in memory until then.
//
// Every step is idempotent by the sale key, so while the database is down
// the till retries the same call with a backoff and nothing is recorded
// twice.

// cardPaid is the sum of the approved card payments.
func (m *Model) cardPaid() pos.Money { return m.sale.recorded.Paid() }

// cashGiven is the cash handed over so far.
func (m *Model) cashGiven() pos.Money {
	var sum pos.Money
	for _, c := range m.sale.cash {
		sum += c
	}
	return sum
}

// owed is what is still to pay, by card or cash, before cash rounding.
func (m *Model) owed() pos.Money {
	return m.sale.totals.Total - m.cardPaid() - m.cashGiven()
}

// cashDue is what must still be paid if the rest is paid in cash: the rest
// rounded to the store's cash step. Zero or less means it is all paid, and
// its opposite is the change.
func (m *Model) cashDue() pos.Money {
	rounded, _ := m.set.RoundCash(m.sale.totals.Total - m.cardPaid())
	return rounded - m.cashGiven()
}

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
	switch {
	case amount <= 0:
		return m.reject("type the cash amount handed over")
	case m.cashDue() <= 0:
		return m.reject("nothing is left to pay")
	case amount > pos.MaxMoney || m.cashGiven()+amount > pos.MaxMoney:
		return m.reject("that is too much cash")
	}
	m.sale.cash = append(m.sale.cash, amount)
	if due := m.cashDue(); due > 0 {
		m.setStatus(fmt.Sprintf("cash %s taken; %s still due", m.money(amount), m.money(due)), false)
		return nil
	}
	return m.finish()
}

// finish records the sale: SellCash when no card was involved, else
// Complete after the reservation.
func (m *Model) finish() tea.Cmd {
	draft, err := m.draft()
	if err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	m.sale.locked = true
	t := m.screens[screenTender].(*tenderScreen)
	t.waiting = true
	m.setStatus("recording the sale…", false)
	return finishCmd(m.ctx, m.deps.Checkout, draft, m.sale.recorded, m.sale.reserved, m.sale.reserveSent,
		append([]pos.Money(nil), m.sale.cash...))
}

func finishCmd(ctx context.Context, co *pos.Checkout, draft, rec pos.Sale, reserved, reserveSent bool, cash []pos.Money) tea.Cmd {
	return func() tea.Msg {
		var err error
		if !reserved && !reserveSent {
			done, err := co.SellCash(ctx, draft, cash...)
			if err != nil || done.Status == pos.SaleCompleted {
				return completedMsg{saleKey: draft.Key, sale: done, err: err}
			}
			rec = done // the key was reserved before: finish it as reserved
		} else if !reserved {
			// A reservation was sent but its answer was lost: asking again
			// returns the sale as first recorded, payments included.
			if rec, err = co.Reserve(ctx, draft); err != nil {
				return completedMsg{saleKey: draft.Key, err: err}
			}
		}
		done, err := co.Complete(ctx, rec, cash...)
		return completedMsg{saleKey: draft.Key, sale: done, err: err}
	}
}

// completed handles the answer to finish.
func (m *Model) completed(msg completedMsg, t *tenderScreen) tea.Cmd {
	if msg.saleKey != m.sale.basket.Key {
		return nil
	}
	m.noteDB(msg.err)
	if msg.err != nil {
		if pos.ErrorCode(msg.err) == pos.EUnavailable {
			t.tries++
			m.setStatus(fmt.Sprintf("waiting for the database to record the sale (try %d): %s; nothing is lost",
				t.tries, pos.ErrorMessage(msg.err)), true)
			return retryAfter(t.tries, retryMsg{op: "finish", saleKey: msg.saleKey})
		}
		t.waiting, t.tries = false, 0
		if !m.sale.reserveSent {
			m.sale.locked = false // SellCash rolled back: nothing was recorded
		}
		// The sale cannot be recorded as it is (e.g. an item is short): the
		// cash is forgotten so that it is taken again, with the amount in
		// view, once the basket is put right.
		given := m.cashGiven()
		m.sale.cash = nil
		cmd := m.fail("record the sale", msg.err)
		if given > 0 {
			m.setStatus(m.status.text+fmt.Sprintf(" (cash %s not taken)", m.money(given)), true)
		}
		return cmd
	}
	t.waiting, t.tries = false, 0
	d := m.screens[screenDone].(*doneScreen)
	d.show(msg.sale)
	m.newSale()
	m.goTo(screenDone)
	m.setStatus(fmt.Sprintf("sale recorded: %s", m.money(msg.sale.Totals.Total+msg.sale.CashRounding)), false)
	return nil
}
