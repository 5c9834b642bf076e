package journal

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func openCompacting(t *testing.T, dir string, at int64) *Journal {
	t.Helper()
	j, err := open(dir, options{compactAt: at})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func TestCompaction(t *testing.T) {
	tests := []struct {
		name       string
		forwardAll bool
		compactAt  int64
		corrupt    bool // a damaged record in the middle
		compacted  bool
	}{
		{"all forwarded, past the threshold", true, 100, false, true},
		{"all forwarded, under the threshold", true, 1 << 20, false, false},
		{"one sale pending", false, 100, false, false},
		{"damage in the middle is left for an operator", true, 100, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j := mustOpen(t, dir)
			for _, k := range []string{"a", "b", "c"} {
				if err := j.Append(fullSale(k)); err != nil {
					t.Fatal(err)
				}
			}
			for _, k := range []string{"a", "b", "c"}[:map[bool]int{true: 3, false: 2}[tt.forwardAll]] {
				if err := j.MarkForwarded(k); err != nil {
					t.Fatal(err)
				}
			}
			j.Close()
			if tt.corrupt {
				data, err := os.ReadFile(filepath.Join(dir, logName))
				if err != nil {
					t.Fatal(err)
				}
				data[headerLen+30] ^= 1 // sale a's payload
				if err := os.WriteFile(filepath.Join(dir, logName), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			before := fileSize(t, dir)
			j = openCompacting(t, dir, tt.compactAt)
			st := mustState(t, j)
			if got := fileSize(t, dir) == 0; got != tt.compacted {
				t.Fatalf("file is %d bytes (was %d); compacted %v, want %v", fileSize(t, dir), before, got, tt.compacted)
			}
			if tt.compacted && (st.Forwarded != 0 || len(st.Pending) != 0 || len(st.Damaged) != 0) {
				t.Errorf("compacted state %+v, want empty", st)
			}
			if !tt.compacted && fileSize(t, dir) != before {
				t.Errorf("file changed from %d to %d bytes without compaction", before, fileSize(t, dir))
			}
			// The journal goes on after compaction, and reopens.
			if err := j.Append(fullSale("d")); err != nil {
				t.Fatal(err)
			}
			j.Close()
			st = mustState(t, mustOpen(t, dir))
			if st.Pending[len(st.Pending)-1].Key != "d" {
				t.Errorf("reopened: pending %v, want d last", pendingKeys(st))
			}
			if _, err := os.Stat(filepath.Join(dir, compactName)); !os.IsNotExist(err) {
				t.Errorf("the rewrite's temporary file is left behind: %v", err)
			}
		})
	}
}

// TestCompactionKeepsTornTails: a saved torn tail is still reported, at
// its offset, after the journal that noted it was compacted away; and an
// unfinished rewrite left by a crash is dropped.
func TestCompactionKeepsTornTails(t *testing.T) {
	dir := t.TempDir()
	j := mustOpen(t, dir)
	for _, err := range []error{j.Append(fullSale("a")), j.MarkForwarded("a")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	f, err := os.OpenFile(filepath.Join(dir, logName), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(magic[:3]); err != nil { // a torn header
		t.Fatal(err)
	}
	f.Close()
	if err := os.WriteFile(filepath.Join(dir, compactName), []byte("half a rewrite"), 0o600); err != nil {
		t.Fatal(err)
	}
	jt := openCompacting(t, dir, 1<<20) // cuts the tail, no compaction yet
	torn := mustState(t, jt).Damaged
	jt.Close()
	if len(torn) != 1 || torn[0].Length != 3 {
		t.Fatalf("damage %+v, want the 3 torn bytes", torn)
	}
	for _, at := range []int64{1, 1 << 20} {
		j = openCompacting(t, dir, at)
		if st := mustState(t, j); !reflect.DeepEqual(st.Damaged, torn) || st.Forwarded != 0 {
			t.Errorf("compactAt %d: damage %+v, forwarded %d; want %+v, 0", at, st.Damaged, st.Forwarded, torn)
		}
		j.Close()
	}
	if _, err := os.Stat(filepath.Join(dir, compactName)); !os.IsNotExist(err) {
		t.Errorf("the unfinished rewrite is still there: %v", err)
	}
}
