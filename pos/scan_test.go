package pos

import (
	"strings"
	"testing"
)

// Real-world codes. Each check digit was worked out by hand (and is checked
// again by TestGTINCheckDigitRealCodes):
//
//	4006381333931  EAN-13  odd 4+0+3+1+3+9=20, even (0+6+8+3+3+3)*3=69, 89 → 1
//	5901234123457  EAN-13  17 + 22*3 = 83 → 7
//	9780201379624  ISBN    33 + 21*3 = 96 → 4
//	036000291452   UPC-A   (0+6+0+2+1+5)*3 + 3+0+0+9+4 = 58 → 2
//	012345678905   UPC-A   20*3 + 25 = 85 → 5
//	96385074       EAN-8   (9+3+5+7)*3 + 6+8+0 = 86 → 4
//	55123457       EAN-8   14*3 + 11 = 53 → 7
//	01234565       UPC-E   → 01234500006(5): 12*3 + 9 = 45 → 5
//	04252614       UPC-E   → 04210000526(4): 13*3 + 7 = 46 → 4
var realGTINs = []string{
	"4006381333931", "5901234123457", "9780201379624",
	"036000291452", "012345678905",
	"96385074", "55123457",
}

func itemOf(code, format string) Scan {
	return Scan{Kind: ScanItem, Code: code, Format: format, Quantity: 1}
}

func withQty(s Scan, q int64) Scan {
	s.Quantity, s.Explicit = q, true
	return s
}

func labelOf(code string, m MeasureKind, v int64) Scan {
	return Scan{Kind: ScanItem, Code: code, Format: FormatVariableMeasure, Quantity: 1, Measure: m, Value: v}
}

const (
	receiptKey = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
	// 980123456789 + check: 9+0+2+4+6+8=29, (8+1+3+5+7+9)*3=99, 128 → 2.
	loyaltyCard = "9801234567892"
	// Rule 21 (price, 5+5), item 12345, 12.99: 2+1+3+5+1+9=21,
	// (1+2+4+0+2+9)*3=54, 75 → 5.
	priceLabel = "2112345012995"
	// Rule 23 (weight, 5+5), item 00042, 1250 g: 10 + 9*3 = 37 → 3.
	weightLabel = "2300042012503"
)

var parseTests = []struct {
	name  string
	input string
	want  Scan
}{
	{"EAN-13", "4006381333931", itemOf("4006381333931", FormatEAN13)},
	{"EAN-13 Poland", "5901234123457", itemOf("5901234123457", FormatEAN13)},
	{"ISBN", "9780201379624", itemOf("9780201379624", FormatEAN13)},
	{"EAN-13 of a UPC-A", "0036000291452", itemOf("0036000291452", FormatEAN13)},
	{"scanner CR LF", "4006381333931\r\n", itemOf("4006381333931", FormatEAN13)},
	{"spaces and tabs", " \t4006381333931 \t", itemOf("4006381333931", FormatEAN13)},
	{"UPC-A", "036000291452", itemOf("0036000291452", FormatUPCA)},
	{"UPC-A 2", "012345678905", itemOf("0012345678905", FormatUPCA)},
	{"EAN-8", "96385074", itemOf("0000096385074", FormatEAN8)},
	{"EAN-8 2", "55123457", itemOf("0000055123457", FormatEAN8)},
	// 01234565 is a valid EAN-8 too: an 8-digit code starting 0 or 1 that
	// is a valid UPC-E is a UPC-E.
	{"UPC-E last digit 5-9", "01234565", itemOf("0012345000065", FormatUPCE)},
	{"UPC-E last digit 0-2", "04252614", itemOf("0042100005264", FormatUPCE)},
	// 0123453 → 01230000045: (0+2+0+0+0+5)*3 + 1+3+0+0+4 = 29 → 1.
	{"UPC-E last digit 3", "01234531", itemOf("0012300000451", FormatUPCE)},
	// 0123454 → 01234000005: 11*3 + 4 = 37 → 3.
	{"UPC-E last digit 4", "01234543", itemOf("0012340000053", FormatUPCE)},
	// Number system 1: 1234567 → 12345600007: 16*3 + 12 = 60 → 0.
	{"UPC-E number system 1", "12345670", itemOf("0123456000070", FormatUPCE)},
	// Not a valid UPC-E (expected 4) but a valid EAN-8 ((0+2+2+1)*3+15=30 → 0).
	{"EAN-8 starting with 0", "04252610", itemOf("0000004252610", FormatEAN8)},
	{"PLU 4 digits", "4011", itemOf("4011", FormatPLU)},
	{"PLU organic", "94011", itemOf("94011", FormatPLU)},
	{"PLU 3 digits", "123", itemOf("123", FormatPLU)},
	{"PLU leading zero", "0042", itemOf("0042", FormatPLU)},
	{"quantity", "3*4006381333931", withQty(itemOf("4006381333931", FormatEAN13), 3)},
	{"quantity 1 typed", "1*4006381333931", withQty(itemOf("4006381333931", FormatEAN13), 1)},
	{"quantity max", "9999*4006381333931", withQty(itemOf("4006381333931", FormatEAN13), 9999)},
	{"quantity leading zeros", "003*4006381333931", withQty(itemOf("4006381333931", FormatEAN13), 3)},
	{"quantity with spaces", " 2 * 4006381333931\n", withQty(itemOf("4006381333931", FormatEAN13), 2)},
	{"quantity on UPC-E", "6*04252614", withQty(itemOf("0042100005264", FormatUPCE), 6)},
	{"quantity on PLU", "2*4011", withQty(itemOf("4011", FormatPLU), 2)},
	{"price label", priceLabel, labelOf("2112345", MeasurePrice, 1299)},
	{"price label with quantity", "2*" + priceLabel, withQty(labelOf("2112345", MeasurePrice, 1299), 2)},
	{"weight label", weightLabel, labelOf("2300042", MeasureWeight, 1250)},
	{"loyalty card", loyaltyCard, Scan{Kind: ScanLoyaltyCard, Code: loyaltyCard, Format: FormatLoyaltyCard, Quantity: 1}},
	{"receipt upper case", "3F2504E0-4F89-11D3-9A0C-0305E82C3301", Scan{Kind: ScanReceipt, Code: receiptKey, Format: FormatReceipt, Quantity: 1}},
	{"receipt lower case", receiptKey + "\n", Scan{Kind: ScanReceipt, Code: receiptKey, Format: FormatReceipt, Quantity: 1}},
	{"receipt without dashes", "3F2504E04F8911D39A0C0305E82C3301", Scan{Kind: ScanReceipt, Code: receiptKey, Format: FormatReceipt, Quantity: 1}},
}

func TestParse(t *testing.T) {
	r := DefaultScanRules()
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Parse(tt.input)
			if err != nil {
				t.Fatalf("Parse(%q): got error %q, want %+v", tt.input, err, tt.want)
			}
			if got != tt.want {
				t.Errorf("Parse(%q): got %+v, want %+v", tt.input, got, tt.want)
			}
		})
	}
}

var parseErrorTests = []struct {
	name  string
	input string
	want  string
}{
	{"empty", "", "nothing scanned"},
	{"only whitespace", " \r\n\t", "nothing scanned"},
	{"EAN-13 check digit", "4006381333932", "check digit of 4006381333932 is wrong (expected 1)"},
	{"ISBN check digit", "9780201379625", "check digit of 9780201379625 is wrong (expected 4)"},
	{"UPC-A check digit", "036000291453", "check digit of 036000291453 is wrong (expected 2)"},
	{"EAN-8 check digit", "96385075", "check digit of 96385075 is wrong (expected 4)"},
	{"UPC-E and EAN-8 expect the same", "01234566", "check digit of 01234566 is wrong (expected 5)"},
	{"UPC-E or EAN-8", "04252615", "check digit of 04252615 is wrong (expected 4 as UPC-E or 0 as EAN-8)"},
	{"loyalty check digit", "9801234567893", "check digit of 9801234567893 is wrong (expected 2)"},
	{"price label check digit", "2112345012996", "check digit of 2112345012996 is wrong (expected 5)"},
	// 211234500000: 11 + 7*3 = 32 → 8.
	{"price label of 0", "2112345000008", "the label 2112345000008 shows no price"},
	{"quantity 0", "0*4006381333931", "quantity 0 is not allowed"},
	{"quantity 000", "000*4006381333931", "quantity 0 is not allowed"},
	{"quantity -1", "-1*4006381333931", "quantity -1 is not allowed"},
	{"no quantity before *", "*4006381333931", "type the quantity before the *"},
	{"only *", "*", "type the quantity before the *"},
	{"quantity too large", "10000*4006381333931", "quantity 10000 is more than the maximum of 9999"},
	{"quantity overflows", "99999999999999999999999*4006381333931", "quantity 99999999999999999999… is more than the maximum of 9999"},
	{"quantity decimal", "1.5*4006381333931", `quantity "1.5" is not a whole number`},
	{"quantity letters", "abc*4006381333931", `quantity "abc" is not a whole number`},
	{"quantity plus sign", "+2*4006381333931", `quantity "+2" is not a whole number`},
	{"nothing after quantity", "3*", "nothing scanned after 3*"},
	{"spaces after quantity", "3*  \n", "nothing scanned after 3*"},
	{"two stars", "3**x", `only one quantity (one "*") is allowed`},
	{"two quantities", "2*3*4006381333931", `only one quantity (one "*") is allowed`},
	{"quantity on a bad code", "3*4006381333932", "check digit of 4006381333932 is wrong (expected 1)"},
	{"quantity on loyalty card", "2*" + loyaltyCard, "a loyalty card cannot have a quantity"},
	{"quantity on receipt", "1*" + receiptKey, "a receipt cannot have a quantity"},
	{"quantity on weight label", "2*" + weightLabel, "weighed items take their weight from the scale label"},
	{"quantity on junk", "3*12ab", `unknown code format "12ab"`},
	{"letters and digits", "12ab", `unknown code format "12ab"`},
	{"word", "hello", `unknown code format "hello"`},
	{"1 digit", "7", `unknown code format "7"`},
	{"2 digits", "42", `unknown code format "42"`},
	{"6 digits", "123456", `unknown code format "123456"`},
	{"7 digits", "1234567", `unknown code format "1234567"`},
	{"9 digits", "123456789", `unknown code format "123456789"`},
	{"10 digits", "1234567890", `unknown code format "1234567890"`},
	{"11 digits", "12345678901", `unknown code format "12345678901"`},
	{"14 digits GTIN-14", "10012345678902", `unknown code format "10012345678902"`},
	{"digits with a space", "4006381 333931", `unknown code format "4006381 333931"`},
	{"negative number", "-4011", `unknown code format "-4011"`},
	{"fullwidth digits", "４０１１", `unknown code format "４０１１"`},
	{"UUID bad hex", "3g2504e0-4f89-11d3-9a0c-0305e82c3301", `unknown code format "3g2504e0-4f89-11d3-9…"`},
	{"UUID dash moved", "3f2504e04-f89-11d3-9a0c-0305e82c3301", `unknown code format "3f2504e04-f89-11d3-9…"`},
	{"UUID too long", receiptKey + "0", `unknown code format "3f2504e0-4f89-11d3-9…"`},
	{"UUID braces", "{" + receiptKey + "}", `unknown code format "{3f2504e0-4f89-11d3-…"`},
	{"long junk truncated", strings.Repeat("A", 50), `unknown code format "AAAAAAAAAAAAAAAAAAAA…"`},
	{"not UTF-8", "\xff\xfe", `unknown code format "\xff\xfe"`},
	{"control characters", "\x1b[2J", `unknown code format "\x1b[2J"`},
	{"NUL inside", "4006381\x00333931", `unknown code format "4006381\x00333931"`},
}

func TestParseErrors(t *testing.T) {
	r := DefaultScanRules()
	for _, tt := range parseErrorTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Parse(tt.input)
			if err == nil {
				t.Fatalf("Parse(%q): got %+v, want error %q", tt.input, got, tt.want)
			}
			if code := ErrorCode(err); code != EInvalid {
				t.Errorf("Parse(%q): got error code %q, want %q", tt.input, code, EInvalid)
			}
			if msg := ErrorMessage(err); msg != tt.want {
				t.Errorf("Parse(%q): got error %q, want %q", tt.input, msg, tt.want)
			}
			if got != (Scan{}) {
				t.Errorf("Parse(%q): got %+v with the error, want a zero Scan", tt.input, got)
			}
		})
	}
}

func TestParseHugeInput(t *testing.T) {
	r := DefaultScanRules()
	for _, tt := range []struct {
		name, input, want string
	}{
		{"digits", strings.Repeat("9", 10<<20), `unknown code format "99999999999999999999…"`},
		{"spaces around EAN-13", strings.Repeat(" ", 1<<20) + "4006381333931" + strings.Repeat("\n", 1<<20), ""},
		{"stars", strings.Repeat("*", 1<<20), "type the quantity before the *"},
		{"quantity digits", strings.Repeat("1", 1<<20) + "*4011", "quantity 11111111111111111111… is more than the maximum of 9999"},
		{"invalid UTF-8", strings.Repeat("\xff", 1<<20), `unknown code format "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff…"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Parse(tt.input)
			if got := ErrorMessage(err); got != tt.want {
				t.Errorf("got error %q, want %q", got, tt.want)
			}
		})
	}
}

// valueCheckRules have price/weight check digits (GS1 4- and 5-digit
// algorithms), a prefix 21 without one, and no rule for 20.
func valueCheckRules() ScanRules {
	return ScanRules{
		VariableMeasure: []VariableMeasureRule{
			{Prefix: "28", Embeds: MeasurePrice, ItemDigits: 5, ValueDigits: 4, ValueCheck: true},
			{Prefix: "29", Embeds: MeasureWeight, ItemDigits: 4, ValueDigits: 5, ValueCheck: true},
			{Prefix: "21", Embeds: MeasurePrice, ItemDigits: 5, ValueDigits: 5},
		},
		LoyaltyPrefix: "980",
		MaxQuantity:   50,
	}
}

// Labels with a value check digit, worked out by hand:
//
//	2812345 9 2875 2  price 28.75: 2875 → 9 (GS1 example); 2+1+3+5+2+7=20,
//	                  (8+2+4+9+8+5)*3=108, 128 → 2
//	291234 6 14685 5  14.685 kg: 14685 → 6 (GS1 example); 24 + 27*3 = 105 → 5
//	2812345 8 2875 5  a wrong price check digit with a right EAN-13 one:
//	                  20 + 35*3 = 125 → 5
const (
	priceCheckLabel  = "2812345928752"
	weightCheckLabel = "2912346146855"
)

func TestParseVariableMeasureRules(t *testing.T) {
	r := valueCheckRules()
	if err := r.Validate(); err != nil {
		t.Fatalf("Validate: got %v, want nil", err)
	}
	for _, tt := range []struct {
		name, input string
		want        Scan
		wantErr     string
	}{
		{"4-digit price check", priceCheckLabel, labelOf("2812345", MeasurePrice, 2875), ""},
		{"4-digit price check with quantity", "3*" + priceCheckLabel, withQty(labelOf("2812345", MeasurePrice, 2875), 3), ""},
		{"5-digit weight check", weightCheckLabel, labelOf("291234", MeasureWeight, 14685), ""},
		{"no value check", priceLabel, labelOf("2112345", MeasurePrice, 1299), ""},
		{"wrong price check digit", "2812345828755", Scan{}, "price check digit of 2812345828755 is wrong (expected 9)"},
		{"wrong EAN-13 check digit", "2812345928753", Scan{}, "check digit of 2812345928753 is wrong (expected 2)"},
		{"weight with quantity", "2*" + weightCheckLabel, Scan{}, "weighed items take their weight from the scale label"},
		// 200000000000: 2 → 8. Prefix 20 has no rule here: a plain EAN-13.
		{"prefix without a rule", "2000000000008", itemOf("2000000000008", FormatEAN13), ""},
		{"prefix without a rule, bad check digit", "2000000000009", Scan{}, "check digit of 2000000000009 is wrong (expected 8)"},
		{"custom max quantity", "50*4011", withQty(itemOf("4011", FormatPLU), 50), ""},
		{"above custom max quantity", "51*4011", Scan{}, "quantity 51 is more than the maximum of 50"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Parse(tt.input)
			if msg := ErrorMessage(err); msg != tt.wantErr {
				t.Fatalf("Parse(%q): got error %q, want %q", tt.input, msg, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Parse(%q): got %+v, want %+v", tt.input, got, tt.want)
			}
		})
	}
}

func TestParseLoyaltyPrefix(t *testing.T) {
	rule21 := VariableMeasureRule{Prefix: "21", Embeds: MeasurePrice, ItemDigits: 5, ValueDigits: 5}
	// 251234567890: 27 + 25*3 = 102 → 8.
	const card25 = "2512345678908"
	for _, tt := range []struct {
		name  string
		rules ScanRules
		input string
		want  Scan
	}{
		{"no loyalty prefix: an EAN-13", ScanRules{}, loyaltyCard, itemOf(loyaltyCard, FormatEAN13)},
		{"prefix 25 without a rule is a card", ScanRules{VariableMeasure: []VariableMeasureRule{rule21}, LoyaltyPrefix: "25"},
			card25, Scan{Kind: ScanLoyaltyCard, Code: card25, Format: FormatLoyaltyCard, Quantity: 1}},
		// Validate refuses this configuration; Parse still decides: the rule wins.
		{"overlapping prefix: the rule wins", ScanRules{VariableMeasure: []VariableMeasureRule{rule21}, LoyaltyPrefix: "21"},
			priceLabel, labelOf("2112345", MeasurePrice, 1299)},
		{"long loyalty prefix", ScanRules{LoyaltyPrefix: "9801234"}, loyaltyCard,
			Scan{Kind: ScanLoyaltyCard, Code: loyaltyCard, Format: FormatLoyaltyCard, Quantity: 1}},
		{"other prefix: an EAN-13", ScanRules{LoyaltyPrefix: "981"}, loyaltyCard, itemOf(loyaltyCard, FormatEAN13)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rules.Parse(tt.input)
			if err != nil {
				t.Fatalf("Parse(%q): got error %q, want %+v", tt.input, err, tt.want)
			}
			if got != tt.want {
				t.Errorf("Parse(%q): got %+v, want %+v", tt.input, got, tt.want)
			}
		})
	}
}

func TestParseMisconfiguredRule(t *testing.T) {
	r := ScanRules{VariableMeasure: []VariableMeasureRule{
		{Prefix: "21", Embeds: MeasurePrice, ItemDigits: 7, ValueDigits: 7},
	}}
	_, err := r.Parse(priceLabel)
	want := "the store's scan rules are wrong: variable-measure prefix 21: 7 item digits and 7 value digits must add up to 10"
	if got := ErrorMessage(err); got != want {
		t.Errorf("got error %q, want %q", got, want)
	}
	// Other codes still scan.
	if got, err := r.Parse("4006381333931"); err != nil || got.Code != "4006381333931" {
		t.Errorf("got %+v, %v, want EAN-13 4006381333931", got, err)
	}
}

func TestScanRulesValidate(t *testing.T) {
	price := func(prefix string, item, value int) VariableMeasureRule {
		return VariableMeasureRule{Prefix: prefix, Embeds: MeasurePrice, ItemDigits: item, ValueDigits: value}
	}
	with := func(rules ...VariableMeasureRule) ScanRules { return ScanRules{VariableMeasure: rules} }
	for _, tt := range []struct {
		name  string
		rules ScanRules
		want  string
	}{
		{"default", DefaultScanRules(), ""},
		{"empty", ScanRules{}, ""},
		{"value checks", valueCheckRules(), ""},
		{"prefix 30", with(price("30", 5, 5)), `variable-measure prefix "30" must be two digits from 20 to 29`},
		{"prefix 2", with(price("2", 5, 5)), `variable-measure prefix "2" must be two digits from 20 to 29`},
		{"prefix 2a", with(price("2a", 5, 5)), `variable-measure prefix "2a" must be two digits from 20 to 29`},
		{"prefix 210", with(price("210", 5, 5)), `variable-measure prefix "210" must be two digits from 20 to 29`},
		{"twice", with(price("21", 5, 5), price("22", 5, 5), price("21", 4, 6)), "variable-measure prefix 21 is configured twice"},
		{"no measure", with(VariableMeasureRule{Prefix: "21", ItemDigits: 5, ValueDigits: 5}),
			"variable-measure prefix 21 must embed a price or a weight"},
		{"no item digits", with(price("21", 0, 10)), "variable-measure prefix 21 needs 1 to 9 item digits and 1 to 9 value digits"},
		{"negative digits", with(price("21", -1, 11)), "variable-measure prefix 21 needs 1 to 9 item digits and 1 to 9 value digits"},
		{"digits do not add up", with(price("21", 5, 6)), "variable-measure prefix 21: 5 item digits and 6 value digits must add up to 10"},
		{"value check adds up to 9", with(VariableMeasureRule{Prefix: "21", Embeds: MeasureWeight, ItemDigits: 5, ValueDigits: 5, ValueCheck: true}),
			"variable-measure prefix 21: 5 item digits and 5 value digits must add up to 9"},
		{"value check needs 4 or 5", with(VariableMeasureRule{Prefix: "21", Embeds: MeasurePrice, ItemDigits: 6, ValueDigits: 3, ValueCheck: true}),
			"variable-measure prefix 21: a value check digit needs 4 or 5 value digits, not 3"},
		{"loyalty overlaps", ScanRules{VariableMeasure: []VariableMeasureRule{price("21", 5, 5)}, LoyaltyPrefix: "213"},
			"loyalty prefix 213 overlaps variable-measure prefix 21"},
		{"loyalty 2 overlaps", ScanRules{VariableMeasure: []VariableMeasureRule{price("21", 5, 5)}, LoyaltyPrefix: "2"},
			"loyalty prefix 2 overlaps variable-measure prefix 21"},
		{"loyalty 25 without rule 25", ScanRules{VariableMeasure: []VariableMeasureRule{price("21", 5, 5)}, LoyaltyPrefix: "25"}, ""},
		{"loyalty letters", ScanRules{LoyaltyPrefix: "98a"}, `loyalty prefix "98a" must be 1 to 12 digits`},
		{"loyalty too long", ScanRules{LoyaltyPrefix: "9801234567890"}, `loyalty prefix "9801234567890" must be 1 to 12 digits`},
		{"negative max quantity", ScanRules{MaxQuantity: -1}, "maximum quantity -1 is not allowed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rules.Validate()
			if got := ErrorMessage(err); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if err != nil && ErrorCode(err) != EInvalid {
				t.Errorf("got code %q, want %q", ErrorCode(err), EInvalid)
			}
		})
	}
}

func TestScanDefaultRules(t *testing.T) {
	r := DefaultScanRules()
	if r.LoyaltyPrefix != "980" || r.MaxQuantity != 9999 || len(r.VariableMeasure) != 10 {
		t.Fatalf("got %+v, want loyalty 980, max 9999 and 10 rules", r)
	}
	for _, v := range r.VariableMeasure {
		want := MeasureWeight
		if v.Prefix <= "22" {
			want = MeasurePrice
		}
		if v.Embeds != want || v.ItemDigits != 5 || v.ValueDigits != 5 || v.ValueCheck {
			t.Errorf("rule %s: got %+v, want %v with 5 item and 5 value digits", v.Prefix, v, want)
		}
	}
}

func TestGTINCheckDigit(t *testing.T) {
	for _, tt := range []struct {
		digits string
		want   int
	}{
		{"400638133393", 1},
		{"590123412345", 7},
		{"978020137962", 4},
		{"03600029145", 2},
		{"01234567890", 5},
		{"9638507", 4},
		{"5512345", 7},
		{"01234500006", 5},
		{"04210000526", 4},
		{"0000000", 0},
		{"1", 7},
		{"1001234567890", 2}, // a GTIN-14
		{"", -1},
		{"12a", -1},
		{"１２", -1},
	} {
		t.Run(tt.digits, func(t *testing.T) {
			if got := GTINCheckDigit(tt.digits); got != tt.want {
				t.Errorf("GTINCheckDigit(%q): got %d, want %d", tt.digits, got, tt.want)
			}
		})
	}
}

func TestGTINCheckDigitRealCodes(t *testing.T) {
	for _, code := range realGTINs {
		t.Run(code, func(t *testing.T) {
			n := len(code) - 1
			if got, want := GTINCheckDigit(code[:n]), int(code[n]-'0'); got != want {
				t.Errorf("GTINCheckDigit(%q): got %d, want %d", code[:n], got, want)
			}
		})
	}
}

func TestValidGTIN(t *testing.T) {
	for _, tt := range []struct {
		code string
		want bool
	}{
		{"4006381333931", true},
		{"4006381333932", false},
		{"9780201379624", true},
		{"036000291452", true},
		{"036000291453", false},
		{"96385074", true},
		{"96385075", false},
		{"10012345678902", true},
		{"10012345678903", false},
		{"0012345000065", true},
		{"", false},
		{"4011", false},
		{"1234567", false},
		{"400638133393a", false},
		{"-4006381333931", false},
		{"40063813339310", false},
	} {
		t.Run(tt.code, func(t *testing.T) {
			if got := ValidGTIN(tt.code); got != tt.want {
				t.Errorf("ValidGTIN(%q): got %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestVariableMeasureValueCheckDigit(t *testing.T) {
	for _, tt := range []struct {
		value string
		want  int
	}{
		{"2875", 9},  // GS1 General Specifications example
		{"14685", 6}, // GS1 General Specifications example
		{"0000", 0},
		{"00000", 0},
		// 1250: 2 + 4 + 3*5 + 0 = 21, *3 = 63 → 3.
		{"1250", 3},
		// 01250: 0 + 2 + 9 + 7 + 0 = 18, 20-18 = 2, 5- of 7 is 2 → 7.
		{"01250", 7},
		// 99999: 9 + 7 + 1 + 9 + 7 = 33, 40-33 = 7, 5- of 6 is 7 → 6.
		{"99999", 6},
		{"123", -1},
		{"123456", -1},
		{"12a4", -1},
	} {
		t.Run(tt.value, func(t *testing.T) {
			if got := priceCheckDigit(tt.value); got != tt.want {
				t.Errorf("priceCheckDigit(%q): got %d, want %d", tt.value, got, tt.want)
			}
		})
	}
	// The 5- weights undo correctly for every digit.
	for d := range 10 {
		if got := weight5MinusUndo[weight5Minus[d]]; got != d {
			t.Errorf("weight5MinusUndo[weight5Minus[%d]]: got %d, want %d", d, got, d)
		}
	}
}

func TestVariableMeasureCode(t *testing.T) {
	def := DefaultScanRules()
	rule := func(r ScanRules, prefix string) VariableMeasureRule {
		for _, v := range r.VariableMeasure {
			if v.Prefix == prefix {
				return v
			}
		}
		t.Fatalf("no rule %s", prefix)
		return VariableMeasureRule{}
	}
	vc := valueCheckRules()
	for _, tt := range []struct {
		name  string
		rule  VariableMeasureRule
		item  string
		value int64
		want  string
		err   string
	}{
		{"price, by hand", rule(def, "21"), "12345", 1299, priceLabel, ""},
		{"weight, by hand", rule(def, "23"), "00042", 1250, weightLabel, ""},
		{"4-digit price check, by hand", rule(vc, "28"), "12345", 2875, priceCheckLabel, ""},
		{"5-digit weight check, by hand", rule(vc, "29"), "1234", 14685, weightCheckLabel, ""},
		// 299999999999: 2+9*5=47, 9*6*3=162, 209 → 1.
		{"largest value, by hand", rule(def, "29"), "99999", 99999, "2999999999991", ""},
		{"item digits too short", rule(def, "21"), "1234", 100, "", `item number "1234" must be 5 digits`},
		{"item digits not digits", rule(def, "21"), "12a45", 100, "", `item number "12a45" must be 5 digits`},
		{"value 0", rule(def, "21"), "12345", 0, "", "price 0 does not fit on a label (1 to 99999)"},
		{"negative value", rule(def, "24"), "12345", -5, "", "weight -5 does not fit on a label (1 to 99999)"},
		{"value too large", rule(vc, "28"), "12345", 10000, "", "price 10000 does not fit on a label (1 to 9999)"},
		{"bad rule", VariableMeasureRule{Prefix: "19", Embeds: MeasurePrice, ItemDigits: 5, ValueDigits: 5}, "12345", 1, "",
			`variable-measure prefix "19" must be two digits from 20 to 29`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VariableMeasureCode(tt.rule, tt.item, tt.value)
			if msg := ErrorMessage(err); msg != tt.err {
				t.Fatalf("got error %q, want %q", msg, tt.err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// Labels built with VariableMeasureCode scan back to the same item and value.
func TestVariableMeasureCodeParses(t *testing.T) {
	for _, r := range []ScanRules{DefaultScanRules(), valueCheckRules()} {
		for _, rule := range r.VariableMeasure {
			item := strings.Repeat("7", rule.ItemDigits-1) + "3"
			limit := int64(1)
			for range rule.ValueDigits {
				limit *= 10
			}
			for _, v := range []int64{1, 9, 10, 499, 1250, 2875, limit / 3, limit - 1} {
				if v >= limit {
					continue
				}
				code, err := VariableMeasureCode(rule, item, v)
				if err != nil {
					t.Fatalf("VariableMeasureCode(%s, %s, %d): %v", rule.Prefix, item, v, err)
				}
				got, err := r.Parse(code)
				want := labelOf(rule.Prefix+item, rule.Embeds, v)
				if err != nil || got != want {
					t.Errorf("Parse(%q): got %+v, %v, want %+v", code, got, err, want)
				}
			}
		}
	}
}

func TestScanKindString(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{ScanItem.String(), "item"},
		{ScanLoyaltyCard.String(), "loyalty card"},
		{ScanReceipt.String(), "receipt"},
		{ScanKind(0).String(), "ScanKind(0)"},
		{MeasureNone.String(), "none"},
		{MeasurePrice.String(), "price"},
		{MeasureWeight.String(), "weight"},
		{MeasureKind(7).String(), "MeasureKind(7)"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.input)
	}
	for _, tt := range parseErrorTests {
		f.Add(tt.input)
	}
	for _, s := range []string{priceCheckLabel, weightCheckLabel, "2812345828755", "2000000000008",
		"2*" + priceCheckLabel, "50*4011", "51*4011", "2512345678908"} {
		f.Add(s)
	}
	rulesets := []ScanRules{DefaultScanRules(), valueCheckRules(), {}}
	f.Fuzz(func(t *testing.T, input string) {
		for _, r := range rulesets {
			got, err := r.Parse(input)
			again, err2 := r.Parse(input)
			if got != again || ErrorMessage(err) != ErrorMessage(err2) {
				t.Fatalf("Parse(%q) is not deterministic: got %+v, %v then %+v, %v", input, got, err, again, err2)
			}
			if err != nil {
				if ErrorCode(err) != EInvalid {
					t.Fatalf("Parse(%q): got error code %q, want %q", input, ErrorCode(err), EInvalid)
				}
				if msg := ErrorMessage(err); msg == "" || len(msg) > 300 {
					t.Fatalf("Parse(%q): got error message of %d bytes %q, want 1 to 300", input, len(msg), msg)
				}
				if got != (Scan{}) {
					t.Fatalf("Parse(%q): got %+v with error %v, want a zero Scan", input, got, err)
				}
				continue
			}
			checkParsedScan(t, r, input, got)
		}
	})
}

// checkScan asserts what every successful scan promises.
func checkParsedScan(t *testing.T, r ScanRules, input string, got Scan) {
	t.Helper()
	if got.Quantity < 1 || got.Quantity > r.maxQuantity() {
		t.Fatalf("Parse(%q): got quantity %d, want 1 to %d", input, got.Quantity, r.maxQuantity())
	}
	if !got.Explicit && got.Quantity != 1 {
		t.Fatalf("Parse(%q): got quantity %d without a prefix, want 1", input, got.Quantity)
	}
	if got.Code == "" {
		t.Fatalf("Parse(%q): got an empty code", input)
	}
	// The code as scanned, without whitespace and quantity.
	raw := strings.TrimSpace(input)
	if i := strings.IndexByte(raw, '*'); i >= 0 {
		raw = strings.TrimSpace(raw[i+1:])
	}
	if got.Measure != MeasureNone && got.Format != FormatVariableMeasure {
		t.Fatalf("Parse(%q): got measure %v on a %s", input, got.Measure, got.Format)
	}
	switch got.Kind {
	case ScanItem:
		switch got.Format {
		case FormatEAN13, FormatEAN8, FormatUPCA, FormatUPCE:
			if len(got.Code) != 13 || !ValidGTIN(got.Code) {
				t.Fatalf("Parse(%q): got code %q, want 13 digits with a valid check digit", input, got.Code)
			}
			// The lookup key scans as itself.
			if again, err := r.Parse(got.Code); err != nil || again != itemOf(got.Code, FormatEAN13) {
				t.Fatalf("Parse(%q) of the key of %q: got %+v, %v, want the same EAN-13", got.Code, input, again, err)
			}
		case FormatPLU:
			if got.Code != raw || len(raw) < 3 || len(raw) > 5 || !allScanDigits(raw) {
				t.Fatalf("Parse(%q): got PLU %q, want 3 to 5 digits as typed", input, got.Code)
			}
		case FormatVariableMeasure:
			if got.Value <= 0 || got.Measure == MeasureNone || got.Measure == MeasureWeight && got.Explicit {
				t.Fatalf("Parse(%q): got %+v, want a positive value and no quantity on a weight", input, got)
			}
			var rule VariableMeasureRule
			for _, v := range r.VariableMeasure {
				if v.Prefix == got.Code[:2] {
					rule = v
				}
			}
			if code, err := VariableMeasureCode(rule, got.Code[2:], got.Value); err != nil || code != raw {
				t.Fatalf("Parse(%q): got %+v, which prints as %q, %v, want %q", input, got, code, err, raw)
			}
		default:
			t.Fatalf("Parse(%q): got item format %q", input, got.Format)
		}
	case ScanLoyaltyCard:
		if got.Explicit || got.Format != FormatLoyaltyCard || !ValidGTIN(got.Code) || len(got.Code) != 13 ||
			!strings.HasPrefix(got.Code, r.LoyaltyPrefix) || r.LoyaltyPrefix == "" {
			t.Fatalf("Parse(%q): got %+v, want a valid 13-digit card with prefix %q", input, got, r.LoyaltyPrefix)
		}
	case ScanReceipt:
		if key, ok := parseUUID(got.Code); got.Explicit || got.Format != FormatReceipt || !ok || key != got.Code ||
			len(got.Code) != 36 || !strings.EqualFold(strings.ReplaceAll(raw, "-", ""), strings.ReplaceAll(got.Code, "-", "")) {
			t.Fatalf("Parse(%q): got %+v, want the lower-case canonical UUID", input, got)
		}
	default:
		t.Fatalf("Parse(%q): got kind %v", input, got.Kind)
	}
}

func BenchmarkParse(b *testing.B) {
	r := DefaultScanRules()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Parse("4006381333931"); err != nil {
			b.Fatal(err)
		}
	}
}
