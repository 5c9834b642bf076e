package ui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

// A quit from a stop signal waits while the sale is being recorded, even
// after the cashier stepped back to the basket, and passes once it is.
func TestSignalQuitWaitsForTheSaleToSettle(t *testing.T) {
	r := newRig(t, true)
	quit := tea.QuitMsg{}
	if got := r.m.Filter(r.m, quit); got == nil {
		t.Fatalf("idle till: got the quit held, want it passed")
	}
	r.scan("4006381333931")
	r.db.setDown(true)
	r.key("f5")
	r.key("f2") // exact cash: recorded once the database answers
	for _, step := range []struct {
		name string
		do   func()
	}{
		{"on the tender", func() {}},
		{"back on the basket", func() { r.key("esc") }},
	} {
		step.do()
		if !r.m.sale.Settling() {
			t.Fatalf("%s: the sale is not settling (stage %s)", step.name, r.m.sale.Stage())
		}
		if got := r.m.Filter(r.m, quit); got != nil {
			t.Errorf("%s: got the quit passed while the sale is recorded, want it held", step.name)
		}
	}
	r.db.setDown(false)
	r.send(retryMsg{op: retryFinish, saleKey: r.m.sale.Key()})
	if r.m.active != screenDone {
		t.Fatalf("after the database came back: screen %d, want done (status %q)", r.m.active, r.m.status.text)
	}
	if got := r.m.Filter(r.m, quit); got == nil {
		t.Errorf("sale recorded: got the quit held, want it passed")
	}
}
