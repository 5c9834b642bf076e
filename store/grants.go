package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
)

// grant is what the till's database user may do on one table. The user
// can do exactly what the till does: read the catalog and customers, take
// and give back stock, record sales, payments and receipts, append to the
// audit log. No DDL, no DELETE anywhere, no GRANT; a finished sale or
// payment cannot be updated (the migrations' triggers refuse it, since
// column grants cannot depend on a row's state).
type grant struct {
	Table      string
	Privileges []string // e.g. "SELECT", "INSERT", "UPDATE (stock_quantity)"
}

// tillGrants lists the application user's privileges, table by table.
func tillGrants() []grant {
	return []grant{
		{"inventory", []string{"SELECT", "UPDATE (stock_quantity)"}},
		{"customers", []string{"SELECT", "UPDATE (loyalty_points)"}},
		{"customer_name_words", []string{"SELECT"}},
		{"cashiers", []string{"SELECT", "UPDATE (failed_attempts, locked_until)"}},
		{"transactions", []string{"SELECT", "INSERT", "UPDATE (payment_status, cash_rounding, points_earned, completed_at, updated_at)"}},
		{"transaction_items", []string{"SELECT", "INSERT"}},
		{"payments", []string{"SELECT", "INSERT", "UPDATE (status, provider, provider_ref, card_brand, card_last4, auth_code, message, updated_at)"}},
		{"receipt_outbox", []string{"SELECT", "INSERT", "UPDATE (status, attempts, next_attempt_at, last_error, object_key, uploaded_at)"}},
		{"audit_log", []string{"INSERT"}},
	}
}

// GrantOptions says whom to grant to.
type GrantOptions struct {
	Database string
	User     string
	Host     string // default "%"
	// Password for a password user; ignored with IAM.
	Password string
	// IAM makes the user sign in with an IAM token (Aurora's
	// AWSAuthenticationPlugin) over TLS only.
	IAM bool
}

// GrantSQL returns the statements that create the till's user and grant it
// exactly tillGrants. They are safe to run again.
func GrantSQL(o GrantOptions) ([]string, error) {
	if !identifier(o.Database) || !identifier(o.User) {
		return nil, fmt.Errorf("database and user names must be letters, digits and _")
	}
	host := o.Host
	if host == "" {
		host = "%"
	}
	if strings.ContainsAny(host, `'\`) {
		return nil, fmt.Errorf("bad host %q", host)
	}
	account := fmt.Sprintf("'%s'@'%s'", o.User, host)
	var stmts []string
	if o.IAM {
		stmts = append(stmts,
			"CREATE USER IF NOT EXISTS "+account+" IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'",
			"ALTER USER "+account+" REQUIRE SSL")
	} else {
		pw := o.Password
		if pw == "" {
			pw = "<password>"
		}
		quoted := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pw)
		stmts = append(stmts, "CREATE USER IF NOT EXISTS "+account+" IDENTIFIED BY '"+quoted+"'")
	}
	for _, g := range tillGrants() {
		stmts = append(stmts, fmt.Sprintf("GRANT %s ON `%s`.`%s` TO %s",
			strings.Join(g.Privileges, ", "), o.Database, g.Table, account))
	}
	return stmts, nil
}

// ApplyGrants runs GrantSQL as the administrative user.
func ApplyGrants(ctx context.Context, admin *sql.DB, o GrantOptions) error {
	if !o.IAM && o.Password == "" {
		return fmt.Errorf("a password is needed for a password user (or use IAM)")
	}
	stmts, err := GrantSQL(o)
	if err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := admin.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", strings.SplitN(s, " IDENTIFIED", 2)[0], err)
		}
	}
	return nil
}

// IAMPolicy is the IAM policy that lets a principal sign in as the till's
// database user, and only as that user.
func IAMPolicy(region, account, clusterResourceID, user string) string {
	policy := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect":   "Allow",
			"Action":   "rds-db:connect",
			"Resource": fmt.Sprintf("arn:aws:rds-db:%s:%s:dbuser:%s/%s", region, account, clusterResourceID, user),
		}},
	}
	b, _ := json.MarshalIndent(policy, "", "  ")
	return string(b)
}

func identifier(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
