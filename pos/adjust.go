package pos

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// DefaultOpenPriceMax is the largest price typed at the till (an open-price
// item's, or an override) when Settings.OpenPriceMax is 0: 1000.00.
const DefaultOpenPriceMax Money = 1000_00

// MaxPriceTyped is the largest price the cashier may type for a line.
func (s Settings) MaxPriceTyped() Money {
	if s.OpenPriceMax > 0 {
		return s.OpenPriceMax
	}
	return DefaultOpenPriceMax
}

// OpenPrice reports whether the item's price is asked at the till: an item
// sold by the piece whose catalogue price is 0. The catalogue has no flag
// for it; a price of 0 is never a real price.
func (it Item) OpenPrice() bool { return it.Price == 0 && !it.Weighed }

// Discount is a discount typed at the till: a percentage (in basis points)
// or an amount off.
type Discount struct {
	Percent int // basis points; 0 when Amount is set
	Amount  Money
}

// ParseDiscount reads a discount typed at the till: "10%" (or "12.5%") is a
// percentage, "1.50" (a comma is a decimal point) an amount.
func ParseDiscount(c Currency, s string) (Discount, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", "."))
	if s == "" {
		return Discount{}, Errorf(EInvalid, "type an amount, or a percentage such as 10%%")
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		whole, frac, _ := strings.Cut(p, ".")
		if whole == "" || len(whole) > 3 || len(frac) > 2 || !allDigits(whole) || !allDigits(frac) {
			return Discount{}, Errorf(EInvalid, "%q is not a percentage", s)
		}
		frac += strings.Repeat("0", 2-len(frac))
		w, _ := strconv.Atoi(whole)
		f, _ := strconv.Atoi(frac)
		bp := w*100 + f
		switch {
		case bp <= 0:
			return Discount{}, Errorf(EInvalid, "a discount must be more than 0%%")
		case bp > 10000:
			return Discount{}, Errorf(EInvalid, "a discount cannot be more than 100%%")
		}
		return Discount{Percent: bp}, nil
	}
	a, err := c.Parse(s)
	if err != nil {
		return Discount{}, Errorf(EInvalid, "%q is neither an amount nor a percentage such as 10%%", s)
	}
	if a <= 0 {
		return Discount{}, Errorf(EInvalid, "a discount must be more than 0")
	}
	return Discount{Amount: a}, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Of is the amount the discount takes off base: the amount, or the
// percentage of base rounded half away from zero to the minor unit. A
// discount larger than base is refused.
func (d Discount) Of(base Money) (Money, error) {
	off := d.Amount
	if d.Percent > 0 {
		v, ok := mulDivRound(int64(base), int64(d.Percent), 10000)
		if !ok {
			return 0, Errorf(EInvalid, "the discount is too large")
		}
		off = Money(v)
	}
	if off > base {
		return 0, Errorf(EInvalid, "a discount of %d is more than the %d it is taken off", off, base)
	}
	return off, nil
}

// Describe writes the discount as the cashier typed it: "10%" or "€1.50".
func (d Discount) Describe(c Currency) string {
	if d.Percent > 0 {
		if d.Percent%100 == 0 {
			return fmt.Sprintf("%d%%", d.Percent/100)
		}
		return fmt.Sprintf("%d.%02d%%", d.Percent/100, d.Percent%100)
	}
	return c.Format(d.Amount)
}

// DiscountNeedsApproval reports whether taking off from base is beyond what
// a cashier gives alone (Settings.DiscountLimit).
func (s Settings) DiscountNeedsApproval(base, off Money) bool {
	if off <= 0 {
		return false
	}
	if base <= 0 {
		return true
	}
	return exceeds(off, base, s.DiscountLimit)
}

// OverrideNeedsApproval reports whether changing a line's price from
// catalogue to price is beyond what a cashier does alone
// (Settings.PriceOverrideLimit), up or down.
func (s Settings) OverrideNeedsApproval(catalogue, price Money) bool {
	if price == catalogue {
		return false
	}
	if catalogue <= 0 {
		return true
	}
	d := price - catalogue
	if d < 0 {
		d = -d
	}
	return exceeds(d, catalogue, s.PriceOverrideLimit)
}

// exceeds reports whether part/whole > bp/10000, without overflow.
func exceeds(part, whole Money, bp int) bool {
	hi1, lo1 := bits.Mul64(uint64(part), 10000)
	hi2, lo2 := bits.Mul64(uint64(whole), uint64(max(bp, 0)))
	return hi1 > hi2 || hi1 == hi2 && lo1 > lo2
}

// Gross is the line's amount before its discount.
func (l Line) Gross() (Money, error) {
	l.Discount = 0
	return l.Amount()
}

// AllocateDiscount spreads off over the lines in proportion to what each
// line costs now (its amount after its own discount), and returns each
// line's share. The shares add up to off exactly: each line gets the floor
// of its exact share, and the minor units left over go one each to the
// lines with the largest remainders (the earlier line on a tie). No line's
// share is more than its amount, so no line goes below zero. Because the
// shares become line discounts, each line's tax is computed on what that
// line really costs, and the receipt's lines add up to the total.
func AllocateDiscount(lines []Line, off Money) ([]Money, error) {
	if off < 0 {
		return nil, Errorf(EInvalid, "a discount cannot be negative")
	}
	base := make([]Money, len(lines))
	var sum Money
	for i, l := range lines {
		a, err := l.Amount()
		if err != nil {
			return nil, err
		}
		if a < 0 {
			return nil, Errorf(EInvalid, "%s: discount is larger than the line", l.Name)
		}
		base[i] = a
		sum += a
	}
	shares := make([]Money, len(lines))
	if off == 0 {
		return shares, nil
	}
	if off > sum {
		return nil, Errorf(EInvalid, "a discount of %d is more than the basket's %d", off, sum)
	}
	rems := make([]uint64, len(lines))
	var given Money
	for i, b := range base {
		// off ≤ sum, so off×b < sum×2⁶⁴: the 128-bit quotient fits.
		hi, lo := bits.Mul64(uint64(off), uint64(b))
		q, r := bits.Div64(hi, lo, uint64(sum))
		shares[i], rems[i] = Money(q), r
		given += Money(q)
	}
	for left := off - given; left > 0; left-- {
		best := -1
		for i := range lines {
			if rems[i] > 0 && (best < 0 || rems[i] > rems[best]) {
				best = i
			}
		}
		shares[best]++
		rems[best] = 0
	}
	return shares, nil
}

// WeighedLine is the line of a weighed item whose weight was typed (no
// scale label): grams at the item's price per kilogram.
func WeighedLine(item Item, grams int64) (Line, error) {
	if !item.Active {
		return Line{}, Errorf(EInvalid, "%s is not for sale (inactive item)", item.Name)
	}
	if !item.Weighed {
		return Line{}, Errorf(EInvalid, "%s is not sold by weight", item.Name)
	}
	l := Line{ItemID: item.ID, Code: item.Code, Name: item.Name, Weighed: true, Quantity: grams,
		UnitPrice: item.Price, TaxRate: item.TaxRate}
	return l, l.Validate()
}

// OpenPriceLine is the line of an open-price item at the price typed.
func OpenPriceLine(item Item, price Money, quantity int64) (Line, error) {
	if !item.Active {
		return Line{}, Errorf(EInvalid, "%s is not for sale (inactive item)", item.Name)
	}
	if price <= 0 {
		return Line{}, Errorf(EInvalid, "%s: type a price above 0", item.Name)
	}
	l := Line{ItemID: item.ID, Code: item.Code, Name: item.Name, Quantity: max(quantity, 1),
		UnitPrice: price, TaxRate: item.TaxRate}
	return l, l.Validate()
}

// ParseWeight reads a weight typed at the till: a whole number is grams
// ("482"), a number with a decimal point (or comma) kilograms ("0.482").
func ParseWeight(s string) (int64, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", "."))
	whole, frac, dot := strings.Cut(s, ".")
	switch {
	case s == "":
		return 0, Errorf(EInvalid, "type the weight: grams, or kilograms with a point (0.482)")
	case !allDigits(whole) || !allDigits(frac) || whole == "" && frac == "" || len(whole) > 6 || len(frac) > 3:
		return 0, Errorf(EInvalid, "%q is not a weight: grams, or kilograms with a point (0.482)", s)
	}
	var g int64
	if dot {
		frac += strings.Repeat("0", 3-len(frac))
		w, _ := strconv.ParseInt("0"+whole, 10, 64)
		f, _ := strconv.ParseInt(frac, 10, 64)
		g = w*1000 + f
	} else {
		g, _ = strconv.ParseInt(whole, 10, 64)
	}
	switch {
	case g <= 0:
		return 0, Errorf(EInvalid, "a weight must be more than 0 g")
	case g > MaxGrams:
		return 0, Errorf(EInvalid, "%d g is over the limit of %d g", g, MaxGrams)
	}
	return g, nil
}

// SetDiscount sets the amount taken off line i.
func (s *SaleInProgress) SetDiscount(i int, d Money) error {
	return s.edit(func(b *Basket) error { return b.SetDiscount(i, d) })
}

// OverridePrice replaces line i's unit price and flags the line.
func (s *SaleInProgress) OverridePrice(i int, price Money) error {
	return s.edit(func(b *Basket) error { return b.OverridePrice(i, price) })
}

// DiscountBasket takes off from the whole basket, spread over the lines as
// line discounts (AllocateDiscount), and returns each line's share.
func (s *SaleInProgress) DiscountBasket(off Money) ([]Money, error) {
	var shares []Money
	err := s.edit(func(b *Basket) (err error) {
		if shares, err = AllocateDiscount(b.Lines, off); err != nil {
			return err
		}
		for i, sh := range shares {
			b.Lines[i].Discount += sh
			if err := b.Lines[i].Validate(); err != nil {
				return err
			}
		}
		return nil
	})
	return shares, err
}

// BasketAmount is what the basket's lines cost now, after their discounts
// (before tax is added in a tax-exclusive store): what a basket discount is
// a percentage of.
func (s *SaleInProgress) BasketAmount() Money {
	var sum Money
	for _, l := range s.basket.Lines {
		a, _ := l.Amount()
		sum += a
	}
	return sum
}
