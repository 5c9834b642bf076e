package store_test

import (
	"testing"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
)

// TestZReceiptKey: a Z's outbox key splits back into its store, till and
// number whatever the ids hold, and no sale's or return's key (a UUID) nor
// a malformed one reads as a Z's.
func TestZReceiptKey(t *testing.T) {
	for _, tt := range []struct {
		store, till string
		n           int64
		key         string
	}{
		{"s1", "t1", 1, "z:s1:t1:1"},
		{"store-9", "till-12", 345, "z:store-9:till-12:345"},
		{"a:b", "c", 2, "z:a%3Ab:c:2"},
		{"a", "b:c", 2, "z:a:b%3Ac:2"},
		{"50%", "%3A", 7, "z:50%25:%253A:7"},
	} {
		key := store.ZReceiptKey(tt.store, tt.till, tt.n)
		if key != tt.key {
			t.Errorf("ZReceiptKey(%q, %q, %d) = %q, want %q", tt.store, tt.till, tt.n, key, tt.key)
		}
		s, till, n, ok := store.ParseZReceiptKey(key)
		if !ok || s != tt.store || till != tt.till || n != tt.n {
			t.Errorf("ParseZReceiptKey(%q) = %q, %q, %d, %v", key, s, till, n, ok)
		}
	}
	for _, key := range []string{pos.NewKey(), "", "z:", "z:s1:t1", "z:s1:t1:0", "z:s1:t1:-1", "z:s1:t1:01",
		"z::t1:1", "z:s1::1", "z:s1:t1:1:2", "Z:s1:t1:1", "z:s1:t1:x"} {
		if _, _, _, ok := store.ParseZReceiptKey(key); ok {
			t.Errorf("ParseZReceiptKey(%q) reads as a Z's key", key)
		}
	}
}
