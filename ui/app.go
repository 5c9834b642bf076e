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

	width, height int

	cat          catalog
	pendingScans []string // typed before the catalog arrived
	refreshFails int
	dbDown       string // why the database is unreachable; "" when it answers
	auditOutbox  []pos.AuditEntry

	cashier *pos.Cashier
	sale    saleState
	status  status
	confirm *confirmation
	lastReq int

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

// confirmation is a yes/no question asked in the status line.
type confirmation struct {
	question string
	yes      func() tea.Cmd
}

// New builds the root model. ctx is the program's context: every command
// derives its context from it, so quitting cancels what is in flight.
func New(ctx context.Context, deps Deps, styles Styles) *Model {
	m := &Model{ctx: ctx, deps: deps, set: deps.Checkout.Settings, st: styles, km: NewKeyMap(),
		help: help.New(), now: deps.Now, cat: newCatalog(), width: 80, height: 24}
	if m.now == nil {
		m.now = time.Now
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
	}
	m.newSale()
	return m
}

// Init loads the catalog; sign-in does not wait for it.
func (m *Model) Init() tea.Cmd { return m.loadCatalog() }

// Update routes a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		return m, nil
	case tea.KeyPressMsg:
		if cmd, done := m.globalKey(msg); done {
			return m, cmd
		}
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
		case key.Matches(msg, m.km.Yes):
			m.confirm = nil
			return c.yes(), true
		case key.Matches(msg, m.km.No), key.Matches(msg, m.km.Quit):
			m.confirm = nil
			m.setStatus("cancelled", false)
		}
		return nil, true // the question holds the keyboard until answered
	case key.Matches(msg, m.km.Quit):
		return m.quit(), true
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
	case m.sale.locked:
		m.setStatus("the sale is recorded: finish paying or void it ("+m.km.VoidSale.Help().Key+") before quitting", true)
		return bell
	case m.inProgress():
		m.ask(fmt.Sprintf("Quit and abandon the sale in progress (%s, %s)? y/n",
			plural(len(m.sale.basket.Lines), "line"), m.money(m.sale.totals.Total)), func() tea.Cmd {
			return tea.Sequence(m.audit("void_sale", "abandoned at quit: "+m.saleSummary()), tea.Quit)
		})
		return nil
	}
	return tea.Quit
}

// Filter is a tea.WithFilter option: a quit that does not come from the
// cashier's keys (cmd/till sends one on a stop signal, and again until the
// screen ends) is dropped while a card payment is in flight or a sale is
// being recorded, so the program ends once it has settled.
func (m *Model) Filter(_ tea.Model, msg tea.Msg) tea.Msg {
	if _, ok := msg.(tea.QuitMsg); ok && (m.active == screenPayment || m.screens[screenTender].(*tenderScreen).waiting) {
		m.setStatus("the till was asked to stop: it stops as soon as the payment has settled", true)
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

func (m *Model) setStatus(text string, isErr bool) { m.status = status{text: text, err: isErr} }

// fail shows an error as the cashier-safe message, rings the bell and logs
// the full error.
func (m *Model) fail(doing string, err error) tea.Cmd {
	slog.Warn(doing, "err", err, "code", pos.ErrorCode(err))
	m.setStatus(pos.ErrorMessage(err), true)
	m.noteDB(err)
	return bell
}

// reject shows a refused input: red, with the bell.
func (m *Model) reject(text string) tea.Cmd {
	m.setStatus(text, true)
	return bell
}

// bell rings the terminal bell.
func bell() tea.Msg { return tea.RawMsg{Msg: "\a"} }

// noteDB keeps the database banner in step with the answers: any
// EUnavailable raises it, any answer from the database lowers it.
func (m *Model) noteDB(err error) {
	switch {
	case err == nil:
		if m.dbDown != "" {
			slog.Info("database reachable again")
		}
		m.dbDown = ""
	case pos.ErrorCode(err) == pos.EUnavailable:
		if m.dbDown == "" {
			slog.Warn("database unreachable", "err", err)
		}
		m.dbDown = pos.ErrorMessage(err)
	}
}

func (m *Model) nextReq() int {
	m.lastReq++
	return m.lastReq
}

func (m *Model) money(v pos.Money) string { return m.set.Currency.Format(v) }

// View draws the frame: header, banner, the active screen, status, help.
func (m *Model) View() tea.View {
	w, h := max(m.width, 20), max(m.height, 8)
	top := []string{m.header(w)}
	if m.dbDown != "" {
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

func (m *Model) header(w int) string {
	left := fmt.Sprintf(" till · %s/%s", m.set.StoreID, m.set.TillID)
	if m.cashier != nil {
		left += fmt.Sprintf(" · %s (%s)", m.cashier.Name, m.cashier.Number)
	}
	if m.deps.CardNote != "" {
		left += " · " + m.deps.CardNote
	}
	right := m.now().Format("15:04") + " "
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
