package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/simpay"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// runTill runs the till's main with an environment of our own.
func runTill(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return out.String(), errb.String(), code
}

func TestMigrateSeedGrantsOnAnEmptyDatabase(t *testing.T) {
	d := storetest.NewEmptyDatabase(t)
	env := map[string]string{"POS_ADMIN_DSN": d.DSN}

	out, errs, code := runTill(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("migrate: exit %d, %q %q", code, out, errs)
	}
	if out, _, code := runTill(t, env, "migrate"); code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("second migrate: exit %d, %q", code, out)
	}
	for i := range 2 { // seeding twice changes nothing
		out, errs, code = runTill(t, env, "seed")
		if code != 0 {
			t.Fatalf("seed %d: exit %d, %s", i, code, errs)
		}
	}
	for _, want := range []string{"101 / 1111", "103 / 9999", "(manager)", "loyalty cards:", "3*"} {
		if !strings.Contains(out, want) {
			t.Errorf("trainer sheet lacks %q:\n%s", want, out)
		}
	}
	counts := map[string]int{"inventory": 500, "customers": 50, "cashiers": 3}
	for table, least := range counts {
		var n int
		if err := d.Admin.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n < least || (table != "inventory" && n != least) {
			t.Errorf("%s: got %d rows, want %d", table, n, least)
		}
	}
}

func TestMigrateCreatesTheDatabase(t *testing.T) {
	server := storetest.NewEmptyDatabase(t) // for its server and clean-up
	cfg, err := mysql.ParseDSN(server.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = server.Name + "_new"
	t.Cleanup(func() { server.Admin.Exec("DROP DATABASE IF EXISTS " + cfg.DBName) })
	if out, errs, code := runTill(t, map[string]string{"POS_ADMIN_DSN": cfg.FormatDSN()}, "migrate"); code != 0 {
		t.Fatalf("migrate on a server without the database: exit %d %q %q", code, out, errs)
	}
	var n int
	if err := server.Admin.QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ?`, cfg.DBName).Scan(&n); err != nil || n < 8 {
		t.Errorf("tables in the new database: got %d (%v), want at least 8", n, err)
	}
}

func TestGrantsPrintIAM(t *testing.T) {
	out, errs, code := runTill(t, nil, "grants", "--database", "till", "--iam", "--region", "eu-west-1",
		"--account", "123456789012", "--cluster-resource-id", "cluster-ABC")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'", "REQUIRE SSL",
		"GRANT SELECT ON `till`.`inventory` TO 'pos_till'@'%'",
		"GRANT SELECT, UPDATE (stock_quantity) ON `till`.`store_inventory` TO 'pos_till'@'%'",
		"GRANT SELECT (cashier_id, number, name, manager) ON `till`.`cashiers` TO 'pos_till'@'%'",
		"GRANT EXECUTE ON PROCEDURE `till`.`sign_in` TO 'pos_till'@'%'",
		`"Action": "rds-db:connect"`,
		`"Resource": "arn:aws:rds-db:eu-west-1:123456789012:dbuser:cluster-ABC/pos_till"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, never := range []string{"DELETE", "DROP", "ALTER TABLE", "CREATE TABLE", "GRANT OPTION", "ALL PRIVILEGES"} {
		if strings.Contains(out, never) {
			t.Errorf("output grants %s:\n%s", never, out)
		}
	}
}

// TestTillUserCanSellAndNothingMore runs the whole sale flow as the user
// `till grants --apply` creates, then tries what the till must never do.
func TestTillUserCanSellAndNothingMore(t *testing.T) {
	d := storetest.NewDatabase(t)
	user := "pos_till_" + randomHex(4)
	password := randomHex(12)
	env := map[string]string{"POS_ADMIN_DSN": d.DSN, "POS_TILL_PASSWORD": password}
	if _, errs, code := runTill(t, env, "seed"); code != 0 {
		t.Fatalf("seed: %s", errs)
	}
	if out, errs, code := runTill(t, env, "grants", "--apply", "--user", user, "--host", "%"); code != 0 {
		t.Fatalf("grants --apply: exit %d %s %s", code, out, errs)
	}
	t.Cleanup(func() { d.Admin.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })

	cfg, err := mysql.ParseDSN(d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Passwd = user, password
	tillDSN := cfg.FormatDSN()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{WriterDSN: tillDSN, StoreID: "store-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Register with a lease, read the store's row, renew, and quit.
	if info, err := db.Store(ctx, "store-1"); err != nil || info.Name != "Demo Markt Mitte" {
		t.Fatalf("the store's row: %+v, %v", info, err)
	}
	releaseTill, err := holdTill(ctx, db, pos.Settings{StoreID: "store-1", TillID: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RenewTill(ctx, store.Lease{Store: "store-1", Till: "t1", Key: "nobody's", TTL: time.Minute}); pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("renewing a lease not held: %v", err)
	}
	defer releaseTill()

	// What the till does: sign in, read the catalog, find a customer, sell
	// for cash, sell by card, void a reserved sale, audit.
	settings := pos.Settings{StoreID: "store-1", TillID: "t1", Currency: pos.EUR(), PointsPer: 100, Scan: pos.DefaultScanRules()}
	cashier, err := db.SignIn(ctx, "store-1", "t1", "101", "1111")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SignIn(ctx, "store-1", "t1", "101", "0000"); pos.ErrorCode(err) != pos.EInvalid {
		t.Errorf("wrong PIN: got %v, want invalid", err)
	}
	if _, err := db.SignIn(ctx, "store-1", "t1", "999", "0000"); pos.ErrorCode(err) != pos.EInvalid || !strings.Contains(err.Error(), store.SignInRefused) {
		t.Errorf("unknown cashier: got %v, want the same refusal as a wrong PIN", err)
	}
	items, err := db.Items(ctx, time.Time{})
	if err != nil || len(items) < 500 {
		t.Fatalf("catalog: %d items, %v", len(items), err)
	}
	customers, err := db.FindCustomers(ctx, "a", 5)
	if err != nil || len(customers) == 0 {
		t.Fatalf("customers: %v %v", customers, err)
	}
	co := &pos.Checkout{Sales: db, Gateway: &simpay.Gateway{}, Settings: settings}
	sell := func(card bool) pos.Sale {
		t.Helper()
		b := &pos.Basket{Key: pos.NewKey(), Customer: &customers[0]}
		for _, it := range items[20:] {
			if it.Weighed || !it.Active || it.Code[0] == '2' {
				continue
			}
			if len(b.Lines) == 3 {
				break
			}
			l, err := pos.NewLine(it, pos.Scan{Quantity: 2})
			if err != nil {
				t.Fatal(err)
			}
			b.Add(l)
		}
		sale, err := co.Draft(b, cashier.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !card {
			done, err := co.SellCash(ctx, sale, sale.Totals.Total)
			if err != nil {
				t.Fatal(err)
			}
			return done
		}
		if sale, err = co.Reserve(ctx, sale); err != nil {
			t.Fatal(err)
		}
		p, err := co.PayCard(ctx, sale, sale.Totals.Total)
		if err != nil {
			t.Fatal(err)
		}
		sale.Payments = append(sale.Payments, p)
		return sale
	}
	cash := sell(false)
	carded := sell(true)
	if _, err := co.Release(ctx, carded.Key, pos.SaleVoided); err != nil {
		t.Fatalf("void after a card payment (refund + release): %v", err)
	}
	if err := db.Audit(ctx, pos.AuditEntry{StoreID: "store-1", TillID: "t1", CashierID: cashier.ID, Action: "void_sale", SaleKey: carded.Key}); err != nil {
		t.Fatal(err)
	}

	// What it must never do.
	forbidden := []string{
		"DELETE FROM transactions WHERE transaction_id = " + itoa(cash.ID),
		"DELETE FROM audit_log",
		"UPDATE transactions SET payment_status = 'voided' WHERE transaction_id = " + itoa(cash.ID),
		"UPDATE transactions SET total_amount = 0 WHERE transaction_id = " + itoa(cash.ID),
		"UPDATE inventory SET price = 0.01",
		"UPDATE store_inventory SET price = 0.01",
		"UPDATE stores SET cash_rounding = 0",
		"INSERT INTO cashier_stores (cashier_id, store_id) VALUES (1, 's1')",
		"UPDATE tills SET store_id = 'x'",
		"UPDATE audit_log SET detail = ''",
		"DROP TABLE transactions",
		"ALTER TABLE inventory ADD COLUMN x INT",
		"CREATE TABLE x (id INT)",
		"GRANT SELECT ON " + d.Name + ".inventory TO '" + user + "'@'%'",
		"CREATE USER 'intruder'@'%'",
		"SELECT * FROM goose_db_version",
		"SELECT pin_hash FROM cashiers", // PINs are checked inside the database (sign_in)
		"SELECT failed_attempts, locked_until FROM cashiers",
		"UPDATE cashiers SET failed_attempts = 0, locked_until = NULL",
		"SELECT * FROM signin_policy",
	}
	till, err := sql.Open("mysql", tillDSN) // the same user, every statement sent as typed
	if err != nil {
		t.Fatal(err)
	}
	defer till.Close()
	for _, stmt := range forbidden {
		if _, err := till.ExecContext(ctx, stmt); err == nil {
			t.Errorf("the till user could run %q", stmt)
		}
	}
	var status string
	if err := d.Admin.QueryRow(`SELECT payment_status FROM transactions WHERE transaction_id = ?`, cash.ID).Scan(&status); err != nil || status != "completed" {
		t.Errorf("the completed sale is now %q (%v)", status, err)
	}
	bad, err := store.CheckInvariants(ctx, d.Admin, nil)
	if err != nil || len(bad) > 0 {
		t.Errorf("invariants: %v %v", bad, err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestReconcileReleasesUnpaidSales(t *testing.T) {
	d := storetest.NewDatabase(t)
	env := map[string]string{"POS_ADMIN_DSN": d.DSN, "POS_DSN": d.DSN, "POS_TILL_ID": "t9"}
	if _, errs, code := runTill(t, env, "seed"); code != 0 {
		t.Fatalf("seed: %s", errs)
	}
	ctx := context.Background()
	db := d.Open(t)
	items, err := db.Items(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	co := &pos.Checkout{Sales: db, Settings: pos.Settings{StoreID: "store-1", TillID: "t9", Currency: pos.EUR()}}
	var item pos.Item
	for _, it := range items[20:] {
		if it.Active && !it.Weighed && it.Code[0] != '2' {
			item = it
			break
		}
	}
	line, err := pos.NewLine(item, pos.Scan{Quantity: 1})
	if err != nil {
		t.Fatal(err)
	}
	b := &pos.Basket{Key: pos.NewKey(), Lines: []pos.Line{line}}
	sale, err := co.Draft(b, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := co.Reserve(ctx, sale); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runTill(t, env, "reconcile", "--older-than", "0s")
	if code != 0 || !strings.Contains(out, "released 1") {
		t.Fatalf("reconcile: exit %d, %q %q; want released 1", code, out, errs)
	}
	got, err := db.Sale(ctx, sale.Key)
	if err != nil || got.Status != pos.SaleFailed {
		t.Errorf("sale after reconcile: got %s %v, want failed", got.Status, err)
	}
}

// A return left pending (the till stopped after recording it, before the
// cash went out) moved no money: `till reconcile` fails it, and says so.
func TestReconcileCompletesPendingReturns(t *testing.T) {
	d := storetest.NewDatabase(t)
	env := map[string]string{"POS_ADMIN_DSN": d.DSN, "POS_DSN": d.DSN, "POS_TILL_ID": "t9"}
	if _, errs, code := runTill(t, env, "seed"); code != 0 {
		t.Fatalf("seed: %s", errs)
	}
	ctx := context.Background()
	db := d.Open(t)
	items, err := db.Items(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	set := pos.Settings{StoreID: "store-1", TillID: "t9", Currency: pos.EUR(), TaxMode: pos.TaxInclusive}
	co := &pos.Checkout{Sales: db, Settings: set}
	var item pos.Item
	for _, it := range items[20:] {
		if it.Active && !it.Weighed && it.Code[0] != '2' {
			item = it
			break
		}
	}
	line, err := pos.NewLine(item, pos.Scan{Quantity: 2})
	if err != nil {
		t.Fatal(err)
	}
	sale, err := co.Draft(&pos.Basket{Key: pos.NewKey(), Lines: []pos.Line{line}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if sale, err = co.SellCash(ctx, sale, sale.Totals.Total); err != nil {
		t.Fatal(err)
	}
	rets := newReturns(db, nil, set, nil)
	ret, err := rets.Begin(ctx, rets.Request(pos.NewKey(), sale.Key, 1,
		[]pos.ReturnLine{{SaleLine: 1, Quantity: 1, Reason: pos.ReasonChangedMind, Restock: true}}))
	if err != nil {
		t.Fatal(err)
	}
	out, errs, code := runTill(t, env, "reconcile", "--older-than", "0s")
	if code != 0 || !strings.Contains(out, "returns: completed 0, cash owed 0, failed 1, unresolved 0") {
		t.Fatalf("reconcile: exit %d, %q %q; want the return failed", code, out, errs)
	}
	got, err := db.Return(ctx, ret.Key)
	if err != nil || got.Status != pos.ReturnFailed {
		t.Errorf("return after reconcile: got %s, %v; want failed", got.Status, err)
	}
	if src, err := db.Returnable(ctx, sale.Key); err != nil || src.Left(0) != 2 {
		t.Errorf("after reconcile: %d left to return (%v), want 2 (the failed return gave its part back)", src.Left(0), err)
	}
}
