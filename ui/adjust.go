package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/till-pos/till/pos"
)

// A line's price (ctrl+o), a line's discount (ctrl+d) and a discount off
// the whole basket (ctrl+t) are typed into the basket's entry field. Within
// the till's limits (pos.Settings.PriceOverrideLimit, DiscountLimit) they
// apply at once; beyond them a manager approves on the approval screen,
// which every approval of the till goes through. Each is audited, naming
// the manager who approved it; the approval has its own audit row too,
// written by pos.Approver with both people.
//
// A weighed item scanned without a scale label asks for its weight, and
// an open-price item (catalogue price 0) for its price, up to
// pos.Settings.MaxPriceTyped.

// adjustment is a price or discount typed at the till, waiting for a
// manager or about to be applied.
type adjustment struct {
	kind    basketMode // basketPrice, basketLineDiscount or basketDiscount
	saleKey string
	line    int    // the line (not for a basket discount)
	code    string // its code, to tell it is still that line
	name    string
	price   pos.Money // basketPrice: the new unit price
	was     pos.Money // basketPrice: the price before; basketLineDiscount: the discount before
	disc    pos.Discount
	off     pos.Money // the discount's amount
}

// action is what a manager approves, as the screen and the audit say it.
func (a *adjustment) action(c pos.Currency) string {
	switch a.kind {
	case basketPrice:
		return fmt.Sprintf("price of %s %s → %s", a.name, c.Format(a.was), c.Format(a.price))
	case basketLineDiscount:
		return fmt.Sprintf("discount %s on %s", a.describe(c), a.name)
	}
	return "basket discount " + a.describe(c)
}

// describe writes the discount as typed, and a percentage's amount.
func (a *adjustment) describe(c pos.Currency) string {
	if a.disc.Percent > 0 {
		return fmt.Sprintf("%s (%s)", a.disc.Describe(c), c.Format(a.off))
	}
	return c.Format(a.off)
}

// verb is what Enter does in mode, for the help footer.
func (b basketMode) verb() string {
	switch b {
	case basketQuantity:
		return "set quantity"
	case basketPrice, basketOpenPrice:
		return "set price"
	case basketLineDiscount, basketDiscount:
		return "apply discount"
	case basketWeight:
		return "add"
	}
	return "ok"
}

// prompt is the entry line's question.
func (b *basketScreen) prompt(m *Model) string {
	var l pos.Line
	if m.selected < len(m.sale.Lines()) {
		l = m.sale.Lines()[m.selected]
	}
	name := ansi.Truncate(l.Name, 24, "…")
	switch b.mode {
	case basketQuantity:
		return "Quantity of " + name + " (now " + m.quantity(l) + ")"
	case basketPrice:
		unit := ""
		if l.Weighed {
			unit = "/kg"
		}
		return "New price of " + name + " (now " + m.money(l.UnitPrice) + unit + ")"
	case basketLineDiscount:
		return "Discount on " + name + " (amount or %)"
	case basketDiscount:
		return "Basket discount (amount or %; basket " + m.money(m.sale.BasketAmount()) + ")"
	case basketWeight:
		return "Weight of " + ansi.Truncate(b.item.Name, 24, "…") + " (g, or kg as 0.482)"
	case basketOpenPrice:
		return "Price of " + ansi.Truncate(b.item.Name, 24, "…") + " (up to " + m.money(m.set.MaxPriceTyped()) + ")"
	}
	return ""
}

// entryKey types into the entry field; Enter applies, Esc cancels.
func (b *basketScreen) entryKey(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.km.Enter):
		typed := b.entry.take()
		mode, item, qty := b.mode, b.item, b.itemQty
		b.leaveEntry()
		return b.apply(m, mode, typed, item, qty)
	case key.Matches(msg, m.km.Esc):
		if b.mode == basketWeight || b.mode == basketOpenPrice {
			m.setStatus(b.item.Name+" not added", false)
		}
		b.leaveEntry()
	default:
		if acc := b.entry.accept; msg.Text != "" && acc != nil && strings.IndexFunc(msg.Text, func(r rune) bool { return !acc(r) }) >= 0 {
			return m.badInput(fmt.Sprintf("%q is not taken here: type a number (Esc cancels)", msg.Text))
		}
		b.entry.key(msg)
	}
	return nil
}

// apply takes what was typed in mode.
func (b *basketScreen) apply(m *Model, mode basketMode, typed string, item pos.Item, qty int64) tea.Cmd {
	switch mode {
	case basketQuantity:
		if q, err := parseQuantity(typed); err == nil && q > m.maxQuantity() && m.selected < len(m.sale.Lines()) {
			l := m.sale.Lines()[m.selected]
			m.ask(fmt.Sprintf("Quantity %d of %s (%s)? That is more than %d. y/n", q, ansi.Truncate(l.Name, 24, "…"),
				m.money(pos.Money(q)*l.UnitPrice), m.maxQuantity()), func() tea.Cmd { return m.setQuantity(typed) })
			return nil
		}
		return m.setQuantity(typed)
	case basketWeight:
		g, err := pos.ParseWeight(typed)
		if err != nil {
			return b.retry(m, mode, item, qty, pos.ErrorMessage(err))
		}
		l, err := pos.WeighedLine(item, g)
		if err != nil {
			return b.retry(m, mode, item, qty, pos.ErrorMessage(err))
		}
		return m.addTyped(l, "weight_typed", fmt.Sprintf("%s %s: %d g typed (no scale label)", l.Code, l.Name, g))
	case basketOpenPrice:
		p, err := b.typedPrice(m, typed)
		if err != nil {
			return b.retry(m, mode, item, qty, pos.ErrorMessage(err))
		}
		l, err := pos.OpenPriceLine(item, p, qty)
		if err != nil {
			return b.retry(m, mode, item, qty, pos.ErrorMessage(err))
		}
		return m.addTyped(l, "open_price", fmt.Sprintf("%s %s: price %s typed ×%d", l.Code, l.Name, m.money(p), l.Quantity))
	}
	a, err := b.plan(m, mode, typed)
	if err != nil {
		return m.badInput(pos.ErrorMessage(err))
	}
	if b.needsApproval(m, a) {
		b.pending = a
		return m.askApproval(approvalAsk{purpose: approveAdjust, action: a.action(m.set.Currency), saleKey: a.saleKey, back: screenBasket})
	}
	return b.commit(m, a, nil)
}

// retry refuses a weight or price and asks again: the item is not lost.
func (b *basketScreen) retry(m *Model, mode basketMode, item pos.Item, qty int64, why string) tea.Cmd {
	b.enterMode(mode)
	b.item, b.itemQty = item, qty
	return m.badInput(why)
}

// typedPrice reads a price typed for a line: above 0, at most the till's
// largest typed price.
func (b *basketScreen) typedPrice(m *Model, typed string) (pos.Money, error) {
	p, err := parseAmount(m.set.Currency, typed)
	switch {
	case err != nil:
		return 0, pos.Errorf(pos.EInvalid, "%q is not a price", typed)
	case p <= 0:
		return 0, pos.Errorf(pos.EInvalid, "a price must be more than %s (a free line is a 100%% discount)", m.money(0))
	case p > m.set.MaxPriceTyped():
		return 0, pos.Errorf(pos.EInvalid, "%s is more than the most a price may be typed at (%s)", m.money(p), m.money(m.set.MaxPriceTyped()))
	}
	return p, nil
}

// plan turns a typed price or discount into the change it makes.
func (b *basketScreen) plan(m *Model, mode basketMode, typed string) (*adjustment, error) {
	if err := m.editable(); err != nil {
		return nil, err
	}
	a := &adjustment{kind: mode, saleKey: m.sale.Key(), line: m.selected}
	if mode == basketDiscount {
		d, err := pos.ParseDiscount(m.set.Currency, typed)
		if err != nil {
			return nil, err
		}
		if a.off, err = d.Of(m.sale.BasketAmount()); err != nil {
			return nil, pos.Errorf(pos.EInvalid, "a discount of %s is more than the basket's %s",
				m.money(d.Amount), m.money(m.sale.BasketAmount()))
		}
		a.disc = d
		return a, nil
	}
	if a.line >= len(m.sale.Lines()) {
		return nil, pos.Errorf(pos.EInvalid, "no line selected")
	}
	l := m.sale.Lines()[a.line]
	a.code, a.name = l.Code, l.Name
	if mode == basketPrice {
		p, err := b.typedPrice(m, typed)
		if err != nil {
			return nil, err
		}
		a.price, a.was = p, l.UnitPrice
		return a, nil
	}
	d, err := pos.ParseDiscount(m.set.Currency, typed)
	if err != nil {
		return nil, err
	}
	gross, err := l.Gross()
	if err != nil {
		return nil, err
	}
	if a.off, err = d.Of(gross); err != nil {
		return nil, pos.Errorf(pos.EInvalid, "a discount of %s is more than %s costs (%s)", m.money(d.Amount), l.Name, m.money(gross))
	}
	a.disc, a.was = d, l.Discount
	return a, nil
}

// needsApproval applies the till's limits: a price against the
// catalogue's, a line discount against the line, a basket discount (with
// the discounts already given) against the whole basket.
func (b *basketScreen) needsApproval(m *Model, a *adjustment) bool {
	switch a.kind {
	case basketPrice:
		list := a.was
		if it, ok := m.cat.lookup(a.code); ok {
			list = it.Price
		}
		return m.set.OverrideNeedsApproval(list, a.price)
	case basketLineDiscount:
		if a.disc.Percent > 0 {
			// The percentage typed, not the amount it rounds to: 10% of
			// 1.29 is 0.13, and a 10% limit allows it.
			return a.disc.Percent > m.set.DiscountLimit
		}
		l := m.sale.Lines()[a.line]
		gross, _ := l.Gross()
		return m.set.DiscountNeedsApproval(gross, a.off)
	}
	if a.disc.Percent > 0 && m.sale.Totals().Discount == 0 {
		return a.disc.Percent > m.set.DiscountLimit
	}
	var gross pos.Money
	for _, l := range m.sale.Lines() {
		g, _ := l.Gross()
		gross += g
	}
	return m.set.DiscountNeedsApproval(gross, m.sale.Totals().Discount+a.off)
}

// approved applies the change the manager approved, if the sale is still
// the one it was asked for.
func (b *basketScreen) approved(m *Model, msg approvedMsg) tea.Cmd {
	a := b.pending
	b.pending = nil
	if msg.purpose != approveAdjust || a == nil {
		return nil
	}
	mgr := msg.manager
	return b.commit(m, a, &mgr)
}

// commit applies a planned change and audits it (with the manager who
// approved it, if one did).
func (b *basketScreen) commit(m *Model, a *adjustment, manager *pos.Cashier) tea.Cmd {
	if a.saleKey != m.sale.Key() {
		return m.badInput("the sale changed meanwhile: " + a.action(m.set.Currency) + " was not applied")
	}
	if err := m.editable(); err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	if a.kind != basketDiscount && (a.line >= len(m.sale.Lines()) || m.sale.Lines()[a.line].Code != a.code) {
		return m.badInput("the line changed meanwhile: " + a.action(m.set.Currency) + " was not applied")
	}
	var action, detail string
	var err error
	switch a.kind {
	case basketPrice:
		err = m.sale.OverridePrice(a.line, a.price)
		action, detail = "price_override", fmt.Sprintf("%s %s: price %s -> %s", a.code, a.name, m.money(a.was), m.money(a.price))
	case basketLineDiscount:
		err = m.sale.SetDiscount(a.line, a.off)
		action, detail = "line_discount", fmt.Sprintf("%s %s: discount %s = %s (was %s)", a.code, a.name,
			a.disc.Describe(m.set.Currency), m.money(a.off), m.money(a.was))
	default:
		var shares []pos.Money
		shares, err = m.sale.DiscountBasket(a.off)
		action, detail = "basket_discount", fmt.Sprintf("basket discount %s = %s over %s %v", a.disc.Describe(m.set.Currency),
			m.money(a.off), plural(len(shares), "line"), shares)
	}
	if err != nil {
		return m.badInput(pos.ErrorMessage(err))
	}
	m.recompute()
	m.coveredHint()
	what := map[basketMode]string{basketPrice: "price of " + a.name + " now " + m.money(a.price),
		basketLineDiscount: "discount " + m.money(a.off) + " on " + a.name,
		basketDiscount:     "basket discount " + m.money(a.off)}[a.kind]
	if manager != nil {
		detail += fmt.Sprintf("; approved by manager %d (%s)", manager.ID, manager.Name)
		what += ", approved by " + manager.Name
	}
	m.setStatus(what+"; total "+m.money(m.sale.Totals().Total), false)
	return m.audit(action, detail)
}

// askItemEntry asks for the weight (basketWeight) or the price
// (basketOpenPrice) of an item scanned or found: nothing is added until
// it is typed; Esc or a scan drops it.
func (m *Model) askItemEntry(mode basketMode, item pos.Item, qty int64) tea.Cmd {
	if err := m.editable(); err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	b := m.basket()
	m.goTo(screenBasket)
	b.enterMode(mode)
	b.item, b.itemQty = item, qty
	if mode == basketWeight {
		m.setStatus(item.Name+" has no scale label: type its weight, or Esc", false)
	} else {
		m.setStatus(item.Name+" has no price: type it, or Esc", false)
	}
	return nil
}

// addTyped adds a line whose weight or price was typed, and audits it.
func (m *Model) addTyped(l pos.Line, action, detail string) tea.Cmd {
	if err := m.editable(); err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	if err := m.sale.Add(l); err != nil {
		return m.badInput(pos.ErrorMessage(err))
	}
	m.selected = len(m.sale.Lines()) - 1
	m.recompute()
	m.setStatus("added "+l.Name+" "+m.quantity(l), false)
	return m.audit(action, detail)
}

// basket is the basket screen.
func (m *Model) basket() *basketScreen { return m.screens[screenBasket].(*basketScreen) }
