package receipts_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
	"github.com/till-pos/till/store/storetest"
)

func TestSaveIsAtomicAndNeverOverwrites(t *testing.T) {
	f := newFixture(t, pos.EUR(), false)
	ctx := context.Background()
	f.svc.Dir = t.TempDir()
	sale := f.cashSale(t, f.basket(t, true, line{name: "Rye bread", qty: 2}), 1000)
	want, err := receipts.Render(f.svc.Receipt(ctx, sale, false))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(f.svc.Dir, "2026-03-01")
	first, err := f.svc.Save(ctx, sale)
	if err != nil {
		t.Fatal(err)
	}
	if got, wantPath := first, filepath.Join(dir, "1-"+sale.Key+".pdf"); got != wantPath {
		t.Errorf("path: got %s, want %s", got, wantPath)
	}
	if got, _ := os.ReadFile(first); !bytes.Equal(got, want) {
		t.Error("the saved file is not the rendered receipt")
	}
	// A second save of the original is a no-op that answers the same path.
	again, err := f.svc.Save(ctx, sale)
	if err != nil || again != first {
		t.Errorf("second save: got %q, %v; want %q", again, err, first)
	}
	// Reprints are new files, each marked COPY.
	for _, wantName := range []string{"1-" + sale.Key + "-copy.pdf", "1-" + sale.Key + "-copy-2.pdf"} {
		p, err := f.svc.SaveCopy(ctx, sale)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(p) != wantName {
			t.Errorf("copy: got %s, want %s", filepath.Base(p), wantName)
		}
		pdf, _ := os.ReadFile(p)
		if !strings.Contains(pdfText(t, pdf, false), "COPY") {
			t.Errorf("%s does not say COPY", p)
		}
	}
	if got, _ := os.ReadFile(first); !bytes.Equal(got, want) {
		t.Error("the original was changed by later saves")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files: got %v, want the original and two copies (no temporary files left)", names)
	}
}

// TestDiskErrorsAreClear writes to /dev/full (a real ENOSPC) and checks the
// cashier is told the disk is full. Filling a real disk in a test is not
// something to do to a shared machine.
func TestDiskErrorsAreClear(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		storetest.Missing(t, "no /dev/full here: %v", err)
	}
	defer full.Close()
	_, werr := full.Write([]byte("receipt"))
	if !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("writing /dev/full: got %v, want ENOSPC", werr)
	}
	err = receipts.DiskError(werr, "/var/receipts/2026-03-01")
	if got, want := pos.ErrorMessage(err), "the receipt disk is full (/var/receipts/2026-03-01): free some space"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := pos.ErrorCode(err); got != pos.EUnavailable {
		t.Errorf("code: got %s, want %s", got, pos.EUnavailable)
	}
}

// fakeLP puts an lp on PATH that records its arguments and what it was sent,
// and fails with a CUPS-like message when fail is set.
func fakeLP(t *testing.T, fail bool) (record string) {
	t.Helper()
	bin := t.TempDir()
	record = filepath.Join(t.TempDir(), "job")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + record + ".args'\n"
	if fail {
		script += "cat >/dev/null\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n"
	} else {
		script += "for a; do last=$a; done\nif [ -f \"$last\" ]; then cp \"$last\" '" + record + ".pdf'; else cat > '" + record + ".pdf'; fi\n"
	}
	if err := os.WriteFile(filepath.Join(bin, "lp"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return record
}

func TestPrint(t *testing.T) {
	cases := []struct {
		name     string
		command  []string
		fail     bool
		wantCode string
		wantMsg  string
		wantArgs string
	}{
		{"stdin", []string{"lp", "-d", "front"}, false, "", "", "-d\nfront\n"},
		{"file", []string{"lp", "-d", "front", "{}"}, false, "", "", "-d\nfront\n{path}\n"},
		{"printer error", []string{"lp", "-d", "gone"}, true, pos.EUnavailable,
			"the printer did not take the receipt (lp: The printer or class does not exist.); the receipt is saved at {path}", ""},
		{"no printer", nil, false, pos.EUnavailable,
			"no printer is set up on this till (POS_PRINTER); the receipt is saved at {path}", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, pos.EUR(), false)
			ctx := context.Background()
			record := fakeLP(t, c.fail)
			f.svc.Dir = t.TempDir()
			f.svc.PrintCommand = c.command
			sale := f.cashSale(t, f.basket(t, false, line{name: "Red wine, Rioja", qty: 1}), 1000)
			err := f.svc.Print(ctx, sale)
			path := filepath.Join(f.svc.Dir, "2026-03-01", "1-"+sale.Key+".pdf")
			saved, rerr := os.ReadFile(path)
			if rerr != nil {
				t.Fatalf("the receipt was not saved: %v", rerr)
			}
			if got := pos.ErrorCode(err); got != c.wantCode {
				t.Fatalf("got %v (%q), want code %q", err, got, c.wantCode)
			}
			if want := strings.ReplaceAll(c.wantMsg, "{path}", path); c.wantMsg != "" && pos.ErrorMessage(err) != want {
				t.Errorf("message: got %q, want %q", pos.ErrorMessage(err), want)
			}
			if c.wantArgs == "" {
				return
			}
			args, _ := os.ReadFile(record + ".args")
			if want := strings.ReplaceAll(c.wantArgs, "{path}", path); string(args) != want {
				t.Errorf("lp arguments: got %q, want %q", args, want)
			}
			printed, _ := os.ReadFile(record + ".pdf")
			if !bytes.Equal(printed, saved) {
				t.Error("what was printed is not the saved receipt")
			}
			if !strings.Contains(pdfText(t, printed, false), "Red wine, Rioja") {
				t.Error("the printed receipt does not list the wine")
			}
		})
	}
}

// TestReceiptWithoutDatabase: when the database cannot answer, the customer
// still gets a receipt, from the sale in hand, with numbers for names.
func TestReceiptWithoutDatabase(t *testing.T) {
	f := newFixture(t, pos.EUR(), false)
	sale := f.cashSale(t, f.basket(t, true, line{name: "Rye bread", qty: 1}), 500)
	f.db.Close()
	r := f.svc.Receipt(context.Background(), sale, false)
	if r.Cashier != "" || r.Customer == nil || r.Customer.Name != "#1" {
		t.Fatalf("got cashier %q customer %+v, want none and #1", r.Cashier, r.Customer)
	}
	pdf, err := receipts.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	if text := pdfText(t, pdf, false); !strings.Contains(text, "Cashier #1") || !strings.Contains(text, "€3.49") {
		t.Errorf("receipt from the sale in hand:\n%s", text)
	}
}

// TestLoyaltyBalanceAsOfTheSale: a reprint shows the balance right after
// that sale, not today's.
func TestLoyaltyBalanceAsOfTheSale(t *testing.T) {
	f := newFixture(t, pos.EUR(), false)
	ctx := context.Background()
	clock := saleTime
	tick := func() time.Time { clock = clock.Add(time.Second); return clock }
	f.clock = tick
	f.co.Now = tick
	first := f.cashSale(t, f.basket(t, true, line{name: "Red wine, Rioja", qty: 1}), 1000) // 8 points
	f.cashSale(t, f.basket(t, true, line{name: "Red wine, Rioja", qty: 2}), 2000)          // 17 points
	r := f.svc.Receipt(ctx, first, true)
	if r.Customer == nil || r.Customer.PointsEarned != 8 || r.Customer.Balance != 128 {
		t.Errorf("got %+v, want 8 points earned and a balance of 120+8", r.Customer)
	}
}
