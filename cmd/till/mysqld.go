package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// privateServer is a MariaDB (or MySQL) server that `till demo` starts for
// itself in a folder under the state directory, listening on 127.0.0.1 on a
// free port, and stops on exit.
type privateServer struct {
	dir      string
	cmd      *exec.Cmd
	done     chan error
	dsn      string // root on the server, no database
	stopOnce sync.Once
}

// findBinary looks a server program up in PATH and then where Debian and
// other systems install it (sbin is often not in a user's PATH).
func findBinary(names ...string) string {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	for _, d := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/libexec", "/usr/local/mysql/bin",
		"/opt/homebrew/bin", "/usr/local/bin"} {
		for _, n := range names {
			p := filepath.Join(d, n)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return p
			}
		}
	}
	return ""
}

// startPrivateServer initialises the data directory the first time and
// starts the server, waiting until it answers.
func startPrivateServer(ctx context.Context, dir string) (*privateServer, error) {
	server := findBinary("mariadbd", "mysqld")
	if server == "" {
		return nil, errors.New("no MariaDB or MySQL server is installed (mariadbd or mysqld): " +
			"install the mariadb-server package (make demo does) or set POS_DSN to a server")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("server directory: %w", err)
	}
	stopStale(dir)
	data := filepath.Join(dir, "data")
	asRoot := os.Geteuid() == 0
	if _, err := os.Stat(filepath.Join(data, "mysql")); err != nil {
		if err := initDataDir(ctx, server, data, asRoot); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, "mysqld.sock")
	if len(sock) > 100 { // a unix socket path must fit in 108 bytes
		sock = filepath.Join(os.TempDir(), fmt.Sprintf("till-mysqld-%d.sock", os.Getpid()))
	}
	args := []string{"--no-defaults", "--datadir=" + data, "--port=" + strconv.Itoa(port),
		"--socket=" + sock, "--skip-networking=0", "--bind-address=127.0.0.1",
		"--pid-file=" + filepath.Join(dir, "mysqld.pid"), "--log-error=" + filepath.Join(dir, "mysqld.err"),
		"--innodb-buffer-pool-size=64M"}
	if asRoot {
		args = append(args, "--user=root")
	}
	cmd := exec.Command(server, args...)
	// Its own process group: the cashier's ctrl+c and the terminal's
	// signals reach the till, which stops the server cleanly itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", server, err)
	}
	s := &privateServer{dir: dir, cmd: cmd, done: make(chan error, 1),
		dsn: fmt.Sprintf("root@tcp(127.0.0.1:%d)/", port)}
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitReady(ctx); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// initDataDir creates the system tables, with a root user that logs in
// without a password from this machine only (the server listens on
// 127.0.0.1 and is a throwaway training server).
func initDataDir(ctx context.Context, server, data string, asRoot bool) error {
	var cmd *exec.Cmd
	if install := findBinary("mariadb-install-db", "mysql_install_db"); install != "" && isMariaDB(server) {
		args := []string{"--no-defaults", "--auth-root-authentication-method=normal", "--datadir=" + data,
			"--skip-test-db"}
		if asRoot {
			args = append(args, "--user=root")
		}
		cmd = exec.CommandContext(ctx, install, args...)
	} else {
		args := []string{"--no-defaults", "--initialize-insecure", "--datadir=" + data}
		if asRoot {
			args = append(args, "--user=root")
		}
		cmd = exec.CommandContext(ctx, server, args...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		os.RemoveAll(data) // half made: start over next time
		return fmt.Errorf("initialise the training server (%s): %w\n%s", cmd.Path, err, tail(out.String(), 20))
	}
	return nil
}

func isMariaDB(server string) bool {
	if strings.Contains(filepath.Base(server), "mariadb") {
		return true
	}
	out, _ := exec.Command(server, "--version").Output()
	return strings.Contains(strings.ToLower(string(out)), "mariadb")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady pings the server until it answers, it exits or a minute passes.
func (s *privateServer) waitReady(ctx context.Context) error {
	db, err := sql.Open("mysql", s.dsn+"?timeout=1s")
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(time.Minute)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err = db.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case werr := <-s.done:
			s.done <- werr
			return fmt.Errorf("the training server stopped at start (%v); its log:\n%s", werr, s.errLog())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the training server did not answer within a minute: %w\n%s", err, s.errLog())
		}
	}
}

func (s *privateServer) errLog() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "mysqld.err"))
	return tail(string(b), 15)
}

// stop shuts the server down cleanly (SIGTERM), killing it if it takes
// more than 30 seconds.
func (s *privateServer) stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// stopStale stops a server a previous demo left running on the same data
// directory (the till was killed): two servers cannot share it.
func stopStale(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "mysqld.pid"))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	p, err := os.FindProcess(pid)
	if err != nil || p.Signal(syscall.Signal(0)) != nil {
		return
	}
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if exe != "" && !strings.Contains(exe, "mysqld") && !strings.Contains(exe, "mariadbd") {
		return // the pid was reused by something else
	}
	_ = p.Signal(syscall.SIGTERM)
	for range 150 {
		if p.Signal(syscall.Signal(0)) != nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// serverDSN is dsn without its database name; ok is false if it is not a
// valid DSN.
func serverDSN(dsn string) (string, bool) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", false
	}
	cfg.DBName = ""
	return cfg.FormatDSN(), true
}

// withDatabase names a database in a server DSN.
func withDatabase(dsn, name string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", err
	}
	cfg.DBName = name
	return cfg.FormatDSN(), nil
}
