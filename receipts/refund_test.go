package receipts_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
	"github.com/till-pos/till/receipts/escpos"
	"github.com/till-pos/till/receipts/escpos/escpostest"
)

// returnTime is when every fixture return happens: an hour after the sale.
var returnTime = saleTime.Add(time.Hour)

// returns is the return protocol on the fixture's database and its
// simulated card reader (which refunds what it took), an hour after the
// sales.
func (f *fixture) returns() *pos.Returns {
	f.clock = func() time.Time { return returnTime }
	return &pos.Returns{Store: f.db, Gateway: f.gw, Settings: f.co.Settings, Location: f.loc,
		Now: func() time.Time { return returnTime }}
}

// returnKey is a deterministic return key.
func (f *fixture) returnKey() string {
	f.keys++
	return fmt.Sprintf("00000000-0000-4000-9000-%012d", f.keys)
}

// giveBack runs a return through the protocol: begin, card refunds,
// complete.
func (f *fixture) giveBack(t testing.TB, req pos.ReturnRequest) pos.Return {
	t.Helper()
	ctx := context.Background()
	rs := f.returns()
	ret, err := rs.Begin(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if ret, err = rs.RefundCards(ctx, ret); err != nil {
		t.Fatal(err)
	}
	done, err := rs.Complete(ctx, ret.Key)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != pos.ReturnCompleted {
		t.Fatalf("return %s is %s, want completed", done.Key, done.Status)
	}
	return done
}

// returnLines asks for sale lines back: line number, quantity, reason, restock.
func (f *fixture) returnOf(sale pos.Sale, lines ...pos.ReturnLine) pos.ReturnRequest {
	return f.returns().Request(f.returnKey(), sale.Key, f.cashier, lines)
}

// refundCases are returns made through the real protocol: a partial
// return of a split sale refunded to the card and in cash, a weighed line
// returned by weight, a training return, a return without a receipt
// approved by a manager, one whose cash is owed and whose points were
// partly spent, and the void of a sale.
var refundCases = []struct {
	name     string
	currency pos.Currency
	training bool
	give     func(f *fixture, t *testing.T) pos.Return
	want     []string // on the receipt, besides what every refund receipt says
}{
	{"card-cash", pos.EUR(), false, func(f *fixture, t *testing.T) pos.Return {
		s := f.basket(t, true, line{name: "Red wine, Rioja", qty: 2}, line{name: "Rye bread", qty: 1})
		sale := f.splitSale(t, s, 1500, 1000)
		return f.giveBack(t, f.returnOf(sale,
			pos.ReturnLine{SaleLine: 1, Quantity: 2, Reason: pos.ReasonChangedMind, Restock: true}))
	}, []string{"Return of sale 1", "Reason: changed mind", "To card VISA ****4242", "Cash back"}},
	{"weighed", pos.GBP(), false, func(f *fixture, t *testing.T) pos.Return {
		sale := f.cashSale(t, f.basket(t, false, line{name: "Bananas", qty: 545}, line{name: "Rye bread", qty: 2}), 1000)
		return f.giveBack(t, f.returnOf(sale,
			pos.ReturnLine{SaleLine: 1, Quantity: 245, Reason: pos.ReasonWrongItem}))
	}, []string{"Return of sale 1", "0.245 kg x £1.99/kg", "Reason: wrong item, not restocked", "Cash back"}},
	{"training", pos.EUR(), true, func(f *fixture, t *testing.T) pos.Return {
		sale := f.cashSale(t, f.basket(t, true, line{name: "Rye bread", qty: 2}), 1000)
		return f.giveBack(t, f.returnOf(sale,
			pos.ReturnLine{SaleLine: 1, Quantity: 1, Reason: pos.ReasonDamaged, Restock: true}))
	}, []string{"Return of sale 1", "Reason: damaged, not restocked", "Cash back"}},
	{"no-receipt", pos.EUR(), false, func(f *fixture, t *testing.T) pos.Return {
		manager := f.d.AddCashier(t, pos.Cashier{Number: "900", Name: "Mia Boss", Manager: true}, "9999")
		wine := f.items["Red wine, Rioja"]
		req := f.returns().Request(f.returnKey(), "", f.cashier, []pos.ReturnLine{{ItemID: wine.ID,
			Code: wine.Code, Name: wine.Name, Quantity: 1, UnitPrice: wine.Price, TaxRate: wine.TaxRate,
			Reason: pos.ReasonOther, Restock: true}})
		req.ApprovedBy = manager.ID
		return f.giveBack(t, req)
	}, []string{"Return without receipt, approved by manager Mia Boss", "Reason: other", "Cash back"}},
	{"owed", pos.EUR(), false, func(f *fixture, t *testing.T) pos.Return {
		// The customer has spent the points the sale earned, and the till
		// stopped before handing the cash out: recovery completes the
		// return with the cash owed.
		sale := f.cashSale(t, f.basket(t, true, line{name: "Red wine, Rioja", qty: 3}), 3000)
		if _, err := f.d.Admin.Exec(`UPDATE customers SET loyalty_points = 10 WHERE customer_id = ?`, f.customer.ID); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		ret, err := f.returns().Begin(ctx, f.returnOf(sale,
			pos.ReturnLine{SaleLine: 1, Quantity: 3, Reason: pos.ReasonWrongItem, Restock: true}))
		if err != nil {
			t.Fatal(err)
		}
		done, err := f.db.CompleteReturn(ctx, ret.Key, true)
		if err != nil {
			t.Fatal(err)
		}
		if done.PointsUnreversed == 0 {
			t.Fatalf("the return took back all %d points; the case wants some spent", done.PointsReversed)
		}
		return done
	}, []string{"Return of sale 1", "Cash owed", "Not handed out: see a manager", "Points taken back 10",
		"Points not taken back (spent)"}},
	{"void", pos.EUR(), false, func(f *fixture, t *testing.T) pos.Return {
		sale := f.cashSale(t, f.basket(t, false, line{name: "Sparkling water 1 l", qty: 3}, line{name: "Rye bread", qty: 1}), 1000)
		rs := f.returns()
		src, err := rs.Open(context.Background(), sale.Key)
		if err != nil {
			t.Fatal(err)
		}
		req, err := rs.Void(src, f.returnKey(), f.cashier)
		if err != nil {
			t.Fatal(err)
		}
		return f.giveBack(t, req)
	}, []string{"VOID of sale 1", "Reason: other", "Cash back"}},
}

// TestRefundReceiptPDF renders the refund receipts of returns made
// through the real protocol, reads their text back with pdftotext, compares
// it with golden files and checks every amount against the database.
func TestRefundReceiptPDF(t *testing.T) {
	for _, c := range refundCases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.currency, c.training)
			ret := c.give(f, t)
			ctx := context.Background()
			f.svc.Dir = t.TempDir()
			path, err := f.svc.SaveReturn(ctx, ret)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(f.svc.Dir, "2026-03-01", fmt.Sprintf("return-%d-%s.pdf", ret.ID, ret.Key)); path != want {
				t.Errorf("saved at %s, want %s", path, want)
			}
			pdf, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := receipts.Render(f.svc.ReturnReceipt(ctx, ret))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pdf, want) {
				t.Error("the saved refund receipt is not the rendered one")
			}
			text := pdfText(t, pdf, false)
			golden(t, "refund-"+c.name+".txt", text)
			checkRefund(t, f, ret, text, c.currency, c.want)
			if got := strings.Count(pdfText(t, pdf, true), "TRAINING"); c.training && got < 3 || !c.training && got != 0 {
				t.Errorf("got %d TRAINING marks, want the 2 banners and the watermark on a training return, none else", got)
			}
			// The return's own barcode, as a 203 dpi receipt printer prints
			// it (through the training watermark too), reads back as the
			// return's key.
			read := zbarRead(t, printed(t, pdf, 203))
			if scan, err := pos.DefaultScanRules().Parse(read); err != nil || scan.Kind != pos.ScanReceipt || scan.Code != ret.Key {
				t.Errorf("zbarimg read %q at 203 dpi: %s %q (%v), want the return %s", read, scan.Kind, scan.Code, err, ret.Key)
			}
		})
	}
}

// TestRefundReceiptESCPOS prints the same refund receipts on a virtual
// ESC/POS printer at 80 and 58 mm: REFUND double size and bold, the same
// content as the PDF, every amount as the database has it, the return's
// own barcode, the cut.
func TestRefundReceiptESCPOS(t *testing.T) {
	for _, c := range refundCases {
		for _, width := range []int{escpos.Width80, escpos.Width58} {
			t.Run(fmt.Sprintf("%s/%dmm", c.name, width), func(t *testing.T) {
				f := newFixture(t, c.currency, c.training)
				vp := f.printTo(t, width)
				ret := c.give(f, t)
				ctx := context.Background()
				if err := f.svc.PrintReturn(ctx, ret); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(filepath.Join(f.svc.Dir, "2026-03-01", fmt.Sprintf("return-%d-%s.pdf", ret.ID, ret.Key))); err != nil {
					t.Errorf("printing did not save the refund receipt: %v", err)
				}
				jobs := vp.Jobs()
				if len(jobs) != 1 {
					t.Fatalf("%d print jobs, want 1", len(jobs))
				}
				doc, err := escpostest.Decode(jobs[0], width)
				if err != nil {
					t.Fatalf("the printer was sent what it cannot print: %v", err)
				}
				text := doc.Text()
				checkRefund(t, f, ret, text, c.currency, c.want)
				sameContent(t, f.svc.ReturnReceipt(ctx, ret), doc)
				var marks int
				for _, l := range doc.Lines() {
					if strings.HasPrefix(l.Text, "REFUND") {
						marks++
						if !l.Double || !l.Bold {
							t.Errorf("REFUND is not double size and bold: %+v", l)
						}
					}
				}
				if marks != 2 {
					t.Errorf("%d REFUND lines, want the mark at the top and the total", marks)
				}
				bc := doc.Barcodes()
				if len(bc) != 1 {
					t.Fatalf("%d barcodes, want 1", len(bc))
				}
				code, err := pos.ReceiptCode(ret.Key)
				if err != nil || bc[0].Digits != code {
					t.Errorf("barcode %s, want the return's %s (%v)", bc[0].Digits, code, err)
				}
				if scan, err := pos.DefaultScanRules().Parse(bc[0].Digits); err != nil || scan.Kind != pos.ScanReceipt || scan.Code != ret.Key {
					t.Errorf("the barcode scans as %s %q (%v), want the return %s", scan.Kind, scan.Code, err, ret.Key)
				}
				if doc.Cuts() != 1 || doc.Items[len(doc.Items)-1].Kind != escpostest.Cut {
					t.Errorf("%d cuts; the job must end with the cut", doc.Cuts())
				}
				var banners int
				for _, l := range doc.Lines() {
					if strings.TrimSpace(l.Text) == "TRAINING - NOT A RECEIPT" && l.Bold && l.Reverse {
						banners++
					}
				}
				if want := map[bool]int{true: 2}[c.training]; banners != want {
					t.Errorf("%d TRAINING banners, want %d", banners, want)
				}
				golden(t, filepath.Join("escpos", fmt.Sprintf("refund-%s-%d.txt", c.name, width)), doc.String(escpos.Columns(width)))
			})
		}
	}
}

// checkRefund reads the refund receipt's marks, lines, tax, total and
// refunds off its text and compares them with the database's.
func checkRefund(t *testing.T, f *fixture, ret pos.Return, text string, cur pos.Currency, want []string) {
	t.Helper()
	flat := strings.Join(strings.Fields(text), " ") // a long line may wrap on paper
	for _, w := range append([]string{"REFUND", fmt.Sprintf("Return %d", ret.ID), "Cashier Ann Baker", "2026-03-01 15:05", ret.Key}, want...) {
		if !strings.Contains(flat, w) {
			t.Errorf("the refund receipt does not say %q:\n%s", w, text)
		}
	}
	// Only a card's brand and last 4 digits: no gateway ids.
	for _, rf := range ret.Refunds {
		for _, id := range []string{rf.ProviderRef, rf.PaymentRef} {
			if id != "" && strings.Contains(text, id) {
				t.Errorf("the refund receipt prints the gateway's id %q", id)
			}
		}
	}
	money := regexp.QuoteMeta(cur.Symbol) + `([0-9.]+)`
	parse := func(sign, digits string) pos.Money {
		v, err := cur.Parse(digits)
		if err != nil {
			t.Fatalf("%s: %v", digits, err)
		}
		if sign == "-" {
			v = -v
		}
		return v
	}
	sum := func(part, label string) pos.Money {
		re := regexp.MustCompile(`(?m)^` + label + `\s+(-?)` + money + `$`)
		var s pos.Money
		for _, m := range re.FindAllStringSubmatch(part, -1) {
			s += parse(m[1], m[2])
		}
		return s
	}
	itemsPart := regexp.MustCompile(`(?s)\nTill [^\n]*\n(.*)\n[0-9]+ items? returned\n`).FindStringSubmatch(text)
	if itemsPart == nil {
		t.Fatalf("no item lines found in:\n%s", text)
	}
	var total, tax, rounding, lines, refunded string
	var nLines int
	err := f.d.Admin.QueryRow(`SELECT r.total_amount, r.tax, r.cash_rounding,
			(SELECT SUM(line_total) FROM return_items WHERE return_id = r.return_id),
			(SELECT COUNT(*) FROM return_items WHERE return_id = r.return_id),
			(SELECT SUM(amount) FROM refunds WHERE return_id = r.return_id AND status IN ('approved', 'owed'))
		FROM returns r WHERE idempotency_key = ? AND status = 'completed'`, ret.Key).
		Scan(&total, &tax, &rounding, &lines, &nLines, &refunded)
	if err != nil {
		t.Fatal(err)
	}
	db := func(s string) pos.Money {
		if strings.HasPrefix(s, "-") {
			return parse("-", s[1:])
		}
		return parse("", s)
	}
	checks := []struct {
		what      string
		got, want pos.Money
	}{
		{"REFUND", sum(text, "REFUND"), db(total)},
		{"tax lines", sum(text, `Tax [0-9.]+% on \S+`), db(tax)},
		{"item lines", sum(itemsPart[1], `\S.*?`), db(lines)},
		{"cash rounding", sum(text, "Cash rounding"), db(rounding)},
		{"refunds", sum(text, `To card.*?`) + sum(text, "Cash back") + sum(text, "Cash owed"), db(refunded)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: receipt says %s, database %s", c.what, cur.Format(c.got), cur.Format(c.want))
		}
	}
	if got := len(regexp.MustCompile(`(?m)^\s+Reason: `).FindAllString(itemsPart[1], -1)); got != nLines {
		t.Errorf("%d reasons for %d returned lines", got, nLines)
	}
}

// TestRefundReceiptUpload: a completed return's refund receipt goes
// through the outbox to the S3-compatible server, under the store's
// returns/, apart from the sale's receipt, and is the receipt printed.
func TestRefundReceiptUpload(t *testing.T) {
	f := newFixture(t, pos.EUR(), false)
	fs := newFakeS3(t)
	w, _ := f.worker(t, fs, "")
	ctx := context.Background()
	sale := f.splitSale(t, f.basket(t, true, line{name: "Red wine, Rioja", qty: 2}, line{name: "Rye bread", qty: 1}), 1500, 1000)
	ret := f.giveBack(t, f.returnOf(sale, pos.ReturnLine{SaleLine: 2, Quantity: 1, Reason: pos.ReasonChangedMind, Restock: true}))
	if got := f.count(t, `SELECT COUNT(*) FROM receipt_outbox WHERE status = 'pending' AND return_id = ?`, ret.ID); got != 1 {
		t.Fatalf("%d pending outbox rows for the return, want 1", got)
	}
	rep, err := w.Drain(ctx)
	if err != nil || rep.Uploaded != 2 || rep.Left != 0 || rep.Failed != 0 {
		t.Fatalf("drain: got %+v, %v; want the sale's and the return's receipts uploaded", rep, err)
	}
	key := "receipts/berlin-1/returns/2026/03/01/" + ret.Key + ".pdf"
	var objectKey string
	if err := f.d.Admin.QueryRow(`SELECT object_key FROM receipt_outbox WHERE status = 'uploaded'
		AND uploaded_at IS NOT NULL AND return_id = ? AND transaction_id IS NULL`, ret.ID).Scan(&objectKey); err != nil {
		t.Fatalf("the return's outbox row is not marked uploaded: %v", err)
	}
	if objectKey != key {
		t.Errorf("object key: got %s, want %s", objectKey, key)
	}
	h, body := head(t, fs, key)
	want, err := receipts.Render(f.svc.ReturnReceipt(ctx, ret))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want) {
		t.Error("the uploaded refund receipt is not the printed one")
	}
	if text := pdfText(t, body, false); !strings.Contains(text, "REFUND") || !strings.Contains(text, "Return of sale 1") {
		t.Errorf("the uploaded PDF is not the refund receipt:\n%s", text)
	}
	if got, want := h.Metadata, map[string]string{"return-key": ret.Key, "sale-key": sale.Key, "store": "berlin-1", "till": "till-3"}; !sameMeta(got, want) {
		t.Errorf("metadata: got %v, want %v", got, want)
	}
	if got := aws.ToString(h.ContentType); got != "application/pdf" {
		t.Errorf("content type %q", got)
	}
	_, saleBody := head(t, fs, "receipts/berlin-1/2026/03/01/"+sale.Key+".pdf")
	if bytes.Equal(saleBody, body) {
		t.Error("the sale's receipt was uploaded as the refund receipt")
	}
}

func sameMeta(got, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		// S3 servers differ in the case of metadata keys they return.
		found := false
		for gk, gv := range got {
			if strings.EqualFold(gk, k) && gv == v {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}
