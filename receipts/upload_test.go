package receipts_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
)

// fakeS3 is gofakes3 (an S3-compatible server, in memory) on a loopback
// port that can be taken down and brought back on the same address. It
// records the headers of every PUT it is sent. gofakes3 v1.2.0 refuses a
// PUT with If-None-Match: * on an existing key (412) and keeps the
// x-amz-server-side-encryption headers as the object's metadata, returning
// them on HEAD and GET; the tests check both through the SDK.
type fakeS3 struct {
	t       testing.TB
	backend *s3mem.Backend
	addr    string
	srv     *httptest.Server
	mu      sync.Mutex
	puts    []http.Header
}

const bucket = "till-receipts"

func newFakeS3(t testing.TB) *fakeS3 {
	t.Helper()
	fs := &fakeS3{t: t, backend: s3mem.New()}
	if err := fs.backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	fs.up()
	t.Cleanup(fs.down)
	return fs
}

func (fs *fakeS3) up() {
	fs.t.Helper()
	addr := fs.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fs.t.Fatalf("bring the S3 server up on %s: %v", addr, err)
	}
	fs.addr = ln.Addr().String()
	s3h := gofakes3.New(fs.backend).Server()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			fs.mu.Lock()
			fs.puts = append(fs.puts, r.Header.Clone())
			fs.mu.Unlock()
		}
		s3h.ServeHTTP(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	fs.srv = srv
}

// down stops the server: connections are refused, as when S3 or the
// network is out.
func (fs *fakeS3) down() {
	if fs.srv != nil {
		fs.srv.Close()
		fs.srv = nil
	}
}

func (fs *fakeS3) endpoint() string { return "http://" + fs.addr }

func (fs *fakeS3) lastPut() http.Header {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.puts) == 0 {
		return nil
	}
	return fs.puts[len(fs.puts)-1]
}

// staticCredentials keep the SDK from looking for real ones.
func staticCredentials() []func(*config.LoadOptions) error {
	return []func(*config.LoadOptions) error{
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")),
		config.WithRegion("eu-central-1"),
	}
}

func (f *fixture) worker(t testing.TB, fs *fakeS3, kms string) (*receipts.Worker, *receipts.S3) {
	t.Helper()
	up, err := receipts.NewS3(context.Background(), receipts.S3Config{Bucket: bucket, Prefix: "receipts/",
		KMSKeyID: kms, Endpoint: fs.endpoint(), Timeout: 5 * time.Second}, staticCredentials()...)
	if err != nil {
		t.Fatal(err)
	}
	return &receipts.Worker{Outbox: f.db, Receipts: f.svc, Archive: up, TillID: "till-3"}, up
}

func (f *fixture) pending(t testing.TB) int {
	return f.count(t, `SELECT COUNT(*) FROM receipt_outbox WHERE status = 'pending'`)
}

func head(t testing.TB, fs *fakeS3, key string) (*s3.HeadObjectOutput, []byte) {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), staticCredentials()...)
	if err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(fs.endpoint()), true
	})
	h, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("head %s: %v", key, err)
	}
	obj, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	body, err := io.ReadAll(obj.Body)
	if err != nil {
		t.Fatal(err)
	}
	return h, body
}

func TestUploadKeyTypeAndEncryption(t *testing.T) {
	cases := []struct {
		name, kms, wantSSE string
	}{
		{"SSE-S3", "", "AES256"},
		{"SSE-KMS", "alias/till-receipts", "aws:kms"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, pos.EUR(), false)
			fs := newFakeS3(t)
			w, _ := f.worker(t, fs, c.kms)
			ctx := context.Background()
			sale := f.cashSale(t, f.basket(t, true, line{name: "Rye bread", qty: 1}), 500)
			rep, err := w.Once(ctx)
			if err != nil || rep.Uploaded != 1 || rep.Failed != 0 {
				t.Fatalf("got %+v, %v; want 1 uploaded", rep, err)
			}
			key := "receipts/berlin-1/2026/03/01/" + sale.Key + ".pdf"
			var objectKey string
			if err := f.d.Admin.QueryRow(`SELECT object_key FROM receipt_outbox WHERE status = 'uploaded'
				AND uploaded_at IS NOT NULL AND transaction_id = ?`, sale.ID).Scan(&objectKey); err != nil {
				t.Fatalf("outbox row not marked uploaded: %v", err)
			}
			if objectKey != key {
				t.Errorf("object key: got %s, want %s", objectKey, key)
			}
			h, body := head(t, fs, key)
			if got := aws.ToString(h.ContentType); got != "application/pdf" {
				t.Errorf("content type: got %q, want application/pdf", got)
			}
			if got := string(h.ServerSideEncryption); got != c.wantSSE {
				t.Errorf("encryption: got %q, want %q", got, c.wantSSE)
			}
			if c.kms != "" {
				if got := aws.ToString(h.SSEKMSKeyId); got != c.kms {
					t.Errorf("KMS key: got %q, want %q", got, c.kms)
				}
			}
			if got := fs.lastPut().Get("If-None-Match"); got != "*" {
				t.Errorf("PUT If-None-Match: got %q, want *", got)
			}
			want, err := receipts.Render(f.svc.Receipt(ctx, sale, false))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, want) {
				t.Error("the uploaded receipt is not the printed one")
			}
		})
	}
}

// TestS3DownThenBack: with S3 unreachable sales still complete and the
// outbox grows; the worker backs off; when S3 is back a drain empties it.
func TestS3DownThenBack(t *testing.T) {
	f := newFixture(t, pos.EUR(), false)
	fs := newFakeS3(t)
	w, _ := f.worker(t, fs, "")
	w.Every = 10 * time.Millisecond
	fs.down()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	const sales = 5
	for i := range sales {
		s := f.basket(t, i%2 == 0, line{name: "Sparkling water 1 l", qty: int64(i + 1)})
		if done := f.cashSale(t, s, 5000); done.Status != pos.SaleCompleted {
			t.Fatalf("sale %d: got %s, want completed while S3 is down", i, done.Status)
		}
	}
	// Let the background worker try them all at least once.
	deadline := time.Now().Add(20 * time.Second)
	for f.count(t, `SELECT COUNT(*) FROM receipt_outbox WHERE attempts = 0`) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if got := f.pending(t); got != sales {
		t.Fatalf("outbox: got %d pending, want %d", got, sales)
	}
	var failed, future int
	if err := f.d.Admin.QueryRow(`SELECT COUNT(CASE WHEN attempts >= 1 AND last_error <> '' THEN 1 END),
			COUNT(CASE WHEN next_attempt_at > ? THEN 1 END) FROM receipt_outbox`, saleTime).Scan(&failed, &future); err != nil {
		t.Fatal(err)
	}
	if failed != sales || future != sales {
		t.Errorf("got %d rows with an error and %d backing off, want %d and %d", failed, future, sales, sales)
	}
	// Backing off: a pass now finds nothing due.
	if rep, err := w.Once(context.Background()); err != nil || rep.Uploaded+rep.Existing+rep.Failed != 0 {
		t.Errorf("pass while backing off: got %+v, %v; want nothing done", rep, err)
	}

	fs.up()
	// A restarted till's worker picks up where the last one stopped.
	w2, _ := f.worker(t, fs, "")
	rep, err := w2.Drain(context.Background())
	if err != nil || rep.Uploaded != sales || rep.Left != 0 {
		t.Fatalf("drain: got %+v, %v; want %d uploaded, 0 left", rep, err, sales)
	}
	if got := f.pending(t); got != 0 {
		t.Errorf("outbox after the drain: got %d pending, want 0", got)
	}
}

// TestExistingObjectIsNeverOverwritten: an object already at the key (a
// receipt uploaded before a crash, or by another worker) stays as it was,
// and the outbox row is marked uploaded.
func TestExistingObjectIsNeverOverwritten(t *testing.T) {
	f := newFixture(t, pos.EUR(), false)
	fs := newFakeS3(t)
	w, up := f.worker(t, fs, "")
	ctx := context.Background()
	sale := f.cashSale(t, f.basket(t, false, line{name: "Rye bread", qty: 1}), 500)
	key := "receipts/berlin-1/2026/03/01/" + sale.Key + ".pdf"
	first := []byte("%PDF-1.4 the first upload")
	existed, err := up.Put(ctx, key, first, nil)
	if err != nil || existed {
		t.Fatalf("first put: got existed %v, %v; want a new object", existed, err)
	}
	existed, err = up.Put(ctx, key, []byte("%PDF-1.4 something else"), nil)
	if err != nil || !existed {
		t.Fatalf("second put: got existed %v, %v; want a 412 reported as existing", existed, err)
	}
	rep, err := w.Once(ctx)
	if err != nil || rep.Existing != 1 || rep.Uploaded != 0 {
		t.Fatalf("worker: got %+v, %v; want the one receipt found existing", rep, err)
	}
	if got := f.pending(t); got != 0 {
		t.Errorf("outbox: got %d pending, want 0", got)
	}
	if _, body := head(t, fs, key); !bytes.Equal(body, first) {
		t.Errorf("object: got %q, want the first upload kept", body)
	}
}

// TestDrainReportsWhatIsLeft: a drain with S3 down leaves the receipts
// pending and says so.
func TestDrainReportsWhatIsLeft(t *testing.T) {
	f := newFixture(t, pos.EUR(), false)
	fs := newFakeS3(t)
	w, _ := f.worker(t, fs, "")
	f.cashSale(t, f.basket(t, false, line{name: "Rye bread", qty: 1}), 500)
	fs.down()
	rep, err := w.Drain(context.Background())
	if err != nil || rep.Failed != 1 || rep.Left != 1 || len(rep.Errors) != 1 {
		t.Fatalf("got %+v, %v; want 1 failed and 1 left", rep, err)
	}
	if msg := rep.Errors[0].Error(); !strings.Contains(msg, "upload to s3://till-receipts/") {
		t.Errorf("error: got %q, want it to name the upload", msg)
	}
}

func TestBackoff(t *testing.T) {
	var b receipts.Backoff
	cases := []struct {
		attempts int
		want     time.Duration
	}{
		{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {7, 32 * time.Minute},
		{8, time.Hour}, {50, time.Hour}, {1 << 30, time.Hour},
	}
	for _, c := range cases {
		if got := b.Wait(c.attempts); got != c.want {
			t.Errorf("after %d attempts: got %s, want %s", c.attempts, got, c.want)
		}
	}
}
