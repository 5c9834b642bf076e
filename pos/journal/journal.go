// Package journal keeps the sales a till makes while the database cannot be
// reached (issue 16) in an append-only file on the till's disk, until they
// are forwarded to the database, each exactly once by its key.
//
// The journal lives in one directory:
//
//	journal.log           the records (see record.go for the framing)
//	journal.lock          flocked while a Journal is open
//	damaged-<nanos>.bin   torn tails cut off by Open, kept for an operator
package journal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/till-pos/till/pos"
)

const (
	logName     = "journal.log"
	lockName    = "journal.lock"
	damagedPref = "damaged-"
	damagedSuff = ".bin"
	compactName = "journal.log.compact" // the rewritten journal before it replaces the old
)

var _ pos.OfflineJournal = (*Journal)(nil)

// file is what the journal needs of its log file. *os.File satisfies it;
// tests put a fault-injecting one in its place.
type file interface {
	WriteAt(p []byte, off int64) (int, error)
	Truncate(size int64) error
	Sync() error
	Close() error
}

// compactAt is the size above which Open rewrites a journal whose every
// sale has been forwarded: the forwarded records serve no one any more, and
// a till that sells offline often should not read megabytes at each start.
const compactAt = 1 << 20

// options are the seams tests use; Open uses the zero value.
type options struct {
	compactAt int64 // 0: the constant compactAt
	// wrap replaces the log file the journal writes through.
	wrap func(*os.File) file
	now  func() time.Time
}

// Journal is an open offline sale journal. Its methods are safe for
// concurrent use.
type Journal struct {
	dir  string
	path string
	now  func() time.Time

	mu     sync.Mutex
	f      file
	lock   *os.File
	size   int64 // end of the last good record: where the next one goes
	closed bool
	// broken is set when a failed write could not be undone: what is on
	// disk past size is unknown, so nothing more is appended until the
	// journal is reopened (and Open cuts off whatever is there).
	broken error

	sales     map[string]*entry
	order     []*entry // sales in append order
	forwarded int
	damaged   []pos.JournalDamage
}

type entry struct {
	key       string
	sale      *saleRec // nil: forwarded, but its sale record was unreadable
	forwarded bool
}

// Open opens the journal in dir, creating dir (0700) and the files (0600)
// as needed. It locks the journal against every other Journal, in this
// process or another, so one journal never has two writers. A torn tail
// (the last record cut short, as when the till died while appending) is
// copied to dir/damaged-<unix-nanos>.bin, reported by State and cut off so
// appends continue after the last good record.
func Open(dir string) (*Journal, error) {
	return open(dir, options{})
}

func open(dir string, o options) (_ *Journal, err error) {
	if o.now == nil {
		o.now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: creating directory %s: %w", dir, err)
	}
	lockPath := filepath.Join(dir, lockName)
	lock, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: opening lock %s: %w", lockPath, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, pos.WrapError(pos.EUnavailable, err,
				"the offline journal in %s is in use by another till or process (it holds the lock %s)", dir, lockPath)
		}
		return nil, fmt.Errorf("journal: locking %s: %w", lockPath, err)
	}
	defer func() {
		if err != nil {
			lock.Close() // releases the flock
		}
	}()

	j := &Journal{
		dir:   dir,
		path:  filepath.Join(dir, logName),
		now:   o.now,
		lock:  lock,
		sales: map[string]*entry{},
	}
	created := false
	osf, err := os.OpenFile(j.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		created = true
	} else if errors.Is(err, os.ErrExist) {
		osf, err = os.OpenFile(j.path, os.O_RDWR, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: opening %s: %w", j.path, err)
	}
	defer func() {
		if err != nil {
			osf.Close()
		}
	}()
	if created {
		// The new file's name must survive a power cut before any sale
		// is written into it.
		if err := syncDir(dir); err != nil {
			return nil, err
		}
	}
	data, err := io.ReadAll(osf)
	if err != nil {
		return nil, fmt.Errorf("journal: reading %s: %w", j.path, err)
	}
	j.f = osf
	if o.wrap != nil {
		j.f = o.wrap(osf)
	}

	res := scan(data)
	j.size = res.end
	torn := res.torn
	var tornRec *record
	if torn != nil {
		tornRec, err = j.cutTornTail(data, *torn)
		if err != nil {
			return nil, err
		}
	}
	for _, r := range res.records {
		j.apply(r.rec, r.offset)
	}
	for _, d := range res.damage {
		j.damaged = append(j.damaged, pos.JournalDamage{File: j.path, Offset: d.offset, Length: d.length, Reason: d.reason})
	}
	if tornRec != nil {
		if err := j.appendLocked(*tornRec); err != nil {
			return nil, err
		}
	}
	if err := j.collectDamagedFiles(res.records, tornRec); err != nil {
		return nil, err
	}
	if err := j.maybeCompact(o); err != nil {
		return nil, err
	}
	return j, nil
}

// cutTornTail saves the torn tail to its own file (synced, with its
// directory entry) before cutting it off the journal: those bytes may be the
// only trace of a sale, so they are never dropped, only moved.
func (j *Journal) cutTornTail(data []byte, t stretch) (*record, error) {
	name := damagedPref + strconv.FormatInt(j.now().UnixNano(), 10) + damagedSuff
	p := filepath.Join(j.dir, name)
	if err := writeSynced(p, data[t.offset:t.offset+t.length]); err != nil {
		return nil, fmt.Errorf("journal: saving torn tail of %s to %s: %w", j.path, p, err)
	}
	if err := syncDir(j.dir); err != nil {
		return nil, err
	}
	if err := j.f.Truncate(t.offset); err != nil {
		return nil, fmt.Errorf("journal: cutting torn tail off %s at %d: %w", j.path, t.offset, err)
	}
	if err := j.f.Sync(); err != nil {
		return nil, fmt.Errorf("journal: syncing %s after cutting its torn tail: %w", j.path, err)
	}
	return &record{Kind: kindDamage, At: ptr(toTime(j.now())), Damage: &damageRec{
		File: name, Offset: t.offset, Length: t.length, Reason: t.reason,
	}}, nil
}

// collectDamagedFiles reports every damaged-*.bin file still in the
// directory: the journal's damage records say where its bytes came from; a
// file without one (the till died between saving it and noting it) is
// reported all the same, its offset unknown (-1). A file an operator has
// deleted is no longer reported.
func (j *Journal) collectDamagedFiles(recs []scanned, fresh *record) error {
	notes := map[string]damageRec{}
	for _, r := range recs {
		if r.rec.Kind == kindDamage {
			notes[r.rec.Damage.File] = *r.rec.Damage
		}
	}
	if fresh != nil {
		notes[fresh.Damage.File] = *fresh.Damage
	}
	ents, err := os.ReadDir(j.dir)
	if err != nil {
		return fmt.Errorf("journal: listing %s for damaged files: %w", j.dir, err)
	}
	var names []string
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, damagedPref) && strings.HasSuffix(n, damagedSuff) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		d, ok := notes[n]
		if !ok {
			info, err := os.Stat(filepath.Join(j.dir, n))
			if err != nil {
				return fmt.Errorf("journal: reading damaged file: %w", err)
			}
			d = damageRec{File: n, Offset: -1, Length: info.Size(), Reason: "torn tail saved before the till stopped; its offset is unknown"}
		}
		j.damaged = append(j.damaged, pos.JournalDamage{
			File: filepath.Join(j.dir, n), Offset: d.Offset, Length: d.Length, Reason: d.Reason,
		})
	}
	return nil
}

// apply adds a record read or written to the in-memory index.
// off is where the record starts in the file.
func (j *Journal) apply(r record, off int64) {
	switch r.Kind {
	case kindSale:
		if j.sales[r.Sale.Key] != nil {
			// Append refuses a key it has seen, so this takes two
			// writers or a hand-edited file. Keep the first; say so.
			j.damaged = append(j.damaged, pos.JournalDamage{File: j.path, Offset: off,
				Reason: fmt.Sprintf("sale %q is in the journal twice; the first is kept", r.Sale.Key)})
			return
		}
		e := &entry{key: r.Sale.Key, sale: r.Sale}
		j.sales[e.key] = e
		j.order = append(j.order, e)
	case kindForwarded:
		e := j.sales[r.Key]
		if e == nil {
			// The sale's record was lost to damage but it did reach
			// the database: its key stays taken.
			e = &entry{key: r.Key}
			j.sales[r.Key] = e
		}
		if !e.forwarded {
			e.forwarded = true
			j.forwarded++
		}
	}
}

// Append records a completed offline sale and returns once it is on disk.
func (j *Journal) Append(s pos.Sale) error {
	if s.Key == "" {
		return pos.Errorf(pos.EInvalid, "an offline sale needs a key to be journalled")
	}
	rec := record{Kind: kindSale, Sale: toSaleRec(s)}
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.usable(); err != nil {
		return err
	}
	if j.sales[s.Key] != nil {
		return pos.Errorf(pos.EConflict, "sale %s is already in the offline journal", s.Key)
	}
	return j.appendLocked(rec)
}

// MarkForwarded records that the sale with this key is in the database. A
// key already forwarded is left as it is; an unknown key is an error.
func (j *Journal) MarkForwarded(key string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.usable(); err != nil {
		return err
	}
	e := j.sales[key]
	switch {
	case e == nil:
		return pos.Errorf(pos.ENotFound, "sale %s is not in the offline journal", key)
	case e.forwarded:
		return nil
	}
	return j.appendLocked(record{Kind: kindForwarded, Key: key, At: ptr(toTime(j.now()))})
}

// State reads what the journal holds.
func (j *Journal) State() (pos.JournalState, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return pos.JournalState{}, pos.Errorf(pos.EInternal, "the offline journal %s is closed", j.path)
	}
	st := pos.JournalState{Forwarded: j.forwarded}
	for _, e := range j.order {
		if e.forwarded {
			continue
		}
		// Converted afresh from the on-disk form each time: callers get
		// their own slices, and exactly what a restart would read.
		s, err := e.sale.sale()
		if err != nil {
			return pos.JournalState{}, fmt.Errorf("journal: %w", err)
		}
		st.Pending = append(st.Pending, s)
	}
	st.Damaged = append([]pos.JournalDamage(nil), j.damaged...)
	return st, nil
}

// Close closes the journal and releases its lock.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	err := j.f.Close()
	if lerr := j.lock.Close(); err == nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("journal: closing %s: %w", j.path, err)
	}
	return nil
}

func (j *Journal) usable() error {
	switch {
	case j.closed:
		return pos.Errorf(pos.EInternal, "the offline journal %s is closed", j.path)
	case j.broken != nil:
		return pos.WrapError(pos.EUnavailable, j.broken,
			"the offline journal could not be repaired after a failed write: restart the till before selling offline again")
	}
	return nil
}

// appendLocked writes one record and syncs it. On any failure the file is
// cut back to where it was, so the journal stays readable and holds exactly
// what it held before: the caller is told the record is not there, and it
// is not.
func (j *Journal) appendLocked(r record) error {
	buf, err := encode(r)
	if err != nil {
		return pos.WrapError(pos.EInternal, err, "the offline sale could not be recorded")
	}
	n, err := j.f.WriteAt(buf, j.size)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		// Undo: a partial record must not stay on disk (it would be
		// taken for a torn tail, or worse, a sale the caller was told
		// failed).
		uerr := j.f.Truncate(j.size)
		if uerr == nil {
			uerr = j.f.Sync()
		}
		if uerr != nil {
			j.broken = fmt.Errorf("cutting %s back to %d bytes: %w (after %w)", j.path, j.size, uerr, err)
		}
		return writeError(r.Kind, j.path, err)
	}
	j.apply(r, j.size)
	j.size += int64(len(buf))
	return nil
}

// writeError says what a cashier needs to know about a failed write.
func writeError(kind, path string, err error) error {
	what := "the offline sale was not recorded"
	if kind == kindForwarded {
		what = "the sale's forwarding was not recorded"
	} else if kind == kindDamage {
		what = "the journal's damage could not be noted"
	} else if kind == kindAudit {
		what = "an audit entry made while offline was not kept"
	}
	cause := fmt.Errorf("writing %s: %w", path, err)
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return pos.WrapError(pos.EUnavailable, cause, "the till's disk is full: %s; free space on the till before selling offline again", what)
	case errors.Is(err, syscall.EROFS):
		// What Linux does to a file system after errors on its disk.
		return pos.WrapError(pos.EUnavailable, cause, "the till's disk has become read-only: %s; the till's disk needs checking", what)
	case errors.Is(err, syscall.EIO):
		return pos.WrapError(pos.EUnavailable, cause, "the till's disk failed (I/O error): %s; the till's disk needs checking", what)
	case errors.Is(err, io.ErrShortWrite):
		return pos.WrapError(pos.EUnavailable, cause, "the till's disk took only part of the record: %s", what)
	}
	return pos.WrapError(pos.EUnavailable, cause, "the till's disk could not be written: %s", what)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("journal: opening %s to sync it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("journal: syncing directory %s: %w", dir, err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// stretch is a run of bytes in the journal that could not be read.
type stretch struct {
	offset, length int64
	reason         string
}

type scanned struct {
	offset int64
	rec    record
}

type scanResult struct {
	records []scanned
	damage  []stretch // in the middle: left in place, skipped
	torn    *stretch  // at the end: to be cut off
	end     int64     // where the good part ends: the next append goes here
}

// scan reads a journal's bytes. Nothing is skipped without being reported:
// a record whose header is sound but whose payload is not is skipped by its
// length; bytes with no sound header are skipped up to the next sound header
// (resynchronising); anything unreadable that runs to the end of the file is
// the torn tail.
func scan(data []byte) scanResult {
	var res scanResult
	off := 0
	for off < len(data) {
		if len(data)-off < headerLen {
			res.torn = &stretch{int64(off), int64(len(data) - off), "record header cut short"}
			break
		}
		n, pcrc, ok := header(data[off:])
		if !ok {
			next := resync(data, off+1)
			if next < 0 {
				res.torn = &stretch{int64(off), int64(len(data) - off), "unreadable bytes at the end of the journal (no record header)"}
				break
			}
			res.damage = append(res.damage, stretch{int64(off), int64(next - off), "unreadable bytes (bad record header); skipped to the next record"})
			off = next
			continue
		}
		end := off + headerLen + n
		if end > len(data) {
			res.torn = &stretch{int64(off), int64(len(data) - off),
				fmt.Sprintf("record cut short: %d of its %d bytes", len(data)-off, headerLen+n)}
			break
		}
		payload := data[off+headerLen : end]
		var reason string
		if crcOf(payload) != pcrc {
			if end == len(data) {
				// The last record, its payload not all written (a power
				// cut can leave the length extended but the data not).
				res.torn = &stretch{int64(off), int64(end - off), "last record's checksum does not match (not fully written)"}
				break
			}
			reason = "record checksum does not match"
		} else if rec, err := decode(payload); err != nil {
			reason = err.Error()
		} else {
			res.records = append(res.records, scanned{int64(off), rec})
		}
		if reason != "" {
			res.damage = append(res.damage, stretch{int64(off), int64(end - off), reason})
		}
		off = end
	}
	res.end = int64(off)
	return res
}

// resync finds the next sound record header at or after from, or -1.
func resync(data []byte, from int) int {
	for from < len(data) {
		i := bytes.Index(data[from:], magic[:])
		if i < 0 {
			return -1
		}
		at := from + i
		if len(data)-at >= headerLen {
			if _, _, ok := header(data[at:]); ok {
				return at
			}
		}
		from = at + 1
	}
	return -1
}

// maybeCompact rewrites the journal without its sales when every one of
// them has been forwarded and the file has grown past the threshold. The
// new file keeps the notes of torn tails still saved, so they stay
// reported. It is written beside the old one, synced and renamed over it:
// a crash at any point leaves one whole journal or the other, both
// holding nothing to forward. A journal with damage in it is never
// compacted: its bytes are left for an operator.
func (j *Journal) maybeCompact(o options) error {
	// A rewrite an earlier Open did not finish is simply dropped: the old
	// journal it was made from is still in place.
	tmp := filepath.Join(j.dir, compactName)
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("journal: removing unfinished rewrite %s: %w", tmp, err)
	}
	limit := o.compactAt
	if limit == 0 {
		limit = compactAt
	}
	if j.size <= limit {
		return nil
	}
	for _, e := range j.order {
		if !e.forwarded {
			return nil
		}
	}
	var buf []byte
	for _, d := range j.damaged {
		if d.File == j.path {
			return nil
		}
		if d.Offset < 0 {
			continue // not noted in the journal; reported from its file alone
		}
		rec, err := encode(record{Kind: kindDamage, At: ptr(toTime(j.now())), Damage: &damageRec{
			File: filepath.Base(d.File), Offset: d.Offset, Length: d.Length, Reason: d.Reason,
		}})
		if err != nil {
			return fmt.Errorf("journal: compacting: %w", err)
		}
		buf = append(buf, rec...)
	}
	if err := writeSynced(tmp, buf); err != nil {
		os.Remove(tmp)
		// The old journal is untouched and whole: compaction is only
		// housekeeping, so the till goes on with it.
		return nil
	}
	if err := os.Rename(tmp, j.path); err != nil {
		os.Remove(tmp)
		return nil
	}
	// From here the old file is gone: anything failing now fails Open,
	// and the next Open reads whichever journal the disk kept.
	if err := syncDir(j.dir); err != nil {
		return err
	}
	j.f.Close()
	osf, err := os.OpenFile(j.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("journal: opening compacted %s: %w", j.path, err)
	}
	j.f = osf
	if o.wrap != nil {
		j.f = o.wrap(osf)
	}
	j.size = int64(len(buf))
	j.sales, j.order, j.forwarded = map[string]*entry{}, nil, 0
	return nil
}

// writeSynced creates a file with these bytes and syncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
