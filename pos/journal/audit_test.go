package journal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/till-pos/till/pos"
)

// TestAuditSpool: entries spooled while offline survive a reopen; those
// written to the database are cleared, one spooled meanwhile stays; a line
// torn by a crash is counted, never taken for an entry.
func TestAuditSpool(t *testing.T) {
	dir := t.TempDir()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	entry := func(action string) pos.AuditEntry {
		return pos.AuditEntry{StoreID: "s1", TillID: "t1", CashierID: 3, Action: action, Detail: "manager 3"}
	}
	for _, a := range []string{"offline_approved", "sign_in_offline"} {
		if err := j.SpoolAudit(entry(a)); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	if fi, err := os.Stat(filepath.Join(dir, auditName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the spool: %v, %v; want mode 0600", fi, err)
	}
	if j, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	got, bad, upto, err := j.SpooledAudits()
	if err != nil || bad != 0 || len(got) != 2 || got[0].Action != "offline_approved" || got[1].Action != "sign_in_offline" ||
		got[0].CashierID != 3 || !strings.Contains(got[0].Detail, "manager 3; at ") {
		t.Fatalf("spooled: %+v, %d bad, %v", got, bad, err)
	}
	if err := j.SpoolAudit(entry("offline_on_stop")); err != nil { // while the first two are being written
		t.Fatal(err)
	}
	if err := j.ClearAudits(upto); err != nil {
		t.Fatal(err)
	}
	got, _, upto, err = j.SpooledAudits()
	if err != nil || len(got) != 1 || got[0].Action != "offline_on_stop" {
		t.Fatalf("after clearing the first two: %+v, %v", got, err)
	}
	// A crash tore the next line.
	f, err := os.OpenFile(filepath.Join(dir, auditName), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"at":"2026-11-30T12:00:00Z","store":"s1","act`)
	f.Close()
	got, bad, upto2, err := j.SpooledAudits()
	if err != nil || len(got) != 1 || bad != 1 || upto2 <= upto {
		t.Fatalf("with a torn line: %+v, %d bad, %v", got, bad, err)
	}
	if err := j.ClearAudits(upto2); err != nil {
		t.Fatal(err)
	}
	if got, bad, _, err := j.SpooledAudits(); err != nil || len(got)+bad != 0 {
		t.Fatalf("cleared: %+v, %d bad, %v", got, bad, err)
	}
}
