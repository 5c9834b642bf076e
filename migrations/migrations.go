// Package migrations holds the numbered SQL files of the till's schema,
// embedded so the binary can apply them with goose (till migrate).
//
// Every file must be accepted by both MariaDB 10.11 (tests, training) and
// MySQL 8.0 (Aurora MySQL 3): no utf8mb4_0900_* collations, no
// engine-specific syntax.
package migrations

import "embed"

// FS is the migration files.
//
//go:embed *.sql
var FS embed.FS
