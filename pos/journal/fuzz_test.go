package journal

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/till-pos/till/pos"
)

// FuzzOpen: whatever bytes a journal file holds (a disk error, a tool, an
// attacker with the till's user), Open never panics, and what it reads is
// accounted for: a journal that opens reopens to the same sales, and a
// sale appended after it is read back.
func FuzzOpen(f *testing.F) {
	seed := t2journal(f)
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte{})
	f.Add([]byte{0x00, 0xFF, 'T', 'J', 0xFF, 0xFF, 0xFF, 0x7F})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, logName), data, 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := Open(dir)
		if err != nil {
			return // refused with an error is fine; a panic is not
		}
		st, err := j.State()
		if err != nil {
			t.Fatalf("State after Open: %v", err)
		}
		s := smallSale(pos.NewKey(), 2)
		if err := j.Append(s); err != nil {
			j.Close()
			return // a key the garbage happened to hold
		}
		j.Close()
		j, err = Open(dir)
		if err != nil {
			t.Fatalf("reopen after an append: %v", err)
		}
		defer j.Close()
		again, err := j.State()
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Pending) != len(st.Pending)+1 || again.Pending[len(again.Pending)-1].Key != s.Key {
			t.Fatalf("reopened: %d pending (want %d, the appended sale last)", len(again.Pending), len(st.Pending)+1)
		}
	})
}

// t2journal is the bytes of a journal with two sales, one forwarded.
func t2journal(f *testing.F) []byte {
	dir := f.TempDir()
	j, err := Open(dir)
	if err != nil {
		f.Fatal(err)
	}
	a, b := fullSale(pos.NewKey()), smallSale(pos.NewKey(), 3)
	if err := j.Append(a); err != nil {
		f.Fatal(err)
	}
	if err := j.Append(b); err != nil {
		f.Fatal(err)
	}
	if err := j.MarkForwarded(a.Key); err != nil {
		f.Fatal(err)
	}
	j.Close()
	data, err := os.ReadFile(filepath.Join(dir, logName))
	if err != nil {
		f.Fatal(err)
	}
	return data
}
