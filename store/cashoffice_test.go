package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
)

// checkCashOffice fails the test for every broken cash office invariant.
func (f *fixture) checkCashOffice(t testing.TB) {
	t.Helper()
	bad, err := store.CheckCashOffice(context.Background(), f.d.Admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error("cash office invariant:", b)
	}
}

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
	printed := &printer{}
	office.Printer = printed
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
		if len(printed.printed) != dayNo || fmt.Sprint(printed.printed[dayNo-1]) != fmt.Sprint(z) {
			t.Errorf("day %d: %d Zs printed, the last not the Z closed", dayNo, len(printed.printed))
		}
		if z.Kind != pos.ReportZ || z.ZNumber != int64(dayNo) || z.GrandTotal != grand {
			t.Errorf("day %d Z: kind %s number %d grand %d; want Z, %d, %d", dayNo, z.Kind, z.ZNumber, z.GrandTotal, dayNo, grand)
		}
		if z.Counted.Total() != counted.Total() || z.Difference != counted.Total()-z.ExpectedCash {
			t.Errorf("day %d Z: counted %d difference %d; want %d and %d", dayNo, z.Counted.Total(), z.Difference,
				counted.Total(), counted.Total()-z.ExpectedCash)
		}
		d.check(t, z)
		f.checkTables(t, z)
		if dayNo == 4 {
			t.Logf("day 4's X:\n%s\nand its Z:\n%s", strings.Join(x.Text(pos.EUR(), nil), "\n"),
				strings.Join(z.Text(pos.EUR(), nil), "\n"))
		}
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
	f.checkCashOffice(t)
}

// sellCard sells a draft by card: Reserve, PayCard, Complete.
func (f *fixture) sellCard(ctx context.Context, draft pos.Sale) (pos.Sale, error) {
	sale, err := f.co.Reserve(ctx, draft)
	if err != nil {
		return sale, err
	}
	p, err := f.co.PayCard(ctx, sale, sale.Totals.Total)
	if err != nil {
		return sale, err
	}
	sale.Payments = append(sale.Payments, p)
	return f.co.Complete(ctx, sale)
}

// TestSalesWhileZCloses sells at one till from several goroutines (five
// in cash, one by card) while the Z closes its session and the next opens: the drawer row's lock, taken by
// the trigger that stamps each sale's session, serializes each sale with
// the close. Every sale is counted exactly once — in the closed session's
// Z (as it was computed at the close, so none joined it after), in the
// next session, or outside a session — and nothing was lost.
func TestSalesWhileZCloses(t *testing.T) {
	for round := range 3 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			f := newFixture(t, 1_000_000)
			ctx := context.Background()
			office, manager := f.office(t)
			first, err := office.Open(ctx, f.cashier, pos.CountOf(100_00))
			if err != nil {
				t.Fatal(err)
			}
			const sellers, each = 6, 25
			var wg sync.WaitGroup
			var mu sync.Mutex
			var sold []int64
			start := make(chan struct{})
			var finished atomic.Int32 // sellers done, or stopped by an error
			for seller := range sellers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer finished.Add(1)
					<-start
					for range each {
						var done pos.Sale
						var err error
						if seller > 0 { // cash: reserved and completed in one transaction
							done, err = f.co.SellCash(ctx, f.draft(t, [2]int{0, 1}), 199)
						} else { // card: reserved, paid, completed in three, at a person's pace
							done, err = f.sellCard(ctx, f.draft(t, [2]int{0, 1}))
							time.Sleep(2 * time.Millisecond)
						}
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						sold = append(sold, done.ID)
						mu.Unlock()
					}
				}()
			}
			close(start)
			var z pos.Report
			var second pos.Session
			var tries int
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Close a third of the way in; if a seller failed, the
				// third may never come, so stop waiting when they all end.
				for {
					mu.Lock()
					n := len(sold)
					mu.Unlock()
					if n >= sellers*each/3 || finished.Load() == sellers {
						break
					}
					time.Sleep(time.Millisecond)
				}
				var err error
				// A card sale of the session still pending holds the Z
				// back: the closer tries again, as a cashier would.
				for tries = 1; ; tries++ {
					z, err = office.Z(ctx, manager, pos.CountOf(0))
					if pos.ErrorCode(err) != pos.EConflict || tries == 5000 {
						break
					}
					time.Sleep(time.Millisecond)
				}
				if err != nil {
					t.Error(err)
					return
				}
				if round%2 == 0 { // the next session opens while sales go on
					if second, err = office.Open(ctx, f.cashier, pos.CountOf(0)); err != nil {
						t.Error(err)
					}
				}
			}()
			wg.Wait()
			if t.Failed() {
				return
			}
			var inFirst, inSecond, outside int64
			for _, c := range []struct {
				n *int64
				q string
				a []any
			}{
				{&inFirst, `SELECT COUNT(*) FROM transactions WHERE session_id = ? AND payment_status = 'completed'`, []any{first.ID}},
				{&inSecond, `SELECT COUNT(*) FROM transactions WHERE session_id = ?`, []any{second.ID}},
				{&outside, `SELECT COUNT(*) FROM transactions WHERE session_id IS NULL`, nil},
			} {
				if err := f.d.Admin.QueryRow(c.q, c.a...).Scan(c.n); err != nil {
					t.Fatal(err)
				}
			}
			if z.Sales.Count != inFirst {
				t.Errorf("the Z counted %d sales; %d carry its session now: a sale joined it after the close", z.Sales.Count, inFirst)
			}
			if total := inFirst + inSecond + outside; total != int64(len(sold)) || total != sellers*each {
				t.Errorf("sales in the first session %d + the second %d + outside %d = %d; %d were sold",
					inFirst, inSecond, outside, total, len(sold))
			}
			t.Logf("the Z closed (try %d) with %d of the %d sales; %d went to the next session, %d outside",
				tries, z.Sales.Count, sellers*each, inSecond, outside)
			// The next Z lists what was sold outside a session, once.
			if round%2 == 1 {
				if _, err := office.Open(ctx, f.cashier, pos.CountOf(0)); err != nil {
					t.Fatal(err)
				}
			}
			z2, err := office.Z(ctx, manager, pos.CountOf(0))
			if err != nil {
				t.Fatal(err)
			}
			if z2.OutsideSales.Count != outside || z2.Sales.Count != inSecond || z2.ZNumber != 2 {
				t.Errorf("second Z: %d sales, %d outside, number %d; want %d, %d, 2", z2.Sales.Count,
					z2.OutsideSales.Count, z2.ZNumber, inSecond, outside)
			}
			if _, err := office.Open(ctx, f.cashier, pos.CountOf(0)); err != nil {
				t.Fatal(err)
			}
			if x, err := office.X(ctx); err != nil || x.OutsideSales.Count != 0 {
				t.Errorf("third session's X: %d outside (%v); want 0: each is listed by one Z", x.OutsideSales.Count, err)
			}
			f.checkInvariants(t)
			f.checkCashOffice(t)
		})
	}
}

// TestZNumbersGapFreeUnderConcurrency closes several tills at once, each
// by two closers at once, over several rounds: exactly one close of each
// session wins, the other is refused, and every till's Z numbers run 1, 2,
// 3… with no gap and no repeat.
func TestZNumbersGapFreeUnderConcurrency(t *testing.T) {
	f := newFixture(t, 1000)
	ctx := context.Background()
	_, manager := f.office(t)
	const tills, rounds = 6, 5
	offices := make([]*pos.CashOffice, tills)
	for i := range offices {
		s := f.co.Settings
		s.TillID = fmt.Sprintf("t%d", i+1)
		offices[i] = &pos.CashOffice{Store: f.db, Settings: s}
	}
	for round := 1; round <= rounds; round++ {
		for _, o := range offices {
			if _, err := o.Open(ctx, f.cashier, pos.CountOf(pos.Money(round))); err != nil {
				t.Fatal(err)
			}
		}
		type result struct {
			till int
			z    pos.Report
			err  error
		}
		results := make(chan result, 2*tills)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, o := range offices {
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					z, err := o.Z(ctx, manager, pos.CountOf(pos.Money(round)))
					results <- result{i, z, err}
				}()
			}
		}
		close(start)
		wg.Wait()
		close(results)
		won := make([]int, tills)
		for r := range results {
			switch {
			case r.err == nil:
				won[r.till]++
				if r.z.ZNumber != int64(round) {
					t.Errorf("round %d till %d: Z %d, want %d", round, r.till, r.z.ZNumber, round)
				}
			case pos.ErrorCode(r.err) != pos.EConflict:
				t.Errorf("round %d till %d: the losing close got %v, want conflict", round, r.till, r.err)
			}
		}
		for i, n := range won {
			if n != 1 {
				t.Errorf("round %d till %d: %d closes won, want exactly 1", round, i, n)
			}
		}
	}
	rows, err := f.d.Admin.Query(`SELECT till_id, COUNT(*), MIN(z_number), MAX(z_number), COUNT(DISTINCT z_number)
		FROM z_reports GROUP BY till_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var till string
		var count, lo, hi, distinct int
		if err := rows.Scan(&till, &count, &lo, &hi, &distinct); err != nil {
			t.Fatal(err)
		}
		n++
		if count != rounds || lo != 1 || hi != rounds || distinct != rounds {
			t.Errorf("till %s: %d Zs numbered %d-%d (%d distinct); want %d numbered 1-%d", till, count, lo, hi, distinct, rounds, rounds)
		}
	}
	if n != tills {
		t.Errorf("tills with Zs: %d, want %d", n, tills)
	}
	f.checkCashOffice(t)
}

// TestMovementRefusals checks what a paid-in, paid-out, pick-up or no-sale
// needs — an open session, a reason, an amount (none for a no-sale), a
// manager for paid-out and no-sale, someone else than the cashier — and
// that each one recorded is audited with its reason.
func TestMovementRefusals(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	office, manager := f.office(t)
	if _, err := office.Move(ctx, pos.MovePaidIn, 500, "float top-up", f.cashier, 0); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("a paid-in with no session open: got %v, want conflict", err)
	}
	if _, err := office.Open(ctx, f.cashier, pos.CountOf(50_00)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		kind     pos.MovementKind
		amount   pos.Money
		reason   string
		approver int64
		code     string
	}{
		{"paid in", pos.MovePaidIn, 10_00, "change from the bank", 0, ""},
		{"pick-up", pos.MovePickup, 200_00, "to the safe", 0, ""},
		{"paid out with a manager", pos.MovePaidOut, 4_50, "window cleaner", manager, ""},
		{"no sale with a manager", pos.MoveNoSale, 0, "change for a customer", manager, ""},
		{"paid out without a manager", pos.MovePaidOut, 4_50, "milk", 0, pos.EConflict},
		{"no sale without a manager", pos.MoveNoSale, 0, "change", 0, pos.EConflict},
		{"a cashier approving a paid out", pos.MovePaidOut, 4_50, "milk", f.d.AddCashier(t, pos.Cashier{Number: "103", Name: "Cy"}, "3333").ID, pos.EConflict},
		{"approving one's own", pos.MovePaidOut, 4_50, "milk", f.cashier, pos.EConflict},
		{"no reason", pos.MovePaidIn, 1_00, "  ", 0, pos.EInvalid},
		{"a no sale with an amount", pos.MoveNoSale, 1_00, "x", manager, pos.EInvalid},
		{"a pick-up of nothing", pos.MovePickup, 0, "x", 0, pos.EInvalid},
		{"a negative paid in", pos.MovePaidIn, -1_00, "x", 0, pos.EInvalid},
		{"an unknown kind", pos.MovementKind("refund"), 1_00, "x", 0, pos.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action LIKE 'cash\_%'`)
			m, err := office.Move(ctx, tt.kind, tt.amount, tt.reason, f.cashier, tt.approver)
			if pos.ErrorCode(err) != tt.code {
				t.Fatalf("got %v, want code %q", err, tt.code)
			}
			if err != nil && pos.ErrorMessage(err) == "" {
				t.Error("a refusal without a message for the cashier")
			}
			want := before
			if tt.code == "" {
				want++
				if got := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = ? AND detail LIKE ?`,
					"cash_"+string(tt.kind), "%"+tt.reason+"%"); got != 1 {
					t.Errorf("audit rows for it: %d, want 1", got)
				}
				if m.ID == 0 || m.SessionID == 0 {
					t.Errorf("recorded movement %+v has no id or session", m)
				}
			}
			if got := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action LIKE 'cash\_%'`); got != want {
				t.Errorf("audit rows: %d, want %d", got, want)
			}
		})
	}
	// The same key twice is one movement.
	m := pos.CashMovement{Key: pos.NewKey(), StoreID: "s1", TillID: "t1", Kind: pos.MovePickup, Amount: 1_00,
		Reason: "safe", CashierID: f.cashier}
	a, err1 := f.db.RecordMovement(ctx, m)
	b, err2 := f.db.RecordMovement(ctx, m)
	if err1 != nil || err2 != nil || a.ID != b.ID {
		t.Errorf("the same movement twice: ids %d %d (%v, %v); want one", a.ID, b.ID, err1, err2)
	}
	if _, err := f.d.Admin.Exec(`UPDATE cash_movements SET amount = 1 WHERE movement_id = ?`, a.ID); err == nil {
		t.Error("a cash movement was changed")
	}
}

// TestSessionRefusals: one session open per till; a Z waits for the
// session's pending sales; a close repeated with its key answers the same
// Z; a closed session and its Z never change.
func TestSessionRefusals(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	office, manager := f.office(t)
	if _, err := office.Z(ctx, manager, pos.CountOf(0)); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("a Z with no session: got %v, want conflict", err)
	}
	s, err := office.Open(ctx, f.cashier, pos.CashCount{Lines: []pos.CountLine{{Denomination: 10_00, Quantity: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Float != 50_00 || len(s.FloatNote.Lines) != 1 || s.Status != pos.SessionOpen {
		t.Errorf("session: %+v", s)
	}
	if _, err := office.Open(ctx, f.cashier, pos.CountOf(0)); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("a second session at the till: got %v, want conflict", err)
	}
	for _, bad := range []pos.CashCount{
		{Lines: []pos.CountLine{{Denomination: 3_00, Quantity: 1}}},
		{Lines: []pos.CountLine{{Denomination: 10_00, Quantity: 1}, {Denomination: 10_00, Quantity: 2}}},
		{Lines: []pos.CountLine{{Denomination: 10_00, Quantity: -1}}},
		{Amount: -1},
	} {
		if _, err := office.Z(ctx, manager, bad); pos.ErrorCode(err) != pos.EInvalid {
			t.Errorf("count %+v: got %v, want invalid", bad, err)
		}
	}
	pending, err := f.co.Reserve(ctx, f.draft(t, [2]int{0, 1}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := office.Z(ctx, manager, pos.CountOf(0)); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("a Z with a pending sale: got %v, want conflict", err)
	}
	if _, err := f.co.Release(ctx, pending.Key, pos.SaleVoided); err != nil {
		t.Fatal(err)
	}
	req := pos.CloseRequest{Key: pos.NewKey(), StoreID: "s1", TillID: "t1", SessionID: s.ID, CashierID: manager,
		Counted: pos.CountOf(49_00)}
	z1, err := f.db.CloseSession(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	z2, err := f.db.CloseSession(ctx, req)
	if err != nil || z2.ZNumber != z1.ZNumber || z1.Difference != -1_00 || z1.Released.Count != 1 {
		t.Errorf("the close repeated: Z %d then %d (%v); difference %d released %d", z1.ZNumber, z2.ZNumber, err,
			z1.Difference, z1.Released.Count)
	}
	req.Key = pos.NewKey()
	if _, err := f.db.CloseSession(ctx, req); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("closing a closed session: got %v, want conflict", err)
	}
	for _, q := range []string{
		`UPDATE z_reports SET counted_cash = expected_cash`,
		`DELETE FROM z_reports`,
		`UPDATE till_sessions SET opening_float = 0`,
	} {
		if _, err := f.d.Admin.Exec(q); err == nil {
			t.Errorf("%s: changed a closed session or its Z", q)
		}
	}
	f.checkCashOffice(t)
}

// TestCashOfficeInvariantsCatch breaks the cash office's promises behind
// the store's back, as the administrative user, and checks that the
// database refuses what it can and CheckCashOffice finds the rest.
func TestCashOfficeInvariantsCatch(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	office, manager := f.office(t)
	s, err := office.Open(ctx, f.cashier, pos.CountOf(10_00))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.co.SellCash(ctx, f.draft(t, [2]int{0, 1}), 2_00); err != nil {
		t.Fatal(err)
	}
	// Around the store, with the session open: the database refuses a
	// close without a Z, a drawer letting go of an open session, and a Z
	// that skips a number or misstates the grand total.
	const z = `INSERT INTO z_reports (session_id, close_key, store_id, till_id, z_number, closed_by, closed_at,
		sales_count, sales_total, returns_total, net_total, expected_cash, counted_cash, difference, grand_total) `
	for _, c := range []struct{ q, refusal string }{
		{`UPDATE till_sessions SET status = 'closed', closed_by = opened_by, closed_at = NOW(6)`, "closed by its Z report only"},
		{`UPDATE till_drawers SET open_session_id = NULL`, "close it with a Z first"},
		{z + `SELECT session_id, UUID(), store_id, till_id, 2, opened_by, NOW(6), 0, 0, 0, 0, 0, 0, 0, 0 FROM till_sessions`,
			"last one + 1"},
		{z + `SELECT session_id, UUID(), store_id, till_id, 1, opened_by, NOW(6), 0, 1, 0, 1, 0, 0, 0, 5 FROM till_sessions`,
			"grand total"},
	} {
		if _, err := f.d.Admin.Exec(c.q); err == nil || !strings.Contains(err.Error(), c.refusal) {
			t.Errorf("%s: got %v, want a refusal saying %q", c.q, err, c.refusal)
		}
	}
	f.checkCashOffice(t)
	if _, err := office.Z(ctx, manager, pos.CountOf(11_99)); err != nil {
		t.Fatal(err)
	}
	f.checkCashOffice(t)
	if _, err := f.d.Admin.Exec(`INSERT INTO cash_movements (idempotency_key, session_id, kind, amount, reason,
		cashier_id, created_at) VALUES (UUID(), ?, 'pickup', 1, 'late', ?, NOW(6))`, s.ID, f.cashier); err == nil {
		t.Error("a movement went into a closed session")
	}
	late, err := f.co.Reserve(ctx, f.draft(t, [2]int{0, 1}))
	if err != nil {
		t.Fatal(err)
	}
	violations := func() []string {
		bad, err := store.CheckCashOffice(ctx, f.d.Admin)
		if err != nil {
			t.Fatal(err)
		}
		return bad
	}
	if _, err := f.d.Admin.Exec(`UPDATE transactions SET session_id = ? WHERE idempotency_key = ?`, s.ID, late.Key); err != nil {
		t.Fatal(err)
	}
	if bad := violations(); len(bad) != 1 || !strings.Contains(bad[0], "pending") {
		t.Errorf("a pending sale moved into a closed session: got %q", bad)
	}
	if _, err := f.d.Admin.Exec(`UPDATE transactions SET payment_status = 'completed' WHERE idempotency_key = ?`, late.Key); err != nil {
		t.Fatal(err)
	}
	if bad := violations(); len(bad) != 1 || !strings.Contains(bad[0], "no longer add up") {
		t.Errorf("a sale completed into a closed session: got %q", bad)
	}
	other, err := f.co.Reserve(ctx, f.draft(t, [2]int{0, 1}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Admin.Exec(`UPDATE transactions SET session_id = 999 WHERE idempotency_key = ?`, other.Key); err != nil {
		t.Fatal(err)
	}
	if bad := violations(); len(bad) != 2 || !strings.Contains(strings.Join(bad, "\n"), "in none there is") {
		t.Errorf("a sale in a session there is not: got %q", bad)
	}
}

// TestCashOfficeAsTheTillUser runs the whole day with exactly the till's
// grants: open, a sale (its session stamped by the trigger, with the
// definer's rights), a return, every kind of movement, X, Z, the Z again.
func TestCashOfficeAsTheTillUser(t *testing.T) {
	f := newFixture(t, 100)
	ctx := context.Background()
	_, manager := f.office(t)
	db, _ := tillUser(t, f.d)
	drawer := &drawer{}
	office := &pos.CashOffice{Store: db, Settings: settings(), Drawer: drawer}
	co := &pos.Checkout{Sales: db, Gateway: f.gw, Settings: settings()}
	if _, err := office.Open(ctx, f.cashier, pos.CashCount{Lines: []pos.CountLine{{Denomination: 5_00, Quantity: 10}}}); err != nil {
		t.Fatal(err)
	}
	sale, err := co.SellCash(ctx, f.draft(t, [2]int{0, 2}), 5_00)
	if err != nil {
		t.Fatal(err)
	}
	rs := &pos.Returns{Store: db, Gateway: &refunder{}, Settings: settings()}
	ret, err := rs.Begin(ctx, rs.Request(pos.NewKey(), sale.Key, f.cashier,
		[]pos.ReturnLine{{SaleLine: 1, Quantity: 1, Reason: pos.ReasonChangedMind, Restock: true}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Complete(ctx, ret.Key); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		kind     pos.MovementKind
		amount   pos.Money
		approver int64
	}{{pos.MovePaidIn, 20_00, 0}, {pos.MovePaidOut, 3_00, manager}, {pos.MovePickup, 40_00, 0}, {pos.MoveNoSale, 0, manager}} {
		if _, err := office.Move(ctx, m.kind, m.amount, "because", f.cashier, m.approver); err != nil {
			t.Fatalf("%s: %v", m.kind, err)
		}
	}
	if drawer.opened != 4 {
		t.Errorf("the drawer opened %d times for 4 movements", drawer.opened)
	}
	x, err := office.X(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 50.00 + 3.98 − 1.99 + 20.00 − 3.00 − 40.00
	if x.ExpectedCash != 28_99 || x.Sales.Count != 1 || x.Returns.Count != 1 || x.NoSales != 1 {
		t.Errorf("X: expected cash %d, %d sales, %d returns, %d no-sales; want 2899, 1, 1, 1",
			x.ExpectedCash, x.Sales.Count, x.Returns.Count, x.NoSales)
	}
	printer := &printer{fail: true}
	office.Printer = printer
	z, err := office.Z(ctx, manager, pos.CountOf(29_00))
	if pos.ErrorCode(err) != pos.EUnavailable || z.ZNumber != 1 || len(printer.printed) != 1 {
		t.Fatalf("a Z that did not print: Z %d, %d printed, %v; want Z 1 closed, one try, unavailable", z.ZNumber, len(printer.printed), err)
	}
	again, err := db.ZReport(ctx, "s1", "t1", z.ZNumber)
	if err != nil || z.Difference != 1 || again.Difference != 1 || again.ExpectedCash != x.ExpectedCash {
		t.Errorf("Z: difference %d, read back %d (%v); want 1", z.Difference, again.Difference, err)
	}
	if _, err := db.ZReport(ctx, "s1", "t1", z.ZNumber+1); pos.ErrorCode(err) != pos.ENotFound {
		t.Errorf("a Z not yet made: got %v, want not found", err)
	}
	f.checkInvariants(t)
	f.checkCashOffice(t)
}

// drawer counts how often the till opened its drawer.
type drawer struct{ opened int }

func (d *drawer) OpenDrawer(context.Context) error { d.opened++; return nil }

// TestSalesOutsideASession: a till may sell with no session open (the
// sale's session is NULL): the next Z lists what was sold and returned
// outside a session since the previous Z, once, outside its totals and
// expected cash; what the till did before it ever had a session is not
// listed.
func TestSalesOutsideASession(t *testing.T) {
	f := newFixture(t, 100)
	ctx := context.Background()
	office, manager := f.office(t)
	rs := f.returns(&refunder{})
	sellOutside := func() pos.Sale {
		t.Helper()
		s, err := f.co.SellCash(ctx, f.draft(t, [2]int{0, 1}), 1_99)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	sellOutside() // before the till's first session: history, not listed
	if _, err := office.Open(ctx, f.cashier, pos.CountOf(0)); err != nil {
		t.Fatal(err)
	}
	inside, err := f.co.SellCash(ctx, f.draft(t, [2]int{0, 2}), 5_00)
	if err != nil {
		t.Fatal(err)
	}
	z1, err := office.Z(ctx, manager, pos.CountOf(3_98))
	if err != nil {
		t.Fatal(err)
	}
	if z1.OutsideSales.Count != 0 || z1.Sales.Count != 1 || z1.Difference != 0 {
		t.Errorf("Z 1: %d outside, %d sales, difference %d; want 0, 1, 0", z1.OutsideSales.Count, z1.Sales.Count, z1.Difference)
	}
	a, b := sellOutside(), sellOutside()
	ret, err := rs.Begin(ctx, rs.Request(pos.NewKey(), inside.Key, f.cashier,
		[]pos.ReturnLine{{SaleLine: 1, Quantity: 1, Reason: pos.ReasonChangedMind, Restock: true}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Complete(ctx, ret.Key); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{a.Key, b.Key} {
		var session sql.NullInt64
		if err := f.d.Admin.QueryRow(`SELECT session_id FROM transactions WHERE idempotency_key = ?`, key).Scan(&session); err != nil || session.Valid {
			t.Errorf("a sale with no session open: session %v (%v), want NULL", session, err)
		}
	}
	if _, err := office.Open(ctx, f.cashier, pos.CountOf(10_00)); err != nil {
		t.Fatal(err)
	}
	x, err := office.X(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := func(r pos.Report, what string) {
		t.Helper()
		if r.OutsideSales != (pos.Tally{Count: 2, Amount: 3_98}) || r.OutsideReturns != (pos.Tally{Count: 1, Amount: 1_99}) ||
			r.Sales.Count != 0 || r.ExpectedCash != 10_00 || r.NetTotal != 0 {
			t.Errorf("%s: outside %+v and %+v, %d sales, expected cash %d, net %d; want 2 sales of 3.98 and a return of 1.99 "+
				"outside, nothing inside, 10.00 expected", what, r.OutsideSales, r.OutsideReturns, r.Sales.Count, r.ExpectedCash, r.NetTotal)
		}
		if text := strings.Join(r.Text(pos.EUR(), nil), "\n"); !strings.Contains(text, "Outside a session") {
			t.Errorf("%s does not say what was sold outside a session:\n%s", what, text)
		}
	}
	want(x, "the X")
	z2, err := office.Z(ctx, manager, pos.CountOf(10_00))
	if err != nil {
		t.Fatal(err)
	}
	want(z2, "Z 2")
	again, err := f.db.ZReport(ctx, "s1", "t1", 2)
	if err != nil {
		t.Fatal(err)
	}
	want(again, "Z 2 read back")
	sellOutside() // after Z 2: the next Z's
	if _, err := office.Open(ctx, f.cashier, pos.CountOf(0)); err != nil {
		t.Fatal(err)
	}
	z3, err := office.Z(ctx, manager, pos.CountOf(0))
	if err != nil {
		t.Fatal(err)
	}
	if z3.OutsideSales.Count != 1 || z3.OutsideReturns.Count != 0 {
		t.Errorf("Z 3: %d sales and %d returns outside; want 1 and 0 (each listed once)", z3.OutsideSales.Count, z3.OutsideReturns.Count)
	}
	f.checkCashOffice(t)
}

// TestNoSaleWithAManagersPIN is the till's no-sale: the manager types a
// number and PIN (pos.Approver, through the sign-in procedure) without
// signing the cashier out; a wrong PIN gives no approval and no no-sale,
// and both the refusal and the approval are audited with both people.
func TestNoSaleWithAManagersPIN(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	office, manager := f.office(t)
	if _, err := office.Open(ctx, f.cashier, pos.CountOf(0)); err != nil {
		t.Fatal(err)
	}
	a := &pos.Approver{Cashiers: f.db, Audit: f.db, StoreID: "s1", TillID: "t1"}
	tests := []struct {
		name, number, pin string
		ok                bool
	}{
		{"a wrong PIN", "900", "0000", false},
		{"a cashier", "101", "1234", false},
		{"the manager", "900", "9999", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := a.Approve(ctx, f.cashier, "a no sale", "", tt.number, tt.pin)
			if (err == nil) != tt.ok {
				t.Fatalf("approval: %v, want ok=%v", err, tt.ok)
			}
			_, err = office.Move(ctx, pos.MoveNoSale, 0, "change for the bus", f.cashier, m.ID)
			if (err == nil) != tt.ok {
				t.Errorf("the no-sale: %v, want ok=%v", err, tt.ok)
			}
		})
	}
	if got := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'approval_refused' AND cashier_id = ?`, f.cashier); got != 2 {
		t.Errorf("refusals audited: %d, want 2", got)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'approval' AND cashier_id = ? AND detail LIKE ?`,
		f.cashier, fmt.Sprintf("%%manager %d%%", manager)); got != 1 {
		t.Errorf("approvals audited: %d, want 1", got)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM cash_movements WHERE kind = 'no_sale' AND cashier_id = ? AND approved_by = ?`,
		f.cashier, manager); got != 1 {
		t.Errorf("no-sales recorded: %d, want 1", got)
	}
}

// printer keeps the reports the till printed; with fail, the printer is
// out of paper.
type printer struct {
	fail    bool
	printed []pos.Report
}

func (p *printer) PrintReport(_ context.Context, r pos.Report) error {
	p.printed = append(p.printed, r)
	if p.fail {
		return errors.New("out of paper")
	}
	return nil
}

// TestZListsBasketsStillParked: a basket parked at the till and still
// waiting at the close is listed by the Z (count and total), and the Z
// read again after the basket was resumed lists what was parked then.
func TestZListsBasketsStillParked(t *testing.T) {
	f := newFixture(t, 100, 100)
	ctx := context.Background()
	office, manager := f.office(t)
	if _, err := office.Open(ctx, f.cashier, pos.CountOf(0)); err != nil {
		t.Fatal(err)
	}
	_, basket := f.parkable(t, f.co)
	parked, err := f.db.Park(ctx, basket)
	if err != nil {
		t.Fatal(err)
	}
	x, err := office.X(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if x.Parked.Count != 1 || x.Parked.Amount != basket.Total || !strings.Contains(strings.Join(x.Text(pos.EUR(), time.UTC), "\n"), "Baskets still parked") {
		t.Errorf("X: parked %+v, want 1 for %d, and listed\n%s", x.Parked, basket.Total, strings.Join(x.Text(pos.EUR(), time.UTC), "\n"))
	}
	z, err := office.Z(ctx, manager, pos.CountOf(0))
	if err != nil {
		t.Fatal(err)
	}
	if z.Parked.Count != 1 {
		t.Errorf("Z: parked %+v, want 1", z.Parked)
	}
	if _, err := f.db.Resume(ctx, "s1", parked.Number, pos.Resumption{TillID: "t1", CashierID: f.cashier, SaleKey: pos.NewKey()}); err != nil {
		t.Fatal(err)
	}
	again, err := f.db.ZReport(ctx, "s1", "t1", z.ZNumber)
	if err != nil {
		t.Fatal(err)
	}
	if again.Parked != z.Parked {
		t.Errorf("Z read again after the resume: parked %+v, want %+v as at its close", again.Parked, z.Parked)
	}
}
