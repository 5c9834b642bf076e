package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// ReceiptCopies reprints a sale's receipt marked COPY (the receipts
// service's PrintCopy and SaveCopy); nil: reprints are not set up.
type ReceiptCopies interface {
	PrintCopy(ctx context.Context, sale pos.Sale) error
	SaveCopy(ctx context.Context, sale pos.Sale) (string, error)
	// CanPrint reports whether a printer is set up; without one the copy
	// is saved and its path shown.
	CanPrint() bool
}

// reprintMsg answers a reprint.
type reprintMsg struct {
	saleKey string
	where   string
	err     error
}

// reprintLast reprints the last sale this till completed (ctrl+r on the
// basket).
func (m *Model) reprintLast() tea.Cmd {
	if m.lastSale == nil {
		return m.badInput("no sale completed at this till since it started: scan a receipt to reprint it")
	}
	return m.reprint(*m.lastSale)
}

// reprint prints (or, without a printer, saves) a copy of sale's receipt
// marked COPY.
func (m *Model) reprint(sale pos.Sale) tea.Cmd {
	if m.deps.ReceiptCopies == nil {
		return m.badInput("reprints are not set up on this till")
	}
	m.setStatus("reprinting the receipt (COPY)…", false)
	ctx, rc := m.ctx, m.deps.ReceiptCopies
	return func() tea.Msg {
		if rc.CanPrint() {
			return reprintMsg{saleKey: sale.Key, where: "printed", err: rc.PrintCopy(ctx, sale)}
		}
		where, err := rc.SaveCopy(ctx, sale)
		return reprintMsg{saleKey: sale.Key, where: "saved to " + where, err: err}
	}
}

// reprinted says what became of a reprint, on whatever screen is shown.
func (m *Model) reprinted(msg reprintMsg) tea.Cmd {
	if msg.err != nil {
		return m.fail("reprint the receipt", msg.err)
	}
	m.log.Info("receipt reprinted (COPY)", "sale", msg.saleKey, "where", msg.where)
	m.setStatus("receipt copy "+msg.where, false)
	return m.auditKey(msg.saleKey, "reprint", "receipt COPY "+msg.where)
}
