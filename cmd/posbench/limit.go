package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
)

// The limit flow is the server's commit rate: BEGIN; UPDATE one row;
// COMMIT, each till on a row of its own so no two ever wait for each
// other. No sale can commit faster than this on the same server.

const limitTable = "posbench_limit"

func createLimitTable(ctx context.Context, admin *sql.DB, tills int) error {
	if _, err := admin.ExecContext(ctx, `CREATE TABLE `+limitTable+` (
		till_no INT NOT NULL PRIMARY KEY,
		commits BIGINT NOT NULL DEFAULT 0
	) ENGINE=InnoDB`); err != nil {
		return fmt.Errorf("create the limit table: %w", err)
	}
	args := make([]any, tills)
	for i := range tills {
		args[i] = i + 1
	}
	if _, err := admin.ExecContext(ctx, `INSERT INTO `+limitTable+` (till_no) VALUES `+repeatJoin("(?)", tills), args...); err != nil {
		return fmt.Errorf("fill the limit table: %w", err)
	}
	return nil
}

func limitTills(ctx context.Context, pool *sql.DB, cfg config) (flowTills, func(), error) {
	return dedicatedTills(ctx, pool, cfg.Tills, func(i int, conn *sql.Conn) tillFunc {
		return func(ctx context.Context, _ *rand.Rand) served {
			tx, err := conn.BeginTx(ctx, nil)
			if err != nil {
				return served{err: err}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE `+limitTable+` SET commits = commits + 1 WHERE till_no = ?`, i+1); err != nil {
				tx.Rollback()
				return served{err: err}
			}
			if err := tx.Commit(); err != nil {
				return served{err: err}
			}
			return served{sold: true}
		}
	})
}

// checkLimit compares the commits the table holds with those the tills
// saw succeed; a commit cut at the hard stop may have landed or not.
func checkLimit(ctx context.Context, admin *sql.DB, seen, cut int64) ([]string, error) {
	var stored int64
	if err := admin.QueryRowContext(ctx, `SELECT COALESCE(SUM(commits), 0) FROM `+limitTable).Scan(&stored); err != nil {
		return nil, err
	}
	if stored < seen || stored > seen+cut {
		return []string{fmt.Sprintf("limit table holds %d commits; the tills saw %d (and %d cut)", stored, seen, cut)}, nil
	}
	return nil, nil
}
