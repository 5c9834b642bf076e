package ui

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/till-pos/till/pos"
)

// fakeLocks is the sign-in of the fake database with locked cashiers, and
// a manager (900, PIN 9999) who unlocks them.
type fakeLocks struct {
	*fakeDB
	mu      sync.Mutex
	locked  map[string]bool
	unlocks []string // "cashier by manager" of each unlock asked
}

func (f *fakeLocks) SignIn(ctx context.Context, store, till, number, pin string) (pos.Cashier, error) {
	f.mu.Lock()
	locked := f.locked[number]
	f.mu.Unlock()
	if locked {
		return pos.Cashier{}, pos.Errorf(pos.EInvalid, "wrong cashier number or PIN, or sign-in is locked")
	}
	return f.fakeDB.SignIn(ctx, store, till, number, pin)
}

func (f *fakeLocks) UnlockCashier(ctx context.Context, store, till, manager, pin, cashier string) (pos.Cashier, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unlocks = append(f.unlocks, cashier+" by "+manager)
	if manager != "900" || pin != "9999" {
		return pos.Cashier{}, pos.Errorf(pos.EInvalid, "wrong manager number or PIN, or not a manager of this store")
	}
	delete(f.locked, cashier)
	return pos.Cashier{ID: 9, Number: "900", Name: "Max Manager", Manager: true}, nil
}

// TestManagerUnlocksACashier: a refused sign-in offers F9; a manager's
// number and PIN typed by hand unlock the cashier, who then types their
// PIN again. A wrong manager PIN keeps the approval screen, Esc goes back
// with the cashier still locked, a scan is never taken as the PIN, and
// without a refusal F9 does nothing.
func TestManagerUnlocksACashier(t *testing.T) {
	tests := []struct {
		name         string
		refuse       bool     // sign in as 101 first, refused (locked)
		steps        []string // on the approval screen: a PIN typed, "esc", or "scan:CODE"
		wantUnlocks  []string
		wantSignedIn bool // 101 signs in with 1111 afterwards
		wantStatus   string
	}{
		{name: "unlocked, then signed in", refuse: true, steps: []string{"9999"},
			wantUnlocks: []string{"101 by 900"}, wantSignedIn: true, wantStatus: "cashier 101 unlocked by Max Manager"},
		{name: "a wrong manager PIN, then the right one", refuse: true, steps: []string{"0000", "9999"},
			wantUnlocks: []string{"101 by 900", "101 by 900"}, wantSignedIn: true, wantStatus: "unlocked by Max Manager"},
		{name: "a wrong manager PIN, then cancelled", refuse: true, steps: []string{"0000", "esc"},
			wantUnlocks: []string{"101 by 900"}, wantStatus: "cancelled"},
		{name: "a scanned PIN is refused", refuse: true, steps: []string{"scan:99999999", "esc"},
			wantStatus: "cancelled"},
		{name: "no refusal, no unlock", wantStatus: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, false)
			locks := &fakeLocks{fakeDB: r.db, locked: map[string]bool{"101": true}}
			r.m.deps.Cashiers, r.m.deps.Unlocker = locks, locks
			if strings.Contains(r.screen(), "manager unlock") {
				t.Fatalf("the unlock key is offered before any refusal:\n%s", r.screen())
			}
			if tt.refuse {
				r.signIn()
				if r.m.active != screenSignIn || !strings.Contains(r.screen(), "F9 manager unlock") {
					t.Fatalf("a refused sign-in: got screen %d, want the sign-in with F9 offered\n%s", r.m.active, r.screen())
				}
			}
			r.key("f9")
			if !tt.refuse {
				if r.m.active != screenSignIn {
					t.Errorf("F9 without a refusal: got screen %d, want the sign-in", r.m.active)
				}
				return
			}
			if r.m.active != screenApproval || !strings.Contains(r.screen(), "unlock cashier 101") ||
				!strings.Contains(r.screen(), "the cashier types their PIN again") {
				t.Fatalf("F9: got screen %d, want the approval for unlock cashier 101\n%s", r.m.active, r.screen())
			}
			for _, step := range tt.steps {
				if r.m.active != screenApproval {
					t.Fatalf("got screen %d, want the approval screen before %q\n%s", r.m.active, step, r.screen())
				}
				switch {
				case step == "esc":
					r.key("esc")
				case strings.HasPrefix(step, "scan:"):
					r.scan(strings.TrimPrefix(step, "scan:"))
				default:
					if r.m.screens[screenApproval].(*approvalScreen).number.empty() {
						r.typeText("900")
						r.key("tab")
					}
					r.typeText(step)
					r.key("enter")
				}
			}
			if r.m.active != screenSignIn {
				t.Fatalf("after the approval: got screen %d, want the sign-in\n%s", r.m.active, r.screen())
			}
			if !strings.Contains(r.m.status.text, tt.wantStatus) {
				t.Errorf("status: got %q, want it to say %q", r.m.status.text, tt.wantStatus)
			}
			if got := strings.Join(locks.unlocks, ","); got != strings.Join(tt.wantUnlocks, ",") {
				t.Errorf("unlocks asked: got %q, want %q", got, tt.wantUnlocks)
			}
			s := r.m.screens[screenSignIn].(*signInScreen)
			if s.number.String() != "101" || !s.onPIN {
				t.Errorf("sign-in after the approval: number %q, on the PIN %v; want 101 and the PIN", s.number.String(), s.onPIN)
			}
			r.typeText("1111")
			r.key("enter")
			if signedIn := r.m.active == screenBasket; signedIn != tt.wantSignedIn {
				t.Errorf("signed in after: got %v, want %v (status %q)", signedIn, tt.wantSignedIn, r.m.status.text)
			}
		})
	}
}
