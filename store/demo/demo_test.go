package demo

import (
	"reflect"
	"strings"
	"testing"

	"github.com/till-pos/till/pos"
)

// demoCounts are the numbers the demo store must have under some rules.
type demoCounts struct {
	minItems, weighed, priced, plu, inactive, low, minUPC, maxUPC, customers, cards int
}

// demoRuleSets are the scan rules the demo data is checked under: the
// default, a store whose scales print a price/weight check digit and 4 item
// digits with other prefixes, and a store with no scales and no loyalty
// cards.
var demoRuleSets = []struct {
	name  string
	rules pos.ScanRules
	want  demoCounts
}{
	{"default", pos.DefaultScanRules(), demoCounts{
		minItems: 500, weighed: 14, priced: 3, plu: 4, inactive: 3, low: 2, minUPC: 50, maxUPC: 70,
		customers: 50, cards: 50}},
	{"value check digits", pos.ScanRules{
		VariableMeasure: []pos.VariableMeasureRule{
			{Prefix: "21", Embeds: pos.MeasurePrice, ItemDigits: 4, ValueDigits: 5, ValueCheck: true},
			{Prefix: "26", Embeds: pos.MeasurePrice, ItemDigits: 5, ValueDigits: 5},
			{Prefix: "28", Embeds: pos.MeasureWeight, ItemDigits: 4, ValueDigits: 5, ValueCheck: true},
			{Prefix: "29", Embeds: pos.MeasureWeight, ItemDigits: 5, ValueDigits: 5},
		},
		LoyaltyPrefix: "9912",
	}, demoCounts{
		minItems: 500, weighed: 14, priced: 3, plu: 4, inactive: 3, low: 2, minUPC: 50, maxUPC: 70,
		customers: 50, cards: 50}},
	{"no scales, no cards", pos.ScanRules{}, demoCounts{
		minItems: 500, weighed: 0, priced: 0, plu: 4, inactive: 3, low: 2, minUPC: 50, maxUPC: 70,
		customers: 50, cards: 0}},
}

func TestDemoDataCounts(t *testing.T) {
	for _, rs := range demoRuleSets {
		t.Run(rs.name, func(t *testing.T) {
			if err := rs.rules.Validate(); err != nil {
				t.Fatalf("rules: %v", err)
			}
			d := Data(rs.rules)
			var got demoCounts
			got.minItems, got.customers = len(d.Items), len(d.Customers)
			for _, it := range d.Items {
				switch {
				case it.Item.Weighed:
					got.weighed++
				case it.Label != "":
					got.priced++
				case len(it.Item.Code) <= 5:
					got.plu++
				case isUPC(it.Item.Code):
					got.minUPC++
				}
				if !it.Item.Active {
					got.inactive++
				}
				if it.Stock == 3 {
					got.low++
				}
			}
			got.maxUPC = got.minUPC
			for _, c := range d.Customers {
				if c.LoyaltyCard != "" {
					got.cards++
				}
			}
			w := rs.want
			for _, c := range []struct {
				what     string
				got, min int
				max      int // -1: same as min
			}{
				{"items", got.minItems, w.minItems, 1 << 30},
				{"weighed items", got.weighed, w.weighed, -1},
				{"price-labelled items", got.priced, w.priced, -1},
				{"PLU items", got.plu, w.plu, -1},
				{"inactive items", got.inactive, w.inactive, -1},
				{"items with stock 3", got.low, w.low, -1},
				{"UPC-A items", got.minUPC, w.minUPC, w.maxUPC},
				{"customers", got.customers, w.customers, -1},
				{"loyalty cards", got.cards, w.cards, -1},
			} {
				switch {
				case c.max == -1 && c.got != c.min:
					t.Errorf("%s: got %d, want %d", c.what, c.got, c.min)
				case c.max != -1 && (c.got < c.min || c.got > c.max):
					t.Errorf("%s: got %d, want %d to %d", c.what, c.got, c.min, c.max)
				}
			}
			if w.weighed > 0 && got.weighed < 10 {
				t.Errorf("weighed items: got %d, want at least 10", got.weighed)
			}
		})
	}
}

// isUPC reports whether a stored code is a UPC-A (a 12-digit code stored
// with a leading 0), not a padded EAN-8.
func isUPC(code string) bool {
	return len(code) == 13 && code[0] == '0' && !strings.HasPrefix(code, "00000")
}

func TestDemoDataItems(t *testing.T) {
	for _, rs := range demoRuleSets {
		t.Run(rs.name, func(t *testing.T) {
			r := rs.rules
			d := Data(r)
			codes, names := map[string]int{}, map[string]int{}
			for i, it := range d.Items {
				item := it.Item
				if prev, ok := codes[item.Code]; ok {
					t.Errorf("item %d %q: code %s: got a duplicate of item %d, want unique codes", i, item.Name, item.Code, prev)
				}
				codes[item.Code] = i
				key := strings.ToLower(item.Name)
				if prev, ok := names[key]; ok {
					t.Errorf("item %d: name %q: got a duplicate of item %d, want unique names", i, item.Name, prev)
				}
				names[key] = i
				checkDemoItem(t, r, it)
			}
		})
	}
}

// checkDemoItem checks one item's fields, stock, and that its code (or
// label) scans as the item.
func checkDemoItem(t *testing.T, r pos.ScanRules, it Item) {
	t.Helper()
	item := it.Item
	name := item.Code + " " + item.Name
	if err := item.Validate(); err != nil {
		t.Errorf("%s: Validate: got %v, want nil", name, err)
	}
	if item.ID != 0 {
		t.Errorf("%s: ID: got %d, want 0", name, item.ID)
	}
	if item.Price <= 0 {
		t.Errorf("%s: price: got %d, want > 0", name, item.Price)
	}
	if item.TaxRate != 700 && item.TaxRate != 1900 {
		t.Errorf("%s: tax rate: got %d, want 700 or 1900", name, item.TaxRate)
	}
	switch {
	case item.Weighed && (it.Stock < 20_000 || it.Stock > 80_000):
		t.Errorf("%s: stock: got %d g, want 20000 to 80000", name, it.Stock)
	case !item.Weighed && it.Stock != 3 && (it.Stock < 20 || it.Stock > 400):
		t.Errorf("%s: stock: got %d, want 20 to 400 (or 3)", name, it.Stock)
	}

	scanned, wantMeasure := item.Code, pos.MeasureNone
	if it.Label != "" {
		scanned, wantMeasure = it.Label, pos.MeasurePrice
		if item.Weighed {
			wantMeasure = pos.MeasureWeight
		}
	} else if item.Weighed {
		t.Errorf("%s: weighed item: got no label, want one", name)
	}
	sc, err := r.Parse(scanned)
	if err != nil {
		t.Errorf("%s: Parse(%s): got %v, want nil", name, scanned, err)
		return
	}
	if sc.Kind != pos.ScanItem || sc.Code != item.Code || sc.Measure != wantMeasure {
		t.Errorf("%s: Parse(%s): got %v %s %v, want item %s %v", name, scanned, sc.Kind, sc.Code, sc.Measure,
			item.Code, wantMeasure)
	}
	switch {
	case it.Label != "":
		if !pos.ValidGTIN(it.Label) {
			t.Errorf("%s: label %s: got an invalid check digit, want a valid one", name, it.Label)
		}
		if item.Weighed && (sc.Value < 500 || sc.Value > 1500) {
			t.Errorf("%s: label %s: got %d g, want 500 to 1500", name, it.Label, sc.Value)
		}
	case len(item.Code) <= 5:
		if sc.Format != pos.FormatPLU {
			t.Errorf("%s: format: got %s, want %s", name, sc.Format, pos.FormatPLU)
		}
	default:
		if len(item.Code) != 13 || !pos.ValidGTIN(item.Code) {
			t.Errorf("%s: got an invalid GTIN-13, want a valid one", name)
		}
		if isUPC(item.Code) {
			up, err := r.Parse(item.Code[1:])
			if err != nil || up.Code != item.Code || up.Format != pos.FormatUPCA {
				t.Errorf("%s: Parse(%s): got %s %s %v, want %s %s", name, item.Code[1:], up.Code, up.Format, err,
					item.Code, pos.FormatUPCA)
			}
		}
	}
}

func TestDemoDataTrainerCodes(t *testing.T) {
	r := pos.DefaultScanRules()
	byCode := map[string]Item{}
	for _, it := range Data(r).Items {
		byCode[it.Item.Code] = it
	}
	for _, tc := range []struct {
		typed, name string
		stock       int64 // 0: any
	}{
		{"4006381333931", "Fineliner pen black", 0},
		{"5901234123457", "Chocolate pralines gift box 200 g", 3},
		{"036000291452", "Facial tissues 100 pcs", 0},
		{"9780201379624", "Paperback cookbook", 3},
		{"96385074", "Peppermint chewing gum 10 pcs", 0},
		{"04252614", "Travel toothpaste 20 ml", 0},
		{"4046", "Avocado Hass each", 0},
		{"2300001006376", "Bananas loose", 0},
		{"2000001002803", "Cake slice from the bakery counter", 0},
		{"3*4000000000006", "Carrier bag", 0},
	} {
		sc, err := r.Parse(tc.typed)
		if err != nil {
			t.Errorf("Parse(%s): got %v, want nil", tc.typed, err)
			continue
		}
		it, ok := byCode[sc.Code]
		switch {
		case !ok:
			t.Errorf("%s: got no item with code %s, want %q", tc.typed, sc.Code, tc.name)
		case it.Item.Name != tc.name:
			t.Errorf("%s: got %q, want %q", tc.typed, it.Item.Name, tc.name)
		case tc.stock != 0 && it.Stock != tc.stock:
			t.Errorf("%s: stock: got %d, want %d", tc.typed, it.Stock, tc.stock)
		}
	}
}

func TestDemoDataCustomers(t *testing.T) {
	for _, rs := range demoRuleSets {
		t.Run(rs.name, func(t *testing.T) {
			r := rs.rules
			cs := Data(r).Customers
			if len(cs) != 50 {
				t.Fatalf("customers: got %d, want 50", len(cs))
			}
			seen := map[string]string{}
			unique := func(kind, v, who string) {
				if v == "" {
					return
				}
				if prev, ok := seen[kind+v]; ok {
					t.Errorf("%s: %s %s: got a duplicate of %s, want unique", who, kind, v, prev)
				}
				seen[kind+v] = who
			}
			for _, c := range cs {
				who := c.Name
				unique("name", c.Name, who)
				unique("email", c.Email, who)
				unique("phone", c.Phone, who)
				unique("card", c.LoyaltyCard, who)
				if c.ID != 0 {
					t.Errorf("%s: ID: got %d, want 0", who, c.ID)
				}
				if c.Name == "" {
					t.Errorf("customer %s: name: got empty, want a name", c.Email)
				}
				if _, domain, _ := strings.Cut(c.Email, "@"); domain != "example.com" && domain != "example.org" {
					t.Errorf("%s: email %s: got domain %q, want example.com or example.org", who, c.Email, domain)
				}
				if !strings.HasPrefix(c.Phone, "+49 30 ") {
					t.Errorf("%s: phone: got %q, want +49 30 …", who, c.Phone)
				}
				if c.LoyaltyPoints < 0 {
					t.Errorf("%s: points: got %d, want ≥ 0", who, c.LoyaltyPoints)
				}
				if r.LoyaltyPrefix == "" {
					if c.LoyaltyCard != "" {
						t.Errorf("%s: card: got %s, want none (the store has no cards)", who, c.LoyaltyCard)
					}
					continue
				}
				card := c.LoyaltyCard
				if len(card) != 13 || !pos.ValidGTIN(card) || !strings.HasPrefix(card, r.LoyaltyPrefix) {
					t.Errorf("%s: card: got %q, want a valid EAN-13 starting with %s", who, card, r.LoyaltyPrefix)
					continue
				}
				sc, err := r.Parse(card)
				if err != nil || sc.Kind != pos.ScanLoyaltyCard || sc.Code != card {
					t.Errorf("%s: Parse(%s): got %v %s %v, want loyalty card %s", who, card, sc.Kind, sc.Code, err, card)
				}
			}
		})
	}
}

func TestDemoDataCashiers(t *testing.T) {
	want := []struct {
		number, pin string
		manager     bool
	}{
		{"101", "1111", false},
		{"102", "2222", false},
		{"103", "9999", true},
	}
	got := Data(pos.DefaultScanRules()).Cashiers
	if len(got) != len(want) {
		t.Fatalf("cashiers: got %d, want %d", len(got), len(want))
	}
	managers := 0
	for i, w := range want {
		c := got[i]
		if c.Cashier.Manager {
			managers++
		}
		if c.Cashier.Number != w.number || c.PIN != w.pin || c.Cashier.Manager != w.manager {
			t.Errorf("cashier %d: got %s PIN %s manager %v, want %s PIN %s manager %v", i,
				c.Cashier.Number, c.PIN, c.Cashier.Manager, w.number, w.pin, w.manager)
		}
		if c.Cashier.Name == "" || c.Cashier.ID != 0 {
			t.Errorf("cashier %s: got name %q ID %d, want a name and ID 0", c.Cashier.Number, c.Cashier.Name, c.Cashier.ID)
		}
		if _, err := pos.HashPIN(c.PIN); err != nil {
			t.Errorf("cashier %s: HashPIN: got %v, want nil", c.Cashier.Number, err)
		}
	}
	if managers != 1 {
		t.Errorf("managers: got %d, want 1", managers)
	}
}

func TestDemoDataDeterministic(t *testing.T) {
	for _, rs := range demoRuleSets {
		a, b := Data(rs.rules), Data(rs.rules)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: got two different stores from two calls, want the same", rs.name)
		}
	}
}
