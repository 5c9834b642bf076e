package ui

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/till-pos/till/pos"
)

// The screen logs through the logger it is given, never the global one.
func TestLogsGoToTheGivenLogger(t *testing.T) {
	var buf bytes.Buffer
	db := &fakeDB{}
	deps := Deps{Checkout: &pos.Checkout{Sales: db}, Catalog: db, Customers: db, Cashiers: db, Audit: db,
		Log: slog.New(slog.NewTextHandler(&buf, nil))}
	m := New(context.Background(), deps, NewStyles(false))
	m.Update(catalogMsg{err: errDown})
	if got := buf.String(); !strings.Contains(got, "catalog load failed") || !strings.Contains(got, "database unreachable") {
		t.Errorf("log: got %q, want the failed catalog load and the database unreachable", got)
	}
}
