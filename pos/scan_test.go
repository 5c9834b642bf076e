package pos

import (
	"fmt"
	"math/rand/v2"
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

// bothOf is an 8-digit scan that is a UPC-E and an EAN-8.
func bothOf(upce, ean8 string) Scan {
	s := itemOf(upce, FormatUPCE)
	s.Alternative, s.AlternativeFormat = ean8, FormatEAN8
	return s
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
	// 01234565 is a valid EAN-8 too ((6+4+2)*3 + 5+3+1 = 45 → 5): both
	// GTINs, the catalog decides.
	{"UPC-E and EAN-8", "01234565", bothOf("0012345000065", "0000001234565")},
	// GS1's in-store (RCN-8) examples, also valid UPC-Es: 0001111 →
	// 00010000111, 1*3+1+1*3+1 = 8 → 2 both ways; 0009999 → 00099900009,
	// 9*3+9+9*3+9 = 72 → 8 both ways.
	{"GS1 in-store EAN-8 00011112", "00011112", bothOf("0000100001112", "0000000011112")},
	{"GS1 in-store EAN-8 00099998", "00099998", bothOf("0000999000098", "0000000099998")},
	// One GTIN either way: no alternative.
	{"all zeros", "00000000", itemOf("0000000000000", FormatUPCE)},
	{"UPC-E last digit 0-2", "04252614", itemOf("0042100005264", FormatUPCE)},
	// 0123453 → 01230000045: (0+2+0+0+0+5)*3 + 1+3+0+0+4 = 29 → 1.
	{"UPC-E last digit 3", "01234531", itemOf("0012300000451", FormatUPCE)},
	// 0123454 → 01234000005: 11*3 + 4 = 37 → 3.
	{"UPC-E last digit 4", "01234543", itemOf("0012340000053", FormatUPCE)},
	// The test code: UPC-E is number system 0 only (GS1), so
	// 12345670 is the EAN-8 (7*3+6+5*3+4+3*3+2+1*3 = 60 → 0), not the
	// UPC-E 0123456000070 it once was read as.
	{"EAN-8 not UPC-E number system 1", "12345670", itemOf("0000012345670", FormatEAN8)},
	// 0120453 would expand to 01200000045 (check 4), but that UPC-A's UPC-E
	// is 0120450: not a UPC-E, so only the EAN-8 (check 7) reads.
	{"EAN-8 not a non-canonical UPC-E", "01204537", itemOf("0000001204537", FormatEAN8)},
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
	// The key's 128 bits in decimal, as the receipt's barcode carries it.
	{"receipt barcode", "0083933577619577329213855713373035705089", Scan{Kind: ScanReceipt, Code: receiptKey, Format: FormatReceipt, Quantity: 1}},
	{"receipt barcode of the largest key", "0340282366920938463463374607431768211455",
		Scan{Kind: ScanReceipt, Code: "ffffffff-ffff-ffff-ffff-ffffffffffff", Format: FormatReceipt, Quantity: 1}},
	{"receipt barcode of the zero key", strings.Repeat("0", 40),
		Scan{Kind: ScanReceipt, Code: "00000000-0000-0000-0000-000000000000", Format: FormatReceipt, Quantity: 1}},
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
	{"EAN-13 check digit", "4006381333932", "check digit of 4006381333932 wrong: rescan"},
	{"ISBN check digit", "9780201379625", "check digit of 9780201379625 wrong: rescan"},
	{"UPC-A check digit", "036000291453", "check digit of 036000291453 wrong: rescan"},
	{"EAN-8 check digit", "96385075", "check digit of 96385075 wrong: rescan"},
	{"UPC-E and EAN-8 expect the same", "01234566", "check digit of 01234566 wrong: rescan"},
	{"UPC-E or EAN-8", "04252615", "check digit of 04252615 wrong: rescan"},
	{"number system 1 is no UPC-E", "12345671", "check digit of 12345671 wrong: rescan"},
	{"non-canonical UPC-E", "01204534", "check digit of 01204534 wrong: rescan"},
	// 2^128 is 340282366920938463463374607431768211456.
	{"receipt code over 128 bits", "0340282366920938463463374607431768211456", `receipt code "03402823669209384634…" is not a sale key`},
	{"41 digits", "00340282366920938463463374607431768211455", `unknown code format "00340282366920938463…"`},
	{"loyalty check digit", "9801234567893", "check digit of 9801234567893 wrong: rescan"},
	{"price label check digit", "2112345012996", "check digit of 2112345012996 wrong: rescan"},
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
	{"quantity on a bad code", "3*4006381333932", "check digit of 4006381333932 wrong: rescan"},
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
		{"wrong price check digit", "2812345828755", Scan{}, "price check digit of 2812345828755 wrong: rescan"},
		{"wrong EAN-13 check digit", "2812345928753", Scan{}, "check digit of 2812345928753 wrong: rescan"},
		{"weight with quantity", "2*" + weightCheckLabel, Scan{}, "weighed items take their weight from the scale label"},
		// 200000000000: 2 → 8. Prefix 20 has no rule here: a plain EAN-13.
		{"prefix without a rule", "2000000000008", itemOf("2000000000008", FormatEAN13), ""},
		{"prefix without a rule, bad check digit", "2000000000009", Scan{}, "check digit of 2000000000009 wrong: rescan"},
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
		{"prefix 30", with(price("30", 5, 5)), `variable-measure prefix "30" must be two digits from 20 to 29, or 02`},
		{"prefix 2", with(price("2", 5, 5)), `variable-measure prefix "2" must be two digits from 20 to 29, or 02`},
		{"prefix 2a", with(price("2a", 5, 5)), `variable-measure prefix "2a" must be two digits from 20 to 29, or 02`},
		{"prefix 210", with(price("210", 5, 5)), `variable-measure prefix "210" must be two digits from 20 to 29, or 02`},
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
			`variable-measure prefix "19" must be two digits from 20 to 29, or 02`},
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
	for _, name := range ScanProfileNames() {
		r, err := ScanProfile(name)
		if err != nil {
			f.Fatal(err)
		}
		rulesets = append(rulesets, r)
	}
	for _, tt := range profileTests {
		f.Add(tt.input)
	}
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
	if got.Kind != ScanItem && (got.Alternative != "" || got.AlternativeFormat != "") {
		t.Fatalf("Parse(%q): got %+v, an alternative on a %v", input, got, got.Kind)
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
			// The lookup keys scan as themselves.
			for _, key := range got.Candidates() {
				if again, err := r.Parse(key); err != nil || again != itemOf(key, FormatEAN13) {
					t.Fatalf("Parse(%q) of a key of %q: got %+v, %v, want the same EAN-13", key, input, again, err)
				}
			}
			if got.Alternative != "" && (got.Format != FormatUPCE || got.AlternativeFormat != FormatEAN8 ||
				got.Alternative != "00000"+raw || got.Alternative == got.Code || raw[0] != '0') {
				t.Fatalf("Parse(%q): got %+v, want an alternative only for an 8-digit UPC-E that is an EAN-8 too", input, got)
			}
			if got.Alternative == "" && got.AlternativeFormat != "" {
				t.Fatalf("Parse(%q): got %+v, an alternative format without an alternative", input, got)
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
			if code, err := VariableMeasureCode(rule, got.Code[2:], got.Value); err != nil || code != raw && code != "0"+raw {
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
		same := strings.EqualFold(strings.ReplaceAll(raw, "-", ""), strings.ReplaceAll(got.Code, "-", ""))
		if len(raw) == receiptCodeDigits {
			code, err := ReceiptCode(got.Code)
			same = err == nil && code == raw
		}
		if key, ok := parseUUID(got.Code); got.Explicit || got.Format != FormatReceipt || !ok || key != got.Code ||
			len(got.Code) != 36 || !same {
			t.Fatalf("Parse(%q): got %+v, want the lower-case canonical UUID", input, got)
		}
	default:
		t.Fatalf("Parse(%q): got kind %v", input, got.Kind)
	}
}

// upcEOracle expands the UPC-E body e (7 digits: number system and six
// digits, any number system) by the GS1 table, written out as strings, and
// says whether e is the one zero-suppressed form of that UPC-A (compressing
// it back gives e). It returns the expansion's 13-digit GTIN.
func upcEOracle(e string) (gtin string, canonical bool) {
	ns, d := e[:1], e[1:7]
	var a string
	switch d[5] {
	case '0', '1', '2':
		a = ns + d[0:2] + d[5:6] + "0000" + d[2:5]
	case '3':
		a = ns + d[0:3] + "00000" + d[3:5]
	case '4':
		a = ns + d[0:4] + "00000" + d[4:5]
	default:
		a = ns + d[0:5] + "0000" + d[5:6]
	}
	m, p := a[1:6], a[6:11]
	var c string
	switch {
	case (strings.HasSuffix(m, "000") || strings.HasSuffix(m, "100") || strings.HasSuffix(m, "200")) && p[:2] == "00":
		c = ns + m[:2] + p[2:] + m[2:3]
	case m[3:] == "00" && p[:3] == "000":
		c = ns + m[:3] + p[3:] + "3"
	case m[4] == '0' && p[:4] == "0000":
		c = ns + m[:4] + p[4:] + "4"
	case p[:4] == "0000" && p[4] >= '5':
		c = ns + m + p[4:]
	}
	return "0" + a + string(rune('0'+GTINCheckDigit(a))), c == e
}

// TestParse8DigitClasses checks every pattern class of 8-digit codes
// against an oracle: the number system digit (0, 1, 2–9), the UPC-E form
// its 7th digit selects (0–2, 3, 4, 5–9), whether it is the zero-suppressed
// form of its expansion, and which check digits it satisfies (UPC-E's,
// EAN-8's, both, neither): 3 × 4 × 2 × 4 = 96 combinations. Some cannot
// exist: a 7th digit of 0–2 is always the zero-suppressed form; with 5–9 the
// UPC-E and EAN-8 check digits always agree (the weights are the same); with
// 3 they never do (their sums differ by 9 + 2(d4 − d5), an odd number); with
// 4 they agree when the 6th digit is 1 or 6. That leaves 66 classes; each
// is checked on every code of a sample of 64,000 that covers them all.
func TestParse8DigitClasses(t *testing.T) {
	r := DefaultScanRules()
	type class struct {
		first, form    string
		canonical      bool
		upceOK, ean8OK bool
	}
	group := func(c byte, groups ...string) string {
		for _, g := range groups {
			if len(g) == 1 && g[0] == c || len(g) == 3 && g[0] <= c && c <= g[2] {
				return g
			}
		}
		return "?"
	}
	seen := map[class]int{}
	for d0 := range 10 {
		for _, d12 := range []string{"00", "47"} {
			for _, d3 := range "0139" {
				for _, d4 := range "05" {
					for _, d5 := range "0167" {
						for d6 := range 10 {
							body := string(rune('0'+d0)) + d12 + string(d3) + string(d4) + string(d5) + string(rune('0'+d6))
							gtin, canonical := upcEOracle(body)
							for check := range 10 {
								code := body + string(rune('0'+check))
								c := class{group(code[0], "0", "1", "2-9"), group(code[6], "0-2", "3", "4", "5-9"), canonical,
									gtin[12] == code[7], GTINCheckDigit(body) == check}
								seen[c]++
								var want Scan
								isUPCE := c.first == "0" && c.canonical && c.upceOK
								switch {
								case isUPCE && c.ean8OK && gtin != "00000"+code:
									want = bothOf(gtin, "00000"+code)
								case isUPCE:
									want = itemOf(gtin, FormatUPCE)
								case c.ean8OK:
									want = itemOf("00000"+code, FormatEAN8)
								}
								got, err := r.Parse(code)
								if want.Kind == 0 {
									if err == nil {
										t.Errorf("%+v: Parse(%s): got %+v, want an error", c, code, got)
									}
									continue
								}
								if err != nil || got != want {
									t.Errorf("%+v: Parse(%s): got %+v, %v, want %+v", c, code, got, err, want)
								}
							}
						}
					}
				}
			}
		}
	}
	for c := range seen {
		if c.form == "0-2" && !c.canonical || c.form == "5-9" && c.upceOK != c.ean8OK || c.form == "3" && c.upceOK && c.ean8OK {
			t.Errorf("class %+v should not exist", c)
		}
	}
	if len(seen) != 66 {
		t.Errorf("got %d classes, want 66: %v", len(seen), seen)
	}
	t.Logf("%d 8-digit pattern classes checked", len(seen))
}

func TestScanChoose(t *testing.T) {
	both := bothOf("0012345000065", "0000001234565")
	if got := both.Candidates(); len(got) != 2 || got[0] != both.Code || got[1] != both.Alternative {
		t.Errorf("Candidates: got %q", got)
	}
	for _, tt := range []struct {
		code string
		want Scan
		ok   bool
	}{
		{"0012345000065", itemOf("0012345000065", FormatUPCE), true},
		{"0000001234565", itemOf("0000001234565", FormatEAN8), true},
		{"4006381333931", both, false},
		{"", both, false},
	} {
		got, ok := withQty(both, 2).Choose(tt.code)
		if tt.want = withQty(tt.want, 2); got != tt.want || ok != tt.ok {
			t.Errorf("Choose(%q): got %+v, %v, want %+v, %v", tt.code, got, ok, tt.want, tt.ok)
		}
	}
	one := itemOf("4006381333931", FormatEAN13)
	if got := one.Candidates(); len(got) != 1 || got[0] != one.Code {
		t.Errorf("Candidates of one: got %q", got)
	}
	if got, ok := one.Choose(one.Code); !ok || got != one {
		t.Errorf("Choose of one: got %+v, %v", got, ok)
	}
}

// profileTests are published examples of each profile's labels, and codes
// built from a national body's published layout and decimals where it
// gives no whole barcode.
var profileTests = []struct {
	profile, name, input string
	want                 Scan
	err                  string
}{
	// GS1 UK, "How to barcode variable measure items": 20XXX RR V PPPP C.
	// The example: price 1234 (£12.34), verifier 9 (1234: 2+4+9+8
	// = 23, *3 = 69 → 9).
	{"UK", "GS1 UK price label", "2011122912346", labelOf("2011122", MeasurePrice, 1234), ""},
	{"UK", "prefix 28", "2812345928752", labelOf("2812345", MeasurePrice, 2875), ""},
	// 201112281234 → EAN-13 check 9: a good EAN-13 with a wrong verifier.
	{"UK", "wrong price verifier", "2011122812349", Scan{}, "price check digit of 2011122812349 wrong: rescan"},
	// GS1 Norway layout, the example: 23, item 021482, 1.086 kg.
	{"NO", "weight label", "2302148210869", labelOf("23021482", MeasureWeight, 1086), ""},
	// 230214820000: 6.
	{"NO", "no weight", "2302148200006", Scan{}, "the label 2302148200006 shows no weight"},
	// GS1 Sweden, "Viktvarunummer": 2X, a 6-digit prefix and serial, 4
	// digits of price or weight, with X giving the decimals; its examples
	// 12,34 kr, 123,4 kr, 1234 kr, 1,234 kg, 12,34 kg, 123,4 kg on item
	// 123456.
	{"SE", "price two decimals", "2012345612341", labelOf("20123456", MeasurePrice, 1234), ""},
	{"SE", "price one decimal", "2112345612348", labelOf("21123456", MeasurePrice, 12340), ""},
	{"SE", "price whole kronor", "2212345612345", labelOf("22123456", MeasurePrice, 123400), ""},
	{"SE", "weight three decimals", "2312345612342", labelOf("23123456", MeasureWeight, 1234), ""},
	{"SE", "weight two decimals", "2412345612349", labelOf("24123456", MeasureWeight, 12340), ""},
	{"SE", "weight one decimal", "2512345612346", labelOf("25123456", MeasureWeight, 123400), ""},
	// 26–29 have no layout in Sweden: ordinary EAN-13s (260000000000: 0).
	{"SE", "prefix 26", "2600000000000", itemOf("2600000000000", FormatEAN13), ""},
	// UPC-A variable measure, 2 IIIII V PPPP C: $8.63 on item 99265 (the
	// barkick gem's documented example; 0863: 0+5+18+4 = 27, *3 = 81 → 1).
	{"US", "UPC-A price label", "299265108631", labelOf("0299265", MeasurePrice, 863), ""},
	{"US", "as an EAN-13", "0299265108631", labelOf("0299265", MeasurePrice, 863), ""},
	{"US", "price label with quantity", "2*299265108631", withQty(labelOf("0299265", MeasurePrice, 863), 2), ""},
	// 29926500863: 4, so the UPC-A check digit is right and the verifier 0 wrong.
	{"US", "wrong price verifier", "299265008634", Scan{}, "price check digit of 299265008634 wrong: rescan"},
	{"US", "UPC-A check digit", "299265108632", Scan{}, "check digit of 299265108632 wrong: rescan"},
	{"US", "ordinary UPC-A", "036000291452", itemOf("0036000291452", FormatUPCA), ""},
	{"US", "prefix 20 is an ordinary EAN-13", "2000000000008", itemOf("2000000000008", FormatEAN13), ""},
	// DE: the till's default layout, 5 item and 5 value digits.
	{"DE", "price label", priceLabel, labelOf("2112345", MeasurePrice, 1299), ""},
	{"DE", "weight label", weightLabel, labelOf("2300042", MeasureWeight, 1250), ""},
	// The misreadings under the old default rules.
	{"DE", "the UK label read as DE", "2011122912346", labelOf("2011122", MeasurePrice, 91234), ""},
	{"DE", "the NO label read as DE", "2302148210869", labelOf("2302148", MeasureWeight, 21086), ""},
	{"DE", "UPC-A number system 2 is a UPC-A", "299265108631", itemOf("0299265108631", FormatUPCA), ""},
}

func TestScanProfiles(t *testing.T) {
	for _, tt := range profileTests {
		t.Run(tt.profile+" "+tt.name, func(t *testing.T) {
			r, err := ScanProfile(tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Parse(tt.input)
			if msg := ErrorMessage(err); msg != tt.err {
				t.Fatalf("Parse(%q): got error %q, want %q", tt.input, msg, tt.err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q): got %+v, want %+v", tt.input, got, tt.want)
			}
		})
	}
	for _, name := range ScanProfileNames() {
		r, err := ScanProfile(strings.ToLower(name))
		if err != nil {
			t.Fatalf("ScanProfile(%s): %v", name, err)
		}
		if err := r.Validate(); err != nil {
			t.Errorf("profile %s: Validate: %v", name, err)
		}
		// Every layout prints and reads back, as a scale and the till would.
		for _, rule := range r.VariableMeasure {
			item := strings.Repeat("4", rule.ItemDigits-1) + "7"
			for _, v := range []int64{1, 42, 999} {
				value := v * rule.unit()
				code, err := VariableMeasureCode(rule, item, value)
				if err != nil {
					t.Fatalf("profile %s rule %s: VariableMeasureCode(%d): %v", name, rule.Prefix, value, err)
				}
				if got, err := r.Parse(code); err != nil || got != labelOf(rule.Prefix+item, rule.Embeds, value) {
					t.Errorf("profile %s: Parse(%s): got %+v, %v, want %s %d", name, code, got, err, rule.Embeds, value)
				}
				if rule.Prefix == "02" {
					if got, err := r.Parse(code[1:]); err != nil || got != labelOf(rule.Prefix+item, rule.Embeds, value) {
						t.Errorf("profile %s: Parse(%s): got %+v, %v, want %s %d", name, code[1:], got, err, rule.Embeds, value)
					}
				}
			}
		}
	}
	if _, err := ScanProfile("FR"); ErrorMessage(err) != `scan profile "FR" is not one of DE, NO, SE, UK, US` {
		t.Errorf("ScanProfile(FR): got %v", err)
	}
	if r, err := ScanProfile("gb"); err != nil || r.VariableMeasure[0].ValueDigits != 4 {
		t.Errorf("ScanProfile(gb): got %+v, %v, want UK", r, err)
	}
	for cur, want := range map[string]string{"EUR": "DE", "GBP": "UK", "SEK": "SE", "NOK": "NO", "USD": "US",
		"CAD": "US", "usd": "US", "CHF": "DE", "": "DE"} {
		if got := ScanProfileForCurrency(cur); got != want {
			t.Errorf("ScanProfileForCurrency(%q): got %s, want %s", cur, got, want)
		}
	}
}

func TestVariableMeasureScale(t *testing.T) {
	kr1 := VariableMeasureRule{Prefix: "21", Embeds: MeasurePrice, ItemDigits: 6, ValueDigits: 4, Scale: 1}
	for _, tt := range []struct {
		value int64
		want  string
		err   string
	}{
		{12340, "2112345612348", ""},
		{10, "2112345600017", ""},
		{99990, "2112345699998", ""},
		{12345, "", "price 12345 is not a whole number of the label's units of 10"},
		{100000, "", "price 100000 does not fit on a label (1 to 99990)"},
		{5, "", "price 5 is not a whole number of the label's units of 10"},
	} {
		got, err := VariableMeasureCode(kr1, "123456", tt.value)
		if msg := ErrorMessage(err); msg != tt.err || got != tt.want {
			t.Errorf("VariableMeasureCode(%d): got %q, %q, want %q, %q", tt.value, got, msg, tt.want, tt.err)
		}
	}
	bad := kr1
	bad.Scale = 4
	if err := (ScanRules{VariableMeasure: []VariableMeasureRule{bad}}).Validate(); ErrorMessage(err) != "variable-measure prefix 21: scale 4 is not 0 to 3" {
		t.Errorf("Validate scale 4: got %v", err)
	}
}

func TestReceiptCode(t *testing.T) {
	for _, tt := range []struct{ key, want, err string }{
		{receiptKey, "0083933577619577329213855713373035705089", ""},
		{"3F2504E04F8911D39A0C0305E82C3301", "0083933577619577329213855713373035705089", ""},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", "0340282366920938463463374607431768211455", ""},
		{"00000000-0000-0000-0000-000000000001", "0000000000000000000000000000000000000001", ""},
		{"not a key", "", `sale key "not a key" is not a UUID`},
	} {
		got, err := ReceiptCode(tt.key)
		if msg := ErrorMessage(err); got != tt.want || msg != tt.err {
			t.Errorf("ReceiptCode(%q): got %q, %q, want %q, %q", tt.key, got, msg, tt.want, tt.err)
		}
	}
	// Random keys go there and back.
	rng := rand.New(rand.NewPCG(13, 203))
	for range 1000 {
		key := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xffff,
			rng.Uint32()&0xffff, rng.Uint64()&(1<<48-1))
		code, err := ReceiptCode(key)
		if err != nil || len(code) != 40 {
			t.Fatalf("ReceiptCode(%s): got %q, %v", key, code, err)
		}
		got, err := DefaultScanRules().Parse(code)
		if err != nil || got != (Scan{Kind: ScanReceipt, Code: key, Format: FormatReceipt, Quantity: 1}) {
			t.Fatalf("Parse(%s): got %+v, %v, want receipt %s", code, got, err, key)
		}
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
