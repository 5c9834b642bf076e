package store

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/till-pos/till/pos"
)

// applyTLS turns cfg.CAFile into a TLS configuration that verifies the
// server against that bundle and the DSN's host name. It is set on this
// pool's driver config only (never in the driver's global registry), so
// two pools or two tests cannot see each other's settings.
func applyTLS(mc *mysql.Config, cfg Config) error {
	if cfg.CAFile == "" {
		return nil
	}
	pem, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return pos.WrapError(pos.EInvalid, err, "cannot read the database CA bundle %s", cfg.CAFile)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return pos.Errorf(pos.EInvalid, "the database CA bundle %s holds no PEM certificate", cfg.CAFile)
	}
	host := hostOf(mc.Net, mc.Addr)
	mc.TLS = &tls.Config{RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS12}
	mc.TLSConfig = ""
	mc.AllowFallbackToPlaintext = false
	return nil
}

// transport is how well a connection is protected on the wire.
type transport int

const (
	plain      transport = iota // no TLS, or TLS that may fall back to none
	unverified                  // TLS without checking whose certificate it is
	verified                    // TLS checked against a CA and the host name
)

func transportOf(mc *mysql.Config) transport {
	switch {
	case mc.TLS != nil && mc.AllowFallbackToPlaintext:
		return plain
	case mc.TLS != nil && mc.TLS.InsecureSkipVerify:
		return unverified
	case mc.TLS != nil:
		return verified
	}
	switch mc.TLSConfig {
	case "true":
		return verified // the system's roots and the DSN's host name
	case "skip-verify":
		return unverified
	}
	return plain // "", "false", and "preferred", which may fall back to plain
}

// checkTransport refuses, before anything is dialled, the settings that
// would expose a secret or the till's data on the network:
//   - a cleartext password (IAM needs one) without TLS, whatever else is set;
//   - a cleartext password over TLS that is not verified, unless Insecure;
//   - any host that is not this machine without verified TLS, unless Insecure.
func checkTransport(mc *mysql.Config, cfg Config) error {
	t := transportOf(mc)
	host := hostOf(mc.Net, mc.Addr)
	if mc.AllowCleartextPasswords {
		if t == plain {
			return pos.Errorf(pos.EInvalid, "the database sign-in sends its password or IAM token in the clear, "+
				"which is refused without TLS: set POS_DB_CA to the database's CA bundle (for Aurora, the RDS CA bundle)")
		}
		if t == unverified && !cfg.Insecure {
			return pos.Errorf(pos.EInvalid, "the database sign-in sends its password or IAM token in the clear over TLS "+
				"that does not check the server: set POS_DB_CA to the database's CA bundle")
		}
	}
	if t != verified && !isLoopback(mc.Net, host) && !cfg.Insecure {
		return pos.Errorf(pos.EInvalid, "the database at %s is not on this machine and the connection would not be "+
			"verified TLS: set POS_DB_CA to the database's CA bundle (for Aurora, the RDS CA bundle), "+
			"or POS_DB_INSECURE=1 on a trusted lab network", host)
	}
	return nil
}

// isLoopback reports whether a connection stays on this machine. Names
// other than localhost count as remote: nothing is resolved here.
func isLoopback(network, host string) bool {
	if network == "unix" {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostOf is the host part of a driver address ("" for a unix socket).
func hostOf(network, addr string) string {
	if network == "unix" {
		return ""
	}
	if addr == "" {
		return "127.0.0.1"
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return strings.Trim(addr, "[]")
}

// withPort is addr as "host:port", with MySQL's port when it names none
// (the form an IAM token is signed for).
func withPort(network, addr string) string {
	if network == "unix" {
		return addr
	}
	if addr == "" {
		return "127.0.0.1:3306"
	}
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	return net.JoinHostPort(strings.Trim(addr, "[]"), "3306")
}

// tlsProblem names a failed TLS handshake in words an operator can act on.
func tlsProblem(err error) (string, bool) {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &verify) && errors.As(verify.Err, &unknownCA):
		return "the database's TLS certificate is not signed by the CA bundle in POS_DB_CA", true
	case errors.As(err, &hostname):
		return "the database's TLS certificate is not for the host in the DSN", true
	case errors.As(err, &invalid), errors.As(err, &verify):
		return "the database's TLS certificate is not valid", true
	case errors.Is(err, mysql.ErrNoTLS):
		return "the database does not offer TLS, which these settings require", true
	}
	return "", false
}
