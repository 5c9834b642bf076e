package stripe

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/till-pos/till/pos/stripe/stripetest"
)

// TestNoCardNumbersInSource greps this package's files, its test helpers,
// fixtures and the till's configuration test for card numbers. The only
// one allowed is Stripe's public declining test card, in testmode.go,
// which is sent to the test helper and nowhere else.
func TestNoCardNumbersInSource(t *testing.T) {
	files := []string{"../../cmd/till/stripe_test.go"}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path != "testmode.go" {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if found := stripetest.CardNumbers(string(b)); len(found) > 0 {
			t.Errorf("%s: card numbers %q", f, found)
		}
	}
	if found := stripetest.CardNumbers("tap " + declineTestCard); len(found) != 1 {
		t.Errorf("the scan misses Stripe's declining test card: got %q", found)
	}
	if len(files) < 8 {
		t.Errorf("scanned %d files, want the whole package", len(files))
	}
}

func TestCardNumbers(t *testing.T) {
	// Made here, not written down: this file is scanned too.
	pan := withCheckDigit("987654321098765")
	grouped := pan[:4] + " " + pan[4:8] + " " + pan[8:12] + " " + pan[12:]
	short := withCheckDigit("98765432109876")
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"last4 4242, auth A1B2C3", 0},
		{"attempt 0b2ba567-7b1f-489c-9b7d-e4dcec95c684", 0},
		// Seen in a run: the digit groups of a random key pass Luhn.
		{"attempt 9f1a7307-4710-8688-6c2e-0d4b5a6f7e8d", 0},
		{"pan " + pan + " then a key 0b2ba567-7b1f-489c-9b7d-e4dcec95c684", 1},
		{"created 1767225600", 0},
		{"pan " + pan, 1},
		{"grouped " + grouped, 1},
		{"dashed " + strings.ReplaceAll(grouped, " ", "-"), 1},
		{"fifteen digits " + short, 1},
		{"bad check digit " + pan[:15] + string('0'+(pan[15]-'0'+1)%10), 0},
	} {
		if got := len(stripetest.CardNumbers(tc.in)); got != tc.want {
			t.Errorf("CardNumbers(%q): got %d, want %d", tc.in, got, tc.want)
		}
	}
}

// withCheckDigit appends the Luhn check digit to digits.
func withCheckDigit(digits string) string {
	sum := 0
	for i := range len(digits) {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return digits + string(rune('0'+(10-sum%10)%10))
}
