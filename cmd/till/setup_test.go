package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/till-pos/till/store/storetest"
)

// TestEnsurePackages runs .ci/ensure-packages, the set-up `make test` and
// `make demo` run first, on a made-up machine: a PATH of fake programs
// (apt-get, sudo and id record how they were called) and an empty file
// system root, so nothing is installed and nothing of this machine shows.
func TestEnsurePackages(t *testing.T) {
	script, err := filepath.Abs("../../.ci/ensure-packages")
	if err != nil {
		t.Fatal(err)
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		storetest.Missing(t, "no bash: the script is bash, and a machine without it cannot run make test either")
		return
	}
	const everything = "mariadb-server gcc libc6-dev tmux poppler-utils zbar-tools"
	tests := []struct {
		name       string
		mode       string
		uid        string            // what id -u says
		sudo       string            // "" none, "ok" runs without a password, "password" needs one
		have       []string          // programs on PATH
		headers    bool              // /usr/include/stdlib.h exists
		env        map[string]string // more environment
		wantCode   int
		wantApt    string // apt-get's calls, one a line
		wantSudo   string // sudo's calls
		wantStderr []string
	}{
		{name: "fresh Debian as root: gcc and the C headers too", mode: "all", uid: "0",
			wantApt: "update -qq\ninstall -y --no-install-recommends " + everything + " -qq\n"},
		{name: "all there", mode: "all", uid: "0", have: []string{"mariadbd", "gcc", "tmux", "pdftotext", "zbarimg"}, headers: true},
		{name: "only gcc missing", mode: "all", uid: "0", have: []string{"mariadbd", "tmux", "pdftotext", "zbarimg"}, headers: true,
			wantApt: "update -qq\ninstall -y --no-install-recommends gcc -qq\n"},
		{name: "CC names another compiler", mode: "all", uid: "0", have: []string{"mariadbd", "clang", "tmux", "pdftotext", "zbarimg"},
			headers: true, env: map[string]string{"CC": "clang"}},
		{name: "tests on a given server need no server package", mode: "all", uid: "0",
			have: []string{"gcc", "tmux", "pdftotext", "zbarimg"}, headers: true, env: map[string]string{"POS_TEST_DSN": "root@tcp(db:3306)/"}},
		{name: "demo: only the server", mode: "mariadb", uid: "0",
			wantApt: "update -qq\ninstall -y --no-install-recommends mariadb-server -qq\n"},
		{name: "demo on a configured server installs nothing", mode: "mariadb", uid: "1000",
			env: map[string]string{"POS_DSN": "u:p@tcp(db:3306)/"}},
		{name: "user with sudo", mode: "all", uid: "1000", sudo: "ok",
			wantSudo: "-n true\napt-get update -qq\napt-get install -y --no-install-recommends " + everything + " -qq\n",
			wantApt:  "update -qq\ninstall -y --no-install-recommends " + everything + " -qq\n"},
		{name: "user whose sudo wants a password, under CI: no prompt, the command to ask for", mode: "all", uid: "1000", sudo: "password",
			env: map[string]string{"CI": "true"}, wantCode: 1, wantSudo: "-n true\n",
			wantStderr: []string{"ask an administrator", "sudo apt-get install -y --no-install-recommends " + everything, "POS_TEST_DSN="}},
		{name: "user without sudo, tests on a developer's machine: the advice, then on without them", mode: "all", uid: "1000",
			wantStderr: []string{"ask an administrator", "sudo apt-get install -y --no-install-recommends " + everything,
				"going on without them"}},
		{name: "user without sudo, demo", mode: "mariadb", uid: "1000", wantCode: 1,
			wantStderr: []string{"ask an administrator", "sudo apt-get install -y --no-install-recommends mariadb-server",
				"POS_ADMIN_DSN='user:password@tcp(host:3306)/' make demo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			bin, root := filepath.Join(dir, "bin"), filepath.Join(dir, "root")
			for _, d := range []string{bin, filepath.Join(root, "usr", "include")} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if tt.headers {
				writeFile(t, filepath.Join(root, "usr", "include", "stdlib.h"), "", 0o644)
			}
			fake := func(name, body string) {
				writeFile(t, filepath.Join(bin, name), "#!/bin/sh\n"+body+"\n", 0o755)
			}
			aptLog, sudoLog := filepath.Join(dir, "apt.log"), filepath.Join(dir, "sudo.log")
			fake("apt-get", `echo "$*" >>`+aptLog)
			fake("id", "echo "+tt.uid)
			switch tt.sudo {
			case "ok":
				fake("sudo", `echo "$*" >>`+sudoLog+`; [ "$1" = -n ] && exit 0; exec "$@"`)
			case "password":
				fake("sudo", `echo "$*" >>`+sudoLog+`; [ "$1" = -n ] && { echo "sudo: a password is required" >&2; exit 1; }; echo PROMPTED >>`+sudoLog+`; exit 1`)
			}
			for _, p := range tt.have {
				fake(p, "exit 0")
			}
			cmd := exec.Command(bash, script, tt.mode)
			cmd.Env = []string{"PATH=" + bin, "ENSURE_PACKAGES_ROOT=" + root}
			for k, v := range tt.env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := cmd.ProcessState.ExitCode()
			if err != nil && code < 0 {
				t.Fatalf("run: %v", err)
			}
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if got := readOrEmpty(aptLog); got != tt.wantApt {
				t.Errorf("apt-get was called with:\n%q\nwant:\n%q", got, tt.wantApt)
			}
			if got := readOrEmpty(sudoLog); got != tt.wantSudo {
				t.Errorf("sudo was called with:\n%q\nwant:\n%q", got, tt.wantSudo)
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

func writeFile(t *testing.T, path, body string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
}

func readOrEmpty(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
