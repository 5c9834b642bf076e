package pos

import "time"

// ItemID identifies a row of the inventory.
type ItemID int64

// Item is something the store sells.
type Item struct {
	ID   ItemID
	Code string // catalog key: a 13-digit GTIN, a PLU, or a variable-measure prefix+item code
	Name string
	// Price is per piece, or per kilogram when Weighed.
	Price   Money
	TaxRate int // basis points, e.g. 2000 = 20%
	// Weighed items are counted in grams, in stock and on sale lines.
	Weighed bool
	Active  bool
	// UpdatedAt lets the catalog cache fetch only what changed.
	UpdatedAt time.Time
}

// Validate checks an item before it is stored.
func (it Item) Validate() error {
	switch {
	case it.Code == "":
		return Errorf(EInvalid, "item has no code")
	case it.Name == "":
		return Errorf(EInvalid, "item %s has no name", it.Code)
	case it.Price < 0 || it.Price > MaxMoney:
		return Errorf(EInvalid, "item %s has an impossible price", it.Code)
	case it.TaxRate < 0 || it.TaxRate > 10000:
		return Errorf(EInvalid, "item %s has an impossible tax rate", it.Code)
	}
	return nil
}

// Customer is a loyalty customer.
type Customer struct {
	ID            int64
	Name          string
	Email         string
	Phone         string
	LoyaltyCard   string
	LoyaltyPoints int64
}

// Cashier is a person who signs in at a till.
type Cashier struct {
	ID      int64
	Number  string // what the cashier types at sign-in
	Name    string
	Manager bool
}
