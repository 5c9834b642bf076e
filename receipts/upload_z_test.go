package receipts_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
)

// TestZUpload: a Z closed at the till waits in the outbox while S3 is
// down (a failed attempt, backing off), and once S3 is back the worker
// uploads the very PDF RenderReport makes of store.ZReport, under
// <prefix>/<store>/reports/<till>/z-<n>.pdf; an object already at a Z's key
// is kept and the row marked; a worker that cannot load reports fails the
// row, never marks it.
func TestZUpload(t *testing.T) {
	f := newFixture(t, pos.EUR(), false)
	ctx := context.Background()
	office := &pos.CashOffice{Store: f.db, Settings: f.co.Settings}
	closeZ := func() pos.Report {
		t.Helper()
		if _, err := office.Open(ctx, f.cashier, pos.CountOf(100_00)); err != nil {
			t.Fatal(err)
		}
		z, err := office.Z(ctx, f.cashier, pos.CountOf(100_00))
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	fs := newFakeS3(t)
	w, up := f.worker(t, fs, "")
	closeZ()

	// No way to load reports: the row fails and stays pending.
	rep, err := w.Drain(ctx)
	if err != nil || rep.Failed != 1 || rep.Left != 1 {
		t.Fatalf("without Reports: got %+v, %v; want 1 failed, 1 left", rep, err)
	}
	f.svc.Reports = f.db

	fs.down()
	rep, err = w.Drain(ctx)
	if err != nil || rep.Failed != 1 || rep.Left != 1 {
		t.Fatalf("S3 down: got %+v, %v; want 1 failed, 1 left", rep, err)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM receipt_outbox WHERE z_session_id IS NOT NULL AND attempts = 2
		AND last_error <> '' AND status = 'pending'`); n != 1 {
		t.Fatalf("the Z's row after two failures: %d rows with 2 attempts and an error, want 1", n)
	}
	fs.up()
	rep, err = w.Drain(ctx)
	if err != nil || rep.Uploaded != 1 || rep.Left != 0 {
		t.Fatalf("S3 back: got %+v, %v; want 1 uploaded, 0 left", rep, err)
	}
	z1, err := f.db.ZReport(ctx, "berlin-1", "till-3", 1)
	if err != nil {
		t.Fatal(err)
	}
	want, err := receipts.RenderReport(z1, pos.EUR(), f.loc)
	if err != nil {
		t.Fatal(err)
	}
	key := "receipts/berlin-1/reports/till-3/z-1.pdf"
	if k := up.ReportKey(z1); k != key {
		t.Errorf("ReportKey: %q, want %q", k, key)
	}
	h, body := head(t, fs, key)
	if !bytes.Equal(body, want) {
		t.Errorf("the uploaded Z is not RenderReport of store.ZReport (%d bytes, want %d)", len(body), len(want))
	}
	if h.Metadata["z-number"] != "1" || h.Metadata["till"] != "till-3" || h.Metadata["store"] != "berlin-1" {
		t.Errorf("metadata: %v", h.Metadata)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM receipt_outbox WHERE status = 'uploaded' AND object_key = ?`, key); n != 1 {
		t.Errorf("the Z's row is not marked uploaded under %s", key)
	}

	// Z 2's key taken already: kept, and the row marked.
	first := []byte("%PDF-1.4 an earlier upload")
	key2 := "receipts/berlin-1/reports/till-3/z-2.pdf"
	if existed, err := up.Put(ctx, key2, first, nil); err != nil || existed {
		t.Fatalf("put: %v, %v", existed, err)
	}
	closeZ()
	rep, err = w.Once(ctx)
	if err != nil || rep.Existing != 1 || rep.Uploaded != 0 {
		t.Fatalf("Z 2: got %+v, %v; want it found existing", rep, err)
	}
	if _, body := head(t, fs, key2); !bytes.Equal(body, first) {
		t.Errorf("Z 2's object: got %q, want the earlier upload kept", body)
	}
	if got := f.pending(t); got != 0 {
		t.Errorf("outbox: %d pending, want 0", got)
	}
}
