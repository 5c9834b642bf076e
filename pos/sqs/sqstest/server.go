// Package sqstest is an SQS FIFO queue for tests: an HTTP server that
// speaks the AWS JSON 1.0 protocol aws-sdk-go-v2 uses (POST /,
// X-Amz-Target: AmazonSQS.<Operation>, Content-Type
// application/x-amz-json-1.0) for the calls the till makes
// (SendMessageBatch, SendMessage), with the FIFO rules that matter to the
// till: a message group id is required, and a deduplication id seen in the
// last five minutes is accepted again but not delivered again. A test can
// fail chosen entries, as SQS does with a partial batch failure.
//
// No maintained emulator reachable here does both JSON protocol and FIFO
// deduplication (goaws v0.5.4 answers batches with the wrong keys and has
// no deduplication), hence this one.
package sqstest

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// DedupWindow is SQS's FIFO deduplication interval.
const DedupWindow = 5 * time.Minute

// Limits of a real queue.
const (
	MaxEntries      = 10
	MaxMessageBytes = 1 << 20 // a message, and a whole batch (1 MiB since August 2025)
)

// Message is one message the queue delivers.
type Message struct {
	MessageID      string
	GroupID        string
	DedupID        string
	Body           string
	SequenceNumber string
	SentAt         time.Time
}

// Entry is one entry of a SendMessageBatch request as the server received
// it.
type Entry struct {
	ID                     string `json:"Id"`
	MessageBody            string `json:"MessageBody"`
	MessageGroupID         string `json:"MessageGroupId"`
	MessageDeduplicationID string `json:"MessageDeduplicationId"`
	DelaySeconds           *int   `json:"DelaySeconds"`
}

// EntryFailure is how an injected fault fails an entry.
type EntryFailure struct {
	Code        string
	SenderFault bool
	Message     string
}

// Server is one FIFO queue.
type Server struct {
	URL      string // the endpoint the SDK is given (BaseEndpoint)
	QueueURL string

	srv *httptest.Server
	// ContentBasedDedup makes the body's SHA-256 the deduplication id when
	// an entry has none (the queue attribute); off by default, as the till
	// always sends one.
	ContentBasedDedup bool

	mu        sync.Mutex
	now       func() time.Time
	seq       int64
	delivered []Message
	dedup     map[string]Message // by deduplication id, while in the window
	fault     func(Entry) *EntryFailure
	requests  int
	entries   int
}

// New starts a queue named name (it must end in .fifo) and stops it at
// cleanup.
func New(tb interface {
	Helper()
	Cleanup(func())
}, name string) *Server {
	tb.Helper()
	s := &Server{now: time.Now, dedup: map[string]Message{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	s.QueueURL = s.srv.URL + "/000000000000/" + name
	return s
}

// SetClock replaces the server's clock (for the deduplication window).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// FailEntries makes the server fail each entry for which fn returns a
// failure (nil fn: none fail). The rest of the batch succeeds.
func (s *Server) FailEntries(fn func(Entry) *EntryFailure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = fn
}

// Messages returns the delivered messages in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.delivered...)
}

// Requests counts the requests and batch entries received.
func (s *Server) Requests() (requests, entries int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.entries
}

type apiError struct {
	status int
	code   string // e.g. QueueDoesNotExist
	query  string // the x-amzn-query-error code, e.g. AWS.SimpleQueueService.NonExistentQueue
	msg    string
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	out, aerr := s.handle(r)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-RequestId", uuid.NewString())
	if aerr != nil {
		fault := "Sender"
		if aerr.status >= 500 {
			fault = "Receiver"
		}
		w.Header().Set("x-amzn-query-error", cmpOr(aerr.query, aerr.code)+";"+fault)
		w.WriteHeader(aerr.status)
		json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + aerr.code, "message": aerr.msg})
		return
	}
	json.NewEncoder(w).Encode(out)
}

func (s *Server) handle(r *http.Request) (any, *apiError) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		return nil, &apiError{status: 400, code: "InvalidAction", msg: "POST / only"}
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-amz-json-1.0") {
		return nil, &apiError{status: 400, code: "InvalidParameterValue", msg: "content type " + ct}
	}
	if r.Header.Get("Authorization") == "" {
		return nil, &apiError{status: 400, code: "MissingAuthenticationToken", msg: "unsigned request"}
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	if !ok {
		return nil, &apiError{status: 400, code: "InvalidAction", msg: "no AmazonSQS target"}
	}
	var req struct {
		QueueURL string  `json:"QueueUrl"`
		Entries  []Entry `json:"Entries"`
		Entry
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return nil, &apiError{status: 400, code: "InvalidParameterValue", msg: err.Error()}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if req.QueueURL != s.QueueURL {
		return nil, &apiError{status: 400, code: "QueueDoesNotExist", query: "AWS.SimpleQueueService.NonExistentQueue",
			msg: "The specified queue does not exist."}
	}
	switch op {
	case "SendMessageBatch":
		return s.sendBatch(req.Entries)
	case "SendMessage":
		s.entries++
		m, f := s.send(req.Entry)
		if f != nil {
			return nil, &apiError{status: 400, code: f.Code, msg: f.Message}
		}
		return map[string]string{"MessageId": m.MessageID, "MD5OfMessageBody": md5Hex(req.MessageBody),
			"SequenceNumber": m.SequenceNumber}, nil
	}
	return nil, &apiError{status: 400, code: "UnsupportedOperation", msg: op + " is not supported by sqstest"}
}

var batchID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

type success struct {
	ID             string `json:"Id"`
	MessageID      string `json:"MessageId"`
	MD5            string `json:"MD5OfMessageBody"`
	SequenceNumber string `json:"SequenceNumber"`
}

type failed struct {
	ID          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message"`
}

func (s *Server) sendBatch(entries []Entry) (any, *apiError) {
	switch {
	case len(entries) == 0:
		return nil, &apiError{status: 400, code: "EmptyBatchRequest", query: "AWS.SimpleQueueService.EmptyBatchRequest",
			msg: "There should be at least one SendMessageBatchRequestEntry in the request."}
	case len(entries) > MaxEntries:
		return nil, &apiError{status: 400, code: "TooManyEntriesInBatchRequest",
			query: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", msg: "Maximum number of entries per request are 10."}
	}
	ids, size := map[string]bool{}, 0
	for _, e := range entries {
		if !batchID.MatchString(e.ID) {
			return nil, &apiError{status: 400, code: "InvalidBatchEntryId",
				query: "AWS.SimpleQueueService.InvalidBatchEntryId", msg: "bad batch entry id " + e.ID}
		}
		if ids[e.ID] {
			return nil, &apiError{status: 400, code: "BatchEntryIdsNotDistinct",
				query: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", msg: "Id " + e.ID + " repeated."}
		}
		ids[e.ID] = true
		size += len(e.MessageBody)
	}
	if size > MaxMessageBytes {
		return nil, &apiError{status: 400, code: "BatchRequestTooLong",
			query: "AWS.SimpleQueueService.BatchRequestTooLong", msg: "Batch requests cannot be longer than 1048576 bytes."}
	}
	out := struct {
		Successful []success `json:"Successful"`
		Failed     []failed  `json:"Failed"`
	}{Successful: []success{}, Failed: []failed{}}
	for _, e := range entries {
		s.entries++
		if s.fault != nil {
			if f := s.fault(e); f != nil {
				out.Failed = append(out.Failed, failed{ID: e.ID, SenderFault: f.SenderFault, Code: f.Code, Message: f.Message})
				continue
			}
		}
		m, f := s.send(e)
		if f != nil {
			out.Failed = append(out.Failed, failed{ID: e.ID, SenderFault: f.SenderFault, Code: f.Code, Message: f.Message})
			continue
		}
		out.Successful = append(out.Successful, success{ID: e.ID, MessageID: m.MessageID,
			MD5: md5Hex(e.MessageBody), SequenceNumber: m.SequenceNumber})
	}
	return out, nil
}

// send applies the FIFO rules to one message; s.mu is held.
func (s *Server) send(e Entry) (Message, *EntryFailure) {
	switch {
	case e.MessageBody == "":
		return Message{}, &EntryFailure{Code: "MissingParameter", SenderFault: true, Message: "The request must contain the parameter MessageBody."}
	case len(e.MessageBody) > MaxMessageBytes:
		return Message{}, &EntryFailure{Code: "InvalidParameterValue", SenderFault: true, Message: "message too long"}
	case !validBody(e.MessageBody):
		return Message{}, &EntryFailure{Code: "InvalidMessageContents", SenderFault: true, Message: "Invalid characters found."}
	case e.MessageGroupID == "":
		return Message{}, &EntryFailure{Code: "MissingParameter", SenderFault: true,
			Message: "The request must contain the parameter MessageGroupId."}
	case e.DelaySeconds != nil && *e.DelaySeconds != 0:
		return Message{}, &EntryFailure{Code: "InvalidParameterValue", SenderFault: true,
			Message: "Value for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type."}
	}
	dedupID := e.MessageDeduplicationID
	if dedupID == "" {
		if !s.ContentBasedDedup {
			return Message{}, &EntryFailure{Code: "InvalidParameterValue", SenderFault: true,
				Message: "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"}
		}
		dedupID = sha256Hex(e.MessageBody)
	}
	now := s.now()
	if m, ok := s.dedup[dedupID]; ok && now.Sub(m.SentAt) < DedupWindow {
		return m, nil // accepted, not delivered again
	}
	s.seq++
	m := Message{MessageID: uuid.NewString(), GroupID: e.MessageGroupID, DedupID: dedupID,
		Body: e.MessageBody, SequenceNumber: fmt.Sprintf("%020d", s.seq), SentAt: now}
	s.dedup[dedupID] = m
	s.delivered = append(s.delivered, m)
	return m, nil
}

// validBody: SQS accepts #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to
// #xFFFD | #x10000 to #x10FFFF.
func validBody(b string) bool {
	if !utf8.ValidString(b) {
		return false
	}
	for _, r := range b {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
