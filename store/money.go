package store

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/till-pos/till/pos"
)

// The database keeps money as DECIMAL(12,2); the till as integer minor
// units. These two functions are the only place one becomes the other, so
// the till supports currencies with two decimals (pos.Currency.Exponent 2).

func dec(m pos.Money) string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d.%02d", sign, m/100, m%100)
}

func parseDec(s string) (pos.Money, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "00")[:2]
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("decimal %q: %w", s, err)
	}
	if neg {
		v = -v
	}
	return pos.Money(v), nil
}

// money scans a DECIMAL column.
type money struct{ m *pos.Money }

func (d money) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case []byte:
		s = string(v)
	case string:
		s = v
	case int64:
		*d.m = pos.Money(v * 100)
		return nil
	case nil:
		*d.m = 0
		return nil
	default:
		return fmt.Errorf("cannot scan %T into money", src)
	}
	m, err := parseDec(s)
	*d.m = m
	return err
}
