package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// privateServer is a MariaDB (or MySQL) server that `till demo` starts for
// itself in a folder under the state directory, and stops on exit. It does
// not listen on the network (skip-networking): it is reached only through a
// unix socket in that private (0700) folder, so its password-less root is
// the till's user's alone. It cannot outlive the till: the kernel kills it
// when the till ends, however the till ends (see startTied).
type privateServer struct {
	dir      string
	cmd      *exec.Cmd
	done     chan error
	dsn      string // root on the server, no database
	sockDir  string // a private folder made for the socket, removed on stop ("" if none)
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

// findServer is the MariaDB or MySQL server program, or "".
func findServer() string { return findBinary("mariadbd", "mysqld") }

// noServerError says what to do when no server program is installed: what
// to install, who can, or how to use a server that exists.
func noServerError(root bool) error {
	if root {
		return errors.New("no MariaDB or MySQL server is installed (mariadbd or mysqld). Install one with\n" +
			"    apt-get install --no-install-recommends mariadb-server\n" +
			"(make demo does), or train on a server you have: POS_ADMIN_DSN='user:password@tcp(host:3306)/' till demo")
	}
	return errors.New("no MariaDB or MySQL server is installed (mariadbd or mysqld), and installing one needs an administrator.\n" +
		"Ask one to run:\n" +
		"    sudo apt-get install --no-install-recommends mariadb-server\n" +
		"Or train on a server you may use (the user needs to create the database till_training):\n" +
		"    POS_ADMIN_DSN='user:password@tcp(host:3306)/' till demo")
}

// startPrivateServer initialises the data directory the first time and
// starts the server, waiting until it answers.
func startPrivateServer(ctx context.Context, dir string) (*privateServer, error) {
	server := findServer()
	if server == "" {
		return nil, noServerError(os.Geteuid() == 0)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("server directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil { // made by an older till, perhaps more open
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
	s := &privateServer{dir: dir, done: make(chan error, 1)}
	sock := filepath.Join(dir, "mysqld.sock")
	if len(sock) > 100 { // a unix socket path must fit in 108 bytes
		d, err := os.MkdirTemp("", "till-mysqld-") // 0700, like dir
		if err != nil {
			return nil, fmt.Errorf("socket directory: %w", err)
		}
		s.sockDir, sock = d, filepath.Join(d, "mysqld.sock")
	}
	s.dsn = fmt.Sprintf("root@unix(%s)/", sock)
	args := []string{"--no-defaults", "--datadir=" + data, "--skip-networking", "--socket=" + sock,
		"--pid-file=" + filepath.Join(dir, "mysqld.pid"), "--log-error=" + filepath.Join(dir, "mysqld.err"),
		"--innodb-buffer-pool-size=64M"}
	if asRoot {
		args = append(args, "--user=root")
	}
	s.cmd = exec.Command(server, args...)
	if err := startTied(s.cmd, s.done); err != nil {
		s.removeSockDir()
		return nil, fmt.Errorf("start %s: %w", server, err)
	}
	if err := s.waitReady(ctx); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// startTied starts cmd in its own process group (the terminal's ctrl+c and
// hang-up reach the till, which stops the server cleanly itself) and ties
// its life to the till's: the kernel sends it SIGKILL when the thread that
// started it ends (Pdeathsig). That thread is locked to a goroutine that
// waits for the server and never gives the thread back, so it ends only
// when the server has ended or the till's process has (kill -9, a crash).
// done receives cmd.Wait's result.
func startTied(cmd *exec.Cmd, done chan<- error) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with this goroutine
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		done <- cmd.Wait()
	}()
	return <-started
}

// initDataDir creates the system tables, with a root user that logs in
// without a password: the server is reached only through its socket in the
// till's private folder, and is a throwaway training server.
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
		return fmt.Errorf("initialise the training server (%s): %w\n%s", cmd.Path, err, errorLines(out.String(), 20))
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
		s.removeSockDir()
	})
}

func (s *privateServer) removeSockDir() {
	if s.sockDir != "" {
		os.RemoveAll(s.sockDir)
	}
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

// errorLines is the lines of s that report an error, or its last n lines
// when none does.
func errorLines(s string, n int) string {
	var errs []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(strings.ToLower(l), "error") {
			errs = append(errs, l)
		}
	}
	if len(errs) == 0 {
		return tail(s, n)
	}
	return tail(strings.Join(errs, "\n"), n)
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
