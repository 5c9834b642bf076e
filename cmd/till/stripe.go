package main

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/simpay"
	"github.com/till-pos/till/pos/stripe"
)

// Card reader configuration, read from the environment:
//
//	STRIPE_SECRET_KEY    secret (sk_…) or restricted (rk_…) key; see README
//	POS_STRIPE_READER    the Terminal reader of this till (tmr_…)
//	POS_STRIPE_CAPTURE   automatic (default) or manual
//	POS_STRIPE_WAIT      how long the customer has to present a card (2m)
//	POS_STRIPE_API_BASE  another API base URL (stripe-mock, tests)
//	POS_CARD_READER      "simulated": the simulated reader outside training
//
// simulatedTapDelay is how long the simulated customer takes to tap.
const simulatedTapDelay = 1500 * time.Millisecond

// cardGateway builds the till's card gateway. Training always gets the
// simulated reader, which charges nothing. Otherwise Stripe when it is
// configured; the simulated reader only when asked for by name; and
// nothing (nil: cash only) when no reader is configured. A till that is
// meant to take real cards never falls back to approving simulated ones,
// and `till reconcile` never settles real Stripe attempts against a
// simulator that has never heard of them (it would release paid sales).
func cardGateway(getenv func(string) string, training bool, log *slog.Logger) (pos.PaymentGateway, error) {
	if training {
		return &simpay.Gateway{Delay: simulatedTapDelay}, nil
	}
	key, reader := getenv("STRIPE_SECRET_KEY"), getenv("POS_STRIPE_READER")
	switch sim := strings.ToLower(getenv("POS_CARD_READER")); {
	case sim == "simulated" && key == "" && reader == "":
		return &simpay.Gateway{Delay: simulatedTapDelay}, nil
	case sim != "" && sim != "simulated" && sim != "stripe":
		return nil, fmt.Errorf("%w: POS_CARD_READER %q: use stripe or simulated", errUsage, sim)
	case sim == "simulated":
		return nil, fmt.Errorf("%w: POS_CARD_READER=simulated, but a Stripe reader is configured too", errUsage)
	case key == "" && reader == "":
		return nil, nil
	case key == "":
		return nil, fmt.Errorf("%w: POS_STRIPE_READER is set but STRIPE_SECRET_KEY is not", errUsage)
	case reader == "":
		return nil, fmt.Errorf("%w: STRIPE_SECRET_KEY is set but POS_STRIPE_READER (the reader id, tmr_…) is not", errUsage)
	}
	cfg := stripe.Config{SecretKey: key, ReaderID: reader, APIBase: getenv("POS_STRIPE_API_BASE"),
		Capture: stripe.CaptureMode(strings.ToLower(getenv("POS_STRIPE_CAPTURE"))), Logger: log}
	if w := getenv("POS_STRIPE_WAIT"); w != "" {
		d, err := time.ParseDuration(w)
		if err != nil || d < 10*time.Second || d > 10*time.Minute {
			return nil, fmt.Errorf("%w: POS_STRIPE_WAIT %q: a duration from 10s to 10m, e.g. 2m", errUsage, w)
		}
		cfg.Wait = d
	}
	g, err := stripe.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return g, nil
}

// recoverAge is the age from which Recover may settle a sale's card
// attempts: never younger than the gateway's longest charge, because
// settling an attempt cancels it at Stripe if it is still unpaid.
func recoverAge(gw pos.PaymentGateway, want time.Duration) time.Duration {
	if g, ok := gw.(interface{ MaxChargeTime() time.Duration }); ok {
		return max(want, g.MaxChargeTime())
	}
	return want
}
