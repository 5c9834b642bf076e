package store

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"
	"github.com/till-pos/till/migrations"
)

// Test doors into the store for the store_test package. Tests outside
// store fix the clock with Config.Now (storetest.Database.OpenWithClock).

// Writer is the writer pool.
func (db *DB) Writer() *sql.DB { return db.writer }

// IAMToken is iamToken.
var IAMToken = iamToken

// AtVersion3 is a store that records stock as migration 00003's schema
// kept it (inventory.stock_quantity), to fill a database the way the
// previous version did before migrating it.
func (db *DB) AtVersion3() *DB {
	c := *db
	c.v3stock = true
	return &c
}

// MigrateDownTo rolls migrations back to version.
func MigrateDownTo(ctx context.Context, admin *sql.DB, version int64) error {
	p, err := goose.NewProvider(goose.DialectMySQL, admin, migrations.FS)
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}
