package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/simpay"
	"github.com/till-pos/till/pos/stripe"
	"github.com/till-pos/till/pos/stripe/stripetest"
)

func TestCardGateway(t *testing.T) {
	stripeEnv := map[string]string{"STRIPE_SECRET_KEY": "rk_test_abc", "POS_STRIPE_READER": "tmr_abc"}
	with := func(base map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	cases := []struct {
		name     string
		env      map[string]string
		training bool
		want     string // "stripe", "simulated", "none" or "error"
	}{
		{"nothing configured: cash only", nil, false, "none"},
		{"training", nil, true, "simulated"},
		{"training never charges, even with Stripe configured", stripeEnv, true, "simulated"},
		{"stripe", stripeEnv, false, "stripe"},
		{"stripe, manual capture", with(stripeEnv, "POS_STRIPE_CAPTURE", "manual"), false, "stripe"},
		{"stripe, longer wait", with(stripeEnv, "POS_STRIPE_WAIT", "3m"), false, "stripe"},
		{"simulated by name", map[string]string{"POS_CARD_READER": "simulated"}, false, "simulated"},
		{"simulated and stripe at once", with(stripeEnv, "POS_CARD_READER", "simulated"), false, "error"},
		{"unknown reader kind", map[string]string{"POS_CARD_READER": "magic"}, false, "error"},
		{"key without reader", map[string]string{"STRIPE_SECRET_KEY": "sk_test_abc"}, false, "error"},
		{"reader without key", map[string]string{"POS_STRIPE_READER": "tmr_abc"}, false, "error"},
		{"publishable key", with(stripeEnv, "STRIPE_SECRET_KEY", "pk_test_secretish"), false, "error"},
		{"capture mode", with(stripeEnv, "POS_STRIPE_CAPTURE", "later"), false, "error"},
		{"wait", with(stripeEnv, "POS_STRIPE_WAIT", "forever"), false, "error"},
		{"API base", with(stripeEnv, "POS_STRIPE_API_BASE", "not a url"), false, "error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gw, err := cardGateway(func(k string) string { return tc.env[k] }, tc.training, nil)
			got := "none"
			switch gw.(type) {
			case *stripe.Gateway:
				got = "stripe"
			case *simpay.Gateway:
				got = "simulated"
			}
			if err != nil {
				got = "error"
				if !errors.Is(err, errUsage) {
					t.Errorf("error %v: want a usage error", err)
				}
				if strings.Contains(err.Error(), "secretish") {
					t.Errorf("the error shows the key: %v", err)
				}
			}
			if got != tc.want {
				t.Errorf("got %s (%v), want %s", got, err, tc.want)
			}
		})
	}
}

// TestCardGatewayTalksToAPIBase charges through the gateway built from the
// environment against the scripted Stripe at POS_STRIPE_API_BASE.
func TestCardGatewayTalksToAPIBase(t *testing.T) {
	fake := stripetest.NewFake(t)
	env := map[string]string{"STRIPE_SECRET_KEY": stripetest.FakeKey, "POS_STRIPE_READER": stripetest.FakeReader,
		"POS_STRIPE_API_BASE": fake.URL, "POS_STRIPE_CAPTURE": "manual"}
	gw, err := cardGateway(func(k string) string { return env[k] }, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	fake.Next(stripetest.Script{Card: stripetest.Approved})
	res, err := gw.Charge(context.Background(), pos.ChargeRequest{AttemptKey: pos.NewKey(), SaleKey: pos.NewKey(),
		StoreID: "store-1", TillID: "till-1", Amount: 1999, Currency: pos.EUR()})
	if err != nil || res.Status != pos.PaymentApproved {
		t.Fatalf("charge: got %s, %v; want approved", res.Status, err)
	}
	if c := fake.Counts(); c.Creates != 1 || c.Captures != 1 || c.Charges != 1 {
		t.Errorf("at the API base: got %+v, want one create, capture and charge", c)
	}
	if got := recoverAge(gw, time.Minute); got < stripe.DefaultWait {
		t.Errorf("recover age: got %s, want at least the wait %s", got, stripe.DefaultWait)
	}
	if got := recoverAge(&simpay.Gateway{}, time.Minute); got != time.Minute {
		t.Errorf("recover age with the simulator: got %s, want 1m0s", got)
	}
}
