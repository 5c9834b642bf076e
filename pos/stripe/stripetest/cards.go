package stripetest

import "regexp"

// cardLike matches runs of 13 to 19 digits, alone or in groups of four
// separated by spaces or dashes, as card numbers are written.
var cardLike = regexp.MustCompile(`\d{13,19}|\d{4}(?:[ -]\d{4}){2}[ -]\d{1,7}`)

// uuidLike matches an idempotency key: its digit groups can look like a
// dashed card number that passes Luhn, and must not count as one.
var uuidLike = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// CardNumbers returns what in s looks like a card number: 13 to 19 digits
// that pass the Luhn check. Tests run it over logs, requests and database
// contents, where only a card's last 4 digits may ever appear.
func CardNumbers(s string) []string {
	var found []string
	s = uuidLike.ReplaceAllString(s, "<uuid>")
	for _, m := range cardLike.FindAllString(s, -1) {
		digits := make([]byte, 0, len(m))
		for i := 0; i < len(m); i++ {
			if m[i] >= '0' && m[i] <= '9' {
				digits = append(digits, m[i])
			}
		}
		if len(digits) >= 13 && len(digits) <= 19 && luhn(digits) {
			found = append(found, m)
		}
	}
	return found
}

func luhn(digits []byte) bool {
	sum := 0
	for i := range digits {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
