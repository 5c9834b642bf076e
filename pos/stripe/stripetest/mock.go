// Package stripetest gives tests two Stripe APIs on loopback: stripe-mock,
// Stripe's own stateless server that checks every request against Stripe's
// API description, and Fake, a scripted server of ours with state that
// plays a Terminal reader and a customer (approve, decline, busy, offline,
// lost answers) and counts what was charged.
package stripetest

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// MockVersion is the stripe-mock that .ci/tools.d/stripe-mock installs.
const MockVersion = "v0.203.0"

// MockKey is a test-mode key stripe-mock accepts.
const MockKey = "sk_test_stripemock"

// MockReader is a reader id for requests to stripe-mock (it checks the
// shape of ids, not that they exist).
const MockReader = "tmr_stripemock"

// StartMock starts stripe-mock on a free loopback port and returns its
// base URL; it stops at the end of the test. Without the binary the test
// skips, or fails under CI=true.
func StartMock(tb testing.TB) string {
	tb.Helper()
	bin := findMock(tb)
	for try := 0; try < 3; try++ {
		addr := freeAddr(tb)
		var out bytes.Buffer
		cmd := exec.Command(bin, "-http-addr", addr)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			tb.Fatalf("start stripe-mock: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		tb.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
		if waitListening(addr, exited, 20*time.Second) {
			return "http://" + addr
		}
		tb.Logf("stripe-mock on %s did not start (try %d): %s", addr, try+1, out.String())
	}
	tb.Fatalf("stripe-mock did not start")
	return ""
}

func findMock(tb testing.TB) string {
	tb.Helper()
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "stripe-mock")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "stripe-mock not found on PATH or in $(go env GOPATH)/bin: run bash .ci/tools.d/stripe-mock"
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg + " (CI=true: never skipped)")
	}
	tb.Skip(msg)
	return ""
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("find a free port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// waitListening polls until the server answers HTTP, it exits, or limit.
func waitListening(addr string, exited <-chan error, limit time.Duration) bool {
	client := &http.Client{Timeout: time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v1/balance", nil)
		req.Header.Set("Authorization", "Bearer "+MockKey)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return true
		}
		select {
		case <-exited:
			return false
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}
