package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/till-pos/till/pos"
)

// TestClassify pins what withTx does about each error the failover
// tests cannot produce on MariaDB (1836 needs an InnoDB started read-only,
// 1792 a read-only transaction) and the rest of the table.
func TestClassify(t *testing.T) {
	my := func(n uint16) error { return fmt.Errorf("exec: %w", &mysql.MySQLError{Number: n, Message: "x"}) }
	cases := []struct {
		name       string
		err        error
		commitSent bool
		want       failure
	}{
		{"deadlock", my(1213), false, retryTx},
		{"lock wait timeout", my(1205), false, retryTx},
		{"read-only server", my(1290), false, retryTx},
		{"read-only transaction", my(1792), false, retryTx},
		{"InnoDB read-only", my(1836), false, retryTx},
		{"read-only at COMMIT", my(1290), true, retryTx},
		{"bad connection before COMMIT", driver.ErrBadConn, false, retryTx},
		{"bad connection at COMMIT (nothing written)", driver.ErrBadConn, true, retryTx},
		{"invalid connection mid-transaction", mysql.ErrInvalidConn, false, retryTx},
		{"invalid connection after COMMIT", mysql.ErrInvalidConn, true, resolveByKey},
		{"reset after COMMIT", fmt.Errorf("read: %w", syscall.ECONNRESET), true, resolveByKey},
		{"EOF after COMMIT", io.ErrUnexpectedEOF, true, resolveByKey},
		{"refused dial", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), false, retryTx},
		{"caller's deadline", context.DeadlineExceeded, false, giveUp},
		{"caller's deadline at COMMIT", context.DeadlineExceeded, true, giveUp},
		{"cancelled", context.Canceled, false, giveUp},
		{"duplicate key", my(1062), false, giveUp},
		{"trigger refused", my(1644), false, giveUp},
		{"access denied", my(1045), false, giveUp},
		{"out of stock", pos.OutOfStockError(nil), false, giveUp},
		{"sale already recorded", errExists, false, giveUp},
		{"stock given back between the guard and the check", errStockMoved, false, retryTx},
		{"the stock guard's CHECK in a batch", my(4025), false, giveUp}, // recordSale answers it
		{"a read-only writer in a batch (rejectReadOnly)", driver.ErrBadConn, true, retryTx},
		{"unknown", errors.New("boom"), true, giveUp},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify(tc.err, tc.commitSent); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestMapErrorIsCalm: what a cashier reads for a failover is a calm
// unavailable, never the driver's words.
func TestMapErrorIsCalm(t *testing.T) {
	cases := []struct {
		name string
		err  error
		code string
	}{
		{"lost connection", mysql.ErrInvalidConn, pos.EUnavailable},
		{"read-only", &mysql.MySQLError{Number: 1290, Message: "--read-only"}, pos.EUnavailable},
		{"unknown commit outcome", fmt.Errorf("%w: %w", errOutcomeUnknown, mysql.ErrInvalidConn), pos.EUnavailable},
		{"deadline", context.DeadlineExceeded, pos.EUnavailable},
		{"deadlock", &mysql.MySQLError{Number: 1213, Message: "Deadlock found"}, pos.EUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := mapError(tc.err, "record the sale")
			if got := pos.ErrorCode(err); got != tc.code {
				t.Errorf("code: got %s, want %s", got, tc.code)
			}
			msg := pos.ErrorMessage(err)
			for _, raw := range []string{"invalid connection", "Error 1", "read-only option", "Deadlock", "context"} {
				if strings.Contains(strings.ToLower(msg), strings.ToLower(raw)) {
					t.Errorf("message %q shows %q", msg, raw)
				}
			}
		})
	}
}
