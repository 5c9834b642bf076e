package pos

import "sort"

// MaxQuantity is the largest piece count one line may carry; anything larger
// is a slip of the finger, not a sale.
const MaxQuantity = 9999

// MaxGrams is the largest weight (grams) one weighed line may carry.
const MaxGrams = 99_999

// Line is one row of a basket or sale.
type Line struct {
	ItemID  ItemID
	Code    string
	Name    string
	Weighed bool
	// Quantity counts pieces, or grams when Weighed.
	Quantity int64
	// UnitPrice is per piece, or per kilogram when Weighed.
	UnitPrice       Money
	PriceOverridden bool
	// Discount is the amount taken off the line (never negative).
	Discount Money
	TaxRate  int // basis points
}

// Amount is what the line costs before tax is split out: quantity times
// unit price (per kilogram for weighed lines, rounded half away from zero
// to the minor unit), less the discount. A gross beyond MaxMoney either way
// is refused as too large; so is any product or difference that would not
// fit in an int64, which would otherwise wrap round silently.
func (l Line) Amount() (Money, error) {
	div := int64(1)
	if l.Weighed {
		div = 1000
	}
	tooLarge := Errorf(EInvalid, "%s: line total is too large", l.Name)
	// Bound the operands first: |price × quantity| ≤ MaxMoney×div + div/2
	// keeps the product and its rounding (which adds div/2) inside int64.
	p, q := int64(l.UnitPrice), l.Quantity
	if p == minInt64 || q == minInt64 {
		return 0, tooLarge
	}
	if p < 0 {
		p = -p
	}
	if q < 0 {
		q = -q
	}
	if q != 0 && p > (int64(MaxMoney)*div+div/2)/q {
		return 0, tooLarge
	}
	gross, ok := mulDivRound(int64(l.UnitPrice), l.Quantity, div)
	if !ok || Money(gross) > MaxMoney || Money(gross) < -MaxMoney {
		return 0, tooLarge
	}
	amount := Money(gross) - l.Discount
	if l.Discount < 0 && amount < Money(gross) || l.Discount > 0 && amount > Money(gross) {
		return 0, tooLarge
	}
	return amount, nil
}

const minInt64 = -1 << 63

// Validate checks a line before it is sold.
func (l Line) Validate() error {
	limit, unit := int64(MaxQuantity), ""
	if l.Weighed {
		limit, unit = MaxGrams, " g"
	}
	switch {
	case l.ItemID <= 0:
		return Errorf(EInvalid, "%s is not a catalog item", l.Name)
	case l.Quantity <= 0:
		return Errorf(EInvalid, "%s: quantity must be at least 1%s", l.Name, unit)
	case l.Quantity > limit:
		return Errorf(EInvalid, "%s: quantity %d%s is over the limit of %d%s", l.Name, l.Quantity, unit, limit, unit)
	case l.UnitPrice < 0:
		return Errorf(EInvalid, "%s: price cannot be negative", l.Name)
	case l.Discount < 0:
		return Errorf(EInvalid, "%s: discount cannot be negative", l.Name)
	case l.TaxRate < 0 || l.TaxRate > 10000:
		return Errorf(EInvalid, "%s: impossible tax rate", l.Name)
	}
	amount, err := l.Amount()
	if err != nil {
		return err
	}
	if amount < 0 {
		return Errorf(EInvalid, "%s: discount is larger than the line", l.Name)
	}
	return nil
}

// TaxMode says whether shelf prices include tax.
type TaxMode int

const (
	TaxInclusive TaxMode = iota // shelf prices include tax (most of Europe)
	TaxExclusive                // tax is added at the till (most of the US)
)

// LineTotals is a line's amount split into net and tax.
type LineTotals struct {
	Net, Tax, Gross Money
}

// TaxBand sums the lines of one tax rate, for the receipt's tax breakdown.
type TaxBand struct {
	Rate            int
	Net, Tax, Gross Money
}

// Totals of a basket or sale. Subtotal is net of tax; Total is what the
// customer pays before any cash rounding.
type Totals struct {
	Items    int64 // pieces; a weighed line counts as one
	Subtotal Money
	Tax      Money
	Total    Money
	Discount Money
	Lines    []LineTotals
	Bands    []TaxBand
}

// SplitTax applies the till's one rounding rule to a line amount.
//
// Tax is computed per line and rounded half away from zero to the minor
// unit; the sale's tax is the sum of the line taxes and its total the sum of
// the line totals. So the lines on a receipt always add up to the total to
// the cent, whatever the mix of rates.
//
//   - Tax-exclusive: tax = round(amount × rate / 10000); gross = amount + tax.
//   - Tax-inclusive: tax = round(amount × rate / (10000 + rate)); net = amount − tax.
func SplitTax(amount Money, rate int, mode TaxMode) (LineTotals, error) {
	if mode == TaxExclusive {
		tax, ok := mulDivRound(int64(amount), int64(rate), 10000)
		if !ok || amount+Money(tax) > MaxMoney {
			return LineTotals{}, Errorf(EInvalid, "total is too large")
		}
		return LineTotals{Net: amount, Tax: Money(tax), Gross: amount + Money(tax)}, nil
	}
	tax, ok := mulDivRound(int64(amount), int64(rate), int64(10000+rate))
	if !ok {
		return LineTotals{}, Errorf(EInvalid, "total is too large")
	}
	return LineTotals{Net: amount - Money(tax), Tax: Money(tax), Gross: amount}, nil
}

// ComputeTotals validates the lines and adds them up.
func ComputeTotals(lines []Line, mode TaxMode) (Totals, error) {
	t := Totals{Lines: make([]LineTotals, len(lines))}
	bands := map[int]*TaxBand{}
	for i, l := range lines {
		if err := l.Validate(); err != nil {
			return Totals{}, err
		}
		amount, _ := l.Amount()
		lt, err := SplitTax(amount, l.TaxRate, mode)
		if err != nil {
			return Totals{}, err
		}
		t.Lines[i] = lt
		t.Subtotal += lt.Net
		t.Tax += lt.Tax
		t.Total += lt.Gross
		t.Discount += l.Discount
		if t.Total > MaxMoney {
			return Totals{}, Errorf(EInvalid, "the sale total is too large")
		}
		if l.Weighed {
			t.Items++
		} else {
			t.Items += l.Quantity
		}
		b := bands[l.TaxRate]
		if b == nil {
			b = &TaxBand{Rate: l.TaxRate}
			bands[l.TaxRate] = b
		}
		b.Net += lt.Net
		b.Tax += lt.Tax
		b.Gross += lt.Gross
	}
	for _, b := range bands {
		t.Bands = append(t.Bands, *b)
	}
	sort.Slice(t.Bands, func(i, j int) bool { return t.Bands[i].Rate < t.Bands[j].Rate })
	return t, nil
}

// Basket is the sale being built at the till: in memory only, no writes.
type Basket struct {
	Key      string // the sale's idempotency key, made when the basket opens
	Lines    []Line
	Customer *Customer
}

// NewLine makes the basket line for a scan of item. A price-embedded label
// sets the unit price; a weight-embedded one sets the grams.
func NewLine(item Item, scan Scan) (Line, error) {
	if !item.Active {
		return Line{}, Errorf(EInvalid, "%s is not for sale (inactive item)", item.Name)
	}
	l := Line{ItemID: item.ID, Code: item.Code, Name: item.Name, Weighed: item.Weighed,
		Quantity: scan.Quantity, UnitPrice: item.Price, TaxRate: item.TaxRate}
	switch scan.Measure {
	case MeasurePrice:
		if item.Weighed {
			return Line{}, Errorf(EInvalid, "%s is sold by weight, not by a price label", item.Name)
		}
		l.UnitPrice = Money(scan.Value)
	case MeasureWeight:
		if !item.Weighed {
			return Line{}, Errorf(EInvalid, "%s is not sold by weight", item.Name)
		}
		l.Quantity = scan.Value
	default:
		if item.Weighed {
			return Line{}, Errorf(EInvalid, "%s must be weighed: scan the scale label", item.Name)
		}
	}
	if l.Quantity == 0 {
		l.Quantity = 1
	}
	return l, l.Validate()
}

// Add appends a line after checking the basket stays within limits.
func (b *Basket) Add(l Line) error {
	if err := l.Validate(); err != nil {
		return err
	}
	// Tax-exclusive totals are the larger ones, so a basket that fits them
	// fits the database's DECIMAL(12,2) in either tax mode.
	if _, err := ComputeTotals(append(b.Lines[:len(b.Lines):len(b.Lines)], l), TaxExclusive); err != nil {
		return err
	}
	b.Lines = append(b.Lines, l)
	return nil
}

// SetQuantity changes line i's quantity (pieces or grams).
func (b *Basket) SetQuantity(i int, q int64) error {
	return b.change(i, func(l *Line) { l.Quantity = q })
}

// SetDiscount sets the amount taken off line i.
func (b *Basket) SetDiscount(i int, d Money) error {
	return b.change(i, func(l *Line) { l.Discount = d })
}

// OverridePrice replaces line i's unit price and flags the line.
func (b *Basket) OverridePrice(i int, price Money) error {
	return b.change(i, func(l *Line) { l.UnitPrice, l.PriceOverridden = price, true })
}

// Void removes line i and returns it (for the audit log).
func (b *Basket) Void(i int) (Line, error) {
	if i < 0 || i >= len(b.Lines) {
		return Line{}, Errorf(EInvalid, "no line selected")
	}
	l := b.Lines[i]
	b.Lines = append(b.Lines[:i], b.Lines[i+1:]...)
	return l, nil
}

func (b *Basket) change(i int, f func(*Line)) error {
	if i < 0 || i >= len(b.Lines) {
		return Errorf(EInvalid, "no line selected")
	}
	l := b.Lines[i]
	f(&l)
	if err := l.Validate(); err != nil {
		return err
	}
	lines := append([]Line(nil), b.Lines...)
	lines[i] = l
	if _, err := ComputeTotals(lines, TaxExclusive); err != nil {
		return err
	}
	b.Lines[i] = l
	return nil
}
