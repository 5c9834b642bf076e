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
	folded []string // lower-cased names, for the fuzzy search
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
			c.items[i], c.folded[i] = it, strings.ToLower(it.Name)
		} else {
			c.byCode[it.Code] = len(c.items)
			c.items = append(c.items, it)
			c.folded = append(c.folded, strings.ToLower(it.Name))
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

// search returns up to limit active items whose names fuzzily match query:
// every character of the query appears in the name in order. Matches at
// word starts and runs of consecutive characters score higher, shorter
// names break ties.
func (c *catalog) search(query string, limit int) []pos.Item {
	q := []rune(strings.ToLower(strings.TrimSpace(query)))
	if len(q) == 0 || limit <= 0 {
		return nil
	}
	type hit struct {
		i, score int
	}
	var hits []hit
	for i, name := range c.folded {
		if !c.items[i].Active {
			continue
		}
		if s, ok := fuzzyScore(q, name); ok {
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

// fuzzyScore matches the lower-case query q against a lower-case name.
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
	return score, qi == len(q)
}
