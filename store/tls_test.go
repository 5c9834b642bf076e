package store_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/store"
	"github.com/till-pos/till/store/storetest"
)

// TestTransportRules checks the settings refused before anything is
// dialled: a remote host without verified TLS, a cleartext password (IAM's
// token) without TLS, a token baked into a DSN.
func TestTransportRules(t *testing.T) {
	dir := t.TempDir()
	ca, _ := newCA(t, "rules CA")
	caFile := writePEM(t, dir, "ca.pem", "CERTIFICATE", ca.Raw)
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	token := func(context.Context, string, string) (string, error) { return "token", nil }

	cases := []struct {
		name    string
		dsn     string
		cfg     store.Config
		refused string // a piece of the message; "" when allowed
	}{
		{"loopback, plain", "till:pw@tcp(127.0.0.1:3306)/till", store.Config{}, ""},
		{"localhost, plain", "till:pw@tcp(localhost:3306)/till", store.Config{}, ""},
		{"IPv6 loopback, plain", "till:pw@tcp([::1]:3306)/till", store.Config{}, ""},
		{"unix socket", "till:pw@unix(/run/mysqld/mysqld.sock)/till", store.Config{}, ""},
		{"remote, plain", "till:pw@tcp(10.0.0.1:3306)/till", store.Config{}, "not on this machine"},
		{"remote name, plain", "till:pw@tcp(db.cluster-abc.eu-west-1.rds.amazonaws.com:3306)/till", store.Config{}, "POS_DB_CA"},
		{"remote, plain, insecure flag", "till:pw@tcp(10.0.0.1:3306)/till", store.Config{Insecure: true}, ""},
		{"remote, CA bundle", "till:pw@tcp(10.0.0.1:3306)/till", store.Config{CAFile: caFile}, ""},
		{"remote, tls=true (system roots)", "till:pw@tcp(10.0.0.1:3306)/till?tls=true", store.Config{}, ""},
		{"remote, tls=skip-verify", "till:pw@tcp(10.0.0.1:3306)/till?tls=skip-verify", store.Config{}, "not on this machine"},
		{"remote, tls=preferred", "till:pw@tcp(10.0.0.1:3306)/till?tls=preferred", store.Config{}, "not on this machine"},
		{"IAM, no TLS, loopback", "till@tcp(127.0.0.1:3306)/till", store.Config{IAMRegion: "eu-west-1", Password: token}, "refused without TLS"},
		{"IAM, no TLS, insecure flag", "till@tcp(10.0.0.1:3306)/till", store.Config{IAMRegion: "eu-west-1", Password: token, Insecure: true}, "refused without TLS"},
		{"IAM, TLS may fall back to plain", "till@tcp(127.0.0.1:3306)/till?tls=preferred", store.Config{IAMRegion: "eu-west-1", Password: token, Insecure: true}, "refused without TLS"},
		{"IAM, unverified TLS", "till@tcp(127.0.0.1:3306)/till?tls=skip-verify", store.Config{IAMRegion: "eu-west-1", Password: token}, "does not check the server"},
		{"IAM, unverified TLS, insecure flag", "till@tcp(127.0.0.1:3306)/till?tls=skip-verify", store.Config{IAMRegion: "eu-west-1", Password: token, Insecure: true}, ""},
		{"IAM, CA bundle", "till@tcp(db.example.com:3306)/till", store.Config{IAMRegion: "eu-west-1", Password: token, CAFile: caFile}, ""},
		{"IAM, password in the DSN", "till:secret@tcp(db.example.com:3306)/till", store.Config{IAMRegion: "eu-west-1", Password: token, CAFile: caFile}, "must not carry a password"},
		{"cleartext password in the DSN, plain", "till:pw@tcp(127.0.0.1:3306)/till?allowCleartextPasswords=true", store.Config{}, "refused without TLS"},
		{"a registered TLS config name", "till:pw@tcp(127.0.0.1:3306)/till?tls=custom", store.Config{}, "not valid"},
		{"CA bundle that is not PEM", "till:pw@tcp(10.0.0.1:3306)/till", store.Config{CAFile: notPEM}, "no PEM certificate"},
		{"CA bundle missing", "till:pw@tcp(10.0.0.1:3306)/till", store.Config{CAFile: filepath.Join(dir, "missing.pem")}, "cannot read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mc, err := store.DriverConfig(tc.dsn, tc.cfg)
			if tc.refused == "" {
				if err != nil {
					t.Fatalf("got %v, want allowed", err)
				}
				if tc.cfg.IAMRegion != "" && (mc.Passwd != "" || !mc.AllowCleartextPasswords) {
					t.Errorf("IAM: got password %q and cleartext %v, want no password in the config and cleartext on",
						mc.Passwd, mc.AllowCleartextPasswords)
				}
				return
			}
			if pos.ErrorCode(err) != pos.EInvalid || !strings.Contains(pos.ErrorMessage(err), tc.refused) {
				t.Errorf("got %v, want invalid: …%s…", err, tc.refused)
			}
		})
	}

	// Refused before any dial: Open never calls the dialler.
	var dials atomic.Int64
	_, err := store.Open(context.Background(), store.Config{WriterDSN: "till:pw@tcp(10.0.0.1:3306)/till",
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return nil, os.ErrPermission
		}})
	if pos.ErrorCode(err) != pos.EInvalid {
		t.Errorf("open a plain remote address: got %v, want invalid", err)
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("open a plain remote address: dialled %d times, want 0", n)
	}
}

// TestTLS starts a private MariaDB that requires TLS, with a CA and
// certificate made here, and connects as the till's user: verified against
// the right CA it works (and the session is encrypted); against another CA
// it is refused with a message naming POS_DB_CA; without TLS the server
// refuses it (require_secure_transport, as the README asks of Aurora).
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCA(t, "till test CA")
	other, _ := newCA(t, "some other CA")
	certDER, keyDER := newServerCert(t, ca, caKey)
	caFile := writePEM(t, dir, "ca.pem", "CERTIFICATE", ca.Raw)
	otherFile := writePEM(t, dir, "other-ca.pem", "CERTIFICATE", other.Raw)
	certFile := writePEM(t, dir, "server.pem", "CERTIFICATE", certDER)
	keyFile := writePEM(t, dir, "server-key.pem", "PRIVATE KEY", keyDER)

	srv := startMariaDB(t, "--ssl-ca="+caFile, "--ssl-cert="+certFile, "--ssl-key="+keyFile,
		"--require-secure-transport=ON")
	t.Setenv("POS_TEST_DSN", srv.DSN())
	d := storetest.NewDatabase(t)
	ctx := context.Background()
	const user, password = "till_tls", "till-tls-test-password"
	if err := store.ApplyGrants(ctx, d.Admin, store.GrantOptions{Database: d.Name, User: user, Host: "%", Password: password}); err != nil {
		t.Fatal(err)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = user, "tcp", srv.Addr, d.Name
	cfg.Passwd = password
	dsn := cfg.FormatDSN()
	cfg.Passwd = ""
	dsnNoPassword := cfg.FormatDSN()

	t.Run("verified against the CA", func(t *testing.T) {
		db, err := store.Open(ctx, store.Config{WriterDSN: dsn, CAFile: caFile})
		if err != nil {
			t.Fatalf("got %v\nserver log:\n%s", err, srv.Log())
		}
		defer db.Close()
		var name, cipher string
		if err := db.Writer().QueryRow(`SHOW SESSION STATUS LIKE 'Ssl_cipher'`).Scan(&name, &cipher); err != nil {
			t.Fatal(err)
		}
		if cipher == "" {
			t.Errorf("Ssl_cipher: got empty, want a TLS session")
		}
		if _, err := db.Items(ctx, time.Time{}); err != nil {
			t.Errorf("items over TLS: %v", err)
		}
	})
	t.Run("IAM-style sign-in: cleartext allowed, token per connection, over verified TLS", func(t *testing.T) {
		var calls atomic.Int64
		db, err := store.Open(ctx, store.Config{WriterDSN: dsnNoPassword, CAFile: caFile, IAMRegion: "eu-west-1",
			Password: func(context.Context, string, string) (string, error) {
				calls.Add(1)
				return password, nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Writer().PingContext(ctx); err != nil {
			t.Fatal(err)
		}
		if calls.Load() < 1 {
			t.Errorf("password asked %d times, want at least 1", calls.Load())
		}
	})
	t.Run("another CA", func(t *testing.T) {
		_, err := store.Open(ctx, store.Config{WriterDSN: dsn, CAFile: otherFile, CallTimeout: 5 * time.Second})
		if err == nil || !strings.Contains(pos.ErrorMessage(err), "POS_DB_CA") {
			t.Errorf("got %v, want a refusal naming POS_DB_CA", err)
		}
		t.Logf("the operator reads: %s", pos.ErrorMessage(err))
	})
	t.Run("no TLS: the server refuses", func(t *testing.T) {
		_, err := store.Open(ctx, store.Config{WriterDSN: dsn, CallTimeout: 5 * time.Second})
		if err == nil {
			t.Errorf("a plain connection to a server that requires secure transport: got nil error")
		}
		t.Logf("the operator reads: %v", err)
	})
}

func newCA(t testing.TB, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// newServerCert is a certificate for 127.0.0.1 and localhost signed by ca.
func newServerCert(t testing.TB, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (certDER, keyDER []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	certDER, err = x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err = x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return certDER, keyDER
}

func writePEM(t testing.TB, dir, name, kind string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
