package ui

import (
	"context"
	"fmt"
	"strconv"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/till-pos/till/pos"
)

// newSale opens an empty basket under a new idempotency key.
func (m *Model) newSale() {
	var id int64
	if m.cashier != nil {
		id = m.cashier.ID
	}
	m.sale, m.selected = m.deps.Checkout.Open(id), 0
}

// inProgress reports whether there is anything in the sale to lose.
func (m *Model) inProgress() bool { return !m.sale.Empty() }

// recompute keeps the selection on a line after the lines changed (the
// sale keeps its totals itself).
func (m *Model) recompute() {
	m.selected = min(max(m.selected, 0), max(len(m.sale.Lines())-1, 0))
}

// editable refuses a change to a sale that may be in the database, and
// says why.
func (m *Model) editable() error {
	if m.sale.Locked() {
		return pos.Errorf(pos.EConflict, "locked: %s", m.lockedReason())
	}
	return nil
}

// scan handles one entry of the basket field: an item becomes a line from
// the catalog cache at once, a loyalty card attaches its customer.
func (m *Model) scan(input string) tea.Cmd {
	if !m.cat.loaded {
		m.pendingScans = append(m.pendingScans, input)
		m.setStatus(fmt.Sprintf("catalog still loading: %d scan(s) kept, added as soon as it arrives", len(m.pendingScans)), false)
		return nil
	}
	if n, ok := pos.ParseParkedCode(input); ok {
		return m.resumeScanned(n)
	}
	sc, err := m.set.Scan.Parse(input)
	if err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	switch sc.Kind {
	case pos.ScanLoyaltyCard:
		return m.lookupCard(sc.Code)
	case pos.ScanReceipt:
		return m.startReturn(returnStartMsg{mode: modeReceipt, saleKey: sc.Code})
	}
	if err := m.editable(); err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	return m.addScanned(input, sc)
}

// addScanned adds the item a scan names. An 8-digit code can be both an
// EAN-8 and a UPC-E (the scanner does not say which symbology it read):
// the catalogue decides, and when it holds both, the cashier does.
func (m *Model) addScanned(input string, sc pos.Scan) tea.Cmd {
	type match struct {
		item pos.Item
		scan pos.Scan
	}
	var found []match
	for _, code := range sc.Candidates() {
		if item, ok := m.cat.lookup(code); ok {
			chosen, _ := sc.Choose(code)
			found = append(found, match{item, chosen})
		}
	}
	switch len(found) {
	case 0:
		if sc.Alternative != "" {
			return m.reject(fmt.Sprintf("unknown code %s: neither %s (%s) nor %s (%s) is in the catalog",
				input, sc.Code, sc.Format, sc.Alternative, sc.AlternativeFormat))
		}
		return m.reject(fmt.Sprintf("unknown code %s (%s): not in the catalog", sc.Code, sc.Format))
	case 1:
		return m.addLine(found[0].item, found[0].scan)
	}
	a, b := found[0], found[1]
	m.confirm = &confirmation{
		question: fmt.Sprintf("%s is two items: 1 %s (%s) or 2 %s (%s)? 1/2, n neither",
			input, a.item.Name, a.scan.Format, b.item.Name, b.scan.Format),
		yes:   func() tea.Cmd { return m.addLine(a.item, a.scan) },
		other: func() tea.Cmd { return m.addLine(b.item, b.scan) },
	}
	return bell
}

func (m *Model) addLine(item pos.Item, sc pos.Scan) tea.Cmd {
	if sc.Measure == pos.MeasureNone && item.Active {
		switch {
		case item.Weighed:
			return m.askItemEntry(basketWeight, item, 0)
		case item.OpenPrice():
			return m.askItemEntry(basketOpenPrice, item, sc.Quantity)
		}
	}
	line, err := pos.NewLine(item, sc)
	if err == nil {
		err = m.sale.Add(line)
	}
	if err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	m.selected = len(m.sale.Lines()) - 1
	m.recompute()
	m.setStatus("added "+line.Name+" "+m.quantity(line), false)
	return nil
}

// lookupCard asks the customer store whose loyalty card this is. The
// sale waits for the answer (the customer panel says so) and is not
// recorded without it unless the cashier says so: a customer scan is
// never dropped, even while the database is slow or down.
func (m *Model) lookupCard(card string) tea.Cmd {
	if err := m.editable(); err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	if m.deps.Customers == nil {
		return m.reject("loyalty cards are not set up on this till")
	}
	if err := m.sale.AwaitCustomer(card); err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	m.setStatus("looking up loyalty card "+card+"…", false)
	return m.queryCard(card, 0)
}

func (m *Model) queryCard(card string, try int) tea.Cmd {
	ctx, cs, key := m.ctx, m.deps.Customers, m.sale.Key()
	return func() tea.Msg {
		c, err := cs.CustomerByCard(ctx, card)
		return cardCustomerMsg{saleKey: key, card: card, try: try, customer: c, err: err}
	}
}

func (m *Model) cardCustomer(msg cardCustomerMsg) tea.Cmd {
	if msg.saleKey != m.sale.Key() || m.sale.CustomerLookup() != msg.card {
		return nil // the sale it was scanned into is over, or went on without it
	}
	if pos.ErrorCode(msg.err) == pos.EUnavailable {
		// Kept, and asked again: the panel shows it is still looked up.
		m.noteDB(msg.err)
		m.setStatus(fmt.Sprintf("loyalty card %s: %s; retrying", msg.card, pos.ErrorMessage(msg.err)), true)
		return m.after(backoff(msg.try), retryMsg{op: retryCustomer, saleKey: msg.saleKey, card: msg.card, try: msg.try + 1})
	}
	m.sale.CustomerLookedUp(msg.card)
	if msg.err != nil {
		cmd := m.fail("loyalty card "+msg.card, msg.err)
		m.setStatus(fmt.Sprintf("loyalty card %s: %s; the sale goes on without a customer", msg.card, pos.ErrorMessage(msg.err)), true)
		return cmd
	}
	m.noteDB(nil)
	return m.attach(msg.customer)
}

// lookupAgain retries a customer lookup the database did not answer.
func (m *Model) lookupAgain(msg retryMsg) tea.Cmd {
	if msg.saleKey != m.sale.Key() || m.sale.CustomerLookup() != msg.card {
		return nil
	}
	return m.queryCard(msg.card, msg.try)
}

// withLookup adds the loyalty card being looked up to the customer
// panel's body, so the cashier sees the scan was not lost.
func (m *Model) withLookup(body string, w int) string {
	card := m.sale.CustomerLookup()
	if card == "" {
		return body
	}
	line := m.st.Prompt.Render(ansi.Truncate("looking up "+card, w-4, "…"))
	if m.sale.Customer() != nil {
		return body + "\n" + line
	}
	return line + "\n" + m.st.Muted.Render(ansi.Truncate("card scanned: the", w-4, "…")) + "\n" +
		m.st.Muted.Render(ansi.Truncate("sale waits for it", w-4, "…"))
}

// unlessLookingUp runs act, which would record or reserve the sale, or
// first asks whether to go on without the customer whose loyalty card is
// still being looked up.
func (m *Model) unlessLookingUp(act func() tea.Cmd) tea.Cmd {
	card := m.sale.CustomerLookup()
	if card == "" {
		return act()
	}
	m.ask(fmt.Sprintf("Card %s not looked up yet: sell without the customer? y/n", card), func() tea.Cmd {
		if m.sale.CustomerLookup() == card {
			m.sale.SkipCustomer()
			m.log.Info("sale goes on without the customer being looked up", "sale", m.sale.Key(), "card", card)
		}
		return act()
	})
	return bell
}

func (m *Model) attach(c pos.Customer) tea.Cmd {
	if err := m.editable(); err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	do := func() tea.Cmd {
		if err := m.sale.Attach(c); err != nil {
			return m.reject(pos.ErrorMessage(err))
		}
		m.setStatus(fmt.Sprintf("customer %s attached (%d points)", c.Name, c.LoyaltyPoints), false)
		return nil
	}
	if cur := m.sale.Customer(); cur != nil && cur.ID != c.ID {
		// A second card replaces the first only if the cashier says so.
		m.ask(fmt.Sprintf("Replace customer %s (card %s) with %s (card %s)? y/n",
			cur.Name, cur.LoyaltyCard, c.Name, c.LoyaltyCard), func() tea.Cmd {
			if err := m.editable(); err != nil {
				return m.reject(pos.ErrorMessage(err))
			}
			return do()
		})
		return nil
	}
	return do()
}

func (m *Model) detach() tea.Cmd {
	if err := m.editable(); err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	c, err := m.sale.Detach()
	if err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	m.setStatus("customer "+c.Name+" detached", false)
	return nil
}

// setQuantity changes the selected line's piece count.
func (m *Model) setQuantity(input string) tea.Cmd {
	if err := m.editable(); err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	i := m.selected
	if i >= len(m.sale.Lines()) {
		return m.reject("no line selected")
	}
	l := m.sale.Lines()[i]
	if l.Weighed {
		return m.reject(l.Name + " is weighed: its weight comes from the scale label")
	}
	q, err := parseQuantity(input)
	if err == nil {
		err = m.sale.SetQuantity(i, q)
	}
	if err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	m.recompute()
	m.setStatus(fmt.Sprintf("%s: quantity %d", l.Name, q), false)
	m.coveredHint()
	return m.audit("change_quantity", fmt.Sprintf("%s %s: %d -> %d", l.Code, l.Name, l.Quantity, q))
}

// parseQuantity reads a quantity typed by the cashier.
func parseQuantity(s string) (int64, error) {
	if s == "" {
		return 0, pos.Errorf(pos.EInvalid, "type a quantity")
	}
	if len(s) > 4 {
		return 0, pos.Errorf(pos.EInvalid, "quantity %.8s… is more than the maximum of %d", s, pos.MaxQuantity)
	}
	q, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil || s[0] == '+' || s[0] == '-':
		return 0, pos.Errorf(pos.EInvalid, "%q is not a whole number", s)
	case q < 1:
		return 0, pos.Errorf(pos.EInvalid, "quantity must be at least 1 (void the line with %s)", "F8")
	}
	return q, nil
}

// voidLine removes the selected line and audits it.
func (m *Model) voidLine() tea.Cmd {
	if err := m.editable(); err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	l, err := m.sale.Void(m.selected)
	if err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	m.recompute()
	m.setStatus("voided "+l.Name+" "+m.quantity(l), false)
	m.coveredHint()
	amount, _ := l.Amount()
	return m.audit("void_line", fmt.Sprintf("%s %s %s %s", l.Code, l.Name, m.quantity(l), m.money(amount)))
}

// voidSale asks, then voids the whole sale: a recorded one is released in
// the database (refunding any card payment), an unrecorded one is dropped.
func (m *Model) voidSale() tea.Cmd {
	if !m.inProgress() {
		return m.reject("the sale is empty")
	}
	m.ask(fmt.Sprintf("Void the whole sale (%s, %s)? y/n", plural(len(m.sale.Lines()), "line"),
		m.money(m.sale.Totals().Total)), func() tea.Cmd {
		if m.voidNeedsManager() {
			return m.askVoidApproval()
		}
		if m.sale.Locked() {
			m.goTo(screenTender)
			m.setStatus("voiding the sale…", false)
			return m.release()
		}
		cmd := m.audit("void_sale", m.voidDetail(pos.Sale{}))
		m.newSale()
		m.goTo(screenBasket)
		m.setStatus("sale voided", false)
		return cmd
	})
	return nil
}

// release voids a recorded sale in the database, retrying while it is down.
func (m *Model) release() tea.Cmd {
	st, err := m.sale.Release(pos.SaleVoided)
	if err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	return m.runStep(st, 0)
}

// runStep runs a step of the sale protocol in a command; its result comes
// back as a stepMsg marked with attempt.
func (m *Model) runStep(st pos.Step, attempt int) tea.Cmd {
	if st.Kind == pos.StepNone {
		return nil
	}
	ctx := m.ctx
	if st.Kind == pos.StepSell {
		// Going offline stops this attempt (sellOffline), so that it
		// cannot commit later, with a later time, once the database is back.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(m.ctx)
		m.stopSelling()
		m.sellCancel = cancel
	}
	return func() tea.Msg { return stepMsg{attempt: attempt, result: st.Run(ctx)} }
}

// released handles the answer to a release: the sale voided, its basket
// open again under a new key (reopen), or found recorded after all.
func (m *Model) released(msg stepMsg, try *int) tea.Cmd {
	r := msg.result
	if r.Key != m.sale.Key() {
		return nil
	}
	reopening := m.sale.Stage() == pos.StageReopening
	doing := "voiding the sale"
	if reopening {
		doing = "giving back the reserved stock"
	}
	next := m.sale.Apply(r)
	if r.Err != nil {
		m.noteDB(r.Err)
		switch {
		case m.sale.Stage() == pos.StageCompleted:
			*try = 0
			return m.saleDone(m.sale.Completed(), "the sale was recorded before it could be voided")
		case next.Retry:
			*try++
			m.setStatus(fmt.Sprintf("%s: waiting for the database (%s); retrying in %s", doing, pos.ErrorMessage(r.Err), backoff(*try-1)), true)
			return m.retryAfter(*try, retryMsg{op: retryRelease, saleKey: r.Key})
		}
		cmd := m.fail(doing, r.Err)
		if m.sale.Recording() {
			// Back to recording the sale, which waits for the database.
			return tea.Batch(cmd, m.retryAfter(1, retryMsg{op: retryFinish, saleKey: r.Key}))
		}
		return cmd
	}
	*try = 0
	m.noteDB(nil)
	if reopening {
		m.goTo(screenBasket)
		m.setStatus("the basket can change again: no card paid, the reserved stock was given back", false)
		return m.auditKey(r.Key, "reopen_sale", fmt.Sprintf("reservation released (failed) to change the basket; the sale goes on as %s", m.sale.Key()))
	}
	cmd := m.audit("void_sale", m.voidDetail(r.Sale)+m.voidApproval(r.Key))
	m.newSale()
	m.goTo(screenBasket)
	m.setStatus("sale voided", false)
	return cmd
}

func (m *Model) retryAfter(try int, msg retryMsg) tea.Cmd {
	return m.after(backoff(try-1), msg)
}

// saleSummary describes the sale for the audit log, with the money handed
// back if any was taken.
func (m *Model) saleSummary() string { return m.voidDetail(pos.Sale{}) }

// voidDetail describes a voided sale for the audit log: its lines and
// total, the cash handed back and the cards refunded (brand, last 4 digits
// and amount only). released is the sale as the release returned it (its
// refunded cards), or the zero Sale when nothing was recorded.
func (m *Model) voidDetail(released pos.Sale) string {
	out := fmt.Sprintf("%s, total %s", plural(len(m.sale.Lines()), "line"), m.money(m.sale.Totals().Total))
	if cash := m.sale.CashGiven(); cash > 0 {
		out += "; cash handed back " + m.money(cash)
	}
	cards := m.sale.Cards()
	if released.Key != "" {
		cards = nil
		for _, p := range released.Payments {
			if p.Method == pos.MethodCard && p.Status == pos.PaymentRefunded {
				cards = append(cards, p)
			}
		}
	}
	for _, p := range cards {
		out += fmt.Sprintf("; card %s ••%s %s refunded", p.CardBrand, p.CardLast4, m.money(p.Amount))
	}
	return out
}

// quantity writes a line's quantity: "3" or "0.482 kg".
func (m *Model) quantity(l pos.Line) string {
	if l.Weighed {
		return fmt.Sprintf("%d.%03d kg", l.Quantity/1000, l.Quantity%1000)
	}
	return strconv.FormatInt(l.Quantity, 10)
}
