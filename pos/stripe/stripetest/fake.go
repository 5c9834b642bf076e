package stripetest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// FakeKey and FakeReader are what a gateway pointed at a Fake uses.
const (
	FakeKey    = "sk_test_fake"
	FakeReader = "tmr_fake"
)

// ReaderAnswer is how the reader answers a payment handed to it.
type ReaderAnswer int

const (
	ReaderAccepts ReaderAnswer = iota // starts the payment and waits for a card
	ReaderBusy                        // terminal_reader_busy
	ReaderOffline                     // terminal_reader_offline
	ReaderTimeout                     // terminal_reader_timeout, nothing started
)

// Card is what the customer presents.
type Card int

const (
	NoCard   Card = iota // nothing, until the test presents one
	Approved             // a card the bank approves
	Declined             // a card declined for insufficient funds
	// Interac is a Canadian Interac debit card the bank approves. Its
	// payments (interac_present) can only be refunded in person, with the
	// card on a reader: the Refund API refuses them.
	Interac
)

// Script is what happens to the next payment handed to the reader.
type Script struct {
	Reader ReaderAnswer
	Card   Card
	// CardAfterPolls is how many times the till reads the reader before
	// the customer presents Card.
	CardAfterPolls int
	// DownAfterCard makes every request go unanswered once the card has
	// been presented, until Up: the till's answer is lost.
	DownAfterCard bool
}

// RefundFault is how a refund request fails on its way.
type RefundFault int

const (
	RefundAnswered   RefundFault = iota // no fault: Stripe answers
	RefundAnswerLost                    // the refund is made, then the connection drops before the answer
	RefundNotReached                    // the connection drops before Stripe applies it: nothing is refunded
	// RefundServerError: Stripe answers 500 without making it, and
	// replays that answer to the same idempotency key, as Stripe does
	// for a request that began executing (until ForgetIdempotencyKeys).
	RefundServerError
)

// RefundScript is what happens to the next refund request Stripe
// processes (a replay of an idempotency key is answered from the cache and
// takes no script). Without one the refund succeeds.
type RefundScript struct {
	// Status is the new refund's status: "" (succeeded), "succeeded",
	// "pending", "requires_action", "failed" or "canceled".
	Status string
	// FailureReason is a failed refund's failure_reason (default
	// "expired_or_canceled_card").
	FailureReason string
	Fault         RefundFault
}

// Refund is a refund the fake made, for tests to inspect.
type Refund struct {
	ID, PaymentIntent, Status string
	Amount                    int64
	Metadata                  map[string]string
}

// Counts is what happened at the fake Stripe.
type Counts struct {
	Creates   int // PaymentIntents created (idempotent replays not counted)
	Replays   int // requests answered from the idempotency cache
	Processes int // payments the reader started
	Charges   int // PaymentIntents that took money
	Captures  int
	Cancels   int // PaymentIntents cancelled
	Refunds   int // refunds made, whatever their status (idempotent replays not counted)
	Dropped   int // requests that got no answer
}

// Request is one request the fake received, for tests to inspect.
type Request struct {
	Method, Path string
	Form         url.Values
}

// Fake is a scripted, stateful Stripe API for one Terminal reader. It
// honours idempotency keys as Stripe does: a repeated key with the same
// request is answered with the first answer.
type Fake struct {
	URL string

	srv           *httptest.Server
	mu            sync.Mutex
	scripts       []Script
	refundScripts []RefundScript
	refunds       []*fakeRefund
	cur           Script
	polls         int
	intents       map[string]*fakeIntent
	order         []string
	idem          map[string]idemAnswer
	action        *fakeAction
	down          bool
	drop          map[string]int
	counts        Counts
	requests      []Request
	seq           int
	// keep5xx caches the 5xx answer being sent under its idempotency key.
	keep5xx bool
	// SearchMisses makes search find nothing, as when Stripe has not
	// indexed a new PaymentIntent yet (list still finds it).
	searchMisses bool
}

type fakeIntent struct {
	id, currency, capture string
	amount                int64
	created               int64
	metadata              map[string]string
	status                string
	lastErr               map[string]any
	charge                map[string]any
	cancelReason          string
}

type fakeRefund struct {
	id, pi, status, failureReason string
	amount, created               int64
	metadata                      map[string]string
}

// refunded is what a PaymentIntent has given back or is giving back:
// failed and cancelled refunds returned nothing.
func (f *Fake) refunded(pi *fakeIntent) int64 {
	var sum int64
	for _, r := range f.refunds {
		if r.pi == pi.id && r.status != "failed" && r.status != "canceled" {
			sum += r.amount
		}
	}
	return sum
}

type fakeAction struct {
	pi, status, failureCode string
}

type idemAnswer struct {
	sig    string
	status int
	body   []byte
}

// NewFake starts a fake Stripe on loopback, closed at the end of the test.
func NewFake(tb testing.TB) *Fake {
	tb.Helper()
	f := &Fake{intents: map[string]*fakeIntent{}, idem: map[string]idemAnswer{}, drop: map[string]int{}}
	f.srv = httptest.NewServer(f)
	f.URL = f.srv.URL
	tb.Cleanup(f.srv.Close)
	return f
}

// Next queues the script of a coming payment (first queued, first used);
// without one the reader accepts and the customer presents no card.
func (f *Fake) Next(s Script) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts = append(f.scripts, s)
}

// NextRefund queues the script of a coming refund (first queued, first used).
func (f *Fake) NextRefund(s RefundScript) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refundScripts = append(f.refundScripts, s)
}

// NewPayment makes a PaymentIntent the customer has paid with card c
// (Approved or Interac), as if a till had taken it on the reader, and
// returns its id.
func (f *Fake) NewPayment(amount int64, currency string, c Card) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	pi := &fakeIntent{id: f.nextID("pi"), amount: amount, currency: currency, capture: "automatic",
		created: time.Now().Unix(), metadata: map[string]string{}, status: "succeeded"}
	pi.charge = f.chargeJSON(pi, c)
	f.intents[pi.id] = pi
	f.order = append(f.order, pi.id)
	f.counts.Charges++
	return pi.id
}

// ForgetIdempotencyKeys empties the idempotency cache, as Stripe does
// after 24 hours: a repeated request is processed again.
func (f *Fake) ForgetIdempotencyKeys() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.idem)
}

// SettleRefund changes a refund's status later, as the card's bank
// answers (e.g. a pending refund that fails: "failed",
// "expired_or_canceled_card").
func (f *Fake) SettleRefund(id, status, failureReason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.refunds {
		if r.id == id {
			r.status, r.failureReason = status, failureReason
			return nil
		}
	}
	return fmt.Errorf("no refund %s", id)
}

// Refunds returns every refund made so far, oldest first.
func (f *Fake) Refunds() []Refund {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Refund, len(f.refunds))
	for i, r := range f.refunds {
		out[i] = Refund{ID: r.id, PaymentIntent: r.pi, Status: r.status, Amount: r.amount, Metadata: r.metadata}
	}
	return out
}

// Present is the customer presenting a card to the payment in progress.
func (f *Fake) Present(c Card) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.present(c)
}

// Up answers requests again after DownAfterCard or Down.
func (f *Fake) Up() { f.setDown(false) }

// Down stops answering requests (they are received and not processed).
func (f *Fake) Down() { f.setDown(true) }

func (f *Fake) setDown(d bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = d
}

// DropAnswers processes the next n requests to method and path (ids
// replaced by {id}, e.g. "POST /v1/payment_intents") but sends no answer.
func (f *Fake) DropAnswers(method, path string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drop[method+" "+path] += n
}

// SearchMisses makes search find nothing from now on.
func (f *Fake) SearchMisses() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.searchMisses = true
}

// Counts returns what has happened so far.
func (f *Fake) Counts() Counts {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts
}

// Requests returns every request received so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// IntentStatuses returns each PaymentIntent's status, by id.
func (f *Fake) IntentStatuses() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for id, pi := range f.intents {
		out[id] = pi.status
	}
	return out
}

var idPart = regexp.MustCompile(`/(pi|tmr|ch|re)_[A-Za-z0-9_]+`)

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	form := r.URL.Query()
	if r.Method == http.MethodPost {
		form, _ = url.ParseQuery(string(raw))
	}
	route := r.Method + " " + idPart.ReplaceAllString(r.URL.Path, "/{id}")

	f.mu.Lock()
	f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, Form: form})
	if f.down {
		f.counts.Dropped++
		f.mu.Unlock()
		hangUp(w)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	sig := route + "?" + r.URL.Path + "?" + string(raw)
	var status int
	var body []byte
	if prev, ok := f.idem[key]; ok && key != "" && r.Method == http.MethodPost {
		f.counts.Replays++
		status, body = prev.status, prev.body
		if prev.sig != sig {
			status, body = errorBody(http.StatusBadRequest, "idempotency_error", "",
				"Keys for idempotent requests can only be used with the same parameters they were first used with.")
		}
	} else {
		status, body = f.handle(r.Method, route, r.URL.Path, form)
		if status == statusHangUp {
			f.counts.Dropped++
			f.mu.Unlock()
			hangUp(w)
			return
		}
		if key != "" && r.Method == http.MethodPost && (status < 500 || f.keep5xx) {
			f.idem[key] = idemAnswer{sig: sig, status: status, body: body}
		}
	}
	f.keep5xx = false
	drop := f.drop[route] > 0
	if drop {
		f.drop[route]--
		f.counts.Dropped++
	}
	f.mu.Unlock()
	if drop {
		hangUp(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_fake")
	w.WriteHeader(status)
	w.Write(body)
}

// statusHangUp is what a handler returns for a request that is dropped
// before Stripe applies it: no answer, nothing cached.
const statusHangUp = -1

// hangUp closes the connection without an answer, as a lost network does.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (f *Fake) handle(method, route, path string, form url.Values) (int, []byte) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	id := func(i int) string {
		if i < len(parts) {
			return parts[i]
		}
		return ""
	}
	switch route {
	case "POST /v1/payment_intents":
		return f.create(form)
	case "GET /v1/payment_intents":
		return f.list(form)
	case "GET /v1/payment_intents/search":
		return f.search(form)
	case "GET /v1/payment_intents/{id}":
		return f.withIntent(id(2), func(pi *fakeIntent) (int, []byte) { return ok(f.intentJSON(pi, form)) })
	case "POST /v1/payment_intents/{id}/cancel":
		return f.withIntent(id(2), func(pi *fakeIntent) (int, []byte) { return f.cancelIntent(pi, form) })
	case "POST /v1/payment_intents/{id}/capture":
		return f.withIntent(id(2), func(pi *fakeIntent) (int, []byte) { return f.capture(pi, form) })
	case "GET /v1/terminal/readers/{id}":
		return f.getReader(id(3))
	case "POST /v1/terminal/readers/{id}/process_payment_intent":
		return f.process(id(3), form)
	case "POST /v1/terminal/readers/{id}/cancel_action":
		return f.cancelAction(id(3))
	case "POST /v1/test_helpers/terminal/readers/{id}/present_payment_method":
		// The fake treats any card number as the declining test card: the
		// gateway sends one only for that.
		card := Approved
		if form.Get("card_present[number]") != "" {
			card = Declined
		}
		if err := f.present(card); err != nil {
			return errorBody(http.StatusBadRequest, "terminal_reader_invalid_state", "", err.Error())
		}
		return ok(f.readerJSON(id(4)))
	case "POST /v1/refunds":
		return f.withIntent(form.Get("payment_intent"), func(pi *fakeIntent) (int, []byte) { return f.refund(pi, form) })
	case "GET /v1/refunds":
		return f.listRefunds(form)
	case "GET /v1/refunds/{id}":
		for _, r := range f.refunds {
			if r.id == id(2) {
				return ok(refundJSON(r))
			}
		}
		return errorBody(http.StatusNotFound, "resource_missing", "id", "No such refund: '"+id(2)+"'")
	}
	return errorBody(http.StatusNotFound, "resource_missing", "", "Unrecognized request URL ("+route+").")
}

func (f *Fake) nextID(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s_fake%04d", prefix, f.seq)
}

func (f *Fake) create(form url.Values) (int, []byte) {
	amount, err := strconv.ParseInt(form.Get("amount"), 10, 64)
	if err != nil || amount <= 0 || form.Get("currency") == "" || form.Get("payment_method_types[0]") != "card_present" {
		return errorBody(http.StatusBadRequest, "parameter_invalid", "", "amount, currency and payment_method_types[]=card_present are required")
	}
	pi := &fakeIntent{id: f.nextID("pi"), amount: amount, currency: form.Get("currency"),
		capture: cmpOr(form.Get("capture_method"), "automatic"), created: time.Now().Unix(),
		metadata: metadataOf(form), status: "requires_payment_method"}
	f.intents[pi.id] = pi
	f.order = append(f.order, pi.id)
	f.counts.Creates++
	return ok(f.intentJSON(pi, form))
}

func (f *Fake) withIntent(id string, fn func(*fakeIntent) (int, []byte)) (int, []byte) {
	pi, found := f.intents[id]
	if !found {
		return errorBody(http.StatusNotFound, "resource_missing", "", "No such payment_intent: '"+id+"'")
	}
	return fn(pi)
}

func (f *Fake) cancelIntent(pi *fakeIntent, form url.Values) (int, []byte) {
	switch pi.status {
	case "requires_payment_method", "requires_capture", "requires_confirmation", "requires_action":
	default:
		return errorBody(http.StatusBadRequest, "payment_intent_unexpected_state", "",
			"You cannot cancel this PaymentIntent because it has a status of "+pi.status+".")
	}
	pi.status, pi.cancelReason = "canceled", cmpOr(form.Get("cancellation_reason"), "requested_by_customer")
	f.counts.Cancels++
	if f.action != nil && f.action.pi == pi.id && f.action.status == "in_progress" {
		f.action.status, f.action.failureCode = "failed", "canceled"
	}
	return ok(f.intentJSON(pi, form))
}

func (f *Fake) capture(pi *fakeIntent, form url.Values) (int, []byte) {
	if pi.status != "requires_capture" {
		return errorBody(http.StatusBadRequest, "payment_intent_unexpected_state", "",
			"This PaymentIntent could not be captured because it has a status of "+pi.status+".")
	}
	pi.status = "succeeded"
	pi.charge["captured"], pi.charge["amount_captured"] = true, pi.amount
	f.counts.Captures++
	f.counts.Charges++
	return ok(f.intentJSON(pi, form))
}

// refund refunds part or all of what a PaymentIntent has left, as Stripe
// does: never more than is left, never an Interac payment (those are
// refunded in person on a reader), and as the next RefundScript says.
func (f *Fake) refund(pi *fakeIntent, form url.Values) (int, []byte) {
	if pi.status != "succeeded" {
		return errorBody(http.StatusBadRequest, "charge_not_captured", "", "This PaymentIntent has no charge to refund.")
	}
	if d, _ := pi.charge["payment_method_details"].(map[string]any); d["type"] == "interac_present" {
		// Stripe documents that the API refuses these, not the exact
		// error; the gateway decides by the charge's type, not by this.
		return errorBody(http.StatusBadRequest, "", "",
			"This charge can only be refunded in person: present the card used for it on a reader.")
	}
	left := pi.amount - f.refunded(pi)
	amount := left
	if a := form.Get("amount"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n <= 0 {
			return errorBody(http.StatusBadRequest, "parameter_invalid_integer", "amount", "Invalid positive integer")
		}
		amount = n
	}
	switch {
	case left <= 0:
		return errorBody(http.StatusBadRequest, "charge_already_refunded", "",
			"Charge "+pi.charge["id"].(string)+" has already been refunded.")
	case amount > left:
		// Seen from Stripe: no code, the parameter and both amounts.
		return errorBody(http.StatusBadRequest, "", "amount", fmt.Sprintf(
			"Refund amount (%s) is greater than unrefunded amount on charge (%s)", money(amount, pi.currency), money(left, pi.currency)))
	}
	var s RefundScript
	if len(f.refundScripts) > 0 {
		s, f.refundScripts = f.refundScripts[0], f.refundScripts[1:]
	}
	switch s.Fault {
	case RefundNotReached:
		return statusHangUp, nil
	case RefundServerError:
		f.keep5xx = true
		return errorBody(http.StatusInternalServerError, "", "", "An unknown error occurred")
	case RefundAnswerLost:
		f.drop["POST /v1/refunds"]++
	}
	r := &fakeRefund{id: f.nextID("re"), pi: pi.id, status: cmpOr(s.Status, "succeeded"), amount: amount,
		created: time.Now().Unix(), metadata: metadataOf(form)}
	if r.status == "failed" {
		r.failureReason = cmpOr(s.FailureReason, "expired_or_canceled_card")
	}
	if r.status == "canceled" {
		r.failureReason = cmpOr(s.FailureReason, "merchant_request")
	}
	f.refunds = append(f.refunds, r)
	f.counts.Refunds++
	return ok(refundJSON(r))
}

func (f *Fake) listRefunds(form url.Values) (int, []byte) {
	data := []any{}
	for _, r := range slices.Backward(f.refunds) {
		if want := form.Get("payment_intent"); want == "" || r.pi == want {
			data = append(data, refundJSON(r))
		}
	}
	return ok(map[string]any{"object": "list", "url": "/v1/refunds", "data": data, "has_more": false})
}

func refundJSON(r *fakeRefund) map[string]any {
	out := map[string]any{"id": r.id, "object": "refund", "amount": r.amount, "payment_intent": r.pi,
		"status": r.status, "metadata": r.metadata, "created": r.created, "reason": "requested_by_customer",
		"failure_reason": nil}
	if r.failureReason != "" {
		out["failure_reason"] = r.failureReason
	}
	return out
}

// money writes minor units as Stripe's messages do, e.g. €7.50.
func money(minor int64, currency string) string {
	sym := map[string]string{"eur": "€", "usd": "$", "gbp": "£"}[currency]
	if sym == "" {
		sym = strings.ToUpper(currency) + " "
	}
	return fmt.Sprintf("%s%d.%02d", sym, minor/100, minor%100)
}

func metadataOf(form url.Values) map[string]string {
	md := map[string]string{}
	for k, v := range form {
		if name, found := strings.CutPrefix(k, "metadata["); found {
			md[strings.TrimSuffix(name, "]")] = v[0]
		}
	}
	return md
}

func (f *Fake) process(reader string, form url.Values) (int, []byte) {
	var s Script
	if len(f.scripts) > 0 {
		s, f.scripts = f.scripts[0], f.scripts[1:]
	}
	switch {
	case s.Reader == ReaderOffline:
		return errorBody(http.StatusBadRequest, "terminal_reader_offline", "", "Reader is currently offline.")
	case s.Reader == ReaderTimeout:
		return errorBody(http.StatusGatewayTimeout, "terminal_reader_timeout", "", "Reader did not respond in time.")
	case s.Reader == ReaderBusy || f.action != nil && f.action.status == "in_progress":
		return errorBody(http.StatusBadRequest, "terminal_reader_busy", "", "Reader is currently busy processing another request.")
	}
	pi, found := f.intents[form.Get("payment_intent")]
	if !found || pi.status != "requires_payment_method" {
		return errorBody(http.StatusBadRequest, "intent_invalid_state", "", "PaymentIntent cannot be processed.")
	}
	pi.lastErr = nil
	f.action = &fakeAction{pi: pi.id, status: "in_progress"}
	f.cur, f.polls = s, 0
	f.counts.Processes++
	return ok(f.readerJSON(reader))
}

func (f *Fake) cancelAction(reader string) (int, []byte) {
	if f.action == nil || f.action.status != "in_progress" {
		return errorBody(http.StatusBadRequest, "terminal_reader_invalid_state", "", "Reader has no action to cancel.")
	}
	f.action.status, f.action.failureCode = "failed", "canceled"
	return ok(f.readerJSON(reader))
}

func (f *Fake) getReader(reader string) (int, []byte) {
	if f.action != nil && f.action.status == "in_progress" && f.cur.Card != NoCard {
		f.polls++
		if f.polls > f.cur.CardAfterPolls {
			f.present(f.cur.Card)
		}
	}
	return ok(f.readerJSON(reader))
}

// present is the customer presenting a card to the action in progress.
func (f *Fake) present(c Card) error {
	if f.action == nil || f.action.status != "in_progress" {
		return fmt.Errorf("the reader is not waiting for a card")
	}
	pi := f.intents[f.action.pi]
	switch c {
	case Approved, Interac:
		pi.charge = f.chargeJSON(pi, c)
		pi.status = "succeeded"
		if pi.capture == "manual" {
			pi.status = "requires_capture"
		} else {
			f.counts.Charges++
		}
		f.action.status = "succeeded"
	case Declined:
		pi.lastErr = map[string]any{"type": "card_error", "code": "card_declined",
			"decline_code": "insufficient_funds", "message": "Your card has insufficient funds."}
		f.action.status, f.action.failureCode = "failed", "card_declined"
	default:
		return nil
	}
	if f.cur.DownAfterCard {
		f.down = true
	}
	return nil
}

// chargeJSON is the charge of a payment made with card c.
func (f *Fake) chargeJSON(pi *fakeIntent, c Card) map[string]any {
	captured := pi.capture != "manual"
	ch := map[string]any{"id": f.nextID("ch"), "object": "charge", "amount": pi.amount,
		"currency": pi.currency, "status": "succeeded", "captured": captured, "amount_captured": 0,
		"payment_intent": pi.id,
		"payment_method_details": map[string]any{"type": "card_present", "card_present": map[string]any{
			"brand": "visa", "last4": "4242", "receipt": map[string]any{"authorization_code": "A1B2C3"}}}}
	if captured {
		ch["amount_captured"] = pi.amount
	}
	if c == Interac {
		ch["payment_method_details"] = map[string]any{"type": "interac_present", "interac_present": map[string]any{
			"brand": "interac", "last4": "0005", "receipt": map[string]any{"authorization_code": "I1N2T3"}}}
	}
	return ch
}

func (f *Fake) search(form url.Values) (int, []byte) {
	m := regexp.MustCompile(`^metadata\['([a-z_]+)'\]:'([^']*)'$`).FindStringSubmatch(form.Get("query"))
	if m == nil {
		return errorBody(http.StatusBadRequest, "parameter_invalid", "query", "The fake searches metadata['key']:'value' only.")
	}
	data := []any{}
	if !f.searchMisses {
		for _, id := range slices.Backward(f.order) {
			if pi := f.intents[id]; pi.metadata[m[1]] == m[2] {
				data = append(data, f.intentJSON(pi, expandData(form)))
			}
		}
	}
	return ok(map[string]any{"object": "search_result", "url": "/v1/payment_intents/search",
		"data": data, "has_more": false, "next_page": nil})
}

func (f *Fake) list(form url.Values) (int, []byte) {
	gte, _ := strconv.ParseInt(cmpOr(form.Get("created[gte]"), "0"), 10, 64)
	lte, _ := strconv.ParseInt(cmpOr(form.Get("created[lte]"), strconv.FormatInt(1<<62, 10)), 10, 64)
	data := []any{}
	for _, id := range slices.Backward(f.order) {
		if pi := f.intents[id]; pi.created >= gte && pi.created <= lte {
			data = append(data, f.intentJSON(pi, expandData(form)))
		}
	}
	return ok(map[string]any{"object": "list", "url": "/v1/payment_intents", "data": data, "has_more": false})
}

// expandData turns expand[]=data.x of a list into expand[]=x of its items.
func expandData(form url.Values) url.Values {
	out := url.Values{}
	for k, vs := range form {
		if strings.HasPrefix(k, "expand") {
			for _, v := range vs {
				out.Add(k, strings.TrimPrefix(v, "data."))
			}
		}
	}
	return out
}

func expands(form url.Values, field string) bool {
	for k, vs := range form {
		if strings.HasPrefix(k, "expand") && slices.Contains(vs, field) {
			return true
		}
	}
	return false
}

func (f *Fake) intentJSON(pi *fakeIntent, form url.Values) map[string]any {
	out := map[string]any{"id": pi.id, "object": "payment_intent", "amount": pi.amount,
		"currency": pi.currency, "capture_method": pi.capture, "status": pi.status,
		"metadata": pi.metadata, "created": pi.created, "payment_method_types": []string{"card_present"},
		"last_payment_error": nil, "latest_charge": nil, "cancellation_reason": nil}
	if pi.lastErr != nil {
		out["last_payment_error"] = pi.lastErr
	}
	if pi.cancelReason != "" {
		out["cancellation_reason"] = pi.cancelReason
	}
	if pi.charge != nil {
		out["latest_charge"] = pi.charge["id"]
		if expands(form, "latest_charge") {
			ch := maps.Clone(pi.charge)
			refunded := f.refunded(pi)
			ch["amount_refunded"], ch["refunded"] = refunded, refunded >= pi.amount
			out["latest_charge"] = ch
		}
	}
	return out
}

func (f *Fake) readerJSON(id string) map[string]any {
	out := map[string]any{"id": id, "object": "terminal.reader", "device_type": "simulated_wisepos_e",
		"status": "online", "action": nil}
	if a := f.action; a != nil {
		act := map[string]any{"type": "process_payment_intent", "status": a.status,
			"process_payment_intent": map[string]any{"payment_intent": a.pi}}
		if a.failureCode != "" {
			act["failure_code"], act["failure_message"] = a.failureCode, "The action failed: "+a.failureCode
		}
		out["action"] = act
	}
	return out
}

func ok(v any) (int, []byte) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return http.StatusOK, b
}

func errorBody(status int, code, param, msg string) (int, []byte) {
	typ := "invalid_request_error"
	if status >= 500 {
		typ = "api_error"
	}
	if code == "idempotency_error" {
		typ = "idempotency_error"
	}
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"type": typ, "code": code, "param": param, "message": msg}})
	return status, b
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
