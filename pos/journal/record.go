package journal

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/till-pos/till/pos"
)

// On-disk framing of one record:
//
//	magic   [4]byte  0x00 0xFF 'T' 'J'
//	length  uint32   payload length, little endian
//	hcrc    uint32   CRC-32C of magic and length
//	pcrc    uint32   CRC-32C of the payload
//	payload [length]byte  JSON of record
//
// The header has its own checksum so a reader knows whether the length can
// be trusted: a record whose payload is corrupt but whose header checks out
// is skipped by its length; a bad header means the length is garbage and the
// reader resynchronises on the next magic. The magic holds 0x00 and 0xFF,
// which encoding/json never writes (it escapes control characters and
// writes valid UTF-8 only), so a payload can never look like a record start.
var magic = [4]byte{0x00, 0xFF, 'T', 'J'}

const (
	headerLen = 16
	// maxPayload bounds a record so a garbage length that happens to pass
	// the header checksum still cannot make the reader allocate wildly. A
	// sale is a few KiB; 16 MiB is far beyond any real one.
	maxPayload = 16 << 20
	// recordVersion is written in every record; readers refuse others
	// rather than misread them.
	recordVersion = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Record kinds.
const (
	kindSale      = "sale"
	kindForwarded = "forwarded"
	// kindDamage notes a torn tail Open cut off and saved to a file, so
	// later Opens can say where in the journal those bytes were.
	kindDamage = "damage"
)

// record is the journal's own on-disk form. It deliberately does not embed
// pos.Sale: field names and types here are the file format and must stay
// stable whatever happens to the sale core's structs.
type record struct {
	V      int        `json:"v"`
	Kind   string     `json:"kind"`
	Sale   *saleRec   `json:"sale,omitempty"`
	Key    string     `json:"key,omitempty"` // forwarded
	At     *timeRec   `json:"at,omitempty"`  // forwarded, damage: when it was written
	Damage *damageRec `json:"damage,omitempty"`
}

type damageRec struct {
	File   string `json:"file"` // base name in the journal's directory
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
	Reason string `json:"reason"`
}

// timeRec keeps an instant with its nanoseconds, its zone offset (in the
// RFC 3339 text) and its zone's name, so a receipt reprinted from the
// journal shows the time the customer saw.
type timeRec struct {
	T    string `json:"t"`
	Zone string `json:"zone,omitempty"`
}

type saleRec struct {
	ID           int64        `json:"id"`
	Key          string       `json:"key"`
	StoreID      string       `json:"store_id"`
	TillID       string       `json:"till_id"`
	CashierID    int64        `json:"cashier_id"`
	CustomerID   int64        `json:"customer_id"`
	Training     bool         `json:"training"`
	Currency     string       `json:"currency"`
	Lines        []lineRec    `json:"lines"`
	Totals       totalsRec    `json:"totals"`
	CashRounding int64        `json:"cash_rounding"`
	Status       string       `json:"status"`
	Payments     []paymentRec `json:"payments"`
	PointsEarned int64        `json:"points_earned"`
	CreatedAt    timeRec      `json:"created_at"`
	CompletedAt  timeRec      `json:"completed_at"`
	Offline      bool         `json:"offline"`
}

type lineRec struct {
	ItemID          int64  `json:"item_id"`
	Code            string `json:"code"`
	Name            string `json:"name"`
	Weighed         bool   `json:"weighed"`
	Quantity        int64  `json:"quantity"`
	UnitPrice       int64  `json:"unit_price"`
	PriceOverridden bool   `json:"price_overridden"`
	Discount        int64  `json:"discount"`
	TaxRate         int    `json:"tax_rate"`
}

type totalsRec struct {
	Items    int64           `json:"items"`
	Subtotal int64           `json:"subtotal"`
	Tax      int64           `json:"tax"`
	Total    int64           `json:"total"`
	Discount int64           `json:"discount"`
	Lines    []lineTotalsRec `json:"lines"`
	Bands    []taxBandRec    `json:"bands"`
}

type lineTotalsRec struct {
	Net   int64 `json:"net"`
	Tax   int64 `json:"tax"`
	Gross int64 `json:"gross"`
}

type taxBandRec struct {
	Rate  int   `json:"rate"`
	Net   int64 `json:"net"`
	Tax   int64 `json:"tax"`
	Gross int64 `json:"gross"`
}

type paymentRec struct {
	AttemptKey  string  `json:"attempt_key"`
	SaleKey     string  `json:"sale_key"`
	Method      string  `json:"method"`
	Status      string  `json:"status"`
	Amount      int64   `json:"amount"`
	Tendered    int64   `json:"tendered"`
	Change      int64   `json:"change"`
	Provider    string  `json:"provider"`
	ProviderRef string  `json:"provider_ref"`
	CardBrand   string  `json:"card_brand"`
	CardLast4   string  `json:"card_last4"`
	AuthCode    string  `json:"auth_code"`
	Message     string  `json:"message"`
	CreatedAt   timeRec `json:"created_at"`
}

func toTime(t time.Time) timeRec {
	name, _ := t.Zone()
	return timeRec{T: t.Format(time.RFC3339Nano), Zone: name}
}

func fromTime(r timeRec) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, r.T)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: %w", r.T, err)
	}
	// Parse gives UTC, or a fixed zone without a name for other offsets;
	// put the zone's name back (the offset is already right).
	if name, off := t.Zone(); r.Zone != "" && name != r.Zone {
		t = t.In(time.FixedZone(r.Zone, off))
	}
	return t, nil
}

// mapSlice converts a slice keeping nil as nil, so a sale reads back exactly
// as it was written.
func mapSlice[S, D any](src []S, f func(S) D) []D {
	if src == nil {
		return nil
	}
	dst := make([]D, len(src))
	for i, s := range src {
		dst[i] = f(s)
	}
	return dst
}

func toSaleRec(s pos.Sale) *saleRec {
	return &saleRec{
		ID:         s.ID,
		Key:        s.Key,
		StoreID:    s.StoreID,
		TillID:     s.TillID,
		CashierID:  s.CashierID,
		CustomerID: s.CustomerID,
		Training:   s.Training,
		Currency:   s.Currency,
		Lines: mapSlice(s.Lines, func(l pos.Line) lineRec {
			return lineRec{
				ItemID:          int64(l.ItemID),
				Code:            l.Code,
				Name:            l.Name,
				Weighed:         l.Weighed,
				Quantity:        l.Quantity,
				UnitPrice:       int64(l.UnitPrice),
				PriceOverridden: l.PriceOverridden,
				Discount:        int64(l.Discount),
				TaxRate:         l.TaxRate,
			}
		}),
		Totals: totalsRec{
			Items:    s.Totals.Items,
			Subtotal: int64(s.Totals.Subtotal),
			Tax:      int64(s.Totals.Tax),
			Total:    int64(s.Totals.Total),
			Discount: int64(s.Totals.Discount),
			Lines: mapSlice(s.Totals.Lines, func(l pos.LineTotals) lineTotalsRec {
				return lineTotalsRec{Net: int64(l.Net), Tax: int64(l.Tax), Gross: int64(l.Gross)}
			}),
			Bands: mapSlice(s.Totals.Bands, func(b pos.TaxBand) taxBandRec {
				return taxBandRec{Rate: b.Rate, Net: int64(b.Net), Tax: int64(b.Tax), Gross: int64(b.Gross)}
			}),
		},
		CashRounding: int64(s.CashRounding),
		Status:       string(s.Status),
		Payments: mapSlice(s.Payments, func(p pos.Payment) paymentRec {
			return paymentRec{
				AttemptKey:  p.AttemptKey,
				SaleKey:     p.SaleKey,
				Method:      string(p.Method),
				Status:      string(p.Status),
				Amount:      int64(p.Amount),
				Tendered:    int64(p.Tendered),
				Change:      int64(p.Change),
				Provider:    p.Provider,
				ProviderRef: p.ProviderRef,
				CardBrand:   p.CardBrand,
				CardLast4:   p.CardLast4,
				AuthCode:    p.AuthCode,
				Message:     p.Message,
				CreatedAt:   toTime(p.CreatedAt),
			}
		}),
		PointsEarned: s.PointsEarned,
		CreatedAt:    toTime(s.CreatedAt),
		CompletedAt:  toTime(s.CompletedAt),
		Offline:      s.Offline,
	}
}

// sale converts the record back. Times were validated when the record was
// read, so errors here mean a bug; they are returned all the same.
func (r *saleRec) sale() (pos.Sale, error) {
	var firstErr error
	tm := func(t timeRec) time.Time {
		v, err := fromTime(t)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return v
	}
	s := pos.Sale{
		ID:         r.ID,
		Key:        r.Key,
		StoreID:    r.StoreID,
		TillID:     r.TillID,
		CashierID:  r.CashierID,
		CustomerID: r.CustomerID,
		Training:   r.Training,
		Currency:   r.Currency,
		Lines: mapSlice(r.Lines, func(l lineRec) pos.Line {
			return pos.Line{
				ItemID:          pos.ItemID(l.ItemID),
				Code:            l.Code,
				Name:            l.Name,
				Weighed:         l.Weighed,
				Quantity:        l.Quantity,
				UnitPrice:       pos.Money(l.UnitPrice),
				PriceOverridden: l.PriceOverridden,
				Discount:        pos.Money(l.Discount),
				TaxRate:         l.TaxRate,
			}
		}),
		Totals: pos.Totals{
			Items:    r.Totals.Items,
			Subtotal: pos.Money(r.Totals.Subtotal),
			Tax:      pos.Money(r.Totals.Tax),
			Total:    pos.Money(r.Totals.Total),
			Discount: pos.Money(r.Totals.Discount),
			Lines: mapSlice(r.Totals.Lines, func(l lineTotalsRec) pos.LineTotals {
				return pos.LineTotals{Net: pos.Money(l.Net), Tax: pos.Money(l.Tax), Gross: pos.Money(l.Gross)}
			}),
			Bands: mapSlice(r.Totals.Bands, func(b taxBandRec) pos.TaxBand {
				return pos.TaxBand{Rate: b.Rate, Net: pos.Money(b.Net), Tax: pos.Money(b.Tax), Gross: pos.Money(b.Gross)}
			}),
		},
		CashRounding: pos.Money(r.CashRounding),
		Status:       pos.SaleStatus(r.Status),
		Payments: mapSlice(r.Payments, func(p paymentRec) pos.Payment {
			return pos.Payment{
				AttemptKey:  p.AttemptKey,
				SaleKey:     p.SaleKey,
				Method:      pos.Method(p.Method),
				Status:      pos.PaymentStatus(p.Status),
				Amount:      pos.Money(p.Amount),
				Tendered:    pos.Money(p.Tendered),
				Change:      pos.Money(p.Change),
				Provider:    p.Provider,
				ProviderRef: p.ProviderRef,
				CardBrand:   p.CardBrand,
				CardLast4:   p.CardLast4,
				AuthCode:    p.AuthCode,
				Message:     p.Message,
				CreatedAt:   tm(p.CreatedAt),
			}
		}),
		PointsEarned: r.PointsEarned,
		CreatedAt:    tm(r.CreatedAt),
		CompletedAt:  tm(r.CompletedAt),
		Offline:      r.Offline,
	}
	if firstErr != nil {
		return pos.Sale{}, fmt.Errorf("sale %q: %w", r.Key, firstErr)
	}
	return s, nil
}

// encode frames a record for appending.
func encode(r record) ([]byte, error) {
	r.V = recordVersion
	payload, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encoding %s record: %w", r.Kind, err)
	}
	if len(payload) > maxPayload {
		return nil, fmt.Errorf("%s record is %d bytes, more than the %d a record may hold", r.Kind, len(payload), maxPayload)
	}
	buf := make([]byte, headerLen+len(payload))
	copy(buf, magic[:])
	binary.LittleEndian.PutUint32(buf[4:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[8:], crc32.Checksum(buf[:8], castagnoli))
	binary.LittleEndian.PutUint32(buf[12:], crc32.Checksum(payload, castagnoli))
	copy(buf[headerLen:], payload)
	return buf, nil
}

// header checks the header at b (at least headerLen bytes) and returns the
// payload length and checksum if it is sound.
func header(b []byte) (length int, pcrc uint32, ok bool) {
	if [4]byte(b[:4]) != magic {
		return 0, 0, false
	}
	if crc32.Checksum(b[:8], castagnoli) != binary.LittleEndian.Uint32(b[8:]) {
		return 0, 0, false
	}
	n := binary.LittleEndian.Uint32(b[4:])
	if n > maxPayload {
		return 0, 0, false
	}
	return int(n), binary.LittleEndian.Uint32(b[12:]), true
}

// decode parses a payload whose checksum matched and checks it is a record
// this version understands, completely: a record half understood is
// reported as damage, not half applied.
func decode(payload []byte) (record, error) {
	var r record
	if err := json.Unmarshal(payload, &r); err != nil {
		return record{}, fmt.Errorf("undecodable payload: %w", err)
	}
	if r.V != recordVersion {
		return record{}, fmt.Errorf("record version %d, this till reads version %d", r.V, recordVersion)
	}
	switch r.Kind {
	case kindSale:
		if r.Sale == nil || r.Sale.Key == "" {
			return record{}, fmt.Errorf("sale record without a sale key")
		}
		if _, err := r.Sale.sale(); err != nil {
			return record{}, err
		}
	case kindForwarded:
		if r.Key == "" {
			return record{}, fmt.Errorf("forwarded record without a key")
		}
	case kindDamage:
		if r.Damage == nil {
			return record{}, fmt.Errorf("damage record without its details")
		}
	default:
		return record{}, fmt.Errorf("unknown record kind %q", r.Kind)
	}
	return r, nil
}

func crcOf(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
