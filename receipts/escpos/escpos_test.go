package escpos_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
	"github.com/till-pos/till/receipts/escpos"
	"github.com/till-pos/till/receipts/escpos/escpostest"
)

func TestEncodeCodePage(t *testing.T) {
	cases := []struct{ in, want, back string }{
		{"€12.50 £3 ¥1", "\xd512.50 \x9c3 \xbe1", "€12.50 £3 ¥1"},
		{"Hauptstraße Ærø Åland Niño Çà", "Hauptstra\xe1e \x92r\x9b \x8fland Ni\xa4o \x80\x85", "Hauptstraße Ærø Åland Niño Çà"},
		// What PC858 lacks: the plain letter, ASCII punctuation, or '?'.
		{"TRAINING — NOT A RECEIPT", "TRAINING - NOT A RECEIPT", "TRAINING - NOT A RECEIPT"},
		{"Łódź “Żubr”…", "L\xa2dz \"Zubr\"...", "Lódz \"Zubr\"..."},
		{"日本 ₹", "?? ?", "?? ?"},
		// No control byte ever reaches the printer as text.
		{"a\x1b@b\x10\x04\x01c\td", "a @b   c d", "a @b   c d"},
	}
	for _, c := range cases {
		got := escpos.Encode(c.in)
		if string(got) != c.want {
			t.Errorf("Encode(%q) = %q, want %q", c.in, got, c.want)
		}
		if back := escpos.Decode(got); back != c.back {
			t.Errorf("Decode(Encode(%q)) = %q, want %q", c.in, back, c.back)
		}
	}
}

func TestDrawerKick(t *testing.T) {
	cases := []struct {
		pin   int
		pulse time.Duration
		want  []byte
	}{
		{2, 100 * time.Millisecond, []byte{0x1B, 'p', 0, 50, 100}},
		{5, 100 * time.Millisecond, []byte{0x1B, 'p', 1, 50, 100}},
		{2, 50 * time.Millisecond, []byte{0x1B, 'p', 0, 25, 50}},
		{2, 510 * time.Millisecond, []byte{0x1B, 'p', 0, 255, 255}},
	}
	for _, c := range cases {
		if got := escpos.DrawerKick(c.pin, c.pulse); !bytes.Equal(got, c.want) {
			t.Errorf("DrawerKick(%d, %v) = % x, want % x", c.pin, c.pulse, got, c.want)
		}
	}
	if got, want := escpos.RealTimePulse(5, 150*time.Millisecond), []byte{0x10, 0x14, 1, 1, 2}; !bytes.Equal(got, want) {
		t.Errorf("RealTimePulse = % x, want % x", got, want)
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	bad := []struct {
		spec string
		cfg  escpos.Config
	}{
		{"lp0", escpos.Config{}},
		{"tcp://", escpos.Config{}},
		{"file:", escpos.Config{}},
		{"cups-raw:", escpos.Config{}},
		{"cups-raw:a b", escpos.Config{}},
		{"tcp://printer", escpos.Config{Width: 76}},
		{"tcp://printer", escpos.Config{DrawerPin: 3}},
		{"tcp://printer", escpos.Config{DrawerPulse: time.Second}},
	}
	for _, b := range bad {
		if _, err := escpos.New(b.spec, b.cfg); err == nil {
			t.Errorf("New(%q, %+v): no error", b.spec, b.cfg)
		}
	}
	for spec, want := range map[string]string{
		"tcp://10.0.0.9":        "tcp://10.0.0.9:9100",
		"tcp://10.0.0.9:9101":   "tcp://10.0.0.9:9101",
		"tcp://[fe80::1]":       "tcp://[fe80::1]:9100",
		"file:/dev/usb/lp0":     "file:/dev/usb/lp0",
		"cups-raw:front-till-3": "cups-raw:front-till-3",
	} {
		p, err := escpos.New(spec, escpos.Config{})
		if err != nil || p.String() != want {
			t.Errorf("New(%q) = %v, %v; want %s", spec, p, err, want)
		}
	}
	if escpos.IsPrinter("front") || !escpos.IsPrinter("tcp://x") {
		t.Error("IsPrinter: a CUPS printer's name is not an ESC/POS printer, tcp:// is")
	}
}

// sample is a receipt's lines with every kind of line.
func sample() []receipts.Line {
	return []receipts.Line{
		{Kind: receipts.LineTitle, Left: "Corner Shop"},
		{Kind: receipts.LineCenter, Left: "Hauptstraße 12"},
		{Kind: receipts.LineGap},
		{Kind: receipts.LineBanner, Left: receipts.TrainingMessage},
		{Kind: receipts.LineText, Left: "Sale 12", Right: "2026-03-01 14:05", Bold: true},
		{Kind: receipts.LineRule},
		{Kind: receipts.LineText, Left: "Organic free-range eggs, box of ten, from Hill Farm cooperative", Right: "€4.29"},
		{Kind: receipts.LineText, Left: "2 x €8.99", Indent: true},
		{Kind: receipts.LineTitle, Left: "TOTAL", Right: "€21.47"},
		{Kind: receipts.LineBarcode, Left: "00000000-0000-4000-8000-000000000001"},
		{Kind: receipts.LineCenter, Left: "Thank you"},
	}
}

func TestLinesDecodeBack(t *testing.T) {
	for _, width := range []int{80, 58} {
		job, err := escpos.Lines(sample(), width)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := escpostest.Decode(job, width)
		if err != nil {
			t.Fatalf("%d mm: %v", width, err)
		}
		cols := escpos.Columns(width)
		text := doc.Text()
		for _, want := range []string{"Corner Shop", "Hauptstraße 12", "TRAINING - NOT A RECEIPT", "Sale 12", "€4.29",
			"  2 x €8.99", "Thank you"} {
			if !strings.Contains(text, want) {
				t.Errorf("%d mm: %q missing from\n%s", width, want, text)
			}
		}
		code, _ := pos.ReceiptCode("00000000-0000-4000-8000-000000000001")
		if bc := doc.Barcodes(); len(bc) != 1 || bc[0].Digits != code {
			t.Errorf("%d mm: barcodes %+v, want one of %s", width, bc, code)
		}
		if doc.CodePage != escpos.CodePage || doc.Cuts() != 1 {
			t.Errorf("%d mm: code page %d, %d cuts", width, doc.CodePage, doc.Cuts())
		}
		// The long name wraps, its price on its first line, flush right.
		for _, l := range doc.Lines() {
			if strings.HasPrefix(l.Text, "Organic") && !strings.HasSuffix(l.Text, "€4.29") {
				t.Errorf("%d mm: %q: the price is not on the name's first line", width, l.Text)
			}
			if strings.HasPrefix(l.Text, "Organic") && len([]rune(l.Text)) != cols {
				t.Errorf("%d mm: %q is not flush right at %d", width, l.Text, cols)
			}
			if strings.HasPrefix(l.Text, "TOTAL") && !(l.Double && l.Bold) {
				t.Errorf("%d mm: TOTAL line %+v: want double size and bold", width, l)
			}
			if strings.HasPrefix(l.Text, "TRAINING") && !(l.Reverse && l.Bold && l.Center) {
				t.Errorf("%d mm: banner %+v: want white on black, bold, centred", width, l)
			}
		}
	}
}

func TestStatusAndFaults(t *testing.T) {
	ctx := context.Background()
	vp := escpostest.Start(t)
	p, err := escpos.New(vp.URL(), escpos.Config{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Status(ctx)
	if err != nil || !st.Known || st.Fault() != "" {
		t.Fatalf("a ready printer: %+v, %v", st, err)
	}
	vp.SetPaperLow(true)
	if st, _ := p.Status(ctx); !st.PaperLow || st.Fault() != "" {
		t.Errorf("paper low: %+v; it still prints", st)
	}
	faults := []struct {
		set  func(bool)
		want escpos.Fault
	}{
		{vp.SetPaperOut, escpos.PaperOut},
		{vp.SetCoverOpen, escpos.CoverOpen},
		{vp.SetOffline, escpos.PrinterOffline},
		{vp.SetError, escpos.PrinterError},
	}
	for _, f := range faults {
		f.set(true)
		st, err := p.Status(ctx)
		if err != nil || st.Fault() != f.want {
			t.Errorf("%s: got %+v (%v)", f.want, st, err)
		}
		f.set(false)
	}
	vp.SetSilent(true)
	if st, err := p.Status(ctx); err != nil || st.Known {
		t.Errorf("a printer that does not answer: %+v, %v; want an unknown status", st, err)
	}
	vp.SetSilent(false)
	vp.Stop()
	_, err = p.Status(ctx)
	var fe *escpos.FaultError
	if !errors.As(err, &fe) || fe.Fault != escpos.PrinterOffline || pos.ErrorCode(err) != pos.EConflict {
		t.Errorf("an unplugged printer: %v; want printer offline", err)
	}
}

func TestDrawerThroughThePrinter(t *testing.T) {
	ctx := context.Background()
	vp := escpostest.Start(t)
	p, err := escpos.New(vp.URL(), escpos.Config{DrawerPin: 5, DrawerPulse: 120 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.OpenDrawer(ctx); err != nil {
		t.Fatal(err)
	}
	// Out of paper, the printer is offline and would hold ESC p until a
	// roll is in: the real-time pulse opens the drawer at once.
	vp.SetPaperOut(true)
	if err := p.OpenDrawer(ctx); err != nil {
		t.Fatal(err)
	}
	jobs := vp.Jobs()
	if len(jobs) != 2 {
		t.Fatalf("%d jobs, want 2", len(jobs))
	}
	want := []escpostest.Item{
		{Kind: escpostest.Pulse, Pin: 5, On: 120 * time.Millisecond},
		{Kind: escpostest.Pulse, Pin: 5, On: 200 * time.Millisecond, RealTime: true},
	}
	for i, job := range jobs {
		doc, err := escpostest.Decode(job, 80)
		if err != nil {
			t.Fatal(err)
		}
		if got := doc.Pulses(); len(got) != 1 || got[0] != want[i] || len(doc.Lines()) != 0 || doc.Cuts() != 0 {
			t.Errorf("drawer job %d: %+v, want only %+v", i, doc.Items, want[i])
		}
	}
	vp.Stop()
	err = p.OpenDrawer(ctx)
	if pos.ErrorCode(err) != pos.EConflict || !strings.Contains(pos.ErrorMessage(err), "printer offline") {
		t.Errorf("unplugged: %v", err)
	}
}

// TestJobsOneAtATime: jobs asked for at once (the drawer on a cash tender
// while the receipt prints) reach the printer one after the other, never
// two connections at once to a port that serves one. With each status
// answer taking 50 ms, three jobs of three requests take at least 450 ms
// one after the other (150 ms side by side).
func TestJobsOneAtATime(t *testing.T) {
	vp := escpostest.Start(t)
	vp.SetAnswerDelay(50 * time.Millisecond)
	p, err := escpos.New(vp.URL(), escpos.Config{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := p.OpenDrawer(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if took := time.Since(start); took < 450*time.Millisecond {
		t.Errorf("3 jobs took %v: they ran side by side", took)
	}
	if jobs := vp.Jobs(); len(jobs) != 3 {
		t.Errorf("%d jobs, want 3", len(jobs))
	}
}

// TestFileAndRawQueue: a device file gets the job as it is (a plain file
// cannot answer a status request, so the job is sent), and a raw CUPS
// queue gets it through lp -d QUEUE -o raw on standard input.
func TestFileAndRawQueue(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dev := filepath.Join(dir, "lp0")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := escpos.New("file:"+dev, escpos.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := p.OpenDrawer(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(dev)
	// A plain file cannot answer, so it is not asked: only the kicks, one
	// after the other, none written over another.
	kick := escpos.DrawerKick(2, 100*time.Millisecond)
	if want := append(append([]byte{}, kick...), kick...); !bytes.Equal(got, want) {
		t.Errorf("device got % x, want % x", got, want)
	}

	out := filepath.Join(dir, "lp.out")
	lp := filepath.Join(dir, "lp")
	script := "#!/bin/sh\necho \"$@\" > " + out + ".args\ncat > " + out + "\n"
	if err := os.WriteFile(lp, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	q, err := escpos.New("cups-raw:front", escpos.Config{LP: lp})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.OpenDrawer(ctx); err != nil {
		t.Fatal(err)
	}
	args, _ := os.ReadFile(out + ".args")
	data, _ := os.ReadFile(out)
	if string(args) != "-d front -o raw\n" || !bytes.Equal(data, escpos.DrawerKick(2, 100*time.Millisecond)) {
		t.Errorf("lp got %q and % x", args, data)
	}
	broken := filepath.Join(dir, "lp-broken")
	os.WriteFile(broken, []byte("#!/bin/sh\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n"), 0o755)
	q, _ = escpos.New("cups-raw:front", escpos.Config{LP: broken})
	err = q.OpenDrawer(ctx)
	var fe *escpos.FaultError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a queue lp refuses: %v", err)
	}
}

// FuzzLines: whatever text a receipt carries (item names come from the
// catalogue, store details from configuration), the job decodes: no
// control byte leaks from text, and no line is wider than the paper.
func FuzzLines(f *testing.F) {
	f.Add("Organic free-range eggs, box of ten", "€4.29", "Corner Shop", true)
	f.Add("", "", "", false)
	f.Add("x\x1b@\x10\x04\x01 "+strings.Repeat("W", 90), strings.Repeat("9", 60), "日本語 — “ok”", true)
	f.Fuzz(func(t *testing.T, left, right, title string, bold bool) {
		lines := []receipts.Line{
			{Kind: receipts.LineTitle, Left: title},
			{Kind: receipts.LineTitle, Left: "TOTAL", Right: right},
			{Kind: receipts.LineCenter, Left: left},
			{Kind: receipts.LineBanner, Left: left},
			{Kind: receipts.LineText, Left: left, Right: right, Bold: bold},
			{Kind: receipts.LineText, Left: left, Right: right, Indent: true},
		}
		for _, width := range []int{80, 58} {
			job, err := escpos.Lines(lines, width)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := escpostest.Decode(job, width)
			if err != nil {
				t.Fatalf("%d mm: %v", width, err)
			}
			for _, l := range doc.Lines() {
				if strings.ContainsFunc(l.Text, func(r rune) bool { return r < 0x20 }) {
					t.Fatalf("%d mm: a control character printed: %q", width, l.Text)
				}
			}
		}
	})
}
