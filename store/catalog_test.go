package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store/storetest"
)

// searchCustomers are the customers FuzzCustomerSearch searches: ASCII
// only, with names full of LIKE's wildcards and escape character, so that
// a wildcard that leaks from the input into the pattern finds someone it
// should not.
var searchCustomers = []pos.Customer{
	{Name: "Anna Becker", Email: "anna.becker@example.com", Phone: "+49 30 23125 100", LoyaltyCard: "9800000000015"},
	{Name: "anna Schmidt", Email: "anna.schmidt@example.org", Phone: "+49 30 23125 107", LoyaltyCard: "9800000000022"},
	{Name: "Annabel Lee", Phone: "030 2312 5114"},
	{Name: "Bo Lind", Email: "bo@example.com", LoyaltyCard: "9800000000039"},
	{Name: "100% Organic Ltd", Email: "100%@example.com", Phone: "+1 555 0100"},
	{Name: "1000 Islands Deli", Phone: "+1 555 0199"},
	{Name: "_underscore Jones", Email: "_@example.org"},
	{Name: "Xunderscore Jones"},
	{Name: `Back\slash Baker`, Email: `back\slash@example.com`},
	{Name: "Backslash Baker"},
	{Name: "O'Brien", Email: "o'brien@example.com", Phone: "0044 20 7946 0958"},
	{Name: "Zoe (no phone)"},
}

// FuzzCustomerSearch searches the real database for any string. An empty
// search (blanks only) is refused as invalid; any other must not fail, and
// must return exactly the customers the query claims: loyalty card or
// email equal to the search, phone ending in its digits, or name starting
// with it.
//
// For a search of printable ASCII the expected customers are worked out
// in Go (case-insensitively, as the collation compares ASCII). For any
// other the collation decides what is equal, so the database is asked
// again with patterns the test escapes itself, with another escape
// character.
func FuzzCustomerSearch(f *testing.F) {
	d := storetest.NewDatabase(f)
	for _, c := range searchCustomers {
		d.AddCustomer(f, c)
	}
	db := d.Open(f)
	for _, seed := range []string{
		"anna", "ANNA B", "9800000000015", "bo@example.com", "100", "0100", "%", "100%", "_", "_u",
		`\`, `Back\`, `\%`, "%%", "'", "O'", "O'Brien", "' OR 1=1 --", "  anna  ", " ", "", "\t\n",
		"Zoë", "zoe", "ü", "\x00", "\xff\xfe", "a\u200bnna", "+49 30 23125 107", "５", "ｂｏ@example.com",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		ctx := context.Background()
		got, err := db.FindCustomers(ctx, query, 100)
		if strings.TrimSpace(query) == "" {
			if pos.ErrorCode(err) != pos.EInvalid {
				t.Fatalf("FindCustomers(%q): got %v, want invalid", query, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("FindCustomers(%q): got %v, want no error", query, err)
		}
		var ids []int64
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		if !slices.IsSortedFunc(got, func(a, b pos.Customer) int {
			return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		}) && printableASCII(query) {
			t.Errorf("FindCustomers(%q): got %v, want them ordered by name", query, names(got))
		}
		want := expectedCustomers(t, d, query)
		slices.Sort(ids)
		if !slices.Equal(ids, want) {
			t.Errorf("FindCustomers(%q): got customers %v (%v), want %v", query, ids, names(got), want)
		}
	})
}

// expectedCustomers returns the sorted ids of the customers a search
// should find.
func expectedCustomers(t *testing.T, d *storetest.Database, query string) []int64 {
	t.Helper()
	q := strings.TrimSpace(query)
	digits := onlyDigits(q)
	var want []int64
	if printableASCII(q) {
		rows, err := d.Admin.Query(`SELECT customer_id, name, COALESCE(email, ''), COALESCE(phone, ''),
			COALESCE(loyalty_card, '') FROM customers`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var name, email, phone, card string
			if err := rows.Scan(&id, &name, &email, &phone, &card); err != nil {
				t.Fatal(err)
			}
			if strings.EqualFold(card, q) || strings.EqualFold(email, q) ||
				digits != "" && strings.HasSuffix(phone, digits) ||
				strings.HasPrefix(strings.ToLower(name), strings.ToLower(q)) {
				want = append(want, id)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		slices.Sort(want)
		return want
	}
	esc := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace
	phone := "%" + esc(digits)
	if digits == "" {
		phone = "" // matches no phone: every stored phone has a digit
	}
	rows, err := d.Admin.Query(`SELECT customer_id FROM customers
		WHERE loyalty_card = ? OR email = ? OR phone LIKE ? ESCAPE '!' OR name LIKE ? ESCAPE '!'
		ORDER BY customer_id`, q, q, phone, esc(q)+"%")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return want
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return utf8.ValidString(s)
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func names(cs []pos.Customer) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}
