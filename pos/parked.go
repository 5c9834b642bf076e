package pos

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParkedStatus is where a parked basket stands.
type ParkedStatus string

const (
	ParkedWaiting ParkedStatus = "parked"  // waiting to be resumed
	ParkedResumed ParkedStatus = "resumed" // taken back into a sale: never again
)

// ParkedBasket is a basket set aside while the customer fetches something:
// stored in the database without taking stock, and resumed on any till of
// its store, once. Resuming starts a sale under a new key that goes
// through the protocol from Reserve like any other.
type ParkedBasket struct {
	Number    int64  // printed on the parked ticket (ParkedCode)
	Key       string // the key of the sale it was parked from: parking is idempotent by it
	StoreID   string
	TillID    string
	CashierID int64
	Customer  *Customer
	Lines     []ParkedLine
	Total     Money
	Status    ParkedStatus
	ParkedAt  time.Time
	// Set once resumed: where, by whom, and the key of the sale it became.
	ResumedTill string
	ResumedBy   int64
	ResumedKey  string
	ResumedAt   time.Time
}

// ParkedLine is a basket line as parked, with the catalogue price it had
// then, so resuming can tell a catalogue price (taken again as it is now)
// from one set at the till (kept).
type ParkedLine struct {
	Line
	ListPrice Money
}

// Resumption says who resumes a parked basket, where, and as which sale.
type Resumption struct {
	TillID    string
	CashierID int64
	SaleKey   string // the new sale's key: resuming again with it returns the same basket
}

// ParkedStore keeps parked baskets. Each method is one transaction, and
// parking and resuming are audited in it.
type ParkedStore interface {
	// Park stores a basket; parking the same key again returns the first.
	Park(ctx context.Context, p ParkedBasket) (ParkedBasket, error)
	// ParkedBaskets lists a store's baskets still waiting, oldest first.
	ParkedBaskets(ctx context.Context, storeID string) ([]ParkedBasket, error)
	// Resume takes a waiting basket back, exactly once: of two tills
	// resuming one ticket, one gets it and the other EConflict. The same
	// resumption again (same sale key) returns it again.
	Resume(ctx context.Context, storeID string, number int64, r Resumption) (ParkedBasket, error)
}

// parkedPrefix starts a parked ticket's code: "PK" and the number.
const parkedPrefix = "PK"

// ParkedCode is what a parked ticket's barcode carries (Code 128): "PK"
// and the ticket's number.
func ParkedCode(number int64) string { return fmt.Sprintf("%s%06d", parkedPrefix, number) }

// ParseParkedCode reads a parked ticket's code, scanned or typed ("PK42",
// any case); ok is false for anything else.
func ParseParkedCode(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 3 || len(s) > 14 || !strings.EqualFold(s[:2], parkedPrefix) || !allDigits(s[2:]) {
		return 0, false
	}
	n, err := strconv.ParseInt(s[2:], 10, 64)
	return n, err == nil && n > 0
}

// Parkable is the basket of a sale in progress as it would be parked, or
// why it cannot be: a sale that may be in the database (reserved, or being
// sold or paid) or waits for a customer lookup stays at the till.
func (s *SaleInProgress) Parkable(listPrice func(code string) Money) (ParkedBasket, error) {
	switch {
	case s.Locked():
		return ParkedBasket{}, Errorf(EConflict, "the sale is recorded (a card or cash in flight): finish or void it, it cannot be parked")
	case s.lookup != "":
		return ParkedBasket{}, Errorf(EConflict, "a loyalty card is being looked up: wait for it before parking")
	case len(s.basket.Lines) == 0:
		return ParkedBasket{}, Errorf(EInvalid, "the basket is empty: nothing to park")
	}
	p := ParkedBasket{Key: s.basket.Key, StoreID: s.co.Settings.StoreID, TillID: s.co.Settings.TillID,
		CashierID: s.cashier, Total: s.totals.Total, Status: ParkedWaiting}
	if c := s.basket.Customer; c != nil {
		cc := *c
		p.Customer = &cc
	}
	for _, l := range s.basket.Lines {
		p.Lines = append(p.Lines, ParkedLine{Line: l, ListPrice: listPrice(l.Code)})
	}
	return p, nil
}

// ResumeLines turns a parked basket's lines into a new sale's lines at the
// catalogue's prices now: a line whose price was the catalogue's when it
// was parked takes today's; a price set at the till (an override, an
// open price, a price label) is kept, and so are discounts (cut to what
// the line costs now). A line whose item is gone or no longer sold is left
// out; notes says so, and names every price that changed.
func ResumeLines(p ParkedBasket, item func(code string) (Item, bool)) (lines []Line, notes []string) {
	for _, pl := range p.Lines {
		l := pl.Line
		it, ok := item(l.Code)
		if !ok || it.ID != l.ItemID || !it.Active {
			notes = append(notes, l.Name+" is no longer sold: left out")
			continue
		}
		if !l.PriceOverridden && l.UnitPrice == pl.ListPrice && it.Price != l.UnitPrice && !it.OpenPrice() {
			notes = append(notes, fmt.Sprintf("%s: price now %d (was %d)", l.Name, it.Price, l.UnitPrice))
			l.UnitPrice = it.Price
		}
		if g, err := l.Gross(); err == nil && l.Discount > g {
			l.Discount = g
		}
		if l.Validate() != nil {
			notes = append(notes, l.Name+" cannot be sold as parked: left out")
			continue
		}
		lines = append(lines, l)
	}
	return lines, notes
}

// Resume opens a sale rung up by cashierID under key (the one the
// resumption was stored with) with the lines and customer of a parked
// basket. It is an open sale like any other: it goes on from Reserve.
func (c *Checkout) Resume(cashierID int64, key string, lines []Line, customer *Customer) (*SaleInProgress, error) {
	s := &SaleInProgress{co: c, cashier: cashierID, basket: Basket{Key: key}}
	err := s.edit(func(b *Basket) error {
		for _, l := range lines {
			if err := b.Add(l); err != nil {
				return err
			}
		}
		if customer != nil {
			cc := *customer
			b.Customer = &cc
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}
