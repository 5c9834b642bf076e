// Package storetest gives tests a fresh, migrated database on a real
// MySQL-compatible server, and drops it when the test ends.
//
// The server is POS_TEST_DSN (a go-sql-driver DSN with no database name,
// default "root@tcp(127.0.0.1:3306)/"). When it does not answer, tests skip
// on a developer's machine and fail under CI=true: CI never skips them.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/till-pos/till/store"
)

// ServerDSN is the test server's DSN without a database.
func ServerDSN() string {
	if dsn := os.Getenv("POS_TEST_DSN"); dsn != "" {
		return dsn
	}
	return "root@tcp(127.0.0.1:3306)/"
}

// Missing ends a test that lacks a server or tool it needs: it fails under
// CI=true, where everything must be there and nothing may skip, and skips
// on a developer's machine.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf(format+" (CI=true: this test never skips)", args...)
	}
	tb.Skipf(format, args...)
}

// Database is one test's database.
type Database struct {
	Name string
	// DSN reaches the database as the server's administrative user.
	DSN string
	// Admin is a pool on DSN.
	Admin *sql.DB
}

// NewDatabase creates an empty database, migrates it and drops it at the end
// of the test. Its stores are store-1, the one the migration makes, and
// TestStores (s1, where most tests sell); AddItem stocks them all and
// AddCashier lets a cashier sign in at each.
func NewDatabase(tb testing.TB) *Database {
	tb.Helper()
	d := NewEmptyDatabase(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := store.Migrate(ctx, d.Admin); err != nil {
		tb.Fatalf("migrate %s: %v", d.Name, err)
	}
	for _, id := range TestStores() {
		d.AddStore(tb, store.StoreInfo{ID: id, Name: "Test store " + id})
	}
	return d
}

// NewEmptyDatabase creates a database with no tables.
func NewEmptyDatabase(tb testing.TB) *Database {
	tb.Helper()
	server := ServerDSN()
	cfg, err := mysql.ParseDSN(server)
	if err != nil {
		tb.Fatalf("POS_TEST_DSN: %v", err)
	}
	root, err := sql.Open("mysql", server)
	if err != nil {
		tb.Fatalf("open %s: %v", server, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := root.PingContext(ctx); err != nil {
		root.Close()
		Missing(tb, "no MySQL server at %s; set POS_TEST_DSN or run bash .ci/run: %v", server, err)
	}
	name := "till_test_" + randomHex(6)
	if _, err := root.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		root.Close()
		tb.Fatalf("create database: %v", err)
	}
	cfg.DBName = name
	d := &Database{Name: name, DSN: cfg.FormatDSN()}
	d.Admin, err = store.OpenAdmin(ctx, d.DSN)
	if err != nil {
		tb.Fatalf("open %s: %v", name, err)
	}
	tb.Cleanup(func() {
		d.Admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := root.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			tb.Errorf("drop %s: %v", name, err)
		}
		root.Close()
	})
	return d
}

// Open opens the till's store on the database as the administrative user.
func (d *Database) Open(tb testing.TB) *store.DB {
	tb.Helper()
	return d.OpenWithClock(tb, nil)
}

// OpenWithClock is Open with the store's clock set to now (nil: time.Now).
func (d *Database) OpenWithClock(tb testing.TB, now func() time.Time) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), store.Config{WriterDSN: d.DSN, MaxOpen: 80, Now: now})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
