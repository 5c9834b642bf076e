package pos

import (
	"context"
	"fmt"
	"time"
)

// Selling through a database outage: cash sales are written to a journal on
// the till's disk and forwarded once the database answers again, each
// exactly once (by its key).

// OfflineJournal keeps the sales made offline on the till's disk until they
// are forwarded. Implementations must be durable: Append returns only once
// the record is synced to disk, so a sale the cashier saw complete survives
// a crash or a power cut.
type OfflineJournal interface {
	// Append records a completed offline sale (keyed by sale.Key). A key
	// already in the journal is refused with EConflict.
	Append(sale Sale) error
	// MarkForwarded records that the sale with this key is in the database.
	MarkForwarded(key string) error
	// State reads the journal: what waits, what was forwarded and what is
	// damaged.
	State() (JournalState, error)
}

// AuditSpool keeps the audit entries made while the database cannot be
// reached, on the till's disk, until they are written to the audit log
// (at least once).
type AuditSpool interface {
	SpoolAudit(e AuditEntry) error
	// SpooledAudits returns what waits; upto is what ClearAudits drops
	// once it is written, and bad counts unreadable lines.
	SpooledAudits() (entries []AuditEntry, bad int, upto int64, err error)
	ClearAudits(upto int64) error
}

// JournalState is what a journal holds.
type JournalState struct {
	// Pending are the sales not yet forwarded, in the order they were sold.
	Pending []Sale
	// Forwarded counts the sales forwarded and still in the journal.
	Forwarded int
	// Damaged lists records that could not be read (a torn tail after a
	// crash, a corrupt block): reported until an operator deals with them,
	// never skipped silently.
	Damaged []JournalDamage
}

// JournalDamage is one unreadable stretch of a journal.
type JournalDamage struct {
	File   string // where the damaged bytes are kept
	Offset int64  // where they started in the journal
	Length int64
	Reason string
}

// OfflineCashier is a cashier who may sign in while the database cannot be
// reached, as the till's snapshot keeps them: the PIN's hash, never the PIN.
type OfflineCashier struct {
	Cashier
	PINHash string
}

// OfflineLimits stop offline selling before the risk grows too large: the
// number and value of sales waiting to be forwarded, and the age of the
// oldest of them and of the snapshot the prices come from.
type OfflineLimits struct {
	MaxSales int           // 0: no limit
	MaxValue Money         // 0: no limit
	MaxAge   time.Duration // 0: no limit
}

// DefaultOfflineLimits are the limits a till uses unless configured.
func DefaultOfflineLimits() OfflineLimits {
	return OfflineLimits{MaxSales: 500, MaxValue: 1_000_000, MaxAge: 24 * time.Hour}
}

// SellOffline sells a basket paid all in cash while the database cannot be
// reached: the sale is settled as SellCash settles it and appended to the
// journal, synced to disk, before it is returned completed. It refuses
// once a limit is reached, saying which.
func (c *Checkout) SellOffline(sale Sale, tendered ...Money) (Sale, error) {
	if c.Journal == nil {
		return Sale{}, Errorf(EUnavailable, "this till cannot sell offline (no journal)")
	}
	if err := c.validate(sale); err != nil {
		return Sale{}, err
	}
	if len(tendered) == 0 {
		return Sale{}, Errorf(EInvalid, "offline, only cash can be taken")
	}
	now := c.now()
	st, err := c.Journal.State()
	if err != nil {
		return Sale{}, Errorf(EUnavailable, "the offline journal cannot be read: %v", err)
	}
	var pricesAt time.Time
	if c.PricesAt != nil {
		pricesAt = c.PricesAt()
	}
	if err := c.OfflineLimits.check(st, sale, pricesAt, now, c.Settings.Currency); err != nil {
		return Sale{}, err
	}
	sale, err = c.paidInCash(sale, tendered, now)
	if err != nil {
		return Sale{}, err
	}
	sale.Offline = true
	if err := c.Journal.Append(sale); err != nil {
		return Sale{}, err
	}
	c.count(MetricOfflineSales, 1)
	return sale, nil
}

// check refuses one more offline sale past a limit.
func (l OfflineLimits) check(st JournalState, sale Sale, snapshotAt, now time.Time, cur Currency) error {
	if l.MaxSales > 0 && len(st.Pending) >= l.MaxSales {
		return Errorf(EConflict, "offline limit reached: %d sales wait to be sent; no more offline sales until the database is back", len(st.Pending))
	}
	var value Money
	oldest := now
	for _, s := range st.Pending {
		value += s.Totals.Total
		if s.CreatedAt.Before(oldest) {
			oldest = s.CreatedAt
		}
	}
	if l.MaxValue > 0 && value+sale.Totals.Total > l.MaxValue {
		return Errorf(EConflict, "offline limit reached: %s waits to be sent and this sale would pass %s",
			cur.Format(value), cur.Format(l.MaxValue))
	}
	if l.MaxAge > 0 && now.Sub(oldest) > l.MaxAge {
		return Errorf(EConflict, "offline for too long: the oldest sale waiting was made %s ago (limit %s)",
			now.Sub(oldest).Round(time.Minute), l.MaxAge)
	}
	if l.MaxAge > 0 && !snapshotAt.IsZero() && now.Sub(snapshotAt) > l.MaxAge {
		return Errorf(EConflict, "the prices on this till are from %s ago (limit %s): no offline sales until the database is back",
			now.Sub(snapshotAt).Round(time.Minute), l.MaxAge)
	}
	return nil
}

// ForwardResult is what the database made of a sale forwarded from the
// journal.
type ForwardResult struct {
	Sale Sale // as stored
	// Already: the key was found, the sale was forwarded before (a crash
	// came between the database and the journal's mark).
	Already bool
	// Short: items its store had too few of; the sale is recorded anyway
	// (the customer has left), the stock stopped at zero and the shortfall
	// recorded.
	Short []Shortage
}

// OfflineSales records the sales forwarded from a journal, idempotently by
// key, with their original times.
type OfflineSales interface {
	ForwardOffline(ctx context.Context, sale Sale) (ForwardResult, error)
}

// ForwardReport says what one pass over the journal did.
type ForwardReport struct {
	Forwarded int // recorded now
	Already   int // found already recorded
	Short     []ForwardResult
	// Failed are the sales the database refused for a reason other than
	// being unreachable: they stay in the journal, reported.
	Failed []ForwardFailure
	Left   int // still waiting (the database went away again, or failed)
	// Damaged is the journal's damage, repeated on every pass.
	Damaged []JournalDamage
}

// ForwardFailure is a sale the database refused.
type ForwardFailure struct {
	Key string
	Err error
}

// ForwardJournal sends every pending sale of j to s, oldest first, and marks
// each forwarded once s has it. A crash between the two is harmless: the
// next pass finds the sale by its key. It stops at the first EUnavailable
// (the database is gone again) and returns it; other refusals are reported
// and the pass goes on.
func ForwardJournal(ctx context.Context, j OfflineJournal, s OfflineSales) (ForwardReport, error) {
	var rep ForwardReport
	st, err := j.State()
	if err != nil {
		return rep, fmt.Errorf("read the offline journal: %w", err)
	}
	rep.Damaged = st.Damaged
	rep.Left = len(st.Pending)
	for _, sale := range st.Pending {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		res, err := s.ForwardOffline(ctx, sale)
		if err != nil {
			if ErrorCode(err) == EUnavailable {
				return rep, err
			}
			rep.Failed = append(rep.Failed, ForwardFailure{Key: sale.Key, Err: err})
			continue
		}
		if err := j.MarkForwarded(sale.Key); err != nil {
			return rep, fmt.Errorf("mark sale %s forwarded: %w", sale.Key, err)
		}
		rep.Left--
		if res.Already {
			rep.Already++
		} else {
			rep.Forwarded++
		}
		if len(res.Short) > 0 {
			rep.Short = append(rep.Short, res)
		}
	}
	return rep, nil
}
