package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// officeScreen is the cash office (issue 12), opened from an empty basket:
// counting the float that opens the till, the X report, paid-in, paid-out,
// pick-ups, no-sales, and the Z that counts the drawer and closes the
// till. Every call goes through pos.CashOffice inside a command; paid-out
// and no-sale ask a manager on the approval screen first.
type officeScreen struct {
	till    tillState
	session pos.Session // when till is tillOpen
	// checkReq is the session check after a sign-in, which runs while the
	// basket is shown; req is the office's own request (state offBusy).
	checkReq, req int

	state officeState
	op    officeOp // offBusy: what is in flight
	sel   int      // the menu's selected entry

	// the count of the drawer
	count  countFor
	counts []field // one per note or coin, largest first
	sum    field   // what was counted as one sum
	row    int     // the row being typed; len(counts) is the sum

	// the cash movement being entered
	kind      pos.MovementKind
	amount    field
	money     pos.Money // the amount, once typed
	reason    field     // a reason typed
	reasonSel int       // the reason chosen from the list
	manager   pos.Cashier

	// the report on screen
	report pos.Report
	lines  []string // its text (pos.Report.Text)
	scroll int
	note   string // what printing or saving it said
}

func newOffice() *officeScreen {
	return &officeScreen{amount: field{max: 12, accept: amountChars}, reason: field{max: 60},
		sum: field{max: 12, accept: amountChars}}
}

func (m *Model) office() *officeScreen { return m.screens[screenOffice].(*officeScreen) }

// officeRecording reports whether the office is writing to the database
// (opening the till, a movement, the Z): the till does not stop meanwhile.
func (m *Model) officeRecording() bool {
	o := m.office()
	return m.active == screenOffice && o.state == offBusy && o.op.records()
}

// tillNotOpened reports whether the basket's banner asks for a float.
func (m *Model) tillNotOpened() bool {
	return m.deps.CashOffice != nil && m.cashier != nil && m.office().till == tillClosed
}

// checkTill asks whether a session is open at this till, after a sign-in:
// the answer raises or lowers the basket's banner. Selling never waits.
func (m *Model) checkTill() tea.Cmd {
	if m.deps.CashOffice == nil {
		return nil
	}
	o := m.office()
	o.checkReq = m.nextReq()
	return m.officeCmd(o.checkReq, opCurrent, nil)
}

// officeCmd runs one CashOffice call in a command.
func (m *Model) officeCmd(req int, op officeOp, call func(ctx context.Context, co *pos.CashOffice, msg *officeMsg)) tea.Cmd {
	ctx, co := m.ctx, m.deps.CashOffice
	return func() tea.Msg {
		msg := officeMsg{req: req, op: op}
		if op == opCurrent {
			msg.session, msg.err = co.Current(ctx)
		} else {
			call(ctx, co, &msg)
		}
		return msg
	}
}

// openOffice is the office key on the basket: only from an empty basket,
// with no sale, payment or return in flight.
func (m *Model) openOffice() tea.Cmd {
	switch {
	case m.deps.CashOffice == nil:
		return m.badInput("the cash office is not set up on this till")
	case m.cashier == nil:
		return m.badInput("sign in first")
	case m.inProgress(), m.sale.Settling():
		return m.badInput("finish or void this sale first: the cash office opens from an empty basket")
	case m.returnSettling():
		return m.badInput("a return is being refunded: the cash office opens once it is done")
	}
	o := m.office()
	m.goTo(screenOffice)
	m.setStatus("", false)
	return o.send(m, opCurrent, nil)
}

// send puts the screen in offBusy and runs op.
// A session check still out from the sign-in is dropped when it answers:
// this request's answer is newer.
func (o *officeScreen) send(m *Model, op officeOp, call func(ctx context.Context, co *pos.CashOffice, msg *officeMsg)) tea.Cmd {
	o.state, o.op, o.req, o.checkReq = offBusy, op, m.nextReq(), 0
	m.log.Info("cash office", "op", op.String())
	return m.officeCmd(o.req, op, call)
}

func (o *officeScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case officeMsg:
		return o.answer(m, msg)
	case approvedMsg:
		if msg.purpose == approveOffice && o.state == offReason {
			o.manager = msg.manager
			return o.sendMove(m)
		}
	case tea.KeyPressMsg:
		return o.key(m, msg)
	}
	return nil
}

func (o *officeScreen) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	switch o.state {
	case offBusy:
		return nil // the answer is awaited: keys wait
	case offMenu:
		return o.menuKey(m, msg)
	case offCount:
		return o.countKey(m, msg)
	case offAmount:
		return o.amountKey(m, msg)
	case offReason:
		return o.reasonKey(m, msg)
	case offReport:
		return o.reportKey(m, msg)
	}
	return nil
}

// officeAction is what a menu entry does.
type officeAction int

const (
	actX officeAction = iota + 1
	actMove
	actZ
)

type officeEntry struct {
	key   key.Binding
	label string
	act   officeAction
	kind  pos.MovementKind
}

func (m *Model) officeMenu() []officeEntry {
	return []officeEntry{
		{m.km.OfficeX, "X report: the session so far", actX, ""},
		{m.km.OfficePaidIn, "Paid in", actMove, pos.MovePaidIn},
		{m.km.OfficePaidOut, "Paid out (a manager approves)", actMove, pos.MovePaidOut},
		{m.km.OfficePickup, "Pick-up to the safe", actMove, pos.MovePickup},
		{m.km.OfficeNoSale, "No sale: open the drawer (a manager approves)", actMove, pos.MoveNoSale},
		{m.km.OfficeZ, "Z report: count the drawer, close the till", actZ, ""},
	}
}

func (o *officeScreen) menuKey(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	entries := m.officeMenu()
	switch {
	case key.Matches(msg, m.km.Esc):
		m.goTo(screenBasket)
		return nil
	case key.Matches(msg, m.km.Up):
		o.sel = max(o.sel-1, 0)
		return nil
	case key.Matches(msg, m.km.Down):
		o.sel = min(o.sel+1, len(entries)-1)
		return nil
	case key.Matches(msg, m.km.Enter):
		return o.choose(m, entries[o.sel])
	}
	for i, e := range entries {
		if key.Matches(msg, e.key) {
			o.sel = i
			return o.choose(m, e)
		}
	}
	if msg.Text != "" {
		return m.badInput(fmt.Sprintf("%q is not on the menu: 1 to %d, or esc", msg.Text, len(entries)))
	}
	return nil
}

func (o *officeScreen) choose(m *Model, e officeEntry) tea.Cmd {
	if e.act == actZ && m.off.status.Waiting > 0 {
		// Their cash is in this drawer: the Z must count them.
		return m.badInput(fmt.Sprintf("%s sold offline still wait to be sent to the database: the Z waits for them",
			plural(m.off.status.Waiting, "sale")))
	}
	switch e.act {
	case actX:
		m.setStatus("reading the X report…", false)
		return o.send(m, opX, func(ctx context.Context, co *pos.CashOffice, msg *officeMsg) { msg.report, msg.err = co.X(ctx) })
	case actZ:
		o.startCount(m, countClose)
		m.setStatus("count the drawer by note and coin for the Z", false)
		return nil
	}
	o.kind, o.money, o.manager, o.reasonSel = e.kind, 0, pos.Cashier{}, 0
	o.amount.reset()
	o.reason.reset()
	if e.kind == pos.MoveNoSale {
		o.state = offReason // a no-sale moves no money
		m.setStatus("no sale: why is the drawer opened?", false)
		return nil
	}
	o.state = offAmount
	m.setStatus(e.kind.Label()+": type the amount", false)
	return nil
}

// startCount shows the count of the drawer, every row empty.
func (o *officeScreen) startCount(m *Model, f countFor) {
	o.state, o.count, o.row = offCount, f, 0
	o.counts = make([]field, len(pos.Denominations(m.set.Currency)))
	for i := range o.counts {
		o.counts[i] = field{max: 5, accept: digitsOnly}
	}
	o.sum.reset()
}

func (o *officeScreen) countKey(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	last := len(o.counts) // row 0 is the sum, then one row a note or coin
	switch {
	case key.Matches(msg, m.km.Esc):
		if o.count == countFloat {
			m.goTo(screenBasket)
			m.setStatus("the float is not counted: the till is not opened", true)
			return nil
		}
		o.state = offMenu
		m.setStatus("the Z was not taken: the till stays open", false)
		return nil
	case key.Matches(msg, m.km.Up), msg.String() == "shift+tab":
		o.row = max(o.row-1, 0)
	case key.Matches(msg, m.km.Down), msg.String() == "tab":
		o.row = min(o.row+1, last)
	case key.Matches(msg, m.km.CountDone):
		return o.countDone(m)
	case key.Matches(msg, m.km.Enter):
		// A sum typed on its own is the whole count; otherwise Enter goes
		// down the notes and coins, and on the last one the count is done.
		if o.row == last || o.row == 0 && !o.sum.empty() && o.noCounts() {
			return o.countDone(m)
		}
		o.row++
	case o.row == 0:
		if !all(msg.Text, amountChars) {
			return m.badInput(fmt.Sprintf("%q is not part of an amount: digits and a point", msg.Text))
		}
		o.sum.key(msg)
	default:
		if !all(msg.Text, digitsOnly) {
			return m.badInput(fmt.Sprintf("%q is not a count: type how many of %s, in digits", msg.Text,
				m.money(pos.Denominations(m.set.Currency)[o.row-1])))
		}
		o.counts[o.row-1].key(msg)
	}
	return nil
}

// noCounts reports whether no note or coin was counted.
func (o *officeScreen) noCounts() bool {
	for _, f := range o.counts {
		if !f.empty() {
			return false
		}
	}
	return true
}

// counted is the count typed so far.
func (o *officeScreen) counted(m *Model) (pos.CashCount, error) {
	var c pos.CashCount
	denoms := pos.Denominations(m.set.Currency)
	for i, f := range o.counts {
		if f.empty() {
			continue
		}
		n, err := strconv.ParseInt(f.String(), 10, 64)
		if err != nil {
			return c, pos.Errorf(pos.EInvalid, "%q is not a count of %s", f.String(), m.money(denoms[i]))
		}
		c.Lines = append(c.Lines, pos.CountLine{Denomination: denoms[i], Quantity: n})
	}
	if !o.sum.empty() {
		a, err := parseAmount(m.set.Currency, o.sum.String())
		if err != nil {
			return c, err
		}
		c.Amount = a
	}
	return c, c.Validate(m.set.Currency)
}

// countDone asks the cashier to confirm the count, then opens or closes.
func (o *officeScreen) countDone(m *Model) tea.Cmd {
	c, err := o.counted(m)
	if err != nil {
		return m.badInput(pos.ErrorMessage(err))
	}
	total := m.money(c.Total())
	if o.count == countFloat {
		m.ask(fmt.Sprintf("Open the till with a float of %s? y/n", total), func() tea.Cmd {
			m.setStatus("opening the till…", false)
			cashier := m.cashier.ID
			return o.send(m, opOpen, func(ctx context.Context, co *pos.CashOffice, msg *officeMsg) {
				msg.session, msg.err = co.Open(ctx, cashier, c)
			})
		})
		return nil
	}
	m.ask(fmt.Sprintf("Close the till with %s counted? The Z ends the session. y/n", total), func() tea.Cmd {
		m.setStatus("closing the till: the Z is being recorded…", false)
		cashier := m.cashier.ID
		return o.send(m, opZ, func(ctx context.Context, co *pos.CashOffice, msg *officeMsg) {
			msg.report, msg.err = co.Z(ctx, cashier, c)
		})
	})
	return nil
}

func (o *officeScreen) amountKey(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.km.Esc):
		o.state = offMenu
		m.setStatus(o.kind.Label()+" cancelled", false)
	case key.Matches(msg, m.km.Enter):
		typed := o.amount.String()
		a, err := parseAmount(m.set.Currency, typed)
		switch {
		case typed == "":
			return m.badInput("type the amount of the " + o.kind.Label())
		case err != nil:
			o.amount.reset()
			return m.badInput(pos.ErrorMessage(err))
		case a <= 0:
			o.amount.reset()
			return m.badInput("the amount of a " + o.kind.Label() + " must be more than zero")
		case a > pos.MaxMoney:
			o.amount.reset()
			return m.badInput("the amount is too large")
		}
		o.money, o.state = a, offReason
		m.setStatus(fmt.Sprintf("%s %s: choose or type the reason", o.kind.Label(), m.money(a)), false)
	default:
		if !all(msg.Text, amountChars) {
			return m.badInput(fmt.Sprintf("%q is not part of an amount: digits and a point", msg.Text))
		}
		o.amount.key(msg)
	}
	return nil
}

func (o *officeScreen) reasonKey(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	list := reasons(o.kind)
	switch {
	case key.Matches(msg, m.km.Esc):
		if o.kind == pos.MoveNoSale {
			o.state = offMenu
			m.setStatus("no sale cancelled", false)
			return nil
		}
		o.state = offAmount
	case key.Matches(msg, m.km.Up):
		o.reasonSel = max(o.reasonSel-1, 0)
	case key.Matches(msg, m.km.Down):
		o.reasonSel = min(o.reasonSel+1, len(list)-1)
	case key.Matches(msg, m.km.Enter):
		if o.kind.NeedsManager() && o.manager.ID == 0 {
			return m.askApproval(approvalAsk{purpose: approveOffice, action: o.action(m), back: screenOffice})
		}
		return o.sendMove(m)
	default:
		o.reason.key(msg)
	}
	return nil
}

// why is the reason: typed, or chosen from the list.
func (o *officeScreen) why() string {
	if r := strings.TrimSpace(o.reason.String()); r != "" {
		return r
	}
	if list := reasons(o.kind); o.reasonSel < len(list) {
		return list[o.reasonSel]
	}
	return ""
}

// action is the movement as the manager approves it and the audit says it.
func (o *officeScreen) action(m *Model) string {
	if o.kind == pos.MoveNoSale {
		return "a no-sale (" + o.why() + ")"
	}
	return fmt.Sprintf("%s %s (%s)", o.kind.Label(), m.money(o.money), o.why())
}

func (o *officeScreen) sendMove(m *Model) tea.Cmd {
	kind, amount, why, cashier, manager := o.kind, o.money, o.why(), m.cashier.ID, o.manager.ID
	m.setStatus("recording the "+kind.Label()+"…", false)
	return o.send(m, opMove, func(ctx context.Context, co *pos.CashOffice, msg *officeMsg) {
		msg.move, msg.err = co.Move(ctx, kind, amount, why, cashier, manager)
	})
}

func (o *officeScreen) reportKey(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.km.Esc):
		o.note = ""
		if o.report.Kind == pos.ReportZ {
			m.goTo(screenBasket)
			m.setStatus(fmt.Sprintf("Z %d closed the till: count a float (%s) to open it again", o.report.ZNumber,
				m.km.Office.Help().Key), false)
			return nil
		}
		o.state = offMenu
	case key.Matches(msg, m.km.Up):
		o.scroll = max(o.scroll-1, 0)
	case key.Matches(msg, m.km.Down):
		o.scroll++
	case key.Matches(msg, m.km.PageUp):
		o.scroll = max(o.scroll-10, 0)
	case key.Matches(msg, m.km.PageDown):
		o.scroll += 10
	case key.Matches(msg, m.km.Print), key.Matches(msg, m.km.Save):
		if m.deps.Reports == nil {
			return m.badInput("reports are not printed or saved on this till: receipts are not set up")
		}
		rep, sink, save := o.report, m.deps.Reports, key.Matches(msg, m.km.Save)
		o.note = "working…"
		if save {
			return o.send(m, opSave, func(ctx context.Context, _ *pos.CashOffice, msg *officeMsg) {
				msg.where, msg.err = sink.SaveReport(ctx, rep)
			})
		}
		return o.send(m, opPrint, func(ctx context.Context, _ *pos.CashOffice, msg *officeMsg) { msg.err = sink.PrintReport(ctx, rep) })
	}
	return nil
}

// all reports whether every character of s is ok (true for no text: a
// named key such as backspace).
func all(s string, ok func(rune) bool) bool {
	for _, r := range s {
		if !ok(r) {
			return false
		}
	}
	return true
}

// scanned refuses a scanner burst: a count, an amount or a reason is
// typed by hand, never scanned (a scan once became €96 million of cash).
func (o *officeScreen) scanned(m *Model, code string) tea.Cmd {
	what := map[officeState]string{offCount: "a count", offAmount: "an amount", offReason: "a reason"}[o.state]
	if what == "" {
		return m.badInput(fmt.Sprintf("scanned %s: a scan is not taken here: the cash office takes no scans (%s goes back to the basket)",
			code, m.km.Esc.Help().Key))
	}
	return m.badInput(fmt.Sprintf("scanned %s: a scan is not taken as %s here; type it by hand", code, what))
}

// noSession reports whether the store refused because no session is open
// at the till (closed meanwhile, e.g. by till report z): the banner comes
// back.
func noSession(err error) bool {
	return strings.Contains(pos.ErrorMessage(err), "no session is open")
}

// answer takes the answer of an office request; a stale one is dropped.
func (o *officeScreen) answer(m *Model, msg officeMsg) tea.Cmd {
	if msg.op == opCurrent && msg.req == o.checkReq {
		o.checkReq = 0
		o.noteSession(m, msg)
		return nil
	}
	if msg.req != o.req || o.state != offBusy {
		m.log.Info("cash office: stale answer dropped", "op", msg.op.String(), "req", msg.req)
		return nil
	}
	o.req = 0
	switch msg.op {
	case opCurrent:
		o.noteSession(m, msg)
		switch {
		case o.till == tillClosed:
			o.startCount(m, countFloat)
			m.setStatus("the till is not opened: count the float by note and coin, or type it as a sum", false)
			return nil
		case msg.err != nil:
			o.state = offMenu
			return m.fail("check the till's session", msg.err)
		}
		o.state = offMenu
		m.setStatus(fmt.Sprintf("session %d open since %s", o.session.ID, o.session.OpenedAt.In(m.clock().Location()).Format("15:04")), false)
	case opOpen:
		if msg.err != nil {
			o.state = offCount
			return m.fail("open the till", msg.err)
		}
		m.noteDB(nil)
		o.till, o.session = tillOpen, msg.session
		m.log.Info("till opened", "session", msg.session.ID, "float", msg.session.Float)
		m.goTo(screenBasket)
		m.setStatus(fmt.Sprintf("till opened with a float of %s: ready to scan", m.money(msg.session.Float)), false)
	case opMove:
		return o.moved(m, msg)
	case opX:
		if msg.err != nil {
			if noSession(msg.err) {
				o.till = tillClosed
			}
			o.state = offMenu
			return m.fail("read the X report", msg.err)
		}
		m.noteDB(nil)
		o.show(m, msg.report)
		m.setStatus("X report: the session so far; nothing is closed", false)
	case opZ:
		if msg.report.ZNumber == 0 {
			if noSession(msg.err) {
				o.till = tillClosed
			}
			o.state = offCount
			return m.fail("close the till", msg.err)
		}
		o.till, o.session = tillClosed, pos.Session{}
		o.show(m, msg.report)
		m.log.Info("till closed", "z", msg.report.ZNumber, "difference", msg.report.Difference)
		if msg.err != nil { // closed, but not printed
			o.note = withCause(msg.err)
			cmd := m.fault("print the Z", msg.err)
			m.setStatus(o.note, true)
			return cmd
		}
		m.noteDB(nil)
		m.setStatus(fmt.Sprintf("Z %d recorded and printed: the till is closed", msg.report.ZNumber), false)
	case opPrint, opSave:
		o.state = offReport
		if msg.err != nil {
			o.note = pos.ErrorMessage(msg.err)
			return m.fault(msg.op.String(), msg.err)
		}
		o.note = "printed"
		if msg.op == opSave {
			o.note = "saved to " + msg.where
		}
		m.setStatus("report "+o.note, false)
	}
	return nil
}

// withCause is an error's message followed by its cause's, when the cause
// has one for the cashier too ("Z 3 is closed, but it did not print: no
// printer is set up…").
func withCause(err error) string {
	msg := pos.ErrorMessage(err)
	var e *pos.Error
	if errors.As(err, &e) && e.Err != nil {
		var c *pos.Error
		if errors.As(e.Err, &c) && c.Message != "" && c.Message != msg {
			msg += ": " + c.Message
		}
	}
	return msg
}

// noteSession keeps what an answer says of the session.
func (o *officeScreen) noteSession(m *Model, msg officeMsg) {
	switch {
	case msg.err == nil:
		m.noteDB(nil)
		o.till, o.session = tillOpen, msg.session
	case pos.ErrorCode(msg.err) == pos.ENotFound:
		m.noteDB(nil)
		o.till, o.session = tillClosed, pos.Session{}
	default:
		m.log.Warn("check the till's session", "err", msg.err)
		m.noteDB(msg.err)
	}
}

// show puts a report on screen; its text is laid out once, here.
func (o *officeScreen) show(m *Model, r pos.Report) {
	o.state, o.report, o.scroll, o.note = offReport, r, 0, ""
	o.lines = r.Text(m.set.Currency, m.clock().Location())
}

// moved takes the answer of a movement.
func (o *officeScreen) moved(m *Model, msg officeMsg) tea.Cmd {
	o.manager = pos.Cashier{}
	if msg.err != nil && msg.move.ID == 0 {
		o.state = offReason // what was typed stays: try again, or esc
		if noSession(msg.err) {
			o.till = tillClosed
		}
		return m.fail("record the "+o.kind.Label(), msg.err)
	}
	o.state = offMenu
	what := o.kind.Label() + " recorded"
	if o.kind != pos.MoveNoSale {
		what = fmt.Sprintf("%s %s recorded", o.kind.Label(), m.money(msg.move.Amount))
	}
	m.log.Info("cash movement", "kind", msg.move.Kind, "amount", msg.move.Amount, "approved_by", msg.move.ApprovedBy)
	if msg.err != nil { // recorded; the drawer did not open
		cmd := m.fault("open the cash drawer", msg.err)
		m.setStatus(withCause(msg.err), true)
		return cmd
	}
	m.noteDB(nil)
	if m.deps.Drawer == nil {
		m.setStatus(what+": no drawer is connected, open it with its key", false)
		return nil
	}
	m.setStatus(what+": the drawer is open", false)
	return nil
}

func (o *officeScreen) bindings(m *Model) []key.Binding {
	switch o.state {
	case offMenu:
		out := []key.Binding{}
		for _, e := range m.officeMenu() {
			out = append(out, e.key)
		}
		return append(out, with(m.km.Esc, "back to the basket"))
	case offCount:
		return []key.Binding{with(m.km.Enter, "next"), with(m.km.Up, "row"), m.km.CountDone, with(m.km.Esc, "cancel")}
	case offAmount:
		return []key.Binding{with(m.km.Enter, "amount"), with(m.km.Esc, "cancel")}
	case offReason:
		return []key.Binding{with(m.km.Enter, "record"), with(m.km.Up, "choose a reason"), with(m.km.Esc, "back")}
	case offReport:
		return []key.Binding{with(m.km.Up, "scroll"), m.km.PageDown, with(m.km.Print, "print"),
			with(m.km.Save, "save"), with(m.km.Esc, "back")}
	}
	return []key.Binding{m.km.Quit}
}
