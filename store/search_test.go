package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/till-pos/till/migrations"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// TestCustomerSearchFollowsChanges: the triggers keep the phone digits and
// the name words of a customer as an administrator changes them, and a
// sale's points (the till's only write) leave them be.
func TestCustomerSearchFollowsChanges(t *testing.T) {
	d := storetest.NewDatabase(t)
	c := d.AddCustomer(t, pos.Customer{Name: "Lukas Schmidt", Phone: "+49 30 23125 107", LoyaltyCard: "9800001000020"})
	d.AddCustomer(t, pos.Customer{Name: "Anna Becker"})
	db := d.Open(t)
	find := func(q string) []string {
		t.Helper()
		got, err := db.FindCustomers(context.Background(), q, 10)
		if err != nil {
			t.Fatalf("FindCustomers(%q): %v", q, err)
		}
		return names(got)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.Admin.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`UPDATE customers SET loyalty_points = loyalty_points + 10 WHERE customer_id = ?`, c.ID)
	if got := find("schmidt"); !slices.Equal(got, []string{"Lukas Schmidt"}) {
		t.Errorf("after points: schmidt finds %q", got)
	}
	exec(`UPDATE customers SET name = 'Lukas Schmidt-Weiß', phone = '0171 555 0199' WHERE customer_id = ?`, c.ID)
	for q, want := range map[string][]string{
		"weiss": {"Lukas Schmidt-Weiß"}, "schmidt weiß": {"Lukas Schmidt-Weiß"},
		"0171 555 0199": {"Lukas Schmidt-Weiß"}, "171/5550199": {"Lukas Schmidt-Weiß"},
		"+49 30 23125 107": nil, "107": nil,
	} {
		if got := find(q); !slices.Equal(got, want) {
			t.Errorf("after the change: %q finds %q, want %q", q, got, want)
		}
	}
	exec(`UPDATE customers SET phone = NULL WHERE customer_id = ?`, c.ID)
	if got := find("0199"); len(got) != 0 {
		t.Errorf("phone removed: 0199 finds %q", got)
	}
	exec(`UPDATE customers SET phone_rdigits = '1' WHERE customer_id = ?`, c.ID) // no way around the trigger
	if got := find("1"); len(got) != 0 {
		t.Errorf("phone_rdigits written by hand: 1 finds %q", got)
	}
	exec(`DELETE FROM customers WHERE customer_id = ?`, c.ID)
	var words int
	if err := d.Admin.QueryRow(`SELECT COUNT(*) FROM customer_name_words WHERE customer_id = ?`, c.ID).Scan(&words); err != nil || words != 0 {
		t.Errorf("deleted customer: %d words left (%v)", words, err)
	}
}

// TestSearchMigrationBackfills: customers already in the database when
// migration 00003 runs are found like new ones.
func TestSearchMigrationBackfills(t *testing.T) {
	d := storetest.NewEmptyDatabase(t)
	ctx := context.Background()
	p, err := goose.NewProvider(goose.DialectMySQL, d.Admin, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for _, c := range people {
		d.AddCustomer(t, c)
	}
	if _, err := store.Migrate(ctx, d.Admin); err != nil {
		t.Fatal(err)
	}
	db := d.Open(t)
	for q, want := range map[string][]string{
		"Schmidt":          {"Lukas Schmidt"},
		"+49 30 23125 107": {"Lukas Schmidt"},
		"mueller":          {"Anna Müller", "Jens Mueller", "Karl-Heinz Müller-Lüdenscheidt"},
		"strauss":          {"Johann Strauß"},
	} {
		got, err := db.FindCustomers(ctx, q, 10)
		if err != nil || !slices.Equal(names(got), want) {
			t.Errorf("FindCustomers(%q) = %q, %v; want %q", q, names(got), err, want)
		}
	}
	// and down again
	if _, err := p.DownTo(ctx, 1); err != nil {
		t.Fatalf("down: %v", err)
	}
}

// addManyCustomers inserts n customers and Lukas Schmidt with names from a German chain's
// spread of first names and surnames, phones, emails and cards, in batches
// (the triggers fill the search columns row by row).
func addManyCustomers(tb testing.TB, admin *sql.DB, n int) {
	tb.Helper()
	first := strings.Fields(`Anna Lukas Sophie Mehmet Julia Jonas Katarzyna Paul Marie Leon Emma Felix Mia
		Noah Hannah Elias Lea Ben Lena Finn Laura Luca Sarah Tim Lisa Jan Lina Tom Clara Max Ida Moritz Emilia
		Erik Greta Ole Frieda Jürgen Jörg Zoë Renée Ayşe Łukasz Søren Åsa François`)
	last := strings.Fields(`Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann
		Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann
		Lange Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer
		Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel Friedrich Keller Günther
		Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon Ludwig Böhm Winter Kraus
		Martin Schumacher Krämer Vogt Stein Jäger Otto Sommer Groß Seidel Heinrich Brandt Haas Schreiber
		Graf Schulte Dietrich Ziegler Kuhn Kühn Pohl Engel Horn Busch Bergmann Thomas Voigt Sauer Arnold
		Wolff Pfeiffer Yılmaz Kaya Nowak Kowalski Wiśniewski O'Brien Müller-Lüdenscheidt`)
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 500
	for start := 0; start < n; start += batch {
		var rows []string
		var args []any
		for i := start; i < min(start+batch, n); i++ {
			f, l := first[rng.IntN(len(first))], last[rng.IntN(len(last))]
			rows = append(rows, "(?, ?, ?, ?)")
			args = append(args, f+" "+l, fmt.Sprintf("c%d@example.com", i),
				fmt.Sprintf("+49 %d %d %03d", 30+rng.IntN(900), 10000+rng.IntN(90000), rng.IntN(1000)),
				fmt.Sprintf("98%011d", i))
		}
		if _, err := admin.Exec(`INSERT INTO customers (name, email, phone, loyalty_card) VALUES `+
			strings.Join(rows, ", "), args...); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := admin.Exec(`INSERT INTO customers (name, email, phone, loyalty_card)
		VALUES ('Lukas Schmidt', 'lukas.schmidt@example.com', '+49 30 23125 107', '9800001000020')`); err != nil {
		tb.Fatal(err)
	}
	if _, err := admin.Exec(`ANALYZE TABLE customers, customer_name_words`); err != nil {
		tb.Fatal(err)
	}
}

// searchQueries are what BenchmarkFindCustomers and
// TestCustomerSearchUsesIndexes search for.
var searchQueries = []string{"Schmidt", "schm", "a", "anna mül", "lukas schmidt", "+49 30 23125 107", "030 23125 107",
	"107", "c4711@example.com", "9800000004711", "xaver"}

// TestCustomerSearchUsesIndexes: no way into the search reads a whole
// table, so a chain's customer count does not slow the till's lookup.
func TestCustomerSearchUsesIndexes(t *testing.T) {
	d := storetest.NewDatabase(t)
	addManyCustomers(t, d.Admin, 3000)
	for _, q := range searchQueries {
		for _, line := range explain(t, d.Admin, q) {
			if line.table != "" && (line.typ == "ALL" || line.key == "") && !strings.HasPrefix(line.table, "<") {
				t.Errorf("search %q reads all of %s: %+v", q, line.table, line)
			}
		}
	}
}

type plan struct{ table, typ, key, rows, extra string }

func explain(tb testing.TB, admin *sql.DB, q string) []plan {
	tb.Helper()
	text, args := store.CustomerSearchSQL(q, 10)
	rows, err := admin.Query("EXPLAIN "+text, args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []plan
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatal(err)
		}
		var p plan
		for i, c := range cols {
			switch c {
			case "table":
				p.table = vals[i].String
			case "type":
				p.typ = vals[i].String
			case "key":
				p.key = vals[i].String
			case "rows":
				p.rows = vals[i].String
			case "Extra":
				p.extra = vals[i].String
			}
		}
		out = append(out, p)
	}
	return out
}

// BenchmarkFindCustomers searches 50,000 customers.
func BenchmarkFindCustomers(b *testing.B) {
	d := storetest.NewDatabase(b)
	addManyCustomers(b, d.Admin, 50000)
	db := d.Open(b)
	ctx := context.Background()
	for _, q := range searchQueries {
		b.Run(q, func(b *testing.B) {
			for _, p := range explain(b, d.Admin, q) {
				b.Logf("%+v", p)
			}
			n := 0
			for b.Loop() {
				got, err := db.FindCustomers(ctx, q, 10)
				if err != nil {
					b.Fatal(err)
				}
				n = len(got)
			}
			b.ReportMetric(float64(n), "found")
		})
	}
	// what an unindexed word search costs, for comparison: a leading
	// wildcard reads the names in order until it has 10, all of them for a
	// name nobody has
	for _, q := range []string{"Schmidt", "schm", "a", "xaver"} {
		b.Run("scan "+q, func(b *testing.B) {
			for b.Loop() {
				rows, err := db.Writer().QueryContext(ctx, `SELECT customer_id, name FROM customers
					WHERE name LIKE ? OR name LIKE ? ORDER BY name, customer_id LIMIT 10`, q+"%", "% "+q+"%")
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
			}
		})
	}
}
