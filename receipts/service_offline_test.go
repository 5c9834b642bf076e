package receipts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
)

// refusingRecords fails the test if the receipt asks the database.
type refusingRecords struct{ t *testing.T }

func (r refusingRecords) Sale(ctx context.Context, key string) (pos.Sale, error) {
	r.t.Errorf("the receipt of an offline sale asked the database for sale %s", key)
	return pos.Sale{}, pos.Errorf(pos.EUnavailable, "the database cannot be reached")
}

func (r refusingRecords) ReceiptParties(ctx context.Context, sale pos.Sale) (pos.Cashier, pos.Customer, error) {
	r.t.Errorf("the receipt of an offline sale asked the database for its parties")
	return pos.Cashier{}, pos.Customer{}, pos.Errorf(pos.EUnavailable, "the database cannot be reached")
}

// storedRecords is a database that has the sale it is asked for.
type storedRecords struct {
	sale  pos.Sale
	calls int
}

func (r *storedRecords) Sale(ctx context.Context, key string) (pos.Sale, error) {
	r.calls++
	if key != r.sale.Key {
		return pos.Sale{}, pos.Errorf(pos.ENotFound, "no sale %s", key)
	}
	return r.sale, nil
}

func (r *storedRecords) ReceiptParties(ctx context.Context, sale pos.Sale) (pos.Cashier, pos.Customer, error) {
	return pos.Cashier{ID: sale.CashierID, Name: "Ann Baker"}, pos.Customer{}, nil
}

// TestServiceOfflineReceipt: Service.Receipt of an offline sale not yet
// forwarded never asks the database (which could not be reached: the
// cashier would wait for its timeout); the receipt is the sale as given,
// with the cashier's number, and prints. A forwarded offline sale is read
// back from the database like any other.
func TestServiceOfflineReceipt(t *testing.T) {
	ctx := context.Background()
	for _, copy := range []bool{false, true} {
		t.Run(fmt.Sprintf("copy=%v", copy), func(t *testing.T) {
			svc := &receipts.Service{Records: refusingRecords{t}, Currency: pos.EUR(), Location: time.UTC,
				Store: receipts.Store{Name: "Test"}}
			sale := offlineSale(t, 0, false)
			r := svc.Receipt(ctx, sale, copy)
			if r.Sale.Key != sale.Key || !r.Sale.Offline || r.Sale.ID != 0 || r.Copy != copy || r.Cashier != "" {
				t.Errorf("receipt %+v, want the sale as given (copy %v, no cashier name)", r, copy)
			}
			lines, err := receipts.Lines(r)
			if err != nil {
				t.Fatal(err)
			}
			var cashier bool
			for _, l := range lines {
				if l.Right == "Cashier #1" {
					cashier = true
				}
			}
			if !cashier {
				t.Errorf("no \"Cashier #1\" in %+v", lines)
			}
		})
	}
	t.Run("forwarded", func(t *testing.T) {
		stored := offlineSale(t, 42, false)
		db := &storedRecords{sale: stored}
		svc := &receipts.Service{Records: db, Currency: pos.EUR(), Location: time.UTC}
		r := svc.Receipt(ctx, stored, false)
		if db.calls != 1 || r.Sale.ID != 42 || !r.Sale.Offline || r.Cashier != "Ann Baker" {
			t.Errorf("%d database reads, receipt of sale %d (offline %v) by %q; want the stored sale 42, offline, by Ann Baker",
				db.calls, r.Sale.ID, r.Sale.Offline, r.Cashier)
		}
	})
}
