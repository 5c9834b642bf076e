package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// signInScreen asks for the cashier number and PIN. Wrong PINs are counted,
// audited and locked out by the Cashiers service; this screen only shows
// its answer.
type signInScreen struct {
	number, pin field
	onPIN       bool
	req         int // the sign-in in flight; 0 when none
	// refused is the number last refused: a manager may unlock it
	// (ui/unlock.go).
	refused string
	// unlocking is the number a manager is asked to unlock; it outlives
	// the screen's reset on the way back from the approval screen.
	unlocking string
}

func newSignIn() *signInScreen {
	return &signInScreen{
		number: field{max: 12, accept: digitsOnly},
		pin:    field{max: 12, accept: digitsOnly, mask: true},
	}
}

func (s *signInScreen) enter(*Model) {
	s.number.reset()
	s.pin.reset()
	s.onPIN, s.req, s.refused = false, 0, ""
}

func (s *signInScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case approvedMsg, approvalCancelledMsg:
		return s.unlockAnswer(m, msg)
	case signedInMsg:
		if msg.req != s.req {
			return nil
		}
		s.req = 0
		if msg.err != nil {
			s.pin.reset()
			s.onPIN = !s.number.empty()
			s.refused = s.number.String()
			return m.fail("sign in", msg.err)
		}
		m.noteDB(nil)
		c := msg.cashier
		m.cashier = &c
		if m.sale.Empty() {
			m.newSale() // rung up by this cashier
		}
		m.goTo(screenBasket)
		m.setStatus("signed in as "+c.Name+": ready to scan", false)
		return m.checkTill() // is the float counted? (the basket's banner)
	case tea.KeyPressMsg:
		if s.req != 0 {
			return nil // checking the PIN: typing waits for the answer
		}
		switch {
		case key.Matches(msg, m.km.Tab), key.Matches(msg, m.km.Up), key.Matches(msg, m.km.Down):
			s.onPIN = !s.onPIN
		case key.Matches(msg, m.km.Enter):
			return s.submit(m)
		case key.Matches(msg, m.km.Unlock) && s.refused != "" && m.deps.Unlocker != nil:
			return s.askUnlock(m)
		case s.onPIN:
			s.pin.key(msg)
		default:
			s.number.key(msg)
		}
	}
	return nil
}

func (s *signInScreen) submit(m *Model) tea.Cmd {
	switch {
	case s.number.empty():
		s.onPIN = false
		return m.reject("type your cashier number")
	case !s.onPIN || s.pin.empty():
		s.onPIN = true
		return nil
	}
	if m.deps.Cashiers == nil {
		return m.reject("sign-in is not set up on this till")
	}
	s.req = m.nextReq()
	m.setStatus("checking…", false)
	ctx, cs, store, till, req, number, pin := m.ctx, m.deps.Cashiers, m.set.StoreID, m.set.TillID, s.req, s.number.String(), s.pin.take()
	return func() tea.Msg {
		c, err := cs.SignIn(ctx, store, till, number, pin)
		return signedInMsg{req: req, cashier: c, err: err}
	}
}

func (s *signInScreen) view(m *Model, w, h int) string {
	label := func(text string, on bool) string {
		if on {
			return m.st.Prompt.Render("› " + text)
		}
		return m.st.Label.Render("  " + text)
	}
	rows := []string{
		m.st.Title.Render("Sign in"), "",
		label("Cashier number ", !s.onPIN) + m.st.Field.Render(s.number.render(!s.onPIN && s.req == 0)),
		label("PIN            ", s.onPIN) + m.st.Field.Render(s.pin.render(s.onPIN && s.req == 0)),
	}
	if m.set.Training {
		rows = append(rows, "", m.st.Training.Render(" TRAINING — nothing is charged, stock and points do not change "))
	}
	if len(m.deps.Hint) > 0 {
		rows = append(rows, "")
		for _, l := range m.deps.Hint {
			rows = append(rows, m.st.Muted.Render(l))
		}
	}
	if !m.cat.loaded {
		rows = append(rows, "", m.st.Muted.Render("loading the catalog…"))
	} else {
		rows = append(rows, "", m.st.Muted.Render(strings.TrimSpace(plural(len(m.cat.items), "item")+" in the catalog")))
	}
	box := m.st.Dialog.Render(strings.Join(rows, "\n"))
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, box)
}

func (s *signInScreen) bindings(m *Model) []key.Binding {
	out := []key.Binding{with(m.km.Enter, "sign in"), m.km.Tab}
	if s.refused != "" && m.deps.Unlocker != nil {
		out = append(out, m.km.Unlock)
	}
	return append(out, m.km.Quit)
}

// signOut returns to the sign-in screen; a sale in progress must be
// finished or voided first, so it is never left behind half done.
func (m *Model) signOut() tea.Cmd {
	if m.inProgress() {
		return m.reject("finish or void the sale (" + m.km.VoidSale.Help().Key + ") before signing out")
	}
	name := m.cashier.Name
	cmd := m.audit("sign_out", "")
	m.cashier = nil
	m.goTo(screenSignIn)
	m.setStatus(name+" signed out", false)
	return cmd
}
