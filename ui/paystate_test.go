package ui

import (
	"testing"

	"github.com/till-pos/till/pos"
)

func TestPayStateTransitions(t *testing.T) {
	tests := []struct {
		from payState
		ev   payEvent
		to   payState
		act  payAction
	}{
		{payIdle, payReserve, payReserving, actSend},
		{payIdle, payCharge, payCharging, actSend},
		{payIdle, payApproved, payIdle, actNone}, // stale
		{payIdle, payEsc, payIdle, actNone},

		{payReserving, payReserved, payCharging, actSend},
		{payReserving, payReserveLost, payReserving, actRetry},
		{payReserving, payRetryDue, payReserving, actSend},
		{payReserving, payReserveRefused, payIdle, actFailed},
		{payReserving, payEsc, payCancelling, actCancel},

		{payCharging, payApproved, payIdle, actApproved},
		{payCharging, payUnknown, payResolving, actSend},
		{payCharging, payDeclined, payIdle, actFailed},
		{payCharging, payFailed, payIdle, actFailed},
		{payCharging, payEsc, payCancelling, actCancel},
		{payCharging, payReserved, payCharging, actNone}, // stale

		{payCancelling, payReserved, payIdle, actNotCharged},
		{payCancelling, payReserveLost, payIdle, actCancelled},
		{payCancelling, payReserveRefused, payIdle, actCancelled},
		{payCancelling, payRetryDue, payIdle, actCancelled},
		{payCancelling, payApproved, payIdle, actApproved},
		{payCancelling, payUnknown, payResolving, actSend},
		{payCancelling, payDeclined, payIdle, actFailed},
		{payCancelling, payFailed, payIdle, actNotCharged},
		{payCancelling, payEsc, payCancelling, actNone},

		{payResolving, payLookupFailed, payResolving, actRetry},
		{payResolving, payRetryDue, payResolving, actSend},
		{payResolving, payApproved, payIdle, actApproved},
		{payResolving, payLookupNotCharged, payIdle, actLookupNot},
		{payResolving, payEsc, payResolving, actRefuse},
	}
	for _, tt := range tests {
		to, act := tt.from.on(tt.ev)
		if to != tt.to || act != tt.act {
			t.Errorf("%s on %d: got %s, %d; want %s, %d", tt.from, tt.ev, to, act, tt.to, tt.act)
		}
	}
}

func TestPayEventOf(t *testing.T) {
	down := pos.Errorf(pos.EUnavailable, "down")
	tests := []struct {
		name string
		r    pos.Result
		want payEvent
	}{
		{"reserved", pos.Result{Kind: pos.StepReserve}, payReserved},
		{"reserve lost", pos.Result{Kind: pos.StepReserve, Err: down}, payReserveLost},
		{"out of stock", pos.Result{Kind: pos.StepReserve, Err: pos.Errorf(pos.EOutOfStock, "short")}, payReserveRefused},
		{"approved", pos.Result{Kind: pos.StepCharge, Payment: pos.Payment{Status: pos.PaymentApproved}}, payApproved},
		{"unknown", pos.Result{Kind: pos.StepCharge, Payment: pos.Payment{Status: pos.PaymentUnknown}, Err: down}, payUnknown},
		{"declined", pos.Result{Kind: pos.StepCharge, Payment: pos.Payment{Status: pos.PaymentDeclined},
			Err: pos.Errorf(pos.EDeclined, "declined")}, payDeclined},
		{"cancelled", pos.Result{Kind: pos.StepCharge, Payment: pos.Payment{Status: pos.PaymentCancelled},
			Err: pos.Errorf(pos.EConflict, "cancelled")}, payFailed},
		{"lookup failed", pos.Result{Kind: pos.StepResolve, Err: down}, payLookupFailed},
		{"lookup approved", pos.Result{Kind: pos.StepResolve, Payment: pos.Payment{Status: pos.PaymentApproved}}, payApproved},
		{"lookup: never charged", pos.Result{Kind: pos.StepResolve, Payment: pos.Payment{Status: pos.PaymentFailed}}, payLookupNotCharged},
	}
	for _, tt := range tests {
		if got := payEventOf(tt.r); got != tt.want {
			t.Errorf("%s: got event %d, want %d", tt.name, got, tt.want)
		}
	}
}
