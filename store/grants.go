package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// grant is what the till's database user may do on one table. The user
// can do exactly what the till does: read the catalog and customers, take
// and give back stock, record sales, payments and receipts, append to the
// audit log. No DDL, no DELETE anywhere, no GRANT; a finished sale or
// payment cannot be updated (the migrations' triggers refuse it, since
// column grants cannot depend on a row's state). It cannot read PIN hashes
// or the lockout columns: it signs cashiers in only through the procedures
// of TillProcedures.
type grant struct {
	Table      string
	Privileges []string // e.g. "SELECT", "INSERT", "UPDATE (stock_quantity)"
}

// tillGrants lists the application user's privileges, table by table.
func tillGrants() []grant {
	return []grant{
		// The catalogue is chain-wide and read-only to a till; stock is
		// per store (migration 00004).
		{"inventory", []string{"SELECT"}},
		{"stores", []string{"SELECT"}},
		{"store_inventory", []string{"SELECT", "UPDATE (stock_quantity)"}},
		// A till registers itself and holds its id with a lease.
		{"tills", []string{"SELECT", "INSERT", "UPDATE (last_seen, version, lease_key, lease_until, lease_host, lease_pid)"}},
		{"customers", []string{"SELECT", "UPDATE (loyalty_points)"}},
		{"customer_name_words", []string{"SELECT"}},
		// Receipts name the cashier; pin_hash and the lockout stay hidden.
		{"cashiers", []string{"SELECT (cashier_id, number, name, manager)"}},
		{"transactions", []string{"SELECT", "INSERT", "UPDATE (payment_status, cash_rounding, points_earned, completed_at, updated_at)"}},
		{"transaction_items", []string{"SELECT", "INSERT"}},
		{"payments", []string{"SELECT", "INSERT", "UPDATE (status, provider, provider_ref, card_brand, card_last4, auth_code, message, updated_at)"}},
		// Returns (migration 00006): a return's row changes only while
		// pending (returns_final), a refund's only until settled.
		{"returns", []string{"SELECT", "INSERT", "UPDATE (status, cash_rounding, cash_instead, approved_by, points_reversed, points_unreversed, completed_at, updated_at)"}},
		{"return_items", []string{"SELECT", "INSERT"}},
		// The limits' counters: their CHECKs refuse passing what was sold or paid.
		{"sale_line_returns", []string{"SELECT", "INSERT", "UPDATE (returned)"}},
		{"payment_refunds", []string{"SELECT", "INSERT", "UPDATE (refunded)"}},
		{"sale_refunds", []string{"SELECT", "INSERT", "UPDATE (refunded)"}},
		{"refunds", []string{"SELECT", "INSERT", "UPDATE (status, amount, provider, provider_ref, card_brand, card_last4, message, updated_at)"}},
		// The cash office (migration 00008): a till opens and closes its
		// own sessions; movements, counts and Z rows are written once
		// (triggers refuse changes to a closed session, a movement, a Z).
		{"till_drawers", []string{"SELECT", "INSERT", "UPDATE (open_session_id, updated_at)"}},
		{"till_sessions", []string{"SELECT", "INSERT", "UPDATE (status, closed_by, closed_at)"}},
		{"cash_movements", []string{"SELECT", "INSERT"}},
		{"cash_counts", []string{"SELECT", "INSERT"}},
		{"z_reports", []string{"SELECT", "INSERT"}},
		// Sales made offline and forwarded (migration 00013): written once.
		{"offline_sales", []string{"SELECT", "INSERT"}},
		{"stock_shortages", []string{"SELECT", "INSERT"}},
		{"receipt_outbox", []string{"SELECT", "INSERT", "UPDATE (status, attempts, next_attempt_at, last_error, object_key, uploaded_at)"}},
		{"event_outbox", []string{"SELECT", "INSERT", "UPDATE (status, attempts, next_attempt_at, lease_token, last_error, sent_at)"}},
		{"audit_log", []string{"INSERT"}},
		// Parked baskets (migration 00009): parked, listed, resumed once
		// (parked_final refuses any change after that).
		{"parked_baskets", []string{"SELECT", "INSERT", "UPDATE (status, resumed_till, resumed_by, resumed_key, resumed_at)"}},
	}
}

// TillProcedures lists the stored procedures the till's user may EXECUTE.
// They run with their definer's rights (migrations/00002_signin.sql): the
// PIN check, the lockout and its audit happen inside the database.
func TillProcedures() []string {
	return []string{"pin_params", "sign_in",
		"unlock_cashier",   // a manager unlocks a locked cashier (migrations/00010_unlock.sql)
		"offline_cashiers", // the opted-in cashiers' hashes for the offline snapshot (migrations/00012_offline_cashiers.sql)
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
// exactly tillGrants and TillProcedures. They are safe to run again, and
// they add privileges only: ApplyGrants also revokes what an older version
// granted beyond them.
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
	for _, p := range TillProcedures() {
		stmts = append(stmts, fmt.Sprintf("GRANT EXECUTE ON PROCEDURE `%s`.`%s` TO %s", o.Database, p, account))
	}
	return stmts, nil
}

// ApplyGrants runs GrantSQL as the administrative user, after revoking any
// table or column privilege the user holds on the database beyond
// tillGrants (such as SELECT on all of cashiers, which a till user granted
// before migration 00002 had).
func ApplyGrants(ctx context.Context, admin *sql.DB, o GrantOptions) error {
	if !o.IAM && o.Password == "" {
		return fmt.Errorf("a password is needed for a password user (or use IAM)")
	}
	stmts, err := GrantSQL(o)
	if err != nil {
		return err
	}
	stale, err := staleGrants(ctx, admin, o)
	if err != nil {
		return err
	}
	// The revokes go after CREATE USER and before the grants: revoking a
	// table-level privilege also drops that privilege's column grants.
	first := slices.IndexFunc(stmts, func(s string) bool { return strings.HasPrefix(s, "GRANT ") })
	stmts = slices.Insert(stmts, first, stale...)
	for _, s := range stmts {
		_, err := admin.ExecContext(ctx, s)
		if strings.HasPrefix(s, "REVOKE ") && mysqlCode(err) == errNoSuchTableGrant {
			// Already gone with a table-level revoke before it.
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", strings.SplitN(s, " IDENTIFIED", 2)[0], err)
		}
	}
	return nil
}

// staleGrants returns the REVOKE statements for the table and column
// privileges the account holds on the database beyond tillGrants.
func staleGrants(ctx context.Context, admin *sql.DB, o GrantOptions) ([]string, error) {
	host := o.Host
	if host == "" {
		host = "%"
	}
	grantee := fmt.Sprintf("'%s'@'%s'", o.User, host)
	type priv struct{ table, column, name string }
	want := map[priv]bool{}
	for _, g := range tillGrants() {
		for _, p := range g.Privileges {
			name, cols, found := strings.Cut(p, "(")
			name = strings.ToUpper(strings.TrimSpace(name))
			if !found {
				want[priv{g.Table, "", name}] = true
				continue
			}
			for _, c := range strings.Split(strings.TrimSuffix(strings.TrimSpace(cols), ")"), ",") {
				want[priv{g.Table, strings.TrimSpace(c), name}] = true
			}
		}
	}
	var held []priv
	for _, q := range []string{
		`SELECT TABLE_NAME, '', PRIVILEGE_TYPE FROM information_schema.TABLE_PRIVILEGES
			WHERE GRANTEE = ? AND TABLE_SCHEMA = ? ORDER BY 1, 3`,
		`SELECT TABLE_NAME, COLUMN_NAME, PRIVILEGE_TYPE FROM information_schema.COLUMN_PRIVILEGES
			WHERE GRANTEE = ? AND TABLE_SCHEMA = ? ORDER BY 1, 3, 2`,
	} {
		rows, err := admin.QueryContext(ctx, q, grantee, o.Database)
		if err != nil {
			return nil, fmt.Errorf("read the till user's privileges: %w", err)
		}
		for rows.Next() {
			var p priv
			if err := rows.Scan(&p.table, &p.column, &p.name); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read the till user's privileges: %w", err)
			}
			// Names are checked before they go into SQL text.
			safe := identifier(p.table) && (p.column == "" || identifier(p.column)) &&
				identifier(strings.ReplaceAll(p.name, " ", "_"))
			if !want[p] && safe {
				held = append(held, p)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read the till user's privileges: %w", err)
		}
	}
	var stmts []string
	for _, p := range held {
		what := p.name
		if p.column != "" {
			what += " (`" + p.column + "`)"
		}
		stmts = append(stmts, fmt.Sprintf("REVOKE %s ON `%s`.`%s` FROM %s", what, o.Database, p.table, grantee))
	}
	return stmts, nil
}

// errNoSuchTableGrant: REVOKE of a table or column privilege not held.
const errNoSuchTableGrant = 1147

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
