package main

import (
	"testing"

	"github.com/till-pos/till/pos"
)

// The typed-cash bound and the scan profile come from the environment, or
// follow the currency when unset; bad values are refused with a message.
func TestSettingsFromTheEnvironment(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		wantErr     bool
		wantOver    pos.Money
		wantProfile string // a variable-measure code the profile reads as a price
	}{
		{"defaults", nil, false, 0, ""},
		{"cash over limit", map[string]string{"POS_CASH_OVER_LIMIT": "200"}, false, 20000, ""},
		{"cash over limit with cents", map[string]string{"POS_CASH_OVER_LIMIT": "50.50"}, false, 5050, ""},
		{"cash over limit not an amount", map[string]string{"POS_CASH_OVER_LIMIT": "lots"}, true, 0, ""},
		{"cash over limit zero", map[string]string{"POS_CASH_OVER_LIMIT": "0"}, true, 0, ""},
		{"UK profile by currency", map[string]string{"POS_CURRENCY": "GBP"}, false, 0, "2011122912346"},
		{"UK profile named", map[string]string{"POS_SCAN_PROFILE": "uk"}, false, 0, "2011122912346"},
		{"unknown profile", map[string]string{"POS_SCAN_PROFILE": "XX"}, true, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &environment{getenv: func(k string) string { return tt.env[k] }}
			_, cfg := newFlags(env, "")
			set, err := cfg.settings(false)
			if (err != nil) != tt.wantErr {
				t.Fatalf("settings: got %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if set.CashOverLimit != tt.wantOver {
				t.Errorf("cash over limit: got %d, want %d", set.CashOverLimit, tt.wantOver)
			}
			if tt.wantProfile != "" {
				sc, err := set.Scan.Parse(tt.wantProfile)
				if err != nil || sc.Measure != pos.MeasurePrice || sc.Value != 1234 {
					t.Errorf("Parse(%s): got %+v, %v; want a price of 1234", tt.wantProfile, sc, err)
				}
			}
		})
	}
}

// POS_RETURN_APPROVAL_OVER (or --return-approval-over) is the amount above
// which a return needs a manager; unset, there is no limit.
func TestReturnApprovalOver(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		args    []string
		want    pos.Money
		wantErr bool
	}{
		{"unset: no limit", "", nil, 0, false},
		{"environment", "100", nil, 10000, false},
		{"with cents", "49.99", nil, 4999, false},
		{"the flag wins", "100", []string{"--return-approval-over", "20"}, 2000, false},
		{"not an amount", "lots", nil, 0, true},
		{"zero", "0", nil, 0, true},
		{"negative", "-5", nil, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &environment{getenv: func(k string) string {
				if k == "POS_RETURN_APPROVAL_OVER" {
					return tt.env
				}
				return ""
			}}
			fs, cfg := newFlags(env, "")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			set, err := cfg.settings(false)
			if (err != nil) != tt.wantErr {
				t.Fatalf("settings: got %v, want error %v", err, tt.wantErr)
			}
			if set.ReturnApprovalOver != tt.want {
				t.Errorf("approval over: got %d, want %d", set.ReturnApprovalOver, tt.want)
			}
		})
	}
}
