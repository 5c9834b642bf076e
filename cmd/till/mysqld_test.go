package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/till-pos/till/store/storetest"
)

// TestPrivateServerDiesWithTheTill starts the private training server from
// a helper process standing in for the till, kills that process with
// SIGKILL (no clean exit, as when a terminal is closed on a frozen till or
// the OOM killer strikes), and checks that the server goes too. While it
// runs, the server must not be on the network: its password-less root is
// reached only through the socket in the till's private folder.
func TestPrivateServerDiesWithTheTill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a database server")
	}
	if findServer() == "" {
		storetest.Missing(t, "no mariadbd or mysqld installed")
	}
	dir := filepath.Join(t.TempDir(), "mysql")
	helper := exec.Command(os.Args[0]) // see TestMain
	helper.Env = append(os.Environ(), "TILL_TEST_PRIVATE_SERVER="+dir)
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	helper.Stderr = os.Stderr
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer helper.Process.Kill()
	var serverPID int
	var dsn string
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if f := strings.Fields(lines.Text()); len(f) == 3 && f[0] == "ready" {
			serverPID, _ = strconv.Atoi(f[1])
			dsn = f[2]
			break
		}
	}
	if serverPID == 0 {
		helper.Wait()
		t.Fatalf("the helper did not start a server")
	}
	defer syscall.Kill(serverPID, syscall.SIGKILL) // if the test fails

	// Not on the network, and its folder is the till's user's alone.
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	var skip int
	if err := db.QueryRow("SELECT @@skip_networking").Scan(&skip); err != nil || skip != 1 {
		t.Errorf("skip_networking: got %d, %v; want 1", skip, err)
	}
	db.Close()
	if !strings.HasPrefix(dsn, "root@unix(") {
		t.Errorf("the server's DSN %q is not a unix socket", dsn)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("the server's folder: %v, %v; want mode 0700", st.Mode().Perm(), err)
	}
	args, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", serverPID))
	if !strings.Contains(string(args), "--skip-networking") {
		t.Errorf("the server runs without --skip-networking: %q", args)
	}

	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	helper.Wait()
	if !gone(serverPID, 10*time.Second) {
		t.Fatalf("the private server (pid %d) outlived the till killed with SIGKILL", serverPID)
	}
}

// TestMain lets the test binary stand in for the till in
// TestPrivateServerDiesWithTheTill: with TILL_TEST_PRIVATE_SERVER set, it
// starts the private server in that folder, says so, and waits to be killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("TILL_TEST_PRIVATE_SERVER"); dir != "" {
		s, err := startPrivateServer(context.Background(), dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "start:", err)
			os.Exit(1)
		}
		fmt.Printf("ready %d %s\n", s.cmd.Process.Pid, s.dsn)
		time.Sleep(2 * time.Minute)
		s.stop()
		os.Exit(0)
	}
	os.Exit(m.Run())
}
