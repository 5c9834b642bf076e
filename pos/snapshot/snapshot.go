// Package snapshot keeps, on the till's disk, what the till needs to sell
// through a database outage (issue 16): the catalogue and the cashiers who
// may sign in offline, with their PIN hashes (never PINs). The till saves
// a snapshot while the database answers and loads it when it does not.
//
// The file holds PIN hashes, so it is the till's user's alone: Save writes
// it 0600 in a 0700 directory, and Load refuses a file anyone else may
// read or write, or that another user owns. A four-digit PIN falls to an
// offline search of its hash in minutes, whatever PBKDF2 costs, which is
// why cashiers are opted in to offline sign-in one by one
// (migrations/00012_offline_cashiers.sql).
package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/till-pos/till/pos"
)

// FormatVersion is the version of the snapshot file Save writes and Load
// reads. It changes whenever the encoding of Snapshot (or of the pos types
// in it) changes, so an older till never reads a newer snapshot with
// fields missing (an item without its price) or the other way round.
const FormatVersion = 1

// magic opens every snapshot file.
const magic = "till-offline-snapshot"

// maxSize bounds what Load reads: a chain's catalogue is far smaller, and
// a damaged length must not make the till read a whole disk into memory.
const maxSize = 512 << 20

// Snapshot is what the till needs to sell while the database is down.
type Snapshot struct {
	// Version is the file format's (FormatVersion); Save sets it when 0.
	Version int
	// TakenAt is when the snapshot was read from the database.
	TakenAt time.Time
	// StoreID is the store whose till took it: its cashiers are those who
	// may sign in at that store, so no other store's till may use it.
	StoreID string
	// Items is the catalogue.
	Items []pos.Item
	// Cashiers are those who may sign in offline at StoreID, with their
	// PIN hashes (store.DB.OfflineCashiers).
	Cashiers []pos.OfflineCashier
	// StoreSettings are the store row's settings as the till reads them
	// at start (currency, tax mode, name, address, time zone: POS_*
	// names), so that a till starting during an outage sells as the store
	// does.
	StoreSettings map[string]string
}

// Errors Load reports, so the till can tell an operator what to do.
var (
	// ErrExposed: the file may be read or written by someone other than
	// the till's user (its mode or its owner), so its hashes may be known
	// or its cashiers planted.
	ErrExposed = errors.New("the offline snapshot is not the till user's alone")
	// ErrCorrupt: the file is torn, damaged or not a snapshot this till
	// can read.
	ErrCorrupt = errors.New("the offline snapshot is damaged or unreadable")
	// ErrOtherStore: the snapshot was taken for another store.
	ErrOtherStore = errors.New("the offline snapshot is another store's")
)

// check refuses a snapshot that could not be used safely: one with no
// store, a cashier number twice (which one signs in?), a cashier without a
// hash, an item twice or an impossible item.
func (s Snapshot) check() error {
	switch {
	case s.Version != FormatVersion:
		return fmt.Errorf("format version %d, this till reads %d", s.Version, FormatVersion)
	case s.StoreID == "":
		return fmt.Errorf("no store id")
	case s.TakenAt.IsZero():
		return fmt.Errorf("no time taken")
	}
	numbers := make(map[string]bool, len(s.Cashiers))
	for _, c := range s.Cashiers {
		switch {
		case c.Number == "":
			return fmt.Errorf("cashier %d has no number", c.ID)
		case numbers[c.Number]:
			return fmt.Errorf("cashier number %s is there twice", c.Number)
		case !strings.HasPrefix(c.PINHash, "pbkdf2-sha256$"):
			return fmt.Errorf("cashier %s has no PIN hash", c.Number)
		}
		numbers[c.Number] = true
	}
	codes := make(map[string]bool, len(s.Items))
	for _, it := range s.Items {
		if err := it.Validate(); err != nil {
			return fmt.Errorf("item %d: %w", it.ID, err)
		}
		if codes[it.Code] {
			return fmt.Errorf("item code %s is there twice", it.Code)
		}
		codes[it.Code] = true
	}
	return nil
}

// Save writes s to path atomically: into a temporary file (mode 0600) in
// the same directory, synced, then renamed over path and the directory
// synced, so a crash or a power cut leaves either the old snapshot or the
// new one, never a torn file. The directory is created 0700 when missing.
func Save(path string, s Snapshot) (err error) {
	if s.Version == 0 {
		s.Version = FormatVersion
	}
	if err := s.check(); err != nil {
		return fmt.Errorf("save the offline snapshot: %w", err)
	}
	body, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("save the offline snapshot: %w", err)
	}
	header := headerFor(body)

	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save the offline snapshot: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save the offline snapshot: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp makes it 0600 already; say so whatever the umask did.
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("save the offline snapshot: %w", err)
	}
	if _, err := f.WriteString(header); err != nil {
		return fmt.Errorf("save the offline snapshot: %w", err)
	}
	if _, err := f.Write(body); err != nil {
		return fmt.Errorf("save the offline snapshot: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("save the offline snapshot: sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save the offline snapshot: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save the offline snapshot: %w", err)
	}
	// The rename is durable only once the directory is synced.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("save the offline snapshot: %w", err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Load reads the snapshot at path, taken for storeID. It refuses, with
// an error naming the reason and the file:
//   - a file others may read or write (mode & 0077 != 0), or owned by
//     another user, or not a regular file (ErrExposed);
//   - a torn, damaged or unreadable file, or one of another format version
//     (ErrCorrupt): it never returns part of a snapshot;
//   - a snapshot taken for another store (ErrOtherStore): its cashiers are
//     those of that store, not of this one. The store is a parameter,
//     not a check left to the caller, so no caller can forget it.
func Load(path, storeID string) (Snapshot, error) {
	if storeID == "" {
		return Snapshot{}, fmt.Errorf("load the offline snapshot %s: no store id to check it against", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return Snapshot{}, fmt.Errorf("load the offline snapshot: %w", err)
	}
	defer f.Close()
	// Check the file opened, not the path: it cannot be swapped between.
	fi, err := f.Stat()
	if err != nil {
		return Snapshot{}, fmt.Errorf("load the offline snapshot: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Snapshot{}, fmt.Errorf("load %s: %w: not a regular file (%s)", path, ErrExposed, fi.Mode())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return Snapshot{}, fmt.Errorf("load %s: %w: mode %04o lets others read or write it (it must be 0600)",
			path, ErrExposed, perm)
	}
	if err := ownedByMe(fi); err != nil {
		return Snapshot{}, fmt.Errorf("load %s: %w: %w", path, ErrExposed, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return Snapshot{}, fmt.Errorf("load the offline snapshot: %w", err)
	}
	s, err := decode(data)
	if err != nil {
		return Snapshot{}, fmt.Errorf("load %s: %w: %w", path, ErrCorrupt, err)
	}
	if s.StoreID != storeID {
		return Snapshot{}, fmt.Errorf("load %s: %w: taken for store %q, this till is at %q",
			path, ErrOtherStore, s.StoreID, storeID)
	}
	return s, nil
}

// headerFor is the first line of a snapshot file: it says how long the
// body is and what its digest is, so a torn or damaged file is told from a
// whole one.
func headerFor(body []byte) string {
	sum := sha256.Sum256(body)
	return fmt.Sprintf("%s %d %d %s\n", magic, FormatVersion, len(body), hex.EncodeToString(sum[:]))
}

// decode checks a file's header and digest and decodes its body.
func decode(data []byte) (Snapshot, error) {
	if len(data) > maxSize {
		return Snapshot{}, fmt.Errorf("larger than %d bytes", maxSize)
	}
	line, body, found := bytes.Cut(data, []byte("\n"))
	if !found {
		return Snapshot{}, fmt.Errorf("no header (torn or empty)")
	}
	fields := strings.Fields(string(line))
	if len(fields) != 4 || fields[0] != magic {
		return Snapshot{}, fmt.Errorf("not a snapshot file")
	}
	if v, err := strconv.Atoi(fields[1]); err != nil || v != FormatVersion {
		return Snapshot{}, fmt.Errorf("format version %s, this till reads %d", fields[1], FormatVersion)
	}
	n, err := strconv.Atoi(fields[2])
	if err != nil || n != len(body) {
		return Snapshot{}, fmt.Errorf("%d bytes after the header, the header says %s (torn?)", len(body), fields[2])
	}
	sum := sha256.Sum256(body)
	if want, err := hex.DecodeString(fields[3]); err != nil || !bytes.Equal(want, sum[:]) {
		return Snapshot{}, fmt.Errorf("the checksum does not match")
	}
	var s Snapshot
	dec := json.NewDecoder(bytes.NewReader(body))
	// A field this till does not know means another format: refuse it
	// rather than sell with something missing.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Snapshot{}, fmt.Errorf("decode: %w", err)
	}
	if dec.More() {
		return Snapshot{}, fmt.Errorf("data after the snapshot")
	}
	if err := s.check(); err != nil {
		return Snapshot{}, err
	}
	return s, nil
}
