package ui

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/till-pos/till/pos"
)

// screenID names a screen.
type screenID int

const (
	screenSignIn screenID = iota
	screenBasket
	screenSearch
	screenCustomer
	screenTender
	screenPayment
	screenDone
	screenReturn
	screenApproval
	screenParked
	screenOffice
)

// screen is the contract every screen shares: it updates on the messages
// the root routes to it, renders the body of the frame, and lists the keys
// the help footer shows.
type screen interface {
	update(m *Model, msg tea.Msg) tea.Cmd
	view(m *Model, width, height int) string
	bindings(m *Model) []key.Binding
}

// Model is the root model. It routes: window size and global keys first,
// answers of background work (catalog, audit) next, everything else to the
// active screen only. Navigation happens synchronously inside Update (never
// through a message), so a key typed during a transition reaches the screen
// that is shown.
type Model struct {
	ctx  context.Context
	deps Deps
	set  pos.Settings
	st   Styles
	km   KeyMap
	help help.Model
	now  func() time.Time
	log  *slog.Logger
	// after delivers msg once d has passed (tea.Tick). Every timer of the
	// screen goes through it, so tests can run time themselves.
	after func(d time.Duration, msg tea.Msg) tea.Cmd

	width, height int

	burst        burst // tells scanner bursts from typing
	cat          catalog
	pendingScans []string // typed before the catalog arrived
	refreshFails int
	dbDown       string // why the database is unreachable; "" when it answers
	off          offlineState
	// sellCancel stops the SellCash in flight (nil: none).
	sellCancel  context.CancelFunc
	auditOutbox []pos.AuditEntry

	cashier *pos.Cashier
	// sale is the sale being built and paid at this till. It lives in
	// memory until it is recorded, and survives the database being down.
	sale     *pos.SaleInProgress
	selected int // index of the selected basket line
	// lastSale is the last sale completed at this till, for a reprint.
	lastSale *pos.Sale
	status   status
	confirm  *confirmation
	lastReq  int

	active  screenID
	screens map[screenID]screen
	// helpMemo keeps the last footer: it changes far less often than the
	// frame is drawn, and measuring it is the costliest part of a frame.
	helpMemo struct{ key, out string }
	bodyMemo struct {
		key bodyKey
		out string
	}
}

// status is the line under the body: what just happened.
type status struct {
	text string
	err  bool
}

// confirmation is a yes/no question asked in the status line, or a choice
// of two (1 or y runs yes, 2 runs other) when other is set.
type confirmation struct {
	question string
	yes      func() tea.Cmd
	other    func() tea.Cmd
}

// New builds the root model. ctx is the program's context: every command
// derives its context from it, so quitting cancels what is in flight.
func New(ctx context.Context, deps Deps, styles Styles) *Model {
	m := &Model{ctx: ctx, deps: deps, set: deps.Checkout.Settings, st: styles, km: NewKeyMap(),
		help: help.New(), now: deps.Now, cat: newCatalog(), width: 80, height: 24}
	if m.now == nil {
		m.now = time.Now
	}
	m.after = func(d time.Duration, msg tea.Msg) tea.Cmd {
		return tea.Tick(d, func(time.Time) tea.Msg { return msg })
	}
	m.log = deps.Log
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.deps.RefreshEvery <= 0 {
		m.deps.RefreshEvery = 30 * time.Second
	}
	m.help.Styles = styles.Help
	m.screens = map[screenID]screen{
		screenSignIn:   newSignIn(),
		screenBasket:   newBasket(),
		screenSearch:   &searchScreen{},
		screenCustomer: newCustomerScreen(),
		screenTender:   newTender(),
		screenPayment:  newPayment(),
		screenDone:     newDone(),
		screenReturn:   newReturn(),
		screenApproval: newApproval(),
		screenParked:   &parkedScreen{},
		screenOffice:   newOffice(),
	}
	m.newSale()
	return m
}

// Init loads the catalog; sign-in does not wait for it.
func (m *Model) Init() tea.Cmd { return tea.Batch(m.loadCatalog(), m.watchOffline()) }

// Update routes a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		return m, nil
	case tea.KeyPressMsg:
		return m, m.keyIn(msg)
	case burstFlushMsg:
		return m, tea.Batch(m.press(m.burst.flush(msg.seq))...)
	case officeMsg: // the session check after a sign-in answers on the basket
		return m, m.office().answer(m, msg)
	}
	if cmd, done := m.background(msg); done {
		return m, cmd
	}
	return m, m.screens[m.active].update(m, msg)
}

// globalKey handles the keys that work on every screen, and the yes/no
// question when one is asked.
func (m *Model) globalKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	switch {
	case m.confirm != nil:
		c := m.confirm
		switch {
		case key.Matches(msg, m.km.Yes), c.other != nil && key.Matches(msg, m.km.First):
			m.confirm = nil
			return c.yes(), true
		case c.other != nil && key.Matches(msg, m.km.Second):
			m.confirm = nil
			return c.other(), true
		case key.Matches(msg, m.km.No), key.Matches(msg, m.km.Quit):
			m.confirm = nil
			m.setStatus("cancelled", false)
		}
		return nil, true // the question holds the keyboard until answered
	case key.Matches(msg, m.km.Quit):
		return m.quit(), true
	case key.Matches(msg, m.km.SellOffline) && m.active != screenApproval && m.active != screenSignIn:
		return m.sellOfflineKey(), true
	}
	return nil, false
}

// quit leaves at once when nothing would be lost, and asks first when a
// sale is in progress. It refuses while a card payment is in flight or the
// sale is recorded but not finished: those must end in the database first.
func (m *Model) quit() tea.Cmd {
	switch {
	case m.active == screenPayment:
		m.setStatus("a card payment is in progress: wait for it or press esc to cancel it", true)
		return bell
	case m.sale.Locked():
		m.setStatus(m.lockedReason(), true)
		return bell
	case m.returns().state.recorded():
		m.setStatus("a return is being refunded: it must finish (or be cancelled) before the till stops", true)
		return bell
	case m.parking():
		m.setStatus("a basket is being parked or resumed: wait a moment", true)
		return bell
	case m.officeRecording():
		m.setStatus("the cash office is recording: it must finish before the till stops", true)
		return bell
	case m.inProgress():
		m.ask(fmt.Sprintf("Quit and abandon the sale in progress (%s, %s)? y/n",
			plural(len(m.sale.Lines()), "line"), m.money(m.sale.Totals().Total)), func() tea.Cmd {
			return tea.Sequence(m.audit("void_sale", "abandoned at quit: "+m.saleSummary()), tea.Quit)
		})
		return nil
	}
	return tea.Quit
}

// Filter is a tea.WithFilter option: a quit that does not come from the
// cashier's keys (cmd/till sends one on a stop signal, and again until the
// screen ends) is dropped while a card payment is in flight or a sale is
// being recorded or voided, or a return is being recorded or refunded, so
// the program ends once it has settled.
func (m *Model) Filter(_ tea.Model, msg tea.Msg) tea.Msg {
	if _, ok := msg.(tea.QuitMsg); ok && m.keepOnStop() {
		return keepOnStopMsg{}
	}
	if _, ok := msg.(tea.QuitMsg); ok && (m.active == screenPayment || m.sale.Settling()) {
		m.setStatus("the till was asked to stop: it stops as soon as the sale has settled", true)
		return nil
	}
	if _, ok := msg.(tea.QuitMsg); ok && m.returnSettling() {
		m.setStatus("the till was asked to stop: it stops as soon as the refund has settled", true)
		return nil
	}
	if _, ok := msg.(tea.QuitMsg); ok && m.parking() {
		m.setStatus("the till was asked to stop: it stops as soon as the basket is parked or resumed", true)
		return nil
	}
	if _, ok := msg.(tea.QuitMsg); ok && m.officeRecording() {
		m.setStatus("the till was asked to stop: it stops as soon as the cash office has recorded", true)
		return nil
	}
	return msg
}

func (m *Model) ask(question string, yes func() tea.Cmd) {
	m.confirm = &confirmation{question: question, yes: yes}
}

// goTo shows a screen.
func (m *Model) goTo(s screenID) {
	m.active = s
	if e, ok := m.screens[s].(interface{ enter(*Model) }); ok {
		e.enter(m)
	}
}

// show shows a screen and hands it msg at once: how one screen passes
// another what it needs (the card to charge, the sale just recorded)
// without reaching into it.
func (m *Model) show(s screenID, msg tea.Msg) tea.Cmd {
	m.goTo(s)
	return m.screens[s].update(m, msg)
}

func (m *Model) setStatus(text string, isErr bool) { m.status = status{text: text, err: isErr} }

// fail shows an error as the cashier-safe message, rings the bell and logs
// the full error.
func (m *Model) fail(doing string, err error) tea.Cmd {
	m.log.Warn(doing, "err", err, "code", pos.ErrorCode(err))
	m.setStatus(pos.ErrorMessage(err), true)
	m.noteDB(err)
	return bell
}

// reject shows a refused input: red, with the bell.
func (m *Model) reject(text string) tea.Cmd {
	m.setStatus(text, true)
	return bell
}

// badInput refuses what the cashier typed or scanned: on screen (reject)
// and in the log.
func (m *Model) badInput(text string) tea.Cmd {
	m.log.Info("input refused", "screen", m.active, "why", text)
	return m.reject(text)
}

// bell rings the terminal bell.
func bell() tea.Msg { return tea.RawMsg{Msg: "\a"} }

// noteDB keeps the database banner in step with the answers: any
// EUnavailable raises it, any answer from the database lowers it.
func (m *Model) noteDB(err error) {
	switch {
	case err == nil:
		if m.dbDown != "" {
			m.log.Info("database reachable again")
		}
		m.dbDown = ""
	case pos.ErrorCode(err) == pos.EUnavailable:
		if m.dbDown == "" {
			m.log.Warn("database unreachable", "err", err)
		}
		m.dbDown = pos.ErrorMessage(err)
	}
}

func (m *Model) nextReq() int {
	m.lastReq++
	return m.lastReq
}

func (m *Model) money(v pos.Money) string { return m.set.Currency.Format(v) }

// The smallest window every screen fits in whole (measured by
// TestSmallestWindow over each screen in its fullest state, database
// banner up): below 68 columns the basket's amount column is cut, below
// 20 rows the done screen loses its scan line and the tender screen its
// TOTAL.
const (
	minWidth  = 68
	minHeight = 20
)

// View draws the frame: header, banner, the active screen, status, help.
// A window too small for that gets a frame that says so instead.
func (m *Model) View() tea.View {
	if m.width < minWidth || m.height < minHeight {
		return m.tooSmall()
	}
	return m.frame()
}

// frame is the till's frame at the window's size.
func (m *Model) frame() tea.View {
	w, h := max(m.width, 20), max(m.height, 8)
	top := []string{m.header(w)}
	if b := m.offlineBanner(); b != "" {
		top = append(top, m.st.Banner.Render(pad(ansi.Truncate(b, w, "…"), w)))
	} else if m.dbDown != "" {
		top = append(top, m.st.Banner.Render(pad(ansi.Truncate(
			" ⚠ DATABASE UNREACHABLE · scanning from the cache · nothing is lost · "+m.dbDown, w, "…"), w)))
	}
	bottom := []string{m.statusLine(w), m.helpView(w)}
	bodyH := h - len(top) - lipgloss.Height(strings.Join(bottom, "\n"))
	body := m.screens[m.active].view(m, w, max(bodyH, 1))
	body = fit(body, w, max(bodyH, 1))
	v := tea.NewView(strings.Join(append(append(top, body), bottom...), "\n"))
	v.AltScreen = true
	v.WindowTitle = "till"
	return v
}

// clock is the time now in the store's zone, as the receipts show it.
func (m *Model) clock() time.Time {
	if m.deps.Location != nil {
		return m.now().In(m.deps.Location)
	}
	return m.now()
}

// tooSmall is the frame of a window smaller than minWidth×minHeight: what
// size it needs, the sale's total and the status line, so a scan typed
// meanwhile (every key still works) shows what it did.
func (m *Model) tooSmall() tea.View {
	w, h := max(m.width, 1), max(m.height, 1)
	rows := []string{
		m.st.Error.Render(fmt.Sprintf("✗ The window is %d×%d: too small for the till.", m.width, m.height)),
		m.st.Prompt.Render(fmt.Sprintf("Make it at least %d×%d%s.", minWidth, minHeight, short(m.width, m.height))),
		m.st.Muted.Render("Keys and scans still work."),
	}
	if m.inProgress() {
		t := m.sale.Totals()
		sum := fmt.Sprintf("%s · TOTAL %s", plural(len(m.sale.Lines()), "line"), m.money(t.Total))
		if paid := m.sale.CardPaid() + m.sale.CashGiven(); paid > 0 {
			sum += " · Due " + m.money(max(m.sale.Owed(), 0))
		}
		rows = append(rows, m.st.Total.Render(sum))
	}
	if st := m.statusLine(w); st != "" {
		rows = append(rows, st)
	}
	if m.dbDown != "" {
		rows = append(rows, m.st.Banner.Render("⚠ DATABASE UNREACHABLE"))
	}
	v := tea.NewView(fit(strings.Join(rows, "\n"), w, h))
	v.AltScreen = true
	v.WindowTitle = "till"
	return v
}

// short says what a w×h window lacks: " (5 more rows)".
func short(w, h int) string {
	var more []string
	if w < minWidth {
		more = append(more, plural(minWidth-w, "more column"))
	}
	if h < minHeight {
		more = append(more, plural(minHeight-h, "more row"))
	}
	return " (" + strings.Join(more, ", ") + ")"
}

func (m *Model) header(w int) string {
	left := fmt.Sprintf(" till · %s/%s", m.set.StoreID, m.set.TillID)
	if m.cashier != nil {
		left += fmt.Sprintf(" · %s (%s)", m.cashier.Name, m.cashier.Number)
	}
	if m.deps.CardNote != "" {
		left += " · " + m.deps.CardNote
	}
	right := m.clock().Format("15:04") + " "
	if m.set.Training {
		// TRAINING is on every screen, at the top, whatever the width.
		tr := m.st.Training.Render(" TRAINING ")
		room := w - lipgloss.Width(tr) - len(right)
		return m.st.Header.Render(pad(ansi.Truncate(left, room-1, "…"), room)) + tr + m.st.Header.Render(right)
	}
	room := w - len(right)
	return m.st.Header.Render(pad(ansi.Truncate(left, room-1, "…"), room) + right)
}

func (m *Model) statusLine(w int) string {
	if m.confirm != nil {
		return m.st.Prompt.Render(ansi.Truncate("? "+m.confirm.question, w, "…"))
	}
	switch {
	case m.status.text == "":
		return ""
	case m.status.err:
		return m.st.Error.Render(ansi.Truncate("✗ "+m.status.text, w, "…"))
	}
	return m.st.OK.Render(ansi.Truncate("✓ "+m.status.text, w, "…"))
}

// helpView is the footer built from the key map: the active screen's keys,
// wrapped onto as many lines as they need (two at 80 columns) rather than
// cut off, so every key of the screen is always in view.
func (m *Model) helpView(w int) string {
	keys := m.screens[m.active].bindings(m)
	if m.confirm != nil {
		keys = []key.Binding{m.km.Yes, m.km.No}
	}
	var sig strings.Builder // the cache key: width and every key's text
	fmt.Fprint(&sig, w)
	for _, b := range keys {
		sig.WriteString("\x00" + b.Help().Key + "\x01" + b.Help().Desc)
	}
	if m.helpMemo.key == sig.String() {
		return m.helpMemo.out
	}
	m.help.SetWidth(0)
	var lines []string
	var line []key.Binding
	for _, b := range keys {
		if len(line) > 0 && lipgloss.Width(m.help.ShortHelpView(append(line, b))) > w {
			lines = append(lines, m.help.ShortHelpView(line))
			line = nil
		}
		line = append(line, b)
	}
	if len(line) > 0 {
		lines = append(lines, m.help.ShortHelpView(line))
	}
	m.helpMemo.key, m.helpMemo.out = sig.String(), strings.Join(lines, "\n")
	return m.helpMemo.out
}

// pad fills s with spaces to width w.
func pad(s string, w int) string {
	if d := w - lipgloss.Width(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

// fit cuts or pads a block to exactly h lines no wider than w.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
