package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/till-pos/till/pos"
)

// The office screen's views, one per state.

func (o *officeScreen) view(m *Model, w, h int) string {
	var body string
	switch o.state {
	case offMenu:
		body = o.menuView(m, w)
	case offCount:
		body = o.countView(m, w, h)
	case offAmount, offReason:
		body = o.moveView(m, w)
	case offReport:
		return o.reportView(m, w, h)
	default:
		body = m.st.Title.Render("Cash office") + "\n\n" + m.st.Muted.Render("working: "+o.op.String()+"…")
	}
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, m.st.Dialog.Render(body))
}

func (o *officeScreen) menuView(m *Model, w int) string {
	rows := []string{m.st.Title.Render("Cash office")}
	if o.till == tillOpen {
		rows = append(rows, m.st.Muted.Render(fmt.Sprintf("session %d · opened %s · float %s", o.session.ID,
			o.session.OpenedAt.In(m.clock().Location()).Format("15:04"), m.money(o.session.Float))))
	}
	rows = append(rows, "")
	for i, e := range m.officeMenu() {
		line := fmt.Sprintf("  %s  %s ", e.key.Help().Key, e.label)
		if i == o.sel { // marked without colour too (NO_COLOR)
			line = m.st.Selected.Render("›" + line[1:])
		}
		rows = append(rows, ansi.Truncate(line, max(w-6, 10), "…"))
	}
	return strings.Join(rows, "\n")
}

func (o *officeScreen) countView(m *Model, w, h int) string {
	title := "Count the float"
	if o.count == countClose {
		title = "Count the drawer for the Z"
	}
	denoms := pos.Denominations(m.set.Currency)
	label := func(text string, on bool) string {
		if on {
			return m.st.Prompt.Render("› " + text)
		}
		return m.st.Label.Render("  " + text)
	}
	all := []string{label(fmt.Sprintf("%-17s", "as a sum"), o.row == 0) + m.st.Field.Render(o.sum.render(o.row == 0))}
	for i, d := range denoms {
		f := o.counts[i]
		line := label(fmt.Sprintf("%10s  ×  ", m.money(d)), o.row == i+1) + m.st.Field.Render(pad(f.render(o.row == i+1), 6))
		if n, err := parseCount(f.String()); err == nil && n > 0 {
			line += m.st.Value.Render(lpad(m.money(d*pos.Money(n)), 12))
		}
		all = append(all, line)
	}
	// Only the rows that fit, around the one being typed.
	room := max(h-8, 3)
	first := min(max(o.row-room/2, 0), max(len(all)-room, 0))
	rows := []string{m.st.Title.Render(title), m.st.Muted.Render("a sum, or how many of each note and coin"), ""}
	rows = append(rows, all[first:min(first+room, len(all))]...)
	total := "—"
	if c, err := o.counted(m); err == nil {
		total = m.money(c.Total())
	}
	rows = append(rows, "", m.st.Total.Render("Counted "+total))
	return strings.Join(rows, "\n")
}

// parseCount reads a count typed in a row ("" is none).
func parseCount(s string) (int64, error) {
	var n int64
	_, err := fmt.Sscan(s, &n)
	return n, err
}

func (o *officeScreen) moveView(m *Model, w int) string {
	title := strings.ToUpper(o.kind.Label()[:1]) + o.kind.Label()[1:]
	rows := []string{m.st.Title.Render(title)}
	if o.kind != pos.MoveNoSale {
		rows = append(rows, "", m.st.Prompt.Render("Amount › ")+m.st.Field.Render(o.amount.render(o.state == offAmount)))
	}
	if o.state == offReason {
		rows = append(rows, "", m.st.Label.Render("Reason (↑↓ to choose, or type another):"))
		for i, r := range reasons(o.kind) {
			line := "  " + r + "  "
			if i == o.reasonSel && o.reason.empty() { // marked without colour too
				line = m.st.Selected.Render("› " + r + "  ")
			}
			rows = append(rows, line)
		}
		rows = append(rows, m.st.Prompt.Render("Other reason › ")+m.st.Field.Render(o.reason.render(true)))
		if o.kind.NeedsManager() {
			rows = append(rows, "", m.st.Muted.Render("A manager approves it when you press enter."))
		}
	}
	for i, r := range rows {
		rows[i] = ansi.Truncate(r, max(w-6, 10), "…")
	}
	return strings.Join(rows, "\n")
}

func (o *officeScreen) reportView(m *Model, w, h int) string {
	// What printing or saving said (where the report is saved, why it did
	// not print) is wrapped under the report, never cut: three lines at most.
	var note []string
	if o.note != "" {
		note = wrapWords(o.note, w)
		note = note[:min(len(note), 3)]
	}
	room := max(h-3-len(note), 1)
	o.scroll = min(o.scroll, max(len(o.lines)-room, 0))
	shown := o.lines[o.scroll:min(o.scroll+room, len(o.lines))]
	box := m.st.Panel.Render(strings.Join(shown, "\n"))
	rows := []string{lipgloss.PlaceHorizontal(w, lipgloss.Center, box),
		m.st.Muted.Render(fmt.Sprintf("lines %d–%d of %d", o.scroll+1, o.scroll+len(shown), len(o.lines)))}
	for _, l := range note {
		rows = append(rows, m.st.Muted.Render(l))
	}
	return strings.Join(rows, "\n")
}

// wrapWords breaks s into lines of at most w columns at spaces only, so a
// path stays whole on its line (a word longer than w is cut into pieces).
func wrapWords(s string, w int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for ansi.StringWidth(word) > w {
			if line != "" {
				lines, line = append(lines, line), ""
			}
			lines, word = append(lines, ansi.Truncate(word, w, "")), ansi.TruncateLeft(word, w, "")
		}
		switch {
		case line == "":
			line = word
		case ansi.StringWidth(line)+1+ansi.StringWidth(word) <= w:
			line += " " + word
		default:
			lines, line = append(lines, line), word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
