package journal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
)

// fullSale is a sale with every field set: a weighed line, a discounted
// line, a price override, two cash payments and cash rounding, plus a
// declined card attempt (brand and last 4 only) so every payment field is
// exercised. Times carry nanoseconds and a named zone with an offset.
func fullSale(key string) pos.Sale {
	cet := time.FixedZone("CET", 3600)
	created := time.Date(2026, 11, 30, 14, 3, 7, 123456789, cet)
	completed := created.Add(95*time.Second + 987654321)
	return pos.Sale{
		ID:         42,
		Key:        key,
		StoreID:    "hamburg-1",
		TillID:     "till-3",
		CashierID:  7,
		CustomerID: 1001,
		Training:   true,
		Currency:   "EUR",
		Lines: []pos.Line{
			{ItemID: 11, Code: "2100042", Name: "Apples", Weighed: true, Quantity: 1234, UnitPrice: 299, TaxRate: 700},
			{ItemID: 12, Code: "4006381333931", Name: "Pen", Quantity: 3, UnitPrice: 150, Discount: 45, TaxRate: 1900},
			{ItemID: 13, Code: "4006381333948", Name: "Notebook", Quantity: 1, UnitPrice: 250, PriceOverridden: true, TaxRate: 1900},
		},
		Totals: pos.Totals{
			Items:    5,
			Subtotal: 894,
			Tax:      118,
			Total:    974,
			Discount: 45,
			Lines: []pos.LineTotals{
				{Net: 345, Tax: 24, Gross: 369},
				{Net: 340, Tax: 65, Gross: 405},
				{Net: 210, Tax: 40, Gross: 250},
			},
			Bands: []pos.TaxBand{
				{Rate: 700, Net: 345, Tax: 24, Gross: 369},
				{Rate: 1900, Net: 550, Tax: 105, Gross: 655},
			},
		},
		CashRounding: 1,
		Status:       pos.SaleCompleted,
		Payments: []pos.Payment{
			{AttemptKey: key + "-p1", SaleKey: key, Method: pos.MethodCard, Status: pos.PaymentDeclined, Amount: 975,
				Provider: "simpay", ProviderRef: "sp_decl_1", CardBrand: "visa", CardLast4: "0002", AuthCode: "05",
				Message: "do not honour", CreatedAt: created.Add(10 * time.Second)},
			{AttemptKey: key + "-p2", SaleKey: key, Method: pos.MethodCash, Status: pos.PaymentApproved, Amount: 500,
				Tendered: 500, CreatedAt: created.Add(20 * time.Second)},
			{AttemptKey: key + "-p3", SaleKey: key, Method: pos.MethodCash, Status: pos.PaymentApproved, Amount: 475,
				Tendered: 1000, Change: 525, CreatedAt: created.Add(30*time.Second + 1)},
		},
		PointsEarned: 9,
		CreatedAt:    created,
		CompletedAt:  completed,
		Offline:      true,
	}
}

// smallSale is a cash sale of n lines, for the tests that need many.
func smallSale(key string, lines int) pos.Sale {
	s := pos.Sale{Key: key, StoreID: "s", TillID: "t", CashierID: 1, Currency: "EUR", Status: pos.SaleCompleted,
		Offline: true, CreatedAt: time.Unix(1_700_000_000, 5).UTC(), CompletedAt: time.Unix(1_700_000_001, 7).UTC()}
	for i := range lines {
		s.Lines = append(s.Lines, pos.Line{ItemID: pos.ItemID(i + 1), Code: fmt.Sprint(4000000 + i), Name: fmt.Sprintf("item %d", i), Quantity: 1, UnitPrice: 100, TaxRate: 1900})
		s.Totals.Total += 100
	}
	s.Payments = []pos.Payment{{AttemptKey: key + "-c", SaleKey: key, Method: pos.MethodCash, Status: pos.PaymentApproved, Amount: s.Totals.Total, Tendered: s.Totals.Total}}
	return s
}

// requireAllSet fails when a field of v is zero (for a slice of structs:
// zero in every element). A field added to pos.Sale and its parts then
// fails the round-trip test until it is mapped in record.go and set here.
func requireAllSet(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		if v.IsZero() {
			t.Errorf("fixture leaves %s zero", path)
		}
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			requireAllSet(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case v.Kind() == reflect.Slice:
		if v.Len() == 0 {
			t.Errorf("fixture leaves %s empty", path)
			return
		}
		if v.Type().Elem().Kind() != reflect.Struct {
			return
		}
		for i := range v.Type().Elem().NumField() {
			set := false
			for k := range v.Len() {
				set = set || !v.Index(k).Field(i).IsZero()
			}
			if !set {
				t.Errorf("fixture leaves %s[].%s zero in every element", path, v.Type().Elem().Field(i).Name)
			}
		}
	default:
		if v.IsZero() {
			t.Errorf("fixture leaves %s zero", path)
		}
	}
}

// sameSale compares sales field by field; times must be the same instant
// with the same zone name and offset (a *time.Location pointer cannot
// survive a file, so reflect.DeepEqual alone would not do).
func sameSale(t *testing.T, want, got pos.Sale) {
	t.Helper()
	sameTime := func(what string, w, g time.Time) {
		wn, wo := w.Zone()
		gn, gofs := g.Zone()
		if !w.Equal(g) || wn != gn || wo != gofs || w.Nanosecond() != g.Nanosecond() {
			t.Errorf("%s: got %v (%s %d), want %v (%s %d)", what, g, gn, gofs, w, wn, wo)
		}
	}
	sameTime("CreatedAt", want.CreatedAt, got.CreatedAt)
	sameTime("CompletedAt", want.CompletedAt, got.CompletedAt)
	want.CreatedAt, got.CreatedAt, want.CompletedAt, got.CompletedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if len(want.Payments) == len(got.Payments) {
		want.Payments = append([]pos.Payment(nil), want.Payments...)
		got.Payments = append([]pos.Payment(nil), got.Payments...)
		for i := range want.Payments {
			sameTime(fmt.Sprintf("Payments[%d].CreatedAt", i), want.Payments[i].CreatedAt, got.Payments[i].CreatedAt)
			want.Payments[i].CreatedAt, got.Payments[i].CreatedAt = time.Time{}, time.Time{}
		}
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("sale read back differs:\n got %+v\nwant %+v", got, want)
	}
}

func mustOpen(t *testing.T, dir string) *Journal {
	t.Helper()
	j, err := Open(dir)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func mustState(t *testing.T, j *Journal) pos.JournalState {
	t.Helper()
	st, err := j.State()
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	return st
}

func pendingKeys(st pos.JournalState) []string {
	var keys []string
	for _, s := range st.Pending {
		keys = append(keys, s.Key)
	}
	return keys
}

func TestRoundTripEveryField(t *testing.T) {
	want := fullSale("rt-1")
	requireAllSet(t, reflect.ValueOf(want), "Sale")

	dir := t.TempDir()
	j := mustOpen(t, dir)
	if err := j.Append(want); err != nil {
		t.Fatalf("Append: %v", err)
	}
	check := func(when string, st pos.JournalState) {
		t.Helper()
		if len(st.Pending) != 1 || st.Forwarded != 0 || len(st.Damaged) != 0 {
			t.Fatalf("%s: state %d pending, %d forwarded, damage %v; want 1, 0, none", when, len(st.Pending), st.Forwarded, st.Damaged)
		}
		sameSale(t, want, st.Pending[0])
	}
	check("before reopening", mustState(t, j))
	// State hands out copies: changing one must not change the journal.
	mustState(t, j).Pending[0].Lines[0].Quantity = 1
	check("after a caller changed a copy", mustState(t, j))

	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	check("after reopening", mustState(t, mustOpen(t, dir)))
}

func TestPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "journal")
	j := mustOpen(t, dir)
	if err := j.Append(smallSale("perm", 1)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		mode os.FileMode
	}{
		{dir, 0o700 | os.ModeDir},
		{filepath.Join(dir, logName), 0o600},
		{filepath.Join(dir, lockName), 0o600},
	} {
		info, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != c.mode {
			t.Errorf("%s: mode %v, want %v", c.path, info.Mode(), c.mode)
		}
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name string
		// run acts on a journal holding sale "a" (pending) and "b"
		// (forwarded); it returns the error under test.
		run      func(j *Journal) error
		wantCode string
		pending  []string
		fwd      int
	}{
		{"append a new key", func(j *Journal) error { return j.Append(smallSale("c", 1)) }, "", []string{"a", "c"}, 1},
		{"append a pending key again", func(j *Journal) error { return j.Append(smallSale("a", 2)) }, pos.EConflict, []string{"a"}, 1},
		{"append a forwarded key again", func(j *Journal) error { return j.Append(smallSale("b", 1)) }, pos.EConflict, []string{"a"}, 1},
		{"append without a key", func(j *Journal) error { return j.Append(smallSale("", 1)) }, pos.EInvalid, []string{"a"}, 1},
		{"forward a pending key", func(j *Journal) error { return j.MarkForwarded("a") }, "", nil, 2},
		{"forward a forwarded key", func(j *Journal) error { return j.MarkForwarded("b") }, "", []string{"a"}, 1},
		{"forward an unknown key", func(j *Journal) error { return j.MarkForwarded("zz") }, pos.ENotFound, []string{"a"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j := mustOpen(t, dir)
			for _, err := range []error{j.Append(smallSale("a", 1)), j.Append(smallSale("b", 1)), j.MarkForwarded("b")} {
				if err != nil {
					t.Fatal(err)
				}
			}
			size := fileSize(t, dir)
			err := tt.run(j)
			if got := pos.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("error %v (code %q), want code %q", err, got, tt.wantCode)
			}
			if err != nil && fileSize(t, dir) != size {
				t.Errorf("a refused call changed the file: %d bytes, was %d", fileSize(t, dir), size)
			}
			// The same answer from memory and from the file.
			for _, when := range []string{"open", "reopened"} {
				if when == "reopened" {
					j.Close()
					j = mustOpen(t, dir)
				}
				st := mustState(t, j)
				if !reflect.DeepEqual(pendingKeys(st), tt.pending) || st.Forwarded != tt.fwd || len(st.Damaged) != 0 {
					t.Errorf("%s: pending %v, forwarded %d, damage %v; want %v, %d, none", when, pendingKeys(st), st.Forwarded, st.Damaged, tt.pending, tt.fwd)
				}
			}
			// A refused key stays refused after reopening too.
			if tt.wantCode == pos.EConflict {
				if err := tt.run(j); pos.ErrorCode(err) != pos.EConflict {
					t.Errorf("after reopening: %v, want a conflict", err)
				}
			}
		})
	}
}

func fileSize(t *testing.T, dir string) int64 {
	t.Helper()
	info, err := os.Stat(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

func TestLock(t *testing.T) {
	dir := t.TempDir()
	j := mustOpen(t, dir)
	_, err := Open(dir)
	if err == nil {
		t.Fatal("a second Open of a locked journal succeeded")
	}
	if !strings.Contains(err.Error(), filepath.Join(dir, lockName)) || pos.ErrorCode(err) != pos.EUnavailable {
		t.Errorf("second Open: %v (code %s); want EUnavailable naming %s", err, pos.ErrorCode(err), lockName)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(smallSale("late", 1)); err == nil {
		t.Error("Append on a closed journal succeeded")
	}
	mustOpen(t, dir) // the lock went with Close
}

func TestConcurrent(t *testing.T) {
	const writers, each = 12, 20
	dir := t.TempDir()
	j := mustOpen(t, dir)
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*3)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("w%02d-%03d", w, i)
				if err := j.Append(smallSale(key, 1+i%3)); err != nil {
					errs <- err
				}
				// Every writer also tries a key another writer may be
				// appending at the same moment: exactly one may win.
				if err := j.Append(smallSale(fmt.Sprintf("shared-%03d", i), 1)); err != nil && pos.ErrorCode(err) != pos.EConflict {
					errs <- err
				}
				if i%2 == 1 {
					if err := j.MarkForwarded(key); err != nil {
						errs <- err
					}
				}
				if _, err := j.State(); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	wantPending := writers*each/2 + each
	for _, when := range []string{"open", "reopened"} {
		if when == "reopened" {
			j.Close()
			j = mustOpen(t, dir)
		}
		st := mustState(t, j)
		if len(st.Pending) != wantPending || st.Forwarded != writers*each/2 || len(st.Damaged) != 0 {
			t.Errorf("%s: %d pending, %d forwarded, damage %v; want %d, %d, none", when, len(st.Pending), st.Forwarded, st.Damaged, wantPending, writers*each/2)
		}
	}
}

// faultFile fails the journal's writes on request. Its faults are set
// before the calls that meet them, under the journal's own mutex, so it
// needs no lock of its own.
type faultFile struct {
	*os.File
	// writeErr fails the next WriteAt after writing writeN bytes.
	writeErr error
	writeN   int
	shortN   int // > 0: the next WriteAt writes this many bytes, no error
	syncErr  error
	truncErr error
	// devFull: writes go to /dev/full, for the kernel's own ENOSPC.
	devFull *os.File
}

func (f *faultFile) WriteAt(p []byte, off int64) (int, error) {
	switch {
	case f.devFull != nil:
		return f.devFull.Write(p)
	case f.writeErr != nil:
		n, _ := f.File.WriteAt(p[:min(f.writeN, len(p))], off)
		err := f.writeErr
		f.writeErr = nil
		return n, err
	case f.shortN > 0:
		n, err := f.File.WriteAt(p[:min(f.shortN, len(p))], off)
		f.shortN = 0
		return n, err
	}
	return f.File.WriteAt(p, off)
}

func (f *faultFile) Sync() error {
	if err := f.syncErr; err != nil {
		f.syncErr = nil
		return err
	}
	return f.File.Sync()
}

func (f *faultFile) Truncate(size int64) error {
	if f.truncErr != nil {
		return f.truncErr
	}
	return f.File.Truncate(size)
}

func openFaulty(t *testing.T, dir string) (*Journal, *faultFile) {
	t.Helper()
	var ff *faultFile
	j, err := open(dir, options{wrap: func(f *os.File) file {
		ff = &faultFile{File: f}
		return ff
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j, ff
}

func TestWriteFailure(t *testing.T) {
	enospc := &os.PathError{Op: "write", Path: "journal.log", Err: syscall.ENOSPC}
	eio := &os.PathError{Op: "write", Path: "journal.log", Err: syscall.EIO}
	tests := []struct {
		name    string
		fault   func(f *faultFile)
		op      string // "append" or "forward"
		wantMsg string
		wantIs  error
	}{
		{"disk full before a byte", func(f *faultFile) { f.writeErr = enospc }, "append", "the till's disk is full: the offline sale was not recorded", syscall.ENOSPC},
		{"disk full mid-record", func(f *faultFile) { f.writeErr, f.writeN = enospc, 37 }, "append", "the till's disk is full: the offline sale was not recorded", syscall.ENOSPC},
		{"I/O error mid-record", func(f *faultFile) { f.writeErr, f.writeN = eio, 20 }, "append", "I/O error", syscall.EIO},
		{"file system gone read-only", func(f *faultFile) { f.writeErr = &os.PathError{Op: "write", Path: "journal.log", Err: syscall.EROFS} }, "append", "read-only", syscall.EROFS},
		{"short write without an error", func(f *faultFile) { f.shortN = 50 }, "append", "took only part of the record", io.ErrShortWrite},
		{"fsync fails", func(f *faultFile) { f.syncErr = eio }, "append", "I/O error", syscall.EIO},
		{"disk full forwarding", func(f *faultFile) { f.writeErr, f.writeN = enospc, 9 }, "forward", "the till's disk is full: the sale's forwarding was not recorded", syscall.ENOSPC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j, ff := openFaulty(t, dir)
			if err := j.Append(fullSale("before")); err != nil {
				t.Fatal(err)
			}
			size := fileSize(t, dir)
			tt.fault(ff)
			var err error
			if tt.op == "append" {
				err = j.Append(fullSale("failed"))
			} else {
				err = j.MarkForwarded("before")
			}
			if pos.ErrorCode(err) != pos.EUnavailable || !strings.Contains(pos.ErrorMessage(err), tt.wantMsg) || !errors.Is(err, tt.wantIs) {
				t.Fatalf("got %v (code %s), want EUnavailable saying %q wrapping %v", err, pos.ErrorCode(err), tt.wantMsg, tt.wantIs)
			}
			if got := fileSize(t, dir); got != size {
				t.Errorf("file is %d bytes after the failure, want %d (the partial record cut away)", got, size)
			}
			// The journal goes on: the same sale can be taken again.
			if err := j.Append(fullSale("after")); err != nil {
				t.Fatalf("Append after the failure: %v", err)
			}
			wantPending := []string{"before", "after"}
			if tt.op == "append" {
				if err := j.Append(fullSale("failed")); err != nil {
					t.Fatalf("retrying the failed sale: %v", err)
				}
				wantPending = append(wantPending, "failed")
			}
			j.Close()
			st := mustState(t, mustOpen(t, dir))
			if !reflect.DeepEqual(pendingKeys(st), wantPending) || st.Forwarded != 0 || len(st.Damaged) != 0 {
				t.Errorf("reopened: pending %v, forwarded %d, damage %v; want %v, 0, none", pendingKeys(st), st.Forwarded, st.Damaged, wantPending)
			}
		})
	}
}

// TestWriteFailureUndoFails: when even cutting the partial record away
// fails, the journal refuses further writes (what is on disk is unknown),
// and the next Open treats the partial record as a torn tail.
func TestWriteFailureUndoFails(t *testing.T) {
	dir := t.TempDir()
	j, ff := openFaulty(t, dir)
	if err := j.Append(fullSale("before")); err != nil {
		t.Fatal(err)
	}
	ff.writeErr = &os.PathError{Op: "write", Path: "journal.log", Err: syscall.EIO}
	ff.writeN = 100
	ff.truncErr = &os.PathError{Op: "truncate", Path: "journal.log", Err: syscall.EIO}
	if err := j.Append(fullSale("failed")); pos.ErrorCode(err) != pos.EUnavailable {
		t.Fatalf("Append: %v, want EUnavailable", err)
	}
	err := j.Append(fullSale("next"))
	if pos.ErrorCode(err) != pos.EUnavailable || !strings.Contains(pos.ErrorMessage(err), "restart the till") {
		t.Fatalf("Append on a broken journal: %v, want EUnavailable asking for a restart", err)
	}
	j.Close()
	st := mustState(t, mustOpen(t, dir))
	if !reflect.DeepEqual(pendingKeys(st), []string{"before"}) || len(st.Damaged) != 1 || st.Damaged[0].Length != 100 {
		t.Errorf("reopened: pending %v, damage %+v; want [before] and the 100 partial bytes as a torn tail", pendingKeys(st), st.Damaged)
	}
}

// TestDiskFullForReal maps the kernel's own ENOSPC: the journal's writes
// go to /dev/full, which refuses every write with ENOSPC.
func TestDiskFullForReal(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer full.Close()
	dir := t.TempDir()
	j, ff := openFaulty(t, dir)
	ff.devFull = full
	err = j.Append(fullSale("full"))
	if pos.ErrorCode(err) != pos.EUnavailable || !errors.Is(err, syscall.ENOSPC) || !strings.HasPrefix(pos.ErrorMessage(err), "the till's disk is full: the offline sale was not recorded") {
		t.Fatalf("Append to a full disk: %v; want EUnavailable, disk full, wrapping ENOSPC", err)
	}
	if st := mustState(t, j); len(st.Pending) != 0 {
		t.Errorf("the failed sale is pending: %v", pendingKeys(st))
	}
	ff.devFull = nil
	if err := j.Append(fullSale("full")); err != nil {
		t.Fatalf("Append once there is space: %v", err)
	}
}
