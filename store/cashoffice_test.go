package store_test

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"testing"

	"github.com/till-pos/till/pos"
)

// office is the cash office of the fixture's till (s1/t1), with a manager.
func (f *fixture) office(t testing.TB) (*pos.CashOffice, int64) {
	t.Helper()
	m := f.d.AddCashier(t, pos.Cashier{Number: "900", Name: "Mia", Manager: true}, "9999")
	return &pos.CashOffice{Store: f.db, Settings: f.co.Settings}, m.ID
}

// day is what a test did in one session, added up in Go from what the
// pos APIs returned: the figures the report must equal.
type day struct {
	float                    pos.Money
	sales                    pos.Tally
	byTender                 map[pos.Method]pos.Tally
	tendered, change         pos.Money
	first, last              int64
	released, returns, voids pos.Tally
	refunds                  map[pos.Method]pos.Tally
	rounding                 pos.Money
	discounts, overrides     pos.Tally
	tax                      map[int]pos.TaxTotal
	paidIn, paidOut, pickups pos.Tally
	noSales                  int64
	cashiers                 map[int64]bool
}

func newDay(float pos.Money) *day {
	return &day{float: float, byTender: map[pos.Method]pos.Tally{}, refunds: map[pos.Method]pos.Tally{},
		tax: map[int]pos.TaxTotal{}, cashiers: map[int64]bool{}}
}

func add(t pos.Tally, amount pos.Money) pos.Tally {
	return pos.Tally{Count: t.Count + 1, Amount: t.Amount + amount}
}

func (d *day) sale(s pos.Sale) {
	d.sales = add(d.sales, s.Totals.Total+s.CashRounding)
	d.rounding += s.CashRounding
	if d.first == 0 {
		d.first = s.ID
	}
	d.last = s.ID
	d.cashiers[s.CashierID] = true
	for _, p := range s.Payments {
		if p.Status != pos.PaymentApproved {
			continue
		}
		d.byTender[p.Method] = add(d.byTender[p.Method], p.Amount)
		if p.Method == pos.MethodCash {
			d.tendered += p.Tendered
			d.change += p.Change
		}
	}
	for i, l := range s.Lines {
		lt := s.Totals.Lines[i]
		if l.Discount != 0 {
			d.discounts = add(d.discounts, l.Discount)
		}
		if l.PriceOverridden {
			d.overrides = add(d.overrides, lt.Gross)
		}
		t := d.tax[l.TaxRate]
		t.Rate, t.Net, t.Tax, t.Gross = l.TaxRate, t.Net+lt.Net, t.Tax+lt.Tax, t.Gross+lt.Gross
		d.tax[l.TaxRate] = t
	}
}

func (d *day) ret(r pos.Return) {
	if r.Kind == pos.KindVoid {
		d.voids = add(d.voids, r.Refunded())
	} else {
		d.returns = add(d.returns, r.Refunded())
	}
	d.rounding -= r.CashRounding
	d.cashiers[r.CashierID] = true
	for _, f := range r.Refunds {
		if f.Status == pos.PaymentApproved {
			d.refunds[f.Method] = add(d.refunds[f.Method], f.Amount)
		}
	}
	for _, l := range r.Lines {
		t := d.tax[l.TaxRate]
		t.Rate, t.Net, t.Tax, t.Gross = l.TaxRate, t.Net-l.Net, t.Tax-l.Tax, t.Gross-l.Gross
		d.tax[l.TaxRate] = t
	}
}

func (d *day) move(m pos.CashMovement) {
	d.cashiers[m.CashierID] = true
	switch m.Kind {
	case pos.MovePaidIn:
		d.paidIn = add(d.paidIn, m.Amount)
	case pos.MovePaidOut:
		d.paidOut = add(d.paidOut, m.Amount)
	case pos.MovePickup:
		d.pickups = add(d.pickups, m.Amount)
	case pos.MoveNoSale:
		d.noSales++
	}
}

// check compares every figure of a report with the day's.
func (d *day) check(t *testing.T, r pos.Report) {
	t.Helper()
	tenders := func(m map[pos.Method]pos.Tally) []pos.TenderTotal {
		var out []pos.TenderTotal
		for _, method := range []pos.Method{pos.MethodCash, pos.MethodCard} {
			if v, ok := m[method]; ok {
				out = append(out, pos.TenderTotal{Method: method, Count: v.Count, Amount: v.Amount})
			}
		}
		return out
	}
	var taxes []pos.TaxTotal
	for _, v := range d.tax {
		taxes = append(taxes, v)
	}
	slices.SortFunc(taxes, func(a, b pos.TaxTotal) int { return a.Rate - b.Rate })
	cash := d.float + d.byTender[pos.MethodCash].Amount - d.refunds[pos.MethodCash].Amount +
		d.paidIn.Amount - d.paidOut.Amount - d.pickups.Amount
	var cashiers []int64
	for _, c := range r.Cashiers {
		cashiers = append(cashiers, c.ID)
	}
	for c := range d.cashiers {
		if !slices.Contains(cashiers, c) {
			t.Errorf("cashier %d is not among the report's %v", c, cashiers)
		}
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"float", r.Float, d.float},
		{"sales", r.Sales, d.sales},
		{"sales by tender", r.SalesByTender, tenders(d.byTender)},
		{"cash tendered", r.CashTendered, d.tendered},
		{"change", r.Change, d.change},
		{"first sale", r.FirstSale, d.first},
		{"last sale", r.LastSale, d.last},
		{"released", r.Released, d.released},
		{"returns", r.Returns, d.returns},
		{"voids", r.Voids, d.voids},
		{"refunds by tender", r.Refunds, tenders(d.refunds)},
		{"cash rounding", r.CashRounding, d.rounding},
		{"discounts", r.Discounts, d.discounts},
		{"price overrides", r.Overrides, d.overrides},
		{"tax by rate", r.TaxByRate, taxes},
		{"paid in", r.PaidIn, d.paidIn},
		{"paid out", r.PaidOut, d.paidOut},
		{"pick-ups", r.Pickups, d.pickups},
		{"no sales", r.NoSales, d.noSales},
		{"expected cash", r.ExpectedCash, cash},
		{"net total", r.NetTotal, d.sales.Amount - d.returns.Amount - d.voids.Amount},
		{"pending", r.Pending, int64(0)},
	} {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// checkTables adds the session's figures up straight from the tables, the
// way an auditor would, and compares them with the report.
func (f *fixture) checkTables(t *testing.T, r pos.Report) {
	t.Helper()
	id := r.Session.ID
	sum := func(q string) pos.Money {
		t.Helper()
		var s string
		if err := f.d.Admin.QueryRow(q, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		var whole, frac int64
		neg := s != "" && s[0] == '-'
		if neg {
			s = s[1:]
		}
		fmt.Sscanf(s, "%d.%d", &whole, &frac)
		m := pos.Money(whole*100 + frac)
		if neg {
			m = -m
		}
		return m
	}
	sales := sum(`SELECT COALESCE(SUM(total_amount + cash_rounding), 0) FROM transactions WHERE session_id = ? AND payment_status = 'completed'`)
	paid := sum(`SELECT COALESCE(SUM(p.amount), 0) FROM payments p JOIN transactions t USING (transaction_id)
		WHERE t.session_id = ? AND t.payment_status = 'completed' AND p.status = 'approved'`)
	cashIn := sum(`SELECT COALESCE(SUM(p.tendered - p.change_given), 0) FROM payments p JOIN transactions t USING (transaction_id)
		WHERE t.session_id = ? AND t.payment_status = 'completed' AND p.status = 'approved' AND p.method = 'cash'`)
	refunded := sum(`SELECT COALESCE(SUM(total_amount + cash_rounding), 0) FROM returns WHERE session_id = ? AND status = 'completed'`)
	refunds := sum(`SELECT COALESCE(SUM(f.amount), 0) FROM refunds f JOIN returns r USING (return_id)
		WHERE r.session_id = ? AND r.status = 'completed' AND f.status IN ('approved','owed')`)
	cashOut := sum(`SELECT COALESCE(SUM(f.amount), 0) FROM refunds f JOIN returns r USING (return_id)
		WHERE r.session_id = ? AND r.status = 'completed' AND f.status = 'approved' AND f.method = 'cash'`)
	lines := sum(`SELECT COALESCE(SUM(ti.line_total), 0) FROM transaction_items ti JOIN transactions t USING (transaction_id)
		WHERE t.session_id = ? AND t.payment_status = 'completed'`)
	retLines := sum(`SELECT COALESCE(SUM(ri.line_total), 0) FROM return_items ri JOIN returns r USING (return_id)
		WHERE r.session_id = ? AND r.status = 'completed'`)
	moves := sum(`SELECT COALESCE(SUM(CASE kind WHEN 'paid_in' THEN amount ELSE -amount END), 0) FROM cash_movements WHERE session_id = ?`)
	var byTender, refundTender, taxGross pos.Money
	for _, x := range r.SalesByTender {
		byTender += x.Amount
	}
	for _, x := range r.Refunds {
		refundTender += x.Amount
	}
	for _, x := range r.TaxByRate {
		taxGross += x.Gross
	}
	for _, c := range []struct {
		name      string
		got, want pos.Money
	}{
		{"sales = the sales' totals", r.Sales.Amount, sales},
		{"sales = their payments", r.Sales.Amount, paid},
		{"sales by tender add up to the sales", byTender, sales},
		{"returns and voids = their refunds", r.Returns.Amount + r.Voids.Amount, refunds},
		{"returns and voids = the returns' totals", r.Returns.Amount + r.Voids.Amount, refunded},
		{"refunds by tender and owed add up", refundTender + r.RefundsOwed.Amount, refunds},
		{"tax by rate gross = lines sold less returned", taxGross, lines - retLines},
		{"lines add up to the sales less rounding", lines, sales - r.CashRounding - sum(`SELECT COALESCE(SUM(cash_rounding), 0) FROM returns WHERE session_id = ? AND status = 'completed'`)},
		{"expected cash", r.ExpectedCash, r.Float + cashIn - cashOut + moves},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
}

// TestCashOfficeRandomDays runs random days at one till through the real
// protocols — cash, card and split sales, sales released before payment,
// discounted and overridden lines, returns (card refunds, some failing and
// paid in cash with a manager) and voids, paid-in, paid-out, pick-ups and
// no-sales — and checks every figure of the X and the Z against what the
// APIs returned and against the tables, the Z numbers and the grand total.
func TestCashOfficeRandomDays(t *testing.T) {
	f := newFixture(t, 100000, 100000, 100000, 100000)
	f.co.Settings.CashRounding = 5
	ctx := context.Background()
	office, manager := f.office(t)
	office.Settings = f.co.Settings
	other := f.d.AddCashier(t, pos.Cashier{Number: "102", Name: "Ben"}, "2222").ID
	rng := mrand.New(mrand.NewPCG(12, 34))
	var grand pos.Money
	var earlier []pos.Sale
	for dayNo := 1; dayNo <= 4; dayNo++ {
		float := pos.CashCount{Lines: []pos.CountLine{{Denomination: 20_00, Quantity: int64(rng.IntN(5))},
			{Denomination: 1_00, Quantity: int64(rng.IntN(20))}}, Amount: pos.Money(rng.IntN(300))}
		s, err := office.Open(ctx, f.cashier, float)
		if err != nil {
			t.Fatal(err)
		}
		d := newDay(float.Total())
		var sold []pos.Sale
		for range 12 + rng.IntN(12) {
			cashier := []int64{f.cashier, other}[rng.IntN(2)]
			var lines [][2]int
			for range 1 + rng.IntN(4) {
				lines = append(lines, [2]int{rng.IntN(len(f.items)), 1 + rng.IntN(3)})
			}
			b := &pos.Basket{Key: pos.NewKey()}
			for _, l := range lines {
				line, err := pos.NewLine(f.items[l[0]], pos.Scan{Quantity: int64(l[1])})
				if err != nil {
					t.Fatal(err)
				}
				switch rng.IntN(6) {
				case 0:
					line.Discount = pos.Money(1 + rng.IntN(50))
				case 1:
					line.UnitPrice, line.PriceOverridden = pos.Money(50+rng.IntN(300)), true
				}
				if err := b.Add(line); err != nil {
					t.Fatal(err)
				}
			}
			draft, err := f.co.Draft(b, cashier)
			if err != nil {
				t.Fatal(err)
			}
			var done pos.Sale
			switch rng.IntN(5) {
			case 0, 1: // cash
				done, err = f.co.SellCash(ctx, draft, draft.Totals.Total+pos.Money(rng.IntN(2000)))
			case 2: // card
				sale, err := f.co.Reserve(ctx, draft)
				if err != nil {
					t.Fatal(err)
				}
				p, err := f.co.PayCard(ctx, sale, sale.Totals.Total)
				if err != nil {
					t.Fatal(err)
				}
				sale.Payments = append(sale.Payments, p)
				done, err = f.co.Complete(ctx, sale)
				if err != nil {
					t.Fatal(err)
				}
			case 3: // split
				sale, err := f.co.Reserve(ctx, draft)
				if err != nil {
					t.Fatal(err)
				}
				p, err := f.co.PayCard(ctx, sale, sale.Totals.Total/2)
				if err != nil {
					t.Fatal(err)
				}
				sale.Payments = append(sale.Payments, p)
				done, err = f.co.Complete(ctx, sale, sale.Due()+pos.Money(rng.IntN(500)))
				if err != nil {
					t.Fatal(err)
				}
			case 4: // cancelled before payment
				sale, err := f.co.Reserve(ctx, draft)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.co.Release(ctx, sale.Key, pos.SaleVoided); err != nil {
					t.Fatal(err)
				}
				d.released = add(d.released, sale.Totals.Total)
				d.cashiers[cashier] = true
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			d.sale(done)
			sold = append(sold, done)
		}
		// Returns and voids of some of today's sales and, after the first
		// day, of earlier days' (counted in today's session).
		g := &refunder{}
		rs := f.returns(g)
		rs.Settings = f.co.Settings
		candidates := slices.Clone(sold)
		for range min(3, len(earlier)) {
			candidates = append(candidates, earlier[rng.IntN(len(earlier))])
		}
		earlier = append(earlier, sold...)
		for i, sale := range candidates {
			if rng.IntN(3) != 0 {
				continue
			}
			src, err := rs.Open(ctx, sale.Key)
			if pos.ErrorCode(err) == pos.EConflict {
				continue // all returned already
			}
			if err != nil {
				t.Fatal(err)
			}
			var req pos.ReturnRequest
			if rng.IntN(3) == 0 {
				if req, err = rs.Void(src, pos.NewKey(), sale.CashierID); err != nil {
					t.Fatal(err)
				}
			} else {
				line := rng.IntN(len(sale.Lines))
				req = rs.Request(pos.NewKey(), sale.Key, sale.CashierID, []pos.ReturnLine{{SaleLine: line + 1,
					Quantity: 1, Reason: pos.ReasonChangedMind, Restock: true}})
			}
			ret, err := rs.Begin(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if i%4 == 0 {
				g.script = append(g.script, "fail")
			}
			if ret, err = rs.RefundCards(ctx, ret); pos.ErrorCode(err) == pos.EDeclined {
				if ret, err = rs.RefundInCash(ctx, ret.Key, manager); err != nil {
					t.Fatal(err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			done, err := rs.Complete(ctx, ret.Key)
			if err != nil {
				t.Fatal(err)
			}
			d.ret(done)
		}
		for range 2 + rng.IntN(6) {
			kind := []pos.MovementKind{pos.MovePaidIn, pos.MovePaidOut, pos.MovePickup, pos.MoveNoSale}[rng.IntN(4)]
			amount := pos.Money(100 + rng.IntN(3000))
			var approver int64
			if kind == pos.MoveNoSale {
				amount = 0
			}
			if kind.NeedsManager() {
				approver = manager
			}
			m, err := office.Move(ctx, kind, amount, "reason "+string(kind), f.cashier, approver)
			if err != nil {
				t.Fatal(err)
			}
			d.move(m)
		}
		x, err := office.X(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if x.Kind != pos.ReportX || x.Session.ID != s.ID || x.GrandTotal != grand+x.NetTotal {
			t.Errorf("day %d X: kind %s session %d grand %d; want X, %d, %d", dayNo, x.Kind, x.Session.ID, x.GrandTotal, s.ID, grand+x.NetTotal)
		}
		d.check(t, x)
		f.checkTables(t, x)

		counted := pos.CashCount{Lines: []pos.CountLine{{Denomination: 50_00, Quantity: int64(rng.IntN(4))},
			{Denomination: 10, Quantity: int64(rng.IntN(30))}}, Amount: pos.Money(rng.IntN(50000))}
		z, err := office.Z(ctx, manager, counted)
		if err != nil {
			t.Fatal(err)
		}
		grand += z.NetTotal
		if z.Kind != pos.ReportZ || z.ZNumber != int64(dayNo) || z.GrandTotal != grand {
			t.Errorf("day %d Z: kind %s number %d grand %d; want Z, %d, %d", dayNo, z.Kind, z.ZNumber, z.GrandTotal, dayNo, grand)
		}
		if z.Counted.Total() != counted.Total() || z.Difference != counted.Total()-z.ExpectedCash {
			t.Errorf("day %d Z: counted %d difference %d; want %d and %d", dayNo, z.Counted.Total(), z.Difference,
				counted.Total(), counted.Total()-z.ExpectedCash)
		}
		d.check(t, z)
		f.checkTables(t, z)
		// The Z read back later is the Z as closed.
		again, err := f.db.ZReport(ctx, "s1", "t1", z.ZNumber)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(again) != fmt.Sprint(z) {
			t.Errorf("day %d Z read back:\n got %+v\nwant %+v", dayNo, again, z)
		}
		if _, err := office.X(ctx); pos.ErrorCode(err) != pos.ENotFound {
			t.Errorf("X after the Z: got %v, want not found", err)
		}
	}
	var zRows int
	if err := f.d.Admin.QueryRow(`SELECT COUNT(*) FROM z_reports WHERE till_id = 't1' AND z_number BETWEEN 1 AND 4`).Scan(&zRows); err != nil || zRows != 4 {
		t.Errorf("Z rows 1-4: %d (%v), want 4", zRows, err)
	}
	f.checkInvariants(t)
}
