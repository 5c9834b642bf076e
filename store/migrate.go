package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"
	"github.com/till-pos/till/migrations"
	"github.com/till-pos/till/pos"
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

// MigrateTo applies the pending migrations up to and including version
// (tests build a database as an older version left it, then migrate on).
func MigrateTo(ctx context.Context, admin *sql.DB, version int64) error {
	p, err := goose.NewProvider(goose.DialectMySQL, admin, migrations.FS)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// OpenAdmin opens a single-purpose pool for administrative work (migrate,
// seed, grants). Multi-statement is off; every statement is sent alone.
func OpenAdmin(ctx context.Context, dsn string) (*sql.DB, error) {
	return OpenAdminTLS(ctx, dsn, "", false)
}

// OpenAdminTLS is OpenAdmin with the TLS settings of the till's own pools
// (the CA bundle, and the insecure flag for a trusted lab network), so an
// administrator reaches Aurora over verified TLS too.
func OpenAdminTLS(ctx context.Context, dsn, caFile string, insecure bool) (*sql.DB, error) {
	pool, err := openPool(dsn, Config{CAFile: caFile, Insecure: insecure})
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

// EnsureDatabase creates the database named in an administrative DSN if
// the server does not have it yet, so `till migrate` works on an empty
// server.
func EnsureDatabase(ctx context.Context, dsn, caFile string, insecure bool) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return pos.WrapError(pos.EInvalid, err, "the database address (DSN) is not valid")
	}
	name := cfg.DBName
	if !identifier(name) {
		return fmt.Errorf("name the database in POS_ADMIN_DSN (letters, digits and _), e.g. root@tcp(127.0.0.1:3306)/till")
	}
	cfg.DBName = ""
	server, err := OpenAdminTLS(ctx, cfg.FormatDSN(), caFile, insecure)
	if err != nil {
		return err
	}
	defer server.Close()
	_, err = server.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
	return mapError(err, "create the database")
}
