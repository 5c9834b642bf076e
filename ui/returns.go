package ui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// returnScreen takes goods back and gives money back: a sale opened from
// its receipt (scanned, or its number typed), or items without a receipt
// once a manager approved. The cashier chooses quantities, reasons and
// restock; the plan (pos.PlanReturn) is shown as it changes: each line's
// refund, the card and cash parts, the points taken back. Enter records it
// and runs the return protocol of pos.Returns; the screen cannot be left
// while the return is recorded and not finished.
type returnScreen struct {
	state returnState
	mode  returnMode
	entry entryMode
	field field
	req   int // the look-up in flight (sale number, sale)

	src   pos.Returnable   // the sale by receipt; zero without one
	lines []pos.ReturnLine // what comes back: Quantity 0 is not chosen
	sel   int
	cash  bool // cash instead of the card (a manager approves)
	key   string
	// approvedBy is the manager who approved approvedFor ("" none): a plan
	// that needs the same approval goes on without asking again.
	approvedBy  int64
	approvedFor string
	sent        pos.ReturnRequest // the request recorded, or waiting for a manager
	cashBy      int64             // the manager who approved cash for a failed card

	plan    pos.Return // the plan of what is chosen
	planErr error
	ret     pos.Return // the return as recorded
	problem string     // why a card refund failed or is unknown
	tries   int
	// step numbers the protocol's steps run; waiting is the one whose
	// answer is awaited (0: none), so a retry never runs beside it.
	step, waiting int

	receipt  string // what became of the refund receipt
	printing bool

	spin spinner.Model // turns while the return is in flight
}

// noReceiptAction is what a manager approves to start a return without a
// receipt, named as pos.PlanReturn names it, so the plan needs no second
// approval.
const noReceiptAction = "a return without a receipt"

func newReturn() *returnScreen { return &returnScreen{spin: newReturnSpinner()} }

func newReturnSpinner() spinner.Model { return spinner.New(spinner.WithSpinner(spinner.Line)) }

// returns is the return screen, which the root asks whether money moves.
func (m *Model) returns() *returnScreen { return m.screens[screenReturn].(*returnScreen) }

// returnSettling reports whether a return is being recorded or refunded:
// quit waits for it.
func (m *Model) returnSettling() bool { return m.returns().state.inFlight() }

// startReturn opens the return of the sale a receipt names, from the
// basket: only with an empty basket.
func (m *Model) startReturn(s returnStartMsg) tea.Cmd {
	if m.offline() {
		return m.badInput("the till is offline: returns need the database (the sale and what is left of it); take it back once it answers")
	}
	what := ""
	if s.saleKey != "" {
		what = "that is a receipt: "
	}
	switch {
	case m.deps.Returns == nil:
		return m.badInput(what + "returns are not set up on this till")
	case m.inProgress():
		return m.badInput(what + "finish or void this sale first: a return starts from an empty basket")
	case m.cashier == nil:
		return m.badInput("sign in first")
	case s.mode == modeNoReceipt && s.manager.ID == 0:
		return m.askApproval(approvalAsk{purpose: approveNoReceipt, action: noReceiptAction, back: screenReturn})
	case s.number && m.deps.SaleNumbers == nil:
		return m.badInput("sale numbers cannot be looked up on this till: scan the receipt's barcode")
	}
	return m.show(screenReturn, s)
}

func (r *returnScreen) reset() {
	*r = returnScreen{spin: r.spin}
}

func (r *returnScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case returnStartMsg:
		return r.start(m, msg)
	case approvedMsg:
		return r.approved(m, msg)
	case approvalCancelledMsg:
		switch msg.purpose {
		case approveNoReceipt:
			r.reset()
			m.goTo(screenBasket)
		case approveCash:
			r.state = retFailed
		}
	case saleNumberMsg:
		if msg.req != r.req || r.state != retOpening {
			return nil
		}
		if msg.err != nil {
			r.state, r.entry = retNumber, entryNumber
			if pos.ErrorCode(msg.err) == pos.ENotFound {
				m.noteDB(nil)
				return m.badInput(fmt.Sprintf("no sale number %d: check the number on the receipt", msg.number))
			}
			return m.fail("find sale number", msg.err)
		}
		return r.open(m, msg.key)
	case returnableMsg:
		return r.opened(m, msg)
	case returnStepMsg:
		if msg.key != r.key || msg.step != r.waiting || msg.op.state() != r.state {
			return nil // a stale answer: the return it belongs to is over
		}
		r.waiting = 0
		return r.answered(m, msg)
	case returnRetryMsg:
		if msg.key != r.key || msg.step != r.step || r.waiting != 0 || msg.op.state() != r.state {
			return nil // the step ran again meanwhile (enter), or the return is over
		}
		return r.run(m, msg.op)
	case refundReceiptMsg:
		if msg.key != r.ret.Key {
			return nil
		}
		r.printing = false
		if msg.err != nil {
			r.receipt = "failed: " + pos.ErrorMessage(msg.err)
			cmd := m.fault("refund receipt", msg.err)
			m.setStatus("refund receipt: "+pos.ErrorMessage(msg.err), true)
			return cmd
		}
		r.receipt = "refund receipt " + msg.where
		m.setStatus(r.receipt, false)
	case tea.PasteMsg:
		if r.state == retDone { // the next sale's codes, as on the sale's done screen
			r.reset()
			return m.show(screenBasket, msg)
		}
		var cmds []tea.Cmd
		for _, l := range strings.FieldsFunc(msg.Content, func(c rune) bool { return c == '\n' || c == '\r' }) {
			cmds = append(cmds, r.scanned(m, l))
		}
		return tea.Batch(cmds...)
	case spinner.TickMsg:
		var cmd tea.Cmd
		if r.spin, cmd = r.spin.Update(msg); cmd == nil || !r.state.inFlight() {
			return nil // not this spinner's tick, or nothing in flight: it stops
		}
		return m.after(r.spin.Spinner.FPS, r.spin.Tick())
	case tea.KeyPressMsg:
		return r.keyPress(m, msg)
	}
	return nil
}

func (r *returnScreen) start(m *Model, s returnStartMsg) tea.Cmd {
	r.reset()
	r.mode, r.key = s.mode, pos.NewKey()
	switch {
	case s.mode == modeNoReceipt:
		r.state, r.entry = retChoosing, entryCode
		r.field = field{max: 64}
		r.approvedBy, r.approvedFor = s.manager.ID, noReceiptAction
		r.replan(m)
		m.setStatus("return without a receipt: scan or type each item, then enter", false)
		return nil
	case s.number:
		r.state, r.entry = retNumber, entryNumber
		r.field = field{max: 12, accept: digitsOnly}
		m.setStatus("type the sale number printed on the receipt, then enter", false)
		return nil
	}
	return r.open(m, s.saleKey)
}

// open loads the sale to return.
func (r *returnScreen) open(m *Model, saleKey string) tea.Cmd {
	r.state, r.req = retOpening, m.nextReq()
	m.setStatus("opening the sale to return…", false)
	ctx, rs, req := m.ctx, m.deps.Returns, r.req
	return func() tea.Msg {
		src, err := rs.Open(ctx, saleKey)
		return returnableMsg{req: req, src: src, err: err}
	}
}

// opened shows the sale to return. A sale opened again (after a refused
// return) keeps the quantities chosen, within what is left now.
func (r *returnScreen) opened(m *Model, msg returnableMsg) tea.Cmd {
	if msg.req != r.req || r.state != retOpening {
		return nil
	}
	if msg.err != nil {
		cmd := m.fail("open the sale to return", msg.err)
		if pos.ErrorCode(msg.err) != pos.EUnavailable {
			m.noteDB(nil)
		}
		r.reset()
		m.goTo(screenBasket)
		return cmd
	}
	m.noteDB(nil)
	again := r.src.Sale.Key == msg.src.Sale.Key && len(r.lines) == len(msg.src.Sale.Lines)
	r.src, r.state, r.entry = msg.src, retChoosing, entryQuantity
	r.field = field{max: 6, accept: digitsOnly}
	if !again {
		r.lines, r.sel = make([]pos.ReturnLine, len(msg.src.Sale.Lines)), 0
		for i, l := range msg.src.Sale.Lines {
			r.lines[i] = pos.ReturnLine{SaleLine: i + 1, ItemID: l.ItemID, Code: l.Code, Name: l.Name,
				Weighed: l.Weighed, UnitPrice: l.UnitPrice, TaxRate: l.TaxRate, Reason: pos.ReasonChangedMind, Restock: true}
		}
		// The first line with something left is selected.
		for i := range r.lines {
			if msg.src.Left(i) > 0 {
				r.sel = i
				break
			}
		}
	}
	for i := range r.lines {
		r.lines[i].Quantity = min(r.lines[i].Quantity, msg.src.Left(i))
	}
	r.replan(m)
	if !again { // opened again after a refusal: its message stays
		m.setStatus(fmt.Sprintf("return from sale %d: type a quantity for each line, then enter", msg.src.Sale.ID), false)
	}
	return nil
}

// request is the return of what is chosen.
func (r *returnScreen) request(m *Model) pos.ReturnRequest {
	var lines []pos.ReturnLine
	for _, l := range r.lines {
		if l.Quantity > 0 {
			lines = append(lines, l)
		}
	}
	var cashier int64
	if m.cashier != nil {
		cashier = m.cashier.ID
	}
	req := m.deps.Returns.Request(r.key, r.src.Sale.Key, cashier, lines)
	req.CashInstead = r.cash
	return req
}

// replan works the plan out again after a change.
func (r *returnScreen) replan(m *Model) {
	r.plan, r.planErr = pos.PlanReturn(r.src, r.request(m))
}

func (r *returnScreen) keyPress(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	km := m.km
	switch r.state {
	case retNumber:
		switch {
		case key.Matches(msg, km.Esc):
			r.reset()
			m.goTo(screenBasket)
			m.setStatus("no return", false)
		case key.Matches(msg, km.Enter):
			return r.lookUpNumber(m)
		default:
			r.field.key(msg)
		}
	case retOpening:
		if key.Matches(msg, km.Esc) {
			r.reset()
			m.goTo(screenBasket)
			m.setStatus("no return", false)
		}
	case retChoosing:
		if key.Matches(msg, km.Reprint) && r.mode == modeReceipt {
			// A receipt scanned to reprint it: a copy, and nothing returned.
			return m.reprint(r.src.Sale)
		}
		return r.chooseKey(m, msg)
	case retRecording, retRefunding, retCashing, retCompleting, retCancelling:
		if key.Matches(msg, km.Esc) {
			return m.badInput("the return is being recorded and refunded: it cannot be left now")
		}
		if r.state == retCompleting && r.problem != "" && r.waiting == 0 && key.Matches(msg, km.Enter) {
			r.problem = ""
			return r.run(m, opComplete)
		}
	case retResolving:
		switch {
		case key.Matches(msg, km.Esc):
			return m.badInput("checking what became of the card refund: it cannot be left now")
		case key.Matches(msg, km.Enter) && r.waiting == 0:
			return r.run(m, opResolve)
		}
	case retFailed:
		switch {
		case key.Matches(msg, km.CashInstead):
			return m.askApproval(approvalAsk{purpose: approveCash, action: "cash instead of the card",
				saleKey: r.ret.SaleKey, back: screenReturn})
		case key.Matches(msg, km.VoidSale), key.Matches(msg, km.Esc):
			if r.ret.MoneyMoved() {
				return m.badInput("a card part went back already: refund the rest in cash (" + km.CashInstead.Help().Key + ", a manager approves)")
			}
			m.ask("Cancel the return? Nothing was refunded and nothing comes back. y/n", func() tea.Cmd {
				return r.run(m, opCancel)
			})
		}
	case retDone:
		switch {
		case key.Matches(msg, km.NextSale):
			next := r.field.take()
			r.reset()
			m.goTo(screenBasket)
			if next == "" {
				m.setStatus("ready for the next sale", false)
				return nil
			}
			return m.scanInput(next)
		case key.Matches(msg, km.Print):
			return r.print(m, false)
		case key.Matches(msg, km.Save):
			return r.print(m, true)
		case key.Matches(msg, km.SignOut):
			r.reset()
			return m.signOut()
		case key.Matches(msg, km.Esc):
			r.field.reset()
		default:
			r.field.key(msg)
		}
	}
	return nil
}

func (r *returnScreen) chooseKey(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	km := m.km
	switch {
	case key.Matches(msg, km.Esc):
		if !r.field.empty() {
			r.field.reset()
			if r.mode == modeNoReceipt {
				r.entry = entryCode
			}
			return nil
		}
		m.log.Info("return left before anything was recorded", "sale", r.src.Sale.Key)
		r.reset()
		m.goTo(screenBasket)
		m.setStatus("return left: nothing was recorded", false)
		return nil
	case key.Matches(msg, km.Up), key.Matches(msg, km.Down):
		if cmd := r.applyTyped(m); cmd != nil {
			return cmd
		}
		if key.Matches(msg, km.Up) {
			r.sel = max(r.sel-1, 0)
		} else {
			r.sel = min(r.sel+1, max(len(r.lines)-1, 0))
		}
	case key.Matches(msg, km.Enter):
		if !r.field.empty() {
			return r.applyTyped(m)
		}
		return r.confirm(m, r.request(m), false)
	case key.Matches(msg, km.Quantity) && r.mode == modeNoReceipt:
		if len(r.lines) == 0 {
			return m.badInput("scan an item first")
		}
		r.entry = entryQuantity
		r.field = field{max: 6, accept: digitsOnly}
	case key.Matches(msg, km.Reason):
		if len(r.lines) == 0 {
			return m.badInput("no line selected")
		}
		l := &r.lines[r.sel]
		i := slices.Index(pos.ReturnReasons, l.Reason)
		l.Reason = pos.ReturnReasons[(i+1)%len(pos.ReturnReasons)]
		r.replan(m)
		m.setStatus(l.Name+": "+l.Reason.Label()+restockNote(*l), false)
	case key.Matches(msg, km.Restock):
		if len(r.lines) == 0 {
			return m.badInput("no line selected")
		}
		l := &r.lines[r.sel]
		if l.Reason == pos.ReasonDamaged {
			return m.badInput(l.Name + " is damaged: it never goes back to stock")
		}
		l.Restock = !l.Restock
		r.replan(m)
		m.setStatus(l.Name+restockNote(*l), false)
	case key.Matches(msg, km.CashInstead) && r.mode == modeReceipt:
		r.cash = !r.cash
		r.replan(m)
		if r.cash {
			m.setStatus("cash instead of the card: a manager approves it when you press enter", false)
		} else {
			m.setStatus("refund to the card the sale was paid with", false)
		}
	case key.Matches(msg, km.VoidSale) && r.mode == modeReceipt:
		return r.voidSale(m)
	case key.Matches(msg, km.SimRefundFail) && m.deps.CardSim != nil:
		m.deps.CardSim.NextDecline()
		m.setStatus("training: the next card refund will fail", false)
	case key.Matches(msg, km.SimRefundTimeout) && m.deps.CardSim != nil:
		m.deps.CardSim.NextTimeout()
		m.setStatus("training: the next card refund will get no answer", false)
	default:
		r.field.key(msg)
	}
	return nil
}

func restockNote(l pos.ReturnLine) string {
	if l.Restock && l.Reason != pos.ReasonDamaged {
		return " · back to stock"
	}
	return " · not back to stock"
}

// applyTyped applies what the field holds: the selected line's quantity,
// or an item code without a receipt.
func (r *returnScreen) applyTyped(m *Model) tea.Cmd {
	if r.field.empty() {
		return nil
	}
	typed := r.field.take()
	if r.entry == entryCode {
		return r.addItem(m, typed)
	}
	if r.mode == modeNoReceipt {
		r.entry, r.field = entryCode, field{max: 64}
	}
	if len(r.lines) == 0 {
		return m.badInput("no line selected")
	}
	l := &r.lines[r.sel]
	q, err := strconv.ParseInt(typed, 10, 64)
	if err != nil {
		return m.badInput(fmt.Sprintf("%q is not a whole number", typed))
	}
	if r.mode == modeReceipt {
		if left := r.src.Left(l.SaleLine - 1); q > left {
			return m.badInput(fmt.Sprintf("%s: only %s left to return", l.Name, quantityOf(*l, left)))
		}
	} else if q < 1 {
		return m.badInput("a quantity must be at least 1")
	} else if q > pos.MaxQuantity && !l.Weighed {
		return m.badInput(fmt.Sprintf("quantity %d is more than the maximum of %d", q, pos.MaxQuantity))
	}
	l.Quantity = q
	r.replan(m)
	m.setStatus(fmt.Sprintf("%s: returning %s", l.Name, quantityOf(*l, q)), false)
	return nil
}

// addItem adds an item to a return without a receipt, priced from the
// catalogue.
func (r *returnScreen) addItem(m *Model, input string) tea.Cmd {
	sc, err := m.set.Scan.Parse(input)
	if err != nil {
		return m.badInput(pos.ErrorMessage(err))
	}
	if sc.Kind != pos.ScanItem {
		return m.badInput(fmt.Sprintf("%s is not an item: scan what comes back", input))
	}
	var item pos.Item
	var chosen pos.Scan
	found := false
	for _, code := range sc.Candidates() {
		if it, ok := m.cat.lookup(code); ok {
			item, found = it, true
			chosen, _ = sc.Choose(code)
			break
		}
	}
	if !found {
		return m.badInput(fmt.Sprintf("unknown code %s (%s): not in the catalog", sc.Code, sc.Format))
	}
	item.Active = true // an item no longer sold can still come back
	line, err := pos.NewLine(item, chosen)
	if err != nil {
		return m.badInput(pos.ErrorMessage(err))
	}
	for i, l := range r.lines {
		if l.ItemID == line.ItemID && !l.Weighed {
			r.lines[i].Quantity += line.Quantity
			r.sel = i
			r.replan(m)
			m.setStatus(fmt.Sprintf("%s: returning %d", l.Name, r.lines[i].Quantity), false)
			return nil
		}
	}
	r.lines = append(r.lines, pos.ReturnLine{ItemID: line.ItemID, Code: line.Code, Name: line.Name,
		Weighed: line.Weighed, Quantity: line.Quantity, UnitPrice: item.Price, TaxRate: line.TaxRate,
		Reason: pos.ReasonChangedMind, Restock: true})
	r.sel = len(r.lines) - 1
	r.replan(m)
	m.setStatus(fmt.Sprintf("%s: returning %s", line.Name, quantityOf(r.lines[r.sel], line.Quantity)), false)
	return nil
}

// scanned takes a scanner burst, never as a quantity or a PIN: a receipt
// opens its sale; an item on the sale comes back one more (a scale label
// by its weight); without a receipt the item is added.
func (r *returnScreen) scanned(m *Model, code string) tea.Cmd {
	switch r.state {
	case retNumber:
		sc, err := m.set.Scan.Parse(code)
		if err != nil || sc.Kind != pos.ScanReceipt {
			return m.badInput(fmt.Sprintf("scanned %s: not a receipt; scan the receipt or type its sale number", code))
		}
		r.field.reset()
		return r.open(m, sc.Code)
	case retChoosing:
		if r.mode == modeNoReceipt {
			// A quantity typed first ("3*") goes with the scan, as on the basket.
			typed := ""
			if r.entry == entryCode {
				typed = r.field.take()
			}
			r.entry, r.field = entryCode, field{max: 64}
			return r.addItem(m, typed+code)
		}
		r.field.reset()
		return r.scanLine(m, code)
	case retDone:
		// The next sale starts with the scan and whatever was typed before
		// it ("3*"), as on the sale's done screen.
		next := r.field.take() + code
		r.reset()
		m.goTo(screenBasket)
		return m.scanInput(next)
	}
	if r.state.recorded() {
		return m.badInput(fmt.Sprintf("scanned %s: the return is being refunded; scan it again afterwards", code))
	}
	return m.badInput(fmt.Sprintf("scanned %s: the sale to return is loading", code))
}

// scanLine counts one more of a scanned item on the sale being returned.
func (r *returnScreen) scanLine(m *Model, code string) tea.Cmd {
	sc, err := m.set.Scan.Parse(code)
	switch {
	case err != nil:
		return m.badInput(pos.ErrorMessage(err))
	case sc.Kind == pos.ScanReceipt && sc.Code == r.src.Sale.Key:
		return m.badInput(fmt.Sprintf("sale %d is open already", r.src.Sale.ID))
	case sc.Kind == pos.ScanReceipt:
		return m.badInput("that is another receipt: finish this return first (esc leaves it)")
	case sc.Kind != pos.ScanItem:
		return m.badInput(fmt.Sprintf("scanned %s: scan an item of sale %d", code, r.src.Sale.ID))
	}
	for _, c := range sc.Candidates() {
		for i := range r.lines {
			l := &r.lines[i]
			if l.Code != c {
				continue
			}
			want := l.Quantity + max(sc.Quantity, 1)
			if chosen, _ := sc.Choose(c); chosen.Measure == pos.MeasureWeight {
				want = chosen.Value
			}
			if left := r.src.Left(i); want > left {
				r.sel = i
				return m.badInput(fmt.Sprintf("%s: only %s left to return", l.Name, quantityOf(*l, left)))
			}
			l.Quantity, r.sel = want, i
			r.replan(m)
			m.setStatus(fmt.Sprintf("%s: returning %s", l.Name, quantityOf(*l, want)), false)
			return nil
		}
	}
	return m.badInput(fmt.Sprintf("scanned %s: not on sale %d", sc.Code, r.src.Sale.ID))
}

func (r *returnScreen) lookUpNumber(m *Model) tea.Cmd {
	typed := r.field.take()
	n, err := strconv.ParseInt(typed, 10, 64)
	if err != nil || n < 1 {
		return m.badInput("type the sale number printed on the receipt")
	}
	r.state, r.req = retOpening, m.nextReq()
	m.setStatus(fmt.Sprintf("finding sale %d…", n), false)
	ctx, nums, req := m.ctx, m.deps.SaleNumbers, r.req
	return func() tea.Msg {
		key, err := nums.SaleKeyByNumber(ctx, n)
		return saleNumberMsg{req: req, number: n, key: key, err: err}
	}
}

// voidSale asks, then voids everything left on the sale (today's only).
func (r *returnScreen) voidSale(m *Model) tea.Cmd {
	var cashier int64
	if m.cashier != nil {
		cashier = m.cashier.ID
	}
	req, err := m.deps.Returns.Void(r.src, r.key, cashier)
	if err != nil {
		return m.badInput(pos.ErrorMessage(err))
	}
	req.CashInstead = r.cash
	plan, err := pos.PlanReturn(r.src, req)
	if err != nil {
		return m.badInput(pos.ErrorMessage(err))
	}
	m.ask(fmt.Sprintf("Void sale %d, all that is left (refund %s: %s)? y/n", r.src.Sale.ID,
		m.money(plan.Refunded()), m.split(plan)), func() tea.Cmd { return r.confirm(m, req, true) })
	return nil
}

// confirm asks before recording req, or records it when asked already;
// a return that needs a manager goes to the approval screen first.
func (r *returnScreen) confirm(m *Model, req pos.ReturnRequest, asked bool) tea.Cmd {
	plan, err := pos.PlanReturn(r.src, req)
	if err != nil {
		return m.badInput(pos.ErrorMessage(err))
	}
	for _, f := range plan.Refunds {
		if f.Method == pos.MethodCard && m.deps.Returns.Gateway == nil {
			return m.badInput("card refunds are not set up on this till: " + m.km.CashInstead.Help().Key + " for cash instead (a manager approves)")
		}
	}
	if !asked {
		m.ask(fmt.Sprintf("Refund %s (%s)? y/n", m.money(plan.Refunded()), m.split(plan)),
			func() tea.Cmd { return r.confirm(m, req, true) })
		return nil
	}
	r.sent = req
	if plan.Approval != "" && (r.approvedBy == 0 || r.approvedFor != plan.Approval) {
		return m.askApproval(approvalAsk{purpose: approveBegin, action: plan.Approval, saleKey: req.SaleKey, back: screenReturn})
	}
	if plan.Approval != "" {
		r.sent.ApprovedBy = r.approvedBy
	}
	return r.begin(m)
}

func (r *returnScreen) approved(m *Model, msg approvedMsg) tea.Cmd {
	switch msg.purpose {
	case approveBegin:
		if r.state != retChoosing {
			return nil
		}
		r.approvedBy, r.approvedFor = msg.manager.ID, msg.action
		r.sent.ApprovedBy = msg.manager.ID
		return r.begin(m)
	case approveCash:
		if r.state != retFailed {
			return nil
		}
		r.cashBy = msg.manager.ID
		return r.run(m, opCash)
	case approveNoReceipt:
		return r.start(m, returnStartMsg{mode: modeNoReceipt, manager: msg.manager})
	}
	return nil
}

// begin records the return; from here on money moves.
func (r *returnScreen) begin(m *Model) tea.Cmd {
	r.tries = 0
	m.log.Info("return", "key", r.key, "sale", r.sent.SaleKey, "kind", r.sent.Kind, "lines", len(r.sent.Lines),
		"cash_instead", r.sent.CashInstead, "approved_by", r.sent.ApprovedBy)
	return r.run(m, opBegin)
}

// run runs a step of the return protocol in a command. The money steps run
// to their end whatever the cashier presses: Esc never abandons a refund.
func (r *returnScreen) run(m *Model, op returnOp) tea.Cmd {
	var spin tea.Cmd
	if !r.state.inFlight() {
		spin = r.spin.Tick // the spinner starts turning
	}
	r.state = op.state()
	r.step++
	r.waiting = r.step
	switch op {
	case opBegin:
		m.setStatus("recording the return…", false)
	case opRefund:
		m.setStatus("refunding the card…", false)
	case opCash:
		m.setStatus("refunding in cash…", false)
	case opComplete:
		m.setStatus("completing the return…", false)
	case opCancel:
		m.setStatus("cancelling the return…", false)
	}
	rs, ctx, key, req, cashBy, step := m.deps.Returns, context.WithoutCancel(m.ctx), r.key, r.sent, r.cashBy, r.step
	ret := r.ret
	ret.Refunds = slices.Clone(ret.Refunds) // RefundCards writes into it
	do := func() tea.Msg {
		var out pos.Return
		var err error
		switch op {
		case opBegin:
			out, err = rs.Begin(ctx, req)
		case opRefund:
			out, err = rs.RefundCards(ctx, ret)
		case opResolve:
			// What the store holds is what counts: a refund answered but
			// not recorded is asked again by its key, never made twice.
			if out, err = rs.Store.Return(ctx, key); err == nil {
				out, err = rs.RefundCards(ctx, out)
			}
		case opCash:
			out, err = rs.RefundInCash(ctx, key, cashBy)
		case opComplete:
			out, err = rs.Complete(ctx, key)
		case opCancel:
			out, err = rs.Cancel(ctx, key)
		}
		return returnStepMsg{key: key, step: step, op: op, ret: out, err: err}
	}
	return tea.Batch(spin, do)
}

// answered moves the return on after a step's answer.
func (r *returnScreen) answered(m *Model, msg returnStepMsg) tea.Cmd {
	if msg.ret.Key != "" {
		r.ret = msg.ret
	}
	err := msg.err
	if err == nil {
		m.noteDB(nil)
		r.tries, r.problem = 0, ""
		switch msg.op {
		case opBegin, opCash:
			if !r.ret.CardsSettled() {
				return r.run(m, opRefund)
			}
			return r.run(m, opComplete)
		case opRefund, opResolve:
			return r.run(m, opComplete)
		case opComplete:
			return r.done(m)
		case opCancel:
			r.reset()
			m.goTo(screenBasket)
			m.setStatus("return cancelled: nothing was refunded, nothing came back", false)
			return nil
		}
		return nil
	}
	code := pos.ErrorCode(err)
	switch {
	case msg.op == opBegin && code != pos.EUnavailable:
		// Refused outright (nothing recorded): back to choosing, with what
		// is left now, under a new key.
		cmd := m.fail(msg.op.String(), err)
		r.key, r.state = pos.NewKey(), retOpening
		r.req = m.nextReq()
		if r.mode == modeNoReceipt {
			r.state = retChoosing
			r.replan(m)
			return cmd
		}
		ctx, rs, req, saleKey := m.ctx, m.deps.Returns, r.req, r.src.Sale.Key
		return tea.Batch(cmd, func() tea.Msg {
			src, err := rs.Open(ctx, saleKey)
			return returnableMsg{req: req, src: src, err: err}
		})
	case (msg.op == opRefund || msg.op == opResolve) && code == pos.EDeclined:
		r.state, r.problem = retFailed, pos.ErrorMessage(err)
		cmd := m.fault("card refund", err)
		m.setStatus(r.problem, true)
		return cmd
	case msg.op == opRefund || msg.op == opResolve:
		r.state, r.problem = retResolving, pos.ErrorMessage(err)
		m.log.Warn("card refund unknown", "return", r.key, "err", err)
		r.tries++
		m.setStatus(fmt.Sprintf("no answer about the card refund: asking again in %s (%s)", backoff(r.tries-1), tries(r.tries)), true)
		return m.after(backoff(r.tries-1), returnRetryMsg{key: r.key, step: r.step, op: opResolve})
	case code == pos.EUnavailable:
		m.noteDB(err)
		r.tries++
		m.log.Warn(msg.op.String(), "return", r.key, "err", err)
		m.setStatus(fmt.Sprintf("%s: waiting for the database (%s); retry in %s", msg.op, pos.ErrorMessage(err), backoff(r.tries-1)), true)
		return m.after(backoff(r.tries-1), returnRetryMsg{key: r.key, step: r.step, op: msg.op})
	case msg.op == opCash || msg.op == opCancel:
		r.state = retFailed
		return m.fail(msg.op.String(), err)
	}
	// Complete refused: the money went back; the cashier tries again.
	r.problem = pos.ErrorMessage(err)
	cmd := m.fail(msg.op.String(), err)
	m.setStatus(r.problem+" · enter tries again", true)
	return cmd
}

// done shows the completed return: the cash to give back, big, and the
// drawer opened for it.
func (r *returnScreen) done(m *Model) tea.Cmd {
	r.state, r.field = retDone, field{max: 64}
	ret := r.ret
	what := "return recorded: " + m.money(ret.Refunded()) + " refunded"
	if ret.Kind == pos.KindVoid {
		what = fmt.Sprintf("sale %d voided: %s refunded", ret.SaleID, m.money(ret.Refunded()))
	}
	if cash := ret.CashBack(); cash > 0 {
		what += ", give back " + m.money(cash) + " cash"
	}
	m.setStatus(what, false)
	m.log.Info("return completed", "return", ret.Key, "sale", ret.SaleKey, "refunded", ret.Refunded(),
		"cash", ret.CashBack(), "card", ret.CardBack(), "points", ret.PointsReversed)
	if m.deps.Drawer == nil || ret.CashBack() <= 0 {
		return nil
	}
	ctx, drawer := m.ctx, m.deps.Drawer
	return func() tea.Msg { return drawerMsg{err: drawer.OpenDrawer(ctx)} }
}

func (r *returnScreen) print(m *Model, save bool) tea.Cmd {
	sink := m.deps.RefundReceipts
	switch {
	case sink == nil:
		return m.badInput("refund receipts are not set up on this till yet")
	case r.printing:
		return nil
	}
	r.printing, r.receipt = true, "refund receipt: working…"
	ctx, ret := m.ctx, r.ret
	return func() tea.Msg {
		if save {
			where, err := sink.SaveReturn(ctx, ret)
			return refundReceiptMsg{key: ret.Key, where: "saved to " + where, err: err}
		}
		return refundReceiptMsg{key: ret.Key, where: "printed", err: sink.PrintReturn(ctx, ret)}
	}
}

// split writes where a return's money goes: "card visa ••4242 €3.00 ·
// cash €2.00".
func (m *Model) split(ret pos.Return) string {
	var parts []string
	for _, f := range ret.Refunds {
		switch f.Method {
		case pos.MethodCard:
			parts = append(parts, fmt.Sprintf("card %s ••%s %s", f.CardBrand, f.CardLast4, m.money(f.Amount)))
		default:
			parts = append(parts, "cash "+m.money(f.Amount))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, " · ")
}

// quantityOf writes a return line's quantity: "3" or "482 g".
func quantityOf(l pos.ReturnLine, q int64) string {
	if l.Weighed {
		return strconv.FormatInt(q, 10) + " g"
	}
	return strconv.FormatInt(q, 10)
}
