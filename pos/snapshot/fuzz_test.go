package snapshot

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzLoad: whatever a snapshot file holds, Load never panics and never
// returns part of a snapshot: what it accepts saves and loads back the
// same.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "snapshot")
	if err := Save(path, testSnapshot(f)); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "snapshot")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Load(path, "s1")
		if err != nil {
			return
		}
		if err := Save(path, s); err != nil {
			t.Fatalf("a snapshot Load accepted does not save: %v", err)
		}
		again, err := Load(path, "s1")
		if err != nil || !reflect.DeepEqual(again, s) {
			t.Fatalf("saved and loaded again: %v\n%+v\n%+v", err, again, s)
		}
	})
}
