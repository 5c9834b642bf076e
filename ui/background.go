package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// background handles the answers that belong to no screen: the catalog
// cache and the audit log outbox.
func (m *Model) background(msg tea.Msg) (tea.Cmd, bool) {
	if cmd, done := m.protocol(msg); done {
		return cmd, true
	}
	switch msg := msg.(type) {
	case catalogMsg:
		return m.catalogLoaded(msg), true
	case refreshMsg:
		return m.loadCatalog(), true
	case auditMsg:
		m.noteDB(msg.err)
		if msg.spooled {
			m.log.Warn("audit write failed; kept on the till's disk until the database is back", "action", msg.entry.Action, "err", msg.err)
			return nil, true
		}
		if msg.err != nil {
			// Keep it and write it when the database is back: a void is
			// always audited, even if it happened while the database was down.
			m.log.Warn("audit write failed; kept for later", "action", msg.entry.Action, "err", msg.err)
			m.auditOutbox = append(m.auditOutbox, msg.entry)
		}
		return nil, true
	case offlineStatusMsg:
		return m.offlineStatus(msg), true
	case keepOnStopMsg:
		m.log.Warn("asked to stop while the database does not answer: the sale waiting is kept in the offline journal", "sale", m.sale.Key())
		return tea.Batch(m.audit("offline_on_stop", "kept offline: the till was stopped while the database did not answer"), m.sellOffline()), true
	case cardCustomerMsg:
		return m.cardCustomer(msg), true
	case reprintMsg:
		return m.reprinted(msg), true
	case drawerMsg:
		if msg.err != nil {
			return m.fault("open the cash drawer", msg.err), true
		}
		return nil, true
	case retryMsg:
		if msg.op == retryCustomer {
			return m.lookupAgain(msg), true
		}
	}
	return nil, false
}

// loadCatalog fetches the items changed since the last load (all of them
// the first time).
func (m *Model) loadCatalog() tea.Cmd {
	ctx, since, cat := m.ctx, m.cat.since, m.deps.Catalog
	return func() tea.Msg {
		items, err := cat.Items(ctx, since)
		return catalogMsg{items: items, err: err}
	}
}

func (m *Model) catalogLoaded(msg catalogMsg) tea.Cmd {
	m.noteDB(msg.err)
	if msg.err != nil {
		m.log.Warn("catalog load failed", "err", msg.err)
		m.refreshFails++
		wait := backoff(m.refreshFails)
		if !m.cat.loaded {
			m.setStatus("loading the catalog: "+pos.ErrorMessage(msg.err)+"; retrying", true)
		}
		return m.after(wait, refreshMsg{})
	}
	first := !m.cat.loaded
	m.refreshFails = 0
	m.cat.merge(msg.items)
	if first {
		m.log.Info("catalog loaded", "items", len(m.cat.items))
	} else if len(msg.items) > 0 {
		m.log.Debug("catalog refreshed", "changed", len(msg.items))
	}
	cmds := []tea.Cmd{m.after(m.deps.RefreshEvery, refreshMsg{}),
		m.flushAudit()}
	if first && m.status.err && m.active == screenSignIn {
		m.setStatus("", false)
	}
	// Scans typed while the catalog was loading are played now, in order.
	pending := m.pendingScans
	m.pendingScans = nil
	for _, s := range pending {
		cmds = append(cmds, m.scan(s))
	}
	return tea.Batch(cmds...)
}

// audit writes an entry about the sale to the audit log in the background.
func (m *Model) audit(action, detail string) tea.Cmd {
	return m.auditKey(m.sale.Key(), action, detail)
}

// auditKey writes an entry about the sale under key.
func (m *Model) auditKey(key, action, detail string) tea.Cmd {
	e := pos.AuditEntry{StoreID: m.set.StoreID, TillID: m.set.TillID, Action: action,
		SaleKey: key, Detail: detail}
	if m.cashier != nil {
		e.CashierID = m.cashier.ID
	}
	m.log.Info("audit", "action", action, "sale", e.SaleKey, "detail", detail)
	return m.writeAudit(e)
}

func (m *Model) writeAudit(e pos.AuditEntry) tea.Cmd {
	ctx, log := m.ctx, m.deps.Audit
	if log == nil {
		return nil
	}
	spool, _ := m.deps.Checkout.Journal.(pos.AuditSpool) // nil: kept in memory only
	return func() tea.Msg {
		// The write must happen even if the program is quitting.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err := log.Audit(ctx, e)
		if pos.ErrorCode(err) == pos.EUnavailable && spool != nil && spool.SpoolAudit(e) == nil {
			return auditMsg{entry: e, err: err, spooled: true}
		}
		return auditMsg{entry: e, err: err}
	}
}

// flushAudit retries the audit entries kept while the database was down.
func (m *Model) flushAudit() tea.Cmd {
	out := m.auditOutbox
	m.auditOutbox = nil
	cmds := make([]tea.Cmd, len(out))
	for i, e := range out {
		cmds[i] = m.writeAudit(e)
	}
	return tea.Batch(cmds...)
}
