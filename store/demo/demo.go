// Package demo is the training store `till seed` and `till demo` load: a
// catalogue of some 550 items, 50 loyalty customers and three cashiers.
//
// The store is data, in demo.json (embedded): items a trainer can remember,
// produce sold by PLU, by weight and by price label, seasonal items, and
// departments of products sold by a few brands in a few sizes. Prices are
// in minor units (cents; per kg for weighed items), tax rates in basis
// points, named in taxRates. Data turns it into the store for a till's scan
// rules: it gives every packaged item a code under its brand's company
// prefix, a starting stock and a shelf price, and keys scale and price
// labels and loyalty cards by the rules. Brands, prefixes and people are
// invented.
package demo

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/till-pos/till/pos"
)

// Store is the training store.
type Store struct {
	Items     []Item
	Customers []pos.Customer // ID 0; Name, Email, Phone, LoyaltyCard set; LoyaltyPoints some starting balance
	Cashiers  []Cashier
}

// Item is one catalogue item with its starting stock.
type Item struct {
	Item  pos.Item // ID 0; Code, Name, Price (minor units, per piece or per kg when Weighed), TaxRate (basis points), Weighed, Active
	Stock int64    // starting stock: pieces, or grams for weighed items
	Label string   // weighed and price-labelled items only: an example scale-label barcode (13 digits), for trainers
}

// Cashier is a cashier with the PIN trainers sign in with. The PIN is
// hashed (pos.HashPIN) before it is stored.
type Cashier struct {
	Cashier pos.Cashier // Number ("101".."103"), Name, Manager
	PIN     string      // 4 digits
}

//go:embed demo.json
var files embed.FS

// catalogue is demo.json.
type catalogue struct {
	// TaxRates names the rates items use: the German reduced rate (food,
	// books, flowers, pet food) and the standard rate (drinks other than
	// milk, household, personal care).
	TaxRates map[string]int `json:"taxRates"`
	// Memorable items are codes from the GS1 and barcode literature, one
	// per code format the till reads, stored as 13 digits. The two low
	// ones start with only 3 in stock, so a trainer can show the
	// out-of-stock message by selling 4 (the only items that low); all
	// others start with 20 to 400 pieces, or 20 to 80 kg when weighed.
	Memorable []entry `json:"memorable"`
	// PLU items are sold per piece by their 4- or 5-digit produce code.
	PLU []entry `json:"plu"`
	// Weighed items are sold by weight from a scale label: their item
	// digits are their position in the list, from 1.
	Weighed []entry `json:"weighed"`
	// Priced items carry their price on a label printed at the counter:
	// Price is a typical price, Label the one on the example label.
	Priced []entry `json:"priced"`
	// Brands are made-up GS1 company prefixes: 7 digits for an EAN-13, or
	// 6 digits (number system and manufacturer) for a UPC-A, stored as 13
	// digits with a leading 0 the way pos.ScanRules.Parse normalises it.
	// Factor is the brand's price in percent of the standard brand's.
	Brands []brand `json:"brands"`
	// Departments are the shelves: each of their brands sells every
	// product in every size.
	Departments []department `json:"departments"`
	// Seasonal items are out of season (inactive), to show the till's
	// "inactive item" message.
	Seasonal struct {
		Brand string  `json:"brand"`
		Tax   string  `json:"tax"`
		Items []entry `json:"items"`
	} `json:"seasonal"`
	// Customers are named first[i%len] last[i%len]; the lengths are
	// coprime so every customer has a different name.
	Customers struct {
		Count      int      `json:"count"`
		FirstNames []string `json:"firstNames"`
		LastNames  []string `json:"lastNames"`
	} `json:"customers"`
	Cashiers []struct {
		Number  string `json:"number"`
		Name    string `json:"name"`
		Manager bool   `json:"manager"`
		PIN     string `json:"pin"`
	} `json:"cashiers"`
}

type entry struct {
	Code  string    `json:"code"`
	Name  string    `json:"name"`
	Price pos.Money `json:"price"`
	Label pos.Money `json:"label"`
	Tax   string    `json:"tax"`
	Low   bool      `json:"low"`
	Note  string    `json:"note"`
}

type brand struct {
	Name   string `json:"name"`
	Prefix string `json:"prefix"`
	Factor int    `json:"factor"`
	Note   string `json:"note"`
}

type department struct {
	Name     string    `json:"name"`
	Note     string    `json:"note"`
	Tax      string    `json:"tax"`
	Brands   []string  `json:"brands"`
	Products []product `json:"products"`
}

type product struct {
	Name  string `json:"name"`
	Tax   string `json:"tax"` // "": the department's
	Sizes []struct {
		Label string    `json:"label"`
		Price pos.Money `json:"price"` // for a brand of factor 100
	} `json:"sizes"`
}

// load reads demo.json. The file is part of the program, so an error in
// it is a bug that every test of Data finds.
func load() catalogue {
	b, err := files.ReadFile("demo.json")
	if err != nil {
		panic(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c catalogue
	if err := dec.Decode(&c); err != nil {
		panic(fmt.Sprintf("demo.json: %v", err))
	}
	return c
}

// rate is a named tax rate of the catalogue.
func (c *catalogue) rate(name string) int {
	r, ok := c.TaxRates[name]
	if !ok {
		panic(fmt.Sprintf("demo.json: no tax rate %q", name))
	}
	return r
}

// brand looks a brand up by name.
func (c *catalogue) brand(name string) brand {
	for _, b := range c.Brands {
		if b.Name == name {
			return b
		}
	}
	panic(fmt.Sprintf("demo.json: no brand %q", name))
}

// Data returns the demo store for a store whose scans follow rules. It is
// deterministic: every call returns the same data.
//
// Weighed items are keyed by the first weight rule of rules.VariableMeasure
// and price-labelled items by the first price rule; without such a rule
// (or with too few item digits) those items are left out, since the till
// could not sell them. Loyalty cards start with rules.LoyaltyPrefix; a store
// without one gets customers without cards. Every code is checked with
// rules.Parse, so an item whose code the store would read differently (a
// loyalty prefix overlapping it, say) is left out or given another code.
func Data(rules pos.ScanRules) Store {
	c := load()
	g := &gen{
		rules: rules,
		rng:   rand.New(rand.NewPCG(0x7111, 0x5eed)),
		codes: map[string]bool{},
		names: map[string]bool{},
		refs:  map[string]int{},
	}
	for _, m := range c.Memorable {
		stock := g.pieces()
		if m.Low {
			stock = 3
		}
		if g.isItemCode(m.Code) {
			g.add(pos.Item{Code: m.Code, Name: m.Name, Price: m.Price, TaxRate: c.rate(m.Tax), Active: true}, stock, "")
		}
	}
	for _, p := range c.PLU {
		if g.isItemCode(p.Code) {
			g.add(pos.Item{Code: p.Code, Name: p.Name, Price: p.Price, TaxRate: c.rate(p.Tax), Active: true}, g.pieces(), "")
		}
	}
	if rule, ok := firstRule(rules, pos.MeasureWeight); ok {
		for i, w := range c.Weighed {
			grams := int64(500 + (i*379+137)%1001) // 0.5 to 1.5 kg
			code, label, ok := g.labelled(rule, i+1, grams)
			if !ok {
				continue
			}
			g.add(pos.Item{Code: code, Name: w.Name, Price: w.Price, TaxRate: c.rate(w.Tax), Weighed: true, Active: true},
				10*g.between(2000, 8000), label)
		}
	}
	if rule, ok := firstRule(rules, pos.MeasurePrice); ok {
		for i, p := range c.Priced {
			code, label, ok := g.labelled(rule, i+1, int64(p.Label))
			if !ok {
				continue
			}
			g.add(pos.Item{Code: code, Name: p.Name, Price: p.Price, TaxRate: c.rate(p.Tax), Active: true}, g.pieces(), label)
		}
	}
	for _, d := range c.Departments {
		brands := make([]brand, len(d.Brands))
		for i, name := range d.Brands {
			brands[i] = c.brand(name)
		}
		for _, p := range d.Products {
			tax := c.rate(d.Tax)
			if p.Tax != "" {
				tax = c.rate(p.Tax)
			}
			for _, s := range p.Sizes {
				for _, b := range brands {
					code := g.nextCode(b.Prefix)
					if code == "" {
						continue
					}
					name := b.Name + " " + p.Name + " " + s.Label
					g.add(pos.Item{Code: code, Name: name, Price: g.price(s.Price, b.Factor), TaxRate: tax, Active: true},
						g.pieces(), "")
				}
			}
		}
	}
	seasonal := c.brand(c.Seasonal.Brand)
	for _, s := range c.Seasonal.Items {
		if code := g.nextCode(seasonal.Prefix); code != "" {
			g.add(pos.Item{Code: code, Name: seasonal.Name + " " + s.Name, Price: s.Price, TaxRate: c.rate(c.Seasonal.Tax)},
				g.pieces(), "")
		}
	}
	return Store{Items: g.items, Customers: c.customers(rules), Cashiers: c.cashiers()}
}

// gen makes the items of one call to Data.
type gen struct {
	rules pos.ScanRules
	rng   *rand.Rand
	items []Item
	codes map[string]bool
	names map[string]bool
	refs  map[string]int // next item reference per company prefix
}

// add appends an item unless its code or name is taken.
func (g *gen) add(it pos.Item, stock int64, label string) {
	if g.codes[it.Code] || g.names[strings.ToLower(it.Name)] {
		return
	}
	g.codes[it.Code], g.names[strings.ToLower(it.Name)] = true, true
	g.items = append(g.items, Item{Item: it, Stock: stock, Label: label})
}

// between returns a number from lo to hi. It uses only the PCG source's
// Uint64, whose output is fixed, so the data cannot change with Go's
// implementation of the rand helpers.
func (g *gen) between(lo, hi int64) int64 {
	return lo + int64(g.rng.Uint64()%uint64(hi-lo+1))
}

// pieces is a starting stock for an item sold by the piece.
func (g *gen) pieces() int64 { return g.between(20, 400) }

// price scales a standard brand's price by a brand's factor, varies it by
// up to 6% either way and rounds it to a shelf price: …9 cents, or …49 and
// …99 from 10 euros.
func (g *gen) price(base pos.Money, factor int) pos.Money {
	p := int64(base) * int64(factor) * g.between(94, 106) / 10000
	step := int64(10)
	if p >= 1000 {
		step = 50
	}
	p = (p+step/2)/step*step - 1
	return pos.Money(max(p, 19))
}

// nextCode returns the next free code of a company prefix, or "" if the
// prefix has run out of item references.
func (g *gen) nextCode(prefix string) string {
	lead := ""
	if len(prefix) == 6 { // UPC-A, stored as 13 digits
		lead = "0"
	}
	for {
		n := g.refs[prefix]
		g.refs[prefix]++
		ref := 1000 + 37*n
		if ref > 99999 {
			return ""
		}
		body := lead + prefix + fmt.Sprintf("%05d", ref)
		code := body + strconv.Itoa(pos.GTINCheckDigit(body))
		if !g.codes[code] && g.isItemCode(code) {
			return code
		}
	}
}

// isItemCode reports whether the store's rules read code as the item code
// itself, with nothing embedded.
func (g *gen) isItemCode(code string) bool {
	sc, err := g.rules.Parse(code)
	return err == nil && sc.Kind == pos.ScanItem && sc.Code == code && sc.Measure == pos.MeasureNone
}

// labelled returns the item code of item number n under a variable-measure
// rule and an example label embedding value.
func (g *gen) labelled(rule pos.VariableMeasureRule, n int, value int64) (code, label string, ok bool) {
	digits := fmt.Sprintf("%0*d", rule.ItemDigits, n)
	if len(digits) != rule.ItemDigits {
		return "", "", false
	}
	label, err := pos.VariableMeasureCode(rule, digits, value)
	if err != nil {
		return "", "", false
	}
	sc, err := g.rules.Parse(label)
	if err != nil || sc.Kind != pos.ScanItem || sc.Measure != rule.Embeds || sc.Value != value {
		return "", "", false
	}
	return sc.Code, label, true
}

// firstRule returns the first variable-measure rule embedding kind.
func firstRule(rules pos.ScanRules, kind pos.MeasureKind) (pos.VariableMeasureRule, bool) {
	for _, r := range rules.VariableMeasure {
		if r.Embeds == kind {
			return r, true
		}
	}
	return pos.VariableMeasureRule{}, false
}

// customers returns the loyalty customers. Phone numbers are from the
// Berlin range the Bundesnetzagentur keeps free for films and teaching
// material, (0)30 23125 000–999; email addresses use the example domains.
func (c *catalogue) customers(rules pos.ScanRules) []pos.Customer {
	first, last := c.Customers.FirstNames, c.Customers.LastNames
	out := make([]pos.Customer, 0, c.Customers.Count)
	for i := range c.Customers.Count {
		first, last := first[i%len(first)], last[i%len(last)]
		domain := "example.com"
		if i%3 == 2 {
			domain = "example.org"
		}
		out = append(out, pos.Customer{
			Name:          first + " " + last,
			Email:         asciiLower(first) + "." + asciiLower(last) + "@" + domain,
			Phone:         fmt.Sprintf("+49 30 23125 %03d", 100+7*i),
			LoyaltyCard:   card(rules, i),
			LoyaltyPoints: int64((i*379 + 120) % 2500),
		})
	}
	return out
}

// card returns customer i's loyalty card: the store's prefix, a serial
// number and the EAN-13 check digit, or "" if the store has no loyalty
// cards or its prefix leaves no room for 50 serial numbers.
func card(rules pos.ScanRules, i int) string {
	lp := rules.LoyaltyPrefix
	width := 12 - len(lp)
	if lp == "" || width < 2 {
		return ""
	}
	n := i + 1
	if width >= 7 {
		n += 100000
	}
	body := lp + fmt.Sprintf("%0*d", width, n)
	if len(body) != 12 {
		return ""
	}
	card := body + strconv.Itoa(pos.GTINCheckDigit(body))
	if sc, err := rules.Parse(card); err != nil || sc.Kind != pos.ScanLoyaltyCard || sc.Code != card {
		return ""
	}
	return card
}

// asciiLower writes a name for an email address: lower case, umlauts
// spelled out, anything but letters dropped.
func asciiLower(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r == 'ä':
			b.WriteString("ae")
		case r == 'ö':
			b.WriteString("oe")
		case r == 'ü':
			b.WriteString("ue")
		case r == 'ß':
			b.WriteString("ss")
		}
	}
	return b.String()
}

// cashiers returns the cashiers; one of them is the manager.
func (c *catalogue) cashiers() []Cashier {
	out := make([]Cashier, 0, len(c.Cashiers))
	for _, k := range c.Cashiers {
		out = append(out, Cashier{pos.Cashier{Number: k.Number, Name: k.Name, Manager: k.Manager}, k.PIN})
	}
	return out
}
