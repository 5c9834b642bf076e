package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
)

// config is everything the till reads from its environment and flags.
type config struct {
	dsn        string
	readerDSN  string
	adminDSN   string
	storeID    string
	tillID     string
	currency   string
	taxMode    string
	cashRound  string
	pointsPer  string
	loyaltyPfx string
	scanProf   string // pos.ScanProfile name; "" follows the currency
	maxQty     string // the largest quantity the screen takes without asking
	cashOver   string // how much typed cash may exceed what is due; "" the largest note
	returnOver string // a return worth more needs a manager; "" no limit
	// How the till reaches Aurora in production (store.Config).
	dbCA        string
	dbIAMRegion string
	dbInsecure  bool
	// Discounts, price overrides and open prices (desk.go).
	desk deskConfig
	// Selling through a database outage (offline.go).
	offline offlineConfig
}

// bind registers the flags every command shares, with the environment as
// their defaults, so a flag always wins over the environment.
func (c *config) bind(fs *flag.FlagSet, getenv func(string) string) {
	c.bindDatabase(fs, getenv)
	c.bindSettings(fs, getenv)
}

// stringFlag registers a string flag whose default is an environment
// variable's value, or def; its usage names the variable.
func stringFlag(fs *flag.FlagSet, getenv func(string) string, p *string, name, env, def, usage string) {
	v := getenv(env)
	if v == "" {
		v = def
	}
	fs.StringVar(p, name, v, usage+" ($"+env+")")
}

// bindDatabase registers how the till reaches its database.
func (c *config) bindDatabase(fs *flag.FlagSet, getenv func(string) string) {
	str := func(p *string, name, env, def, usage string) { stringFlag(fs, getenv, p, name, env, def, usage) }
	str(&c.dsn, "dsn", "POS_DSN", "", "writer DSN of the till's database user")
	str(&c.readerDSN, "reader-dsn", "POS_READER_DSN", "", "reader DSN for catalog and lookups")
	str(&c.adminDSN, "admin-dsn", "POS_ADMIN_DSN", "", "DSN of the administrative user (migrate, seed, grants)")
	str(&c.dbCA, "db-ca", "POS_DB_CA", "", "PEM CA bundle (the RDS CA bundle): verified TLS to the database")
	str(&c.dbIAMRegion, "db-iam-region", "POS_DB_IAM_REGION", "", "AWS region: sign in to the database with IAM tokens (needs --db-ca)")
	insecure, _ := strconv.ParseBool(getenv("POS_DB_INSECURE"))
	fs.BoolVar(&c.dbInsecure, "db-insecure", insecure,
		"allow a database host that is not this machine without verified TLS, on a trusted lab network ($POS_DB_INSECURE)")
}

// bindSettings registers the store's and the till's settings.
func (c *config) bindSettings(fs *flag.FlagSet, getenv func(string) string) {
	str := func(p *string, name, env, def, usage string) { stringFlag(fs, getenv, p, name, env, def, usage) }
	str(&c.storeID, "store", "POS_STORE_ID", "store-1", "store id")
	str(&c.tillID, "till", "POS_TILL_ID", "till-1", "till id")
	str(&c.currency, "currency", "POS_CURRENCY", "EUR", "ISO currency code (two decimals)")
	str(&c.taxMode, "tax-mode", "POS_TAX_MODE", "inclusive", "prices include tax (inclusive) or not (exclusive)")
	str(&c.cashRound, "cash-rounding", "POS_CASH_ROUNDING", "0", "cash rounding step in minor units, e.g. 5 for 0.05")
	str(&c.pointsPer, "points-per", "POS_POINTS_PER", "100", "minor units of total per loyalty point")
	str(&c.loyaltyPfx, "loyalty-prefix", "POS_LOYALTY_PREFIX", "980", "digits that start a loyalty card")
	str(&c.scanProf, "scan-profile", "POS_SCAN_PROFILE", "", "scale label layouts: "+
		strings.Join(pos.ScanProfileNames(), ", ")+"; empty follows the currency (EUR DE, GBP UK, SEK SE, NOK NO, USD US)")
	str(&c.cashOver, "cash-over-limit", "POS_CASH_OVER_LIMIT", "", "most that typed cash may exceed what is due, e.g. 500; empty: the currency's largest banknote")
	str(&c.returnOver, "return-approval-over", "POS_RETURN_APPROVAL_OVER", "", "a return worth more than this needs a manager's approval, e.g. 100; empty: no limit")
	str(&c.maxQty, "max-quantity", "POS_MAX_QUANTITY", "50", "largest quantity of one line taken without asking the cashier to confirm")
	c.desk.bind(str)
	c.offline.bind(fs, getenv)
}

// settings turns the configuration into the sale core's settings.
func (c *config) settings(training bool) (pos.Settings, error) {
	cur := pos.CurrencyByCode(c.currency)
	if cur.Exponent != 2 {
		return pos.Settings{}, fmt.Errorf("currency %s: only currencies with two decimals are supported", c.currency)
	}
	var mode pos.TaxMode
	switch strings.ToLower(c.taxMode) {
	case "inclusive", "incl":
		mode = pos.TaxInclusive
	case "exclusive", "excl":
		mode = pos.TaxExclusive
	default:
		return pos.Settings{}, fmt.Errorf("tax mode %q: use inclusive or exclusive", c.taxMode)
	}
	round, err := strconv.ParseInt(c.cashRound, 10, 64)
	if err != nil || round < 0 || round > 100 {
		return pos.Settings{}, fmt.Errorf("cash rounding %q: a step of 0 to 100 minor units", c.cashRound)
	}
	points, err := strconv.ParseInt(c.pointsPer, 10, 64)
	if err != nil || points < 0 {
		return pos.Settings{}, fmt.Errorf("points per %q: a number of minor units", c.pointsPer)
	}
	var cashOver pos.Money
	if c.cashOver != "" {
		if cashOver, err = cur.Parse(c.cashOver); err != nil || cashOver <= 0 {
			return pos.Settings{}, fmt.Errorf("cash over limit %q: a positive amount, e.g. 500", c.cashOver)
		}
	}
	var returnOver pos.Money
	if c.returnOver != "" {
		if returnOver, err = cur.Parse(c.returnOver); err != nil || returnOver <= 0 {
			return pos.Settings{}, fmt.Errorf("return approval over %q: a positive amount, e.g. 100", c.returnOver)
		}
	}
	profile := cmp.Or(c.scanProf, pos.ScanProfileForCurrency(cur.Code))
	rules, err := pos.ScanProfile(profile)
	if err != nil {
		return pos.Settings{}, err
	}
	rules.LoyaltyPrefix = c.loyaltyPfx
	if err := rules.Validate(); err != nil {
		return pos.Settings{}, err
	}
	set := pos.Settings{StoreID: c.storeID, TillID: c.tillID, Currency: cur, TaxMode: mode,
		CashRounding: pos.Money(round), PointsPer: pos.Money(points), Training: training, Scan: rules,
		CashOverLimit: cashOver, ReturnApprovalOver: returnOver}
	if err := c.desk.apply(&set); err != nil {
		return pos.Settings{}, err
	}
	return set, nil
}

// quantityLimit is the largest quantity the screen takes without asking.
func (c *config) quantityLimit() (int64, error) {
	q, err := strconv.ParseInt(c.maxQty, 10, 64)
	if err != nil || q < 1 || q > pos.MaxQuantity {
		return 0, fmt.Errorf("%w: max quantity %q: a whole number from 1 to %d", errUsage, c.maxQty, pos.MaxQuantity)
	}
	return q, nil
}

// till is what every command that works as a till needs: the sale core's
// settings and how the till's own user reaches the database.
func (c *config) till() (pos.Settings, store.Config, error) {
	settings, err := c.settings(false)
	if err != nil {
		return pos.Settings{}, store.Config{}, err
	}
	sc, err := c.storeConfig()
	return settings, sc, err
}

// storeConfig is how the till's own user reaches the database.
func (c *config) storeConfig() (store.Config, error) {
	if c.dsn == "" {
		return store.Config{}, fmt.Errorf("%w: set POS_DSN (or --dsn) to the till's database, "+
			"e.g. POS_DSN='till@tcp(db.example:3306)/pos' till\n"+
			"To try the till without a database of your own: till demo (training mode, nothing charged)", errUsage)
	}
	return store.Config{WriterDSN: c.dsn, ReaderDSN: c.readerDSN, CallTimeout: 15 * time.Second,
		CAFile: c.dbCA, IAMRegion: c.dbIAMRegion, Insecure: c.dbInsecure, StoreID: c.storeID}, nil
}

func (c *config) requireAdmin() error {
	if c.adminDSN == "" {
		return fmt.Errorf("%w: set POS_ADMIN_DSN (or --admin-dsn) to an administrative user's DSN", errUsage)
	}
	return nil
}

// --- The store's row (issue 19) ---------------------------------------------
//
// Every till of a store takes the store's settings from its row in the
// stores table, so receipts and reports agree across tills. The
// environment (and a flag) still wins, for a lab.

// storeEnv maps the environment variables a store's row stands in for to
// the row's values.
func storeEnv(s store.StoreInfo) map[string]string {
	return map[string]string{
		"POS_CURRENCY":      s.Currency,
		"POS_TAX_MODE":      s.TaxMode,
		"POS_CASH_ROUNDING": strconv.FormatInt(s.CashRounding, 10),
		"POS_SCAN_PROFILE":  s.ScanProfile,
		"POS_STORE_NAME":    s.Name,
		"POS_STORE_ADDRESS": s.Address,
		"POS_STORE_TAX_ID":  s.TaxID,
		"POS_TIMEZONE":      s.TimeZone,
	}
}

// withStoreRow returns env with the till's store row under its
// environment: a variable the environment leaves empty reads the row's
// value. It reads the flags once to find the database and the store.
func withStoreRow(ctx context.Context, env *environment, args []string) (*environment, error) {
	fs, cfg := newFlags(&environment{stdout: io.Discard, stderr: io.Discard, getenv: env.getenv}, "")
	if err := fs.Parse(args); err != nil {
		return env, nil // the real parse reports it
	}
	sc, err := cfg.storeConfig()
	if err != nil {
		return env, nil // so does the real configuration
	}
	var fromRow map[string]string
	db, err := store.Open(ctx, sc)
	if err == nil {
		defer db.Close()
		var row store.StoreInfo
		if row, err = db.Store(ctx, cfg.storeID); err == nil {
			fromRow = storeEnv(row)
		}
	}
	if err != nil {
		// The database does not answer: the snapshot's copy of the row,
		// and the till starts offline (offline.go).
		var ok bool
		if pos.ErrorCode(err) != pos.EUnavailable {
			return nil, err
		}
		if fromRow, ok = offlineStoreRow(env, cfg.storeID, cfg.tillID); !ok {
			return nil, fmt.Errorf("open the database: %w", err)
		}
	}
	out := *env
	out.getenv = func(name string) string {
		if v := env.getenv(name); v != "" {
			return v
		}
		return fromRow[name]
	}
	return &out, nil
}
