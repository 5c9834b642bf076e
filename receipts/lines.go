package receipts

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/till-pos/till/pos"
)

// LineKind says how a receipt line is printed.
type LineKind int

const (
	LineText    LineKind = iota // Left (wrapped to the paper), Right aligned on its first line
	LineTitle                   // large and bold: centred, or Left and Right (TOTAL) on one line
	LineCenter                  // centred
	LineBanner                  // bold, centred, boxed (TRAINING, COPY, OFFLINE SALE)
	LineRule                    // a dashed line across the paper
	LineBarcode                 // the sale's key as a Code 128 barcode (pos.ReceiptCode); Left is the key
	LineGap                     // half a line of space
	LineCode                    // Left as it is, as a Code 128 barcode (a parked ticket's code)
)

// Line is one line of a receipt, before any medium lays it out: text in
// UTF-8, not yet wrapped. The PDF and the ESC/POS printer print the same
// lines, so a printed receipt says what the saved and uploaded one says.
type Line struct {
	Kind        LineKind
	Left, Right string
	Bold        bool
	Indent      bool // a detail under the line above (quantity, discount, auth code)
}

// TrainingMessage is the training receipt's banner.
const TrainingMessage = trainingMsg

// The banner of an offline sale's receipt (pos.Sale.Offline), and the line
// under it that says what it means.
const (
	OfflineMessage = "OFFLINE SALE"
	OfflineNote    = "recorded at the till while the network was down"
)

// Lines is the receipt's content as lines, top to bottom: the model both
// the PDF (Render) and receipt printers (receipts/escpos) print.
func Lines(r Receipt) ([]Line, error) {
	if r.Return != nil {
		return returnLines(r)
	}
	s := r.Sale
	if s.Status != pos.SaleCompleted {
		return nil, pos.Errorf(pos.EConflict, "%s is %s: only a completed sale has a receipt", saleName(s), s.Status)
	}
	if len(s.Totals.Lines) != len(s.Lines) {
		return nil, pos.Errorf(pos.EInternal, "%s: the line totals do not match its lines", saleName(s))
	}
	b := lineBuilder{cur: r.Currency}
	if b.cur.Code == "" {
		b.cur = pos.CurrencyByCode(s.Currency)
	}
	b.build(r)
	return b.out, nil
}

// training reports whether the receipt is a training one.
func (r Receipt) training() bool {
	if r.Return != nil {
		return r.Training || r.Return.Training
	}
	return r.Training || r.Sale.Training
}

// offline reports whether the receipt is an offline sale's: sold while
// the database could not be reached, before it was forwarded (no number
// yet) or after (numbered).
func (r Receipt) offline() bool { return r.Return == nil && r.Sale.Offline }

// ref is the first 8 characters of a sale's key: what an offline sale's
// receipt names it by before it has a number, and what the store finds it
// by once forwarded (the whole key is under the barcode).
func ref(key string) string {
	if len(key) > 8 {
		return key[:8]
	}
	return key
}

// saleName names a sale in messages: "sale 42", or "offline sale ref
// 1a2b3c4d" before an offline sale has a number.
func saleName(s pos.Sale) string {
	if s.ID == 0 && s.Offline {
		return "offline sale ref " + ref(s.Key)
	}
	return fmt.Sprintf("sale %d", s.ID)
}

// key is the key the receipt's barcode carries: the sale's, or the
// return's on a refund receipt.
func (r Receipt) key() string {
	if r.Return != nil {
		return r.Return.Key
	}
	return r.Sale.Key
}

// number is the sale's or the return's number.
func (r Receipt) number() int64 {
	if r.Return != nil {
		return r.Return.ID
	}
	return r.Sale.ID
}

// when is when the sale or return completed (or began, for one that has
// not: never on a receipt).
func (r Receipt) when() time.Time {
	completed, created := r.Sale.CompletedAt, r.Sale.CreatedAt
	if r.Return != nil {
		completed, created = r.Return.CompletedAt, r.Return.CreatedAt
	}
	if completed.IsZero() {
		return created
	}
	return completed
}

type lineBuilder struct {
	cur pos.Currency
	out []Line
}

func (b *lineBuilder) money(m pos.Money) string { return b.cur.Format(m) }

func (b *lineBuilder) add(l Line) { b.out = append(b.out, l) }

// text adds left with right on its first line.
func (b *lineBuilder) text(left, right string, bold bool) {
	b.add(Line{Kind: LineText, Left: left, Right: right, Bold: bold})
}

func (b *lineBuilder) sub(left, right string) {
	b.add(Line{Kind: LineText, Left: left, Right: right, Indent: true})
}

func (b *lineBuilder) build(r Receipt) {
	s := r.Sale
	loc := r.Location
	if loc == nil {
		loc = time.Local
	}
	training, offline := r.training(), r.offline()
	banners := func(top bool) {
		if training {
			b.add(Line{Kind: LineBanner, Left: trainingMsg})
		}
		if offline {
			b.add(Line{Kind: LineBanner, Left: OfflineMessage})
			if top {
				b.add(Line{Kind: LineCenter, Left: OfflineNote})
			}
		}
		if r.Copy {
			b.add(Line{Kind: LineBanner, Left: "COPY"})
		}
	}

	b.storeHeader(r.Store, s.StoreID)
	banners(true)
	when := r.when().In(loc).Format("2006-01-02 15:04")
	switch {
	case s.ID == 0 && offline:
		// No number until it is forwarded: never "Sale 0".
		b.text("Offline sale", when, true)
		b.text("ref "+ref(s.Key), "", false)
	case offline:
		b.text(fmt.Sprintf("Sale %d", s.ID), when, true)
		b.text("ref "+ref(s.Key), "", false)
	default:
		b.text(fmt.Sprintf("Sale %d", s.ID), when, true)
	}
	b.text("Till "+s.TillID, "Cashier "+cmpOr(r.Cashier, "#"+strconv.FormatInt(s.CashierID, 10)), false)
	b.add(Line{Kind: LineRule})

	for i, line := range s.Lines {
		b.line(line, s.Totals.Lines[i])
	}
	b.add(Line{Kind: LineRule})

	t := s.Totals
	b.text(items(t.Items), "", false)
	if t.Discount > 0 {
		b.text("Discounts", "-"+b.money(t.Discount), false)
	}
	b.text("Subtotal before tax", b.money(t.Subtotal), false)
	for _, band := range t.Bands {
		b.text(fmt.Sprintf("Tax %s on %s", rate(band.Rate), b.money(band.Net)), b.money(band.Tax), false)
	}
	b.add(Line{Kind: LineTitle, Left: "TOTAL", Right: b.money(t.Total)})
	if s.CashRounding != 0 {
		b.text("Cash rounding", b.money(s.CashRounding), false)
		b.text("To pay", b.money(t.Total+s.CashRounding), true)
	}
	b.add(Line{Kind: LineGap})
	for _, p := range s.Payments {
		b.payment(p)
	}
	if change := s.Change(); change > 0 {
		b.text("Change", b.money(change), true)
	}
	if c := r.Customer; c != nil {
		b.add(Line{Kind: LineRule})
		b.text("Customer "+c.Name, "", false)
		b.text("Points earned", strconv.FormatInt(c.PointsEarned, 10), false)
		b.text("Points balance", strconv.FormatInt(c.Balance, 10), false)
	}
	b.add(Line{Kind: LineRule})
	b.code(s.Key)
	banners(false)
	b.add(Line{Kind: LineCenter, Left: "Thank you"})
}

// storeHeader is the store's name, address and tax id.
func (b *lineBuilder) storeHeader(st Store, storeID string) {
	b.add(Line{Kind: LineTitle, Left: cmpOr(st.Name, storeID)})
	for _, part := range strings.FieldsFunc(st.Address, func(c rune) bool { return c == '|' || c == '\n' }) {
		b.add(Line{Kind: LineCenter, Left: strings.TrimSpace(part)})
	}
	if st.TaxID != "" {
		b.add(Line{Kind: LineCenter, Left: "Tax ID " + st.TaxID})
	}
	b.add(Line{Kind: LineGap})
}

// code is the receipt's barcode with its key under it.
func (b *lineBuilder) code(key string) {
	b.add(Line{Kind: LineBarcode, Left: key})
	b.add(Line{Kind: LineCenter, Left: key})
	b.add(Line{Kind: LineGap})
}

func (b *lineBuilder) line(line pos.Line, t pos.LineTotals) {
	amount, err := line.Amount()
	if err != nil {
		amount = t.Gross
	}
	b.text(line.Name, b.money(amount+line.Discount), false)
	var detail string
	switch {
	case line.Weighed:
		detail = fmt.Sprintf("%s kg x %s/kg", grams(line.Quantity), b.money(line.UnitPrice))
	case line.Quantity != 1:
		detail = fmt.Sprintf("%d x %s", line.Quantity, b.money(line.UnitPrice))
	}
	if line.PriceOverridden {
		detail = strings.TrimSpace(detail + " (price changed)")
	}
	if detail != "" {
		b.sub(detail, "")
	}
	if line.Discount > 0 {
		b.sub("Discount", "-"+b.money(line.Discount))
	}
}

// payment prints an approved tender; attempts that took no money are not
// on the receipt. Only the brand, last 4 digits and authorisation code of a
// card are known to the till, and only they are printed.
func (b *lineBuilder) payment(p pos.Payment) {
	if p.Status != pos.PaymentApproved {
		return
	}
	switch p.Method {
	case pos.MethodCash:
		given := p.Tendered
		if given == 0 {
			given = p.Amount
		}
		b.text("Cash", b.money(given), false)
	case pos.MethodCard:
		label := "Card"
		if p.CardBrand != "" {
			label += " " + strings.ToUpper(p.CardBrand)
		}
		if p.CardLast4 != "" {
			label += " ****" + p.CardLast4
		}
		b.text(label, b.money(p.Amount), false)
		if p.AuthCode != "" {
			b.sub("Auth code "+p.AuthCode, "")
		}
	default:
		b.text(string(p.Method), b.money(p.Amount), false)
	}
}

func items(n int64) string {
	if n == 1 {
		return "1 item"
	}
	return fmt.Sprintf("%d items", n)
}

// rate writes basis points as a percentage: 2000 → "20%", 550 → "5.5%".
func rate(bp int) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

// grams writes a weight in kilograms with three decimals: 545 → "0.545".
func grams(g int64) string { return fmt.Sprintf("%d.%03d", g/1000, g%1000) }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
