package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/till-pos/till/migrations"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/demo"
	"github.com/till-pos/till/store/storetest"
)

// TestOfflineCashiers: as the till's user (its grants applied), the
// snapshot's cashiers are the active ones opted in to offline sign-in who
// may sign in at the store, with hashes their PINs match; an inactive, a
// not opted-in and another store's cashier are absent, and the till's user
// still cannot read the hashes or the opt-in itself.
func TestOfflineCashiers(t *testing.T) {
	r := newSignInRig(t)
	// 101 (1111) active, 102 (2222) inactive, 103 (9999) manager, all at
	// every store; 104 active but not opted in; 105 opted in at s7 only.
	for _, c := range []struct{ number, name, pin, stores string }{
		{"104", "Dan Eyre", "4444", "s1"},
		{"105", "Eve Ford", "5555", "s7"},
	} {
		hash, err := pos.HashPIN(c.pin)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.d.Admin.Exec(`INSERT INTO cashiers (number, name, pin_hash) VALUES (?, ?, ?)`, c.number, c.name, hash)
		if err != nil {
			t.Fatal(err)
		}
		r.id[c.number], _ = res.LastInsertId()
		if _, err := r.d.Admin.Exec(`INSERT INTO cashier_stores (cashier_id, store_id) VALUES (?, ?)`, r.id[c.number], c.stores); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.d.Admin.Exec(`UPDATE cashiers SET offline_signin = TRUE WHERE number IN ('101', '102', '103', '105')`); err != nil {
		t.Fatal(err)
	}
	db, _ := tillUser(t, r.d)
	ctx := context.Background()

	tests := []struct {
		store string
		want  []string // numbers, in order
	}{
		{"s1", []string{"101", "103"}},
		{"s7", []string{"101", "103", "105"}},
		{"no-such-store", nil},
	}
	for _, tt := range tests {
		t.Run(tt.store, func(t *testing.T) {
			cs, err := db.OfflineCashiers(ctx, tt.store)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cs {
				got = append(got, c.Number)
				if c.ID != r.id[c.Number] || c.Name == "" || c.PINHash == "" {
					t.Errorf("cashier %s: got %+v, want id %d, a name and a hash", c.Number, c.Cashier, r.id[c.Number])
				}
				if c.Manager != (c.Number == "103") {
					t.Errorf("cashier %s: manager %v", c.Number, c.Manager)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got cashiers %v, want %v", got, tt.want)
			}
		})
	}

	// The hash is the one sign-in checks: the PIN matches it (once; each
	// check costs a PBKDF2).
	cs, err := db.OfflineCashiers(ctx, "s1")
	if err != nil || len(cs) == 0 {
		t.Fatalf("offline cashiers: %v %v", cs, err)
	}
	if !pos.CheckPIN(cs[0].PINHash, "1111") {
		t.Errorf("cashier 101's PIN does not match the hash offline_cashiers gave")
	}
	for _, stmt := range []string{
		"SELECT pin_hash FROM cashiers",
		"SELECT offline_signin FROM cashiers",
		"UPDATE cashiers SET offline_signin = TRUE",
	} {
		rows, err := db.Writer().Query(stmt)
		if err == nil {
			rows.Close()
			t.Errorf("the till user could run %q", stmt)
		}
	}
}

// TestOfflineCashiersSeed: the demo cashiers are opted in, so a training
// till (till demo) can sign them in offline at every demo store.
func TestOfflineCashiersSeed(t *testing.T) {
	d := storetest.NewDatabase(t)
	ctx := context.Background()
	data := demo.Data(pos.DefaultScanRules())
	if _, err := store.Seed(ctx, d.Admin, data); err != nil {
		t.Fatal(err)
	}
	db, _ := tillUser(t, d)
	var want []string
	for _, c := range data.Cashiers {
		want = append(want, c.Cashier.Number)
	}
	slices.Sort(want)
	for _, st := range store.DemoStores() {
		cs, err := db.OfflineCashiers(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cs {
			got = append(got, c.Number)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: offline cashiers %v, want the demo's %v", st.ID, got, want)
		}
	}
}

// TestOfflineCashiersMigrationDownAndUp: migration 00012 rolls back (the
// column and the procedure go) and applies again.
func TestOfflineCashiersMigrationDownAndUp(t *testing.T) {
	r := newSignInRig(t)
	ctx := context.Background()
	if err := store.MigrateDownTo(ctx, r.d.Admin, 11); err != nil {
		t.Fatalf("down to 11: %v", err)
	}
	if _, err := r.d.Admin.ExecContext(ctx, `SELECT offline_signin FROM cashiers`); err == nil {
		t.Errorf("after down, cashiers.offline_signin is still there")
	}
	if _, err := r.d.Admin.ExecContext(ctx, `CALL offline_cashiers('s1')`); err == nil {
		t.Errorf("after down, offline_cashiers is still there")
	}
	if _, err := store.Migrate(ctx, r.d.Admin); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if _, err := r.d.Admin.ExecContext(ctx, `UPDATE cashiers SET offline_signin = TRUE WHERE number = '101'`); err != nil {
		t.Fatal(err)
	}
	cs, err := r.db.OfflineCashiers(ctx, "s1")
	if err != nil || len(cs) != 1 || cs[0].Number != "101" {
		t.Errorf("after up: %+v %v, want cashier 101", cs, err)
	}
}

// TestOfflineCashiersSQLIsMySQL80: what the till sends (the CALL) and the
// migration's table changes parse with the MySQL 8.0 grammar, as well as
// running on MariaDB. The procedure's body is a stored program, which
// Vitess's grammar does not cover (mysql80_test.go); it uses nothing the
// other migrations' procedures do not.
func TestOfflineCashiersSQLIsMySQL80(t *testing.T) {
	b, err := migrations.FS.ReadFile("00012_offline_cashiers.sql")
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{"CALL offline_cashiers('s1')"}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "ALTER TABLE ") || strings.HasPrefix(l, "DROP PROCEDURE ") {
			stmts = append(stmts, strings.TrimSuffix(l, ";"))
		}
	}
	if len(stmts) != 4 {
		t.Fatalf("statements %q, want the CALL, the two ALTERs and the DROP", stmts)
	}
	p := mysql80(t)
	for _, stmt := range stmts {
		if bad := refusedByMySQL80(p, stmt); len(bad) > 0 {
			t.Errorf("MySQL 8.0 refuses %s", strings.Join(bad, "; "))
		}
	}
}
