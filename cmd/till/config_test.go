package main

import (
	"errors"
	"flag"
	"io"
	"testing"
)

func TestQuantityLimit(t *testing.T) {
	tests := []struct {
		env, flag string
		want      int64
		wantErr   bool
	}{
		{"", "", 50, false},
		{"12", "", 12, false},
		{"12", "200", 200, false}, // a flag wins over the environment
		{"0", "", 0, true},
		{"-3", "", 0, true},
		{"10000", "", 0, true},
		{"lots", "", 0, true},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("till", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var c config
		c.bind(fs, func(k string) string {
			if k == "POS_MAX_QUANTITY" {
				return tt.env
			}
			return ""
		})
		var args []string
		if tt.flag != "" {
			args = []string{"--max-quantity", tt.flag}
		}
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		got, err := c.quantityLimit()
		if (err != nil) != tt.wantErr || got != tt.want || err != nil && !errors.Is(err, errUsage) {
			t.Errorf("env %q flag %q: got %d, %v; want %d, error %v (a usage error)", tt.env, tt.flag, got, err, tt.want, tt.wantErr)
		}
	}
}
