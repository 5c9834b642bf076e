package store_test

import (
	"strings"
	"testing"

	"github.com/till-pos/till/migrations"
)

// TestReportOutboxMigrationIsMySQL80: every statement of migration 00011
// (up and down) parses with the MySQL 8.0 grammar as well as running on
// MariaDB (every store test migrates with it).
func TestReportOutboxMigrationIsMySQL80(t *testing.T) {
	b, err := migrations.FS.ReadFile("00011_report_outbox.sql")
	if err != nil {
		t.Fatal(err)
	}
	var sql []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			sql = append(sql, l)
		}
	}
	p := mysql80(t)
	var n int
	for _, stmt := range strings.Split(strings.Join(sql, "\n"), ";") {
		if stmt = strings.TrimSpace(stmt); stmt == "" {
			continue
		}
		n++
		if bad := refusedByMySQL80(p, stmt); len(bad) > 0 {
			t.Errorf("MySQL 8.0 refuses %s", strings.Join(bad, "; "))
		}
	}
	if n != 8 {
		t.Errorf("%d statements, want the 3 up and 5 down", n)
	}
}
