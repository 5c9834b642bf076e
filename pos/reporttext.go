package pos

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ReportWidth is the width of a report's text: a receipt's 42 columns.
const ReportWidth = 42

// Text lays the report out as plain lines of ReportWidth columns: the one
// layout the screen, the PDF and the command line all show. Times are
// written in loc (nil: UTC).
func (r Report) Text(cur Currency, loc *time.Location) []string {
	if loc == nil {
		loc = time.UTC
	}
	var out []string
	add := func(s string) { out = append(out, s) }
	row := func(label, value string) { add(columns(label, value)) }
	money := func(label string, m Money) { row(label, cur.Format(m)) }
	tally := func(label string, t Tally) { row(fmt.Sprintf("%s (%d)", label, t.Count), cur.Format(t.Amount)) }
	rule := func() { add(strings.Repeat("-", ReportWidth)) }
	when := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }

	title := "X REPORT (session open)"
	if r.Kind == ReportZ {
		title = fmt.Sprintf("Z REPORT, Z %d", r.ZNumber)
	}
	add(center(title))
	if r.Session.Training {
		add(center("TRAINING"))
	}
	row("Store / till", r.Session.StoreID+" / "+r.Session.TillID)
	row("Session", fmt.Sprint(r.Session.ID))
	row("From", when(r.From))
	row("To", when(r.To))
	for i, c := range r.Cashiers {
		label := ""
		if i == 0 {
			label = "Cashiers"
		}
		row(label, c.Number+" "+c.Name)
	}
	rule()
	money("Opening float", r.Float)
	tally("Sales", r.Sales)
	for _, t := range r.SalesByTender {
		tally("  "+tenderLabel(t.Method), Tally{t.Count, t.Amount})
	}
	money("  Cash tendered", r.CashTendered)
	money("  Change given", r.Change)
	if r.FirstSale != 0 {
		row("Sale numbers", fmt.Sprintf("%d - %d", r.FirstSale, r.LastSale))
	}
	if r.Offline.Count > 0 {
		tally("Offline sales", r.Offline)
	}
	rule()
	add(fmt.Sprintf("%-8s %11s %10s %10s", "Tax", "net", "tax", "gross"))
	for _, t := range r.TaxByRate {
		add(fmt.Sprintf("%7s%% %11s %10s %10s", fmt.Sprintf("%d.%02d", t.Rate/100, t.Rate%100),
			cur.Plain(t.Net), cur.Plain(t.Tax), cur.Plain(t.Gross)))
	}
	rule()
	tally("Discounts", r.Discounts)
	tally("Price overrides", r.Overrides)
	tally("Released sales", r.Released)
	tally("Voids", r.Voids)
	tally("Returns", r.Returns)
	for _, t := range r.Refunds {
		tally("  refunded "+tenderLabel(t.Method), Tally{t.Count, t.Amount})
	}
	if r.RefundsOwed.Count > 0 {
		tally("  cash owed", r.RefundsOwed)
	}
	money("Cash rounding", r.CashRounding)
	row("No sales", fmt.Sprint(r.NoSales))
	tally("Paid in", r.PaidIn)
	tally("Paid out", r.PaidOut)
	tally("Pick-ups", r.Pickups)
	rule()
	money("Expected cash", r.ExpectedCash)
	if r.HasCount {
		for _, l := range r.Counted.Lines {
			row(fmt.Sprintf("  %d x %s", l.Quantity, cur.Format(l.Denomination)), cur.Format(l.Denomination*Money(l.Quantity)))
		}
		if r.Counted.Amount != 0 && len(r.Counted.Lines) > 0 {
			money("  counted as a sum", r.Counted.Amount)
		}
		money("Counted cash", r.Counted.Total())
		money("Difference", r.Difference)
	}
	rule()
	money("Net total", r.NetTotal)
	money("Grand total", r.GrandTotal)
	if r.OutsideSales.Count > 0 || r.OutsideReturns.Count > 0 {
		rule()
		add("Outside a session (not in the totals):")
		tally("  sales", r.OutsideSales)
		tally("  returns", r.OutsideReturns)
	}
	if len(r.Shortages) > 0 {
		rule()
		add(fmt.Sprintf("Stock shortages (%d)", len(r.Shortages)))
		for _, s := range r.Shortages {
			add(shortageLine(s))
		}
	}
	if r.Pending > 0 {
		row("Pending sales/returns", fmt.Sprint(r.Pending))
	}
	if r.Parked.Count > 0 {
		tally("Baskets still parked", r.Parked)
	}
	return out
}

// shortageLine is one shortage: "  <item> sale <n>: sold <w>, had <a>",
// grams with a " g". A name too long for the line is cut (ending in ".")
// so the line keeps to ReportWidth.
func shortageLine(s ReportShortage) string {
	qty := func(q int64) string {
		if s.Weighed {
			return fmt.Sprintf("%d g", q)
		}
		return fmt.Sprint(q)
	}
	rest := fmt.Sprintf(" sale %d: sold %s, had %s", s.SaleID, qty(s.Wanted), qty(s.Available))
	name := []rune(strings.TrimSpace(s.Item))
	if room := ReportWidth - 2 - utf8.RuneCountInString(rest); len(name) > room {
		name = append(name[:max(room-1, 0)], '.')
	}
	return "  " + string(name) + rest
}

func tenderLabel(m Method) string {
	switch m {
	case MethodCash:
		return "cash"
	case MethodCard:
		return "card"
	}
	return string(m)
}

// columns puts label on the left and value on the right of one line.
func columns(label, value string) string {
	gap := ReportWidth - utf8.RuneCountInString(label) - utf8.RuneCountInString(value)
	if gap < 1 {
		gap = 1
	}
	return label + strings.Repeat(" ", gap) + value
}

func center(s string) string {
	pad := (ReportWidth - utf8.RuneCountInString(s)) / 2
	if pad < 0 {
		pad = 0
	}
	return strings.Repeat(" ", pad) + s
}
