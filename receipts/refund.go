package receipts

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/till-pos/till/pos"
)

// RefundMessage is the mark at the top of a refund receipt.
const RefundMessage = "REFUND"

// returnLines is a refund receipt's content: the store, REFUND, the sale
// returned (or why there is none), each line with its reason, the tax, the
// total refunded, each refund, the points taken back and the return's own
// barcode.
func returnLines(r Receipt) ([]Line, error) {
	ret := r.Return
	if ret.Status != pos.ReturnCompleted {
		return nil, pos.Errorf(pos.EConflict, "return %d is %s: only a completed return has a receipt", ret.ID, ret.Status)
	}
	if len(ret.Lines) == 0 {
		return nil, pos.Errorf(pos.EInternal, "return %d has no lines", ret.ID)
	}
	b := lineBuilder{cur: r.Currency}
	if b.cur.Code == "" {
		b.cur = pos.CurrencyByCode(ret.Currency)
	}
	b.buildReturn(r)
	return b.out, nil
}

func (b *lineBuilder) buildReturn(r Receipt) {
	ret := r.Return
	loc := cmp.Or(r.Location, time.Local)
	banners := func() {
		if r.training() {
			b.add(Line{Kind: LineBanner, Left: trainingMsg})
		}
		if r.Copy {
			b.add(Line{Kind: LineBanner, Left: "COPY"})
		}
	}

	b.storeHeader(r.Store, ret.StoreID)
	banners()
	b.add(Line{Kind: LineTitle, Left: RefundMessage})
	b.text(fmt.Sprintf("Return %d", ret.ID), r.when().In(loc).Format("2006-01-02 15:04"), true)
	approved := "a manager"
	if r.Manager != "" {
		approved = "manager " + r.Manager
	}
	switch {
	case ret.SaleKey == "":
		b.text("Return without receipt, approved by "+approved, "", false)
	case ret.Kind == pos.KindVoid:
		b.text(fmt.Sprintf("VOID of sale %d", ret.SaleID), "", true)
	default:
		b.text(fmt.Sprintf("Return of sale %d", ret.SaleID), "", false)
	}
	if ret.SaleKey != "" && ret.ApprovedBy != 0 {
		b.sub("Approved by "+approved, "")
	}
	b.text("Till "+ret.TillID, "Cashier "+cmpOr(r.Cashier, "#"+strconv.FormatInt(ret.CashierID, 10)), false)
	b.add(Line{Kind: LineRule})

	var pieces int64
	for _, l := range ret.Lines {
		b.returnLine(l)
		if l.Weighed {
			pieces++
		} else {
			pieces += l.Quantity
		}
	}
	b.add(Line{Kind: LineRule})

	b.text(items(pieces)+" returned", "", false)
	b.text("Subtotal before tax", b.money(ret.Subtotal), false)
	for _, band := range returnBands(ret.Lines) {
		b.text(fmt.Sprintf("Tax %s on %s", rate(band.Rate), b.money(band.Net)), b.money(band.Tax), false)
	}
	b.add(Line{Kind: LineTitle, Left: RefundMessage, Right: b.money(ret.Total)})
	if ret.CashRounding != 0 {
		b.text("Cash rounding", b.money(ret.CashRounding), false)
		b.text("Refunded", b.money(ret.Refunded()), true)
	}
	b.add(Line{Kind: LineGap})
	for _, f := range ret.Refunds {
		b.refund(f)
	}
	if ret.CustomerID != 0 && (ret.PointsReversed > 0 || ret.PointsUnreversed > 0) {
		b.add(Line{Kind: LineRule})
		name := "#" + strconv.FormatInt(ret.CustomerID, 10)
		if r.Customer != nil && r.Customer.Name != "" {
			name = r.Customer.Name
		}
		b.text("Customer "+name, "", false)
		b.text("Points taken back", strconv.FormatInt(ret.PointsReversed, 10), false)
		if ret.PointsUnreversed > 0 {
			b.text("Points not taken back (spent)", strconv.FormatInt(ret.PointsUnreversed, 10), false)
		}
	}
	b.add(Line{Kind: LineRule})
	b.code(ret.Key)
	banners()
	b.add(Line{Kind: LineCenter, Left: "Thank you"})
}

// returnLine is one returned line: what came back, what it refunds, and
// why it came back.
func (b *lineBuilder) returnLine(l pos.ReturnLine) {
	b.text(l.Name, b.money(l.Gross), false)
	switch {
	case l.Weighed:
		b.sub(fmt.Sprintf("%s kg x %s/kg", grams(l.Quantity), b.money(l.UnitPrice)), "")
	case l.Quantity != 1:
		b.sub(fmt.Sprintf("%d x %s", l.Quantity, b.money(l.UnitPrice)), "")
	}
	reason := "Reason: " + l.Reason.Label()
	if !l.Restock {
		reason += ", not restocked"
	}
	b.sub(reason, "")
}

// refund prints one refund. A card refund that failed gave nothing back
// (a manager paid it in cash instead, a refund of its own) and is left
// out; cash the till could not hand out is printed as owed.
func (b *lineBuilder) refund(f pos.Refund) {
	switch f.Method {
	case pos.MethodCard:
		if f.Status != pos.PaymentApproved {
			return
		}
		label := "To card"
		if f.CardBrand != "" {
			label += " " + strings.ToUpper(f.CardBrand)
		}
		if f.CardLast4 != "" {
			label += " ****" + f.CardLast4
		}
		b.text(label, b.money(f.Amount), false)
	case pos.MethodCash:
		switch f.Status {
		case pos.PaymentApproved, pos.PaymentPending:
			b.text("Cash back", b.money(f.Amount), true)
		case pos.RefundOwed:
			b.text("Cash owed", b.money(f.Amount), true)
			b.sub("Not handed out: see a manager", "")
		}
	}
}

// returnBands sums a return's lines by tax rate, lowest rate first.
func returnBands(lines []pos.ReturnLine) []pos.TaxBand {
	var bands []pos.TaxBand
	for _, l := range lines {
		i := slices.IndexFunc(bands, func(b pos.TaxBand) bool { return b.Rate == l.TaxRate })
		if i < 0 {
			bands = append(bands, pos.TaxBand{Rate: l.TaxRate})
			i = len(bands) - 1
		}
		bands[i].Net += l.Net
		bands[i].Tax += l.Tax
		bands[i].Gross += l.Gross
	}
	slices.SortFunc(bands, func(a, b pos.TaxBand) int { return cmp.Compare(a.Rate, b.Rate) })
	return bands
}
