// Package killtest runs a test binary's child mode and kills it with
// SIGKILL at a random moment, for the kill tests of the offline journal
// and of forwarding it (the till dying mid-write is what they prove safe).
package killtest

import (
	"bufio"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Child is one child to run: the test binary re-run on test (its child
// mode chosen by Env), killed after a random wait in [MinDelay, MaxDelay].
// Unless FromStart, the wait counts from when the child prints "ready"
// (within ReadyWithin); FromStart kills count from its start, so some land
// in its setup.
type Child struct {
	Test               string // the test function the child runs, e.g. "TestKill"
	Env                []string
	MinDelay, MaxDelay time.Duration
	FromStart          bool
	ReadyWithin        time.Duration
}

// Run starts the child, kills it and returns every line it printed to
// stdout before it died (the child prints a line only once what it says is
// done, one write per line).
func Run(t testing.TB, c Child) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+c.Test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	done := make(chan []string)
	go func() {
		var lines []string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if sc.Text() == "ready" {
				close(ready)
			}
		}
		done <- lines // the pipe closes when the child is dead
	}()
	if !c.FromStart {
		select {
		case <-ready:
		case <-time.After(c.ReadyWithin):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("%s: the child was not ready in %v", c.Test, c.ReadyWithin)
		}
	}
	time.Sleep(c.MinDelay + time.Duration(rand.Int64N(int64(c.MaxDelay-c.MinDelay)+1)))
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("%s: kill: %v", c.Test, err)
	}
	lines := <-done
	cmd.Wait() // reaps it; the kill makes its error expected
	return lines
}
