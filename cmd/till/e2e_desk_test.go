package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store/storetest"
)

// TestE2EOverrideParkResume is issue 12's desk case on the real till: two
// items scanned at till-1; the first one's price typed lower, which (with
// no override limit) a manager approves with their number and PIN; a 10%
// discount on the second, within the cashier's limit; the basket parked.
// Till-2 of the same store resumes it by scanning the ticket and sells it
// in cash; till-1 scanning the same ticket is told it was resumed. The
// tables: one parked basket resumed at till-2, no stock taken by parking,
// one sale whose lines keep the overridden price and the discount, and
// the audit of the approval, the override, the discount, the park and the
// resume.
func TestE2EOverrideParkResume(t *testing.T) {
	d := storetest.NewDatabase(t)
	items := seedItems(t, d, 3)
	a, b := items[0], items[1]
	eur := pos.EUR()
	one := startFlowTill(t, d, d.DSN, "POS_TILL_ID=till-1")

	one.scan(a.code)
	one.waitFor("added " + a.name)
	one.scan(b.code)
	one.waitFor("added " + b.name)
	humanKeys(t, one.ctx, one.session, "Up", "C-o")
	one.waitFor("New price of")
	newPrice := a.price - 50
	one.typeAmount(eur.Plain(newPrice))
	one.waitFor("Manager approval", "for price of")
	humanKeys(t, one.ctx, one.session, "1", "0", "3", "Tab", "9", "9", "9", "9")
	one.waitFor("PIN            ••••█")
	one.shot("approval")
	one.keys("Enter")
	one.waitFor("approved by", "*"+eur.Format(newPrice))
	humanKeys(t, one.ctx, one.session, "Down", "C-d")
	one.waitFor("Discount on")
	one.typeAmount("10%")
	off, err := pos.Discount{Percent: 1000}.Of(b.price)
	if err != nil {
		t.Fatal(err)
	}
	total := newPrice + b.price - off
	one.waitFor("discount "+eur.Format(off), "TOTAL", eur.Format(total))
	one.shot("override and discount")
	humanKeys(t, one.ctx, one.session, "C-p")
	screen := one.waitFor("parked as ticket PK")
	ticket := regexp.MustCompile(`PK\d+`).FindString(screen)
	if n, ok := pos.ParseParkedCode(ticket); !ok || n <= 0 {
		t.Fatalf("ticket %q on screen:\n%s", ticket, screen)
	}
	humanKeys(t, one.ctx, one.session, "C-p")
	one.waitFor("Parked baskets at this store", ticket, eur.Format(total))
	one.shot("parked list")
	humanKeys(t, one.ctx, one.session, "Escape")
	if got := one.stock(a); got != a.stock {
		t.Errorf("stock of %s after parking: got %d, want %d (parking takes none)", a.name, got, a.stock)
	}

	two := startFlowTill(t, d, d.DSN, "POS_TILL_ID=till-2")
	two.scan(ticket)
	two.waitFor("resumed ticket "+ticket, "TOTAL", eur.Format(total))
	two.shot("resumed")
	two.keys("F5")
	two.waitFor("Cash given")
	two.keys("F2")
	two.waitFor("Sale complete")

	one.scan(ticket)
	one.waitFor("already resumed at till till-2")

	// The tables.
	var status, till string
	if err := d.Admin.QueryRowContext(one.ctx, `SELECT status, COALESCE(resumed_till, '') FROM parked_baskets`).Scan(&status, &till); err != nil {
		t.Fatal(err)
	}
	if status != "resumed" || till != "till-2" {
		t.Errorf("parked basket: got %s at %q, want resumed at till-2", status, till)
	}
	sales := one.sales()
	if len(sales) != 1 || sales[0].status != "completed" || sales[0].total != eur.Plain(total) || sales[0].lines != 2 {
		t.Fatalf("sales: got %+v, want one completed of 2 lines, %s", sales, eur.Plain(total))
	}
	rows, err := d.Admin.QueryContext(one.ctx, `SELECT CONCAT_WS(' ', i.item_id, i.unit_price, i.price_overridden, i.discount)
		FROM transaction_items i JOIN transactions t ON t.transaction_id = i.transaction_id
		WHERE t.idempotency_key = ? ORDER BY i.line_no`, sales[0].key)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	rows.Close()
	want := []string{
		strings.Join([]string{strconv.FormatInt(a.id, 10), eur.Plain(newPrice), "1", "0.00"}, " "),
		strings.Join([]string{strconv.FormatInt(b.id, 10), eur.Plain(b.price), "0", eur.Plain(off)}, " "),
	}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("sale lines: got %q, want %q", lines, want)
	}
	if got := one.stock(a); got != a.stock-1 {
		t.Errorf("stock of %s after the sale: got %d, want %d", a.name, got, a.stock-1)
	}
	actions := one.auditActions()
	for _, w := range []string{"approval", "price_override", "line_discount", "park", "resume_parked"} {
		if !strings.Contains(","+actions+",", ","+w+",") {
			t.Errorf("audit: %q has no %s", actions, w)
		}
	}
	var detail string
	if err := d.Admin.QueryRowContext(one.ctx, `SELECT detail FROM audit_log WHERE action = 'price_override'`).Scan(&detail); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(detail, "approved by manager") {
		t.Errorf("price_override audit: %q does not name the manager", detail)
	}
}
