package main

import (
	"strings"
	"testing"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store/storetest"
)

// TestE2EReturnOneOfThree is issue 11's end-to-end case on the real till:
// three items sold to a loyalty customer, paid €1.00 by card and the rest
// in cash; the receipt's barcode scanned; one item returned, over the
// approval limit, so a manager types their number and PIN; the refund goes
// card first, then cash, shown big. The tables hold the return, its line,
// its two refunds, the stock back, the points taken back and the audit.
func TestE2EReturnOneOfThree(t *testing.T) {
	d := storetest.NewDatabase(t)
	items := seedItems(t, d, 3)
	a, b, c := items[0], items[1], items[2]
	card, points := returnCustomer(t, d)
	f := startFlowTill(t, d, d.DSN, "POS_CARD_READER=simulated", "POS_RETURN_APPROVAL_OVER=1")
	eur := pos.EUR()

	f.scan(card)
	f.waitFor("points")
	for _, it := range []flowItem{a, b, c} {
		f.scan(it.code)
		f.waitFor("added " + it.name)
	}
	total := a.price + b.price + c.price
	f.waitFor("TOTAL", eur.Format(total))
	f.keys("F5")
	f.waitFor("Cash given")
	humanKeys(t, f.ctx, f.session, "1", ".", "0", "0")
	f.keys("F5") // €1.00 by card: the simulated reader takes 1.5 s
	f.waitFor("approved", "still due")
	f.keys("F2") // the rest in cash, exact
	f.waitFor("Sale complete")
	sales := f.sales()
	if len(sales) != 1 || sales[0].status != "completed" {
		t.Fatalf("sales: got %+v, want one completed", sales)
	}
	earned := f.pointsOf(card) - points

	code, err := pos.ReceiptCode(sales[0].key)
	if err != nil {
		t.Fatal(err)
	}
	f.scan(code)                                  // from the done screen: the next thing scanned is the receipt
	f.waitFor("Return from sale", "Sold", "Left") // the names are cut to fit
	humanKeys(t, f.ctx, f.session, "1", "Enter")
	screen := f.waitFor("REFUND "+eur.Format(a.price), "card visa", "a manager approves a return over the limit")
	f.shot("return")
	if !strings.Contains(screen, "cash "+eur.Format(a.price-100)) {
		t.Errorf("plan: want card €1.00 then cash %s", eur.Format(a.price-100))
	}
	f.keys("Enter")
	f.waitFor("Refund " + eur.Format(a.price))
	f.keys("y")
	f.waitFor("Manager approval")
	for i := range "103" {
		humanKeys(t, f.ctx, f.session, "103"[i:i+1])
		f.waitFor("Manager number " + "103"[:i+1] + "█")
	}
	humanKeys(t, f.ctx, f.session, "Tab")
	for i := 1; i <= 4; i++ {
		humanKeys(t, f.ctx, f.session, "9")
		f.waitFor("PIN            " + strings.Repeat("•", i) + "█")
	}
	f.shot("approval")
	f.keys("Enter")
	screen = f.waitFor("Return complete", "GIVE BACK CASH")
	f.shot("done")
	if !strings.Contains(screen, "Card visa") {
		t.Errorf("done: the card refund is not shown")
	}
	f.keys("F3") // the refund receipt, saved
	f.waitFor("refund receipt saved to")

	// The tables.
	var status, total1, kind string
	var approvedBy, customer, reversed int64
	if err := d.Admin.QueryRowContext(f.ctx, `SELECT r.status, r.kind, r.total_amount, COALESCE(r.approved_by, 0),
			COALESCE(r.customer_id, 0), r.points_reversed
		FROM returns r JOIN transactions t ON t.transaction_id = r.transaction_id WHERE t.idempotency_key = ?`,
		sales[0].key).Scan(&status, &kind, &total1, &approvedBy, &customer, &reversed); err != nil {
		t.Fatalf("returns: %v", err)
	}
	var manager int64
	if err := d.Admin.QueryRowContext(f.ctx, "SELECT cashier_id FROM cashiers WHERE number = '103'").Scan(&manager); err != nil {
		t.Fatalf("manager: %v", err)
	}
	if status != "completed" || kind != "return" || total1 != eur.Plain(a.price) || approvedBy != manager || customer == 0 {
		t.Errorf("return: got %s %s %s approved by %d customer %d; want completed return %s approved by %d",
			status, kind, total1, approvedBy, customer, eur.Plain(a.price), manager)
	}
	var lines int
	var item int64
	var qty int
	var reason string
	var restock bool
	if err := d.Admin.QueryRowContext(f.ctx, `SELECT COUNT(*), MIN(i.item_id), MIN(i.quantity), MIN(i.reason), MIN(i.restock)
		FROM return_items i JOIN returns r ON r.return_id = i.return_id`).Scan(&lines, &item, &qty, &reason, &restock); err != nil {
		t.Fatalf("return_items: %v", err)
	}
	if lines != 1 || item != a.id || qty != 1 || reason != "changed_mind" || !restock {
		t.Errorf("return_items: got %d lines, item %d ×%d %s restock %v; want 1 line, item %d ×1 changed_mind restocked",
			lines, item, qty, reason, restock, a.id)
	}
	rows, err := d.Admin.QueryContext(f.ctx, `SELECT CONCAT_WS(' ', method, status, amount, card_brand, card_last4)
		FROM refunds ORDER BY refund_id`)
	if err != nil {
		t.Fatal(err)
	}
	var refunds []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		refunds = append(refunds, strings.TrimSpace(s))
	}
	rows.Close()
	if len(refunds) != 2 || !strings.HasPrefix(refunds[0], "card approved 1.00 visa") || refunds[1] != "cash approved "+eur.Plain(a.price-100) {
		t.Errorf("refunds: got %q; want card approved 1.00 visa…, cash approved %s", refunds, eur.Plain(a.price-100))
	}
	for _, it := range []struct {
		item flowItem
		want int64
	}{{a, a.stock}, {b, b.stock - 1}, {c, c.stock - 1}} {
		if got := f.stock(it.item); got != it.want {
			t.Errorf("stock of %s: got %d, want %d", it.item.name, got, it.want)
		}
	}
	if got := f.pointsOf(card); got != points+earned-reversed || (earned > 0 && reversed == 0) {
		t.Errorf("points: got %d, want %d + %d earned − %d taken back", got, points, earned, reversed)
	}
	if acts := "," + f.auditActions() + ","; !strings.Contains(acts, ",approval,") || !strings.Contains(acts, ",return,") {
		t.Errorf("audit: got %q, want the manager's approval and the return", acts)
	}
}

// returnCustomer is a seeded loyalty customer: their card and points.
func returnCustomer(t *testing.T, d *storetest.Database) (string, int64) {
	t.Helper()
	var card string
	var points int64
	if err := d.Admin.QueryRow(`SELECT loyalty_card, loyalty_points FROM customers
		WHERE loyalty_card IS NOT NULL AND loyalty_card <> '' ORDER BY customer_id LIMIT 1`).Scan(&card, &points); err != nil {
		t.Fatalf("customer: %v", err)
	}
	return card, points
}

func (f *flowTill) pointsOf(card string) int64 {
	f.t.Helper()
	var n int64
	if err := f.d.Admin.QueryRowContext(f.ctx, "SELECT loyalty_points FROM customers WHERE loyalty_card = ?", card).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}
