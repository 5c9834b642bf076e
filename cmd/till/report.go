package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
	"github.com/till-pos/till/store"
)

// runReport is `till report x` (the open session's figures, read-only)
// and `till report z` (count the drawer and close the session), for
// scripts and the back office. The text is pos.Report.Text, the layout
// the screen and the PDF show.
func runReport(ctx context.Context, env *environment, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "x":
		return runReportX(ctx, env, args)
	case "z":
		return runReportZ(ctx, env, args)
	}
	fmt.Fprintln(env.stderr, `usage:
  till report x [--json] [--pdf FILE]       the open session's figures (X), read-only
  till report z --counted AMOUNT [--notes 50x2,0.20x5] [--json] [--pdf FILE]
                                            count the drawer and close the session (Z);
                                            the cashier closing it: --cashier NUMBER
                                            ($POS_CASHIER) and $POS_CASHIER_PIN`)
	return fmt.Errorf("%w: till report x or z", errUsage)
}

// reportOutput is how a report is given back.
type reportOutput struct {
	json bool
	pdf  string
}

func (o *reportOutput) bind(fs *flag.FlagSet) {
	fs.BoolVar(&o.json, "json", false, "print the report as JSON (amounts as decimal strings)")
	fs.StringVar(&o.pdf, "pdf", "", "also save the report as a PDF for the receipt roll to this file")
}

// openOffice parses the shared flags and opens the till's store.
func openOffice(ctx context.Context, env *environment, name string, args []string, flags func(*flag.FlagSet)) (*pos.CashOffice, *store.DB, error) {
	fs, cfg := newFlags(env, name)
	flags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if fs.NArg() > 0 {
		return nil, nil, fmt.Errorf("%w: till %s takes no arguments (got %q)", errUsage, name, fs.Args())
	}
	settings, sc, err := cfg.till()
	if err != nil {
		return nil, nil, err
	}
	db, err := store.Open(ctx, sc)
	if err != nil {
		return nil, nil, err
	}
	return &pos.CashOffice{Store: db, Settings: settings}, db, nil
}

func runReportX(ctx context.Context, env *environment, args []string) error {
	var out reportOutput
	office, db, err := openOffice(ctx, env, "report x", args, out.bind)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := office.X(ctx)
	if err != nil {
		return err
	}
	return writeReport(env, r, office.Settings.Currency, out)
}

func runReportZ(ctx context.Context, env *environment, args []string) error {
	var out reportOutput
	var counted, notes, cashier string
	office, db, err := openOffice(ctx, env, "report z", args, func(fs *flag.FlagSet) {
		out.bind(fs)
		fs.StringVar(&counted, "counted", "", "the cash counted in the drawer, e.g. 412.35 (with --notes: what was not counted by note or coin)")
		fs.StringVar(&notes, "notes", "", "the count by note and coin: DENOMINATIONxQUANTITY,…, e.g. 50x2,20x3,0.05x7")
		stringFlag(fs, env.getenv, &cashier, "cashier", "POS_CASHIER", "", "the number of the cashier closing the till; the PIN is read from $POS_CASHIER_PIN")
	})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := offlineSalesSent(env, office.Settings); err != nil {
		return err
	}
	cur := office.Settings.Currency
	if counted == "" && notes == "" {
		return fmt.Errorf("%w: say what the drawer holds: --counted AMOUNT (and/or --notes)", errUsage)
	}
	count, err := parseCount(cur, counted, notes)
	if err != nil {
		return fmt.Errorf("%w: %s", errUsage, pos.ErrorMessage(err))
	}
	if cashier == "" {
		return fmt.Errorf("%w: name the cashier closing the till: --cashier NUMBER (or $POS_CASHIER), with $POS_CASHIER_PIN", errUsage)
	}
	c, err := db.SignIn(ctx, office.Settings.StoreID, office.Settings.TillID, cashier, env.getenv("POS_CASHIER_PIN"))
	if err != nil {
		return err
	}
	r, err := office.Z(ctx, c.ID, count)
	if err != nil {
		return err
	}
	return writeReport(env, r, cur, out)
}

// parseCount reads --counted and --notes into a count.
func parseCount(cur pos.Currency, counted, notes string) (pos.CashCount, error) {
	var c pos.CashCount
	if counted != "" {
		m, err := cur.Parse(counted)
		if err != nil {
			return c, err
		}
		c.Amount = m
	}
	for _, part := range strings.Split(notes, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, q, ok := strings.Cut(strings.ToLower(part), "x")
		denom, err := cur.Parse(d)
		n, qerr := strconv.ParseInt(strings.TrimSpace(q), 10, 64)
		if !ok || err != nil || qerr != nil {
			return c, pos.Errorf(pos.EInvalid, "%q is not DENOMINATIONxQUANTITY, e.g. 20x3", part)
		}
		c.Lines = append(c.Lines, pos.CountLine{Denomination: denom, Quantity: n})
	}
	return c, c.Validate(cur)
}

func writeReport(env *environment, r pos.Report, cur pos.Currency, out reportOutput) error {
	if out.pdf != "" {
		doc, err := receipts.RenderReport(r, cur, time.UTC)
		if err != nil {
			return err
		}
		if err := os.WriteFile(out.pdf, doc, 0o644); err != nil {
			return fmt.Errorf("save the report: %w", err)
		}
	}
	if out.json {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(reportJSONOf(r, cur))
	}
	for _, l := range r.Text(cur, time.UTC) {
		fmt.Fprintln(env.stdout, l)
	}
	return nil
}

// The JSON a script reads: amounts as decimal strings in the currency.
type (
	tallyJSON struct {
		Count  int64  `json:"count"`
		Amount string `json:"amount"`
	}
	tenderJSON struct {
		Method string `json:"method"`
		Count  int64  `json:"count"`
		Amount string `json:"amount"`
	}
	taxJSON struct {
		RateBP int    `json:"rate_bp"`
		Net    string `json:"net"`
		Tax    string `json:"tax"`
		Gross  string `json:"gross"`
	}
	countJSON struct {
		Denomination string `json:"denomination"`
		Quantity     int64  `json:"quantity"`
	}
	cashierJSON struct {
		Number string `json:"number"`
		Name   string `json:"name"`
	}
	reportJSON struct {
		Kind           string        `json:"kind"`
		ZNumber        int64         `json:"z_number,omitempty"`
		Store          string        `json:"store"`
		Till           string        `json:"till"`
		Session        int64         `json:"session"`
		Training       bool          `json:"training,omitempty"`
		Currency       string        `json:"currency"`
		From           time.Time     `json:"from"`
		To             time.Time     `json:"to"`
		Cashiers       []cashierJSON `json:"cashiers"`
		OpeningFloat   string        `json:"opening_float"`
		Sales          tallyJSON     `json:"sales"`
		SalesByTender  []tenderJSON  `json:"sales_by_tender"`
		CashTendered   string        `json:"cash_tendered"`
		Change         string        `json:"change"`
		TaxByRate      []taxJSON     `json:"tax_by_rate"`
		Discounts      tallyJSON     `json:"discounts"`
		PriceOverrides tallyJSON     `json:"price_overrides"`
		ReleasedSales  tallyJSON     `json:"released_sales"`
		Returns        tallyJSON     `json:"returns"`
		Voids          tallyJSON     `json:"voids"`
		Refunds        []tenderJSON  `json:"refunds_by_tender"`
		RefundsOwed    tallyJSON     `json:"refunds_owed"`
		CashRounding   string        `json:"cash_rounding"`
		NoSales        int64         `json:"no_sales"`
		PaidIn         tallyJSON     `json:"paid_in"`
		PaidOut        tallyJSON     `json:"paid_out"`
		Pickups        tallyJSON     `json:"pickups"`
		ExpectedCash   string        `json:"expected_cash"`
		CountedCash    *string       `json:"counted_cash,omitempty"`
		Counted        []countJSON   `json:"counted,omitempty"`
		Difference     *string       `json:"difference,omitempty"`
		FirstSale      int64         `json:"first_sale"`
		LastSale       int64         `json:"last_sale"`
		NetTotal       string        `json:"net_total"`
		GrandTotal     string        `json:"grand_total"`
		OutsideSales   tallyJSON     `json:"sales_outside_a_session"`
		OutsideReturns tallyJSON     `json:"returns_outside_a_session"`
		Pending        int64         `json:"pending"`
	}
)

func reportJSONOf(r pos.Report, cur pos.Currency) reportJSON {
	m := cur.Plain
	tally := func(t pos.Tally) tallyJSON { return tallyJSON{t.Count, m(t.Amount)} }
	tenders := func(ts []pos.TenderTotal) []tenderJSON {
		out := []tenderJSON{}
		for _, t := range ts {
			out = append(out, tenderJSON{string(t.Method), t.Count, m(t.Amount)})
		}
		return out
	}
	j := reportJSON{Kind: string(r.Kind), ZNumber: r.ZNumber, Store: r.Session.StoreID, Till: r.Session.TillID,
		Session: r.Session.ID, Training: r.Session.Training, Currency: cur.Code, From: r.From, To: r.To,
		Cashiers: []cashierJSON{}, OpeningFloat: m(r.Float), Sales: tally(r.Sales), SalesByTender: tenders(r.SalesByTender),
		CashTendered: m(r.CashTendered), Change: m(r.Change), TaxByRate: []taxJSON{}, Discounts: tally(r.Discounts),
		PriceOverrides: tally(r.Overrides), ReleasedSales: tally(r.Released), Returns: tally(r.Returns),
		Voids: tally(r.Voids), Refunds: tenders(r.Refunds), RefundsOwed: tally(r.RefundsOwed),
		CashRounding: m(r.CashRounding), NoSales: r.NoSales, PaidIn: tally(r.PaidIn), PaidOut: tally(r.PaidOut),
		Pickups: tally(r.Pickups), ExpectedCash: m(r.ExpectedCash), FirstSale: r.FirstSale, LastSale: r.LastSale,
		NetTotal: m(r.NetTotal), GrandTotal: m(r.GrandTotal), OutsideSales: tally(r.OutsideSales),
		OutsideReturns: tally(r.OutsideReturns), Pending: r.Pending}
	for _, c := range r.Cashiers {
		j.Cashiers = append(j.Cashiers, cashierJSON{c.Number, c.Name})
	}
	for _, t := range r.TaxByRate {
		j.TaxByRate = append(j.TaxByRate, taxJSON{t.Rate, m(t.Net), m(t.Tax), m(t.Gross)})
	}
	if r.HasCount {
		counted, diff := m(r.Counted.Total()), m(r.Difference)
		j.CountedCash, j.Difference = &counted, &diff
		for _, l := range r.Counted.Lines {
			j.Counted = append(j.Counted, countJSON{m(l.Denomination), l.Quantity})
		}
	}
	return j
}
