package ui

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// TestParkAndResume parks a basket with an overridden price and a
// customer, sells something else, and resumes the ticket from the list:
// the lines, the price set at the till and the customer come back under
// a new sale key.
func TestParkAndResume(t *testing.T) {
	r := newDeskRig(t, 1000, 1000)
	r.scan(milk.Code)
	r.scan(bread.Code)
	r.ctrl('o')
	r.typeText("3.30")
	r.key("enter")
	r.scan(loyaltyCard)
	parkedKey := r.m.sale.Key()
	r.ctrl('p')
	r.wantStatus("parked as ticket PK000001 (2 lines, €4.59)")
	if r.m.inProgress() || r.m.sale.Key() == parkedKey {
		t.Fatalf("after parking the basket is not new: %q", r.lines())
	}
	if got := r.audit("park"); len(got) != 0 {
		t.Errorf("the till audited the park itself (the store does, in its transaction): %q", got)
	}

	r.scan(milk.Code) // another customer meanwhile
	r.key("f5")
	r.key("f2") // exact cash
	if r.m.active != screenDone {
		t.Fatalf("got screen %d, want done (status %q)", r.m.active, r.m.status.text)
	}
	r.key("enter")

	r.ctrl('p')
	if r.m.active != screenParked || !strings.Contains(r.screen(), "PK000001") || !strings.Contains(r.screen(), "Ann Shopper") {
		t.Fatalf("no parked list:\n%s", r.screen())
	}
	r.key("enter")
	if r.m.active != screenBasket {
		t.Fatalf("got screen %d, want the basket (status %q)", r.m.active, r.m.status.text)
	}
	r.wantStatus("resumed ticket PK000001: 2 lines, €4.59")
	want := []string{"Whole milk 1l 1 129 0 false", "Sourdough bread 1 330 0 true"}
	if got := r.lines(); !slices.Equal(got, want) {
		t.Errorf("lines: got %q, want %q", got, want)
	}
	if c := r.m.sale.Customer(); c == nil || c.ID != ann.ID {
		t.Errorf("customer: got %+v, want Ann", c)
	}
	if r.m.sale.Key() == parkedKey {
		t.Error("the resumed sale kept the parked sale's key")
	}
	if got := r.parkedStore.parked[0]; got.Status != pos.ParkedResumed || got.ResumedKey != r.m.sale.Key() {
		t.Errorf("stored: %s as %s, want resumed as %s", got.Status, got.ResumedKey, r.m.sale.Key())
	}
	r.key("f5")
	r.key("f2")
	if r.m.active != screenDone {
		t.Fatalf("the resumed sale was not sold: screen %d, status %q", r.m.active, r.m.status.text)
	}
}

// TestResumeByScan: a parked ticket scanned (or typed) on an empty basket
// resumes it; resumed already (on another till), unknown, scanned into a
// sale in progress or with the database down, it is refused and said so.
func TestResumeByScan(t *testing.T) {
	tests := []struct {
		name      string
		before    func(r *deskRig)
		input     func(r *deskRig)
		want      string
		wantLines []string
	}{
		{name: "scanned", want: "resumed ticket PK000001", wantLines: []string{"Whole milk 1l"}},
		{name: "typed by hand", input: func(r *deskRig) { r.typeText("pk1"); r.key("enter") },
			want: "resumed ticket PK000001", wantLines: []string{"Whole milk 1l"}},
		{name: "already resumed elsewhere", before: func(r *deskRig) { r.parkedStore.resumeElsewhere(r.t, 1) },
			want: "already resumed at till t9"},
		{name: "into a sale in progress", before: func(r *deskRig) { r.scan(bread.Code) },
			want: "finish, park or void this sale first", wantLines: []string{"Sourdough bread"}},
		{name: "database down", before: func(r *deskRig) { r.parkedStore.setDown(true) }, want: "unreachable"},
		// The resume committed but its answer was lost: scanned again, the
		// same resumption (its key) gets the basket.
		{name: "answer lost, scanned again", before: func(r *deskRig) { r.parkedStore.lose = true },
			input: func(r *deskRig) {
				r.scan(pos.ParkedCode(1))
				r.wantStatus("unreachable")
				r.scan(pos.ParkedCode(1))
			}, want: "resumed ticket PK000001", wantLines: []string{"Whole milk 1l"}},
		{name: "unknown ticket", input: func(r *deskRig) { r.scan(pos.ParkedCode(42)) }, want: "no parked basket PK000042"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newDeskRig(t, 1000, 1000)
			r.scan(milk.Code)
			r.ctrl('p')
			r.wantStatus("parked as ticket PK000001")
			if tt.before != nil {
				tt.before(r)
			}
			if tt.input != nil {
				tt.input(r)
			} else {
				r.scan(pos.ParkedCode(1))
			}
			r.wantStatus(tt.want)
			var got []string
			for _, l := range r.m.sale.Lines() {
				got = append(got, l.Name)
			}
			if !slices.Equal(got, tt.wantLines) {
				t.Errorf("lines: got %q, want %q", got, tt.wantLines)
			}
		})
	}
}

// TestParkRefused: an empty basket is not parked (ctrl+p lists the
// parked ones instead), nor a sale whose loyalty card is still being
// looked up. (A reserved sale: pos.TestParkable.)
func TestParkRefused(t *testing.T) {
	r := newDeskRig(t, 1000, 1000)
	r.scan(milk.Code)
	r.db.setDown(true)
	r.scan(loyaltyCard) // looked up while the database is down: the sale waits for it
	r.ctrl('p')
	r.wantStatus("a loyalty card is being looked up")
	if !r.m.status.err {
		t.Error("the refusal is not shown as an error")
	}
	r.db.setDown(false)
	r.drain(backoff(0))
	r.ctrl('p')
	r.wantStatus("parked as ticket")
	if n := len(r.parkedStore.parked); n != 1 {
		t.Errorf("parked: got %d, want 1", n)
	}
	if c := r.parkedStore.parked[0].Customer; c == nil || c.ID != ann.ID {
		t.Errorf("parked customer: got %+v, want Ann", c)
	}
}

// TestParkingHoldsQuit: while a park or a resume is in flight the till does not stop,
// and keys wait; a scan then is refused, not lost into the new sale.
func TestParkingHoldsQuit(t *testing.T) {
	r := newDeskRig(t, 1000, 1000)
	r.scan(milk.Code)
	b := r.m.basket()
	// Start the park by hand: its answer is held back.
	b.park(r.m)
	if got := r.m.Filter(r.m, tea.QuitMsg{}); got != nil {
		t.Error("a quit went through while the basket was being parked")
	}
	r.scan(bread.Code)
	r.wantStatus("being parked")
	r.send(parkedMsg{saleKey: r.m.sale.Key(), basket: pos.ParkedBasket{Number: 7, Lines: make([]pos.ParkedLine, 1), Total: 129}})
	r.wantStatus("parked as ticket PK000007")
	if r.m.inProgress() {
		t.Errorf("the scan during the park went into the new sale: %q", r.lines())
	}
	if got := r.m.Filter(r.m, tea.QuitMsg{}); got == nil {
		t.Error("a quit was held after the park ended")
	}

	// Resuming: the same, until the answer is in.
	r.ctrl('p')
	p := r.m.screens[screenParked].(*parkedScreen)
	p.resume(r.m, 7)
	if got := r.m.Filter(r.m, tea.QuitMsg{}); got != nil {
		t.Error("a quit went through while a basket was being resumed")
	}
	r.scan(milk.Code)
	r.wantStatus("a basket is being resumed")
	r.send(resumedMsg{req: p.req, key: p.key, basket: pos.ParkedBasket{Number: 7, Lines: []pos.ParkedLine{
		{Line: pos.Line{ItemID: milk.ID, Code: milk.Code, Name: milk.Name, Quantity: 1, UnitPrice: milk.Price, TaxRate: milk.TaxRate},
			ListPrice: milk.Price}}}})
	r.wantStatus("resumed ticket PK000007")
	if got := r.m.Filter(r.m, tea.QuitMsg{}); got == nil {
		t.Error("a quit was held after the resume ended")
	}
}

// TestParkedListKeys: the list refuses typing and a scan that is not a
// ticket, and Esc goes back.
func TestParkedListKeys(t *testing.T) {
	r := newDeskRig(t, 1000, 1000)
	r.ctrl('p')
	if r.m.active != screenParked || !strings.Contains(r.screen(), "none parked") {
		t.Fatalf("no empty list:\n%s", r.screen())
	}
	r.typeText("a")
	r.wantStatus("scan the parked ticket")
	r.scan(milk.Code)
	r.wantStatus("not a parked ticket")
	r.key("enter")
	r.wantStatus("no parked basket selected")
	r.key("esc")
	if r.m.active != screenBasket || r.m.inProgress() {
		t.Errorf("after Esc: screen %d, lines %q", r.m.active, r.lines())
	}
}

// TestReprint: ctrl+r on the basket reprints the last sale as a COPY,
// printed or (without a printer) saved; before any sale it says so.
func TestReprint(t *testing.T) {
	for _, printer := range []bool{true, false} {
		r := newDeskRig(t, 1000, 1000)
		r.copies.printer = printer
		r.ctrl('r')
		r.wantStatus("no sale completed at this till since it started")
		r.scan(milk.Code)
		r.key("f5")
		r.key("f2")
		sold := r.m.lastSale.Key
		r.key("enter")
		if !strings.Contains(r.screen(), "ctrl+r reprint last (COPY)") {
			t.Errorf("the key is not in the footer:\n%s", r.screen())
		}
		r.ctrl('r')
		if got := r.copies.made(); !slices.Equal(got, []string{sold}) {
			t.Fatalf("copies: got %q, want the last sale %s", got, sold)
		}
		if printer {
			r.wantStatus("receipt copy printed")
		} else {
			r.wantStatus("receipt copy saved to /tmp/receipts/" + sold)
		}
		if got := r.audit("reprint"); len(got) != 1 {
			t.Errorf("reprint audits: got %q, want 1", got)
		}
	}
}

// TestReprintScannedReceipt: a receipt scanned on the empty basket opens
// its sale on the return screen, where ctrl+r reprints it as a COPY
// without returning anything.
func TestReprintScannedReceipt(t *testing.T) {
	r := newDeskRig(t, 1000, 1000)
	r.scan(r.receipt())
	r.wantScreen(screenReturn, retChoosing)
	r.ctrl('r')
	if got := r.copies.made(); !slices.Equal(got, []string{soldKey}) {
		t.Fatalf("copies: got %q, want %s", got, soldKey)
	}
	r.wantStatus("receipt copy")
	r.wantScreen(screenReturn, retChoosing)
	if n := len(r.store.all()); n != 0 {
		t.Errorf("returns recorded: %d, want none", n)
	}
}

// fakeTickets prints parked tickets, or fails like a printer out of paper.
type fakeTickets struct {
	mu      sync.Mutex
	printed []int64
	err     error
}

func (f *fakeTickets) PrintParked(ctx context.Context, p pos.ParkedBasket) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.printed = append(f.printed, p.Number)
	return nil
}

// TestParkPrintsTheTicket: parking prints the ticket to scan at the
// resume; a ticket that does not print leaves the basket parked and says so.
func TestParkPrintsTheTicket(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		printed int
		status  string
	}{
		{"printed", nil, 1, "parked as ticket PK000001"},
		{"paper out", pos.Errorf(pos.EUnavailable, "paper out; the ticket is saved at /tmp/parked-PK000001.pdf"), 0,
			"ticket PK000001 is parked, but its ticket did not print: paper out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newDeskRig(t, 1000, 1000)
			tickets := &fakeTickets{err: tt.err}
			r.m.deps.ParkedTickets = tickets
			r.scan(milk.Code)
			r.ctrl('p')
			r.wantStatus(tt.status)
			if len(tickets.printed) != tt.printed || len(r.parkedStore.parked) != 1 {
				t.Errorf("got %d tickets printed and %d baskets parked, want %d and 1", len(tickets.printed), len(r.parkedStore.parked), tt.printed)
			}
		})
	}
}
