package storetest

import (
	"bytes"
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
)

// ToxiproxyVersion is the pinned Toxiproxy (.ci/tools.d/toxiproxy).
const ToxiproxyVersion = "v2.12.0"

// Toxiproxy is a toxiproxy-server a test started on a free loopback port,
// driven through its HTTP API: the faults between the till and what it
// talks to (the database, SQS).
type Toxiproxy struct {
	api    string
	client *http.Client
}

// StartToxiproxy runs toxiproxy-server (from PATH or $(go env GOPATH)/bin)
// and stops it at cleanup. Missing, it skips on a developer's machine and
// fails under CI=true.
func StartToxiproxy(tb testing.TB) *Toxiproxy {
	tb.Helper()
	bin, err := exec.LookPath("toxiproxy-server")
	if err != nil {
		bin = ""
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			p := filepath.Join(strings.TrimSpace(string(out)), "bin", "toxiproxy-server")
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				bin = p
			}
		}
	}
	if bin == "" {
		Missing(tb, "toxiproxy-server is not installed; run bash .ci/ensure-tools")
	}
	if out, err := exec.Command(bin, "--version").Output(); err != nil || !strings.Contains(string(out), ToxiproxyVersion) {
		tb.Fatalf("toxiproxy-server at %s is %q, want %s; run bash .ci/ensure-tools", bin, strings.TrimSpace(string(out)), ToxiproxyVersion)
	}
	port := FreePort(tb)
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
	tp := &Toxiproxy{api: fmt.Sprintf("http://127.0.0.1:%d", port), client: &http.Client{Timeout: 5 * time.Second}}
	for i := 0; ; i++ {
		if err := tp.Do(http.MethodGet, "/version", nil, nil); err == nil {
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

// FreePort asks the kernel for a loopback port that is free right now.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
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

// Do calls Toxiproxy's API: body is sent as JSON, the answer decoded into
// out when it is not nil.
func (tp *Toxiproxy) Do(method, path string, body, out any) error {
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

// Proxy is one Toxiproxy proxy in front of a server.
type Proxy struct {
	tp     *Toxiproxy
	Name   string
	Listen string // the address to dial instead of the server
	seq    atomic.Int64
}

// Server is the Toxiproxy the proxy belongs to, for more proxies on it.
func (p *Proxy) Server() *Toxiproxy { return p.tp }

// NewProxy listens on a free loopback port and forwards to upstream.
func (tp *Toxiproxy) NewProxy(tb testing.TB, upstream string) *Proxy {
	tb.Helper()
	name := fmt.Sprintf("proxy_%d", time.Now().UnixNano())
	var got struct {
		Listen string `json:"listen"`
	}
	if err := tp.Do(http.MethodPost, "/proxies", map[string]any{
		"name": name, "listen": "127.0.0.1:0", "upstream": upstream, "enabled": true}, &got); err != nil {
		tb.Fatal(err)
	}
	return &Proxy{tp: tp, Name: name, Listen: got.Listen}
}

// Toxic is one fault on a proxy: a type, a direction ("upstream" is the
// client's packets to the server, "downstream" the server's answers) and
// its attributes.
type Toxic struct {
	Type       string
	Stream     string
	Attributes map[string]any
}

// Add puts a toxic on every connection of the proxy, the open ones too,
// and returns its name for Remove.
func (p *Proxy) Add(t Toxic) (string, error) {
	name := fmt.Sprintf("%s_%s_%d", t.Type, t.Stream, p.seq.Add(1))
	return name, p.tp.Do(http.MethodPost, "/proxies/"+p.Name+"/toxics", map[string]any{
		"name": name, "type": t.Type, "stream": t.Stream, "toxicity": 1.0, "attributes": t.Attributes}, nil)
}

// Remove takes a toxic off.
func (p *Proxy) Remove(name string) error {
	return p.tp.Do(http.MethodDelete, "/proxies/"+p.Name+"/toxics/"+name, nil, nil)
}

// MustAdd adds a toxic and removes it at cleanup if it is still there.
func (p *Proxy) MustAdd(tb testing.TB, t Toxic) string {
	tb.Helper()
	name, err := p.Add(t)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Remove(name) })
	return name
}

// SetEnabled takes the proxy down (every connection is cut and new ones
// are refused) or brings it back.
func (p *Proxy) SetEnabled(enabled bool) error {
	return p.tp.Do(http.MethodPost, "/proxies/"+p.Name, map[string]any{"enabled": enabled}, nil)
}
