package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/go-sql-driver/mysql"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// rotatingSecret plays IAM: a credential that changes, handed out per
// connection and counted.
type rotatingSecret struct {
	mu      sync.Mutex
	current string
	asked   []string // addr/user of each call
}

func (r *rotatingSecret) set(s string) {
	r.mu.Lock()
	r.current = s
	r.mu.Unlock()
}

func (r *rotatingSecret) password(_ context.Context, addr, user string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, addr+" "+user)
	return r.current, nil
}

func (r *rotatingSecret) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.asked)
}

// TestCredentialPerConnection proves the BeforeConnect hook asks for a new
// credential for every new physical connection: the server's password for
// the till's user is changed between connections, and a new connection
// signs in with the new one while a pooled connection made with the old
// one keeps working, as with IAM tokens that expire after 15 minutes.
func TestCredentialPerConnection(t *testing.T) {
	d := storetest.NewDatabase(t)
	ctx := context.Background()
	b := make([]byte, 5)
	rand.Read(b)
	user := "till_iam_" + hex.EncodeToString(b)
	// Both host forms, so a server's anonymous ''@localhost account cannot
	// take the connection.
	hosts := []string{"localhost", "127.0.0.1", "%"}
	alter := func(verb, password string) {
		t.Helper()
		for _, h := range hosts {
			if _, err := d.Admin.ExecContext(ctx, fmt.Sprintf("%s '%s'@'%s' IDENTIFIED BY '%s'", verb, user, h, password)); err != nil {
				t.Fatal(err)
			}
		}
	}
	alter("CREATE USER", "first-secret")
	t.Cleanup(func() {
		for _, h := range hosts {
			d.Admin.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%s'", user, h))
		}
	})
	for _, h := range hosts {
		if _, err := d.Admin.ExecContext(ctx, fmt.Sprintf("GRANT SELECT ON `%s`.* TO '%s'@'%s'", d.Name, user, h)); err != nil {
			t.Fatal(err)
		}
	}
	server, err := mysql.ParseDSN(d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if server.Net != "tcp" {
		storetest.Missing(t, "the test server is on %s; this test signs in over TCP (set POS_TEST_DSN to a tcp address)", server.Net)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = user, "tcp", server.Addr, d.Name
	secret := &rotatingSecret{current: "first-secret"}
	db, err := store.Open(ctx, store.Config{WriterDSN: cfg.FormatDSN(), Password: secret.password, MaxOpen: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	old, err := db.Writer().Conn(ctx) // the connection Open made, signed in with the first secret
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if got := secret.calls(); got != 1 {
		t.Fatalf("credential asked %d times for one connection, want 1", got)
	}

	alter("ALTER USER", "second-secret")
	secret.set("second-secret")
	fresh, err := db.Writer().Conn(ctx) // the pool must dial: old is taken
	if err != nil {
		t.Fatalf("a new connection after the secret changed: %v", err)
	}
	defer fresh.Close()
	if got := secret.calls(); got != 2 {
		t.Errorf("credential asked %d times for two connections, want 2", got)
	}
	var n int
	if err := fresh.QueryRowContext(ctx, "SELECT COUNT(*) FROM inventory").Scan(&n); err != nil {
		t.Errorf("query on the new connection: %v", err)
	}
	if err := old.QueryRowContext(ctx, "SELECT COUNT(*) FROM inventory").Scan(&n); err != nil {
		t.Errorf("the pooled connection made with the old secret stopped working: %v", err)
	}

	// The server really checks: a stale secret no longer signs in.
	secret.set("first-secret")
	stale, err := db.Writer().Conn(ctx)
	if err == nil {
		stale.Close()
		t.Errorf("a connection with the old secret signed in; the test cannot tell new credentials from old")
	} else if !strings.Contains(err.Error(), "1045") {
		t.Errorf("stale secret: got %v, want access denied (1045)", err)
	}
	secret.mu.Lock()
	defer secret.mu.Unlock()
	for _, a := range secret.asked {
		if want := server.Addr + " " + user; a != want {
			t.Errorf("credential asked for %q, want %q", a, want)
		}
	}
}

// TestIAMToken builds a real IAM auth token with made-up static keys (no
// network: signing is local) and checks it is the signed connect request
// Aurora expects, for the endpoint and user of the connection, and that it
// never ends up in the DSN.
func TestIAMToken(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLETILL", "not-a-real-secret", "")
	build := store.IAMToken("eu-west-1", creds)
	tok, err := build(context.Background(), "db.cluster-abc.eu-west-1.rds.amazonaws.com:3306", "pos_till")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"db.cluster-abc.eu-west-1.rds.amazonaws.com:3306?Action=connect",
		"DBUser=pos_till", "X-Amz-Credential=AKIDEXAMPLETILL%2F", "eu-west-1%2Frds-db%2Faws4_request",
		"X-Amz-Expires=900", "X-Amz-Signature="} {
		if !strings.Contains(tok, want) {
			t.Errorf("token %q lacks %q", tok, want)
		}
	}
	if strings.Contains(tok, "not-a-real-secret") {
		t.Error("the token carries the secret key")
	}
	mc, err := store.DriverConfig("pos_till@tcp(db.cluster-abc.eu-west-1.rds.amazonaws.com:3306)/till?tls=true",
		store.Config{IAMRegion: "eu-west-1", Password: build})
	if err != nil {
		t.Fatal(err)
	}
	if dsn := mc.FormatDSN(); strings.Contains(dsn, "X-Amz") || mc.Passwd != "" {
		t.Errorf("the DSN %q carries a token", dsn)
	}
	// Two connections a second apart get two different tokens.
	time.Sleep(1100 * time.Millisecond)
	tok2, err := build(context.Background(), "db.cluster-abc.eu-west-1.rds.amazonaws.com:3306", "pos_till")
	if err != nil {
		t.Fatal(err)
	}
	if tok2 == tok {
		t.Error("two tokens a second apart are the same; want a fresh one per connection")
	}
}
