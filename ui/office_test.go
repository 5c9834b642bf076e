package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// After sign-in with no session, the basket says the till is not opened
// and still sells; the office key counts the float (by note and coin, as
// a sum, or both), a y opens the session and the banner goes.
func TestOfficeOpenWithFloat(t *testing.T) {
	tests := []struct {
		name  string
		keys  []string // on the count, row 0 (the sum) first
		want  pos.CashCount
		total string
	}{
		{"by note and coin", []string{"down", "down", "down", "down", "2", "enter", "2", "enter", "1", "f5"},
			pos.CashCount{Lines: []pos.CountLine{{Denomination: 50_00, Quantity: 2}, {Denomination: 20_00, Quantity: 2},
				{Denomination: 10_00, Quantity: 1}}}, "€150.00"},
		{"as a sum", []string{"1", "5", "0", ".", "5", "0", "enter"}, pos.CountOf(150_50), "€150.50"},
		{"a sum and coins", []string{"1", "0", "0", "down", "down", "down", "down", "down", "down", "down", "down",
			"down", "down", "4", "f5"}, pos.CashCount{Lines: []pos.CountLine{{Denomination: 50, Quantity: 4}}, Amount: 100_00}, "€102.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newOfficeRig(t, 0)
			if !strings.Contains(r.screen(), "Till not opened — ctrl+x to count the float") {
				t.Fatalf("no banner after sign-in:\n%s", r.screen())
			}
			r.scan(milk.Code) // the banner does not stop a sale
			if n := len(r.m.sale.Lines()); n != 1 {
				t.Fatalf("a scan with the till not opened: got %d lines, want 1", n)
			}
			r.key("f9") // void it: the office opens from an empty basket
			r.key("y")
			r.office()
			r.wantState(screenOffice, offCount)
			for _, k := range tt.keys {
				r.key(k)
			}
			if q := r.m.confirm; q == nil || !strings.Contains(q.question, "float of "+tt.total) {
				t.Fatalf("the confirmation: got %+v, want the float of %s", q, tt.total)
			}
			r.key("y")
			r.wantState(screenBasket, 0)
			if r.store.open == nil {
				t.Fatalf("no session opened (status %q)", r.m.status.text)
			}
			if got := r.store.open.FloatNote; got.Total() != tt.want.Total() || len(got.Lines) != len(tt.want.Lines) || got.Amount != tt.want.Amount {
				t.Errorf("float: got %+v, want %+v", got, tt.want)
			}
			for i, l := range tt.want.Lines {
				if r.store.open.FloatNote.Lines[i] != l {
					t.Errorf("float line %d: got %+v, want %+v", i, r.store.open.FloatNote.Lines[i], l)
				}
			}
			if strings.Contains(r.screen(), "Till not opened") {
				t.Errorf("the banner stays after the float:\n%s", r.screen())
			}
			if !strings.Contains(r.m.status.text, "till opened with a float of "+tt.total) {
				t.Errorf("status: got %q", r.m.status.text)
			}
		})
	}
}

// With a session open, the office key shows the menu and no banner.
func TestOfficeMenuWhenOpen(t *testing.T) {
	r := newOfficeRig(t, 100_00)
	if strings.Contains(r.screen(), "Till not opened") {
		t.Errorf("banner with a session open:\n%s", r.screen())
	}
	r.office()
	r.wantState(screenOffice, offMenu)
	for _, want := range []string{"Cash office", "float €100.00", "X report", "Paid out", "No sale", "Z report"} {
		if !strings.Contains(r.screen(), want) {
			t.Errorf("menu: %q missing\n%s", want, r.screen())
		}
	}
	r.key("esc")
	r.wantState(screenBasket, 0)
}

// The office opens only from an empty basket.
func TestOfficeOnlyFromAnEmptyBasket(t *testing.T) {
	r := newOfficeRig(t, 100_00)
	r.scan(milk.Code)
	r.office()
	r.wantState(screenBasket, 0)
	if !r.m.status.err || !strings.Contains(r.m.status.text, "opens from an empty basket") {
		t.Errorf("status: got %q", r.m.status.text)
	}
}

// Each movement asks an amount and a reason; paid-out and no-sale need a
// manager: refused when the manager gives up or types a wrong PIN,
// recorded with the manager's id when approved. Every movement opens the
// drawer.
func TestOfficeMovements(t *testing.T) {
	tests := []struct {
		name       string
		keys       []string // from the menu
		pin        string   // the manager's PIN: "" asks none
		kind       pos.MovementKind
		amount     pos.Money
		reason     string
		approvedBy int64
	}{
		{"paid in, reason from the list", []string{"2", "2", "0", "enter", "down", "enter"}, "", pos.MovePaidIn, 20_00, "float top-up", 0},
		{"pick-up, reason typed", []string{"4", "3", "0", "0", "enter", "b", "a", "n", "k", "enter"}, "", pos.MovePickup, 300_00, "bank", 0},
		{"paid out with a manager", []string{"3", "1", "2", ",", "5", "enter", "enter"}, "9999", pos.MovePaidOut, 12_50, "supplier paid in cash", 9},
		{"no sale with a manager", []string{"5", "down", "enter"}, "9999", pos.MoveNoSale, 0, "check a note", 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newOfficeRig(t, 100_00)
			r.office()
			for _, k := range tt.keys {
				r.key(k)
			}
			if tt.pin != "" {
				r.wantState(screenApproval, 0)
				r.approve(tt.pin)
			}
			r.wantState(screenOffice, offMenu)
			moves := r.store.movements()
			if len(moves) != 1 {
				t.Fatalf("movements: got %d, want 1 (status %q)", len(moves), r.m.status.text)
			}
			mv := moves[0]
			if mv.Kind != tt.kind || mv.Amount != tt.amount || mv.Reason != tt.reason || mv.ApprovedBy != tt.approvedBy || mv.CashierID != 1 {
				t.Errorf("movement: got %s %d %q approved by %d cashier %d; want %s %d %q approved by %d cashier 1",
					mv.Kind, mv.Amount, mv.Reason, mv.ApprovedBy, mv.CashierID, tt.kind, tt.amount, tt.reason, tt.approvedBy)
			}
			if r.drawer.kicks != 1 {
				t.Errorf("drawer kicks: got %d, want 1", r.drawer.kicks)
			}
			if !strings.Contains(r.m.status.text, "recorded: the drawer is open") {
				t.Errorf("status: got %q", r.m.status.text)
			}
		})
	}
}

// A paid-out is not recorded without a manager: giving up on the approval
// or a wrong PIN leaves nothing recorded and the drawer shut; then the
// manager's PIN records it.
func TestOfficePaidOutNeedsAManager(t *testing.T) {
	r := newOfficeRig(t, 100_00)
	r.office()
	for _, k := range []string{"3", "5", "enter", "enter"} {
		r.key(k)
	}
	r.wantState(screenApproval, 0)
	r.key("esc")
	r.wantState(screenOffice, offReason)
	if !r.m.status.err || !strings.Contains(r.m.status.text, "not approved") {
		t.Errorf("cancelled: got status %q", r.m.status.text)
	}
	r.key("enter")
	r.approve("1234")
	r.wantState(screenApproval, 0)
	if !strings.Contains(r.m.status.text, "not approved: wrong cashier number or PIN") {
		t.Errorf("wrong PIN: got status %q", r.m.status.text)
	}
	if n, k := len(r.store.movements()), r.drawer.kicks; n != 0 || k != 0 {
		t.Fatalf("refused: got %d movements, %d kicks; want none", n, k)
	}
	r.typeText("9999")
	r.key("enter")
	r.wantState(screenOffice, offMenu)
	if moves := r.store.movements(); len(moves) != 1 || moves[0].ApprovedBy != 9 || moves[0].Amount != 5_00 {
		t.Errorf("approved: got %+v, want one paid-out of 500 approved by 9", moves)
	}
	acts := strings.Join(r.db.auditActions(), " ")
	if !strings.Contains(acts, "approval_refused") || !strings.Contains(acts, "approval") {
		t.Errorf("audit: got %q, want a refusal and an approval", acts)
	}
}

// Bad input on the office's fields is refused on screen and in the log.
func TestOfficeBadInput(t *testing.T) {
	tests := []struct {
		name   string
		float  pos.Money
		keys   []string
		status string
	}{
		{"a letter in the amount", 100_00, []string{"2", "x"}, `"x" is not part of an amount`},
		{"no amount", 100_00, []string{"2", "enter"}, "type the amount of the paid in"},
		{"zero amount", 100_00, []string{"2", "0", "enter"}, "must be more than zero"},
		{"a point in a count", 0, []string{"down", "."}, `"." is not a count`},
		{"not on the menu", 100_00, []string{"9"}, `"9" is not on the menu`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newOfficeRig(t, tt.float)
			r.office()
			for _, k := range tt.keys {
				r.key(k)
			}
			if !r.m.status.err || !strings.Contains(r.m.status.text, tt.status) {
				t.Errorf("status: got %q, want %q", r.m.status.text, tt.status)
			}
			if n := len(r.store.movements()); n != 0 {
				t.Errorf("movements: got %d, want none", n)
			}
		})
	}
}

// The X report is shown with Report.Text, scrolls, and closes nothing.
func TestOfficeX(t *testing.T) {
	r := newOfficeRig(t, 100_00)
	r.office()
	for _, k := range []string{"2", "2", "0", "enter", "enter", "1"} {
		r.key(k)
	}
	r.wantState(screenOffice, offReport)
	s := r.screen()
	for _, want := range []string{"X REPORT (session open)", "Opening float", "€100.00"} {
		if !strings.Contains(s, want) {
			t.Errorf("X: %q missing\n%s", want, s)
		}
	}
	r.key("down")
	r.key("down")
	r.key("down")
	if r.m.office().scroll != 3 {
		t.Errorf("scroll: got %d, want 3", r.m.office().scroll)
	}
	for range 10 {
		r.key("down")
	}
	if s := r.screen(); !strings.Contains(s, "Paid in (1)") || !strings.Contains(s, "€120.00") {
		t.Errorf("X scrolled down: want Paid in (1) and the expected €120.00\n%s", s)
	}
	if r.store.open == nil || len(r.store.zs) != 0 {
		t.Errorf("the X closed the session")
	}
	r.key("f2")
	if len(r.reports.printed) != 1 || r.reports.printed[0].Kind != pos.ReportX || !strings.Contains(r.screen(), "printed") {
		t.Errorf("F2: printed %d reports, want the X (status %q)", len(r.reports.printed), r.m.status.text)
	}
	r.key("esc")
	r.wantState(screenOffice, offMenu)
}

// The Z: the drawer counted by note and coin, confirmed, the session
// closed and the Z shown and printed; back on the basket the till is not
// opened. A refusal of the store (sales still pending) is shown plainly
// and the count stays.
func TestOfficeZ(t *testing.T) {
	r := newOfficeRig(t, 100_00)
	r.store.pending = 2
	r.office()
	r.key("6")
	r.wantState(screenOffice, offCount)
	// €50 × 2 on row 4, then six rows down to €0.50 × 3
	for _, k := range []string{"down", "down", "down", "down", "2", "enter", "enter", "enter", "enter", "enter", "enter",
		"3", "f5"} {
		r.key(k)
	}
	if q := r.m.confirm; q == nil || !strings.Contains(q.question, "€101.50 counted") {
		t.Fatalf("confirmation: got %+v", q)
	}
	r.key("y")
	r.wantState(screenOffice, offCount)
	if !r.m.status.err || !strings.Contains(r.m.status.text, "2 sales or returns of this session are still pending") {
		t.Errorf("refused: got status %q", r.m.status.text)
	}
	r.store.pending = 0
	r.key("f5")
	r.key("y")
	r.wantState(screenOffice, offReport)
	if len(r.store.zs) != 1 || r.store.open != nil {
		t.Fatalf("Zs: got %d, session open %v; want one Z, closed", len(r.store.zs), r.store.open != nil)
	}
	z := r.store.zs[0]
	if z.Counted.Total() != 101_50 || z.Difference != 1_50 {
		t.Errorf("Z: counted %d difference %d; want 10150 and 150", z.Counted.Total(), z.Difference)
	}
	if len(r.reports.printed) != 1 || r.reports.printed[0].ZNumber != 1 {
		t.Errorf("printed: got %d reports, want Z 1", len(r.reports.printed))
	}
	if s := r.screen(); !strings.Contains(s, "Z REPORT, Z 1") {
		t.Errorf("Z not shown:\n%s", s)
	}
	r.key("esc")
	r.wantState(screenBasket, 0)
	if !strings.Contains(r.screen(), "Till not opened") {
		t.Errorf("after the Z: no banner\n%s", r.screen())
	}
	r.office() // the next key press counts the next float
	r.wantState(screenOffice, offCount)
}

// A Z that does not print is closed all the same, shown, and says why.
func TestOfficeZNotPrinted(t *testing.T) {
	r := newOfficeRig(t, 100_00)
	r.reports.err = pos.Errorf(pos.EUnavailable,
		"no printer is set up on this till (POS_PRINTER); the report is saved at /var/lib/till/receipts/2026-03-04/z-t1-1.pdf")
	r.office()
	for _, k := range []string{"6", "1", "0", "0", "enter", "y"} {
		r.key(k)
	}
	r.wantState(screenOffice, offReport)
	if !strings.Contains(r.m.status.text, "Z 1 is closed, but it did not print: no printer is set up") {
		t.Errorf("status: got %q", r.m.status.text)
	}
	if r.m.dbDown != "" {
		t.Errorf("a printer fault raised the database banner: %q", r.m.dbDown)
	}
	if s := r.screen(); !strings.Contains(s, "z-t1-1.pdf") || !strings.Contains(s, "Z REPORT, Z 1") {
		t.Errorf("the Z and where it is saved are not both on screen:\n%s", s)
	}
}

// A scanner burst is never a float, a count, an amount, a reason or a
// PIN: it is refused with a message and the field stays as typed.
func TestOfficeScanBursts(t *testing.T) {
	tests := []struct {
		name  string
		float pos.Money
		keys  []string // to reach the field
		state officeState
		field func(o *officeScreen) *field
	}{
		{"the float's sum", 0, nil, offCount, func(o *officeScreen) *field { return &o.sum }},
		{"a count of the float", 0, []string{"down", "down"}, offCount, func(o *officeScreen) *field { return &o.counts[1] }},
		{"the Z's count", 100_00, []string{"6", "down"}, offCount, func(o *officeScreen) *field { return &o.counts[0] }},
		{"an amount", 100_00, []string{"2"}, offAmount, func(o *officeScreen) *field { return &o.amount }},
		{"a reason", 100_00, []string{"4", "5", "enter"}, offReason, func(o *officeScreen) *field { return &o.reason }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newOfficeRig(t, tt.float)
			r.office()
			for _, k := range tt.keys {
				r.key(k)
			}
			r.scan("1111")
			r.wantState(screenOffice, tt.state)
			if f := tt.field(r.m.office()); !f.empty() {
				t.Errorf("after a scan: the field holds %q, want it empty", f.String())
			}
			if !r.m.status.err || !strings.Contains(r.m.status.text, "scanned 1111: a scan is not taken") {
				t.Errorf("status: got %q", r.m.status.text)
			}
			if r.m.confirm != nil || r.store.open != nil && tt.float == 0 || len(r.store.movements()) != 0 || len(r.store.zs) != 0 {
				t.Errorf("a scan did something: confirm %v, moves %d, Zs %d", r.m.confirm, len(r.store.movements()), len(r.store.zs))
			}
			r.typeText("1") // typing by hand still works
			if f := tt.field(r.m.office()); f.String() != "1" {
				t.Errorf("typed after the scan: got %q, want 1", f.String())
			}
		})
	}
	t.Run("the manager's PIN", func(t *testing.T) {
		r := newOfficeRig(t, 100_00)
		r.office()
		for _, k := range []string{"5", "enter"} {
			r.key(k)
		}
		r.wantState(screenApproval, 0)
		r.typeText("900")
		r.key("tab")
		r.scan("9999")
		a := r.m.screens[screenApproval].(*approvalScreen)
		if !a.pin.empty() || r.managers.refused != 0 || len(r.store.movements()) != 0 || r.drawer.kicks != 0 {
			t.Errorf("a scanned PIN was taken: field %q, tries %d, moves %d, kicks %d", a.pin.String(),
				r.managers.refused, len(r.store.movements()), r.drawer.kicks)
		}
		r.typeText("9999")
		r.key("enter")
		if moves := r.store.movements(); len(moves) != 1 || moves[0].Kind != pos.MoveNoSale || r.drawer.kicks != 1 {
			t.Errorf("typed PIN: got %+v, %d kicks; want one no-sale and the drawer open", moves, r.drawer.kicks)
		}
	})
}

// A stop signal waits while the office records (the float, a movement,
// the Z), and passes once it has; ctrl+c says why it waits. Reading the X
// records nothing and holds nothing.
func TestOfficeQuitHeldWhileRecording(t *testing.T) {
	tests := []struct {
		name  string
		float pos.Money
		keys  []string // up to the key whose command records
		last  string
		op    officeOp
		hold  bool
		after officeState
	}{
		{"the float", 0, []string{"5", "0", "enter"}, "y", opOpen, true, 0},
		{"a pick-up", 100_00, []string{"4", "5", "0", "enter"}, "enter", opMove, true, offMenu},
		{"the Z", 100_00, []string{"6", "1", "0", "0", "enter"}, "y", opZ, true, offReport},
		{"the X", 100_00, nil, "1", opX, false, offReport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newOfficeRig(t, tt.float)
			r.office()
			for _, k := range tt.keys {
				r.key(k)
			}
			if got := r.m.Filter(r.m, tea.QuitMsg{}); got == nil {
				t.Fatalf("before: got the quit held, want it passed")
			}
			// The last key as the program delivers it, its command kept
			// back: the request is in flight until the command answers.
			r.typed += humanGap
			_, cmd := r.m.Update(keyPress(tt.last))
			if tt.last != "enter" {
				r.typed += burstGap
				_, cmd = r.m.Update(burstFlushMsg{seq: r.m.burst.seq})
			}
			if cmd == nil || r.m.office().state != offBusy || r.m.office().op != tt.op {
				t.Fatalf("in flight: state %s op %s, want busy with %s", r.m.office().state, r.m.office().op, tt.op)
			}
			if held := r.m.Filter(r.m, tea.QuitMsg{}) == nil; held != tt.hold {
				t.Errorf("in flight: quit held %v, want %v", held, tt.hold)
			}
			if tt.hold {
				r.m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
				if !strings.Contains(r.m.status.text, "the cash office is recording") {
					t.Errorf("ctrl+c: got status %q", r.m.status.text)
				}
			}
			r.run(cmd)
			if tt.op == opOpen {
				r.wantState(screenBasket, 0)
			} else {
				r.wantState(screenOffice, tt.after)
			}
			if got := r.m.Filter(r.m, tea.QuitMsg{}); got == nil {
				t.Errorf("answered: got the quit held, want it passed")
			}
		})
	}
}

// An answer to an earlier request is dropped: the screen stays where the
// cashier is.
func TestOfficeStaleAnswerDropped(t *testing.T) {
	r := newOfficeRig(t, 100_00)
	r.office()
	r.wantState(screenOffice, offMenu)
	r.send(officeMsg{req: r.m.lastReq + 7, op: opZ, report: pos.Report{Kind: pos.ReportZ, ZNumber: 9}})
	r.wantState(screenOffice, offMenu)
	if r.m.office().till != tillOpen {
		t.Errorf("a stale Z changed the till's state to %d", r.m.office().till)
	}
}

// The database down while the float is recorded: said on screen, the
// count kept; once it answers the same count opens the till.
func TestOfficeFloatWhileTheDatabaseIsDown(t *testing.T) {
	r := newOfficeRig(t, 0)
	r.office()
	r.store.setDown(true)
	for _, k := range []string{"5", "0", "enter", "y"} {
		r.key(k)
	}
	r.wantState(screenOffice, offCount)
	if !r.m.status.err || r.m.dbDown == "" {
		t.Errorf("down: status %q, banner %q; want the database named", r.m.status.text, r.m.dbDown)
	}
	if got := r.m.office().sum.String(); got != "50" {
		t.Errorf("the count after the failure: got %q, want 50", got)
	}
	r.store.setDown(false)
	r.key("enter")
	r.key("y")
	r.wantState(screenBasket, 0)
	if r.store.open == nil || r.store.open.Float != 50_00 || r.m.dbDown != "" {
		t.Errorf("up: session %+v, banner %q; want a float of 5000 and no banner", r.store.open, r.m.dbDown)
	}
}

// A session closed elsewhere (till report z on the command line): the
// store's refusal is shown as it says it, and the banner comes back.
func TestOfficeSessionClosedElsewhere(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want string
	}{
		{"a paid-in", []string{"2", "5", "enter", "enter"}, "no session is open at till t1: open the till with a float first"},
		{"the X", []string{"1"}, "no session is open at till t1: there is nothing to report"},
		{"the Z", []string{"6", "5", "0", "enter", "y"}, "no session is open at till t1: it was closed already"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newOfficeRig(t, 100_00)
			r.office()
			r.wantState(screenOffice, offMenu)
			r.store.mu.Lock()
			r.store.open = nil
			r.store.mu.Unlock()
			for _, k := range tt.keys {
				r.key(k)
			}
			if !r.m.status.err || r.m.status.text != tt.want {
				t.Errorf("status: got %q, want %q", r.m.status.text, tt.want)
			}
			for i := 0; i < 4 && r.m.active == screenOffice; i++ {
				r.key("esc")
			}
			if !strings.Contains(r.screen(), "Till not opened") {
				t.Errorf("no banner back on the basket:\n%s", r.screen())
			}
		})
	}
}

// The session check of a sign-in that answers late (no session, asked
// before the float) does not bring the banner back over a till opened
// meanwhile.
func TestOfficeLateSessionCheckDropped(t *testing.T) {
	r := newOfficeRig(t, 0)
	late := r.m.checkTill()() // asked now, delivered after the float
	r.office()
	for _, k := range []string{"5", "0", "enter", "y"} {
		r.key(k)
	}
	r.wantState(screenBasket, 0)
	r.send(late)
	if r.m.office().till != tillOpen || strings.Contains(r.screen(), "Till not opened") {
		t.Errorf("a late check said the till is not opened:\n%s", r.screen())
	}
}

func TestWrapWords(t *testing.T) {
	tests := []struct {
		s    string
		w    int
		want []string
	}{
		{"saved at /var/lib/till/z-t1-1.pdf", 24, []string{"saved at", "/var/lib/till/z-t1-1.pdf"}},
		{"a b c", 3, []string{"a b", "c"}},
		{"abcdefgh", 3, []string{"abc", "def", "gh"}},
		{"", 5, nil},
	}
	for _, tt := range tests {
		if got := wrapWords(tt.s, tt.w); strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("wrapWords(%q, %d): got %q, want %q", tt.s, tt.w, got, tt.want)
		}
	}
}

// TestOfficeZWaitsForOfflineSales: while sales sold offline wait to be
// sent, their cash is in the drawer but not in the database: the Z is
// refused until they are sent.
func TestOfficeZWaitsForOfflineSales(t *testing.T) {
	r := newOfficeRig(t, 100_00)
	r.send(offlineStatusMsg{OfflineStatus{Reachable: true, Waiting: 2}})
	r.office()
	r.key("6")
	if r.m.office().state == offCount || !r.m.status.err ||
		!strings.Contains(r.m.status.text, "2 sales sold offline still wait") {
		t.Fatalf("Z with offline sales waiting: status %q", r.m.status.text)
	}
	r.send(offlineStatusMsg{OfflineStatus{Reachable: true}})
	r.key("6")
	r.wantState(screenOffice, offCount)
}
