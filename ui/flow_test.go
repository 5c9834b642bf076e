package ui

import (
	"bytes"
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/till-pos/till/pos"
)

// TestFlowSplitTender runs the whole program at 80×24: sign in, scan three
// items (one with a quantity prefix, one weighed by its scale label),
// attach a customer by scanning their loyalty card, pay part by card and
// the rest in cash, and see the change.
func TestFlowSplitTender(t *testing.T) {
	db := &fakeDB{items: []pos.Item{milk, bread, apples}, custs: []pos.Customer{ann}}
	set := pos.Settings{StoreID: "s1", TillID: "t1", Currency: pos.EUR(), TaxMode: pos.TaxInclusive,
		PointsPer: 100, Scan: pos.DefaultScanRules(), Training: true}
	reader := &fakeReader{}
	m := New(context.Background(), Deps{Checkout: &pos.Checkout{Sales: db, Gateway: reader, Settings: set},
		Catalog: db, Customers: db, Cashiers: db, Audit: db, CardSim: reader}, NewStyles(false))
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	wait := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(what)) },
			teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	wait("catalog")
	tm.Type("101")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyTab})
	// A person's pace: at machine speed a PIN is a scan. Each digit is
	// on screen (a key is shown once burstGap passed with no other key)
	// before the next is typed.
	for _, c := range "1111" {
		tm.Type(string(c))
		wait("•") // the output read since the last wait: this digit's bullet
	}
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	wait("Scan")
	for _, code := range []string{"3*4006381333931", applesLabel, "5901234123457", loyaltyCard} {
		tm.Type(code)
		tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	}
	wait("Ann Shopper")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyF5}) // tender: €3.87 + €1.44 + €3.49 = €8.80
	wait("Cash given")
	tm.Type("5")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyF5}) // €5 by card
	wait("still due")
	tm.Type("10")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter}) // €10 cash for €3.80
	wait("CHANGE DUE")
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)

	sales := db.completed()
	if len(sales) != 1 {
		t.Fatalf("completed sales: got %d, want 1", len(sales))
	}
	s := sales[0]
	if len(s.Lines) != 3 || s.Totals.Total != 880 || s.CustomerID != ann.ID || !s.Training {
		t.Errorf("sale: got %d lines, total %d, customer %d, training %v; want 3, 880, %d, true",
			len(s.Lines), s.Totals.Total, s.CustomerID, s.Training, ann.ID)
	}
	if got := s.Change(); got != 620 {
		t.Errorf("change: got %d, want 620", got)
	}
	if d := final.screens[screenDone].(*doneScreen); d.sale.Key != s.Key {
		t.Errorf("done screen shows sale %s, want %s", d.sale.Key, s.Key)
	}
}
