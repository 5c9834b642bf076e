package ui

import (
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// TestPriceOverride types a new price for milk (€1.29) with a 10% limit:
// within it the price applies at once; beyond it the manager approves,
// or does not (a wrong PIN, then Esc) and nothing changes. Every applied
// override is audited with the manager who approved it.
func TestPriceOverride(t *testing.T) {
	tests := []struct {
		name      string
		typed     string
		pins      []string // typed on the approval screen; "" presses Esc
		wantPrice string   // the milk line: "name qty price discount overridden"
		wantAudit []string // price_override rows, by what they contain
		wantApp   []string // approval audit actions
		status    string
	}{
		{name: "within the limit", typed: "1.20", wantPrice: "Whole milk 1l 1 120 0 true",
			wantAudit: []string{"price €1.29 -> €1.20"}, status: "price of Whole milk 1l now €1.20"},
		{name: "beyond it, approved", typed: "0.99", pins: []string{"9999"}, wantPrice: "Whole milk 1l 1 99 0 true",
			wantAudit: []string{"price €1.29 -> €0.99; approved by manager 9 (Max Manager)"}, wantApp: []string{"approval"},
			status: "approved by Max Manager"},
		{name: "beyond it, refused then cancelled", typed: "0.99", pins: []string{"0000", ""},
			wantPrice: "Whole milk 1l 1 129 0 false", wantApp: []string{"approval_refused"}, status: "cancelled"},
		{name: "a comma is a decimal point", typed: "1,25", wantPrice: "Whole milk 1l 1 125 0 true",
			wantAudit: []string{"-> €1.25"}},
		{name: "zero is refused", typed: "0", wantPrice: "Whole milk 1l 1 129 0 false",
			status: "a price must be more than €0.00"},
		{name: "over the most typed", typed: "5000", wantPrice: "Whole milk 1l 1 129 0 false",
			status: "is more than the most a price may be typed at (€1000.00)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newDeskRig(t, 1000, 1000)
			r.scan(milk.Code)
			r.ctrl('o')
			if r.m.basket().mode != basketPrice || !strings.Contains(r.screen(), "New price of Whole milk 1l (now €1.29)") {
				t.Fatalf("no price prompt:\n%s", r.screen())
			}
			r.typeText(tt.typed)
			r.key("enter")
			for _, pin := range tt.pins {
				if r.m.active != screenApproval {
					t.Fatalf("got screen %d, want the approval screen\n%s", r.m.active, r.screen())
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
			if r.m.active != screenBasket {
				t.Fatalf("got screen %d, want the basket\n%s", r.m.active, r.screen())
			}
			if got := r.lines(); len(got) != 1 || got[0] != tt.wantPrice {
				t.Errorf("lines: got %q, want %q", got, tt.wantPrice)
			}
			if tt.status != "" {
				r.wantStatus(tt.status)
			}
			got := r.audit("price_override")
			if len(got) != len(tt.wantAudit) {
				t.Fatalf("price_override audits: got %q, want %d like %q", got, len(tt.wantAudit), tt.wantAudit)
			}
			for i, w := range tt.wantAudit {
				if !strings.Contains(got[i], w) {
					t.Errorf("audit %d: got %q, want it to say %q", i, got[i], w)
				}
			}
			var apps []string
			for _, a := range r.db.auditActions() {
				if strings.HasPrefix(a, "approval") {
					apps = append(apps, a)
				}
			}
			if !slices.Equal(apps, tt.wantApp) {
				t.Errorf("approval audits: got %q, want %q", apps, tt.wantApp)
			}
		})
	}
}

// TestDiscounts: a line discount and a basket discount, as an amount or a
// percentage, within the 10% limit or approved beyond it; the basket
// discount is spread over the lines so they add up to the total.
func TestDiscounts(t *testing.T) {
	tests := []struct {
		name      string
		key       rune // 'd' the selected line (bread), 't' the basket
		typed     string
		approve   bool
		wantLines []string
		wantTotal string
		action    string
	}{
		{name: "line 10% within the limit", key: 'd', typed: "10%",
			wantLines: []string{"Whole milk 1l 1 129 0 false", "Sourdough bread 1 349 35 false"}, wantTotal: "€4.43", action: "line_discount"},
		{name: "line amount beyond the limit, approved", key: 'd', typed: "1.00", approve: true,
			wantLines: []string{"Whole milk 1l 1 129 0 false", "Sourdough bread 1 349 100 false"}, wantTotal: "€3.78", action: "line_discount"},
		{name: "basket amount within the limit", key: 't', typed: "0.40",
			wantLines: []string{"Whole milk 1l 1 129 11 false", "Sourdough bread 1 349 29 false"}, wantTotal: "€4.38", action: "basket_discount"},
		{name: "basket 50% approved", key: 't', typed: "50%", approve: true,
			wantLines: []string{"Whole milk 1l 1 129 65 false", "Sourdough bread 1 349 174 false"}, wantTotal: "€2.39", action: "basket_discount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newDeskRig(t, 1000, 1000)
			r.scan(milk.Code)
			r.scan(bread.Code)
			r.ctrl(tt.key)
			r.typeText(tt.typed)
			r.key("enter")
			if tt.approve {
				if r.m.active != screenApproval {
					t.Fatalf("got screen %d, want the approval screen\n%s", r.m.active, r.screen())
				}
				r.approve("9999")
			}
			if r.m.active != screenBasket {
				t.Fatalf("got screen %d, want the basket (status %q)", r.m.active, r.m.status.text)
			}
			if got := r.lines(); !slices.Equal(got, tt.wantLines) {
				t.Errorf("lines: got %q, want %q", got, tt.wantLines)
			}
			if got := r.m.money(r.m.sale.Totals().Total); got != tt.wantTotal {
				t.Errorf("total: got %s, want %s", got, tt.wantTotal)
			}
			var sum int64
			for _, l := range r.m.sale.Totals().Lines {
				sum += int64(l.Gross)
			}
			if sum != int64(r.m.sale.Totals().Total) {
				t.Errorf("lines add up to %d, total %d", sum, r.m.sale.Totals().Total)
			}
			audits := r.audit(tt.action)
			if len(audits) != 1 || tt.approve != strings.Contains(audits[0], "approved by manager 9") {
				t.Errorf("audits: got %q, want one, approved %v", audits, tt.approve)
			}
			if !strings.Contains(r.screen(), tt.wantTotal) {
				t.Errorf("the screen does not show the total %s:\n%s", tt.wantTotal, r.screen())
			}
		})
	}
}

// TestDiscountRefused: input the discount cannot take is refused on
// screen and in the log, and the basket stays as it was.
func TestDiscountRefused(t *testing.T) {
	tests := []struct {
		name, typed, want string
		key               rune
		noEnter           bool // the refusal comes as the key is typed
	}{
		{name: "more than the line", key: 'd', typed: "5.00", want: "more than Sourdough bread costs"},
		{name: "more than the basket", key: 't', typed: "9.00", want: "more than the basket's €4.78"},
		{name: "over 100%", key: 'd', typed: "150%", want: "cannot be more than 100%"},
		{name: "nothing typed", key: 't', typed: "", want: "type an amount"},
		{name: "letters are not taken", key: 'd', typed: "x", want: `"x" is not taken here`, noEnter: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newDeskRig(t, 1000, 1000)
			r.scan(milk.Code)
			r.scan(bread.Code)
			r.ctrl(tt.key)
			r.typeText(tt.typed)
			if !tt.noEnter {
				r.key("enter")
			}
			r.wantStatus(tt.want)
			if !r.m.status.err {
				t.Error("the refusal is not shown as an error")
			}
			if got := r.m.sale.Totals().Discount; got != 0 {
				t.Errorf("discount: got %d, want 0", got)
			}
		})
	}
}

// TestScanIntoEntryFields: a scan while any entry field is open is a
// scan, never a price, discount, weight or quantity: the field closes,
// the item is added, and what was typed is not applied.
func TestScanIntoEntryFields(t *testing.T) {
	tests := []struct {
		name  string
		open  func(r *deskRig)
		mode  basketMode
		paste bool // a scanner in paste mode
	}{
		{name: "quantity", open: func(r *deskRig) { r.key("f2") }, mode: basketQuantity},
		{name: "price", open: func(r *deskRig) { r.ctrl('o') }, mode: basketPrice},
		{name: "line discount", open: func(r *deskRig) { r.ctrl('d') }, mode: basketLineDiscount},
		{name: "basket discount", open: func(r *deskRig) { r.ctrl('t') }, mode: basketDiscount},
		{name: "weight", open: func(r *deskRig) { r.scan(bananas.Code) }, mode: basketWeight},
		{name: "open price", open: func(r *deskRig) { r.scan(flowers.Code) }, mode: basketOpenPrice},
		{name: "price, pasted", open: func(r *deskRig) { r.ctrl('o') }, mode: basketPrice, paste: true},
		{name: "weight, pasted", open: func(r *deskRig) { r.scan(bananas.Code) }, mode: basketWeight, paste: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newDeskRig(t, 1000, 1000)
			r.scan(milk.Code)
			tt.open(r)
			if got := r.m.basket().mode; got != tt.mode {
				t.Fatalf("mode: got %d, want %d\n%s", got, tt.mode, r.screen())
			}
			r.typeText("1")
			if tt.paste {
				r.send(tea.PasteMsg{Content: bread.Code + "\n"})
			} else {
				r.scan(bread.Code)
			}
			if got := r.m.basket().mode; got != basketScan {
				t.Errorf("after the scan: mode %d, want the scan field", got)
			}
			want := []string{"Whole milk 1l 1 129 0 false", "Sourdough bread 1 349 0 false"}
			if got := r.lines(); !slices.Equal(got, want) {
				t.Errorf("lines: got %q, want %q", got, want)
			}
		})
	}
}

// TestTypedWeightAndOpenPrice: a weighed item without a scale label (by
// its PLU, or found by name) asks for its weight; an open-price item for
// its price, up to the till's most. A refused entry asks again.
func TestTypedWeightAndOpenPrice(t *testing.T) {
	tests := []struct {
		name   string
		add    func(r *deskRig)
		typed  []string // each followed by Enter
		want   string
		action string
		status string
	}{
		{name: "weight in grams", add: func(r *deskRig) { r.scan(bananas.Code) }, typed: []string{"1250"},
			want: "Bananas loose 1250 199 0 false", action: "weight_typed", status: "added Bananas loose 1.250 kg"},
		{name: "weight in kg after a refusal", add: func(r *deskRig) { r.scan(bananas.Code) }, typed: []string{"0", "0.482"},
			want: "Bananas loose 482 199 0 false", action: "weight_typed"},
		{name: "found by name", add: func(r *deskRig) { r.key("f3"); r.typeText("apples"); r.key("enter") },
			typed: []string{"0.5"}, want: "Apples loose 500 299 0 false", action: "weight_typed"},
		{name: "open price", add: func(r *deskRig) { r.scan(flowers.Code) }, typed: []string{"7.50"},
			want: "Flowers bunch 1 750 0 false", action: "open_price"},
		{name: "open price three times", add: func(r *deskRig) { r.typeText("3*" + flowers.Code); r.key("enter") },
			typed: []string{"2"}, want: "Flowers bunch 3 200 0 false", action: "open_price"},
		{name: "open price over the most, then within", add: func(r *deskRig) { r.scan(flowers.Code) },
			typed: []string{"1000.01", "999"}, want: "Flowers bunch 1 99900 0 false", action: "open_price"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newDeskRig(t, 1000, 1000)
			tt.add(r)
			for i, typed := range tt.typed {
				if r.m.basket().mode != basketWeight && r.m.basket().mode != basketOpenPrice {
					t.Fatalf("entry %d: no weight or price asked (mode %d)\n%s", i, r.m.basket().mode, r.screen())
				}
				r.typeText(typed)
				r.key("enter")
			}
			if got := r.lines(); len(got) != 1 || got[0] != tt.want {
				t.Fatalf("lines: got %q, want %q (status %q)", got, tt.want, r.m.status.text)
			}
			if tt.status != "" {
				r.wantStatus(tt.status)
			}
			if got := r.audit(tt.action); len(got) != 1 {
				t.Errorf("%s audits: got %q, want 1", tt.action, got)
			}
		})
	}
}

// TestEntryEscapes: Esc leaves an entry without changing anything.
func TestEntryEscapes(t *testing.T) {
	r := newDeskRig(t, 1000, 1000)
	r.scan(bananas.Code)
	r.typeText("500")
	r.key("esc")
	if len(r.m.sale.Lines()) != 0 || r.m.basket().mode != basketScan {
		t.Fatalf("after Esc: lines %q, mode %d", r.lines(), r.m.basket().mode)
	}
	r.wantStatus("Bananas loose not added")
}
