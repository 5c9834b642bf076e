package journal

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/pos/journal/killtest"
)

// killRuns is how many children TestKill starts and SIGKILLs.
const killRuns = 200

const (
	envKillDir = "TILL_JOURNAL_KILL_DIR" // set: this process is a child
	envKillRun = "TILL_JOURNAL_KILL_RUN"
)

// TestKill sells into one journal from child processes that are killed
// (SIGKILL) at random moments, mid-append, mid-fsync or mid-Open, and checks
// that every sale a child was told had been recorded is in the journal
// exactly once, and every forwarding it was told of is there too.
func TestKill(t *testing.T) {
	if dir := os.Getenv(envKillDir); dir != "" {
		killChild(dir, os.Getenv(envKillRun))
		return
	}
	if testing.Short() {
		t.Skip("kills 200 children")
	}
	dir := t.TempDir()
	confirmed := map[string]int{} // key → how many times a child printed ok
	forwarded := map[string]bool{}
	start := time.Now()
	for run := range killRuns {
		lines := runAndKill(t, dir, run)
		for _, l := range lines {
			switch kind, key, _ := strings.Cut(l, " "); kind {
			case "ok":
				confirmed[key]++
			case "fwd":
				forwarded[key] = true
			case "ready":
			case "fail":
				t.Fatalf("run %d: child: %s", run, key)
			}
		}
	}
	elapsed := time.Since(start)

	j := mustOpen(t, dir)
	st := mustState(t, j)
	data, err := os.ReadFile(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	res := scan(data)
	saleRecords := map[string]int{}
	for _, r := range res.records {
		if r.rec.Kind == kindSale {
			saleRecords[r.rec.Sale.Key]++
		}
	}
	lost, doubled, unconfirmed := 0, 0, 0
	for key, n := range confirmed {
		if n > 1 {
			t.Errorf("key %s confirmed %d times", key, n)
		}
		if saleRecords[key] == 0 {
			lost++
			t.Errorf("sale %s was confirmed but is not in the journal", key)
		}
	}
	for key, n := range saleRecords {
		if n > 1 {
			doubled++
			t.Errorf("sale %s is in the journal %d times", key, n)
		}
		if confirmed[key] == 0 {
			unconfirmed++ // appended, killed before it said so: fine
		}
	}
	for key := range forwarded {
		if e := j.sales[key]; e == nil || !e.forwarded {
			t.Errorf("sale %s was confirmed forwarded but is not marked so", key)
		}
	}
	fwdInJournal := 0
	for _, e := range j.sales {
		if e.forwarded {
			fwdInJournal++
		}
	}
	if st.Forwarded != fwdInJournal || len(st.Pending)+st.Forwarded != len(saleRecords) {
		t.Errorf("state: %d pending + %d forwarded, journal has %d sales, %d forwarded", len(st.Pending), st.Forwarded, len(saleRecords), fwdInJournal)
	}

	// A kill can tear a record (a large write is cut short when the
	// signal lands between pages); each torn tail must have been saved
	// and reported, and nothing else may be damaged.
	bins, _ := filepath.Glob(filepath.Join(dir, damagedPref+"*"+damagedSuff))
	if len(st.Damaged) != len(bins) || res.torn != nil || len(res.damage) != 0 {
		t.Errorf("damage: %d reported %+v, %d saved files, torn %v, middle %v; want every saved torn tail reported and nothing else",
			len(st.Damaged), st.Damaged, len(bins), res.torn, res.damage)
	}
	// A kill inside Open, between saving a torn tail and noting it in the
	// journal, leaves a saved tail without its offset (reported as -1):
	// counted, not an error.
	unnoted := 0
	for _, d := range st.Damaged {
		if !strings.HasPrefix(filepath.Base(d.File), damagedPref) {
			t.Errorf("damage %+v is not a saved torn tail", d)
		}
		if d.Offset < 0 {
			unnoted++
		}
	}

	// And it reopens cleanly, to the same state.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	st2 := mustState(t, mustOpen(t, dir))
	if len(st2.Pending) != len(st.Pending) || st2.Forwarded != st.Forwarded || len(st2.Damaged) != len(st.Damaged) {
		t.Errorf("reopened: %d pending, %d forwarded, %d damaged; was %d, %d, %d",
			len(st2.Pending), st2.Forwarded, len(st2.Damaged), len(st.Pending), st.Forwarded, len(st.Damaged))
	}
	t.Logf("runs %d in %v; sales confirmed %d, forwardings confirmed %d, recorded but unconfirmed %d, lost %d, doubled %d, torn tails %d (%d without a noted offset); journal %d bytes, %d pending, %d forwarded",
		killRuns, elapsed.Round(time.Millisecond), len(confirmed), len(forwarded), unconfirmed, lost, doubled, len(bins), unnoted, len(data), len(st.Pending), st.Forwarded)
}

// runAndKill starts one child on the journal, kills it after a random
// 0–30 ms (counted from its start on every fourth run, so some kills land
// inside Open; otherwise from when it has opened the journal) and returns
// the lines it printed.
func runAndKill(t *testing.T, dir string, run int) []string {
	t.Helper()
	return killtest.Run(t, killtest.Child{Test: "TestKill",
		Env:      []string{envKillDir + "=" + dir, envKillRun + "=" + strconv.Itoa(run)},
		MaxDelay: 30 * time.Millisecond, FromStart: run%4 == 0, ReadyWithin: 20 * time.Second})
}

// killChild appends sales until it is killed, saying "ok <key>" only once
// Append has returned and "fwd <key>" once MarkForwarded has. Every fifth
// sale spans more than a page (about 4.5 KiB) so a kill can land inside its write.
func killChild(dir, run string) {
	say := func(format string, args ...any) {
		// One write per line: a line is either all there or not at all.
		os.Stdout.WriteString(fmt.Sprintf(format, args...) + "\n")
	}
	j, err := Open(dir)
	if err != nil {
		say("fail open: %v", err)
		os.Exit(1)
	}
	st, err := j.State()
	if err != nil {
		say("fail state: %v", err)
		os.Exit(1)
	}
	var pending []string
	for _, s := range st.Pending {
		pending = append(pending, s.Key)
	}
	say("ready")
	// The parent kills the child long before this; the deadline only stops
	// an orphan that outlived a crashed parent.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		key := fmt.Sprintf("r%s-%04d", run, i)
		lines := 1 + i%4
		if i%5 == 4 {
			lines = 30
		}
		if err := j.Append(smallSale(key, lines)); err != nil {
			say("fail append %s: %v", key, err)
			os.Exit(1)
		}
		say("ok %s", key)
		pending = append(pending, key)
		if i%2 == 1 && len(pending) > 0 {
			k := pending[0]
			pending = pending[1:]
			if err := j.MarkForwarded(k); err != nil {
				say("fail forward %s: %v", k, err)
				os.Exit(1)
			}
			say("fwd %s", k)
		}
	}
	os.Exit(0)
}
