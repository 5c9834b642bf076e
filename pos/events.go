package pos

import (
	"context"
	_ "embed"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"
)

// Sale events for systems downstream of the till (a rewards system, the
// chain's reporting). An event is written to the outbox in the transaction
// that completes or voids a sale, and a publisher sends it later; the sale
// never waits for it (DESIGN §9).

// EventType names what happened.
type EventType string

const (
	EventSaleCompleted EventType = "sale.completed"
	EventSaleVoided    EventType = "sale.voided"
	// EventReturnCompleted: a return (or the void of a completed sale)
	// completed. See NewReturnEvent for how the document reads then.
	EventReturnCompleted EventType = "return.completed"
)

// EventSchemaVersion is the version of the event document below and of
// EventSchema. A consumer reads the version before anything else.
const EventSchemaVersion = 1

// EventSchema is the JSON Schema of the event document (`till events
// schema` prints it).
//
//go:embed events.schema.json
var eventSchema []byte

// EventSchema returns a copy of the embedded JSON Schema.
func EventSchema() []byte { return append([]byte(nil), eventSchema...) }

// eventNamespace is the UUID namespace of event ids. It never changes:
// consumers deduplicate by the ids it yields.
var eventNamespace = uuid.MustParse("6f1c2a56-43c1-4e59-9a8e-3c55b3b6f0d1")

// EventID is the id of the event of type t about the sale or return whose
// key this is: a name-based UUID (version 5), the same on every retry, so
// SQS's deduplication and a consumer's can rely on it.
func EventID(key string, t EventType) string {
	return uuid.NewSHA1(eventNamespace, []byte(string(t)+" "+key)).String()
}

// Event is the document sent for each event, as the schema describes it.
// Amounts are integers in the currency's minor units (cents).
type Event struct {
	SchemaVersion int            `json:"schema_version"`
	ID            string         `json:"event_id"`
	Type          EventType      `json:"event_type"`
	OccurredAt    time.Time      `json:"occurred_at"`
	SaleKey       string         `json:"sale_key"`
	SaleNumber    int64          `json:"sale_number"`
	StoreID       string         `json:"store_id"`
	TillID        string         `json:"till_id"`
	CashierID     int64          `json:"cashier_id"`
	Currency      string         `json:"currency"`
	Customer      *EventCustomer `json:"customer"` // null: no loyalty customer
	Lines         []EventLine    `json:"lines"`
	Tenders       []EventTender  `json:"tenders"`
	Totals        EventTotals    `json:"totals"`
	Points        int64          `json:"points"` // loyalty points this sale earned
	// ReturnOf is the sale a return.completed returns (nil: no receipt).
	ReturnOf *EventSaleRef `json:"return_of,omitempty"`
}

// EventSaleRef names a sale.
type EventSaleRef struct {
	SaleKey    string `json:"sale_key"`
	SaleNumber int64  `json:"sale_number"`
}

// EventCustomer is the loyalty customer of a sale.
type EventCustomer struct {
	ID int64 `json:"id"`
}

// EventLine is one line of the sale.
type EventLine struct {
	LineNo    int    `json:"line_no"`
	ItemID    int64  `json:"item_id"`
	Code      string `json:"code"`
	Name      string `json:"name"`
	Quantity  int64  `json:"quantity"` // pieces, or grams when weighed
	Weighed   bool   `json:"weighed"`
	UnitPrice Money  `json:"unit_price"`
	Discount  Money  `json:"discount"`
	Amount    Money  `json:"amount"` // the line's total, tax included
	Tax       Money  `json:"tax"`
}

// EventTender is one approved payment: only the kind, the amount, and for a
// card its brand and last 4 digits.
type EventTender struct {
	Kind      Method `json:"kind"`
	Amount    Money  `json:"amount"`
	CardBrand string `json:"card_brand,omitempty"`
	CardLast4 string `json:"card_last4,omitempty"`
}

// EventTotals are the sale's totals.
type EventTotals struct {
	Subtotal     Money `json:"subtotal"`
	Tax          Money `json:"tax"`
	Total        Money `json:"total"`
	CashRounding Money `json:"cash_rounding"`
}

// SaleEventType is the event a sale in this status emits ("" for none:
// pending and failed sales, and training sales, emit nothing).
func SaleEventType(s Sale) EventType {
	if s.Training {
		return ""
	}
	switch s.Status {
	case SaleCompleted:
		return EventSaleCompleted
	case SaleVoided:
		return EventSaleVoided
	}
	return ""
}

// NewSaleEvent builds the event of type t about a recorded sale; at is
// when it happened (the outbox row's time, written with the sale). The
// event is the same whenever it is built: a finished sale never changes.
func NewSaleEvent(t EventType, s Sale, at time.Time) (Event, error) {
	if want := SaleEventType(s); want != t {
		return Event{}, Errorf(EInvalid, "a %s sale has no %s event", s.Status, t)
	}
	e := Event{
		SchemaVersion: EventSchemaVersion, ID: EventID(s.Key, t), Type: t,
		OccurredAt: at.UTC().Truncate(time.Millisecond), SaleKey: s.Key, SaleNumber: s.ID,
		StoreID: s.StoreID, TillID: s.TillID, CashierID: s.CashierID, Currency: s.Currency,
		Lines: []EventLine{}, Tenders: []EventTender{},
		Totals: EventTotals{Subtotal: s.Totals.Subtotal, Tax: s.Totals.Tax, Total: s.Totals.Total,
			CashRounding: s.CashRounding},
		Points: s.PointsEarned,
	}
	if s.CustomerID != 0 {
		e.Customer = &EventCustomer{ID: s.CustomerID}
	}
	if len(s.Totals.Lines) != len(s.Lines) {
		return Event{}, Errorf(EInvalid, "sale %s: the totals do not match the lines", s.Key)
	}
	for i, l := range s.Lines {
		t := s.Totals.Lines[i]
		e.Lines = append(e.Lines, EventLine{LineNo: i + 1, ItemID: int64(l.ItemID), Code: l.Code,
			Name: l.Name, Quantity: l.Quantity, Weighed: l.Weighed, UnitPrice: l.UnitPrice,
			Discount: l.Discount, Amount: t.Gross, Tax: t.Tax})
	}
	for _, p := range s.Payments {
		if p.Status != PaymentApproved {
			continue
		}
		tender := EventTender{Kind: p.Method, Amount: p.Amount}
		if p.Method == MethodCard {
			tender.CardBrand, tender.CardLast4 = p.CardBrand, p.CardLast4
		}
		e.Tenders = append(e.Tenders, tender)
	}
	return e, e.Validate()
}

// NewReturnEvent builds the return.completed event of a completed return
// (none for a training one); at is when it happened (the outbox row's
// time, written with the return). The document is the sale event's, about
// the return: sale_key and sale_number are the return's key and number
// (the key the event id derives from, the number its refund receipt
// prints), lines are the lines that came back with what each refunds,
// tenders are the refunds (card ones that went back; cash handed out or
// owed), totals are the return's, and points are the loyalty points taken
// back. All amounts are positive: the event type says which way the money
// went.
func NewReturnEvent(r Return, at time.Time) (Event, error) {
	switch {
	case r.Training:
		return Event{}, Errorf(EInvalid, "a training return has no event")
	case r.Status != ReturnCompleted:
		return Event{}, Errorf(EInvalid, "a %s return has no event", r.Status)
	}
	t := EventReturnCompleted
	e := Event{
		SchemaVersion: EventSchemaVersion, ID: EventID(r.Key, t), Type: t,
		OccurredAt: at.UTC().Truncate(time.Millisecond), SaleKey: r.Key, SaleNumber: r.ID,
		StoreID: r.StoreID, TillID: r.TillID, CashierID: r.CashierID, Currency: r.Currency,
		Lines: []EventLine{}, Tenders: []EventTender{},
		Totals: EventTotals{Subtotal: r.Subtotal, Tax: r.Tax, Total: r.Total, CashRounding: r.CashRounding},
		Points: r.PointsReversed,
	}
	if r.CustomerID != 0 {
		e.Customer = &EventCustomer{ID: r.CustomerID}
	}
	if r.SaleKey != "" {
		e.ReturnOf = &EventSaleRef{SaleKey: r.SaleKey, SaleNumber: r.SaleID}
	}
	for i, l := range r.Lines {
		e.Lines = append(e.Lines, EventLine{LineNo: i + 1, ItemID: int64(l.ItemID), Code: l.Code,
			Name: l.Name, Quantity: l.Quantity, Weighed: l.Weighed, UnitPrice: l.UnitPrice,
			Amount: l.Gross, Tax: l.Tax})
	}
	for _, f := range r.Refunds {
		switch {
		case f.Method == MethodCard && f.Status == PaymentApproved:
			e.Tenders = append(e.Tenders, EventTender{Kind: MethodCard, Amount: f.Amount,
				CardBrand: f.CardBrand, CardLast4: f.CardLast4})
		case f.Method == MethodCash && (f.Status == PaymentApproved || f.Status == PaymentPending || f.Status == RefundOwed):
			e.Tenders = append(e.Tenders, EventTender{Kind: MethodCash, Amount: f.Amount})
		}
	}
	return e, e.Validate()
}

var (
	currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)
	last4        = regexp.MustCompile(`^[0-9]{4}$`)
)

// Validate checks what the schema says and what it cannot: a completed
// sale's tenders (a completed return's refunds) add up to its total plus
// rounding, and its lines to its total. A publisher parks an event that fails it instead of sending it.
func (e Event) Validate() error {
	bad := func(format string, args ...any) error {
		return Errorf(EInvalid, "event %s: %s", e.ID, fmt.Sprintf(format, args...))
	}
	if e.SchemaVersion != EventSchemaVersion {
		return bad("schema version %d", e.SchemaVersion)
	}
	switch e.Type {
	case EventSaleCompleted, EventSaleVoided, EventReturnCompleted:
	default:
		return bad("unknown type %q", e.Type)
	}
	if _, err := uuid.Parse(e.SaleKey); err != nil {
		return bad("sale key %q", e.SaleKey)
	}
	if e.ID != EventID(e.SaleKey, e.Type) {
		return bad("the id is not the one derived from the key and type")
	}
	switch {
	case e.OccurredAt.IsZero():
		return bad("no time")
	case e.StoreID == "" || len(e.StoreID) > 32 || e.TillID == "" || len(e.TillID) > 32:
		return bad("store %q, till %q", e.StoreID, e.TillID)
	case !currencyCode.MatchString(e.Currency):
		return bad("currency %q", e.Currency)
	case len(e.Lines) == 0:
		return bad("no lines")
	case e.Customer != nil && e.Customer.ID <= 0:
		return bad("customer id %d", e.Customer.ID)
	case e.Points < 0 || e.Points > 0 && e.Customer == nil:
		return bad("%d points", e.Points)
	}
	var lines Money
	for _, l := range e.Lines {
		if l.Code == "" || l.Name == "" || l.Quantity <= 0 || l.LineNo <= 0 {
			return bad("line %d", l.LineNo)
		}
		lines += l.Amount
	}
	if lines != e.Totals.Total {
		return bad("lines add up to %d, the total is %d", lines, e.Totals.Total)
	}
	var paid Money
	for _, t := range e.Tenders {
		switch {
		case t.Kind != MethodCash && t.Kind != MethodCard, t.Amount < 0:
			return bad("tender %s %d", t.Kind, t.Amount)
		case t.CardLast4 != "" && !last4.MatchString(t.CardLast4):
			return bad("card last 4 digits %q", t.CardLast4)
		}
		paid += t.Amount
	}
	if (e.Type == EventSaleCompleted || e.Type == EventReturnCompleted) && paid != e.Totals.Total+e.Totals.CashRounding {
		return bad("tenders add up to %d, the total with rounding is %d", paid, e.Totals.Total+e.Totals.CashRounding)
	}
	return nil
}

// OutboxEvent is an event claimed from the outbox for sending. Problem is
// set instead of Event when the event could not be built (its sale is
// missing or inconsistent): the publisher parks it.
type OutboxEvent struct {
	ID       string
	Type     EventType
	StoreID  string // the FIFO message group
	Attempts int    // failed sends so far
	Created  time.Time
	Event    Event
	Problem  string
}

// EventFailure is an event a send did not deliver, and why.
type EventFailure struct {
	ID     string
	Reason string
}

// EventBacklog is what a till's event outbox holds.
type EventBacklog struct {
	Pending int
	Oldest  time.Time // of the pending events; zero when none
	Parked  int
}

// EventOutbox is the event_outbox table as a publisher uses it. The store
// implements it.
type EventOutbox interface {
	// ClaimEvents leases up to limit pending events of a till ("" every
	// till), oldest first, so no other publisher takes them for lease:
	// only those due now, or with evenIfNotDue those backing off too.
	ClaimEvents(ctx context.Context, tillID string, lease time.Duration, limit int, evenIfNotDue bool) ([]OutboxEvent, error)
	// EventsSent marks events delivered to the queue.
	EventsSent(ctx context.Context, ids []string) error
	// EventsFailed counts a failed attempt for each and schedules the next
	// one after backoff(attempts).
	EventsFailed(ctx context.Context, failed []EventFailure, backoff func(attempts int) time.Duration) error
	// EventsParked sets events aside for good: the queue refused them as
	// malformed, or they could not be built. They are counted, not retried.
	EventsParked(ctx context.Context, parked []EventFailure) error
	// ExpireEvents gives up on a till's pending events created before a
	// time (no queue is configured to take them); it returns how many.
	ExpireEvents(ctx context.Context, tillID string, before time.Time) (int, error)
	// EventBacklog counts a till's pending and parked events.
	EventBacklog(ctx context.Context, tillID string) (EventBacklog, error)
}
