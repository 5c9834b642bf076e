package ui

import (
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/till-pos/till/pos"
)

// catalog is the till's in-memory copy of the items it sells. A scan is
// looked up here, never over the network, so it becomes a line in the same
// frame whatever the database's latency. Only Update touches it.
type catalog struct {
	byCode map[string]int // Item.Code -> index in items
	items  []pos.Item
	names  []foldedName // the names folded for the search, as items
	// since is the newest UpdatedAt seen: the next refresh asks for items
	// changed at or after it.
	since  time.Time
	loaded bool
}

func newCatalog() catalog { return catalog{byCode: map[string]int{}} }

// merge adds new items and replaces changed ones.
func (c *catalog) merge(items []pos.Item) {
	for _, it := range items {
		if i, ok := c.byCode[it.Code]; ok {
			c.items[i], c.names[i] = it, foldName(it.Name)
		} else {
			c.byCode[it.Code] = len(c.items)
			c.items = append(c.items, it)
			c.names = append(c.names, foldName(it.Name))
		}
		if it.UpdatedAt.After(c.since) {
			c.since = it.UpdatedAt
		}
	}
	c.loaded = true
}

// lookup finds the item a scan names.
func (c *catalog) lookup(code string) (pos.Item, bool) {
	i, ok := c.byCode[code]
	if !ok {
		return pos.Item{}, false
	}
	return c.items[i], true
}

// search returns up to limit active items whose names match query, best
// first. Case and accents do not count ("suss" finds "Süßwerk", and so
// does "suess"). Matches rank in tiers: every word of the query starting a
// word of the name ("choc", "milk choc", "choc milk" for "Milk chocolate"),
// then the query anywhere in the name ("late"), then the query's
// characters in order anywhere (fuzzy: "mlkchc"). Within a tier, matches at
// word starts and runs of consecutive characters score higher, then
// shorter names, then the name.
func (c *catalog) search(query string, limit int) []pos.Item {
	q := newFoldedQuery(query)
	if len(q.runes) == 0 || limit <= 0 {
		return nil
	}
	type hit struct {
		i, score int
	}
	var hits []hit
	for i := range c.names {
		if !c.items[i].Active {
			continue
		}
		if s := c.names[i].score(q); s > 0 {
			hits = append(hits, hit{i, s})
		}
	}
	sort.Slice(hits, func(a, b int) bool {
		if hits[a].score != hits[b].score {
			return hits[a].score > hits[b].score
		}
		na, nb := c.items[hits[a].i].Name, c.items[hits[b].i].Name
		if len(na) != len(nb) {
			return len(na) < len(nb)
		}
		return na < nb
	})
	out := make([]pos.Item, 0, min(limit, len(hits)))
	for _, h := range hits[:min(limit, len(hits))] {
		out = append(out, c.items[h.i])
	}
	return out
}

// Match tiers: a score is tier*tierBase plus the fuzzy score.
const (
	tierWords     = 3
	tierSubstring = 2
	tierFuzzy     = 1
	tierBase      = 1 << 20
)

// foldedName is an item name folded for the search: as folded, and, if it
// has ä, ö or ü, also folded the German way (ae, oe, ue).
type foldedName struct {
	plain, german foldedText
	hasGerman     bool
}

// foldedText is a folded string with its words.
type foldedText struct {
	s     string
	words []string
}

func newFoldedText(s string) foldedText {
	return foldedText{s: s, words: strings.FieldsFunc(s, notWordRune)}
}

func foldName(name string) foldedName {
	n := foldedName{plain: newFoldedText(fold(name))}
	if g := fold(germanSpelling.Replace(name)); g != n.plain.s {
		n.german, n.hasGerman = newFoldedText(g), true
	}
	return n
}

// foldedQuery is a search folded as names are.
type foldedQuery struct {
	text  foldedText
	runes []rune
}

func newFoldedQuery(query string) foldedQuery {
	t := newFoldedText(strings.TrimSpace(fold(query)))
	return foldedQuery{text: t, runes: []rune(t.s)}
}

func (n foldedName) score(q foldedQuery) int {
	s := q.score(n.plain)
	if n.hasGerman {
		s = max(s, q.score(n.german))
	}
	return s
}

// score is how well q matches a folded name: 0 for not at all.
func (q foldedQuery) score(name foldedText) int {
	fuzzy, ok := fuzzyScore(q.runes, name.s)
	switch {
	case len(q.text.words) > 0 && everyWordStartsAWord(q.text.words, name.words):
		return tierWords*tierBase + fuzzy
	case strings.Contains(name.s, q.text.s):
		return tierSubstring*tierBase + fuzzy
	case ok:
		return tierFuzzy*tierBase + fuzzy
	}
	return 0
}

func everyWordStartsAWord(query, name []string) bool {
	for _, q := range query {
		found := false
		for _, w := range name {
			if strings.HasPrefix(w, q) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// fuzzyScore matches the folded query q against a folded name: every
// character of q in order.
func fuzzyScore(q []rune, name string) (int, bool) {
	score, qi, run := 0, 0, 0
	prev := ' '
	for _, r := range name {
		if qi < len(q) && r == q[qi] {
			qi++
			run++
			score += run // consecutive characters count more and more
			if !unicode.IsLetter(prev) && !unicode.IsDigit(prev) {
				score += 5 // start of a word
			}
		} else {
			run = 0
		}
		prev = r
	}
	return min(score, tierBase-1), qi == len(q)
}

// germanSpelling writes umlauts out the German way, before folding.
var germanSpelling = strings.NewReplacer("ä", "ae", "Ä", "Ae", "ö", "oe", "Ö", "Oe", "ü", "ue", "Ü", "Ue")

// fold lower-cases s and takes the accents off Latin letters: ß becomes
// ss, æ ae, œ oe, ĳ ij, þ th, every other accented letter of Latin-1 and
// Latin Extended-A its base letter, and combining marks (a decomposed
// "u\u0308") are dropped. Other scripts are only lower-cased. The result
// is valid UTF-8 (an invalid byte becomes U+FFFD) and fold(fold(s)) ==
// fold(s).
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = unicode.ToLower(r)
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
		case r >= 0xdf && r <= 0xff && latin1[r-0xdf] != "":
			b.WriteString(latin1[r-0xdf])
		case r >= 0x100 && r <= 0x17f:
			b.WriteString(latinExtA[r-0x100])
		case r == 0x1e9e: // ẞ, should ToLower leave it
			b.WriteString("ss")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// latin1 folds U+00DF..U+00FF (lower case; "" keeps the rune: ÷).
var latin1 = [...]string{
	"ss",                                                                            // ß
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", // à..ï
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y", // ð..ÿ
}

// latinExtA folds U+0100..U+017F, capitals included.
var latinExtA = [...]string{
	"a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d", // Ā..ď
	"d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g", // Đ..ğ
	"g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i", // Ġ..į
	"i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l", // İ..Ŀ
	"l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o", // ŀ..ŏ
	"o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s", // Ő..ş
	"s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u", // Š..ů
	"u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s", // Ű..ſ
}
