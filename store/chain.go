package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/till-pos/till/pos"
)

// A chain, not a shop (migrations/00004_chain.sql): stores and tills are
// rows in the database.

// StoreInfo is a store's row: what every till of the store must agree on.
type StoreInfo struct {
	ID       string
	Name     string
	Address  string
	TaxID    string
	Currency string // ISO code
	TimeZone string // IANA name; "" is the till's own local time
	TaxMode  string // "inclusive" or "exclusive"
	// CashRounding is the cash rounding step in minor units (0: none).
	CashRounding int64
	// ScanProfile is a pos.ScanProfile name; "" follows the currency.
	ScanProfile string
}

const storeColumns = `SELECT store_id, name, address, tax_id, currency, time_zone, tax_mode,
	cash_rounding, scan_profile FROM stores`

func scanStore(r interface{ Scan(...any) error }) (StoreInfo, error) {
	var s StoreInfo
	err := r.Scan(&s.ID, &s.Name, &s.Address, &s.TaxID, &s.Currency, &s.TimeZone, &s.TaxMode,
		&s.CashRounding, &s.ScanProfile)
	return s, err
}

// Store reads a store's settings (a till reads its own at start).
func (db *DB) Store(ctx context.Context, id string) (StoreInfo, error) {
	ctx, cancel := db.call(ctx)
	defer cancel()
	var s StoreInfo
	err := db.read(ctx, func(q *sql.DB) error {
		var err error
		s, err = scanStore(q.QueryRowContext(ctx, storeColumns+` WHERE store_id = ?`, id))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return s, pos.Errorf(pos.ENotFound, "store %q is not in the database (till stores lists the stores)", id)
	}
	return s, mapError(err, "read the store's settings")
}

// AddStore inserts a store unless one with its id is there; a store the
// migration created with nothing but its id (name = id, no address) takes
// the given details. An administrative call (seed, tests).
func AddStore(ctx context.Context, admin *sql.DB, s StoreInfo) error {
	if s.Currency == "" {
		s.Currency = "EUR"
	}
	if s.TaxMode == "" {
		s.TaxMode = "inclusive"
	}
	if s.Name == "" {
		s.Name = s.ID
	}
	if _, err := admin.ExecContext(ctx, `INSERT INTO stores (store_id, name, address, tax_id, currency,
			time_zone, tax_mode, cash_rounding, scan_profile, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
		ON DUPLICATE KEY UPDATE store_id = store_id`,
		s.ID, s.Name, s.Address, s.TaxID, s.Currency, s.TimeZone, s.TaxMode, s.CashRounding, s.ScanProfile); err != nil {
		return fmt.Errorf("add store %s: %w", s.ID, err)
	}
	_, err := admin.ExecContext(ctx, `UPDATE stores SET name = ?, address = ?, tax_id = ?, currency = ?,
			time_zone = ?, tax_mode = ?, cash_rounding = ?, scan_profile = ?, updated_at = UTC_TIMESTAMP(6)
		WHERE store_id = ? AND name = store_id AND address = '' AND tax_id = ''`,
		s.Name, s.Address, s.TaxID, s.Currency, s.TimeZone, s.TaxMode, s.CashRounding, s.ScanProfile, s.ID)
	if err != nil {
		return fmt.Errorf("add store %s: %w", s.ID, err)
	}
	return nil
}

// TillInfo is a till's row.
type TillInfo struct {
	Store, Till string
	LastSeen    time.Time // zero: never seen
	Version     string
	// Live: a running till holds the id (its lease has not expired), on
	// Host as process PID.
	Live bool
	Host string
	PID  int
}

// StoreTills is a store with its tills.
type StoreTills struct {
	StoreInfo
	Tills []TillInfo
}

// ListStores lists every store and its tills, by id (`till stores`).
func ListStores(ctx context.Context, q *sql.DB) ([]StoreTills, error) {
	rows, err := q.QueryContext(ctx, storeColumns+` ORDER BY store_id`)
	if err != nil {
		return nil, fmt.Errorf("list stores: %w", err)
	}
	var out []StoreTills
	index := map[string]int{}
	for rows.Next() {
		s, err := scanStore(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list stores: %w", err)
		}
		index[s.ID] = len(out)
		out = append(out, StoreTills{StoreInfo: s})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list stores: %w", err)
	}
	rows, err = q.QueryContext(ctx, `SELECT store_id, till_id, last_seen, version,
			COALESCE(lease_until > UTC_TIMESTAMP(6), FALSE), lease_host, lease_pid
		FROM tills ORDER BY store_id, till_id`)
	if err != nil {
		return nil, fmt.Errorf("list tills: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t TillInfo
		var seen sql.NullTime
		if err := rows.Scan(&t.Store, &t.Till, &seen, &t.Version, &t.Live, &t.Host, &t.PID); err != nil {
			return nil, fmt.Errorf("list tills: %w", err)
		}
		t.LastSeen = seen.Time
		if i, ok := index[t.Store]; ok {
			out[i].Tills = append(out[i].Tills, t)
		}
	}
	return out, rows.Err()
}

// Lease is what a running till holds on its (store, till) row, so that a
// second till started with the same ids is refused. It lasts TTL on the
// database's clock and is renewed well before it runs out; a till that
// crashed is free again once it has.
type Lease struct {
	Store, Till string
	// Key is the running till's own, a UUID made at start.
	Key     string
	Host    string
	PID     int
	Version string
	TTL     time.Duration
}

// AcquireTill registers the till and takes its lease. It refuses (with
// pos.EConflict and a message that says who holds it and until when) while
// another running till holds a lease on the same (store, till) that has
// not run out, unless gone (may be nil) says that holder's process has
// ended (a till restarted on the same machine after a crash need not wait
// for the lease). A store that is not in the database is refused too.
func (db *DB) AcquireTill(ctx context.Context, l Lease, gone func(host string, pid int) bool) error {
	if l.TTL <= 0 {
		return pos.Errorf(pos.EInvalid, "a till's lease needs a duration")
	}
	ttl := l.TTL.Microseconds()
	err := db.withTx(ctx, func(tx *txn) error {
		var key sql.NullString
		var until sql.NullTime
		var live bool
		var host string
		var pid int
		err := tx.QueryRowContext(ctx, `SELECT lease_key, lease_until,
				COALESCE(lease_until > UTC_TIMESTAMP(6), FALSE), lease_host, lease_pid
			FROM tills WHERE store_id = ? AND till_id = ? FOR UPDATE`, l.Store, l.Till).
			Scan(&key, &until, &live, &host, &pid)
		if errors.Is(err, sql.ErrNoRows) {
			var stores int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM stores WHERE store_id = ?`, l.Store).Scan(&stores); err != nil {
				return err
			}
			if stores == 0 {
				return pos.Errorf(pos.ENotFound, "store %q is not in the database: check POS_STORE_ID (till stores lists the stores)", l.Store)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO tills (store_id, till_id, registered_at, last_seen,
					version, lease_key, lease_until, lease_host, lease_pid)
				VALUES (?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?, ?,
					UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND, ?, ?)`,
				l.Store, l.Till, l.Version, l.Key, ttl, truncate(l.Host, 255), l.PID)
			if mysqlCode(err) == errDupEntry {
				return tillInUse(l, "", 0, time.Time{})
			}
			return err
		}
		if err != nil {
			return err
		}
		if live && key.String != l.Key && (gone == nil || !gone(host, pid)) {
			return tillInUse(l, host, pid, until.Time)
		}
		_, err = tx.ExecContext(ctx, `UPDATE tills SET last_seen = UTC_TIMESTAMP(6), version = ?,
				lease_key = ?, lease_until = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND, lease_host = ?, lease_pid = ?
			WHERE store_id = ? AND till_id = ?`,
			l.Version, l.Key, ttl, truncate(l.Host, 255), l.PID, l.Store, l.Till)
		return err
	})
	return mapError(err, "register the till")
}

func tillInUse(l Lease, host string, pid int, until time.Time) error {
	who := "another till"
	if host != "" {
		who = fmt.Sprintf("another till (on %s, process %d)", host, pid)
	}
	when := ""
	if !until.IsZero() {
		when = fmt.Sprintf(" If that till crashed, its hold runs out at %s UTC.", until.UTC().Format("15:04:05"))
	}
	return pos.Errorf(pos.EConflict, "till %s of store %s is already running: %s holds it. "+
		"Give this till its own POS_TILL_ID, or quit the other one.%s", l.Till, l.Store, who, when)
}

// RenewTill extends the till's lease and its last-seen time. It fails with
// pos.EConflict when another till has taken the id over (this till's
// lease had run out, e.g. while it was cut off from the database).
func (db *DB) RenewTill(ctx context.Context, l Lease) error {
	var n int64
	err := db.withTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE tills SET last_seen = UTC_TIMESTAMP(6),
				lease_until = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND
			WHERE store_id = ? AND till_id = ? AND lease_key = ?`, l.TTL.Microseconds(), l.Store, l.Till, l.Key)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return mapError(err, "renew the till's registration")
	}
	if n == 0 {
		return pos.Errorf(pos.EConflict, "till %s of store %s was taken over by another till while this one "+
			"was out of touch: quit this one", l.Till, l.Store)
	}
	return nil
}

// ReleaseTill gives the lease up (a till that quits), so the id is free at
// once.
func (db *DB) ReleaseTill(ctx context.Context, l Lease) error {
	err := db.withTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `UPDATE tills SET last_seen = UTC_TIMESTAMP(6), lease_key = NULL,
				lease_until = NULL
			WHERE store_id = ? AND till_id = ? AND lease_key = ?`, l.Store, l.Till, l.Key)
		return err
	})
	return mapError(err, "release the till's registration")
}
