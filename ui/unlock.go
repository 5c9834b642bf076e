package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// A manager unlocks a cashier whose sign-in was refused (issue 12): after
// a refusal the sign-in screen offers the Unlock key, which opens the
// approval screen for "unlock cashier N". The manager's number and PIN go
// to pos.Unlocker (the unlock_cashier procedure), which checks and counts
// the manager's PIN, resets the cashier's lock and audits it with both
// people in one transaction. Unlocked, the cashier types their PIN again.
// The refusal never says whether the cashier was locked: a manager may
// unlock any refused number, and the audit log says what was done.

// askUnlock opens the approval screen for the number last refused.
func (s *signInScreen) askUnlock(m *Model) tea.Cmd {
	s.unlocking = s.refused
	return m.show(screenApproval, approvalAsk{
		purpose: approveUnlock,
		action:  "unlock cashier " + s.refused,
		back:    screenSignIn,
		cashier: s.refused,
	})
}

// unlockCmd asks the database to unlock cashier with the manager's number
// and PIN; the answer comes back to the approval screen like an approval.
func (m *Model) unlockCmd(req int, cashier, number, pin string) tea.Cmd {
	ctx, u, store, till := m.ctx, m.deps.Unlocker, m.set.StoreID, m.set.TillID
	return func() tea.Msg {
		mgr, err := u.UnlockCashier(ctx, store, till, number, pin, cashier)
		return approvalMsg{req: req, manager: mgr, err: err}
	}
}

// unlockAnswer handles the manager's answer on the sign-in screen (which
// was reset on the way back): the cashier's number is filled in again;
// unlocked, the PIN is asked again; cancelled, the unlock can be asked
// again.
func (s *signInScreen) unlockAnswer(m *Model, msg tea.Msg) tea.Cmd {
	number := s.unlocking
	s.unlocking = ""
	if number == "" {
		return nil
	}
	for _, r := range number {
		s.number.insert(r)
	}
	s.onPIN = true
	a, ok := msg.(approvedMsg)
	if !ok || a.purpose != approveUnlock {
		s.refused = number
		return nil
	}
	m.log.Info("cashier unlocked", "cashier", number, "manager", a.manager.ID)
	m.setStatus(fmt.Sprintf("cashier %s unlocked by %s: type your PIN", number, a.manager.Name), false)
	return nil
}
