package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/till-pos/till/pos"
)

// approvalScreen asks a manager for their number and PIN, at the till,
// without signing the cashier out (pos.Approver). Every approval goes
// through it: the screen that asks names the action and gets the answer
// back as a message, approvedMsg or approvalCancelledMsg. A wrong PIN
// shows the refusal and stays; Esc gives up.
type approvalScreen struct {
	ask         approvalAsk
	state       approvalState
	number, pin field
	req         int // the check in flight; 0 when none
}

// approvalState is which field has the keyboard, or that the PIN is being
// checked.
type approvalState int

const (
	apNumber   approvalState = iota // typing the manager's number
	apPIN                           // typing the PIN
	apChecking                      // the PIN is being checked: keys wait
)

// approvalPurpose says what an approval is for, so the screen that asked
// knows what to do with it.
type approvalPurpose int

const (
	approveNoReceipt approvalPurpose = iota + 1 // start a return without a receipt
	approveBegin                                // record a return that needs a manager
	approveCash                                 // refund failed card parts in cash
	approveAdjust                               // a price or discount beyond the cashier's limits
	approveOffice                               // a paid-out or no-sale (the cash office)
	approveVoid                                 // void a sale a card has paid
	approveUnlock                               // unlock a locked cashier's sign-in
	approveOffline                              // sell offline while the database cannot be reached
)

// approvalAsk shows the approval screen: action is what the manager
// approves, as the audit log and the screen say it; back is the screen the
// answer goes to.
type approvalAsk struct {
	purpose approvalPurpose
	action  string
	saleKey string
	back    screenID
	cashier string // approveUnlock: the number of the cashier to unlock
}

// approvedMsg tells the screen that asked who approved.
type approvedMsg struct {
	purpose approvalPurpose
	action  string
	manager pos.Cashier
}

// approvalCancelledMsg tells the screen that asked that nobody approved.
type approvalCancelledMsg struct{ purpose approvalPurpose }

// approvalMsg answers pos.Approver.Approve.
type approvalMsg struct {
	req     int
	manager pos.Cashier
	err     error
}

func newApproval() *approvalScreen {
	return &approvalScreen{
		number: field{max: 12, accept: digitsOnly},
		pin:    field{max: 12, accept: digitsOnly, mask: true},
	}
}

// askApproval shows the approval screen for a.
func (m *Model) askApproval(a approvalAsk) tea.Cmd {
	if m.approverFor(a.purpose) == nil {
		return m.badInput("manager approval is not set up on this till: " + a.action + " cannot be approved")
	}
	return m.show(screenApproval, a)
}

// approverFor is who checks a manager for purpose: going offline is
// approved while the database does not answer, so against the till's
// snapshot (its audit spooled until the database is back); the rest
// through the database. nil: not set up.
func (m *Model) approverFor(p approvalPurpose) *pos.Approver {
	if p == approveOffline {
		return m.deps.OfflineApprover
	}
	return m.deps.Approver
}

func (a *approvalScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case approvalAsk:
		a.ask, a.state, a.req = msg, apNumber, 0
		a.number.reset()
		a.pin.reset()
		m.setStatus("a manager approves "+msg.action+": manager number, then PIN", false)
	case approvalMsg:
		if msg.req != a.req || a.state != apChecking {
			return nil
		}
		a.req = 0
		if msg.err != nil {
			a.pin.reset()
			a.state = apPIN
			m.log.Warn("approval refused", "action", a.ask.action, "manager", a.number.String(), "err", msg.err)
			m.noteDB(msg.err)
			m.setStatus("not approved: "+pos.ErrorMessage(msg.err), true)
			return bell
		}
		if a.ask.purpose != approveOffline {
			m.noteDB(nil)
		}
		m.log.Info("approved", "action", a.ask.action, "manager", msg.manager.ID)
		m.setStatus(fmt.Sprintf("%s approved by %s", a.ask.action, msg.manager.Name), false)
		approved := approvedMsg{purpose: a.ask.purpose, action: a.ask.action, manager: msg.manager}
		if a.ask.purpose == approveOffline {
			// Going offline is the till's, not the screen's that asked.
			m.goTo(a.ask.back)
			return m.offlineApproved(approved)
		}
		return m.show(a.ask.back, approved)
	case tea.KeyPressMsg:
		if a.state == apChecking {
			return nil // checking the PIN: typing waits for the answer
		}
		switch {
		case key.Matches(msg, m.km.Esc):
			m.setStatus("not approved: "+a.ask.action+" was cancelled", true)
			return m.show(a.ask.back, approvalCancelledMsg{purpose: a.ask.purpose})
		case key.Matches(msg, m.km.Tab), key.Matches(msg, m.km.Up), key.Matches(msg, m.km.Down):
			if a.state == apNumber {
				a.state = apPIN
			} else {
				a.state = apNumber
			}
		case key.Matches(msg, m.km.Enter):
			return a.submit(m)
		case a.state == apPIN:
			a.pin.key(msg)
		default:
			a.number.key(msg)
		}
	}
	return nil
}

// scanned refuses a scanner burst: a manager types their number and PIN,
// so a scan is never taken as either. What came is neither shown nor
// logged: it may be a PIN typed too fast.
func (a *approvalScreen) scanned(m *Model, code string) tea.Cmd {
	m.log.Info("input refused", "screen", m.active, "why", "a scan on the approval screen", "chars", len([]rune(code)))
	return m.reject("a scan is not taken here: the manager types their number and PIN by hand")
}

func (a *approvalScreen) submit(m *Model) tea.Cmd {
	switch {
	case a.number.empty():
		a.state = apNumber
		return m.badInput("type the manager's number")
	case a.state != apPIN || a.pin.empty():
		a.state = apPIN
		return nil
	}
	a.state, a.req = apChecking, m.nextReq()
	m.setStatus("checking the manager's PIN…", false)
	var cashier int64
	if m.cashier != nil {
		cashier = m.cashier.ID
	}
	ctx, ap, ask, req, number, pin := m.ctx, m.approverFor(a.ask.purpose), a.ask, a.req, a.number.String(), a.pin.take()
	if ask.purpose == approveUnlock {
		return m.unlockCmd(req, ask.cashier, number, pin)
	}
	return func() tea.Msg {
		mgr, err := ap.Approve(ctx, cashier, ask.action, ask.saleKey, number, pin)
		return approvalMsg{req: req, manager: mgr, err: err}
	}
}

func (a *approvalScreen) view(m *Model, w, h int) string {
	label := func(text string, on bool) string {
		if on {
			return m.st.Prompt.Render("› " + text)
		}
		return m.st.Label.Render("  " + text)
	}
	rows := []string{
		m.st.Title.Render("Manager approval"),
		ansi.Truncate("for "+a.ask.action, max(w-8, 10), "…"), "",
		label("Manager number ", a.state == apNumber) + m.st.Field.Render(a.number.render(a.state == apNumber)),
		label("PIN            ", a.state == apPIN) + m.st.Field.Render(a.pin.render(a.state == apPIN)),
	}
	if a.state == apChecking {
		rows = append(rows, "", m.st.Muted.Render("checking…"))
	}
	stays := "The cashier stays signed in."
	if a.ask.purpose == approveUnlock {
		stays = "Unlocked, the cashier types their PIN again."
	}
	rows = append(rows, "", m.st.Muted.Render(stays))
	box := m.st.Dialog.Render(strings.Join(rows, "\n"))
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, box)
}

func (a *approvalScreen) bindings(m *Model) []key.Binding {
	return []key.Binding{with(m.km.Enter, "approve"), m.km.Tab, with(m.km.Esc, "cancel")}
}
