package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pressly/goose/v3"
	"github.com/till-pos/till/migrations"
)

// Migrate applies every pending migration. It runs as the administrative
// user (POS_ADMIN_DSN), never as the till's own user, which has no DDL.
func Migrate(ctx context.Context, admin *sql.DB) ([]string, error) {
	p, err := goose.NewProvider(goose.DialectMySQL, admin, migrations.FS)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("apply migrations: %w", err)
	}
	applied := make([]string, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Path)
	}
	return applied, nil
}

// OpenAdmin opens a single-purpose pool for administrative work (migrate,
// seed, grants). Multi-statement is off; every statement is sent alone.
func OpenAdmin(ctx context.Context, dsn string) (*sql.DB, error) {
	pool, err := openPool(dsn, Config{})
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(2)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, mapError(err, "connect as the administrative user")
	}
	return pool, nil
}
