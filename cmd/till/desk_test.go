package main

import "testing"

// The desk's limits: POS_DISCOUNT_LIMIT_PERCENT,
// POS_PRICE_OVERRIDE_LIMIT_PERCENT and POS_OPEN_PRICE_MAX (or their flags)
// reach pos.Settings; nonsense is refused.
func TestDeskLimits(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		args         []string
		discount     int
		override     int
		openPriceMax int64
		wantErr      bool
	}{
		{name: "defaults", discount: 1000, override: 0},
		{name: "environment", env: map[string]string{"POS_DISCOUNT_LIMIT_PERCENT": "12.5",
			"POS_PRICE_OVERRIDE_LIMIT_PERCENT": "5", "POS_OPEN_PRICE_MAX": "250"}, discount: 1250, override: 500, openPriceMax: 25000},
		{name: "the flag wins", env: map[string]string{"POS_DISCOUNT_LIMIT_PERCENT": "20"},
			args: []string{"--discount-limit-percent", "0"}, discount: 0},
		{name: "over 100", env: map[string]string{"POS_DISCOUNT_LIMIT_PERCENT": "101"}, wantErr: true},
		{name: "not a number", env: map[string]string{"POS_PRICE_OVERRIDE_LIMIT_PERCENT": "some"}, wantErr: true},
		{name: "open price max zero", env: map[string]string{"POS_OPEN_PRICE_MAX": "0"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &environment{getenv: func(k string) string { return tt.env[k] }}
			fs, cfg := newFlags(env, "")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			set, err := cfg.settings(false)
			if (err != nil) != tt.wantErr {
				t.Fatalf("settings: got %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if set.DiscountLimit != tt.discount || set.PriceOverrideLimit != tt.override || int64(set.OpenPriceMax) != tt.openPriceMax {
				t.Errorf("got discount %d override %d open max %d, want %d %d %d", set.DiscountLimit, set.PriceOverrideLimit,
					set.OpenPriceMax, tt.discount, tt.override, tt.openPriceMax)
			}
		})
	}
}
