package pos

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in minor units (cents) of the store's currency. It is
// never a float: every sum on a receipt must add up to the cent.
type Money int64

// MaxMoney is the largest amount the database column DECIMAL(12,2) holds. Any
// line or total above it is rejected before anything is written.
const MaxMoney Money = 9_999_999_999_99

// Currency describes how a store's money is written.
type Currency struct {
	Code     string // ISO 4217, e.g. "EUR"
	Symbol   string // e.g. "€"
	Exponent int    // digits after the decimal point, e.g. 2
	// LargestNote is the largest banknote in circulation, in minor units
	// (e.g. €500 as 50000). A cash amount typed at the till may exceed
	// what is due by at most this much (Settings.CashOverLimit); 0 means
	// unknown, and 500 major units are assumed.
	LargestNote Money
}

// Common currencies; a store may configure any other. They are functions,
// not variables, so no package can change what EUR means for another.

// EUR is the euro.
func EUR() Currency { return Currency{Code: "EUR", Symbol: "€", Exponent: 2, LargestNote: 500_00} }

// GBP is the pound sterling.
func GBP() Currency { return Currency{Code: "GBP", Symbol: "£", Exponent: 2, LargestNote: 50_00} }

// USD is the US dollar.
func USD() Currency { return Currency{Code: "USD", Symbol: "$", Exponent: 2, LargestNote: 100_00} }

// CurrencyByCode returns a known currency, or one with the code as its symbol
// and two decimals.
func CurrencyByCode(code string) Currency {
	switch strings.ToUpper(code) {
	case "EUR":
		return EUR()
	case "GBP":
		return GBP()
	case "USD", "":
		return USD()
	case "JPY":
		return Currency{Code: "JPY", Symbol: "¥", Exponent: 0, LargestNote: 10_000}
	}
	return Currency{Code: strings.ToUpper(code), Symbol: strings.ToUpper(code) + " ", Exponent: 2}
}

// largestNote is LargestNote, or 500 major units when it is unknown.
func (c Currency) largestNote() Money {
	if c.LargestNote > 0 {
		return c.LargestNote
	}
	n := Money(500)
	for range c.Exponent {
		n *= 10
	}
	return n
}

// CashLimit is the largest cash amount the till takes when due is what is
// still to pay in cash: due plus CashOverLimit (or the currency's largest
// banknote).
func (s Settings) CashLimit(due Money) Money {
	over := s.CashOverLimit
	if over <= 0 {
		over = s.Currency.largestNote()
	}
	return max(due, 0) + over
}

// Format writes m with the currency symbol, e.g. "€12.34" or "-£0.05".
func (c Currency) Format(m Money) string {
	return c.sign(m) + c.Symbol + c.Plain(m.abs())
}

// Plain writes m without a symbol, e.g. "12.34".
func (c Currency) Plain(m Money) string {
	sign := ""
	if m < 0 {
		sign = "-"
	}
	v := uint64(m.abs())
	if c.Exponent == 0 {
		return sign + strconv.FormatUint(v, 10)
	}
	unit := uint64(1)
	for range c.Exponent {
		unit *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, v/unit, c.Exponent, v%unit)
}

// Parse reads an amount typed by a cashier ("12", "12.5", "12.50") in this
// currency. More decimals than the currency has, signs and separators are
// refused rather than guessed.
func (c Currency) Parse(s string) (Money, error) {
	s = strings.TrimSpace(s)
	whole, frac, hasDot := strings.Cut(s, ".")
	if s == "" || whole == "" && frac == "" || len(frac) > c.Exponent || hasDot && c.Exponent == 0 {
		return 0, Errorf(EInvalid, "%q is not an amount", s)
	}
	if whole == "" {
		whole = "0"
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, Errorf(EInvalid, "%q is not an amount", s)
		}
	}
	if len(whole) > 12 {
		return 0, Errorf(EInvalid, "%s is too large", s)
	}
	frac += strings.Repeat("0", c.Exponent-len(frac))
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || Money(v) > MaxMoney {
		return 0, Errorf(EInvalid, "%s is too large", s)
	}
	return Money(v), nil
}

func (c Currency) sign(m Money) string {
	if m < 0 {
		return "-"
	}
	return ""
}

func (m Money) abs() Money {
	if m < 0 {
		return -m
	}
	return m
}

// divRound divides a by b (b > 0) rounding half away from zero. It is the one
// rounding rule of the till: every line amount, line tax and cash rounding
// goes through it.
func divRound(a, b int64) int64 {
	if a < 0 {
		return -((-a + b/2) / b)
	}
	return (a + b/2) / b
}

// mulDivRound returns a*b/c rounded half away from zero, reporting false if
// the product would overflow int64.
func mulDivRound(a, b, c int64) (int64, bool) {
	if a != 0 && b != 0 {
		p := a * b
		if p/b != a {
			return 0, false
		}
		return divRound(p, c), true
	}
	return 0, true
}
