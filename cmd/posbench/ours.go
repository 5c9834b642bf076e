package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/simpay"
	"github.com/till-pos/till/store"
)

// oursTills runs the till's own protocol through pos.Checkout over
// store.DB: cash in one transaction (SellCash); card as Reserve (one short
// transaction), PayCard (attempt row, the reader outside any transaction,
// the answer), Complete (one short transaction). The store retries
// deadlocks and lock waits itself; the driver-level counts see them.
func oursTills(db *store.DB, cfg config, b *benchDB) flowTills {
	gw := &simpay.Gateway{Delay: cfg.CardTime}
	shop := shopper{cfg: cfg, items: b.items[flowOurs], customers: b.customers}
	ft := flowTills{connIDs: make([]int64, cfg.Tills)}
	for i := range cfg.Tills {
		set := benchSettings(i, cfg.Stores)
		co := &pos.Checkout{Sales: db.AtStore(set.StoreID), Gateway: gw, Settings: set}
		ft.tills = append(ft.tills, func(ctx context.Context, rng *rand.Rand) served {
			return sellAll(ctx, shop.basket(rng), func(ctx context.Context, bk basket) attempt {
				return sellOurs(ctx, co, b.cashier, bk)
			})
		})
	}
	return ft
}

// benchSettings is till i of the bench chain of stores stores: tills are
// dealt to the stores in turn; prices include tax, one loyalty point per
// 1.00, no cash rounding.
func benchSettings(i, stores int) pos.Settings {
	return pos.Settings{StoreID: benchStore(i % max(stores, 1)), TillID: fmt.Sprintf("till%03d", i+1), Currency: pos.EUR(),
		TaxMode: pos.TaxInclusive, PointsPer: 100, Scan: pos.DefaultScanRules()}
}

func sellOurs(ctx context.Context, co *pos.Checkout, cashier int64, b basket) attempt {
	s := co.Open(cashier)
	for _, l := range b.lines {
		if err := s.Add(l); err != nil {
			return attempt{err: err}
		}
	}
	if b.customer != 0 {
		if err := s.Attach(pos.Customer{ID: b.customer}); err != nil {
			return attempt{err: err}
		}
	}
	var step pos.Step
	var err error
	if b.card {
		step, err = s.PayCard(s.Totals().Total)
	} else {
		step, err = s.TakeCash(s.Totals().Total)
	}
	for err == nil && step.Kind != pos.StepNone {
		r := step.Run(ctx)
		step, err = s.Apply(r), r.Err
		if err != nil && r.Kind == pos.StepCharge {
			// Only the hard stop gets here (the simulated reader approves):
			// give the stock back as the till would.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if rel, rerr := s.Release(pos.SaleFailed); rerr != nil {
				err = errors.Join(err, rerr)
			} else if rerr = rel.Run(rctx).Err; rerr != nil {
				err = errors.Join(err, rerr)
			}
			return attempt{err: err}
		}
	}
	return oursOutcome(err)
}

func oursOutcome(err error) attempt {
	if err == nil {
		return attempt{sold: true}
	}
	var pe *pos.Error
	if errors.As(err, &pe) && pe.Code == pos.EOutOfStock {
		a := attempt{}
		for _, s := range pe.Short {
			a.short = append(a.short, s.ItemID)
		}
		return a
	}
	return attempt{err: err}
}

// benchStore is the id of the bench chain's store n (from 0).
func benchStore(n int) string { return fmt.Sprintf("bench-%02d", n+1) }
