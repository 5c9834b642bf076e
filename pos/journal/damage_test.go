package journal

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/till-pos/till/pos"
)

// sampleJournal writes sales a, b, c, the forwarding of a and sale d, and
// returns the file's bytes and where each of its five records starts.
func sampleJournal(t *testing.T) ([]byte, []int64) {
	t.Helper()
	dir := t.TempDir()
	j := mustOpen(t, dir)
	for _, err := range []error{
		j.Append(fullSale("a")), j.Append(fullSale("b")), j.Append(fullSale("c")),
		j.MarkForwarded("a"), j.Append(fullSale("d")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	res := scan(data)
	if len(res.records) != 5 || res.torn != nil || len(res.damage) != 0 {
		t.Fatalf("sample journal reads as %d records, torn %v, damage %v", len(res.records), res.torn, res.damage)
	}
	offs := make([]int64, 0, 6)
	for _, r := range res.records {
		offs = append(offs, r.offset)
	}
	return data, append(offs, int64(len(data)))
}

// journalDir makes a directory holding a journal with exactly these bytes.
func journalDir(t *testing.T, base string, data []byte) string {
	t.Helper()
	dir, err := os.MkdirTemp(base, "j")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, logName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sampleKeys is what the sample journal holds up to record n (exclusive):
// the keys pending and the number forwarded.
func sampleKeys(n int) ([]string, int) {
	var pending []string
	for i, k := range []string{"a", "b", "c"} {
		if i < n {
			pending = append(pending, k)
		}
	}
	fwd := 0
	if n > 3 {
		pending, fwd = pending[1:], 1
	}
	if n > 4 {
		pending = append(pending, "d")
	}
	return pending, fwd
}

// TestTornTail cuts the journal at every byte of its last record and at
// a few places in the middle: Open keeps every record before the cut,
// saves the torn bytes to a file, reports them there until that file is
// deleted, and appends after the last good record.
func TestTornTail(t *testing.T) {
	data, offs := sampleJournal(t)
	type cut struct {
		at  int64
		rec int // the record the cut falls in
	}
	var cuts []cut
	for at := offs[4] + 1; at < offs[5]; at++ {
		cuts = append(cuts, cut{at, 4})
	}
	for rec := range 4 {
		for _, d := range []int64{1, headerLen - 1, headerLen, headerLen + 1, (offs[rec+1] - offs[rec]) / 2, offs[rec+1] - offs[rec] - 1} {
			cuts = append(cuts, cut{offs[rec] + d, rec})
		}
	}
	base := t.TempDir()
	for i, c := range cuts {
		dir := journalDir(t, base, data[:c.at])
		wantPending, wantFwd := sampleKeys(c.rec)
		j, err := Open(dir)
		if err != nil {
			t.Fatalf("cut at %d: Open: %v", c.at, err)
		}
		st := mustState(t, j)
		torn := c.at - offs[c.rec]
		if c.at == offs[c.rec] {
			t.Fatalf("cut at %d is a record boundary", c.at)
		}
		if !reflect.DeepEqual(pendingKeys(st), wantPending) || st.Forwarded != wantFwd || len(st.Damaged) != 1 {
			t.Fatalf("cut at %d: pending %v, forwarded %d, damage %+v; want %v, %d, one torn tail",
				c.at, pendingKeys(st), st.Forwarded, st.Damaged, wantPending, wantFwd)
		}
		d := st.Damaged[0]
		if filepath.Dir(d.File) != dir || !strings.HasPrefix(filepath.Base(d.File), damagedPref) || d.Offset != offs[c.rec] || d.Length != torn {
			t.Fatalf("cut at %d: damage %+v, want %d bytes at %d saved in %s", c.at, d, torn, offs[c.rec], damagedPref+"*")
		}
		saved, err := os.ReadFile(d.File)
		if err != nil || !bytes.Equal(saved, data[offs[c.rec]:c.at]) {
			t.Fatalf("cut at %d: saved torn tail differs from the cut bytes (%v)", c.at, err)
		}
		// The full round (append, reopen, delete the saved file) on a
		// sample of the cuts: it is the same code for every cut.
		if i%50 != 0 && i != len(cuts)-1 {
			j.Close()
			continue
		}
		if err := j.Append(fullSale("new")); err != nil {
			t.Fatalf("cut at %d: Append after the torn tail: %v", c.at, err)
		}
		j.Close()
		j = mustOpen(t, dir)
		st = mustState(t, j)
		if want := append(wantPending, "new"); !reflect.DeepEqual(pendingKeys(st), want) || !reflect.DeepEqual(st.Damaged, []pos.JournalDamage{d}) {
			t.Fatalf("cut at %d, reopened: pending %v, damage %+v; want %v and the same torn tail", c.at, pendingKeys(st), st.Damaged, want)
		}
		j.Close()
		if err := os.Remove(d.File); err != nil {
			t.Fatal(err)
		}
		j = mustOpen(t, dir)
		if st := mustState(t, j); len(st.Damaged) != 0 || len(st.Pending) != len(wantPending)+1 {
			t.Fatalf("cut at %d, saved tail deleted: pending %v, damage %+v; want no damage", c.at, pendingKeys(st), st.Damaged)
		}
		j.Close()
	}
	t.Logf("%d cuts, %d of them in the last record", len(cuts), offs[5]-offs[4]-1)
}

// TestTornTailCleanCut: a journal cut exactly between records is whole.
func TestTornTailCleanCut(t *testing.T) {
	data, offs := sampleJournal(t)
	base := t.TempDir()
	for rec, at := range offs {
		st := mustState(t, mustOpen(t, journalDir(t, base, data[:at])))
		wantPending, wantFwd := sampleKeys(rec)
		if !reflect.DeepEqual(pendingKeys(st), wantPending) || st.Forwarded != wantFwd || len(st.Damaged) != 0 {
			t.Errorf("cut at %d: pending %v, forwarded %d, damage %+v; want %v, %d, none", at, pendingKeys(st), st.Forwarded, st.Damaged, wantPending, wantFwd)
		}
	}
}

// TestCorruptMiddle damages records inside the journal: Open succeeds,
// every sound record is read, and every damaged stretch is reported at its
// offset, on this Open and every later one.
func TestCorruptMiddle(t *testing.T) {
	data, offs := sampleJournal(t)
	recLen := func(i int) int64 { return offs[i+1] - offs[i] }
	flip := func(at ...int64) func([]byte) []byte {
		return func(b []byte) []byte {
			for _, a := range at {
				b[a] ^= 0x5A
			}
			return b
		}
	}
	type dmg struct {
		off, len int64
		reason   string
	}
	tests := []struct {
		name    string
		corrupt func([]byte) []byte
		pending []string
		fwd     int
		damage  []dmg
		torn    *dmg // reported in a damaged-*.bin file
	}{
		{"payload byte of b", flip(offs[1] + headerLen + 40), []string{"c", "d"}, 1,
			[]dmg{{offs[1], recLen(1), "checksum does not match"}}, nil},
		{"payload checksum of b", flip(offs[1] + 13), []string{"c", "d"}, 1,
			[]dmg{{offs[1], recLen(1), "checksum does not match"}}, nil},
		{"magic of b", flip(offs[1]), []string{"c", "d"}, 1,
			[]dmg{{offs[1], recLen(1), "bad record header"}}, nil},
		{"length of b (garbage length: resynchronised)", flip(offs[1] + 6), []string{"c", "d"}, 1,
			[]dmg{{offs[1], recLen(1), "bad record header"}}, nil},
		{"header checksum of b", flip(offs[1] + 9), []string{"c", "d"}, 1,
			[]dmg{{offs[1], recLen(1), "bad record header"}}, nil},
		{"b and c", flip(offs[1]+headerLen+3, offs[2]+5), []string{"d"}, 1,
			[]dmg{{offs[1], recLen(1), "checksum does not match"}, {offs[2], recLen(2), "bad record header"}}, nil},
		{"the forwarding of a (a is pending again)", flip(offs[3] + headerLen + 2), []string{"a", "b", "c", "d"}, 0,
			[]dmg{{offs[3], recLen(3), "checksum does not match"}}, nil},
		{"garbage between c and the forwarding", func(b []byte) []byte {
			return append(append(append([]byte(nil), b[:offs[3]]...), bytes.Repeat([]byte("garbage!"), 13)...), b[offs[3]:]...)
		}, []string{"b", "c", "d"}, 1, []dmg{{offs[3], 104, "bad record header"}}, nil},
		{"a stray magic in the garbage", func(b []byte) []byte {
			junk := append(append([]byte("junk"), magic[:]...), "more junk after"...)
			return append(append(append([]byte(nil), b[:offs[3]]...), junk...), b[offs[3]:]...)
		}, []string{"b", "c", "d"}, 1, []dmg{{offs[3], 23, "bad record header"}}, nil},
		{"payload of the last record (a torn tail)", flip(offs[4] + headerLen + 7), []string{"b", "c"}, 1,
			nil, &dmg{offs[4], recLen(4), "checksum"}},
	}
	base := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := tt.corrupt(append([]byte(nil), data...))
			// Nothing unaccounted for: good records, damage and the torn
			// tail cover the file exactly.
			res := scan(bad)
			var covered int64
			for _, r := range res.records {
				covered += headerLen + int64(binary.LittleEndian.Uint32(bad[r.offset+4:]))
			}
			for _, d := range res.damage {
				covered += d.length
			}
			if res.torn != nil {
				covered += res.torn.length
			}
			if covered != int64(len(bad)) {
				t.Errorf("scan accounts for %d of %d bytes", covered, len(bad))
			}

			dir := journalDir(t, base, bad)
			for round := range 2 {
				j := mustOpen(t, dir)
				st := mustState(t, j)
				wantPending := tt.pending
				if round == 1 {
					wantPending = append(append([]string(nil), tt.pending...), "new")
				}
				if !reflect.DeepEqual(pendingKeys(st), wantPending) || st.Forwarded != tt.fwd {
					t.Errorf("round %d: pending %v, forwarded %d; want %v, %d", round, pendingKeys(st), st.Forwarded, wantPending, tt.fwd)
				}
				var got []dmg
				var gotTorn *dmg
				for _, d := range st.Damaged {
					if d.File == filepath.Join(dir, logName) {
						got = append(got, dmg{d.Offset, d.Length, d.Reason})
					} else {
						gotTorn = &dmg{d.Offset, d.Length, d.Reason}
					}
				}
				if len(got) != len(tt.damage) {
					t.Fatalf("round %d: damage %+v, want %+v", round, st.Damaged, tt.damage)
				}
				for i, w := range tt.damage {
					if got[i].off != w.off || got[i].len != w.len || !strings.Contains(got[i].reason, w.reason) {
						t.Errorf("round %d: damage %+v, want %+v", round, got[i], w)
					}
				}
				if (gotTorn == nil) != (tt.torn == nil) || gotTorn != nil && (gotTorn.off != tt.torn.off || gotTorn.len != tt.torn.len || !strings.Contains(gotTorn.reason, tt.torn.reason)) {
					t.Errorf("round %d: torn tail %+v, want %+v", round, gotTorn, tt.torn)
				}
				if round == 0 {
					if err := j.Append(fullSale("new")); err != nil {
						t.Fatalf("Append after the damage: %v", err)
					}
				}
				j.Close()
			}
		})
	}
}
