package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/till-pos/till/store/storetest"
)

// toxiproxyVersion is the pinned Toxiproxy (.ci/tools.d/toxiproxy).
const toxiproxyVersion = "v2.12.0"

// toxiproxy is a toxiproxy-server the test started on a free loopback
// port, driven through its HTTP API.
type toxiproxy struct {
	api    string
	client *http.Client
}

// startToxiproxy runs toxiproxy-server (from PATH or $(go env GOPATH)/bin)
// and stops it at cleanup.
func startToxiproxy(tb testing.TB) *toxiproxy {
	tb.Helper()
	bin, err := exec.LookPath("toxiproxy-server")
	if err != nil {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			p := filepath.Join(strings.TrimSpace(string(out)), "bin", "toxiproxy-server")
			if isExecutable(p) {
				bin = p
			}
		}
	}
	if bin == "" {
		storetest.Missing(tb, "toxiproxy-server is not installed; run bash .ci/ensure-tools")
	}
	if out, err := exec.Command(bin, "--version").Output(); err != nil || !strings.Contains(string(out), toxiproxyVersion) {
		tb.Fatalf("toxiproxy-server at %s is %q, want %s; run bash .ci/ensure-tools", bin, strings.TrimSpace(string(out)), toxiproxyVersion)
	}
	port := freePort(tb)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "-host", "127.0.0.1", "-port", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = &syncWriter{w: &logs}, &syncWriter{w: &logs}
	cmd.Env = append(os.Environ(), "LOG_LEVEL=warn")
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start toxiproxy-server: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	tp := &toxiproxy{api: fmt.Sprintf("http://127.0.0.1:%d", port), client: &http.Client{Timeout: 5 * time.Second}}
	for i := 0; ; i++ {
		if err := tp.do(http.MethodGet, "/version", nil, nil); err == nil {
			return tp
		}
		select {
		case <-exited:
			tb.Fatalf("toxiproxy-server exited at start: %s", logs.String())
		default:
		}
		if i >= 100 {
			tb.Fatalf("toxiproxy-server did not answer on %s", tp.api)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (tp *toxiproxy) do(method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, tp.api+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := tp.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("toxiproxy %s %s: %s: %s", method, path, res.Status, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// proxy is one Toxiproxy proxy in front of a MySQL server.
type proxy struct {
	tp     *toxiproxy
	name   string
	Listen string // the address the till dials instead of the server
	seq    atomic.Int64
}

// newProxy listens on a free loopback port and forwards to upstream.
func (tp *toxiproxy) newProxy(tb testing.TB, upstream string) *proxy {
	tb.Helper()
	name := fmt.Sprintf("mysql_%d", time.Now().UnixNano())
	var got struct {
		Listen string `json:"listen"`
	}
	if err := tp.do(http.MethodPost, "/proxies", map[string]any{
		"name": name, "listen": "127.0.0.1:0", "upstream": upstream, "enabled": true}, &got); err != nil {
		tb.Fatal(err)
	}
	return &proxy{tp: tp, name: name, Listen: got.Listen}
}

// toxic is one fault on a proxy: a type, a direction ("upstream" is the
// till's packets to the server, "downstream" the server's answers) and
// its attributes.
type toxic struct {
	Type       string
	Stream     string
	Attributes map[string]any
}

// add puts a toxic on every connection of the proxy, the open ones too,
// and returns its name for remove.
func (p *proxy) add(t toxic) (string, error) {
	name := fmt.Sprintf("%s_%s_%d", t.Type, t.Stream, p.seq.Add(1))
	return name, p.tp.do(http.MethodPost, "/proxies/"+p.name+"/toxics", map[string]any{
		"name": name, "type": t.Type, "stream": t.Stream, "toxicity": 1.0, "attributes": t.Attributes}, nil)
}

func (p *proxy) remove(name string) error {
	return p.tp.do(http.MethodDelete, "/proxies/"+p.name+"/toxics/"+name, nil, nil)
}

// mustAdd adds a toxic and removes it at cleanup if it is still there.
func (p *proxy) mustAdd(tb testing.TB, t toxic) string {
	tb.Helper()
	name, err := p.add(t)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.remove(name) })
	return name
}

// setEnabled takes the proxy down (every connection is cut and new ones
// are refused) or brings it back.
func (p *proxy) setEnabled(enabled bool) error {
	return p.tp.do(http.MethodPost, "/proxies/"+p.name, map[string]any{"enabled": enabled}, nil)
}

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
// dials and, the first time a statement starts with prefix, runs before
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
	if len(b) > 5 && b[4] == comQuery && bytes.HasPrefix(b[5:], []byte(h.prefix)) && h.armed.CompareAndSwap(true, false) {
		c.tripped.Store(true)
		h.fired.Add(1)
		if h.before != nil {
			h.before()
		}
	}
	return c.Conn.Write(b)
}

func (c *hookedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil && c.tripped.CompareAndSwap(true, false) && c.hook.after != nil {
		c.hook.after()
	}
	return n, err
}
