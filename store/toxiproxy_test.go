package store_test

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/till-pos/till/store/storetest"
)

// The store's fault tests drive the shared Toxiproxy harness.
type (
	toxiproxy = storetest.Toxiproxy
	proxy     = storetest.Proxy
	toxic     = storetest.Toxic
)

func startToxiproxy(tb testing.TB) *toxiproxy { return storetest.StartToxiproxy(tb) }

// viaProxy rewrites a DSN to dial the proxy instead of the server.
func viaProxy(tb testing.TB, dsn, listen string) string {
	tb.Helper()
	i, j := strings.Index(dsn, "tcp("), strings.Index(dsn, ")/")
	if i < 0 || j < i {
		tb.Fatalf("DSN %q has no tcp(host:port) address", dsn)
	}
	return dsn[:i] + "tcp(" + listen + dsn[j:]
}

// statementHook watches the packets the till writes on every connection it
// dials and, the first time a request holds a statement starting with
// prefix (the request's first, or one of a batch, batch.go), runs before
// just before the packet is written and after once that connection's next
// read fails. The store's Config.Dial takes its dial method.
type statementHook struct {
	prefix string
	armed  atomic.Bool
	fired  atomic.Int64
	before func()
	after  func()
}

func (h *statementHook) arm() { h.armed.Store(true) }

func (h *statementHook) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &hookedConn{Conn: c, hook: h}, nil
}

type hookedConn struct {
	net.Conn
	hook    *statementHook
	tripped atomic.Bool
}

// comQuery is the MySQL protocol's command byte for a text statement; each
// packet the driver writes is a 4-byte header, then the command.
const comQuery = 0x03

func (c *hookedConn) Write(b []byte) (int, error) {
	h := c.hook
	if len(b) > 5 && b[4] == comQuery && holds(b[5:], h.prefix) && h.armed.CompareAndSwap(true, false) {
		c.tripped.Store(true)
		h.fired.Add(1)
		if h.before != nil {
			h.before()
		}
	}
	return c.Conn.Write(b)
}

// holds reports whether a request's text has a statement starting with
// prefix: at its start or after a batch's ";\n".
func holds(query []byte, prefix string) bool {
	return bytes.HasPrefix(query, []byte(prefix)) || bytes.Contains(query, []byte(";\n"+prefix))
}

func (c *hookedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil && c.tripped.CompareAndSwap(true, false) && c.hook.after != nil {
		c.hook.after()
	}
	return n, err
}
