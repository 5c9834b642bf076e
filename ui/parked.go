package ui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/till-pos/till/pos"
)

// Parking (ctrl+p on a basket with lines) stores the basket in the
// database without taking stock (pos.ParkedStore) and opens a new sale;
// its ticket number (PK and digits) is on screen. A basket that may be in
// the database (reserved, cash or a card in flight) or waits for a loyalty
// card lookup is never parked. On an empty basket ctrl+p lists the store's
// parked baskets; Enter resumes the one selected, and scanning (or typing)
// a ticket's code on the empty basket resumes it too. Resuming is
// exactly-once across the store's tills (the store decides) and opens a
// new sale under a new key, at the catalogue's prices now except the
// prices set at the till (pos.ResumeLines); it goes on from Reserve like
// any other sale.

// ParkedTickets prints a parked basket's ticket (its number and barcode,
// to scan when it is resumed) through the receipt path; nil: no ticket is
// printed and the number on screen is what the customer is told.
type ParkedTickets interface {
	PrintParked(ctx context.Context, p pos.ParkedBasket) error
}

// parkedTicketMsg answers the printing of a parked basket's ticket.
type parkedTicketMsg struct {
	ticket string
	err    error
}

// parkedMsg answers a park.
type parkedMsg struct {
	saleKey string
	basket  pos.ParkedBasket
	err     error
}

// parkedOpenMsg shows the parked baskets' list; number (if not 0) is a
// ticket scanned, resumed at once.
type parkedOpenMsg struct{ number int64 }

// parkedListMsg answers the list of parked baskets.
type parkedListMsg struct {
	req  int
	list []pos.ParkedBasket
	err  error
}

// resumedMsg answers a resume.
type resumedMsg struct {
	req    int
	key    string
	basket pos.ParkedBasket
	err    error
}

// park stores the basket, if it may be parked.
func (b *basketScreen) park(m *Model) tea.Cmd {
	if m.deps.Parked == nil {
		return m.badInput("parking is not set up on this till")
	}
	p, err := m.sale.Parkable(func(code string) pos.Money {
		it, _ := m.cat.lookup(code)
		return it.Price
	})
	if err != nil {
		return m.badInput(pos.ErrorMessage(err))
	}
	b.mode = basketParking
	m.setStatus("parking the basket…", false)
	ctx, store := m.ctx, m.deps.Parked
	return func() tea.Msg {
		got, err := store.Park(ctx, p)
		return parkedMsg{saleKey: p.Key, basket: got, err: err}
	}
}

// parked ends a park: the basket is stored and a new sale opens, or it
// stays at the till and says why.
func (b *basketScreen) parked(m *Model, msg parkedMsg) tea.Cmd {
	if b.mode != basketParking || msg.saleKey != m.sale.Key() {
		return nil
	}
	b.mode = basketScan
	if msg.err != nil {
		cmd := m.fail("park the basket", msg.err)
		m.setStatus("not parked: "+pos.ErrorMessage(msg.err)+"; the basket is still here", true)
		return cmd
	}
	m.noteDB(nil)
	p := msg.basket
	m.log.Info("basket parked", "ticket", pos.ParkedCode(p.Number), "sale", p.Key, "lines", len(p.Lines))
	m.newSale()
	m.setStatus(fmt.Sprintf("parked as ticket %s (%s, %s): %s or its scan resumes it",
		pos.ParkedCode(p.Number), plural(len(p.Lines), "line"), m.money(p.Total), m.km.Park.Help().Key), false)
	if m.deps.ParkedTickets == nil {
		return nil
	}
	ctx, tickets := m.ctx, m.deps.ParkedTickets
	return func() tea.Msg {
		return parkedTicketMsg{ticket: pos.ParkedCode(p.Number), err: tickets.PrintParked(ctx, p)}
	}
}

// parkedTicket says when a parked basket's ticket did not print: the
// basket is parked all the same, and its number resumes it.
func (m *Model) parkedTicket(msg parkedTicketMsg) tea.Cmd {
	if msg.err == nil {
		m.log.Info("parked ticket printed", "ticket", msg.ticket)
		return nil
	}
	m.log.Warn("parked ticket not printed", "ticket", msg.ticket, "err", msg.err)
	m.setStatus(fmt.Sprintf("ticket %s is parked, but its ticket did not print: %s", msg.ticket, pos.ErrorMessage(msg.err)), true)
	return nil
}

// openParkedList shows the store's parked baskets, from an empty basket.
func (m *Model) openParkedList() tea.Cmd {
	if m.deps.Parked == nil {
		return m.badInput("parking is not set up on this till")
	}
	if m.inProgress() {
		return m.badInput("finish, park or void this sale before resuming another")
	}
	return m.show(screenParked, parkedOpenMsg{})
}

// resumeScanned resumes the parked basket whose ticket was scanned.
func (m *Model) resumeScanned(number int64) tea.Cmd {
	if m.deps.Parked == nil {
		return m.badInput("parking is not set up on this till")
	}
	if m.inProgress() {
		return m.badInput(fmt.Sprintf("scanned parked ticket %s: finish, park or void this sale first", pos.ParkedCode(number)))
	}
	return m.show(screenParked, parkedOpenMsg{number: number})
}

// parkedScreen lists the parked baskets and resumes one.
type parkedScreen struct {
	state parkedState
	list  []pos.ParkedBasket
	sel   int
	req   int
	// number is the ticket being resumed, key the sale key it resumes
	// as: asking again after no answer uses the same key, so the store
	// answers the first resumption again rather than refuse it.
	number int64
	key    string
	// keep leaves the status as it is when the list comes: it says why
	// the resume was refused.
	keep bool
}

// parkedState is what the parked list waits for.
type parkedState int

const (
	parkedLoading  parkedState = iota // the list is being read
	parkedListing                     // the list is shown
	parkedResuming                    // a resume is in flight: keys wait, the till does not stop
)

func (p *parkedScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case parkedOpenMsg:
		p.list, p.sel, p.keep = nil, 0, false
		if msg.number != 0 {
			return p.resume(m, msg.number)
		}
		return p.load(m)
	case parkedListMsg:
		if msg.req != p.req || p.state != parkedLoading {
			return nil
		}
		p.state = parkedListing
		if msg.err != nil {
			return m.fail("list the parked baskets", msg.err)
		}
		m.noteDB(nil)
		p.list, p.sel = msg.list, 0
		if p.keep {
			p.keep = false
			return nil
		}
		if len(p.list) == 0 {
			m.setStatus("no basket is parked at this store", false)
		} else {
			m.setStatus(plural(len(p.list), "basket")+" parked at this store", false)
		}
	case resumedMsg:
		return p.resumed(m, msg)
	case tea.KeyPressMsg:
		if p.state == parkedResuming {
			return m.badInput("resuming the basket: wait a moment")
		}
		switch {
		case key.Matches(msg, m.km.Esc):
			m.goTo(screenBasket)
			m.setStatus("", false)
		case key.Matches(msg, m.km.Up):
			p.sel = max(p.sel-1, 0)
		case key.Matches(msg, m.km.Down):
			p.sel = min(p.sel+1, max(len(p.list)-1, 0))
		case key.Matches(msg, m.km.Enter):
			if p.state != parkedListing || len(p.list) == 0 {
				return m.badInput("no parked basket selected")
			}
			return p.resume(m, p.list[p.sel].Number)
		case msg.Text != "":
			return m.badInput("scan the parked ticket, or choose it with ↑↓ and Enter")
		}
	}
	return nil
}

// scanned resumes a parked ticket scanned on the list; anything else is
// refused.
func (p *parkedScreen) scanned(m *Model, code string) tea.Cmd {
	n, ok := pos.ParseParkedCode(code)
	switch {
	case p.state == parkedResuming:
		return m.badInput(fmt.Sprintf("scanned %s: a basket is being resumed: wait a moment", code))
	case !ok:
		return m.badInput(fmt.Sprintf("scanned %s: not a parked ticket (Esc goes back to the basket)", code))
	}
	return p.resume(m, n)
}

func (p *parkedScreen) load(m *Model) tea.Cmd {
	p.state, p.req = parkedLoading, m.nextReq()
	m.setStatus("reading the parked baskets…", false)
	ctx, store, storeID, req := m.ctx, m.deps.Parked, m.set.StoreID, p.req
	return func() tea.Msg {
		list, err := store.ParkedBaskets(ctx, storeID)
		return parkedListMsg{req: req, list: list, err: err}
	}
}

func (p *parkedScreen) resume(m *Model, number int64) tea.Cmd {
	if p.number != number || p.key == "" {
		p.number, p.key = number, pos.NewKey()
	}
	p.state, p.req = parkedResuming, m.nextReq()
	m.setStatus("resuming parked ticket "+pos.ParkedCode(number)+"…", false)
	var cashier int64
	if m.cashier != nil {
		cashier = m.cashier.ID
	}
	ctx, store, storeID, req := m.ctx, m.deps.Parked, m.set.StoreID, p.req
	r := pos.Resumption{TillID: m.set.TillID, CashierID: cashier, SaleKey: p.key}
	return func() tea.Msg {
		got, err := store.Resume(ctx, storeID, number, r)
		return resumedMsg{req: req, key: r.SaleKey, basket: got, err: err}
	}
}

// resumed opens the resumed basket as the sale at this till.
func (p *parkedScreen) resumed(m *Model, msg resumedMsg) tea.Cmd {
	if msg.req != p.req || p.state != parkedResuming {
		return nil
	}
	if msg.err != nil {
		cmd := m.fail("resume "+pos.ParkedCode(p.number), msg.err)
		if pos.ErrorCode(msg.err) != pos.EUnavailable {
			p.number, p.key = 0, "" // refused: nothing to ask again
		} else {
			// It may have been resumed: the same key asks again.
			m.setStatus(pos.ParkedCode(p.number)+" not resumed yet: "+pos.ErrorMessage(msg.err)+"; scan it again", true)
		}
		return tea.Batch(cmd, p.reload(m))
	}
	p.number, p.key, p.state, p.list = 0, "", parkedListing, nil
	m.noteDB(nil)
	lines, notes := pos.ResumeLines(msg.basket, m.cat.lookup)
	var cashier int64
	if m.cashier != nil {
		cashier = m.cashier.ID
	}
	sale, err := m.deps.Checkout.Resume(cashier, msg.key, lines, msg.basket.Customer)
	if err != nil {
		// Resumed in the database but not sellable: said, logged and audited.
		m.log.Error("resumed basket cannot be opened", "ticket", pos.ParkedCode(msg.basket.Number), "err", err)
		p.state = parkedListing
		return tea.Batch(m.fail("open the resumed basket", err),
			m.auditKey(msg.key, "resume_failed", pos.ParkedCode(msg.basket.Number)+": "+pos.ErrorMessage(err)))
	}
	m.sale, m.selected = sale, 0
	m.goTo(screenBasket)
	text := fmt.Sprintf("resumed ticket %s: %s, %s", pos.ParkedCode(msg.basket.Number), plural(len(lines), "line"),
		m.money(sale.Totals().Total))
	if len(notes) > 0 {
		m.log.Info("resumed with changes", "ticket", pos.ParkedCode(msg.basket.Number), "notes", notes)
		text += " · " + strings.Join(notes, "; ")
	}
	m.setStatus(text, len(notes) > 0)
	return nil
}

// reload shows the list again after a refused resume (another till got it).
func (p *parkedScreen) reload(m *Model) tea.Cmd {
	status := m.status
	cmd := p.load(m)
	m.status, p.keep = status, true
	return cmd
}

func (p *parkedScreen) view(m *Model, w, h int) string {
	rows := []string{m.st.Title.Render("Parked baskets at this store")}
	switch {
	case p.state == parkedLoading:
		rows = append(rows, "", m.st.Muted.Render("reading…"))
	case p.state == parkedResuming:
		rows = append(rows, "", m.st.Prompt.Render("resuming "+pos.ParkedCode(p.number)+"…"))
	case len(p.list) == 0:
		rows = append(rows, "", m.st.Muted.Render("none parked"))
	default:
		rows = append(rows, m.st.Label.Render(fmt.Sprintf("  %-9s %-6s %5s %10s  %-8s %s", "Ticket", "Time", "Lines", "Total", "Till", "Customer")))
		first := min(max(p.sel-(h-4)/2, 0), max(len(p.list)-(h-3), 0))
		for i := first; i < len(p.list) && len(rows) < h-1; i++ {
			b := p.list[i]
			cust := ""
			if b.Customer != nil {
				cust = b.Customer.Name
			}
			at := b.ParkedAt
			if m.deps.Location != nil {
				at = at.In(m.deps.Location)
			}
			row := fmt.Sprintf("%s %-9s %-6s %5d %10s  %-8s %s", " ", pos.ParkedCode(b.Number), at.Format("15:04"),
				len(b.Lines), m.money(b.Total), ansi.Truncate(b.TillID, 8, "…"), cust)
			if i == p.sel {
				rows = append(rows, m.st.Selected.Render(pad("›"+row[1:], w)))
				continue
			}
			rows = append(rows, row)
		}
	}
	return strings.Join(rows, "\n")
}

func (p *parkedScreen) bindings(m *Model) []key.Binding {
	if p.state == parkedResuming {
		return []key.Binding{m.km.Quit}
	}
	return []key.Binding{with(m.km.Enter, "resume"), with(m.km.Up, "basket"), with(m.km.Esc, "back"), m.km.Quit}
}

// parking reports whether a basket is being parked or resumed: the till
// does not stop until the answer is in.
func (m *Model) parking() bool {
	return m.basket().mode == basketParking || m.screens[screenParked].(*parkedScreen).state == parkedResuming
}
