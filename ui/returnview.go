package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/till-pos/till/pos"
)

// The return screen's views, one per group of states, and its keys.

func (r *returnScreen) view(m *Model, w, h int) string {
	switch r.state {
	case retNumber, retOpening:
		return r.numberView(m, w, h)
	case retChoosing:
		return r.chooseView(m, w, h)
	case retDone:
		return r.doneView(m, w, h)
	}
	return r.progressView(m, w, h)
}

func (r *returnScreen) numberView(m *Model, w, h int) string {
	rows := []string{m.st.Title.Render("Return"), ""}
	if r.state == retOpening {
		rows = append(rows, m.st.Muted.Render("opening the sale…"))
	} else {
		rows = append(rows, m.st.Prompt.Render("Sale number › ")+m.st.Field.Render(r.field.render(true)), "",
			m.st.Muted.Render("the number on the receipt, or scan its barcode"))
	}
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, m.st.Dialog.Render(strings.Join(rows, "\n")))
}

// The return table's columns, beside the item's name.
const (
	rcSold, rcLeft, rcPrice, rcBack, rcReason, rcStock, rcRefund = 6, 6, 9, 6, 12, 3, 8
)

func (r *returnScreen) chooseView(m *Model, w, h int) string {
	title := "Return without a receipt · cash at the catalogue price"
	if r.mode == modeReceipt {
		s := r.src.Sale
		when := s.CompletedAt
		if m.deps.Location != nil {
			when = when.In(m.deps.Location)
		}
		title = fmt.Sprintf("Return from sale %d · %s", s.ID, when.Format("2 Jan 15:04"))
		if s.CustomerID != 0 {
			title += fmt.Sprintf(" · customer %d", s.CustomerID)
		}
	}
	nameW := max(w-rcSold-rcLeft-rcPrice-rcBack-rcReason-rcStock-rcRefund-9, 8)
	row := func(mark, name, sold, left, price, back, reason, stock, refund string) string {
		return mark + " " + pad(ansi.Truncate(name, nameW, "…"), nameW) + " " + lpad(sold, rcSold) + " " + lpad(left, rcLeft) + " " +
			lpad(price, rcPrice) + " " + lpad(back, rcBack) + " " + pad(reason, rcReason) + " " + pad(stock, rcStock) + " " + lpad(refund, rcRefund)
	}
	refunds := map[int]pos.Money{} // by the chosen line's index
	if r.planErr == nil {
		j := 0
		for i, l := range r.lines {
			if l.Quantity > 0 && j < len(r.plan.Lines) {
				refunds[i] = r.plan.Lines[j].Gross
				j++
			}
		}
	}
	out := []string{m.st.Title.Render(ansi.Truncate(title, w, "…")),
		m.st.Label.Render(row(" ", "Item", "Sold", "Left", "Price", "Back", "Reason", "Stk", "Refund"))}
	tableH := max(h-6, 2)
	first := 0
	if len(r.lines) > tableH {
		first = min(max(r.sel-tableH/2, 0), len(r.lines)-tableH)
	}
	if len(r.lines) == 0 {
		out = append(out, "", m.st.Muted.Render("  Scan or type each item that comes back, then enter."))
	}
	for i := first; i < len(r.lines) && i < first+tableH; i++ {
		l := r.lines[i]
		sold, left := "", ""
		if r.mode == modeReceipt {
			sold = quantityOf(l, r.src.Sale.Lines[i].Quantity)
			left = quantityOf(l, r.src.Left(i))
		}
		price := m.money(l.UnitPrice)
		if l.Weighed {
			price += "/kg"
		}
		back, reason, stock, refund := "-", "", "", ""
		if l.Quantity > 0 {
			back, reason = quantityOf(l, l.Quantity), l.Reason.Label()
			stock = "yes"
			if !l.Restock || l.Reason == pos.ReasonDamaged {
				stock = "no"
			}
			if v, ok := refunds[i]; ok {
				refund = m.money(v)
			}
		}
		if i == r.sel {
			out = append(out, m.st.Selected.Render(pad(row("›", l.Name, sold, left, price, back, reason, stock, refund), w)))
			continue
		}
		out = append(out, row(" ", l.Name, sold, left, price, back, reason, stock, refund))
	}
	for len(out) < h-3 {
		out = append(out, "")
	}
	out = append(out, r.planLines(m, w)...)
	return strings.Join(out, "\n") + "\n" + ansi.Truncate(r.prompt(m), w, "…")
}

// planLines shows the plan: the total, where it goes, the points, the
// approval it needs.
func (r *returnScreen) planLines(m *Model, w int) []string {
	if r.planErr != nil {
		return []string{"", m.st.Muted.Render(ansi.Truncate(pos.ErrorMessage(r.planErr), w, "…"))}
	}
	p := r.plan
	first := m.st.Total.Render("REFUND "+m.money(p.Refunded())) + "  " + m.split(p)
	var second []string
	if p.CashRounding != 0 {
		second = append(second, "cash rounding "+m.money(p.CashRounding))
	}
	if p.PointsReversed > 0 {
		second = append(second, fmt.Sprintf("points taken back %d", p.PointsReversed))
	}
	if p.Approval != "" {
		second = append(second, m.st.Prompt.Render("a manager approves "+p.Approval))
	}
	return []string{ansi.Truncate(first, w, "…"), ansi.Truncate(strings.Join(second, " · "), w, "…")}
}

func (r *returnScreen) prompt(m *Model) string {
	if len(r.lines) == 0 || r.entry == entryCode {
		return m.st.Prompt.Render("Item code › ") + m.st.Field.Render(r.field.render(true))
	}
	l := r.lines[r.sel]
	unit := ""
	if l.Weighed {
		unit = " in grams"
	}
	limit := ""
	if r.mode == modeReceipt {
		limit = ", up to " + quantityOf(l, r.src.Left(r.sel))
	}
	return m.st.Prompt.Render(fmt.Sprintf("Return of %s%s%s › ", ansi.Truncate(l.Name, 24, "…"), unit, limit)) +
		m.st.Field.Render(r.field.render(true))
}

// progressView shows the return while it is recorded and refunded, or
// what failed.
func (r *returnScreen) progressView(m *Model, w, h int) string {
	p := r.ret
	if p.Key == "" {
		p = r.plan
	}
	title := "Refund"
	if p.SaleID != 0 {
		title = fmt.Sprintf("Refund · sale %d", p.SaleID)
	}
	rows := []string{m.st.Title.Render(title), "", m.st.Big.Render(bigText(m.money(p.Refunded()))), ""}
	for _, f := range p.Refunds {
		name := "Cash"
		if f.Method == pos.MethodCard {
			name = fmt.Sprintf("Card %s ••%s", f.CardBrand, f.CardLast4)
		}
		rows = append(rows, fmt.Sprintf("%-18s %10s  %s", name, m.money(f.Amount), refundStatus(f.Status)))
	}
	rows = append(rows, "")
	switch r.state {
	case retRecording:
		rows = append(rows, r.spin.View()+" recording the return…")
	case retRefunding:
		rows = append(rows, r.spin.View()+" refunding the card… (it cannot be cancelled)")
	case retResolving:
		rows = append(rows, m.st.Error.Render("no answer about the card refund: checking it"),
			m.st.Muted.Width(min(w-8, 60)).Render(r.problem),
			"it is asked again by its key: it is never refunded twice")
	case retFailed:
		rows = append(rows, m.st.Error.Width(min(w-8, 60)).Render(r.problem), "",
			m.km.CashInstead.Help().Key+" refund in cash (a manager approves)")
		if !p.MoneyMoved() {
			rows = append(rows, m.km.VoidSale.Help().Key+" cancel the return: nothing was refunded")
		}
	case retCashing:
		rows = append(rows, r.spin.View()+" refunding in cash…")
	case retCompleting:
		rows = append(rows, r.spin.View()+" completing the return…")
		if r.problem != "" {
			rows = append(rows, m.st.Error.Render(ansi.Truncate(r.problem, w-8, "…")))
		}
	case retCancelling:
		rows = append(rows, r.spin.View()+" cancelling the return…")
	}
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, m.st.Dialog.Render(strings.Join(rows, "\n")))
}

func refundStatus(s pos.PaymentStatus) string {
	switch s {
	case pos.PaymentApproved:
		return "refunded"
	case pos.PaymentFailed:
		return "failed"
	case pos.PaymentUnknown:
		return "no answer yet"
	case pos.RefundOwed:
		return "owed"
	}
	return "waiting"
}

func (r *returnScreen) doneView(m *Model, w, h int) string {
	p := r.ret
	title := "Return complete"
	if p.Kind == pos.KindVoid {
		title = "Sale voided"
	}
	head := m.st.Title.Render(title) + "  " + m.st.Muted.Render(fmt.Sprintf("#%d", p.ID))
	if p.SaleID != 0 {
		head += m.st.Muted.Render(fmt.Sprintf(" of sale %d", p.SaleID))
	}
	if p.Training {
		head += "  " + m.st.Training.Render(" TRAINING — nothing refunded ")
	}
	rows := []string{head, "", fmt.Sprintf("%-18s %12s", "Refund", m.money(p.Total))}
	if p.CashRounding != 0 {
		rows = append(rows, fmt.Sprintf("%-18s %12s", "Cash rounding", m.money(p.CashRounding)))
	}
	for _, f := range p.Refunds {
		if f.Method == pos.MethodCard && f.Status == pos.PaymentApproved {
			rows = append(rows, fmt.Sprintf("%-18s %12s", fmt.Sprintf("Card %s ••%s", f.CardBrand, f.CardLast4), m.money(f.Amount)))
		}
	}
	if cash := p.CashBack(); cash > 0 {
		rows = append(rows, fmt.Sprintf("%-18s %12s", "Cash", m.money(cash)))
	}
	if p.PointsReversed > 0 {
		rows = append(rows, fmt.Sprintf("%-18s %12d", "Points taken back", p.PointsReversed))
	}
	if p.PointsUnreversed > 0 {
		rows = append(rows, fmt.Sprintf("%-18s %12d", "Points spent, kept", p.PointsUnreversed))
	}
	if cash := p.CashBack(); cash > 0 {
		rows = append(rows, "", m.st.Total.Render("GIVE BACK CASH"), m.st.Big.Render(bigText(m.money(cash))), "")
	} else {
		// Nothing for the drawer: a big €0.00 would read as cash to hand out.
		rows = append(rows, "", m.st.Total.Render("NO CASH: all back on the card"), "")
	}
	switch {
	case r.receipt != "":
		rows = append(rows, "Receipt: "+r.receipt)
	case m.deps.RefundReceipts == nil:
		rows = append(rows, m.st.Muted.Render("Refund receipts are not set up on this till yet."))
	default:
		rows = append(rows, "Refund receipt? "+m.km.Print.Help().Key+" print · "+m.km.Save.Help().Key+" save")
	}
	rows = append(rows, m.st.Prompt.Render("Scan to start the next sale › ")+m.st.Field.Render(r.field.render(true)))
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Top, m.st.Dialog.Render(strings.Join(rows, "\n")))
}

func (r *returnScreen) bindings(m *Model) []key.Binding {
	km := m.km
	switch r.state {
	case retNumber:
		return []key.Binding{with(km.Enter, "open sale"), with(km.Esc, "back")}
	case retOpening:
		return []key.Binding{with(km.Esc, "back")}
	case retChoosing:
		out := []key.Binding{with(km.Enter, "set qty / refund"), with(km.Up, "line"), km.Reason, km.Restock}
		if r.mode == modeReceipt {
			out = append(out, km.CashInstead, with(km.VoidSale, "void the sale"))
			if m.deps.ReceiptCopies != nil {
				out = append(out, with(km.Reprint, "reprint receipt (COPY)"))
			}
		} else {
			out = append(out, km.Quantity)
		}
		out = append(out, with(km.Esc, "leave"))
		if m.deps.CardSim != nil && r.mode == modeReceipt {
			out = append(out, km.SimRefundFail, km.SimRefundTimeout)
		}
		return out
	case retResolving:
		return []key.Binding{with(km.Enter, "check now")}
	case retFailed:
		out := []key.Binding{with(km.CashInstead, "refund in cash (manager)")}
		if !r.ret.MoneyMoved() {
			out = append(out, with(km.VoidSale, "cancel the return"))
		}
		return out
	case retCompleting:
		if r.problem != "" {
			return []key.Binding{with(km.Enter, "try again")}
		}
	case retDone:
		out := []key.Binding{km.NextSale}
		if m.deps.RefundReceipts != nil {
			out = append(out, km.Print, km.Save)
		}
		return append(out, km.SignOut, km.Quit)
	}
	return nil
}
