package pos

import "context"

// SaleInProgress is the sale being built and paid at a till: its basket
// lines and customer, the card payments approved and the cash handed over,
// what is still owed, and where it stands in the sale protocol. It is the
// one place that knows the flow:
//
//   - all cash and no card: SellCash, one transaction, once the cash covers
//     the total;
//   - a card: Reserve once (the sale and its stock are recorded as pending),
//     PayCard per card, then Complete with the cash handed over, which is
//     kept in memory until then;
//   - a reservation whose answer was lost is sent again before anything
//     else (it is idempotent by the sale key and returns the sale as first
//     recorded).
//
// It does no I/O itself, so a screen can keep it in its model: the methods
// that move the sale on return a Step, the caller runs it (in a Bubble Tea
// command, or inline in a load generator) and hands the Result back to
// Apply, which returns the next Step. A SaleInProgress is not safe for
// concurrent use; a Step is a copy of what it needs and may run anywhere.
type SaleInProgress struct {
	co       *Checkout
	cashier  int64
	basket   Basket
	totals   Totals
	stage    Stage
	recorded Sale    // the sale as Reserve returned it, plus the approved cards
	cash     []Money // cash handed over, recorded when the sale completes
	card     Money   // the card amount wanted while reserving or charging; 0: none (or cancelled)
	before   Stage   // the stage a release started from
	prev     Step    // the step in flight when a release started, to go on with if it is refused
	inflight Step    // the step last issued, for a retry
	done     Sale    // the completed sale
	lookup   string  // a loyalty card scanned whose customer is being looked up
}

// Stage is where a sale in progress stands in the protocol.
type Stage int

const (
	StageOpen        Stage = iota // nothing recorded: the basket may change
	StageSelling                  // SellCash sent (no card): answer awaited, retried while the database is down
	StageReserveSent              // Reserve sent; not answered yet, or its answer was lost
	StageReserved                 // recorded as pending: stock taken, cards may be charged
	StageCharging                 // a card charge is in flight
	StageResolving                // a charge's answer was lost: the gateway is being asked
	StageCompleting               // Complete sent (after Reserve again if its answer was lost)
	StageCompleted                // recorded and paid: nothing more to do
	StageReleasing                // Release sent
	StageReleased                 // voided or failed: stock given back
	// StageReopening: Release sent so that the basket can change after a
	// card was declined, cancelled or not charged; once it is answered the
	// sale is open again under a new key (a released key is never reused).
	StageReopening
)

func (s Stage) String() string {
	return [...]string{"open", "selling", "reserve sent", "reserved", "charging", "resolving",
		"completing", "completed", "releasing", "released", "reopening"}[s]
}

// StepKind names the call a Step makes.
type StepKind int

const (
	StepNone        StepKind = iota // nothing to do now
	StepSell                        // Checkout.SellCash (Complete if the key was reserved before)
	StepReserve                     // Checkout.Reserve
	StepCharge                      // Checkout.PayCard
	StepResolve                     // Checkout.ResolvePayment
	StepComplete                    // Checkout.Complete (Reserve again first if its answer was lost)
	StepRelease                     // Checkout.Release
	StepSellOffline                 // Checkout.SellOffline: the database cannot be reached
)

func (k StepKind) String() string {
	return [...]string{"none", "sell", "reserve", "charge", "resolve", "complete", "release", "sell offline"}[k]
}

// Step is the next call of the protocol, with copies of its inputs.
type Step struct {
	Kind StepKind
	Key  string // the sale key
	// Retry: the same call again after its answer was unavailable; the
	// caller waits a little (a backoff) before running it.
	Retry bool
	// Amount is the card amount of a StepCharge.
	Amount Money

	co       *Checkout
	sale     Sale // the draft, or the sale as recorded
	reserved bool // StepComplete: the sale is known to be reserved
	cash     []Money
	payment  Payment // StepResolve
	status   SaleStatus
	// claim (StepRelease): it is not known whether the sale is recorded (a
	// Reserve or SellCash got no answer and may still have committed), so
	// the release first reserves the key (idempotent: it returns the sale
	// if it exists) and then releases what it finds. A SellCash that
	// commits late then finds the key taken and never sells a second time.
	claim bool
}

// Result is what running a Step got.
type Result struct {
	Kind    StepKind
	Key     string
	Sale    Sale    // reserved, completed or released
	Payment Payment // charged or resolved
	Err     error
}

// Run makes the call. It never touches the SaleInProgress that issued the
// step, so it may run in another goroutine.
func (st Step) Run(ctx context.Context) Result {
	r := Result{Kind: st.Kind, Key: st.Key}
	co := st.co
	switch st.Kind {
	case StepSell:
		done, err := co.SellCash(ctx, st.sale, st.cash...)
		if err != nil || done.Status == SaleCompleted {
			r.Sale, r.Err = done, err
			return r
		}
		// The key was reserved before: finish it as reserved.
		r.Sale, r.Err = co.Complete(ctx, done, st.cash...)
	case StepSellOffline:
		r.Sale, r.Err = co.SellOffline(st.sale, st.cash...)
	case StepReserve:
		r.Sale, r.Err = co.Reserve(ctx, st.sale)
	case StepCharge:
		r.Payment, r.Err = co.PayCard(ctx, st.sale, st.Amount)
	case StepResolve:
		r.Payment, r.Err = co.ResolvePayment(ctx, st.payment)
	case StepComplete:
		rec := st.sale
		if !st.reserved {
			// A reservation was sent but its answer was lost: asking again
			// returns the sale as first recorded, payments included.
			var err error
			if rec, err = co.Reserve(ctx, rec); err != nil {
				r.Err = err
				return r
			}
		}
		r.Sale, r.Err = co.Complete(ctx, rec, st.cash...)
	case StepRelease:
		if st.claim {
			rec, err := co.Reserve(ctx, st.sale)
			switch {
			case ErrorCode(err) == EUnavailable:
				r.Err = err
				return r
			case err != nil:
				return r // refused (e.g. short of stock): nothing is recorded under the key
			case rec.Status == SaleCompleted:
				r.Sale, r.Err = rec, Errorf(EConflict, "the sale was recorded before it could be voided")
				return r
			}
		}
		r.Sale, r.Err = co.Release(ctx, st.Key, st.status)
		switch ErrorCode(r.Err) {
		case ENotFound:
			r.Err = nil // never recorded: nothing to give back
		case EConflict:
			// Completed meanwhile (a Complete or SellCash that got there
			// first): say so with the sale as recorded.
			if cur, err := co.Sales.Sale(ctx, st.Key); err == nil && cur.Status == SaleCompleted {
				r.Sale = cur
			}
		}
	}
	return r
}

// Open starts an empty sale under a new idempotency key, rung up by
// cashierID.
func (c *Checkout) Open(cashierID int64) *SaleInProgress {
	return &SaleInProgress{co: c, cashier: cashierID, basket: Basket{Key: NewKey()}}
}

// Key is the sale's idempotency key.
func (s *SaleInProgress) Key() string { return s.basket.Key }

// Stage is where the sale stands.
func (s *SaleInProgress) Stage() Stage { return s.stage }

// Lines are the basket lines; the caller must not change them.
func (s *SaleInProgress) Lines() []Line { return s.basket.Lines }

// Customer is the customer attached, or nil.
func (s *SaleInProgress) Customer() *Customer { return s.basket.Customer }

// Totals are the basket's totals, kept in step with its lines.
func (s *SaleInProgress) Totals() Totals { return s.totals }

// Empty reports whether there is nothing in the sale to lose.
func (s *SaleInProgress) Empty() bool {
	return len(s.basket.Lines) == 0 && s.basket.Customer == nil && s.lookup == "" && s.stage == StageOpen
}

// AwaitCustomer notes a loyalty card scanned into the sale whose customer
// is being looked up. Until the answer is applied (CustomerLookedUp) or
// the cashier goes on without it (SkipCustomer), the sale is not recorded
// or reserved: a customer scan is never dropped.
func (s *SaleInProgress) AwaitCustomer(card string) error {
	if err := s.editable(); err != nil {
		return err
	}
	s.lookup = card
	return nil
}

// CustomerLookup is the loyalty card being looked up, or "".
func (s *SaleInProgress) CustomerLookup() string { return s.lookup }

// CustomerLookedUp ends the lookup of card (its answer arrived: the
// caller attaches the customer, or says it was not found). It reports
// false if the sale no longer waits for that card (skipped, or another
// card scanned since): the answer is then stale.
func (s *SaleInProgress) CustomerLookedUp(card string) bool {
	if card == "" || card != s.lookup {
		return false
	}
	s.lookup = ""
	return true
}

// SkipCustomer lets the sale go on without the customer being looked up:
// the cashier said so. A late answer for it is then ignored.
func (s *SaleInProgress) SkipCustomer() { s.lookup = "" }

// awaiting refuses to record or reserve the sale while its customer is
// being looked up.
func (s *SaleInProgress) awaiting() error {
	if s.lookup != "" {
		return Errorf(EConflict, "loyalty card %s is still being looked up: wait for it, or go on without the customer", s.lookup)
	}
	return nil
}

// Locked reports whether the sale may exist in the database (a Reserve or
// SellCash was sent): from then on its lines and customer cannot change, or
// the same key would name two different sales.
func (s *SaleInProgress) Locked() bool { return s.stage != StageOpen }

// Recording reports whether the sale is being recorded (SellCash or
// Complete sent, and retried while the database is down): no more money
// can be taken until the answer is applied.
func (s *SaleInProgress) Recording() bool {
	return s.stage == StageSelling || s.stage == StageCompleting
}

// Settling reports whether a call of the protocol is in flight or waits to
// be retried: the till stops, on a signal, only once it has an answer.
func (s *SaleInProgress) Settling() bool {
	switch s.stage {
	case StageSelling, StageReserveSent, StageCharging, StageResolving, StageCompleting, StageReleasing, StageReopening:
		return true
	}
	return false
}

// Cards are the approved card payments.
func (s *SaleInProgress) Cards() []Payment {
	var out []Payment
	for _, p := range s.recorded.Payments {
		if p.Status == PaymentApproved {
			out = append(out, p)
		}
	}
	return out
}

// Cash is the cash handed over so far, one amount per hand-over.
func (s *SaleInProgress) Cash() []Money { return append([]Money(nil), s.cash...) }

// CardPaid is the sum of the approved card payments.
func (s *SaleInProgress) CardPaid() Money { return s.recorded.Paid() }

// CashGiven is the cash handed over so far.
func (s *SaleInProgress) CashGiven() Money {
	var sum Money
	for _, c := range s.cash {
		sum += c
	}
	return sum
}

// Owed is what is still to pay, by card or cash, before cash rounding.
func (s *SaleInProgress) Owed() Money { return s.totals.Total - s.CardPaid() - s.CashGiven() }

// CashDue is what must still be paid if the rest is paid in cash: the rest
// rounded to the store's cash step. Zero or less means it is all paid, and
// its opposite is the change.
func (s *SaleInProgress) CashDue() Money {
	rounded, _ := s.co.Settings.RoundCash(s.totals.Total - s.CardPaid())
	return rounded - s.CashGiven()
}

// Completed is the sale as recorded once the stage is StageCompleted.
func (s *SaleInProgress) Completed() Sale { return s.done }

// editable refuses a change to a sale that may be recorded.
func (s *SaleInProgress) editable() error {
	if s.Locked() {
		return Errorf(EConflict, "the sale is recorded: pay the rest or void it")
	}
	return nil
}

// edit applies f to a copy of the basket and keeps it only if its totals
// can be computed.
func (s *SaleInProgress) edit(f func(b *Basket) error) error {
	if err := s.editable(); err != nil {
		return err
	}
	b := s.basket
	b.Lines = append([]Line(nil), s.basket.Lines...)
	if err := f(&b); err != nil {
		return err
	}
	t, err := ComputeTotals(b.Lines, s.co.Settings.TaxMode)
	if err != nil {
		return err
	}
	s.basket, s.totals = b, t
	return nil
}

// Add appends a line.
func (s *SaleInProgress) Add(l Line) error { return s.edit(func(b *Basket) error { return b.Add(l) }) }

// SetQuantity changes line i's quantity (pieces or grams).
func (s *SaleInProgress) SetQuantity(i int, q int64) error {
	return s.edit(func(b *Basket) error { return b.SetQuantity(i, q) })
}

// Void removes line i and returns it.
func (s *SaleInProgress) Void(i int) (Line, error) {
	var l Line
	err := s.edit(func(b *Basket) (err error) {
		l, err = b.Void(i)
		return err
	})
	return l, err
}

// Attach sets the sale's customer.
func (s *SaleInProgress) Attach(c Customer) error {
	return s.edit(func(b *Basket) error {
		b.Customer = &c
		return nil
	})
}

// Detach removes the sale's customer and returns it.
func (s *SaleInProgress) Detach() (Customer, error) {
	var c Customer
	err := s.edit(func(b *Basket) error {
		if b.Customer == nil {
			return Errorf(EInvalid, "no customer is attached")
		}
		c, b.Customer = *b.Customer, nil
		return nil
	})
	return c, err
}

// draft is the sale as it would be recorded now.
func (s *SaleInProgress) draft() (Sale, error) { return s.co.Draft(&s.basket, s.cashier) }

// payable reports whether money can be taken now.
func (s *SaleInProgress) payable() error {
	switch s.stage {
	case StageOpen, StageReserveSent, StageReserved:
		return nil
	case StageCompleted:
		return Errorf(EConflict, "the sale is already recorded")
	case StageReleasing, StageReleased:
		return Errorf(EConflict, "the sale is being voided")
	case StageReopening:
		return Errorf(EConflict, "the basket is being opened again: please wait")
	}
	return Errorf(EConflict, "the sale is being recorded: please wait")
}

// TakeCash adds cash handed over. While some is still due it returns no
// step; once the cash covers what is due it returns the step that records
// the sale.
func (s *SaleInProgress) TakeCash(amount Money) (Step, error) {
	if err := s.payable(); err != nil {
		return Step{}, err
	}
	switch {
	case amount <= 0:
		return Step{}, Errorf(EInvalid, "type the cash amount handed over")
	case s.CashDue() <= 0:
		return Step{}, Errorf(EConflict, "nothing is left to pay")
	case amount > MaxMoney || s.CashGiven()+amount > MaxMoney:
		return Step{}, Errorf(EInvalid, "that is too much cash")
	case amount > s.co.Settings.CashLimit(s.CashDue()):
		// A scanned code or a slip of the finger, not cash: a customer
		// never hands over more than what is due plus the largest note.
		cur := s.co.Settings.Currency
		return Step{}, Errorf(EInvalid, "%s is more than the %s due plus %s: not taken, nothing recorded; type the cash handed over",
			cur.Format(amount), cur.Format(s.CashDue()), cur.Format(s.co.Settings.CashLimit(0)))
	}
	if _, err := s.draft(); err != nil {
		return Step{}, err
	}
	if amount >= s.CashDue() {
		if err := s.awaiting(); err != nil {
			return Step{}, err // the cash that would record the sale is not taken yet
		}
	}
	s.cash = append(s.cash, amount)
	if s.CashDue() > 0 {
		return Step{}, nil
	}
	return s.record(), nil
}

// Covered reports whether the money taken covers the sale, so that it only
// needs recording (e.g. the basket shrank below the cash handed over).
func (s *SaleInProgress) Covered() bool {
	return len(s.basket.Lines) > 0 && s.CashDue() <= 0 && s.CardPaid()+s.CashGiven() > 0
}

// Finish records the sale when the money taken already covers it: cash
// handed over before lines were voided, for instance. The change is the
// cash handed over less what is due.
func (s *SaleInProgress) Finish() (Step, error) {
	if err := s.payable(); err != nil {
		return Step{}, err
	}
	if due := s.CashDue(); due > 0 {
		return Step{}, Errorf(EInvalid, "%s is still due", s.co.Settings.Currency.Format(due))
	}
	if _, err := s.draft(); err != nil {
		return Step{}, err
	}
	if err := s.awaiting(); err != nil {
		return Step{}, err
	}
	return s.record(), nil
}

// record issues the step that records the paid sale: SellCash when no
// reservation was ever sent, else Complete.
func (s *SaleInProgress) record() Step {
	draft, err := s.draft()
	if err != nil {
		return Step{} // the basket was checked when the money was taken
	}
	st := Step{Key: s.Key(), co: s.co, cash: append([]Money(nil), s.cash...)}
	switch s.stage {
	case StageOpen:
		st.Kind, st.sale = StepSell, draft
		s.stage = StageSelling
	case StageReserved:
		st.Kind, st.sale, st.reserved = StepComplete, s.recordedCopy(), true
		s.stage = StageCompleting
	default: // StageReserveSent
		st.Kind, st.sale = StepComplete, draft
		s.stage = StageCompleting
	}
	s.inflight = st
	return st
}

// PayCard starts a card payment for amount: the step reserves the sale
// first if that was not done yet, and the card is charged once Apply has
// the reservation.
func (s *SaleInProgress) PayCard(amount Money) (Step, error) {
	if err := s.payable(); err != nil {
		return Step{}, err
	}
	owed := s.Owed()
	cur := s.co.Settings.Currency
	switch {
	case s.co.Gateway == nil:
		return Step{}, Errorf(EUnavailable, "card payments are not set up on this till")
	case owed <= 0:
		return Step{}, Errorf(EConflict, "nothing is left to pay")
	case amount <= 0 || amount > owed:
		return Step{}, Errorf(EInvalid, "a card can pay from %s to %s", cur.Format(1), cur.Format(owed))
	}
	draft, err := s.draft()
	if err != nil {
		return Step{}, err
	}
	if err := s.awaiting(); err != nil {
		return Step{}, err
	}
	s.card = amount
	if s.stage == StageReserved {
		return s.charge(), nil
	}
	// Reserve first, as its own step, so the cashier can be told whether
	// the till waits for the database or for the card.
	s.stage = StageReserveSent
	s.inflight = Step{Kind: StepReserve, Key: s.Key(), co: s.co, sale: draft}
	return s.inflight, nil
}

func (s *SaleInProgress) charge() Step {
	s.stage = StageCharging
	s.inflight = Step{Kind: StepCharge, Key: s.Key(), co: s.co, sale: s.recordedCopy(), Amount: s.card}
	return s.inflight
}

// recordedCopy is the recorded sale with its own list of payments, so a
// step running elsewhere never shares it with Apply.
func (s *SaleInProgress) recordedCopy() Sale {
	rec := s.recorded
	rec.Payments = append([]Payment(nil), rec.Payments...)
	return rec
}

// CancelCard drops the card payment asked for: a reservation that is
// answered later is kept, but no card is charged after it. A charge
// already in flight is cancelled by its context, and its answer applied
// as usual.
func (s *SaleInProgress) CancelCard() { s.card = 0 }

// Release voids the sale: the step gives back its stock (refunding any
// approved card first). A sale that was never sent to the database needs
// no call: it is released at once and the step is StepNone.
//
// A sale whose recording got no answer (SellCash, or a Reserve never
// answered) may exist or not: the step claims its key first, so it is
// resolved by the key and never sold twice; if it turns out recorded and
// completed, Apply says so and the sale is completed, not voided.
func (s *SaleInProgress) Release(status SaleStatus) (Step, error) {
	switch s.stage {
	case StageOpen:
		s.stage = StageReleased
		return Step{}, nil
	case StageCompleted:
		return Step{}, Errorf(EConflict, "the sale is completed and cannot be voided")
	case StageReleased:
		return Step{}, nil
	case StageCharging, StageResolving:
		return Step{}, Errorf(EConflict, "a card payment is in progress: wait for it to end")
	case StageReopening:
		return Step{}, Errorf(EConflict, "the basket is being opened again: please wait")
	case StageCompleting:
		if s.CardPaid() > 0 {
			// Voiding would refund the card while the Complete that may be
			// on its way commits: wait for the database to answer instead.
			return Step{}, Errorf(EConflict, "a card has paid: the sale is being recorded and cannot be voided now")
		}
	}
	if s.stage != StageReleasing {
		s.before, s.prev = s.stage, s.inflight
	}
	s.stage = StageReleasing
	s.inflight = s.releaseStep(status)
	return s.inflight, nil
}

// releaseStep is the Release call, claiming the key first when it is not
// known whether the sale is recorded.
func (s *SaleInProgress) releaseStep(status SaleStatus) Step {
	st := Step{Kind: StepRelease, Key: s.Key(), co: s.co, status: status}
	if s.recorded.ID == 0 {
		st.claim = true
		st.sale, _ = s.draft() // the basket was checked when it was sent
	}
	return st
}

// Reopen makes the basket editable again after a card was declined,
// cancelled or not charged, or a reservation was never answered: no money
// moved, so the reservation is released (as failed: its payment failed)
// and, once that is answered, the sale goes on under a new key with its
// lines, customer and the cash handed over. A released key is never
// reused: it names the released sale for good. An approved card keeps the
// basket locked: a gateway refunds a payment only in full, so a smaller
// basket cannot be paid by it.
func (s *SaleInProgress) Reopen() (Step, error) {
	switch {
	case s.stage == StageOpen:
		return Step{}, nil
	case s.stage != StageReserved && s.stage != StageReserveSent:
		if err := s.payable(); err != nil {
			return Step{}, err
		}
		return Step{}, Errorf(EConflict, "the sale cannot be changed now")
	case s.CardPaid() > 0:
		return Step{}, Errorf(EConflict, "a card has paid %s: the basket cannot change; pay the rest or void the sale (the card is refunded in full)",
			s.co.Settings.Currency.Format(s.CardPaid()))
	case s.card > 0:
		return Step{}, Errorf(EConflict, "a card payment is in progress")
	}
	s.before, s.prev = s.stage, s.inflight
	s.stage = StageReopening
	s.inflight = s.releaseStep(SaleFailed)
	return s.inflight, nil
}

// reopen starts the basket again under a new key once the reservation
// under the old one is released.
func (s *SaleInProgress) reopen() {
	s.basket.Key = NewKey()
	s.stage, s.recorded, s.inflight, s.card = StageOpen, Sale{}, Step{}, 0
}

// Pending is the step the sale waits on (to run again when a retry is
// due), or StepNone when it waits on nothing.
func (s *SaleInProgress) Pending() Step {
	if s.inflight.Kind == StepSellOffline {
		return Step{} // never run again by a timer: the journal refuses a key twice
	}
	switch s.stage {
	case StageSelling, StageCompleting, StageReleasing, StageReopening, StageResolving, StageCharging:
		return s.inflight
	case StageReserveSent:
		if s.card > 0 {
			return s.inflight
		}
	}
	return Step{}
}

// expects reports whether the stage waits for a result of kind k.
func (s *SaleInProgress) expects(k StepKind) bool {
	switch s.stage {
	case StageSelling:
		return k == s.inflight.Kind // a late SellCash answer after going offline is not waited for
	case StageReserveSent:
		return k == StepReserve
	case StageCharging:
		return k == StepCharge
	case StageResolving:
		return k == StepResolve
	case StageCompleting:
		return k == StepComplete
	case StageReleasing, StageReopening:
		return k == StepRelease
	}
	return false
}

// Apply takes the result of a step and returns the next step: StepNone
// when the sale waits for the cashier (or is over), the same step with
// Retry set when its answer was unavailable. A result for another sale, or
// one the sale no longer waits for, changes nothing.
func (s *SaleInProgress) Apply(r Result) Step {
	if r.Key != s.Key() || !s.expects(r.Kind) {
		return Step{}
	}
	switch r.Kind {
	case StepSell, StepComplete:
		return s.settled(r)
	case StepSellOffline:
		return s.soldOffline(r)
	case StepReserve:
		return s.reserved(r)
	case StepCharge:
		return s.charged(r)
	case StepResolve:
		return s.resolved(r)
	case StepRelease:
		return s.released(r)
	}
	return Step{}
}

// SellOffline turns the cash sale being recorded, which waits for a
// database that does not answer, into an offline sale: the step writes it
// to the till's journal instead (Checkout.SellOffline). Only a sale paid
// all in cash whose stock was never reserved may go offline; a SellCash
// already sent may still commit, which is harmless: the sale is forwarded
// under the same key and found there.
func (s *SaleInProgress) SellOffline() (Step, error) {
	if s.stage != StageSelling || s.inflight.Kind != StepSell {
		return Step{}, Errorf(EConflict, "only a cash sale waiting to be recorded can be sold offline")
	}
	st := s.inflight
	st.Kind, st.Retry = StepSellOffline, false
	s.inflight = st
	return st, nil
}

// soldOffline takes the journal's answer. A sale the journal could not
// keep (the disk is full) waits again to be recorded online, its cash
// kept.
func (s *SaleInProgress) soldOffline(r Result) Step {
	if r.Err == nil {
		s.stage, s.done = StageCompleted, r.Sale
		return Step{}
	}
	s.inflight.Kind = StepSell
	return Step{}
}

func (s *SaleInProgress) retry() Step {
	st := s.inflight
	st.Retry = true
	return st
}

func (s *SaleInProgress) settled(r Result) Step {
	switch {
	case r.Err == nil:
		s.stage, s.done = StageCompleted, r.Sale
		return Step{}
	case ErrorCode(r.Err) == EUnavailable:
		return s.retry() // idempotent by the sale key: nothing is recorded twice
	}
	// The sale cannot be recorded as it is (e.g. an item is short): the
	// cash is forgotten so that it is taken again once the basket is put
	// right.
	s.cash = nil
	switch {
	case r.Kind == StepSell:
		s.stage = StageOpen // SellCash rolled back: nothing was recorded
	case s.recorded.ID != 0:
		s.stage = StageReserved
	default:
		s.stage = StageReserveSent
	}
	return Step{}
}

func (s *SaleInProgress) reserved(r Result) Step {
	switch {
	case r.Err == nil:
		s.stage, s.recorded = StageReserved, r.Sale
		if s.card > 0 {
			return s.charge()
		}
		return Step{}
	case ErrorCode(r.Err) == EUnavailable:
		// The answer was lost or the database is down: the reservation
		// may exist, so the sale stays locked and Reserve is asked again.
		if s.card > 0 {
			return s.retry()
		}
		return Step{}
	}
	// Refused outright (e.g. out of stock): nothing was recorded.
	s.stage, s.card = StageOpen, 0
	return Step{}
}

func (s *SaleInProgress) charged(r Result) Step {
	s.card = 0
	switch {
	case r.Err == nil:
		return s.approved(r.Payment)
	case r.Payment.Status == PaymentUnknown:
		s.stage = StageResolving
		s.inflight = Step{Kind: StepResolve, Key: s.Key(), co: s.co, payment: r.Payment}
		return s.inflight
	}
	s.stage = StageReserved // declined, cancelled or failed: nothing was charged
	return Step{}
}

func (s *SaleInProgress) resolved(r Result) Step {
	switch {
	case r.Err != nil:
		return s.retry()
	case r.Payment.Status == PaymentApproved:
		return s.approved(r.Payment)
	}
	s.stage = StageReserved
	return Step{}
}

// approved keeps an approved card payment; when nothing is left to pay
// the sale is recorded at once.
func (s *SaleInProgress) approved(p Payment) Step {
	s.recorded.Payments = append(s.recorded.Payments, p)
	s.stage = StageReserved
	if s.CashDue() <= 0 {
		return s.record()
	}
	return Step{}
}

func (s *SaleInProgress) released(r Result) Step {
	switch {
	case r.Err == nil && s.stage == StageReopening:
		s.reopen()
		return Step{}
	case r.Err == nil:
		s.stage = StageReleased
		return Step{}
	case r.Sale.Status == SaleCompleted && r.Sale.Key == s.Key():
		// Recorded before the release got there (a SellCash or Complete
		// whose answer was lost): the sale is completed, as recorded.
		s.stage, s.done = StageCompleted, r.Sale
		return Step{}
	case ErrorCode(r.Err) == EUnavailable:
		return s.retry()
	}
	// Refused: the sale is where it was, with the step it waited on.
	s.stage, s.inflight = s.before, s.prev
	return Step{}
}
