package pos

import (
	"math/bits"
	"strconv"
	"strings"
)

// This file turns whatever a barcode scanner or the cashier types into the
// basket field (the text before Enter) into a Scan: an item to look up, a
// loyalty card or a receipt. Everything it refuses is an EInvalid *Error
// whose message can be shown on the till screen as is.

// MeasureKind says what a variable-measure label embeds.
type MeasureKind int

// Measure kinds.
const (
	MeasureNone   MeasureKind = iota // not a variable-measure code
	MeasurePrice                     // the label carries the price, in minor units
	MeasureWeight                    // the label carries the weight, in grams
)

func (k MeasureKind) String() string {
	switch k {
	case MeasureNone:
		return "none"
	case MeasurePrice:
		return "price"
	case MeasureWeight:
		return "weight"
	}
	return "MeasureKind(" + strconv.Itoa(int(k)) + ")"
}

// ScanKind says what was scanned. The zero value is no kind, so a zero Scan
// is never mistaken for an item.
type ScanKind int

// Scan kinds.
const (
	ScanItem        ScanKind = iota + 1 // something to sell: look Code up in the catalog
	ScanLoyaltyCard                     // a customer's loyalty card
	ScanReceipt                         // a printed receipt (for returns and reprints)
)

func (k ScanKind) String() string {
	switch k {
	case ScanItem:
		return "item"
	case ScanLoyaltyCard:
		return "loyalty card"
	case ScanReceipt:
		return "receipt"
	}
	return "ScanKind(" + strconv.Itoa(int(k)) + ")"
}

// Scan formats, the values of Scan.Format.
const (
	FormatEAN13           = "EAN-13"
	FormatEAN8            = "EAN-8"
	FormatUPCA            = "UPC-A"
	FormatUPCE            = "UPC-E"
	FormatVariableMeasure = "GS1 variable measure"
	FormatPLU             = "PLU"
	FormatLoyaltyCard     = "loyalty card"
	FormatReceipt         = "receipt"
)

// DefaultMaxQuantity is the largest quantity prefix when ScanRules.MaxQuantity
// is 0.
const DefaultMaxQuantity = 9999

// ScanRules is the store's configuration for parsing scans. It is a value:
// read once, validated with Validate, and passed down.
type ScanRules struct {
	// VariableMeasure lists the GS1 variable-measure (restricted circulation
	// number) layouts the store's scales print: EAN-13 prefixes 20–29 and
	// 02, a rule for 02 also reading the 12-digit UPC-A variable-measure form
	// (number system 2) used in the US and Canada. A code without a rule is
	// an ordinary EAN-13 or UPC-A keyed as is. ScanProfile gives the layouts
	// of a country.
	VariableMeasure []VariableMeasureRule
	// LoyaltyPrefix is the digits a loyalty card number (a valid EAN-13)
	// starts with, e.g. "980". Empty means the store has no loyalty cards.
	LoyaltyPrefix string
	// MaxQuantity is the largest quantity a "N*" prefix may give; 0 means
	// DefaultMaxQuantity.
	MaxQuantity int64
}

// VariableMeasureRule is the layout of one variable-measure prefix:
//
//	P P I…I [V] D…D C
//
// P is the two-digit prefix, I the item digits, V the optional price/weight
// check digit (GS1 General Specifications 7.9.3), D the embedded value and C
// the EAN-13 check digit. Prefix 02 is also the 12-digit UPC-A
// "2 I…I [V] D…D C" (the same digits without the leading 0).
type VariableMeasureRule struct {
	Prefix      string      // two digits, "20" to "29" or "02"
	Embeds      MeasureKind // MeasurePrice (minor units) or MeasureWeight (grams)
	ItemDigits  int         // digits after the prefix that identify the item
	ValueDigits int         // digits of the embedded value
	// ValueCheck puts a price/weight check digit between the item and the
	// value. It needs ValueDigits 4 or 5 (the two GS1 algorithms), and then
	// ItemDigits+ValueDigits is 9 instead of 10.
	ValueCheck bool
	// Scale is where the label's implied decimal point is: the embedded
	// value counts units of 10^Scale minor units (a price) or grams (a
	// weight), 0 to 3. With a currency of two decimals, a price in kronor
	// with one decimal (GS1 Sweden's prefix 21) is Scale 1 and one in whole
	// kronor Scale 2; a weight in kilograms with two decimals is Scale 1.
	// 0, the zero value, means the value is in minor units or grams.
	Scale int
}

// DefaultScanRules is the configuration of a store that sets none: prefixes
// 20–22 embed a price and 23–29 a weight in grams, both as 5 item digits and
// 5 value digits without a value check digit; loyalty cards start with 980;
// quantities go up to 9999.
func DefaultScanRules() ScanRules {
	r := ScanRules{LoyaltyPrefix: "980", MaxQuantity: DefaultMaxQuantity}
	for p := '0'; p <= '9'; p++ {
		kind := MeasureWeight
		if p <= '2' {
			kind = MeasurePrice
		}
		r.VariableMeasure = append(r.VariableMeasure, VariableMeasureRule{
			Prefix: "2" + string(p), Embeds: kind, ItemDigits: 5, ValueDigits: 5})
	}
	return r
}

// Scan profiles: the variable-measure label layouts of a country, after its
// GS1 member organisation's published layout where there is one.
// ScanProfile returns the rules.
const (
	ProfileDE = "DE" // Germany (and the till's default)
	ProfileNO = "NO" // Norway
	ProfileSE = "SE" // Sweden
	ProfileUK = "UK" // United Kingdom
	ProfileUS = "US" // United States and Canada
)

// ScanProfileNames lists the profiles ScanProfile knows.
func ScanProfileNames() []string {
	return []string{ProfileDE, ProfileNO, ProfileSE, ProfileUK, ProfileUS}
}

// ScanProfileForCurrency is the profile a store trading in the ISO currency
// code uses unless it configures one: EUR → DE, GBP → UK, SEK → SE,
// NOK → NO, USD and CAD → US, anything else DE.
func ScanProfileForCurrency(code string) string {
	switch strings.ToUpper(code) {
	case "GBP":
		return ProfileUK
	case "SEK":
		return ProfileSE
	case "NOK":
		return ProfileNO
	case "USD", "CAD":
		return ProfileUS
	}
	return ProfileDE
}

// ScanProfile returns the scan rules of a named country profile (any case;
// GB is UK): loyalty prefix 980, quantities up to 9999, and these
// variable-measure layouts (I item digits, V price/weight check digit,
// D value digits, C check digit; prices assume a currency of two decimals):
//
//   - DE: 20–22 price in cents, 23–29 weight in grams, 2P IIIII DDDDD C
//     (DefaultScanRules, the till's layout before profiles; not checked
//     against a GS1 Germany publication).
//   - UK: 20–29 price in pence, 2P IIIII V DDDD C: GS1 UK's variable measure
//     layout "20XXX RR V PPPP C" (20 and 28 branded, the others in-store;
//     2011122912346 is £12.34). No weight layout: UK labels carry prices.
//   - SE: GS1 Sweden's viktvarunummer, 2P IIIIII DDDD C with the decimals in
//     the prefix: 20 price with two decimals, 21 one, 22 none (whole
//     kronor); 23 weight in kilograms with three decimals, 24 two, 25 one.
//   - NO: the Nordic layout of SE (2302148210869 is 1.086 kg; only prefix
//     23 is checked against a published Norwegian label).
//   - US: the UPC-A variable-measure form "2 IIIII V DDDD C", price in
//     cents, scanned as 12 digits (299265108631 is $8.63) or as the EAN-13
//     02…; no weight layout; prefixes 20–29 are ordinary codes.
func ScanProfile(name string) (ScanRules, error) {
	r := ScanRules{LoyaltyPrefix: "980", MaxQuantity: DefaultMaxQuantity}
	add := func(prefix string, kind MeasureKind, item, value int, check bool, scale int) {
		r.VariableMeasure = append(r.VariableMeasure, VariableMeasureRule{Prefix: prefix, Embeds: kind,
			ItemDigits: item, ValueDigits: value, ValueCheck: check, Scale: scale})
	}
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case ProfileDE:
		return DefaultScanRules(), nil
	case ProfileUK, "GB":
		for p := '0'; p <= '9'; p++ {
			add("2"+string(p), MeasurePrice, 5, 4, true, 0)
		}
	case ProfileSE, ProfileNO:
		for i, p := range []string{"20", "21", "22"} {
			add(p, MeasurePrice, 6, 4, false, i)
		}
		for i, p := range []string{"23", "24", "25"} {
			add(p, MeasureWeight, 6, 4, false, i)
		}
	case ProfileUS:
		add("02", MeasurePrice, 5, 4, true, 0)
	default:
		return ScanRules{}, Errorf(EInvalid, "scan profile %s is not one of %s",
			quoteScanned(name), strings.Join(ScanProfileNames(), ", "))
	}
	return r, nil
}

// Validate checks the rules make sense: every prefix is 20–29 or 02 and appears
// once, digit counts add up to the 13 digits of an EAN-13, and the loyalty
// prefix does not overlap a variable-measure prefix.
func (r ScanRules) Validate() error {
	for i, v := range r.VariableMeasure {
		if err := v.check(); err != nil {
			return err
		}
		for _, w := range r.VariableMeasure[:i] {
			if w.Prefix == v.Prefix {
				return Errorf(EInvalid, "variable-measure prefix %s is configured twice", v.Prefix)
			}
		}
	}
	if lp := r.LoyaltyPrefix; lp != "" {
		if len(lp) > 12 || !allScanDigits(lp) {
			return Errorf(EInvalid, "loyalty prefix %s must be 1 to 12 digits", quoteScanned(lp))
		}
		for _, v := range r.VariableMeasure {
			if strings.HasPrefix(lp, v.Prefix) || strings.HasPrefix(v.Prefix, lp) {
				return Errorf(EInvalid, "loyalty prefix %s overlaps variable-measure prefix %s", lp, v.Prefix)
			}
		}
	}
	if r.MaxQuantity < 0 {
		return Errorf(EInvalid, "maximum quantity %d is not allowed", r.MaxQuantity)
	}
	return nil
}

// check validates one rule. Parse and VariableMeasureCode call it before
// slicing a code by the rule's digit counts, so an unvalidated rule cannot
// make them panic.
func (v VariableMeasureRule) check() error {
	if len(v.Prefix) != 2 || (v.Prefix[0] != '2' || !isScanDigit(v.Prefix[1])) && v.Prefix != "02" {
		return Errorf(EInvalid, "variable-measure prefix %s must be two digits from 20 to 29, or 02", quoteScanned(v.Prefix))
	}
	if v.Embeds != MeasurePrice && v.Embeds != MeasureWeight {
		return Errorf(EInvalid, "variable-measure prefix %s must embed a price or a weight", v.Prefix)
	}
	if v.ItemDigits < 1 || v.ItemDigits > 9 || v.ValueDigits < 1 || v.ValueDigits > 9 {
		return Errorf(EInvalid, "variable-measure prefix %s needs 1 to 9 item digits and 1 to 9 value digits", v.Prefix)
	}
	want := 10
	if v.ValueCheck {
		want = 9
		if v.ValueDigits != 4 && v.ValueDigits != 5 {
			return Errorf(EInvalid, "variable-measure prefix %s: a value check digit needs 4 or 5 value digits, not %d",
				v.Prefix, v.ValueDigits)
		}
	}
	if v.ItemDigits+v.ValueDigits != want {
		return Errorf(EInvalid, "variable-measure prefix %s: %d item digits and %d value digits must add up to %d",
			v.Prefix, v.ItemDigits, v.ValueDigits, want)
	}
	if v.Scale < 0 || v.Scale > 3 {
		return Errorf(EInvalid, "variable-measure prefix %s: scale %d is not 0 to 3", v.Prefix, v.Scale)
	}
	return nil
}

// unit is how many minor units or grams one unit of the embedded value is.
func (v VariableMeasureRule) unit() int64 {
	u := int64(1)
	for range v.Scale {
		u *= 10
	}
	return u
}

// Scan is what Parse made of one scan.
type Scan struct {
	Kind ScanKind
	// Code is, for an item, the catalog key: every GTIN as 13 digits (EAN-8
	// and UPC-A padded with zeros, UPC-E expanded first), a variable-measure
	// code as its prefix and item digits, a PLU as typed. For a loyalty card
	// it is the 13-digit card number, for a receipt the sale key as a
	// lower-case canonical UUID.
	Code   string
	Format string // one of the Format constants
	// Alternative is a second catalog key the same scan stands for, "" when
	// there is none, and AlternativeFormat its format. A keyboard-wedge
	// scanner does not say which symbology it read, and an 8-digit code can
	// be a valid UPC-E and a valid EAN-8 at once (00011112, 01234565): then
	// Code is the UPC-E's GTIN (Format UPC-E) and Alternative the EAN-8's
	// (AlternativeFormat EAN-8). The catalog decides: look up both; if only
	// one exists, sell it; if both do, the cashier chooses (Choose). The
	// fields are strings rather than a slice so that Scan stays comparable.
	Alternative       string
	AlternativeFormat string
	Quantity          int64       // from the "N*" prefix, 1 when there is none
	Explicit          bool        // a quantity prefix was typed
	Measure           MeasureKind // what a variable-measure code embeds
	Value             int64       // the embedded price (minor units) or weight (grams)
}

// Candidates returns the catalog keys the scan may stand for: Code, then
// Alternative if there is one.
func (s Scan) Candidates() []string {
	if s.Alternative == "" {
		return []string{s.Code}
	}
	return []string{s.Code, s.Alternative}
}

// Choose resolves an ambiguous scan to one of its candidates: the scan with
// Code (and Format) set to code and no alternative. It reports false if
// code is not one of s.Candidates().
func (s Scan) Choose(code string) (Scan, bool) {
	switch {
	case code == "":
		return s, false
	case code == s.Alternative:
		s.Code, s.Format = s.Alternative, s.AlternativeFormat
	case code != s.Code:
		return s, false
	}
	s.Alternative, s.AlternativeFormat = "", ""
	return s, true
}

// Parse reads one scan: what a barcode scanner sends or the cashier types.
//
// The input may start with a quantity, "N*code", N from 1 to MaxQuantity;
// it is refused on loyalty cards, receipts and weight labels. The code is
// one of:
//
//   - 13 digits: a loyalty card (LoyaltyPrefix), a variable-measure label
//     (prefix 20–29 or 02 with a rule) or an EAN-13;
//   - 12 digits: a variable-measure label (number system 2 with a rule for
//     prefix 02) or a UPC-A;
//   - 8 digits: a UPC-E, an EAN-8 or both (see Scan.Alternative). UPC-E is
//     number system 0 only, as GS1 defines it, and only in its one
//     zero-suppressed form (the one a UPC-A compresses to); an EAN-8 has
//     the GS1 mod-10 check digit;
//   - 3 to 5 digits: a PLU, which has no check digit;
//   - a UUID, 8-4-4-4-12 hex digits in any case, or the same 32 hex digits
//     without dashes: a receipt. Any 32 hex digits, even all decimal ones,
//     are taken as a receipt key;
//   - 40 digits: a receipt's barcode (ReceiptCode), the sale key's 128 bits
//     in decimal.
//
// Check digits are verified, never corrected. Parse does not panic on any
// input; if the rules were not validated, a misconfigured rule is reported
// when a code uses it.
func (r ScanRules) Parse(input string) (Scan, error) {
	s := strings.TrimSpace(input)
	if s == "" {
		return Scan{}, Errorf(EInvalid, "nothing scanned")
	}
	qty, explicit := int64(1), false
	if i := strings.IndexByte(s, '*'); i >= 0 {
		var err error
		if qty, err = r.quantity(s[:i], s[i+1:]); err != nil {
			return Scan{}, err
		}
		s, explicit = strings.TrimSpace(s[i+1:]), true
	}
	sc, err := r.parseCode(s)
	if err != nil {
		return Scan{}, err
	}
	if explicit {
		switch {
		case sc.Kind == ScanLoyaltyCard:
			return Scan{}, Errorf(EInvalid, "a loyalty card cannot have a quantity")
		case sc.Kind == ScanReceipt:
			return Scan{}, Errorf(EInvalid, "a receipt cannot have a quantity")
		case sc.Measure == MeasureWeight:
			return Scan{}, Errorf(EInvalid, "weighed items take their weight from the scale label")
		}
	}
	sc.Quantity, sc.Explicit = qty, explicit
	return sc, nil
}

func (r ScanRules) maxQuantity() int64 {
	if r.MaxQuantity <= 0 {
		return DefaultMaxQuantity
	}
	return r.MaxQuantity
}

// quantity reads the "N" of "N*rest".
func (r ScanRules) quantity(q, rest string) (int64, error) {
	q, rest = strings.TrimSpace(q), strings.TrimSpace(rest)
	limit := r.maxQuantity()
	switch {
	case q == "":
		return 0, Errorf(EInvalid, "type the quantity before the *")
	case q[0] == '-' && allScanDigits(q[1:]):
		return 0, Errorf(EInvalid, "quantity %s is not allowed", clipScanned(q))
	case !allScanDigits(q):
		return 0, Errorf(EInvalid, "quantity %s is not a whole number", quoteScanned(q))
	}
	var n int64
	for i := 0; i < len(q); i++ {
		d := int64(q[i] - '0')
		if limit-d < 0 || n > (limit-d)/10 { // n*10+d > limit, without overflow
			return 0, Errorf(EInvalid, "quantity %s is more than the maximum of %d",
				clipScanned(strings.TrimLeft(q, "0")), limit)
		}
		n = n*10 + d
	}
	switch {
	case n == 0:
		return 0, Errorf(EInvalid, "quantity 0 is not allowed")
	case strings.IndexByte(rest, '*') >= 0:
		return 0, Errorf(EInvalid, `only one quantity (one "*") is allowed`)
	case rest == "":
		return 0, Errorf(EInvalid, "nothing scanned after %d*", n)
	}
	return n, nil
}

func (r ScanRules) parseCode(s string) (Scan, error) {
	if key, ok := parseUUID(s); ok {
		return Scan{Kind: ScanReceipt, Code: key, Format: FormatReceipt, Quantity: 1}, nil
	}
	if len(s) == receiptCodeDigits && allScanDigits(s) {
		key, ok := receiptKeyOf(s)
		if !ok {
			return Scan{}, Errorf(EInvalid, "receipt code %s is not a sale key", quoteScanned(s))
		}
		return Scan{Kind: ScanReceipt, Code: key, Format: FormatReceipt, Quantity: 1}, nil
	}
	if len(s) <= 13 && allScanDigits(s) {
		switch len(s) {
		case 3, 4, 5:
			return Scan{Kind: ScanItem, Code: s, Format: FormatPLU, Quantity: 1}, nil
		case 8:
			return parse8(s)
		case 12:
			if err := checkGTIN(s); err != nil {
				return Scan{}, err
			}
			if rule := r.rule("0" + s); rule != nil {
				return parseVariableMeasure(*rule, "0"+s, s)
			}
			return itemScan("0"+s, FormatUPCA), nil
		case 13:
			return r.parse13(s)
		}
	}
	return Scan{}, Errorf(EInvalid, "unknown code format %s", quoteScanned(s))
}

func itemScan(code, format string) Scan {
	return Scan{Kind: ScanItem, Code: code, Format: format, Quantity: 1}
}

// parse8 reads an 8-digit code. UPC-E and EAN-8 are both 8 digits and a
// keyboard-wedge scanner does not say which it read. A UPC-E (GS1: number
// system 0 only) is a code starting with 0 that is the zero-suppressed form
// of its own UPC-A expansion and ends in that expansion's check digit; an
// EAN-8 ends in its GTIN-8 check digit. A code valid both ways (00011112,
// 01234565, which happens whenever the two check digits agree) yields both
// GTINs, the UPC-E's as Code and the EAN-8's as Alternative, and the
// catalog decides.
func parse8(s string) (Scan, error) {
	got := int(s[7] - '0')
	ean8 := gs1Mod10(s[:7])
	upce := -1
	var g [13]byte
	if s[0] == '0' {
		var ok bool
		if g, ok = upcEToGTIN13(s); ok {
			upce = int(g[12] - '0')
		}
	}
	switch {
	case upce == got && ean8 == got:
		sc := itemScan(string(g[:]), FormatUPCE)
		if ean := "00000" + s; ean != sc.Code { // 00000000 is one GTIN either way
			sc.Alternative, sc.AlternativeFormat = ean, FormatEAN8
		}
		return sc, nil
	case upce == got:
		return itemScan(string(g[:]), FormatUPCE), nil
	case ean8 == got:
		return itemScan("00000"+s, FormatEAN8), nil
	case upce >= 0 && upce != ean8:
		return Scan{}, Errorf(EInvalid, "check digit of %s wrong: rescan", s)
	}
	return Scan{}, Errorf(EInvalid, "check digit of %s wrong: rescan", s)
}

// upcEToGTIN13 expands the UPC-E s (8 digits, number system 0) to its UPC-A
// with a leading 0 and the computed check digit (not s's). It reports false
// if s is not the zero-suppressed form of that UPC-A: GS1 gives every
// compressible UPC-A exactly one UPC-E, and 0120453 (whose expansion, the
// UPC-A 01200000045, compresses to 0120450) is not one.
func upcEToGTIN13(s string) ([13]byte, bool) {
	var b [13]byte
	for i := range b {
		b[i] = '0'
	}
	a := b[1:12] // the 11 UPC-A digits before the check digit
	a[0], a[1], a[2] = s[0], s[1], s[2]
	switch d := s[6]; {
	case d <= '2': // NS d1 d2 d6 0000 d3 d4 d5
		a[3] = d
		copy(a[8:], s[3:6])
	case d == '3': // NS d1 d2 d3 00000 d4 d5
		a[3] = s[3]
		copy(a[9:], s[4:6])
	case d == '4': // NS d1 d2 d3 d4 00000 d5
		copy(a[3:], s[3:5])
		a[10] = s[5]
	default: // NS d1 d2 d3 d4 d5 0000 d6
		copy(a[3:], s[3:6])
		a[10] = d
	}
	b[12] = byte('0' + gs1Mod10(b[:12]))
	e, ok := upcACompress(a)
	return b, ok && e == [7]byte([]byte(s[:7]))
}

// upcACompress is the zero suppression of the GS1 General Specifications:
// the UPC-E (without check digit) of the 11 UPC-A digits a, number system,
// manufacturer m1…m5 and product p1…p5, trying the four forms in order.
func upcACompress(a []byte) ([7]byte, bool) {
	ns, m, p := a[0], a[1:6], a[6:11]
	zeros := func(d []byte) bool {
		for _, c := range d {
			if c != '0' {
				return false
			}
		}
		return true
	}
	var e [7]byte
	e[0] = ns
	switch {
	case m[2] <= '2' && zeros(m[3:5]) && zeros(p[:2]): // m1 m2 p3 p4 p5 m3
		e[1], e[2] = m[0], m[1]
		copy(e[3:6], p[2:5])
		e[6] = m[2]
	case zeros(m[3:5]) && zeros(p[:3]): // m1 m2 m3 p4 p5 3
		copy(e[1:4], m[:3])
		e[4], e[5], e[6] = p[3], p[4], '3'
	case m[4] == '0' && zeros(p[:4]): // m1 m2 m3 m4 p5 4
		copy(e[1:5], m[:4])
		e[5], e[6] = p[4], '4'
	case zeros(p[:4]) && p[4] >= '5': // m1 m2 m3 m4 m5 p5
		copy(e[1:6], m)
		e[6] = p[4]
	default:
		return e, false
	}
	return e, true
}

// rule returns the variable-measure rule of the 13-digit code s, or nil.
func (r ScanRules) rule(s string) *VariableMeasureRule {
	if s[0] != '2' && s[:2] != "02" {
		return nil
	}
	for i := range r.VariableMeasure {
		if r.VariableMeasure[i].Prefix == s[:2] {
			return &r.VariableMeasure[i]
		}
	}
	return nil
}

func (r ScanRules) parse13(s string) (Scan, error) {
	rule := r.rule(s)
	// Validate refuses a loyalty prefix that overlaps a variable-measure
	// prefix; should the rules not have been validated, the rule wins.
	if lp := r.LoyaltyPrefix; lp != "" && strings.HasPrefix(s, lp) && rule == nil {
		if err := checkGTIN(s); err != nil {
			return Scan{}, err
		}
		return Scan{Kind: ScanLoyaltyCard, Code: s, Format: FormatLoyaltyCard, Quantity: 1}, nil
	}
	if rule != nil {
		return parseVariableMeasure(*rule, s, s)
	}
	if err := checkGTIN(s); err != nil {
		return Scan{}, err
	}
	return itemScan(s, FormatEAN13), nil
}

// parseVariableMeasure reads the 13 digits s by rule; shown is the code as
// scanned (12 digits for a UPC-A), for messages.
func parseVariableMeasure(rule VariableMeasureRule, s, shown string) (Scan, error) {
	if err := rule.check(); err != nil {
		return Scan{}, Errorf(EInvalid, "the store's scan rules are wrong: %s", ErrorMessage(err))
	}
	if err := checkGTIN(shown); err != nil {
		return Scan{}, err
	}
	end := 2 + rule.ItemDigits
	code, digits := s[:end], s[end:12]
	if rule.ValueCheck {
		if want := priceCheckDigit(digits[1:]); want != int(digits[0]-'0') {
			return Scan{}, Errorf(EInvalid, "%s check digit of %s wrong: rescan", rule.Embeds, shown)
		}
		digits = digits[1:]
	}
	var value int64
	for i := 0; i < len(digits); i++ {
		value = value*10 + int64(digits[i]-'0')
	}
	if value == 0 {
		return Scan{}, Errorf(EInvalid, "the label %s shows no %s", shown, rule.Embeds)
	}
	return Scan{Kind: ScanItem, Code: code, Format: FormatVariableMeasure, Quantity: 1,
		Measure: rule.Embeds, Value: value * rule.unit()}, nil
}

// VariableMeasureCode builds the 13-digit barcode a scale prints for a
// weighed or priced item: the rule's prefix, itemDigits (exactly
// rule.ItemDigits digits), the price/weight check digit if the rule has one,
// value (a price in minor units or a weight in grams, above 0, a whole
// number of the rule's units and fitting in rule.ValueDigits digits) and the
// EAN-13 check digit. For prefix 02 a UPC-A scale prints the same code
// without its leading 0.
func VariableMeasureCode(rule VariableMeasureRule, itemDigits string, value int64) (string, error) {
	if err := rule.check(); err != nil {
		return "", err
	}
	if len(itemDigits) != rule.ItemDigits || !allScanDigits(itemDigits) {
		return "", Errorf(EInvalid, "item number %s must be %d digits", quoteScanned(itemDigits), rule.ItemDigits)
	}
	limit := int64(1)
	for range rule.ValueDigits {
		limit *= 10
	}
	unit := rule.unit()
	if value <= 0 || value/unit >= limit {
		return "", Errorf(EInvalid, "%s %d does not fit on a label (1 to %d)", rule.Embeds, value, limit*unit-unit)
	}
	if value%unit != 0 {
		return "", Errorf(EInvalid, "%s %d is not a whole number of the label's units of %d", rule.Embeds, value, unit)
	}
	value /= unit
	var b [13]byte
	n := copy(b[:], rule.Prefix)
	n += copy(b[n:], itemDigits)
	vc := n
	if rule.ValueCheck {
		n++
	}
	for i := 11; i >= n; i-- {
		b[i] = byte('0' + value%10)
		value /= 10
	}
	if rule.ValueCheck {
		b[vc] = byte('0' + priceCheckDigit(b[n:12]))
	}
	b[12] = byte('0' + gs1Mod10(b[:12]))
	return string(b[:]), nil
}

// GTINCheckDigit returns the GS1 mod-10 check digit for digits, a GTIN (or
// other GS1 key) without its check digit: weights 3 and 1 alternate from the
// rightmost digit. It returns -1 if digits is empty or holds a non-digit.
func GTINCheckDigit(digits string) int {
	if digits == "" || !allScanDigits(digits) {
		return -1
	}
	return gs1Mod10(digits)
}

// ValidGTIN reports whether code is a GTIN-8, -12, -13 or -14 (8, 12, 13 or
// 14 digits) whose last digit is its check digit.
func ValidGTIN(code string) bool {
	switch len(code) {
	case 8, 12, 13, 14:
		return allScanDigits(code) && gs1Mod10(code[:len(code)-1]) == int(code[len(code)-1]-'0')
	}
	return false
}

// checkGTIN reports a wrong check digit on code, a string of digits.
func checkGTIN(code string) error {
	if want := gs1Mod10(code[:len(code)-1]); want != int(code[len(code)-1]-'0') {
		return Errorf(EInvalid, "check digit of %s wrong: rescan", code)
	}
	return nil
}

// mod10 is the GS1 check digit of d, which must be all digits.
func gs1Mod10[T string | []byte](d T) int {
	sum, w := 0, 3
	for i := len(d) - 1; i >= 0; i-- {
		sum += int(d[i]-'0') * w
		w = 4 - w
	}
	return (10 - sum%10) % 10
}

// Weighted results of GS1 General Specifications 7.9.3: "2-" is the units
// digit of 2d minus its tens digit, "5+" of 5d plus, "5-" of 5d minus.
var (
	weight2Minus     = [10]int{0, 2, 4, 6, 8, 9, 1, 3, 5, 7}
	weight5Plus      = [10]int{0, 5, 1, 6, 2, 7, 3, 8, 4, 9}
	weight5Minus     = [10]int{0, 5, 9, 4, 8, 3, 7, 2, 6, 1}
	weight5MinusUndo = [10]int{0, 9, 7, 5, 3, 1, 8, 6, 4, 2} // d such that weight5Minus[d] = i
)

// priceCheckDigit is the GS1 price/weight check digit of a 4- or 5-digit
// value, or -1 for any other length. 4 digits: weights 2-, 2-, 3, 5-, the
// sum times 3, units digit (2875 → 9). 5 digits: weights 5+, 2-, 5-, 5+, 2-,
// ten's complement of the sum's units digit, then the digit whose 5- weight
// that is (14685 → 6).
func priceCheckDigit[T string | []byte](v T) int {
	if len(v) != 4 && len(v) != 5 {
		return -1
	}
	var d [5]int
	for i := 0; i < len(v); i++ {
		if !isScanDigit(v[i]) {
			return -1
		}
		d[i] = int(v[i] - '0')
	}
	if len(v) == 4 {
		sum := weight2Minus[d[0]] + weight2Minus[d[1]] + 3*d[2] + weight5Minus[d[3]]
		return sum * 3 % 10
	}
	sum := weight5Plus[d[0]] + weight2Minus[d[1]] + weight5Minus[d[2]] + weight5Plus[d[3]] + weight2Minus[d[4]]
	return weight5MinusUndo[(10-sum%10)%10]
}

// receiptCodeDigits is the length of a ReceiptCode: 2^128 has 39 decimal
// digits, and an even count is all Code 128 set C.
const receiptCodeDigits = 40

// ReceiptCode is what a receipt's barcode carries for the sale key key (a
// UUID as Parse reads it): the key's 128 bits as a decimal number, padded
// with zeros to 40 digits. Code 128 prints it in set C, two digits a symbol,
// the shortest Code 128 of any form of the key; Parse reads it back as a
// receipt of key.
func ReceiptCode(key string) (string, error) {
	canon, ok := parseUUID(key)
	if !ok {
		return "", Errorf(EInvalid, "sale key %s is not a UUID", quoteScanned(key))
	}
	var hi, lo uint64
	for i := 0; i < len(canon); i++ {
		c := canon[i]
		var d uint64
		switch {
		case c == '-':
			continue
		case isScanDigit(c):
			d = uint64(c - '0')
		default:
			d = uint64(c-'a') + 10
		}
		hi, lo = hi<<4|lo>>60, lo<<4|d
	}
	var b [receiptCodeDigits]byte
	for i := len(b) - 1; i >= 0; i-- {
		var r uint64
		hi, r = bits.Div64(0, hi, 10)
		lo, r = bits.Div64(r, lo, 10)
		b[i] = byte('0' + r)
	}
	return string(b[:]), nil
}

// receiptKeyOf reads a ReceiptCode, 40 digits, back to the sale key. It
// reports false if the number does not fit in 128 bits.
func receiptKeyOf(s string) (string, bool) {
	var hi, lo uint64
	for i := 0; i < len(s); i++ {
		d := uint64(s[i] - '0')
		h1, l1 := bits.Mul64(lo, 10)
		h2, h := bits.Mul64(hi, 10)
		if h2 != 0 {
			return "", false
		}
		var c uint64
		lo, c = bits.Add64(l1, d, 0)
		hi, c = bits.Add64(h, h1, c)
		if c != 0 {
			return "", false
		}
	}
	const hex = "0123456789abcdef"
	var b [36]byte
	k := 0 // hex digits written, most significant first
	for i := range b {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			b[i] = '-'
			continue
		}
		w, shift := hi, 60-4*k
		if k >= 16 {
			w, shift = lo, 60-4*(k-16)
		}
		b[i] = hex[w>>shift&0xf]
		k++
	}
	return string(b[:]), true
}

// parseUUID reads a receipt's sale key: 8-4-4-4-12 hex digits in any case,
// or the same 32 hex digits without dashes, returned as a lower-case
// canonical UUID.
func parseUUID(s string) (string, bool) {
	if len(s) != 36 && len(s) != 32 {
		return "", false
	}
	var b [36]byte
	j := 0
	for i := range b {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			b[i] = '-'
			if len(s) == 36 {
				if s[j] != '-' {
					return "", false
				}
				j++
			}
			continue
		}
		c := s[j]
		j++
		switch {
		case isScanDigit(c) || 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			c += 'a' - 'A'
		default:
			return "", false
		}
		b[i] = c
	}
	return string(b[:]), true
}

func isScanDigit(c byte) bool { return '0' <= c && c <= '9' }

func allScanDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isScanDigit(s[i]) {
			return false
		}
	}
	return true
}

// clip shortens what was scanned to 20 characters for an error message.
func clipScanned(s string) string {
	const most = 20
	if len(s) <= most {
		return s
	}
	n := 0
	for i := range s {
		if n == most {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// quote is clip in quotes, with control characters and invalid UTF-8
// escaped so they cannot disturb the screen.
func quoteScanned(s string) string { return strconv.Quote(clipScanned(s)) }
