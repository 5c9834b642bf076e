package main

import (
	"fmt"

	"github.com/till-pos/till/pos"
)

// deskConfig is how far a cashier goes alone at the till: discounts and
// price overrides beyond these need a manager's number and PIN; an open
// price or an override above the most typed is refused.
type deskConfig struct {
	discountLimit string // percent, e.g. "10" or "12.5"
	overrideLimit string // percent of the catalogue price, up or down
	openPriceMax  string // an amount; "" pos.DefaultOpenPriceMax
}

// bind registers the settings (str is bindSettings' helper).
func (d *deskConfig) bind(str func(p *string, name, env, def, usage string)) {
	str(&d.discountLimit, "discount-limit-percent", "POS_DISCOUNT_LIMIT_PERCENT", "10",
		"largest discount (percent of the line or basket) a cashier gives without a manager; 0: every discount needs one")
	str(&d.overrideLimit, "price-override-limit-percent", "POS_PRICE_OVERRIDE_LIMIT_PERCENT", "0",
		"how far (percent of the catalogue price) a cashier changes a price without a manager; 0: every override needs one")
	str(&d.openPriceMax, "open-price-max", "POS_OPEN_PRICE_MAX", "",
		"largest price typed at the till (an open-price item, price 0 in the catalogue, or an override); empty: 1000")
}

// apply puts the settings into set.
func (d *deskConfig) apply(set *pos.Settings) error {
	var err error
	if set.DiscountLimit, err = percent(d.discountLimit); err != nil {
		return fmt.Errorf("discount limit %q: a percentage from 0 to 100, e.g. 10", d.discountLimit)
	}
	if set.PriceOverrideLimit, err = percent(d.overrideLimit); err != nil {
		return fmt.Errorf("price override limit %q: a percentage from 0 to 100, e.g. 5", d.overrideLimit)
	}
	if d.openPriceMax != "" {
		if set.OpenPriceMax, err = set.Currency.Parse(d.openPriceMax); err != nil || set.OpenPriceMax <= 0 {
			return fmt.Errorf("open price max %q: a positive amount, e.g. 500", d.openPriceMax)
		}
	}
	return nil
}

// percent reads "10" or "12.5" (a bare 0 too) as basis points, 0 to 10000.
func percent(s string) (int, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	d, err := pos.ParseDiscount(pos.EUR(), s+"%")
	if err != nil {
		return 0, err
	}
	return d.Percent, nil
}
