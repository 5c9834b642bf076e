package ui

import (
	"slices"
	"strings"
	"testing"

	"github.com/till-pos/till/pos"
)

// withManager gives a rig the approver with manager 900 (PIN 9999).
func withManager(r *rig) {
	r.m.deps.Approver = &pos.Approver{Cashiers: &fakeManagers{db: r.db}, Audit: r.db, StoreID: "s1", TillID: "t1"}
}

// TestVoidAfterCardNeedsManager: F9 on a sale a card has paid asks a
// manager first; approved, the sale is voided (the card refunded) and
// both the approval and the void name the manager; refused or cancelled,
// the sale stays reserved with its card. A sale no card paid voids as
// before, without asking.
func TestVoidAfterCardNeedsManager(t *testing.T) {
	tests := []struct {
		name       string
		card       bool
		pins       []string // on the approval screen; "" presses Esc
		wantVoided bool
		wantAudits []string // approval and void audit actions, in order
	}{
		{name: "card paid, approved", card: true, pins: []string{"9999"}, wantVoided: true,
			wantAudits: []string{"approval", "void_sale"}},
		{name: "card paid, wrong PIN then cancelled", card: true, pins: []string{"0000", ""},
			wantAudits: []string{"approval_refused"}},
		{name: "card paid, wrong PIN then approved", card: true, pins: []string{"0000", "9999"}, wantVoided: true,
			wantAudits: []string{"approval_refused", "approval", "void_sale"}},
		{name: "cash only, no manager", wantVoided: true, wantAudits: []string{"void_sale"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, true)
			withManager(r)
			r.scan(milk.Code)
			r.scan(bread.Code) // 4.78
			r.key("f5")
			if tt.card {
				r.typeText("2")
				r.key("f5") // card €2.00
			} else {
				r.typeText("1")
				r.key("enter") // cash €1.00
			}
			key := r.m.sale.Key()
			r.key("f9")
			r.key("y")
			for _, pin := range tt.pins {
				if r.m.active != screenApproval {
					t.Fatalf("got screen %d, want the approval screen\n%s", r.m.active, r.screen())
				}
				if !strings.Contains(r.screen(), "void sale after a card payment of €2.00") {
					t.Errorf("the approval screen does not say what is approved:\n%s", r.screen())
				}
				if pin == "" {
					r.key("esc")
					continue
				}
				if r.m.screens[screenApproval].(*approvalScreen).number.empty() {
					r.typeText("900")
					r.key("tab")
				}
				r.typeText(pin)
				r.key("enter")
			}
			voided := r.m.sale.Key() != key
			if voided != tt.wantVoided {
				t.Fatalf("voided: got %v, want %v (screen %d, status %q)", voided, tt.wantVoided, r.m.active, r.m.status.text)
			}
			if !tt.wantVoided && (r.m.active != screenTender || r.m.sale.CardPaid() != 200) {
				t.Errorf("not voided: got screen %d, card paid %d, want the payment screen and 200", r.m.active, r.m.sale.CardPaid())
			}
			if tt.card {
				s, ok := r.db.sales[key]
				wantStatus := pos.SalePending
				if tt.wantVoided {
					wantStatus = pos.SaleVoided
				}
				if !ok || s.Status != wantStatus {
					t.Errorf("stored sale: got %q (found %v), want %q", s.Status, ok, wantStatus)
				}
			}
			var got []string
			var void string
			for _, a := range r.db.audits {
				if strings.HasPrefix(a.Action, "approval") || a.Action == "void_sale" {
					got = append(got, a.Action)
				}
				if a.Action == "void_sale" {
					void = a.Detail
				}
				if a.Action == "approval" && (a.CashierID != 1 || !strings.Contains(a.Detail, "approved by manager 9")) {
					t.Errorf("approval audit: got cashier %d %q, want cashier 1 and manager 9", a.CashierID, a.Detail)
				}
			}
			if !slices.Equal(got, tt.wantAudits) {
				t.Errorf("audits: got %q, want %q", got, tt.wantAudits)
			}
			if approved := strings.Contains(void, "approved by manager 9 (Max Manager)"); tt.card && tt.wantVoided && !approved {
				t.Errorf("void_sale audit: got %q, want it to name the manager", void)
			} else if !tt.card && approved {
				t.Errorf("void_sale audit of a cash sale names a manager: %q", void)
			}
		})
	}
}
