package store

import "database/sql"

// Test doors into the store for the store_test package. Tests outside
// store fix the clock with Config.Now (storetest.Database.OpenWithClock).

// Writer is the writer pool.
func (db *DB) Writer() *sql.DB { return db.writer }

// IAMToken is iamToken.
var IAMToken = iamToken
