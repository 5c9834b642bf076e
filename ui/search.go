package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/till-pos/till/pos"
)

// searchScreen finds an item by name, fuzzily, over the cached catalog:
// no database call, so it answers as fast as the cashier types.
type searchScreen struct {
	query    field
	results  []pos.Item
	selected int
}

const searchLimit = 12

func (s *searchScreen) enter(*Model) {
	s.query = field{max: 40}
	s.results, s.selected = nil, 0
}

func (s *searchScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch {
	case key.Matches(k, m.km.Esc):
		m.goTo(screenBasket)
	case key.Matches(k, m.km.Up):
		s.selected = max(s.selected-1, 0)
	case key.Matches(k, m.km.Down):
		s.selected = min(s.selected+1, max(len(s.results)-1, 0))
	case key.Matches(k, m.km.Enter):
		if len(s.results) == 0 {
			return m.reject("no item matches: type part of its name")
		}
		if err := m.editable(); err != nil {
			return m.reject(pos.ErrorMessage(err))
		}
		it := s.results[s.selected]
		m.goTo(screenBasket)
		return m.addLine(it, pos.Scan{Kind: pos.ScanItem, Code: it.Code, Quantity: 1})
	default:
		if s.query.key(k) {
			s.results = m.cat.search(s.query.String(), searchLimit)
			s.selected = 0
		}
	}
	return nil
}

func (s *searchScreen) view(m *Model, w, h int) string {
	out := []string{m.st.Title.Render("Find an item by name"),
		m.st.Prompt.Render("Name › ") + m.st.Field.Render(s.query.render(true)), ""}
	switch {
	case s.query.empty():
		out = append(out, m.st.Muted.Render(fmt.Sprintf("type part of a name: letters in order match (%s items cached)",
			fmt.Sprint(len(m.cat.items)))))
	case len(s.results) == 0:
		out = append(out, m.st.Muted.Render("no item matches"))
	}
	for i, it := range s.results[:min(len(s.results), max(h-4, 1))] {
		price := m.money(it.Price)
		if it.Weighed {
			price += "/kg"
		}
		r := " " + pad(ansi.Truncate(it.Name, w-30, "…"), w-30) + " " + lpad(price, 12) + "  " + it.Code
		if i == s.selected {
			r = m.st.Selected.Render(pad(r, w))
		}
		out = append(out, r)
	}
	return strings.Join(out, "\n")
}

func (s *searchScreen) bindings(m *Model) []key.Binding {
	return []key.Binding{with(m.km.Enter, "add item"), with(m.km.Up, "choose"), with(m.km.Esc, "back")}
}
