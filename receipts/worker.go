package receipts

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/till-pos/till/pos"
)

// Outbox is the receipt_outbox table as the worker uses it. The store
// implements it.
type Outbox interface {
	// PendingReceipts lists the keys of the sales and returns whose
	// receipts wait for upload, oldest first: only those due now when
	// dueOnly. tillID "" is every till; limit ≤ 0 is all. The other methods
	// take either kind of key.
	PendingReceipts(ctx context.Context, tillID string, dueOnly bool, limit int) ([]string, error)
	// ClaimReceipt leases a pending receipt (it is not due again for lease);
	// false when it is uploaded or, unless evenIfNotDue, not due.
	ClaimReceipt(ctx context.Context, saleKey string, lease time.Duration, evenIfNotDue bool) (bool, error)
	ReceiptUploaded(ctx context.Context, saleKey, objectKey string) error
	// ReceiptFailed counts a failed attempt and schedules the next one after
	// backoff(attempts); it returns the attempts so far.
	ReceiptFailed(ctx context.Context, saleKey, reason string, backoff func(attempts int) time.Duration) (int, error)
}

// Archive is where receipts are kept for good (S3).
type Archive interface {
	// Key is the object key of a sale's receipt.
	Key(sale pos.Sale, loc *time.Location) string
	// ReturnKey is the object key of a return's refund receipt.
	ReturnKey(ret pos.Return, loc *time.Location) string
	// ReportKey is the object key of a Z report.
	ReportKey(r pos.Report) string
	// Put stores pdf under key unless something is there already (existed).
	Put(ctx context.Context, key string, pdf []byte, meta map[string]string) (existed bool, err error)
}

// Backoff is the wait before retry n (1, 2, …): Base doubled each time, at
// most Max.
type Backoff struct {
	Base, Max time.Duration
}

// Wait is the delay before the next attempt after n failed ones. The zero
// Backoff retries after 30 s, 1 min, 2 min, … and then hourly.
func (b Backoff) Wait(n int) time.Duration {
	if b.Base <= 0 {
		b.Base = 30 * time.Second
	}
	if b.Max <= 0 {
		b.Max = time.Hour
	}
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Worker uploads the receipts of completed sales, and the refund receipts
// of completed returns, from the outbox. It runs
// in the background of the till and never holds up a sale: the sale's
// transaction only writes the outbox row. After a restart it picks up
// where it left off, since the outbox is the only state.
type Worker struct {
	Outbox   Outbox
	Receipts *Service // renders receipts; its Records loads the sales
	Archive  Archive
	TillID   string        // whose receipts; "" is every till's
	Every    time.Duration // how often to look for due receipts; 0 is 15 s
	Lease    time.Duration // how long a claim keeps others off; 0 is 2 min
	Backoff  Backoff       // zero: 30 s doubling up to an hour
	Log      *slog.Logger  // nil: no log
}

// Report says what a pass of the worker did.
type Report struct {
	Uploaded int // new objects
	Existing int // already in the archive (a 412): marked uploaded
	Failed   int // will be retried after the backoff
	Left     int // still pending after a Drain
	Errors   []error
}

func (rep *Report) add(o Report) {
	rep.Uploaded += o.Uploaded
	rep.Existing += o.Existing
	rep.Failed += o.Failed
	rep.Errors = append(rep.Errors, o.Errors...)
}

// Run uploads due receipts until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	every := w.Every
	if every <= 0 {
		every = 15 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rep, err := w.Once(ctx)
		if err != nil && ctx.Err() == nil {
			w.log("receipt outbox unavailable", "err", err)
		}
		if rep.Uploaded+rep.Existing+rep.Failed > 0 {
			w.log("receipt uploads", "uploaded", rep.Uploaded, "existing", rep.Existing, "failed", rep.Failed)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// batch is how many due receipts one pass takes on.
const batch = 100

// Once uploads the receipts that are due now, up to a batch.
func (w *Worker) Once(ctx context.Context) (Report, error) {
	keys, err := w.Outbox.PendingReceipts(ctx, w.TillID, true, batch)
	if err != nil {
		return Report{}, err
	}
	var rep Report
	for _, k := range keys {
		if ctx.Err() != nil {
			break
		}
		rep.add(w.upload(ctx, k, false))
	}
	return rep, nil
}

// Drain tries every pending receipt once, due or backing off, and reports
// how many are left.
func (w *Worker) Drain(ctx context.Context) (Report, error) {
	keys, err := w.Outbox.PendingReceipts(ctx, w.TillID, false, 0)
	if err != nil {
		return Report{}, err
	}
	var rep Report
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.add(w.upload(ctx, k, true))
	}
	left, err := w.Outbox.PendingReceipts(ctx, w.TillID, false, 0)
	rep.Left = len(left)
	return rep, err
}

// upload archives one receipt. Only a claimed receipt is uploaded, and its
// row is marked in the outbox whatever happens.
func (w *Worker) upload(ctx context.Context, key string, force bool) Report {
	lease := w.Lease
	if lease <= 0 {
		lease = 2 * time.Minute
	}
	ok, err := w.Outbox.ClaimReceipt(ctx, key, lease, force)
	if err != nil {
		return Report{Failed: 1, Errors: []error{err}}
	}
	if !ok {
		return Report{} // uploaded or leased meanwhile
	}
	objectKey, existed, err := w.put(ctx, key)
	if err != nil {
		// Record the failure even when ctx is cancelled (the till closing).
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		n, ferr := w.Outbox.ReceiptFailed(rctx, key, err.Error(), w.Backoff.Wait)
		w.log("receipt upload failed", "key", key, "attempts", n, "err", err)
		return Report{Failed: 1, Errors: []error{errors.Join(err, ferr)}}
	}
	if err := w.Outbox.ReceiptUploaded(ctx, key, objectKey); err != nil {
		// The object is there; the next pass finds it (412) and marks it.
		return Report{Failed: 1, Errors: []error{err}}
	}
	if existed {
		return Report{Existing: 1}
	}
	return Report{Uploaded: 1}
}

// ReportRecords loads the Z reports the outbox names. The store
// implements it.
type ReportRecords interface {
	// ReceiptReport loads the Z whose outbox key this is ("z:…", see
	// IsReportKey).
	ReceiptReport(ctx context.Context, key string) (pos.Report, error)
}

// IsReportKey tells a Z report's outbox key ("z:<store>:<till>:<Z
// number>", store.ZReceiptKey) from a sale's or a return's (a UUID, which
// has no ':').
func IsReportKey(key string) bool { return strings.HasPrefix(key, "z:") }

// put renders and uploads the receipt of the sale, return or Z whose key
// this is: a sale's receipt, a return's refund receipt, or the Z report.
func (w *Worker) put(ctx context.Context, key string) (objectKey string, existed bool, err error) {
	if IsReportKey(key) {
		return w.putReport(ctx, key)
	}
	r, err := w.Receipts.load(ctx, pos.Sale{Key: key}, false)
	if pos.ErrorCode(err) == pos.ENotFound {
		r, err = w.Receipts.loadReturn(ctx, key)
	}
	if err != nil {
		return "", false, err
	}
	pdf, err := Render(r)
	if err != nil {
		return "", false, err
	}
	var meta map[string]string
	if ret := r.Return; ret != nil {
		objectKey = w.Archive.ReturnKey(*ret, w.Receipts.Location)
		meta = map[string]string{"return-key": ret.Key, "store": ret.StoreID, "till": ret.TillID}
		if ret.SaleKey != "" {
			meta["sale-key"] = ret.SaleKey
		}
	} else {
		objectKey = w.Archive.Key(r.Sale, w.Receipts.Location)
		meta = map[string]string{"sale-key": r.Sale.Key, "store": r.Sale.StoreID, "till": r.Sale.TillID}
	}
	if r.training() {
		meta["training"] = "true"
	}
	existed, err = w.Archive.Put(ctx, objectKey, pdf, meta)
	return objectKey, existed, err
}

// putReport renders and uploads a Z report: the PDF RenderReport makes,
// the one the till printed and saved at the close.
func (w *Worker) putReport(ctx context.Context, key string) (objectKey string, existed bool, err error) {
	if w.Receipts.Reports == nil {
		return "", false, pos.Errorf(pos.EInternal, "the receipt worker cannot load Z reports")
	}
	r, err := w.Receipts.Reports.ReceiptReport(ctx, key)
	if err != nil {
		return "", false, err
	}
	pdf, err := RenderReport(r, w.Receipts.Currency, w.Receipts.Location)
	if err != nil {
		return "", false, err
	}
	objectKey = w.Archive.ReportKey(r)
	meta := map[string]string{"store": r.Session.StoreID, "till": r.Session.TillID,
		"z-number": strconv.FormatInt(r.ZNumber, 10), "session": strconv.FormatInt(r.Session.ID, 10)}
	if r.Session.Training {
		meta["training"] = "true"
	}
	existed, err = w.Archive.Put(ctx, objectKey, pdf, meta)
	return objectKey, existed, err
}

func (w *Worker) log(msg string, args ...any) {
	if w.Log != nil {
		w.Log.Info(msg, args...)
	}
}
