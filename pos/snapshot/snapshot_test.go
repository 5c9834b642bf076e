package snapshot

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
)

// Test PINs (in test code only): 101 Ann 1111, 103 Cat 9999 (a manager).
// Each hash costs a PBKDF2 at pos.HashPIN's count, so they are made once.
var testHashes = sync.OnceValues(func() (map[string]string, error) {
	h := map[string]string{}
	for number, pin := range map[string]string{"101": "1111", "103": "9999"} {
		hash, err := pos.HashPIN(pin)
		if err != nil {
			return nil, err
		}
		h[number] = hash
	}
	return h, nil
})

// testSnapshot is store s1's snapshot with two items and two cashiers.
func testSnapshot(t testing.TB) Snapshot {
	t.Helper()
	h, err := testHashes()
	if err != nil {
		t.Fatal(err)
	}
	taken := time.Date(2026, 11, 30, 21, 5, 7, 123456789, time.UTC)
	return Snapshot{
		Version: FormatVersion,
		TakenAt: taken,
		StoreID: "s1",
		Items: []pos.Item{
			{ID: 1, Code: "4006381333931", Name: "Pen", Price: 1_99, TaxRate: 1900, Active: true, UpdatedAt: taken.Add(-time.Hour)},
			{ID: 2, Code: "2100001", Name: "Apples", Price: 2_49, TaxRate: 700, Weighed: true, Active: false, UpdatedAt: taken.Add(-time.Minute)},
		},
		Cashiers: []pos.OfflineCashier{
			{Cashier: pos.Cashier{ID: 11, Number: "101", Name: "Ann Baker"}, PINHash: h["101"]},
			{Cashier: pos.Cashier{ID: 13, Number: "103", Name: "Cat Dunn", Manager: true}, PINHash: h["103"]},
		},
	}
}

// TestSaveLoadRoundTrip: every field comes back; the file is 0600 in a
// 0700 directory Save made; no temporary file is left; a second Save
// replaces the first.
func TestSaveLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "till", "offline")
	path := filepath.Join(dir, "snapshot")
	want := testSnapshot(t)
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\ngot  %+v\nwant %+v", got, want)
	}
	for _, c := range []struct {
		path string
		mode os.FileMode
	}{{path, 0o600}, {dir, 0o700}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != c.mode {
			t.Errorf("%s: mode %04o, want %04o", c.path, fi.Mode().Perm(), c.mode)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, pin := range []string{"1111", "9999"} {
		if bytes.Contains(b, []byte(`"`+pin+`"`)) {
			t.Errorf("the file holds PIN %s in clear", pin)
		}
	}

	want.TakenAt = want.TakenAt.Add(time.Hour)
	want.Items = want.Items[:1]
	want.Version = 0 // Save fills it in
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	got, err = Load(path, "s1")
	want.Version = FormatVersion
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("after a second save: got %+v %v, want %+v", got, err, want)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "snapshot" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the directory holds %v, want only the snapshot", names)
	}
}

// TestSaveRefuses: a snapshot that could not be used safely is not written.
func TestSaveRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Snapshot)
		want   string
	}{
		{"no store", func(s *Snapshot) { s.StoreID = "" }, "no store id"},
		{"no time", func(s *Snapshot) { s.TakenAt = time.Time{} }, "no time"},
		{"another version", func(s *Snapshot) { s.Version = FormatVersion + 1 }, "format version"},
		{"a number twice", func(s *Snapshot) { s.Cashiers[1].Number = "101" }, "101 is there twice"},
		{"a cashier without a hash", func(s *Snapshot) { s.Cashiers[0].PINHash = "" }, "no PIN hash"},
		{"an item twice", func(s *Snapshot) { s.Items[1].Code = s.Items[0].Code }, "there twice"},
		{"an impossible item", func(s *Snapshot) { s.Items[0].Price = -1 }, "impossible price"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "snapshot")
			s := testSnapshot(t)
			s.Items = append([]pos.Item(nil), s.Items...)
			s.Cashiers = append([]pos.OfflineCashier(nil), s.Cashiers...)
			tt.change(&s)
			err := Save(path, s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused snapshot was written: %v", err)
			}
		})
	}
}

// TestLoadRefuses: a file others may read or write, another user's, a
// torn or damaged one and another store's are refused with a clear error
// and no snapshot at all.
func TestLoadRefuses(t *testing.T) {
	good := func(t *testing.T, path string) []byte {
		t.Helper()
		if err := Save(path, testSnapshot(t)); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	rewrite := func(f func([]byte) []byte) func(*testing.T, string) {
		return func(t *testing.T, path string) {
			b := f(good(t, path))
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	chmod := func(mode os.FileMode) func(*testing.T, string) {
		return func(t *testing.T, path string) {
			good(t, path)
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	header := func(b []byte) int { return bytes.IndexByte(b, '\n') + 1 }
	tests := []struct {
		name    string
		prepare func(*testing.T, string)
		store   string
		want    error  // errors.Is
		say     string // in the message
	}{
		{"mode 0644", chmod(0o644), "s1", ErrExposed, "mode 0644"},
		{"mode 0640", chmod(0o640), "s1", ErrExposed, "mode 0640"},
		{"mode 0602: others may write", chmod(0o602), "s1", ErrExposed, "mode 0602"},
		{"mode 0620: the group may write", chmod(0o620), "s1", ErrExposed, "mode 0620"},
		{"another user's", func(t *testing.T, path string) {
			good(t, path)
			if os.Geteuid() != 0 {
				t.Skip("only root can give a file away")
			}
			if err := os.Chown(path, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}, "s1", ErrExposed, "owned by user 65534"},
		{"a directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, "s1", ErrExposed, "not a regular file"},
		{"another store's", func(t *testing.T, path string) { good(t, path) }, "s2", ErrOtherStore, `taken for store "s1"`},
		{"no store to check", func(t *testing.T, path string) { good(t, path) }, "", nil, "no store id"},
		{"missing", func(*testing.T, string) {}, "s1", os.ErrNotExist, "no such file"},
		{"empty", rewrite(func([]byte) []byte { return nil }), "s1", ErrCorrupt, "no header"},
		{"torn in the header", rewrite(func(b []byte) []byte { return b[:10] }), "s1", ErrCorrupt, "no header"},
		{"the header only", rewrite(func(b []byte) []byte { return b[:header(b)] }), "s1", ErrCorrupt, "torn"},
		{"torn in the body", rewrite(func(b []byte) []byte { return b[:header(b)+(len(b)-header(b))/2] }), "s1", ErrCorrupt, "torn"},
		{"the last byte lost", rewrite(func(b []byte) []byte { return b[:len(b)-1] }), "s1", ErrCorrupt, "torn"},
		{"a byte more", rewrite(func(b []byte) []byte { return append(b, '\n') }), "s1", ErrCorrupt, "torn"},
		{"a byte changed in the body", rewrite(func(b []byte) []byte {
			i := bytes.Index(b, []byte("Pen"))
			b[i] = 'B'
			return b
		}), "s1", ErrCorrupt, "checksum"},
		{"a byte changed in the checksum", rewrite(func(b []byte) []byte {
			i := header(b) - 2
			b[i] ^= 1
			return b
		}), "s1", ErrCorrupt, "checksum"},
		{"not a snapshot", rewrite(func(b []byte) []byte { return append([]byte("till-other"), b[len(magic):]...) }), "s1", ErrCorrupt, "not a snapshot file"},
		{"another format version", rewrite(func(b []byte) []byte {
			return bytes.Replace(b, []byte(magic+" 1 "), []byte(magic+" 2 "), 1)
		}), "s1", ErrCorrupt, "format version 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "snapshot")
			tt.prepare(t, path)
			s, err := Load(path, tt.store)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.say) {
				t.Errorf("got %v, want %v saying %q", err, tt.want, tt.say)
			}
			if !reflect.DeepEqual(s, Snapshot{}) {
				t.Errorf("a refused load gave %+v", s)
			}
		})
	}
}

// TestLoadRefusesAWellSealedBadSnapshot: a body whose checksum matches
// but which this till cannot use (an unknown field, a number twice) is
// refused all the same.
func TestLoadRefusesAWellSealedBadSnapshot(t *testing.T) {
	for _, tt := range []struct {
		name string
		body func(t *testing.T) []byte
		say  string
	}{
		{"an unknown field", func(t *testing.T) []byte {
			return []byte(`{"Version":1,"TakenAt":"2026-11-30T21:00:00Z","StoreID":"s1","Discounts":[]}`)
		}, "unknown field"},
		{"a number twice", func(t *testing.T) []byte {
			h, err := testHashes()
			if err != nil {
				t.Fatal(err)
			}
			return []byte(`{"Version":1,"TakenAt":"2026-11-30T21:00:00Z","StoreID":"s1","Cashiers":[` +
				`{"ID":1,"Number":"101","Name":"A","Manager":false,"PINHash":"` + h["101"] + `"},` +
				`{"ID":2,"Number":"101","Name":"B","Manager":true,"PINHash":"` + h["103"] + `"}]}`)
		}, "there twice"},
		{"two snapshots", func(t *testing.T) []byte {
			one := `{"Version":1,"TakenAt":"2026-11-30T21:00:00Z","StoreID":"s1"}`
			return []byte(one + one)
		}, "data after"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "snapshot")
			if err := os.WriteFile(path, seal(tt.body(t)), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Load(path, "s1")
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.say) {
				t.Errorf("got %v, want ErrCorrupt saying %q", err, tt.say)
			}
			if !reflect.DeepEqual(s, Snapshot{}) {
				t.Errorf("a refused load gave %+v", s)
			}
		})
	}
}

// seal puts Save's header on a body.
func seal(body []byte) []byte {
	return append([]byte(headerFor(body)), body...)
}
