package pos

import (
	"math/rand/v2"
	"testing"
)

// soldSale is a completed sale of lines paid by the given payments.
func soldSale(t *testing.T, lines []Line, payments ...Payment) Returnable {
	t.Helper()
	totals, err := ComputeTotals(lines, TaxInclusive)
	if err != nil {
		t.Fatal(err)
	}
	s := Sale{ID: 7, Key: NewKey(), Currency: "EUR", Lines: lines, Totals: totals, Status: SaleCompleted,
		Payments: payments, PointsEarned: int64(totals.Total / 100)}
	var paid Money
	for _, p := range payments {
		paid += p.Amount
	}
	s.CashRounding = paid - totals.Total
	return Returnable{Sale: s, Returned: make([]int64, len(lines)), ReturnedGross: make([]Money, len(lines)),
		ReturnedTax: make([]Money, len(lines)), CardRefunded: map[string]Money{}}
}

func card(key string, amount Money) Payment {
	return Payment{AttemptKey: key, Method: MethodCard, Status: PaymentApproved, Amount: amount, ProviderRef: "pi_" + key}
}

func cash(amount Money) Payment {
	return Payment{AttemptKey: NewKey(), Method: MethodCash, Status: PaymentApproved, Amount: amount}
}

// apply records a planned return in src, as the store's sums would.
func apply(src *Returnable, r Return) {
	for _, l := range r.Lines {
		src.Returned[l.SaleLine-1] += l.Quantity
		src.ReturnedGross[l.SaleLine-1] += l.Gross
		src.ReturnedTax[l.SaleLine-1] += l.Tax
	}
	for _, f := range r.Refunds {
		if f.Method == MethodCard {
			src.CardRefunded[f.PaymentKey] += f.Amount
		}
		src.Refunded += f.Amount
	}
	src.PointsReversed += r.PointsReversed
}

func request(src Returnable, lines ...ReturnLine) ReturnRequest {
	return ReturnRequest{Key: NewKey(), SaleKey: src.Sale.Key, Currency: "EUR", Lines: lines, TaxMode: TaxInclusive}
}

func TestPlanReturnSplitsOverTenders(t *testing.T) {
	apples := Line{ItemID: 1, Name: "Apples", Quantity: 3, UnitPrice: 333, TaxRate: 700} // 9.99
	cheese := Line{ItemID: 2, Name: "Cheese", Weighed: true, Quantity: 1234, UnitPrice: 2000, TaxRate: 700}
	// cheese: 1.234 kg × 20.00 = 24.68
	tests := []struct {
		name       string
		payments   []Payment
		lines      []ReturnLine
		cashStep   Money
		instead    bool
		wantTotal  Money
		wantCard   []Money
		wantCash   Money
		wantRound  Money
		wantReason string
	}{
		{"card first, up to what it paid", []Payment{card("a", 1000), cash(2467)},
			[]ReturnLine{{SaleLine: 2, Quantity: 1234, Reason: ReasonWrongItem}}, 0, false, 2468, []Money{1000}, 1468, 0, ""},
		{"two cards in order", []Payment{card("a", 500), card("b", 3000)},
			[]ReturnLine{{SaleLine: 1, Quantity: 3, Reason: ReasonOther}, {SaleLine: 2, Quantity: 1000, Reason: ReasonDamaged}}, 0, false,
			999 + 2000, []Money{500, 2499}, 0, 0, ""},
		{"cash instead, with a manager", []Payment{card("a", 3467)},
			[]ReturnLine{{SaleLine: 1, Quantity: 1, Reason: ReasonChangedMind}}, 0, true, 333, nil, 333, 0, "cash instead of the card"},
		{"cash rounded to the step", []Payment{cash(3465)},
			[]ReturnLine{{SaleLine: 1, Quantity: 1, Reason: ReasonChangedMind}}, 5, false, 333, nil, 335, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := soldSale(t, []Line{apples, cheese}, tt.payments...)
			req := request(src, tt.lines...)
			req.CashStep, req.CashInstead = tt.cashStep, tt.instead
			r, err := PlanReturn(src, req)
			if err != nil {
				t.Fatal(err)
			}
			var cards []Money
			var cashBack Money
			for _, f := range r.Refunds {
				if f.Method == MethodCard {
					cards = append(cards, f.Amount)
				} else {
					cashBack += f.Amount
				}
			}
			if r.Total != tt.wantTotal || len(cards) != len(tt.wantCard) || cashBack != tt.wantCash ||
				r.CashRounding != tt.wantRound || r.Approval != tt.wantReason {
				t.Fatalf("got total %d cards %v cash %d rounding %d approval %q; want %d %v %d %d %q",
					r.Total, cards, cashBack, r.CashRounding, r.Approval, tt.wantTotal, tt.wantCard, tt.wantCash, tt.wantRound, tt.wantReason)
			}
			for i := range cards {
				if cards[i] != tt.wantCard[i] {
					t.Errorf("card %d: %d, want %d", i, cards[i], tt.wantCard[i])
				}
			}
			for _, l := range r.Lines {
				if l.Reason == ReasonDamaged && l.Restock {
					t.Errorf("a damaged line is restocked")
				}
			}
		})
	}
}

func TestPlanReturnRefuses(t *testing.T) {
	line := Line{ItemID: 1, Name: "Apples", Quantity: 2, UnitPrice: 100, TaxRate: 700}
	tests := []struct {
		name   string
		change func(*Returnable, *ReturnRequest)
		code   string
	}{
		{"more than left", func(s *Returnable, r *ReturnRequest) { s.Returned[0] = 1; r.Lines[0].Quantity = 2 }, EConflict},
		{"zero", func(s *Returnable, r *ReturnRequest) { r.Lines[0].Quantity = 0 }, EInvalid},
		{"no such line", func(s *Returnable, r *ReturnRequest) { r.Lines[0].SaleLine = 2 }, EInvalid},
		{"a line twice", func(s *Returnable, r *ReturnRequest) { r.Lines = append(r.Lines, r.Lines[0]) }, EInvalid},
		{"no reason", func(s *Returnable, r *ReturnRequest) { r.Lines[0].Reason = "" }, EInvalid},
		{"a pending sale", func(s *Returnable, r *ReturnRequest) { s.Sale.Status = SalePending }, EConflict},
		{"a training sale on a live till", func(s *Returnable, r *ReturnRequest) { s.Sale.Training = true }, EConflict},
		{"nothing chosen", func(s *Returnable, r *ReturnRequest) { r.Lines = nil }, EInvalid},
		{"a bad key", func(s *Returnable, r *ReturnRequest) { r.Key = "x" }, EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := soldSale(t, []Line{line}, cash(214))
			req := request(src, ReturnLine{SaleLine: 1, Quantity: 1, Reason: ReasonOther})
			tt.change(&src, &req)
			if _, err := PlanReturn(src, req); ErrorCode(err) != tt.code {
				t.Errorf("got %v, want %s", err, tt.code)
			}
		})
	}
}

// TestReturnsInPiecesAddUpExactly returns random sales in random pieces:
// the pieces of each line add up to the line, the refunds to what was paid,
// no card beyond its payment, and the points to what the sale earned.
func TestReturnsInPiecesAddUpExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		var lines []Line
		for i := range 1 + rng.IntN(4) {
			l := Line{ItemID: ItemID(i + 1), Name: "x", Quantity: 1 + rng.Int64N(5), UnitPrice: Money(1 + rng.Int64N(5000)), TaxRate: []int{0, 700, 2100}[rng.IntN(3)]}
			if rng.IntN(3) == 0 {
				l.Weighed, l.Quantity = true, 1+rng.Int64N(3000)
			}
			lines = append(lines, l)
		}
		totals, err := ComputeTotals(lines, TaxInclusive)
		if err != nil {
			t.Fatal(err)
		}
		onCard := Money(rng.Int64N(int64(totals.Total) + 1))
		pays := []Payment{card("a", onCard)}
		if rest := totals.Total - onCard; rest > 0 {
			r, _ := Settings{CashRounding: 5}.RoundCash(rest)
			pays = append(pays, cash(r))
		}
		src := soldSale(t, lines, pays...)
		for !src.FullyReturned() {
			var want []ReturnLine
			for i := range lines {
				if left := src.Left(i); left > 0 && rng.IntN(2) == 0 {
					want = append(want, ReturnLine{SaleLine: i + 1, Quantity: 1 + rng.Int64N(left), Reason: ReasonOther})
				}
			}
			if len(want) == 0 {
				continue
			}
			req := request(src, want...)
			req.CashStep = 5
			r, err := PlanReturn(src, req)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			apply(&src, r)
		}
		var gross Money
		for i, g := range src.ReturnedGross {
			if g != src.Sale.Totals.Lines[i].Gross {
				t.Fatalf("round %d line %d: pieces add up to %d, the line is %d", round, i, g, src.Sale.Totals.Lines[i].Gross)
			}
			gross += g
		}
		paid := src.Sale.Paid()
		if src.Refunded > paid || src.CardRefunded["a"] > onCard || src.PointsReversed != src.Sale.PointsEarned {
			t.Fatalf("round %d: refunded %d of %d paid, card %d of %d, points %d of %d", round,
				src.Refunded, paid, src.CardRefunded["a"], onCard, src.PointsReversed, src.Sale.PointsEarned)
		}
		// Rounding never keeps more than the cash step's half per return.
		if paid-src.Refunded < 0 || paid-src.Refunded > 5*Money(len(lines)*3000) {
			t.Fatalf("round %d: kept %d", round, paid-src.Refunded)
		}
	}
}

func TestRefundKeyIsStable(t *testing.T) {
	k := NewKey()
	first, again := RefundKey(k, 1), RefundKey(k, 1)
	if first != again || first == RefundKey(k, 2) || first == RefundKey(NewKey(), 1) {
		t.Error("refund keys are not derived from the return key and the number")
	}
}
