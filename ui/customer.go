package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/till-pos/till/pos"
)

// customerScreen looks customers up by phone, email, name or loyalty card
// (on the reader) and attaches one to the sale.
type customerScreen struct {
	query    field
	searched string // the query the results answer
	req      int    // the search in flight
	results  []pos.Customer
	selected int
}

func newCustomerScreen() *customerScreen { return &customerScreen{} }

const customerLimit = 10

func (c *customerScreen) enter(*Model) {
	c.query = field{max: 60}
	c.searched, c.req, c.results, c.selected = "", 0, nil, 0
}

func (c *customerScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case customersMsg:
		if msg.req != c.req {
			return nil // an older search
		}
		c.req = 0
		if msg.err != nil {
			return m.fail("find customers", msg.err)
		}
		m.noteDB(nil)
		c.results, c.selected = msg.found, 0
		m.setStatus(plural(len(msg.found), "customer")+" found", false)
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.km.Esc):
			m.goTo(screenBasket)
		case key.Matches(msg, m.km.Up):
			c.selected = max(c.selected-1, 0)
		case key.Matches(msg, m.km.Down):
			c.selected = min(c.selected+1, max(len(c.results)-1, 0))
		case key.Matches(msg, m.km.Detach):
			return m.detach()
		case key.Matches(msg, m.km.Enter):
			q := strings.TrimSpace(c.query.String())
			if q == c.searched && len(c.results) > 0 {
				cmd := m.attach(c.results[c.selected])
				if !m.status.err {
					m.goTo(screenBasket)
				}
				return cmd
			}
			return c.search(m, q)
		default:
			c.query.key(msg)
		}
	}
	return nil
}

func (c *customerScreen) search(m *Model, q string) tea.Cmd {
	if q == "" {
		return m.reject("type a phone number, email, name or loyalty card")
	}
	if m.deps.Customers == nil {
		return m.reject("customer lookup is not set up on this till")
	}
	c.req, c.searched = m.nextReq(), q
	m.setStatus("searching…", false)
	ctx, cs, req := m.ctx, m.deps.Customers, c.req
	return func() tea.Msg {
		found, err := cs.FindCustomers(ctx, q, customerLimit)
		return customersMsg{req: req, found: found, err: err}
	}
}

func (c *customerScreen) view(m *Model, w, h int) string {
	out := []string{m.st.Title.Render("Customer"), ""}
	if cur := m.sale.Customer(); cur != nil {
		out = append(out, fmt.Sprintf("Attached: %s · card %s · %d points", cur.Name, cur.LoyaltyCard, cur.LoyaltyPoints), "")
	}
	out = append(out, m.st.Prompt.Render("Phone, email, name or card › ")+m.st.Field.Render(c.query.render(true)), "")
	if c.req != 0 {
		out = append(out, m.st.Muted.Render("searching…"))
	} else if c.searched != "" && len(c.results) == 0 {
		out = append(out, m.st.Muted.Render("nobody matches "+c.searched))
	}
	for i, cu := range c.results[:min(len(c.results), max(h-len(out), 1))] {
		r := fmt.Sprintf(" %-24s %-15s %-13s %6d pts", ansi.Truncate(cu.Name, 24, "…"),
			ansi.Truncate(cu.Phone, 15, "…"), cu.LoyaltyCard, cu.LoyaltyPoints)
		if i == c.selected {
			r = m.st.Selected.Render(pad(r, w))
		}
		out = append(out, r)
	}
	return strings.Join(out, "\n")
}

func (c *customerScreen) bindings(m *Model) []key.Binding {
	enter := with(m.km.Enter, "search")
	if len(c.results) > 0 && strings.TrimSpace(c.query.String()) == c.searched {
		enter = with(m.km.Enter, "attach")
	}
	return []key.Binding{enter, with(m.km.Up, "choose"), m.km.Detach, with(m.km.Esc, "back")}
}
