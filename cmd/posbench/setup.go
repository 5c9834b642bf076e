package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
)

// benchDB is the database posbench made for one run.
type benchDB struct {
	name    string
	dsn     string  // reaches the bench database as the administrative user
	server  *sql.DB // the server, no database selected: create and drop
	admin   *sql.DB // the bench database: seed, checks, KILL
	version string
	// lockWait is the server's innodb_lock_wait_timeout: the seed flow's
	// longest wait for a row lock before the server answers 1205.
	lockWait time.Duration

	cashier   int64
	customers []int64
	// items holds each selling flow's own range of items, hot ones first,
	// so one flow's sales never touch another's stock.
	items   map[string][]pos.Item
	initial store.Stock
}

// createDB makes, migrates and seeds a fresh database.
func createDB(ctx context.Context, cfg config) (*benchDB, error) {
	mc, err := mysql.ParseDSN(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("-dsn: %w", err)
	}
	if mc.DBName != "" {
		return nil, fmt.Errorf("-dsn names database %q: give the server only, posbench makes its own database", mc.DBName)
	}
	server, err := sql.Open("mysql", cfg.DSN)
	if err != nil {
		return nil, err
	}
	server.SetMaxOpenConns(2)
	b := &benchDB{name: "posbench_" + randomHex(6), server: server}
	if err := server.PingContext(ctx); err != nil {
		server.Close()
		return nil, fmt.Errorf("connect to %s: %w", mc.Addr, err)
	}
	if err := server.QueryRowContext(ctx, `SELECT VERSION(), @@innodb_lock_wait_timeout`).Scan(&b.version, &b.lockWait); err != nil {
		server.Close()
		return nil, fmt.Errorf("read the server's settings: %w", err)
	}
	b.lockWait *= time.Second
	if _, err := server.ExecContext(ctx, "CREATE DATABASE "+b.name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		server.Close()
		return nil, fmt.Errorf("create database %s: %w", b.name, err)
	}
	mc.DBName = b.name
	b.dsn = mc.FormatDSN()
	if b.admin, err = store.OpenAdmin(ctx, b.dsn); err != nil {
		return b, err
	}
	b.admin.SetMaxOpenConns(4)
	if _, err := store.Migrate(ctx, b.admin); err != nil {
		return b, err
	}
	return b, b.seed(ctx, cfg)
}

// close drops the database unless it is to be kept.
func (b *benchDB) close(keep bool) error {
	if b.admin != nil {
		b.admin.Close()
	}
	defer b.server.Close()
	if keep {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := b.server.ExecContext(ctx, "DROP DATABASE IF EXISTS "+b.name); err != nil {
		return fmt.Errorf("drop database %s: %w", b.name, err)
	}
	return nil
}

// seed loads a cashier, the customers and each selling flow's items with
// admin SQL, and snapshots the stock for the invariant checks.
func (b *benchDB) seed(ctx context.Context, cfg config) error {
	hash, err := pos.HashPIN("0000")
	if err != nil {
		return err
	}
	res, err := b.admin.ExecContext(ctx, `INSERT INTO cashiers (number, name, pin_hash) VALUES ('900', 'Bench', ?)`, hash)
	if err != nil {
		return fmt.Errorf("seed the cashier: %w", err)
	}
	if b.cashier, err = res.LastInsertId(); err != nil {
		return err
	}
	const batch = 500
	for start := 0; start < cfg.Customers; start += batch {
		n := min(batch, cfg.Customers-start)
		args := make([]any, 0, 2*n)
		for i := start; i < start+n; i++ {
			args = append(args, fmt.Sprintf("Customer %d", i+1), fmt.Sprintf("customer%d@example.com", i+1))
		}
		if _, err := b.admin.ExecContext(ctx, `INSERT INTO customers (name, email) VALUES `+
			repeatJoin("(?, ?)", n), args...); err != nil {
			return fmt.Errorf("seed customers: %w", err)
		}
	}
	if err := queryColumn(ctx, b.admin, &b.customers, `SELECT customer_id FROM customers ORDER BY customer_id`); err != nil {
		return fmt.Errorf("read customers: %w", err)
	}
	for n := range max(cfg.Stores, 1) {
		if err := store.AddStore(ctx, b.admin, store.StoreInfo{ID: benchStore(n), Name: "Bench " + benchStore(n)}); err != nil {
			return err
		}
	}
	b.items = map[string][]pos.Item{}
	for _, flow := range cfg.Flows {
		if flow == flowLimit {
			continue
		}
		items, err := b.seedItems(ctx, flow, cfg)
		if err != nil {
			return err
		}
		b.items[flow] = items
	}
	b.initial, err = store.StockSnapshot(ctx, b.admin)
	return err
}

// seedItems inserts one flow's items. Prices run from 0.50 to 25.49 and
// tax rates alternate between 7% and 19%, so totals and tax split vary.
func (b *benchDB) seedItems(ctx context.Context, flow string, cfg config) ([]pos.Item, error) {
	prefix := strings.ToUpper(flow[:1])
	items := make([]pos.Item, 0, cfg.Items)
	for i := range cfg.Items {
		items = append(items, pos.Item{Code: fmt.Sprintf("%s%06d", prefix, i+1),
			Name:  fmt.Sprintf("%s item %d", flow, i+1),
			Price: pos.Money(50 + (i*137)%2500), TaxRate: []int{700, 1900}[i%2], Active: true})
	}
	now := time.Now().UTC()
	const batch = 500
	for start := 0; start < len(items); start += batch {
		part := items[start:min(start+batch, len(items))]
		args := make([]any, 0, 5*len(part))
		for _, it := range part {
			args = append(args, it.Code, it.Name, decimal(it.Price), it.TaxRate, now)
		}
		if _, err := b.admin.ExecContext(ctx, `INSERT INTO inventory
			(code, item_name, price, tax_rate_bp, weighed, active, updated_at)
			VALUES `+repeatJoin("(?, ?, ?, ?, FALSE, TRUE, ?)", len(part)), args...); err != nil {
			return nil, fmt.Errorf("seed %s items: %w", flow, err)
		}
	}
	// Every store stocks every item: a row of its own per (store, item).
	if _, err := b.admin.ExecContext(ctx, `INSERT INTO store_inventory (store_id, item_id, stock_quantity, updated_at)
		SELECT s.store_id, i.item_id, ?, ? FROM stores s CROSS JOIN inventory i
		WHERE s.store_id LIKE 'bench-%' AND i.code LIKE ?`, cfg.Stock, now, prefix+"%"); err != nil {
		return nil, fmt.Errorf("stock %s items: %w", flow, err)
	}
	byCode := map[string]pos.ItemID{}
	rows, err := b.admin.QueryContext(ctx, `SELECT item_id, code FROM inventory WHERE code LIKE ?`, prefix+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id pos.ItemID
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return nil, err
		}
		byCode[code] = id
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range items {
		items[i].ID = byCode[items[i].Code]
		if items[i].ID == 0 {
			return nil, fmt.Errorf("seed %s items: %s was not stored", flow, items[i].Code)
		}
	}
	return items, nil
}

// waitIdle waits until no connection to the bench database is inside a
// transaction: sales cut at the hard stop are rolled back by the server,
// and the invariants are checked only after that.
func (b *benchDB) waitIdle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.lockWait+30*time.Second)
	defer cancel()
	for {
		open, err := store.OpenTransactions(ctx, b.admin, b.name, false)
		if err != nil {
			return fmt.Errorf("wait for open transactions to end: %w", err)
		}
		if open == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d transactions still open on %s: %w", open, b.name, ctx.Err())
		case <-time.After(250 * time.Millisecond): // see store.OpenTransactions
		}
	}
}

// kill ends server connections by id, aborting whatever they wait for.
func (b *benchDB) kill(ctx context.Context, ids []int64) error {
	var first error
	for _, id := range ids {
		_, err := b.admin.ExecContext(ctx, fmt.Sprintf("KILL CONNECTION %d", id))
		// 1094: unknown thread, it ended by itself meanwhile.
		if err != nil && store.ErrorNumber(err) != 1094 && first == nil {
			first = fmt.Errorf("kill connection %d: %w", id, err)
		}
	}
	return first
}

func queryColumn[T any](ctx context.Context, q *sql.DB, out *[]T, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return err
		}
		*out = append(*out, v)
	}
	return rows.Err()
}

// decimal writes minor units as the DECIMAL(12,2) the schema keeps.
func decimal(m pos.Money) string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d.%02d", sign, m/100, m%100)
}

func repeatJoin(s string, n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(s+", ", n-1) + s
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
