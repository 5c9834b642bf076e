package receipts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/till-pos/till/pos"
)

// S3Config says where receipts are archived. cmd/till fills it from
// POS_S3_BUCKET, POS_S3_PREFIX, POS_S3_KMS_KEY, POS_S3_ENDPOINT and
// POS_S3_REGION; credentials come from the AWS default chain.
type S3Config struct {
	Bucket string
	Prefix string
	// KMSKeyID selects SSE-KMS with this key; empty is SSE-S3 (AES256).
	KMSKeyID string
	// Endpoint points the client at an S3-compatible server (path-style).
	Endpoint string
	Region   string
	// Timeout bounds one upload; 0 is 60 seconds.
	Timeout time.Duration
}

// S3 uploads receipts to a bucket, never overwriting an object.
type S3 struct {
	client  *s3.Client
	cfg     S3Config
	timeout time.Duration
}

// NewS3 makes the uploader. Extra load options (tests: static credentials)
// are applied after the defaults.
func NewS3(ctx context.Context, cfg S3Config, opts ...func(*config.LoadOptions) error) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, pos.Errorf(pos.EInvalid, "no S3 bucket is set for receipts (POS_S3_BUCKET)")
	}
	load := []func(*config.LoadOptions) error{
		// The worker has its own backoff; one quick retry is enough here.
		config.WithRetryMaxAttempts(2),
	}
	if cfg.Region != "" {
		load = append(load, config.WithRegion(cfg.Region))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, append(load, opts...)...)
	if err != nil {
		return nil, pos.WrapError(pos.EInvalid, err, "the AWS configuration for receipts is not valid")
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			o.UsePathStyle = true
		}
	})
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	return &S3{client: client, cfg: cfg, timeout: timeout}, nil
}

// ObjectKey is where a sale's receipt is archived:
// <prefix>/<store>/<YYYY/MM/DD>/<sale key>.pdf, the date being the day the
// sale completed in the store's time zone.
func ObjectKey(prefix string, sale pos.Sale, loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	when := sale.CompletedAt
	if when.IsZero() {
		when = sale.CreatedAt
	}
	parts := []string{sale.StoreID, when.In(loc).Format("2006/01/02"), sale.Key + ".pdf"}
	if p := strings.Trim(prefix, "/"); p != "" {
		parts = append([]string{p}, parts...)
	}
	return path.Join(parts...)
}

// ReturnObjectKey is where a return's refund receipt is archived, apart
// from the sales' under the same store:
// <prefix>/<store>/returns/<YYYY/MM/DD>/<return key>.pdf, the date being
// the day the return completed in the store's time zone. (A sale's date
// path begins with a digit, so no sale's receipt can land there.)
func ReturnObjectKey(prefix string, ret pos.Return, loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	when := ret.CompletedAt
	if when.IsZero() {
		when = ret.CreatedAt
	}
	parts := []string{ret.StoreID, "returns", when.In(loc).Format("2006/01/02"), ret.Key + ".pdf"}
	if p := strings.Trim(prefix, "/"); p != "" {
		parts = append([]string{p}, parts...)
	}
	return path.Join(parts...)
}

// ReportObjectKey is where a Z report is archived:
// <prefix>/<store>/reports/<till>/z-<Z number>.pdf. The Z number is
// unique per till, so the key is the Z's for good; "reports" begins with
// no digit and is not "returns", so no receipt lands there.
func ReportObjectKey(prefix, storeID, tillID string, zNumber int64) string {
	parts := []string{storeID, "reports", tillID, fmt.Sprintf("z-%d.pdf", zNumber)}
	if p := strings.Trim(prefix, "/"); p != "" {
		parts = append([]string{p}, parts...)
	}
	return path.Join(parts...)
}

// ReportKey is ReportObjectKey of a Z under this bucket's prefix.
func (u *S3) ReportKey(r pos.Report) string {
	return ReportObjectKey(u.cfg.Prefix, r.Session.StoreID, r.Session.TillID, r.ZNumber)
}

// Key is ObjectKey under this bucket's prefix.
func (u *S3) Key(sale pos.Sale, loc *time.Location) string { return ObjectKey(u.cfg.Prefix, sale, loc) }

// ReturnKey is ReturnObjectKey under this bucket's prefix.
func (u *S3) ReturnKey(ret pos.Return, loc *time.Location) string {
	return ReturnObjectKey(u.cfg.Prefix, ret, loc)
}

// Put uploads a PDF under key unless an object is already there. It
// reports existed when it was (a 412 to the conditional write): the receipt
// is archived either way and the object is left as it was.
func (u *S3) Put(ctx context.Context, key string, pdf []byte, meta map[string]string) (existed bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, u.timeout)
	defer cancel()
	in := &s3.PutObjectInput{
		Bucket:        aws.String(u.cfg.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(pdf),
		ContentLength: aws.Int64(int64(len(pdf))),
		ContentType:   aws.String("application/pdf"),
		IfNoneMatch:   aws.String("*"),
		Metadata:      meta,
	}
	if u.cfg.KMSKeyID != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(u.cfg.KMSKeyID)
	} else {
		in.ServerSideEncryption = types.ServerSideEncryptionAes256
	}
	_, err = u.client.PutObject(ctx, in)
	switch {
	case err == nil:
		return false, nil
	case status(err) == http.StatusPreconditionFailed:
		return true, nil
	}
	return false, pos.WrapError(pos.EUnavailable, err, "upload to s3://%s/%s failed", u.cfg.Bucket, key)
}

func status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailed" {
		return http.StatusPreconditionFailed
	}
	return 0
}
