package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/till-pos/till/pos"
)

// basketScreen is the home screen. Its scan field has the keyboard whenever
// no dialog needs it: every printable key goes into the field and Enter
// adds what was typed or scanned, so a scan works at any moment.
type basketScreen struct {
	scan field
	// mode is what the keyboard types into: the scan field, or the entry
	// field for the selected line's quantity, price or discount, the
	// basket's discount, or the weight or price of the item just scanned.
	// The scan field comes back when the entry is applied or cancelled.
	mode  basketMode
	entry field
	// item is the weighed or open-price item whose weight or price is
	// asked (basketWeight, basketOpenPrice), itemQty the quantity typed
	// before its code ("3*").
	item    pos.Item
	itemQty int64
	// pending is a price or discount waiting for a manager's approval.
	pending *adjustment
}

// basketMode is what the basket screen's keyboard types into.
type basketMode int

const (
	basketScan         basketMode = iota // the scan field
	basketQuantity                       // the selected line's quantity (F2)
	basketPrice                          // the selected line's new price
	basketLineDiscount                   // the selected line's discount (amount or %)
	basketDiscount                       // a discount off the whole basket (amount or %)
	basketWeight                         // the weight of a weighed item scanned without a scale label
	basketOpenPrice                      // the price of an open-price item
	basketParking                        // the basket is being parked: keys wait
)

// entering reports whether the entry field has the keyboard.
func (b basketMode) entering() bool { return b != basketScan && b != basketParking }

func newBasket() *basketScreen {
	return &basketScreen{scan: field{max: 64}, entry: field{max: 12}}
}

// enterMode gives the entry field the keyboard for mode.
func (b *basketScreen) enterMode(mode basketMode) {
	b.mode = mode
	b.entry.reset()
	switch mode {
	case basketQuantity:
		b.entry.accept, b.entry.max = digitsOnly, 6
	case basketLineDiscount, basketDiscount:
		b.entry.accept, b.entry.max = discountChars, 10
	default:
		b.entry.accept, b.entry.max = amountChars, 10
	}
}

// leaveEntry gives the keyboard back to the scan field.
func (b *basketScreen) leaveEntry() {
	b.mode = basketScan
	b.entry.reset()
	b.item, b.itemQty = pos.Item{}, 0
}

func discountChars(r rune) bool { return amountChars(r) || r == '%' }

func (b *basketScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		// A scanner in paste mode, or a list of codes: one scan a line,
		// never a price, discount or weight being typed.
		if b.mode == basketParking {
			return m.badInput("the basket is being parked: paste it again in a moment")
		}
		if b.mode.entering() {
			b.leaveEntry()
		}
		var cmds []tea.Cmd
		for _, l := range strings.FieldsFunc(msg.Content, func(r rune) bool { return r == '\n' || r == '\r' }) {
			cmds = append(cmds, m.scanInput(l))
		}
		return tea.Batch(cmds...)
	case tea.KeyPressMsg:
		switch {
		case b.mode == basketParking:
			return m.badInput("parking the basket: wait a moment")
		case b.mode.entering():
			return b.entryKey(m, msg)
		}
		return b.key(m, msg)
	case approvedMsg:
		return b.approved(m, msg)
	case approvalCancelledMsg:
		if b.pending != nil {
			m.log.Info("not approved", "action", b.pending.action(m.set.Currency))
			b.pending = nil
		}
	case parkedMsg:
		return b.parked(m, msg)
	case parkedTicketMsg:
		return m.parkedTicket(msg)
	}
	return nil
}

func (b *basketScreen) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	km := m.km
	switch {
	case key.Matches(msg, km.Enter):
		if b.scan.empty() {
			return nil
		}
		return m.scanInput(b.scan.take())
	case key.Matches(msg, km.Esc):
		b.scan.reset()
	case key.Matches(msg, km.Up):
		m.selected = max(m.selected-1, 0)
	case key.Matches(msg, km.Down):
		m.selected = min(m.selected+1, max(len(m.sale.Lines())-1, 0))
	case key.Matches(msg, km.Quantity):
		return b.openEntry(m, basketQuantity)
	case key.Matches(msg, km.Price):
		return b.openEntry(m, basketPrice)
	case key.Matches(msg, km.LineDiscount):
		return b.openEntry(m, basketLineDiscount)
	case key.Matches(msg, km.BasketDiscount):
		return b.openEntry(m, basketDiscount)
	case key.Matches(msg, km.Park):
		if !m.inProgress() {
			return m.openParkedList()
		}
		return b.park(m)
	case key.Matches(msg, km.Reprint):
		return m.reprintLast()
	case key.Matches(msg, km.Search):
		m.goTo(screenSearch)
	case key.Matches(msg, km.Customer) && m.offline():
		return m.badInput("the till is offline: customers cannot be looked up until the database is back")
	case key.Matches(msg, km.Customer):
		m.goTo(screenCustomer)
	case key.Matches(msg, km.Pay):
		return m.toTender()
	case key.Matches(msg, km.VoidLine):
		return m.voidLine()
	case key.Matches(msg, km.VoidSale):
		return m.voidSale()
	case key.Matches(msg, km.SignOut):
		return m.signOut()
	case key.Matches(msg, km.ReturnSale):
		return m.startReturn(returnStartMsg{mode: modeReceipt, number: true})
	case key.Matches(msg, km.ReturnNoReceipt):
		return m.startReturn(returnStartMsg{mode: modeNoReceipt})
	case key.Matches(msg, km.Office):
		return m.openOffice()
	default:
		b.scan.key(msg)
	}
	return nil
}

// openEntry asks for the selected line's quantity, price or discount, or
// the basket's discount, once the sale can change.
func (b *basketScreen) openEntry(m *Model, mode basketMode) tea.Cmd {
	if err := m.editable(); err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	if len(m.sale.Lines()) == 0 {
		if mode == basketDiscount {
			return m.badInput("the basket is empty: nothing to discount")
		}
		return m.reject("no line selected")
	}
	if l := m.sale.Lines()[m.selected]; mode == basketQuantity && l.Weighed {
		return m.reject(l.Name + " is weighed: its weight comes from the scale label, or void it and type the weight")
	}
	b.enterMode(mode)
	return nil
}

// scanned takes a scanner burst: it closes any entry open (the scan is not
// a quantity, price, discount or weight: what was typed there is dropped)
// and is read after what was typed in the scan field, so a typed "3*"
// still counts.
func (b *basketScreen) scanned(m *Model, code string) tea.Cmd {
	if b.mode == basketParking {
		return m.badInput(fmt.Sprintf("scanned %s: the basket is being parked: scan it again in a moment", code))
	}
	if b.mode.entering() {
		m.log.Info("entry closed by a scan", "mode", b.mode, "typed", b.entry.String())
		b.leaveEntry()
	}
	return m.scanInput(b.scan.take() + code)
}

// scanInput is what the basket field hands in: a quantity prefix above the
// till's limit ("4030*code") is asked about before it is sold.
func (m *Model) scanInput(input string) tea.Cmd {
	sc, err := m.set.Scan.Parse(input)
	if err != nil || sc.Kind != pos.ScanItem || !sc.Explicit || sc.Quantity <= m.maxQuantity() {
		return m.scan(input)
	}
	what := sc.Code
	if it, ok := m.cat.lookup(sc.Code); ok {
		what = fmt.Sprintf("%s (%s)", ansi.Truncate(it.Name, 24, "…"), m.money(pos.Money(sc.Quantity)*it.Price))
	}
	m.ask(fmt.Sprintf("Sell %d of %s? That is more than %d. y/n", sc.Quantity, what, m.maxQuantity()),
		func() tea.Cmd { return m.scan(input) })
	return nil
}

// maxQuantity is the largest quantity taken without asking.
func (m *Model) maxQuantity() int64 {
	if m.deps.MaxQuantityUnconfirmed > 0 {
		return m.deps.MaxQuantityUnconfirmed
	}
	return defaultMaxQuantityUnconfirmed
}

// defaultMaxQuantityUnconfirmed: 4030 pens went in from a mistyped
// quantity; a basket of more than 50 of one thing is rare enough to ask.
const defaultMaxQuantityUnconfirmed = 50

func (b *basketScreen) bindings(m *Model) []key.Binding {
	switch {
	case b.mode == basketParking:
		return []key.Binding{m.km.Quit}
	case b.mode.entering():
		return []key.Binding{with(m.km.Enter, b.mode.verb()), with(m.km.Esc, "cancel")}
	}
	out := []key.Binding{m.km.Pay, m.km.Quantity, m.km.Search, m.km.Customer, m.km.VoidLine,
		m.km.VoidSale, m.km.SignOut, with(m.km.Up, "line"), m.km.Quit}
	if m.inProgress() {
		out = append(out, m.km.Price, m.km.LineDiscount, m.km.BasketDiscount)
		if m.deps.Parked != nil {
			out = append(out, m.km.Park)
		}
		return out
	}
	if m.deps.Returns != nil {
		// A return starts from an empty basket.
		out = append(out, m.km.ReturnSale, m.km.ReturnNoReceipt)
	}
	if m.deps.Parked != nil {
		out = append(out, with(m.km.Park, "parked baskets"))
	}
	if m.deps.ReceiptCopies != nil && m.lastSale != nil {
		out = append(out, with(m.km.Reprint, "reprint last (COPY)"))
	}
	if m.deps.CashOffice != nil && !m.inProgress() {
		out = append(out, m.km.Office) // the cash office opens from an empty basket
	}
	return out
}

func (b *basketScreen) view(m *Model, w, h int) string {
	prompt := m.st.Prompt.Render("Scan › ") + m.st.Field.Render(b.scan.render(true))
	switch {
	case b.mode == basketParking:
		prompt = m.st.Prompt.Render("Parking the basket…")
	case b.mode.entering():
		prompt = m.st.Prompt.Render(b.prompt(m)+" › ") + m.st.Field.Render(b.entry.render(true))
	}
	if m.tillNotOpened() {
		// Selling goes on (the next Z lists it); the banner asks for a float.
		banner := m.st.Banner.Render(pad(ansi.Truncate(" Till not opened — "+m.km.Office.Help().Key+
			" to count the float", w, "…"), w))
		return banner + "\n" + m.basketBody(w, h-2) + "\n" + ansi.Truncate(prompt, w, "…")
	}
	return m.basketBody(w, h-1) + "\n" + ansi.Truncate(prompt, w, "…")
}

// panelWidth is the width of the customer and totals column.
const panelWidth = 26

// basketBody draws the lines table beside the customer and totals panels;
// other screens reuse it so the basket stays in view.
func (m *Model) basketBody(w, h int) string {
	// The body changes only when the sale does, not on every key typed
	// into the scan field: it is drawn again only then.
	t := m.sale.Totals()
	memo := bodyKey{w: w, h: h, key: m.sale.Key(), lines: len(m.sale.Lines()), sel: m.selected,
		items: t.Items, total: t.Total, discount: t.Discount, paid: m.sale.CardPaid() + m.sale.CashGiven(), customer: m.sale.Customer()}
	if m.bodyMemo.key == memo && m.bodyMemo.out != "" {
		return m.bodyMemo.out
	}
	m.bodyMemo.key, m.bodyMemo.out = memo, m.drawBasketBody(w, h)
	return m.bodyMemo.out
}

// bodyKey is everything the basket body shows.
type bodyKey struct {
	w, h, lines, sel int
	key              string
	items            int64
	total, paid      pos.Money
	discount         pos.Money
	customer         *pos.Customer
}

func (m *Model) drawBasketBody(w, h int) string {
	pw := panelWidth
	if w < 60 {
		pw = 0 // too narrow for two columns: totals go under the lines
	}
	side := ""
	if pw > 0 {
		side = m.customerPanel(pw) + "\n" + m.totalsPanel(pw)
		if lipgloss.Height(side) > h {
			side = m.totalsPanel(pw) // the TOTAL before the customer
		}
	}
	lh := h
	if pw == 0 {
		side = m.totalsPanel(w)
		lh = h - lipgloss.Height(side)
	}
	table := m.linesTable(w-pw-1, max(lh, 2))
	if pw == 0 {
		return table + "\n" + side
	}
	// Never taller than h: the scan line under the body stays in view.
	return fit(lipgloss.JoinHorizontal(lipgloss.Top, fit(table, w-pw-1, h), " ", side), w, h)
}

// linesTable shows the lines around the selected one: only what fits is
// rendered, so a long basket costs no more to draw than a short one.
func (m *Model) linesTable(w, h int) string {
	const qtyW, unitW, totW = 8, 10, 10
	nameW := max(w-qtyW-unitW-totW-5, 8)
	row := func(mark, name, qty, unit, total string) string {
		return mark + " " + pad(ansi.Truncate(name, nameW, "…"), nameW) + " " +
			lpad(qty, qtyW) + " " + lpad(unit, unitW) + " " + lpad(total, totW)
	}
	lines := m.sale.Lines()
	out := make([]string, 0, h)
	out = append(out, m.st.Label.Render(row(" ", "Item", "Qty", "Price", "Amount")))
	if len(lines) == 0 {
		out = append(out, "", m.st.Muted.Render("  Scan or type a code, then Enter. 3*code for three."),
			m.st.Muted.Render("  "+m.km.Search.Help().Key+" finds an item by name."))
		return strings.Join(out, "\n")
	}
	rows := h - 1 // under the heading
	first, overflow := 0, len(lines) > rows
	if overflow {
		rows = max(rows-1, 1) // one row says how many are hidden
		// The window of rows is placed after that row is taken, so the
		// selected line (the newest, after a scan) is always in it.
		first = min(max(m.selected-rows/2, 0), len(lines)-rows)
	}
	for i := first; i < len(lines) && i < first+rows; i++ {
		l := lines[i]
		unit := m.money(l.UnitPrice)
		if l.Weighed {
			unit += "/kg"
		}
		name := l.Name
		if l.PriceOverridden {
			unit = "*" + unit // a price set at the till
		}
		if l.Discount > 0 {
			// Before the name, which the narrow column cuts.
			name = "−" + m.money(l.Discount) + " " + name
		}
		amount := ""
		if i < len(m.sale.Totals().Lines) {
			amount = m.money(m.sale.Totals().Lines[i].Gross)
		}
		if i == m.selected {
			out = append(out, m.st.Selected.Render(pad(row("›", name, m.quantity(l), unit, amount), w)))
			continue
		}
		out = append(out, row(" ", name, m.quantity(l), unit, amount))
	}
	if overflow {
		out = append(out, m.st.Muted.Render(fmt.Sprintf("  %d lines · %d–%d shown · ↑↓ to move",
			len(lines), first+1, min(first+rows, len(lines)))))
	}
	return strings.Join(out, "\n")
}

func (m *Model) customerPanel(w int) string {
	var body string
	if c := m.sale.Customer(); c != nil {
		body = m.st.Value.Render(ansi.Truncate(c.Name, w-4, "…")) + "\n" +
			m.st.Label.Render(ansi.Truncate("card "+c.LoyaltyCard, w-4, "…")) + "\n" +
			m.st.Label.Render(fmt.Sprintf("%d points", c.LoyaltyPoints))
	} else {
		body = m.st.Muted.Render("no customer") + "\n" + m.st.Muted.Render(ansi.Truncate("scan a loyalty card", w-4, "…")) +
			"\n" + m.st.Muted.Render(ansi.Truncate("or "+m.km.Customer.Help().Key+" to look up", w-4, "…"))
	}
	body = m.withLookup(body, w)
	return m.st.Panel.Width(w).Render(m.st.Title.Render("Customer") + "\n" + body)
}

func (m *Model) totalsPanel(w int) string {
	t := m.sale.Totals()
	iw := w - 4
	kv := func(k, v string, st lipgloss.Style) string {
		return m.st.Label.Render(k) + st.Render(lpad(v, iw-lipgloss.Width(k)))
	}
	rows := []string{
		kv("Items", fmt.Sprint(t.Items), m.st.Value),
		// The receipt's "Subtotal before tax", in the panel's 22 columns: a
		// bare "Subtotal" read as what the customer pays so far.
		kv("Before tax", m.money(t.Subtotal), m.st.Value),
		kv("Tax", m.money(t.Tax), m.st.Value),
		kv("TOTAL", m.money(t.Total), m.st.Total),
	}
	if paid := m.sale.CardPaid() + m.sale.CashGiven(); paid > 0 {
		rows = append(rows, kv("Paid", m.money(paid), m.st.Value), kv("Due", m.money(max(m.sale.Owed(), 0)), m.st.Total))
	}
	return m.st.Panel.Width(w).Render(strings.Join(rows, "\n"))
}

// lpad right-aligns s in width w.
func lpad(s string, w int) string {
	if d := w - lipgloss.Width(s); d > 0 {
		return strings.Repeat(" ", d) + s
	}
	return s
}
