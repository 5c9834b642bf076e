package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/store/storetest"
)

// TestSignalsStopTheTillCleanly runs the real binary's training mode (with
// its private MariaDB) in tmux, brings it to a screen, sends it SIGTERM,
// SIGINT or SIGHUP, and checks every time that the till exits with 0 within
// a bound (no hang), that the terminal is restored (no alternate screen,
// cursor shown, cooked mode with echo) and that the private server is gone.
// A signal during a card payment must wait for the payment: the sale is
// then found completed in the training database.
//
// Every signal at every screen, TILL_SIGNAL_REPS times (4 by default: 60
// runs), and as many with the terminal closed instead (tmux kill-session:
// the till and its server must be gone), spread over three tills running
// side by side.
func TestSignalsStopTheTillCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		storetest.Missing(t, "tmux is not installed")
	}
	if findServer() == "" {
		storetest.Missing(t, "no mariadbd or mysqld installed")
	}
	reps := 4
	if v, err := strconv.Atoi(os.Getenv("TILL_SIGNAL_REPS")); err == nil && v > 0 {
		reps = v
	}
	bin := buildTill(t)

	type job struct {
		sig    syscall.Signal
		screen string
	}
	var jobs []job
	for range reps {
		for _, screen := range signalScreens {
			for _, sig := range stopsTried {
				jobs = append(jobs, job{sig, screen})
			}
		}
	}
	const workers = 3
	type tally struct {
		runs, ok, hangs int
		took            time.Duration // from the signal to the till's exit, summed
	}
	var mu sync.Mutex
	tallies := map[string]*tally{}
	// Each till's private server is initialised first, one at a time.
	var states [workers]string
	for w := range states {
		states[w] = t.TempDir()
		s, err := startPrivateServer(context.Background(), filepath.Join(states[w], "till", "mysql"))
		if err != nil {
			t.Fatalf("private server: %v", err)
		}
		s.stop()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			state := states[w] // one private server's data per worker, reused run after run
			for i := w; i < len(jobs); i += workers {
				j := jobs[i]
				r := signalRun(t, bin, state, fmt.Sprintf("till-sig-%d-%d-%d", os.Getpid(), w, i), j.screen, j.sig)
				mu.Lock()
				k := stopName(j.sig) + " at " + j.screen
				if tallies[k] == nil {
					tallies[k] = &tally{}
				}
				tallies[k].runs++
				tallies[k].took += r.took
				switch {
				case r.hung:
					tallies[k].hangs++
					t.Errorf("%s (run %d): the till did not exit: %s", k, i, r.problem)
				case r.problem != "":
					t.Errorf("%s (run %d): %s", k, i, r.problem)
				default:
					tallies[k].ok++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var runs, hangs int
	var report strings.Builder
	for _, screen := range signalScreens {
		for _, sig := range stopsTried {
			k := stopName(sig) + " at " + screen
			if tl := tallies[k]; tl != nil {
				fmt.Fprintf(&report, "  %-26s runs %d, clean %d, hangs %d, exit after the signal in %s on average\n",
					k, tl.runs, tl.ok, tl.hangs, (tl.took / time.Duration(tl.runs)).Round(time.Millisecond))
				runs, hangs = runs+tl.runs, hangs+tl.hangs
			}
		}
	}
	t.Logf("%d runs, %d hangs, in %s (%d tills side by side):\n%s", runs, hangs,
		time.Since(start).Round(time.Second), workers, report.String())
}

// stopsTried are the ways the till is stopped: the three signals, and 0
// for closing its terminal (tmux kill-session: SIGHUP, and the terminal is
// gone).
var stopsTried = []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, 0}

func stopName(sig syscall.Signal) string {
	if sig == 0 {
		return "terminal closed"
	}
	return signalName(sig)
}

// signalScreens are the screens a signal is sent at, in the order a sale
// goes through them.
var signalScreens = []string{"sign-in", "basket", "tender", "payment", "done"}

type signalResult struct {
	took    time.Duration // from the signal to the till's exit
	hung    bool
	problem string // "" when the till stopped cleanly
}

// signalRun is one run: start `till demo` in a tmux session with its state
// in state, reach screen, send sig, check how the till ended.
func signalRun(t *testing.T, bin, state, session, screen string, sig syscall.Signal) (res signalResult) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	fail := func(format string, args ...any) signalResult {
		return signalResult{problem: fmt.Sprintf(format, args...)}
	}
	tmux := func(args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, "tmux", args...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	// The pane outlives the till, to see how it left the terminal.
	script := fmt.Sprintf("env -u POS_DSN -u POS_ADMIN_DSN %s demo; echo TILL-EXIT=$?; stty -a; echo TILL-END; sleep 600", bin)
	if _, err := tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30",
		"-e", "XDG_STATE_HOME="+state, "-e", "TERM=xterm-256color", script); err != nil {
		return fail("%v", err)
	}
	defer exec.Command("tmux", "kill-session", "-t", session).Run()
	capture := func() string {
		s, _ := tmux("capture-pane", "-p", "-t", session)
		return s
	}
	logFile := filepath.Join(state, "till", "till.log")
	waitFor := func(what string, d time.Duration) error {
		deadline := time.Now().Add(d)
		for {
			s := capture()
			if strings.Contains(s, what) {
				return nil
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(logFile)
				return fmt.Errorf("the screen never showed %q; it shows:\n%s\nlog:\n%s", what, s, tail(string(log), 10))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	keys := func(k ...string) error {
		_, err := tmux(append([]string{"send-keys", "-t", session}, k...)...)
		return err
	}
	steps := []struct {
		keys []string
		want string
	}{
		{nil, "items in the catalog"},
		// Typed at a person's pace: sent at once, "1111" and Enter would
		// be a scanner's burst, which the sign-in screen refuses.
		{[]string{"1", "0", "1", "Tab", "1", "1", "1", "1", "Enter"}, "ready to scan"},
		{[]string{"4006381333931", "Enter"}, "added Fineliner pen black"},
		{[]string{"F5"}, "Cash given"},
	}
	switch screen {
	case "sign-in":
		steps = steps[:1]
	case "basket":
		steps = steps[:2]
	case "payment":
		steps = append(steps, struct {
			keys []string
			want string
		}{[]string{"F5"}, "Card payment"})
	case "done":
		steps = append(steps, struct {
			keys []string
			want string
		}{[]string{"F2"}, "CHANGE DUE"})
	}
	for _, s := range steps {
		if s.keys != nil {
			for _, k := range s.keys {
				if err := keys(k); err != nil {
					return fail("%v", err)
				}
				time.Sleep(120 * time.Millisecond) // slower than a scanner (30 ms a key)
			}
		}
		if err := waitFor(s.want, 60*time.Second); err != nil {
			return fail("reaching the %s screen: %v", screen, err)
		}
	}

	panePID, err := tmux("display", "-p", "-t", session, "#{pane_pid}")
	if err != nil {
		return fail("%v", err)
	}
	tillPID := childOf(strings.TrimSpace(panePID))
	serverPID := readPID(filepath.Join(state, "till", "mysql", "mysqld.pid"))
	if tillPID == 0 || serverPID == 0 {
		return fail("no till (%d) or private server (%d) process found", tillPID, serverPID)
	}
	if sig == 0 {
		// The terminal is closed: nothing is left to look at but whether
		// the till and its server are gone. A card payment in flight is
		// left pending for recovery at the next start, as after a crash.
		if _, err := tmux("kill-session", "-t", session); err != nil {
			return fail("%v", err)
		}
		closed := time.Now()
		if !gone(tillPID, 20*time.Second) {
			_ = syscall.Kill(tillPID, syscall.SIGKILL)
			return signalResult{hung: true, took: time.Since(closed), problem: "the till still runs 20 s after its terminal was closed"}
		}
		took := time.Since(closed)
		if !gone(serverPID, 10*time.Second) {
			_ = syscall.Kill(serverPID, syscall.SIGKILL)
			return signalResult{took: took, problem: fmt.Sprintf("the private server (pid %d) outlived the till", serverPID)}
		}
		return signalResult{took: took}
	}
	if err := syscall.Kill(tillPID, sig); err != nil {
		return fail("signal the till: %v", err)
	}
	signalled := time.Now()
	err = waitFor("TILL-EXIT=", 20*time.Second)
	took := time.Since(signalled)
	defer func() { res.took = took }()
	if err != nil {
		res = signalResult{hung: true, problem: err.Error()}
		_ = syscall.Kill(tillPID, syscall.SIGKILL)
		return res
	}
	if err := waitFor("TILL-END", 5*time.Second); err != nil { // stty -a has printed
		return fail("%v", err)
	}
	screenText := capture()
	if !strings.Contains(screenText, "TILL-EXIT=0") {
		return fail("the till did not exit with 0:\n%s", screenText)
	}
	// The terminal is restored: main screen, cursor shown, cooked mode.
	flags, err := tmux("display", "-p", "-t", session, "#{alternate_on} #{cursor_flag}")
	if err != nil {
		return fail("%v", err)
	}
	if strings.TrimSpace(flags) != "0 1" {
		return fail("terminal not restored: alternate screen, cursor shown = %q, want \"0 1\"", strings.TrimSpace(flags))
	}
	modes := map[string]bool{}
	for _, f := range strings.Fields(screenText) {
		modes[f] = true
	}
	for _, mode := range []string{"icanon", "echo", "isig", "icrnl"} {
		if !modes[mode] {
			return fail("terminal not restored: stty -a does not show %q:\n%s", mode, screenText)
		}
	}
	if !gone(serverPID, 10*time.Second) {
		_ = syscall.Kill(serverPID, syscall.SIGKILL)
		return fail("the private server (pid %d) is still running after the till exited", serverPID)
	}
	if screen == "payment" {
		// The signal came while the card was being paid: the till waited
		// for it, so the sale is recorded completed, not left pending.
		status, err := lastTrainingSale(ctx, filepath.Join(state, "till", "mysql"))
		if err != nil {
			return fail("read the training database: %v", err)
		}
		if status != "completed" {
			return fail("a signal during a card payment: the sale is %q, want completed", status)
		}
	}
	return signalResult{}
}

// childOf is the first child process of pid, waiting a little for it.
func childOf(pid string) int {
	for range 100 {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%s/task/%s/children", pid, pid))
		if f := strings.Fields(string(b)); len(f) > 0 {
			n, _ := strconv.Atoi(f[0])
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0
}

func readPID(path string) int {
	b, _ := os.ReadFile(path)
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// gone waits until pid has exited (a zombie counts as exited: its parent
// may be an init that does not reap).
func gone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true
		}
		// pid (comm) state ...: the state follows the last ')'.
		if s := string(b); strings.HasPrefix(strings.TrimSpace(s[strings.LastIndex(s, ")")+1:]), "Z") {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lastTrainingSale starts the private server of dir again and reads the
// status of the last sale in the training database.
func lastTrainingSale(ctx context.Context, dir string) (string, error) {
	s, err := startPrivateServer(ctx, dir)
	if err != nil {
		return "", err
	}
	defer s.stop()
	dsn, err := withDatabase(s.dsn, trainingDatabase)
	if err != nil {
		return "", err
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var status string
	err = db.QueryRowContext(ctx, `SELECT payment_status FROM transactions ORDER BY transaction_id DESC LIMIT 1`).Scan(&status)
	return status, err
}

// buildTill builds the till into a temporary folder (or returns
// $TILL_E2E_BIN).
func buildTill(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("TILL_E2E_BIN"); bin != "" { // e.g. an older build, to compare
		return bin
	}
	bin := filepath.Join(t.TempDir(), "till")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// heldModel is a screen that holds a quit while busy, as ui.Model.Filter
// does while a card payment is in flight.
type heldModel struct{ busy *atomic.Bool }

func (heldModel) Init() tea.Cmd                         { return nil }
func (m heldModel) Update(tea.Msg) (tea.Model, tea.Cmd) { return m, nil }
func (heldModel) View() tea.View                        { return tea.NewView("") }
func (m heldModel) filter(_ tea.Model, msg tea.Msg) tea.Msg {
	if _, ok := msg.(tea.QuitMsg); ok && m.busy.Load() {
		return nil
	}
	return msg
}

// TestRunProgramHoldsASignalWhileBusy: a stop signal ends the screen once
// it is no longer busy, a second one ends it at once, and either way the
// context is cancelled afterwards so that what follows the screen stops.
func TestRunProgramHoldsASignalWhileBusy(t *testing.T) {
	for _, tt := range []struct {
		name    string
		signals int  // how many are sent
		settle  bool // the payment settles after a while
	}{
		{"held until settled", 1, true},
		{"a second signal stops at once", 2, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &stops{ch: make(chan os.Signal, 4)}
			s.ctx, s.cancel = context.WithCancelCause(context.Background())
			go s.loop()
			env := &environment{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, stops: s}
			m := heldModel{busy: &atomic.Bool{}}
			m.busy.Store(true)
			ended := make(chan error, 1)
			go func() {
				ended <- runProgram(s.ctx, env, m, m.filter, tea.WithInput(nil), tea.WithOutput(io.Discard),
					tea.WithWindowSize(80, 24))
			}()
			time.Sleep(200 * time.Millisecond) // the program runs
			for range tt.signals {
				s.ch <- syscall.SIGTERM
			}
			if tt.settle {
				select {
				case err := <-ended:
					t.Fatalf("the screen ended while busy: %v", err)
				case <-time.After(500 * time.Millisecond):
				}
				m.busy.Store(false)
			}
			select {
			case err := <-ended:
				if err != nil {
					t.Errorf("runProgram: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the screen did not end")
			}
			if _, ok := context.Cause(s.ctx).(errStopped); !ok {
				t.Errorf("after the screen: context cause %v, want the stop signal", context.Cause(s.ctx))
			}
		})
	}
}
