package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
)

// questions reads the server's count of statements this session sent.
func questions(t *testing.T, pool *sql.DB) int {
	t.Helper()
	var name string
	var n int
	if err := pool.QueryRow(`SHOW SESSION STATUS LIKE 'Questions'`).Scan(&name, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// wireCounter counts what the till writes to the server on the connections
// it dials: requests (command packets, each one round trip: a batch of
// statements sent together is one) and the statements in them. The server
// counts statements itself ('Questions', one per statement of a batch), so
// the test checks the statement count against it: the request count is
// then the server's too.
type wireCounter struct {
	requests, statements atomic.Int64

	mu      sync.Mutex
	keep    bool     // keep the text of every text request (queries)
	queries []string // as sent: parameters interpolated, a batch whole
}

func (w *wireCounter) sent() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.queries)
}

func (w *wireCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: c, w: w}, nil
}

// countedConn follows the client's packet stream: a 4-byte header (3
// bytes length, 1 byte sequence number), then the payload. A packet with
// sequence number 0 starts a command; the handshake's packets never do.
type countedConn struct {
	net.Conn
	w       *wireCounter
	hdr     []byte
	left    int    // payload bytes of the current packet still to come
	command bool   // the current packet starts a command
	payload []byte // the current command's payload so far
}

func (c *countedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	for rest := b[:n]; len(rest) > 0; {
		if c.left > 0 {
			k := min(c.left, len(rest))
			if c.command {
				c.payload = append(c.payload, rest[:k]...)
			}
			c.left -= k
			rest = rest[k:]
			if c.left == 0 && c.command {
				c.w.statements.Add(int64(statementsIn(c.payload)))
				if c.payload[0] == 0x03 { // COM_QUERY
					c.w.mu.Lock()
					if c.w.keep {
						c.w.queries = append(c.w.queries, string(c.payload[1:]))
					}
					c.w.mu.Unlock()
				}
			}
			continue
		}
		k := min(4-len(c.hdr), len(rest))
		c.hdr = append(c.hdr, rest[:k]...)
		rest = rest[k:]
		if len(c.hdr) == 4 {
			c.left = int(c.hdr[0]) | int(c.hdr[1])<<8 | int(c.hdr[2])<<16
			c.command = c.hdr[3] == 0
			c.payload = c.payload[:0]
			if c.command {
				c.w.requests.Add(1)
			}
			c.hdr = c.hdr[:0]
		}
	}
	return n, err
}

// statementsIn counts the statements of a COM_QUERY payload: its
// semicolons outside quotes, plus one.
func statementsIn(payload []byte) int {
	if len(payload) == 0 || payload[0] != 0x03 {
		return 0
	}
	n := 1
	var quote byte
	for i := 1; i < len(payload); i++ {
		switch ch := payload[i]; {
		case quote != 0 && ch == '\\':
			i++
		case quote != 0 && ch == quote:
			quote = 0
		case quote != 0:
		case ch == '\'' || ch == '"' || ch == '`':
			quote = ch
		case ch == ';':
			n++
		}
	}
	return n
}

// TestRoundTripsAreConstant counts the requests each call of the sale
// protocol sends over a single connection, for baskets of 1, 10 and 100
// lines: the same for every size, and within the limits (a cash
// sale 2, Reserve 2, Complete 2, a whole card sale 8).
func TestRoundTripsAreConstant(t *testing.T) {
	stocks := make([]int64, 100)
	for i := range stocks {
		stocks[i] = 1000
	}
	f := newFixture(t, stocks...)
	wire := &wireCounter{}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{WriterDSN: f.d.DSN, Dial: wire.dial, MaxOpen: 1}) // one session
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pool := db.Writer()
	co := &pos.Checkout{Sales: db, Gateway: f.gw, Settings: settings()}
	co.Settings.TillID = "t-rt"

	// measure runs one call and returns its requests, checking its
	// statements against the server's count.
	measure := func(t *testing.T, call func() error) int {
		t.Helper()
		q0 := questions(t, pool)
		r0, s0 := wire.requests.Load(), wire.statements.Load()
		if err := call(); err != nil {
			t.Fatal(err)
		}
		q := questions(t, pool) - q0 // includes the second SHOW
		r, s := wire.requests.Load()-r0, wire.statements.Load()-s0
		if int(s) != q {
			t.Errorf("counted %d statements on the wire, want %d (the server's Questions)", s, q)
		}
		return int(r) - 1 // less the second SHOW
	}
	type counts map[string]int
	calls := []struct {
		name string
		run  func(t *testing.T, s pos.Sale) counts
	}{
		{"cash sale", func(t *testing.T, s pos.Sale) counts {
			return counts{"cash sale": measure(t, func() error {
				_, err := co.SellCash(ctx, s, s.Totals.Total)
				return err
			})}
		}},
		{"card sale", func(t *testing.T, s pos.Sale) counts {
			c := counts{}
			c["reserve"] = measure(t, func() (err error) {
				s, err = co.Reserve(ctx, s)
				return err
			})
			c["pay by card (attempt row, outcome)"] = measure(t, func() error {
				p, err := co.PayCard(ctx, s, s.Totals.Total)
				s.Payments = append(s.Payments, p)
				return err
			})
			c["complete"] = measure(t, func() error {
				_, err := co.Complete(ctx, s)
				return err
			})
			c["card sale"] = c["reserve"] + c["pay by card (attempt row, outcome)"] + c["complete"]
			return c
		}},
	}
	limits := map[string]int{"cash sale": 2, "reserve": 2, "complete": 2, "card sale": 8, "pay by card (attempt row, outcome)": 8}
	for _, call := range calls {
		t.Run(call.name, func(t *testing.T) {
			byCall := map[string][]int{}
			var names []string
			for _, n := range []int{1, 10, 100} {
				lines := make([][2]int, n)
				for i := range lines {
					lines[i] = [2]int{i, 1}
				}
				for name, c := range call.run(t, f.draft(t, lines...)) {
					if _, ok := byCall[name]; !ok {
						names = append(names, name)
					}
					byCall[name] = append(byCall[name], c)
				}
			}
			slices.Sort(names)
			for _, name := range names {
				got := byCall[name]
				t.Logf("%s: round trips at 1/10/100 lines: %v", name, got)
				if got[0] != got[1] || got[1] != got[2] {
					t.Errorf("%s: got %v round trips for 1/10/100 lines, want the same for all", name, got)
				}
				if got[0] > limits[name] {
					t.Errorf("%s: got %d round trips, want at most %d", name, got[0], limits[name])
				}
			}
		})
	}
	f.checkInvariants(t)
}

// TestConcurrentCheckoutsNeverOversell runs 64 tills at once over three hot
// items with little stock, mixing cash sales, card sales, declines and
// voids, then checks the invariants exactly.
func TestConcurrentCheckoutsNeverOversell(t *testing.T) {
	const tills, salesPerTill = 64, 6
	f := newFixture(t, 150, 100, 200, 1000)
	f.gw.Delay = 0
	ctx := context.Background()
	var completed, outOfStock, voided, failed atomic.Int64
	var wg sync.WaitGroup
	for till := range tills {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(till), 7))
			co := &pos.Checkout{Sales: f.db, Gateway: f.gw, Settings: settings()}
			co.Settings.TillID = fmt.Sprintf("t%d", till)
			for range salesPerTill {
				var lines [][2]int
				for range 1 + rng.IntN(4) {
					lines = append(lines, [2]int{rng.IntN(4), 1 + rng.IntN(3)})
				}
				sale := f.draft(t, lines...)
				var err error
				switch rng.IntN(4) {
				case 0, 1: // cash, one transaction
					_, err = co.SellCash(ctx, sale, sale.Totals.Total)
				case 2: // card, the full protocol
					if sale, err = co.Reserve(ctx, sale); err == nil {
						var p pos.Payment
						if p, err = co.PayCard(ctx, sale, sale.Totals.Total); err == nil {
							sale.Payments = append(sale.Payments, p)
							_, err = co.Complete(ctx, sale)
						}
					}
				case 3: // reserved, then the customer walks away
					if sale, err = co.Reserve(ctx, sale); err == nil {
						if _, err = co.Release(ctx, sale.Key, pos.SaleVoided); err == nil {
							voided.Add(1)
							continue
						}
					}
				}
				switch pos.ErrorCode(err) {
				case "":
					completed.Add(1)
				case pos.EOutOfStock:
					outOfStock.Add(1)
				default:
					failed.Add(1)
					t.Errorf("till %d: %v", till, err)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d sales tried: %d completed, %d out of stock, %d voided, %d failed",
		tills*salesPerTill, completed.Load(), outOfStock.Load(), voided.Load(), failed.Load())
	if outOfStock.Load() == 0 {
		t.Error("no sale ran out of stock: the test did not press on the stock limit")
	}
	for i := range 3 {
		if s := f.stock(t, i); s < 0 {
			t.Errorf("item %d: stock %d", i, s)
		}
	}
	t.Logf("final stock of the hot items: %d, %d, %d", f.stock(t, 0), f.stock(t, 1), f.stock(t, 2))
	f.checkInvariants(t)
}
