package pos

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
