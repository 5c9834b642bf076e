package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/till-pos/till/store/storetest"
)

// privateServer is a throwaway MariaDB that one test starts for itself,
// for what must not touch the shared server: global settings such as
// read_only, and TLS. It is stopped and deleted at cleanup.
type privateServer struct {
	Addr string  // 127.0.0.1:port, for the till
	Root *sql.DB // root, over the unix socket (secure transport even when TLS is required)
	dir  string
}

// lookTool finds a program on PATH or in the usual system folders.
func lookTool(names ...string) string {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
		for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/bin"} {
			if p := filepath.Join(dir, n); isExecutable(p) {
				return p
			}
		}
	}
	return ""
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// freePort asks the kernel for a loopback port that is free right now.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startMariaDB installs a fresh data folder and starts mariadbd on a free
// loopback port with extra server options (TLS files, say), as the commands
// in .ci/with-mysql do.
func startMariaDB(tb testing.TB, extra ...string) *privateServer {
	tb.Helper()
	server := lookTool("mariadbd", "mysqld")
	install := lookTool("mariadb-install-db", "mysql_install_db")
	if server == "" || install == "" {
		storetest.Missing(tb, "no mariadbd / mariadb-install-db installed; run bash .ci/ensure-packages")
	}
	dir := tb.TempDir()
	var userArgs []string
	if os.Geteuid() == 0 {
		userArgs = []string{"--user=root"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"--no-defaults", "--auth-root-authentication-method=normal",
		"--datadir=" + filepath.Join(dir, "data")}, userArgs...)
	if out, err := exec.CommandContext(ctx, install, args...).CombinedOutput(); err != nil {
		tb.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	port := freePort(tb)
	logPath := filepath.Join(dir, "mysqld.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	args = append([]string{"--no-defaults", "--datadir=" + filepath.Join(dir, "data"),
		fmt.Sprintf("--port=%d", port), "--bind-address=127.0.0.1",
		"--socket=" + filepath.Join(dir, "mysqld.sock"), "--pid-file=" + filepath.Join(dir, "mysqld.pid"),
		"--skip-log-bin", "--max-connections=300", "--innodb-buffer-pool-size=64M"}, userArgs...)
	cmd := exec.Command(server, append(args, extra...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", server, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s := &privateServer{Addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir}
	tb.Cleanup(func() {
		if s.Root != nil {
			s.Root.Close()
		}
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
	})
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", s.socket()
	for i := 0; ; i++ {
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			tb.Fatalf("mariadbd exited at start:\n%s", log)
		default:
		}
		db, err := sql.Open("mysql", cfg.FormatDSN())
		if err == nil {
			if err = db.PingContext(ctx); err == nil {
				s.Root = db
				s.dropAnonymousUsers(tb)
				return s
			}
			db.Close()
		}
		if i >= 240 {
			log, _ := os.ReadFile(logPath)
			tb.Fatalf("mariadbd did not answer on %s: %v\n%s", s.Addr, err, log)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// DSN is root's DSN for this server (no database), over the socket.
func (s *privateServer) DSN() string { return "root@unix(" + s.socket() + ")/" }

func (s *privateServer) socket() string { return filepath.Join(s.dir, "mysqld.sock") }

// Log is the server's log so far (for failure messages).
func (s *privateServer) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "mysqld.log"))
	return strings.TrimSpace(string(b))
}

// dropAnonymousUsers removes the anonymous accounts (empty user name) a
// fresh data folder has for localhost, which would otherwise win over a
// test's user@'%' for local connections.
func (s *privateServer) dropAnonymousUsers(tb testing.TB) {
	tb.Helper()
	rows, err := s.Root.Query(`SELECT Host FROM mysql.user WHERE User = ''`)
	if err != nil {
		tb.Fatal(err)
	}
	var hosts []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			tb.Fatal(err)
		}
		hosts = append(hosts, h)
	}
	rows.Close()
	for _, h := range hosts {
		if _, err := s.Root.Exec("DROP USER ''@'" + strings.ReplaceAll(h, "'", "''") + "'"); err != nil {
			tb.Fatal(err)
		}
	}
}
