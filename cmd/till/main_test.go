package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/till-pos/till/store/storetest"
)

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		out, errOut, code := runTill(t, nil, args...)
		if code != 0 || errOut != "" {
			t.Errorf("till %s: exit %d, stderr %q; want 0 and help on stdout", args[0], code, errOut)
		}
		for _, want := range []string{"open the cashier screen", "till demo", "Examples:", "POS_DSN", "--dsn",
			"POS_STORE_ID", "XDG_STATE_HOME", "SIGTERM"} {
			if !strings.Contains(out, want) {
				t.Errorf("till %s does not say %q:\n%s", args[0], want, out)
			}
		}
	}
}

func TestDemoHelp(t *testing.T) {
	for _, args := range [][]string{{"demo", "--help"}, {"help", "demo"}, {"demo", "-h"}} {
		out, errOut, code := runTill(t, nil, args...)
		if code != 0 || errOut != "" {
			t.Errorf("till %s: exit %d, stderr %q; want 0 and help on stdout", strings.Join(args, " "), code, errOut)
		}
		for _, want := range []string{"Training mode", "private MariaDB", "trainer-sheet.txt", "nothing", "-currency"} {
			if !strings.Contains(out, want) {
				t.Errorf("till demo --help does not say %q:\n%s", want, out)
			}
		}
		for _, prod := range []string{"-dsn", "-reader-dsn", "-db-ca", "-db-iam-region", "-db-insecure", "-admin-dsn"} {
			if strings.Contains(out, "  "+prod+" ") {
				t.Errorf("till demo --help lists the production flag %s:\n%s", prod, out)
			}
		}
	}
}

func TestCommandHelpGoesToStdout(t *testing.T) {
	out, errOut, code := runTill(t, nil, "migrate", "--help")
	if code != 0 || errOut != "" || !strings.Contains(out, "-admin-dsn") {
		t.Errorf("till migrate --help: exit %d, stdout %q, stderr %q; want 0 and the flags on stdout", code, out, errOut)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, errOut, code := runTill(t, nil, args...)
		if code != 0 || errOut != "" {
			t.Errorf("till %s: exit %d, stderr %q", args[0], code, errOut)
		}
		if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "till ") || !strings.Contains(out, "commit") {
			t.Errorf("till %s: got %q, want one line with the version and commit", args[0], out)
		}
	}
}

func TestUnknownFlagIsReportedOnce(t *testing.T) {
	_, errOut, code := runTill(t, nil, "--nope")
	if code != 2 || strings.Count(errOut, "-nope") != 1 {
		t.Errorf("till --nope: exit %d, stderr:\n%s\nwant 2 and the error once", code, errOut)
	}
}

func TestNothingConfiguredSuggestsDemo(t *testing.T) {
	_, errOut, code := runTill(t, nil)
	if code != 2 || !strings.Contains(errOut, "POS_DSN") || !strings.Contains(errOut, "till demo") {
		t.Errorf("till with nothing set: exit %d, stderr %q; want 2, POS_DSN and till demo", code, errOut)
	}
}

// TestNoServerSaysWhatToDo: a user who cannot install the server is told
// the command to ask an administrator for, and how to use a server there is.
func TestNoServerSaysWhatToDo(t *testing.T) {
	user := noServerError(false).Error()
	for _, want := range []string{"administrator", "sudo apt-get install --no-install-recommends mariadb-server", "POS_ADMIN_DSN="} {
		if !strings.Contains(user, want) {
			t.Errorf("a user is not told %q:\n%s", want, user)
		}
	}
	if strings.Contains(user, "make demo does") {
		t.Errorf("a user is told make demo installs it, which it cannot:\n%s", user)
	}
	root := noServerError(true).Error()
	if !strings.Contains(root, "apt-get install --no-install-recommends mariadb-server") {
		t.Errorf("root is not told what to install:\n%s", root)
	}
}

// TestDemoMakesTheStateDirectory: on a new account, with a server
// configured that answers (so no private server makes the folder), the
// state directory is made, private, before anything is written there. The
// configured user may not create the training database, so the demo stops
// right after.
func TestDemoMakesTheStateDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a database server")
	}
	if findServer() == "" {
		storetest.Missing(t, "no mariadbd or mysqld installed")
	}
	ctx := context.Background()
	s, err := startPrivateServer(ctx, filepath.Join(t.TempDir(), "mysql"))
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer s.stop()
	db, err := sql.Open("mysql", s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE USER 'nobody'@'localhost'"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	state := filepath.Join(t.TempDir(), "new-account", ".local", "state")
	env := map[string]string{"XDG_STATE_HOME": state, "HOME": t.TempDir(),
		"POS_ADMIN_DSN": strings.Replace(s.dsn, "root@", "nobody@", 1)}
	var out, errb strings.Builder
	start := time.Now()
	code := run(ctx, []string{"demo"}, &out, &errb, func(k string) string { return env[k] })
	if code == 0 || !strings.Contains(errb.String(), "using the MySQL server") || strings.Contains(errb.String(), "no such file") {
		t.Errorf("till demo as a user who may not create the database: exit %d, stderr:\n%s\nwant a failure to prepare it", code, errb.String())
	}
	t.Logf("till demo took %s:\n%s", time.Since(start).Round(time.Millisecond), errb.String())
	st, err := os.Stat(filepath.Join(state, "till"))
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("state directory: %v; want it made with mode 0700", err)
	}
}
