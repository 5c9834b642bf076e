package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/simpay"
	"github.com/till-pos/till/pos/stripe"
	"github.com/till-pos/till/store"
)

// newReturns builds the return protocol for a till: the store records
// returns; the card gateway refunds card parts when it can (a gateway
// without refunds leaves them to a manager's cash); loc is the store's
// zone, for "the same day" of a void.
func newReturns(db *store.DB, gw pos.PaymentGateway, s pos.Settings, loc *time.Location) *pos.Returns {
	r := &pos.Returns{Store: db, Settings: s, Location: loc}
	if cr, ok := gw.(pos.CardRefunder); ok {
		r.Gateway = cr
	}
	return r
}

// Both card gateways give card payments back: a till on either refunds
// cards itself.
var (
	_ pos.CardRefunder = (*stripe.Gateway)(nil)
	_ pos.CardRefunder = (*simpay.Gateway)(nil)
)

// newApprover checks a manager's number and PIN at the till.
func newApprover(db *store.DB, s pos.Settings) *pos.Approver {
	return &pos.Approver{Cashiers: db, Audit: db, StoreID: s.StoreID, TillID: s.TillID}
}

// recoverReturns settles the returns a stopped till left pending and
// logs what it did.
func recoverReturns(ctx context.Context, rets *pos.Returns, age time.Duration) {
	if rets == nil {
		return
	}
	rep, err := rets.Recover(ctx, age)
	if err != nil || len(rep.Completed)+len(rep.Owed)+len(rep.Failed)+len(rep.Unresolved) > 0 {
		slog.Info("recovered pending returns", "completed", len(rep.Completed), "owed", len(rep.Owed),
			"failed", len(rep.Failed), "unresolved", len(rep.Unresolved), "err", err)
	}
	for _, k := range rep.Owed {
		slog.Warn("a return completed with its cash part owed to the customer: a manager pays it from the drawer", "return", k)
	}
}

// reportReturns prints what `till reconcile` did with pending returns.
func reportReturns(w io.Writer, rep pos.ReturnRecovery) {
	fmt.Fprintf(w, "returns: completed %d, cash owed %d, failed %d, unresolved %d\n",
		len(rep.Completed), len(rep.Owed), len(rep.Failed), len(rep.Unresolved))
	for _, k := range rep.Owed {
		fmt.Fprintln(w, "  cash owed to the customer (pay it from the drawer):", k)
	}
	for _, k := range rep.Unresolved {
		fmt.Fprintln(w, "  return still pending:", k)
	}
}
