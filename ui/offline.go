package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// Selling through a database outage (issue 16). A cash sale that waits for
// a database that does not answer can be sold offline: written to the
// till's journal (pos.Checkout.SellOffline) and forwarded by cmd/till once
// the database answers, each exactly once by its key. Going offline needs
// a manager (unless the till is set up otherwise), once per outage; while
// offline, the next cash sales go to the journal at once, cards and
// customer lookups are refused, and the banner counts what waits.

// OfflineStatus is what cmd/till's forwarder knows: whether the database
// answered its last probe, and how many offline sales wait in the journal.
type OfflineStatus struct {
	Reachable bool
	Waiting   int
	Damaged   int    // unreadable stretches of the journal (reported by till offline status)
	Problem   string // the forwarder's last failure, if any
}

// offlineStatusMsg carries an OfflineStatus to the screen.
type offlineStatusMsg struct{ s OfflineStatus }

// offlineMode says whether the cash sales of this outage go to the journal.
type offlineMode int

const (
	offlineNo       offlineMode = iota // sales are recorded in the database (or wait for it)
	offlineApproved                    // a manager approved: while it is down, cash sales go to the journal
)

// offlineState is the till's offline state as the screen keeps it.
type offlineState struct {
	mode    offlineMode
	by      string // the manager who approved going offline
	status  OfflineStatus
	watched bool // a read of Deps.OfflineStatus is waiting
}

// canSellOffline reports whether this till sells offline at all.
func (m *Model) canSellOffline() bool { return m.deps.Checkout.Journal != nil }

// offline reports whether the till is selling offline now.
func (m *Model) offline() bool { return m.off.mode == offlineApproved && m.dbDown != "" }

// watchOffline waits for the forwarder's next status.
func (m *Model) watchOffline() tea.Cmd {
	ch := m.deps.OfflineStatus
	if ch == nil || m.off.watched {
		return nil
	}
	m.off.watched = true
	ctx := m.ctx
	return func() tea.Msg {
		select {
		case s, ok := <-ch:
			if !ok {
				return nil
			}
			return offlineStatusMsg{s}
		case <-ctx.Done():
			return nil
		}
	}
}

// offlineStatus takes the forwarder's status: the database banner follows
// its probe, and once the database answers the outage is over (the next
// one needs a manager again).
func (m *Model) offlineStatus(msg offlineStatusMsg) tea.Cmd {
	m.off.watched = false
	prev := m.off.status
	m.off.status = msg.s
	if msg.s.Reachable {
		if m.off.mode == offlineApproved {
			m.log.Info("database reachable again: the till is back online", "waiting", msg.s.Waiting)
		}
		m.off.mode, m.off.by = offlineNo, ""
		m.noteDB(nil)
	} else if m.dbDown == "" {
		m.noteDB(pos.Errorf(pos.EUnavailable, "the database does not answer"))
	}
	if prev.Waiting > 0 && msg.s.Waiting == 0 && msg.s.Reachable {
		m.setStatus(fmt.Sprintf("the offline sales were sent to the database (%s)", plural(prev.Waiting, "sale")), false)
	}
	return tea.Batch(m.watchOffline(), m.flushAudit())
}

// keepOnStopMsg asks the screen to keep the sale waiting for the database
// in the journal: the till was asked to stop (a signal) and the database
// does not answer.
type keepOnStopMsg struct{}

// keepOnStop reports whether a stop should first keep the sale waiting for
// an unreachable database in the journal, rather than hold the till for
// minutes or leave a sale whose cash was taken unrecorded. No manager is
// asked: nobody may be at the till, and nothing is lost this way.
func (m *Model) keepOnStop() bool {
	return m.canSellOffline() && m.dbDown != "" && m.sale.Stage() == pos.StageSelling &&
		m.sale.Pending().Kind == pos.StepSell
}

// sellOfflineKey handles the key that sells the sale waiting for the
// database offline: at once when this outage was approved, else once a
// manager approves.
func (m *Model) sellOfflineKey() tea.Cmd {
	switch {
	case !m.canSellOffline():
		return m.badInput("this till does not sell offline")
	case m.sale.Stage() != pos.StageSelling:
		return m.badInput("only a cash sale waiting for the database can be sold offline: take the cash first (F5)")
	case m.off.mode == offlineApproved:
		return m.sellOffline()
	case !m.deps.OfflineNeedsManager:
		// This till goes offline without a manager (POS_OFFLINE_APPROVAL=none).
		return tea.Batch(m.audit("offline_started", "sold offline without a manager: the till is set up so"), m.sellOffline())
	}
	return m.askApproval(approvalAsk{
		purpose: approveOffline,
		action:  "selling offline while the database cannot be reached",
		saleKey: m.sale.Key(),
		back:    m.active,
	})
}

// offlineApproved takes the manager's approval and sells the sale waiting.
func (m *Model) offlineApproved(a approvedMsg) tea.Cmd {
	m.off.mode, m.off.by = offlineApproved, a.manager.Name
	if m.dbDown == "" {
		m.noteDB(pos.Errorf(pos.EUnavailable, "the database does not answer"))
	}
	audit := m.audit("offline_approved", fmt.Sprintf("manager %d (%s) approved selling offline", a.manager.ID, a.manager.Name))
	if m.sale.Stage() != pos.StageSelling {
		return audit
	}
	return tea.Batch(audit, m.sellOffline())
}

// sellOffline turns the sale waiting for the database into an offline
// sale.
func (m *Model) sellOffline() tea.Cmd {
	st, err := m.sale.SellOffline()
	if err != nil {
		return m.reject(pos.ErrorMessage(err))
	}
	m.stopSelling()
	m.off.mode = offlineApproved
	m.setStatus("selling offline: writing the sale to the till's journal…", false)
	m.log.Info("sale sold offline", "sale", st.Key)
	return m.runStep(st, 0)
}

// stopSelling stops the SellCash in flight, if any: its answer is no
// longer waited for.
func (m *Model) stopSelling() {
	if m.sellCancel != nil {
		m.sellCancel()
		m.sellCancel = nil
	}
}

// offlineFailed shows why the journal did not keep the sale (a limit, a
// full disk): the sale waits for the database again, its cash kept.
func (m *Model) offlineFailed(err error) tea.Cmd {
	m.log.Warn("offline sale refused", "err", err, "code", pos.ErrorCode(err))
	m.setStatus("not sold offline: "+pos.ErrorMessage(err)+" — the sale waits for the database", true)
	t := m.tender()
	t.tries++
	return tea.Batch(bell, m.retryAfter(t.tries, retryMsg{op: retryFinish, saleKey: m.sale.Key()}))
}

// offlineBanner is the banner while offline sales exist: selling offline,
// or forwarding what was sold.
func (m *Model) offlineBanner() string {
	waiting := m.off.status.Waiting
	switch {
	case m.offline() && m.off.by != "":
		return fmt.Sprintf(" OFFLINE · cash only · %s waiting to be sent · approved by %s", plural(waiting, "sale"), m.off.by)
	case m.offline():
		return fmt.Sprintf(" OFFLINE · cash only · %s waiting to be sent", plural(waiting, "sale"))
	case waiting > 0 && m.dbDown != "":
		return fmt.Sprintf(" ⚠ DATABASE UNREACHABLE · %s sold offline waiting to be sent · %s sells cash offline",
			plural(waiting, "sale"), m.km.SellOffline.Help().Key)
	case waiting > 0:
		return fmt.Sprintf(" sending %s sold offline to the database…", plural(waiting, "sale"))
	}
	return ""
}
