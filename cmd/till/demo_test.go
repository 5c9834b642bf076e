package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store/demo"
	"github.com/till-pos/till/store/storetest"
)

func TestStateDir(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"XDG", map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/home/a"}, "/x/state/till"},
		{"home", map[string]string{"HOME": "/home/a"}, "/home/a/.local/state/till"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stateDir(func(k string) string { return tt.env[k] })
			if err != nil || got != tt.want {
				t.Errorf("stateDir: got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestServerDSN(t *testing.T) {
	got, ok := serverDSN("u:p@tcp(db:3306)/till?parseTime=true")
	if !ok || strings.Contains(got, "/till") {
		t.Errorf("serverDSN: got %q, %v; want the DSN without its database", got, ok)
	}
	db, err := withDatabase(got, trainingDatabase)
	if err != nil || !strings.Contains(db, "/"+trainingDatabase) {
		t.Errorf("withDatabase: got %q, %v; want it to name %s", db, err, trainingDatabase)
	}
	if _, ok := serverDSN("not a dsn"); ok {
		t.Errorf("serverDSN accepted %q", "not a dsn")
	}
}

func TestDemoHintNamesWhatATrainerNeeds(t *testing.T) {
	data := demo.Data(pos.DefaultScanRules())
	hint := strings.Join(demoHint(pos.Settings{}, data), "\n")
	for _, want := range []string{"PIN", "item", "scale label", "loyalty card"} {
		if !strings.Contains(hint, want) {
			t.Errorf("hint: got %q, want it to mention %q", hint, want)
		}
	}
}

// TestDemoPrivateServer starts the private training server `till demo`
// uses, in a temporary state directory, and stops it. It needs a MariaDB or
// MySQL server binary, like `till demo` itself.
func TestDemoPrivateServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a database server")
	}
	if findBinary("mariadbd", "mysqld") == "" {
		storetest.Missing(t, "no mariadbd or mysqld installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "mysql")
	s, err := startPrivateServer(ctx, dir)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer s.stop()
	dsn, err := withDatabase(s.dsn, trainingDatabase)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := prepareTraining(ctx, dsn, demo.Data(pos.DefaultScanRules()), "store-1")
	if err != nil {
		t.Fatalf("prepare the training database: %v", err)
	}
	if rep.Items < 500 || rep.Cashiers < 3 {
		t.Errorf("seeded: got %d items, %d cashiers; want at least 500 and 3", rep.Items, rep.Cashiers)
	}
	s.stop()
	if answers(ctx, s.dsn) {
		t.Errorf("the server still answers after stop")
	}
}
