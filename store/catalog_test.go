package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"unicode"
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

// people are the customers of TestFindCustomers: a German chain's names,
// phones as they are written down, names with letters and separators a
// LIKE on the whole name misses.
var people = []pos.Customer{
	{Name: "Anna Müller", Email: "anna.mueller@example.com", Phone: "+49 30 23125 100", LoyaltyCard: "9800001000013"},
	{Name: "Lukas Schmidt", Email: "lukas.schmidt@example.com", Phone: "+49 30 23125 107", LoyaltyCard: "9800001000020"},
	{Name: "Sophie Schneider", Email: "sophie.schneider@example.org", Phone: "030 2312 5114"},
	{Name: "Johann Strauß", Phone: "0049 (0)89 555-0100"},
	{Name: "Łukasz Wiśniewski", Phone: "+48 22 555 01 23"},
	{Name: "Karl-Heinz Müller-Lüdenscheidt", Email: "KHML@example.de"},
	{Name: "Siobhan O'Brien", Phone: "+353 1 555 0199"},
	{Name: "Jens Mueller"},
	{Name: "Zoë Æbelø"},
	{Name: "Bo Lind", Email: "bo@example.com", LoyaltyCard: "9800001000037"},
}

// TestFindCustomers searches the real database the ways a cashier is told
// a customer: the surname, a word of the name in any case and with or
// without its accents, the phone as written on the card, the email, the
// loyalty card.
func TestFindCustomers(t *testing.T) {
	d := storetest.NewDatabase(t)
	for _, c := range people {
		d.AddCustomer(t, c)
	}
	db := d.Open(t)
	for _, tc := range []struct {
		query string
		want  []string // names, in order
	}{
		// any word of the name, or its start, case- and accent-insensitive
		{"Schmidt", []string{"Lukas Schmidt"}},
		{"schmidt", []string{"Lukas Schmidt"}},
		{"SCHM", []string{"Lukas Schmidt"}},
		{"Lukas", []string{"Lukas Schmidt", "Łukasz Wiśniewski"}},
		{"lukas schmidt", []string{"Lukas Schmidt"}},
		{"Schmidt Lukas", []string{"Lukas Schmidt"}},
		{"Schmidt, Lukas", []string{"Lukas Schmidt"}},
		{"sch", []string{"Lukas Schmidt", "Sophie Schneider"}},
		{"muller", []string{"Anna Müller", "Karl-Heinz Müller-Lüdenscheidt"}},
		{"Müller", []string{"Anna Müller", "Jens Mueller", "Karl-Heinz Müller-Lüdenscheidt"}},
		{"MÜLLER", []string{"Anna Müller", "Jens Mueller", "Karl-Heinz Müller-Lüdenscheidt"}},
		{"mueller", []string{"Anna Müller", "Jens Mueller", "Karl-Heinz Müller-Lüdenscheidt"}},
		{"MUELLER", []string{"Anna Müller", "Jens Mueller", "Karl-Heinz Müller-Lüdenscheidt"}},
		{"anna mu", []string{"Anna Müller"}},
		{"ludenscheidt", []string{"Karl-Heinz Müller-Lüdenscheidt"}},
		{"heinz", []string{"Karl-Heinz Müller-Lüdenscheidt"}},
		{"Strauss", []string{"Johann Strauß"}},
		{"strauß", []string{"Johann Strauß"}},
		{"lukasz", []string{"Łukasz Wiśniewski"}},
		{"wisniewski", []string{"Łukasz Wiśniewski"}},
		{"brien", []string{"Siobhan O'Brien"}},
		{"O'Brien", []string{"Siobhan O'Brien"}},
		{"zoe aebel", []string{"Zoë Æbelø"}},
		{"aebelo", []string{"Zoë Æbelø"}},
		// the phone in any spacing or format, or its last digits
		{"+49 30 23125 107", []string{"Lukas Schmidt"}},
		{"+493023125107", []string{"Lukas Schmidt"}},
		{"0049 30 23125107", []string{"Lukas Schmidt"}},
		{"030 23125 107", []string{"Lukas Schmidt"}},
		{"(030) 23125-107", []string{"Lukas Schmidt"}},
		{"23125107", []string{"Lukas Schmidt"}},
		{"107", []string{"Lukas Schmidt"}},
		{"030 2312 5114", []string{"Sophie Schneider"}},
		{"03023125114", []string{"Sophie Schneider"}},
		{"0100", []string{"Johann Strauß"}},
		{"100", []string{"Anna Müller", "Johann Strauß"}},
		{"89 555 0100", []string{"Johann Strauß"}},
		{"+48 22 555 0123", []string{"Łukasz Wiśniewski"}},
		// the email, whole or its start once it has an @
		{"lukas.schmidt@example.com", []string{"Lukas Schmidt"}},
		{"LUKAS.SCHMIDT@EXAMPLE.COM", []string{"Lukas Schmidt"}},
		{"anna.mueller@", []string{"Anna Müller"}},
		{"khml@example.de", []string{"Karl-Heinz Müller-Lüdenscheidt"}},
		// the card
		{"9800001000020", []string{"Lukas Schmidt"}},
		{"9800 0010 00020", []string{"Lukas Schmidt"}},
		// and not what is not there
		{"chmidt", nil},
		{"23125 10", nil},
		{"Lukas Müller", nil},
		{"schmidt x", nil},
		{"%", nil},
		{"_", nil},
		{"example.com", nil},
		{"anna.mueller", []string{"Anna Müller"}}, // two words of her name
	} {
		got, err := db.FindCustomers(context.Background(), tc.query, 20)
		if err != nil {
			t.Errorf("FindCustomers(%q): %v", tc.query, err)
			continue
		}
		if !slices.Equal(names(got), tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("FindCustomers(%q) = %q, want %q", tc.query, names(got), tc.want)
		}
	}
}

// FuzzCustomerSearch searches the real database for any string. An empty
// search (blanks only) is refused as invalid; any other must not fail, and
// must return exactly the customers the search names, worked out here
// independently of the store's SQL, its triggers and its word table:
//   - loyalty card equal to the search, or to its digits if it reads as a
//     phone number;
//   - email starting with the search, if it has an @;
//   - phone digits ending in the search's digits, if it reads as a phone
//     number (digits, blanks, + - ( ) . /), a whole number (7 digits or
//     more) without its leading zeros;
//   - every word of the search (split at blanks, control characters and
//   - , . / ( ) ') starting a word of the name (split at blanks and the
//     same marks), with ß, æ, œ, ø, ł, đ, þ, ð written out, and ä, ö, ü
//     also as ae, oe, ue; at most 8 words.
//
// Where the search and the customer are printable ASCII this is worked out
// in Go (case-insensitively, as the collation compares ASCII). Elsewhere
// the collation decides what is equal or a prefix, so the database is asked
// about each word and each pattern directly, with patterns the test escapes
// itself, with another escape character.
func FuzzCustomerSearch(f *testing.F) {
	d := storetest.NewDatabase(f)
	var all []pos.Customer
	for _, c := range append(slices.Clone(searchCustomers), accentedCustomers...) {
		all = append(all, d.AddCustomer(f, c))
	}
	db := d.Open(f)
	for _, seed := range []string{
		"anna", "ANNA B", "9800000000015", "bo@example.com", "100", "0100", "%", "100%", "_", "_u",
		`\`, `Back\`, `\%`, "%%", "'", "O'", "O'Brien", "' OR 1=1 --", "  anna  ", " ", "", "\t\n",
		"Zoë", "zoe", "ü", "\x00", "\xff\xfe", "a\u200bnna", "+49 30 23125 107", "５", "ｂｏ@example.com",
		"schmidt", "SCHM", "anna schm", "muller", "MUELLER", "Müller", "strauss", "Strauß", "lukasz",
		"030 23125 107", "0049 30 23125107", "(030) 2312-5114", "9800 0000 00015", "anna.b", "anna.becker@",
		"a b c d e f g h", "a b c d e f g h i", "aebelo", "ŁUK", "ß", "\u0308", "u\u0308ller", "Ｍüller",
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
		ascii := true
		for _, c := range got {
			ids = append(ids, c.ID)
			ascii = ascii && printableASCII(c.Name)
		}
		if ascii && !slices.IsSortedFunc(got, func(a, b pos.Customer) int {
			return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		}) {
			t.Errorf("FindCustomers(%q): got %v, want them ordered by name", query, names(got))
		}
		want := expectedCustomers(t, d, all, query)
		slices.Sort(ids)
		if !slices.Equal(ids, want) {
			t.Errorf("FindCustomers(%q): got customers %v (%v), want %v", query, ids, names(got), want)
		}
	})
}

// accentedCustomers join searchCustomers in FuzzCustomerSearch: letters
// the collation folds (ü, ë, ś) and letters it does not (ß, Ł, Æ, ø).
var accentedCustomers = []pos.Customer{
	{Name: "Anna Müller", Email: "anna.mueller@example.com", Phone: "+49 30 23125 114"},
	{Name: "Jens Mueller"},
	{Name: "Johann Strauß", Phone: "0049 (0)89 555-0100"},
	{Name: "Łukasz Wiśniewski", Email: "łukasz@example.pl"},
	{Name: "Karl-Heinz Müller-Lüdenscheidt"},
	{Name: "Zoë Æbelø", Email: "zoë@example.com", LoyaltyCard: "9800000000046"},
}

// expectedCustomers returns the sorted ids of the customers a search
// should find.
func expectedCustomers(t *testing.T, d *storetest.Database, all []pos.Customer, query string) []int64 {
	t.Helper()
	q := strings.TrimSpace(query)
	digits := onlyDigits(q)
	phoneLike := digits != "" && strings.IndexFunc(q, func(r rune) bool {
		return !(r >= '0' && r <= '9' || unicode.IsSpace(r) || strings.ContainsRune("+-()./", r))
	}) < 0
	tail := digits
	if len(tail) >= 7 {
		tail = strings.TrimLeft(tail, "0")
	}
	tokens := strings.FieldsFunc(q, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("-,./()'", r)
	})
	asciiQuery := printableASCII(q)
	var want []int64
	var ask []pos.Customer // for the database to judge
	for _, c := range all {
		if phoneLike && tail != "" && strings.HasSuffix(onlyDigits(c.Phone), tail) ||
			phoneLike && c.LoyaltyCard != "" && c.LoyaltyCard == digits {
			want = append(want, c.ID)
			continue
		}
		if !asciiQuery || !printableASCII(c.Name+c.Email+c.LoyaltyCard) {
			ask = append(ask, c)
			continue
		}
		if strings.EqualFold(c.LoyaltyCard, q) ||
			strings.Contains(q, "@") && strings.HasPrefix(strings.ToLower(c.Email), strings.ToLower(q)) ||
			len(tokens) <= 8 && everyToken(tokens, nameWords(c.Name), func(word, token string) bool {
				return strings.HasPrefix(strings.ToLower(word), strings.ToLower(token))
			}) {
			want = append(want, c.ID)
		}
	}
	want = append(want, judged(t, d, ask, q, tokens)...)
	slices.Sort(want)
	return want
}

// judged asks the database which of cs a search finds by card, email or
// name: the collation decides whether a word starts with a pattern.
func judged(t *testing.T, d *storetest.Database, cs []pos.Customer, q string, tokens []string) []int64 {
	t.Helper()
	if len(cs) == 0 {
		return nil
	}
	esc := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace
	var cols []string
	var args []any
	for _, c := range cs {
		var or []string
		or = append(or, "NULLIF(?, '') = ? COLLATE utf8mb4_unicode_ci") // no card is NULL
		args = append(args, c.LoyaltyCard, q)
		if strings.Contains(q, "@") {
			or = append(or, "NULLIF(?, '') COLLATE utf8mb4_unicode_ci LIKE ? ESCAPE '!'")
			args = append(args, c.Email, esc(q)+"%")
		}
		if len(tokens) > 0 && len(tokens) <= 8 {
			var and []string
			for _, tok := range tokens {
				var any []string
				for _, w := range nameWords(c.Name) {
					for _, wv := range spellings(w) {
						for _, tv := range spellings(tok) {
							any = append(any, "? COLLATE utf8mb4_unicode_ci LIKE ? ESCAPE '!'")
							args = append(args, wv, esc(tv)+"%")
						}
					}
				}
				if len(any) == 0 {
					any = append(any, "FALSE")
				}
				and = append(and, "("+strings.Join(any, " OR ")+")")
			}
			or = append(or, "("+strings.Join(and, " AND ")+")")
		}
		cols = append(cols, "COALESCE("+strings.Join(or, " OR ")+", FALSE)")
	}
	found := make([]bool, len(cs))
	dest := make([]any, len(cs))
	for i := range found {
		dest[i] = &found[i]
	}
	if err := d.Admin.QueryRow("SELECT "+strings.Join(cols, ", "), args...).Scan(dest...); err != nil {
		t.Fatalf("judge %q: %v", q, err)
	}
	var ids []int64
	for i, c := range cs {
		if found[i] {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// nameWords splits a name as the migration's customer_name_words_set does.
func nameWords(name string) []string {
	return strings.FieldsFunc(name, func(r rune) bool { return strings.ContainsRune(" \t\n\r-,./()'", r) })
}

// spellings are the ways a word is written down for the search: letters
// the collation keeps apart written out, and ä, ö, ü also the German way.
func spellings(w string) []string {
	for from, to := range map[string]string{"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe",
		"Œ": "OE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "þ": "th", "Þ": "TH",
		"ð": "d", "Ð": "D"} {
		w = strings.ReplaceAll(w, from, to)
	}
	g := w
	for from, to := range map[string]string{"ä": "ae", "Ä": "AE", "ö": "oe", "Ö": "OE", "ü": "ue", "Ü": "UE"} {
		g = strings.ReplaceAll(g, from, to)
	}
	if g != w {
		return []string{w, g}
	}
	return []string{w}
}

// everyToken reports whether every token starts some word.
func everyToken(tokens, words []string, starts func(word, token string) bool) bool {
	for _, tok := range tokens {
		if !slices.ContainsFunc(words, func(w string) bool { return starts(w, tok) }) {
			return false
		}
	}
	return len(tokens) > 0
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
