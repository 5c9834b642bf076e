package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/till-pos/till/pos"
)

// The audit spool: audit entries written while the database cannot be
// reached (a manager approving offline selling, a cashier signing in from
// the snapshot, a sale kept offline at a stop) wait in audit.log, beside
// the journal and under its lock, one JSON line each, synced before the
// call returns. The forwarder writes them to the audit log once the
// database answers, then clears them. A crash between the two writes an
// entry twice: audit entries are delivered at least once, sales exactly
// once.

const (
	auditName = "audit.log"
	kindAudit = "audit" // for writeError
)

var _ pos.AuditSpool = (*Journal)(nil)

// auditRec is an audit entry as the spool keeps it.
type auditRec struct {
	At        time.Time `json:"at"`
	StoreID   string    `json:"store"`
	TillID    string    `json:"till"`
	CashierID int64     `json:"cashier,omitempty"`
	Action    string    `json:"action"`
	SaleKey   string    `json:"sale,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}

// SpoolAudit keeps an audit entry until the database takes it.
func (j *Journal) SpoolAudit(e pos.AuditEntry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.usable(); err != nil {
		return err
	}
	line, err := json.Marshal(auditRec{At: j.now().UTC(), StoreID: e.StoreID, TillID: e.TillID,
		CashierID: e.CashierID, Action: e.Action, SaleKey: e.SaleKey, Detail: e.Detail})
	if err != nil {
		return fmt.Errorf("journal: audit entry: %w", err)
	}
	path := filepath.Join(j.dir, auditName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return writeError(kindAudit, path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return writeError(kindAudit, path, err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		_ = f.Truncate(fi.Size()) // as it was: a torn line would hide the next
		return writeError(kindAudit, path, err)
	}
	if err := f.Sync(); err != nil {
		return writeError(kindAudit, path, err)
	}
	return nil
}

// SpooledAudits returns the audit entries waiting, oldest first, how many
// lines could not be read (a line torn by a crash: the entry was never
// confirmed to whoever wrote it), and upto: what ClearAudits may drop once
// they are written.
func (j *Journal) SpooledAudits() (entries []pos.AuditEntry, bad int, upto int64, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	data, err := os.ReadFile(filepath.Join(j.dir, auditName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, 0, nil
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("journal: reading the audit spool: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		var r auditRec
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Action == "" {
			bad++
			continue
		}
		detail := r.Detail
		if detail != "" {
			detail += "; "
		}
		detail += "at " + r.At.Format(time.RFC3339) + ", written when the database was back"
		entries = append(entries, pos.AuditEntry{StoreID: r.StoreID, TillID: r.TillID, CashierID: r.CashierID,
			Action: r.Action, SaleKey: r.SaleKey, Detail: detail})
	}
	if err := sc.Err(); err != nil {
		return nil, 0, 0, fmt.Errorf("journal: reading the audit spool: %w", err)
	}
	return entries, bad, int64(len(data)), nil
}

// ClearAudits drops the first upto bytes of the spool (what
// SpooledAudits read, once it is written): an entry spooled meanwhile
// stays, rewritten to a new spool that replaces the old atomically.
func (j *Journal) ClearAudits(upto int64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	path := filepath.Join(j.dir, auditName)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("journal: clearing the audit spool: %w", err)
	}
	if upto >= int64(len(data)) {
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("journal: clearing the audit spool: %w", err)
		}
		return syncDir(j.dir)
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data[upto:], 0o600); err != nil {
		return writeError(kindAudit, tmp, err)
	}
	f, err := os.Open(tmp)
	if err == nil {
		err = f.Sync()
		f.Close()
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return writeError(kindAudit, tmp, err)
	}
	return syncDir(j.dir)
}
