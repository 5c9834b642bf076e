package sqstest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/till-pos/till/pos/sqs/sqstest"
)

func client(endpoint string) *awssqs.Client {
	return awssqs.New(awssqs.Options{Region: "eu-west-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:  &http.Client{Timeout: 5 * time.Second}})
}

func entry(id, group, dedup, body string) types.SendMessageBatchRequestEntry {
	e := types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(body)}
	if group != "" {
		e.MessageGroupId = aws.String(group)
	}
	if dedup != "" {
		e.MessageDeduplicationId = aws.String(dedup)
	}
	return e
}

// TestFIFORules drives the server with the real SDK (which also checks the
// MD5 of every body the server says it took).
func TestFIFORules(t *testing.T) {
	q := sqstest.New(t, "q.fifo")
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	q.SetClock(func() time.Time { return now })
	c := client(q.URL)
	ctx := context.Background()
	send := func(entries ...types.SendMessageBatchRequestEntry) *awssqs.SendMessageBatchOutput {
		t.Helper()
		out, err := c.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: aws.String(q.QueueURL), Entries: entries})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := send(entry("a", "s1", "d1", `{"n":1}`), entry("b", "", "d2", `{"n":2}`), entry("c", "s1", "", `{"n":3}`),
		entry("d", "s1", "d4", "bad \x01 char"))
	if len(out.Successful) != 1 || len(out.Failed) != 3 {
		t.Fatalf("got %d ok, %d failed; want 1, 3", len(out.Successful), len(out.Failed))
	}
	for _, f := range out.Failed {
		if !f.SenderFault {
			t.Errorf("%s: %s is not a sender fault", aws.ToString(f.Id), aws.ToString(f.Code))
		}
	}
	// Within the window a repeat is accepted and not delivered again.
	now = now.Add(4 * time.Minute)
	if out := send(entry("a", "s1", "d1", `{"n":1}`)); len(out.Successful) != 1 {
		t.Fatalf("repeat: got %+v", out)
	}
	if got := len(q.Messages()); got != 1 {
		t.Errorf("delivered after a repeat in the window: %d, want 1", got)
	}
	// After it, SQS delivers it again.
	now = now.Add(2 * time.Minute)
	send(entry("a", "s1", "d1", `{"n":1}`))
	if got := len(q.Messages()); got != 2 {
		t.Errorf("delivered after a repeat past the window: %d, want 2", got)
	}
	q.FailEntries(func(e sqstest.Entry) *sqstest.EntryFailure {
		return &sqstest.EntryFailure{Code: "InternalError", Message: "injected"}
	})
	if out := send(entry("x", "s1", "d9", "{}")); len(out.Failed) != 1 || out.Failed[0].SenderFault {
		t.Errorf("injected failure: got %+v", out.Failed)
	}
	q.FailEntries(nil)
	_, err := c.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: aws.String(q.QueueURL),
		Entries: []types.SendMessageBatchRequestEntry{entry("x", "s1", "d1", "{}"), entry("x", "s1", "d2", "{}")}})
	if err == nil || !strings.Contains(err.Error(), "BatchEntryIdsNotDistinct") {
		t.Errorf("repeated ids: got %v, want BatchEntryIdsNotDistinct", err)
	}
}
