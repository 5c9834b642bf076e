package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/till-pos/till/pos"
)

// searchNames are item names from the demo store, with the brands whose
// names have ß, ü and ö, and two chicken items a scattered "choc" matches.
var searchNames = []string{
	"Chicken breast from the counter",
	"Dog treats chicken 100 g",
	"Tagwerk Milk chocolate 100 g",
	"Süßwerk Milk chocolate 100 g",
	"Süßwerk Liquorice 200 g",
	"Süßwerk Dark chocolate 70% 100 g",
	"Chocolate pralines gift box 200 g",
	"Tagwerk Hazelnut milk chocolate 100 g",
	"Kornmühle Bio Oat flakes 500 g",
	"Rösterei Bergmann Espresso beans 1 kg",
	"Klosterbräu Aue Lager 0.5 l",
	"Sunscreen SPF 50 236 ml",
	"Bright Home Scrub sponges 6 pcs",
	"Tuna pâté cat food 85 g",
	"Rosé wine 0.75 l",
	"Ærø smoked cheese 200 g",
	"Łódź rye bread 750 g",
}

func searchCatalog(tb testing.TB) catalog {
	tb.Helper()
	c := newCatalog()
	var items []pos.Item
	for i, n := range searchNames {
		items = append(items, pos.Item{ID: pos.ItemID(i + 1), Code: fmt.Sprintf("%07d", i+1), Name: n, Price: 100, Active: true})
	}
	items = append(items, pos.Item{ID: 99, Code: "0000099", Name: "Süßwerk Discontinued toffee", Price: 100})
	c.merge(items)
	return c
}

func itemNames(items []pos.Item) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.Name)
	}
	return out
}

// TestCatalogSearchFoldsAccents: case and accents do not count, ß is ss,
// and an umlaut may be typed the German way.
func TestCatalogSearchFoldsAccents(t *testing.T) {
	c := searchCatalog(t)
	suesswerk := []string{"Süßwerk Liquorice 200 g", "Süßwerk Milk chocolate 100 g", "Süßwerk Dark chocolate 70% 100 g"}
	for _, tc := range []struct {
		query string
		want  []string // the first results, in order
	}{
		{"Suss", suesswerk},
		{"suss", suesswerk},
		{"SÜSS", suesswerk},
		{"Süß", suesswerk},
		{"suess", suesswerk},
		{"Su\u0308ßwerk", suesswerk}, // ü decomposed, as some keyboards send it
		{"sussw lakritz", nil},
		{"sussw liq", []string{"Süßwerk Liquorice 200 g"}},
		{"kornmuhle", []string{"Kornmühle Bio Oat flakes 500 g"}},
		{"kornmuehle", []string{"Kornmühle Bio Oat flakes 500 g"}},
		{"rosterei", []string{"Rösterei Bergmann Espresso beans 1 kg"}},
		{"klosterbrau", []string{"Klosterbräu Aue Lager 0.5 l"}},
		{"pate", []string{"Tuna pâté cat food 85 g"}},
		{"ROSE", []string{"Rosé wine 0.75 l"}},
		{"aero", []string{"Ærø smoked cheese 200 g"}},
		{"lodz", []string{"Łódź rye bread 750 g"}},
	} {
		got := itemNames(c.search(tc.query, len(tc.want)))
		if tc.want == nil {
			got = itemNames(c.search(tc.query, 50))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("search(%q) = %q, want %q", tc.query, got, tc.want)
		}
	}
}

// TestCatalogSearchRanksWordStarts: a query that starts a word of the name
// ranks above one whose letters are only scattered through it, whatever
// the lengths: "choc" lists every chocolate before the chicken.
func TestCatalogSearchRanksWordStarts(t *testing.T) {
	c := searchCatalog(t)
	for _, tc := range []struct {
		query string
		words []string // every name with these word starts ranks above any without
	}{
		{"choc", []string{"choc"}},
		{"Choc", []string{"choc"}},
		{"milk choc", []string{"milk", "choc"}},
		{"choc milk", []string{"milk", "choc"}},
		{"chick", []string{"chick"}},
		{"s", []string{"s"}},
	} {
		got := c.search(tc.query, 50)
		startsWords := func(name string) bool {
			words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == ' ' })
			for _, w := range tc.words {
				if !slices.ContainsFunc(words, func(nw string) bool { return strings.HasPrefix(nw, w) }) {
					return false
				}
			}
			return true
		}
		seenOther := ""
		found := 0
		for _, it := range got {
			if !startsWords(it.Name) {
				if seenOther == "" {
					seenOther = it.Name
				}
				continue
			}
			found++
			if seenOther != "" {
				t.Errorf("search(%q): %q ranks below %q: %q", tc.query, it.Name, seenOther, itemNames(got))
			}
		}
		if found == 0 {
			t.Errorf("search(%q) found no name starting words %q: %q", tc.query, tc.words, itemNames(got))
		}
	}
	if got := itemNames(c.search("choc", 1)); !slices.Equal(got, []string{"Tagwerk Milk chocolate 100 g"}) &&
		!slices.Equal(got, []string{"Süßwerk Milk chocolate 100 g"}) {
		t.Errorf("search(choc, 1) = %q, want a milk chocolate", got)
	}
	if got := itemNames(c.search("toffee", 10)); len(got) != 0 {
		t.Errorf("search(toffee) = %q: an inactive item", got)
	}
}

// FuzzFold: folding is lower case, takes off every accent of Latin-1 and
// Latin Extended-A, keeps ASCII as strings.ToLower does, gives valid
// UTF-8, and folding twice changes nothing.
func FuzzFold(f *testing.F) {
	for _, seed := range append(slices.Clone(searchNames), "", "Süß", "SÜSS", "u\u0308", "ẞ", "İstanbul", "ĲSSEL",
		"ς", "\xff\xfe", "ǅ", "K", "Å", "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞß÷", "ĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħĨĩĪīĬĭĮįİıĲĳĴĵĶķĸĹĺĻļĽľĿŀŁłŃńŅņŇňŉŊŋŌōŎŏŐőŒœŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŧŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſ") {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := fold(s)
		if !utf8.ValidString(got) {
			t.Fatalf("fold(%q) = %q: not UTF-8", s, got)
		}
		if again := fold(got); again != got {
			t.Errorf("fold(%q) = %q, folded again %q", s, got, again)
		}
		ascii := true
		for i := 0; i < len(s); i++ {
			ascii = ascii && s[i] < utf8.RuneSelf
		}
		if ascii && got != strings.ToLower(s) {
			t.Errorf("fold(%q) = %q, want %q", s, got, strings.ToLower(s))
		}
		for _, r := range got {
			if r >= 0xc0 && r <= 0x17f && r != 0xd7 && r != 0xf7 || unicode.Is(unicode.Mn, r) || unicode.ToLower(r) != r {
				t.Errorf("fold(%q) = %q: keeps %q", s, got, r)
			}
		}
	})
}

// FuzzCatalogSearch: any search answers at most limit active items, each
// matching (its words, a substring, or its letters in order, of the name
// folded), with every item whose words the search's words start ranked
// first; case and accents do not change the answer.
func FuzzCatalogSearch(f *testing.F) {
	searchNames := append(slices.Clone(searchNames), "Crème brûlée 2 pcs", "Квас 0.5 l", "Ωmega 3 capsules",
		"İskender kebab", "ǅemal's ajvar", "100% juice 1 l", "")
	c := newCatalog()
	var items []pos.Item
	for i, n := range searchNames {
		items = append(items, pos.Item{ID: pos.ItemID(i + 1), Code: fmt.Sprintf("%07d", i+1), Name: n, Active: i%7 != 3})
	}
	c.merge(items)
	for _, seed := range []string{"choc", "Suss", "suess", "milk choc", "  ", "%", "ß", "SS", "ι", "kbab", "creme",
		"Квас", "ω", "u\u0308", "0.5", "a b c", "\xff", "İ", "i̇", "ǆ", "Ǆ"} {
		f.Add(seed, 5)
	}
	f.Fuzz(func(t *testing.T, query string, limit int) {
		limit = limit%(len(items)+2) + 1
		if limit < 1 {
			limit = -limit + 1
		}
		got := c.search(query, limit)
		if len(got) > limit {
			t.Fatalf("search(%q, %d): %d items", query, limit, len(got))
		}
		seen := map[string]bool{}
		for _, it := range got {
			if !it.Active || seen[it.Code] {
				t.Errorf("search(%q): %q inactive or twice", query, it.Name)
			}
			seen[it.Code] = true
			if !matches(query, it.Name) {
				t.Errorf("search(%q): %q does not match", query, it.Name)
			}
		}
		all := c.search(query, len(items))
		other := ""
		for _, it := range all {
			if !startsWords(query, it.Name) {
				other = it.Name
			} else if other != "" {
				t.Errorf("search(%q): %q ranks below %q", query, it.Name, other)
			}
		}
		for _, it := range items {
			if it.Active && startsWords(query, it.Name) && !slices.ContainsFunc(all, func(g pos.Item) bool { return g.Code == it.Code }) {
				t.Errorf("search(%q): misses %q", query, it.Name)
			}
		}
		if f := c.search(fold(query), limit); !slices.Equal(itemNames(f), itemNames(got)) {
			t.Errorf("search(%q) = %q but search(%q) = %q", query, itemNames(got), fold(query), itemNames(f))
		}
		if ascii(query) {
			if u := c.search(strings.ToUpper(query), limit); !slices.Equal(itemNames(u), itemNames(got)) {
				t.Errorf("search(%q) = %q but upper case %q", query, itemNames(got), itemNames(u))
			}
		}
	})
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// spellings are a name folded, and folded the German way.
func spellings(name string) []string {
	return []string{fold(name), fold(strings.NewReplacer("ä", "ae", "Ä", "Ae", "ö", "oe", "Ö", "Oe", "ü", "ue", "Ü", "Ue").Replace(name))}
}

func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// startsWords: every word of the query starts a word of the name.
func startsWords(query, name string) bool {
	qw := words(fold(query))
	if len(qw) == 0 {
		return false
	}
	for _, n := range spellings(name) {
		nw := words(n)
		if !slices.ContainsFunc(qw, func(q string) bool {
			return !slices.ContainsFunc(nw, func(w string) bool { return strings.HasPrefix(w, q) })
		}) {
			return true
		}
	}
	return false
}

// matches: the query's words start the name's, or it is in the name, or
// its characters are, in order.
func matches(query, name string) bool {
	q := strings.TrimSpace(fold(query))
	if startsWords(query, name) {
		return true
	}
	for _, n := range spellings(name) {
		if strings.Contains(n, q) {
			return true
		}
		rest := []rune(q)
		for _, r := range n {
			if len(rest) > 0 && r == rest[0] {
				rest = rest[1:]
			}
		}
		if len(rest) == 0 {
			return true
		}
	}
	return false
}
