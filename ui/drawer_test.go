package ui

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/till-pos/till/pos"
)

// fakeDrawer counts the kicks and fails them when err is set.
type fakeDrawer struct {
	mu    sync.Mutex
	kicks int
	err   error
}

func (d *fakeDrawer) OpenDrawer(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.kicks++
	return d.err
}

// The drawer opens once for a sale with cash in it, never for a card-only
// sale, and a drawer that does not open is said on the screen without a
// database banner; the sale stays recorded.
func TestDrawerOpensForCash(t *testing.T) {
	tests := []struct {
		name       string
		keys       []string // after F5 on milk ×3 and bread: €7.36
		fault      error
		wantKicks  int
		wantStatus string
	}{
		{"exact cash", []string{"f2"}, nil, 1, "sale recorded"},
		{"typed cash", []string{"1", "0", "enter"}, nil, 1, "sale recorded"},
		{"all card", []string{"f5"}, nil, 0, "sale recorded"},
		{"card then cash", []string{"5", "f5", "5", "enter"}, nil, 1, "sale recorded"},
		{"drawer fault", []string{"f2"}, pos.Errorf(pos.EConflict, "printer offline: the cash drawer did not open"), 1, "the cash drawer did not open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, false)
			drawer := &fakeDrawer{err: tt.fault}
			r.m.deps.Drawer = drawer
			r.signIn()
			r.scan("3*4006381333931")
			r.scan("5901234123457")
			r.key("f5")
			for _, k := range tt.keys {
				r.key(k)
			}
			if r.m.active != screenDone {
				t.Fatalf("screen: got %d, want the done screen (status %q)", r.m.active, r.m.status.text)
			}
			if drawer.kicks != tt.wantKicks {
				t.Errorf("drawer kicks: got %d, want %d", drawer.kicks, tt.wantKicks)
			}
			if !strings.Contains(r.m.status.text, tt.wantStatus) {
				t.Errorf("status: got %q, want it to contain %q", r.m.status.text, tt.wantStatus)
			}
			if r.m.dbDown != "" {
				t.Errorf("database banner: got %q, want none for a drawer fault", r.m.dbDown)
			}
			if got := len(r.db.completed()); got != 1 {
				t.Errorf("completed sales: got %d, want 1", got)
			}
		})
	}
}
