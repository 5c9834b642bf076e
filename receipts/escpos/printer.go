package escpos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/receipts"
)

// Config is how a till's printer and drawer are set up.
type Config struct {
	// Width is the paper, in mm: 80 (48 characters a line, the default)
	// or 58 (32).
	Width int
	// DrawerPin is the drawer connector pin the drawer's solenoid is on:
	// 2 (the default) or 5 (a second drawer).
	DrawerPin int
	// DrawerPulse is how long the solenoid is driven: 2 ms to 510 ms,
	// default 100 ms. Most drawers open at 50–200 ms.
	DrawerPulse time.Duration
	// Timeout bounds one job (connecting, asking, sending); 0 is 10 s.
	Timeout time.Duration
	// LP is the lp command for a cups-raw: queue; empty is "lp".
	LP string
	// StatusWait is how long the printer has to answer a status request;
	// 0 is 1 s (a printer answers in milliseconds; one that has not by
	// then cannot, and is printed to without asking).
	StatusWait time.Duration
}

// Printer is an ESC/POS receipt printer, reached afresh for every job (a
// printer's port 9100 serves one connection at a time, so the till never
// holds it). Its jobs run one at a time: a drawer kick and a receipt asked
// for together do not fight over the printer's one connection.
type Printer struct {
	mu     sync.Mutex
	cfg    Config
	kind   string // "tcp", "file" or "cups-raw"
	target string // host:port, a path, a queue
}

// IsPrinter reports whether a POS_PRINTER value names an ESC/POS printer
// (tcp://HOST[:PORT], file:PATH, cups-raw:QUEUE) rather than a CUPS
// printer that is given the PDF.
func IsPrinter(spec string) bool {
	for _, p := range []string{"tcp://", "file:", "cups-raw:"} {
		if strings.HasPrefix(spec, p) {
			return true
		}
	}
	return false
}

// New sets up the printer a POS_PRINTER value names: tcp://HOST:PORT (the
// port defaults to 9100), file:/dev/usb/lp0, or cups-raw:QUEUE (the bytes
// go to `lp -d QUEUE -o raw`).
func New(spec string, cfg Config) (*Printer, error) {
	p := &Printer{cfg: cfg}
	switch {
	case strings.HasPrefix(spec, "tcp://"):
		p.kind, p.target = "tcp", strings.TrimSuffix(strings.TrimPrefix(spec, "tcp://"), "/")
		if _, _, err := net.SplitHostPort(p.target); err != nil {
			p.target = net.JoinHostPort(strings.Trim(p.target, "[]"), "9100")
		}
		host, port, err := net.SplitHostPort(p.target)
		if err != nil || host == "" || port == "" {
			return nil, fmt.Errorf("printer %q: tcp://HOST or tcp://HOST:PORT", spec)
		}
	case strings.HasPrefix(spec, "file:"):
		p.kind, p.target = "file", strings.TrimPrefix(spec, "file:")
		if p.target == "" {
			return nil, fmt.Errorf("printer %q: file:/dev/usb/lp0, a device path", spec)
		}
	case strings.HasPrefix(spec, "cups-raw:"):
		p.kind, p.target = "cups-raw", strings.TrimPrefix(spec, "cups-raw:")
		if p.target == "" || strings.ContainsAny(p.target, " \t/") {
			return nil, fmt.Errorf("printer %q: cups-raw:QUEUE, a CUPS queue's name", spec)
		}
	default:
		return nil, fmt.Errorf("printer %q: not an ESC/POS printer (tcp://, file: or cups-raw:)", spec)
	}
	switch cfg.Width {
	case 0:
		p.cfg.Width = Width80
	case Width80, Width58:
	default:
		return nil, fmt.Errorf("printer width %d: 80 or 58 (mm)", cfg.Width)
	}
	switch cfg.DrawerPin {
	case 0:
		p.cfg.DrawerPin = 2
	case 2, 5:
	default:
		return nil, fmt.Errorf("drawer pin %d: 2 or 5", cfg.DrawerPin)
	}
	switch {
	case cfg.DrawerPulse == 0:
		p.cfg.DrawerPulse = 100 * time.Millisecond
	case cfg.DrawerPulse < 2*time.Millisecond || cfg.DrawerPulse > 510*time.Millisecond:
		return nil, fmt.Errorf("drawer pulse %v: 2ms to 510ms", cfg.DrawerPulse)
	}
	if p.cfg.Timeout <= 0 {
		p.cfg.Timeout = 10 * time.Second
	}
	if p.cfg.LP == "" {
		p.cfg.LP = "lp"
	}
	if p.cfg.StatusWait <= 0 {
		p.cfg.StatusWait = time.Second
	}
	return p, nil
}

// String is where the printer is, as configured.
func (p *Printer) String() string {
	if p.kind == "tcp" {
		return "tcp://" + p.target
	}
	return p.kind + ":" + p.target
}

// Width is the paper width in mm.
func (p *Printer) Width() int { return p.cfg.Width }

// PrintReceipt asks the printer how it is and, if it can print, prints
// the receipt. Paper out, an open cover, an error or an unreachable
// printer return a *FaultError inside a pos.Error (EConflict: it is the
// printer's state, not the database's) whose message says what to do;
// nothing is sent then, so the receipt never comes out later by surprise.
func (p *Printer) PrintReceipt(ctx context.Context, r receipts.Receipt) error {
	job, err := Receipt(r, p.cfg.Width)
	if err != nil {
		return err
	}
	return p.run(ctx, jobPrint, func(st Status) ([]byte, error) {
		if f := st.Fault(); f != "" {
			return nil, p.fault(f, nil, jobPrint)
		}
		return job, nil
	})
}

// OpenDrawer kicks the cash drawer open: ESC p with the configured pin and
// pulse. A printer that says it is offline (paper out, cover open) only
// buffers ESC p until it is back online, so it is sent DLE DC4 1, the
// real-time pulse, which it runs at once; a printer in error runs neither,
// and the cashier is told to use the drawer's key.
func (p *Printer) OpenDrawer(ctx context.Context) error {
	return p.run(ctx, jobDrawer, func(st Status) ([]byte, error) {
		switch {
		case st.Known && st.Error:
			return nil, p.fault(PrinterError, nil, jobDrawer)
		case st.Known && (st.Offline || st.PaperOut || st.CoverOpen):
			return RealTimePulse(p.cfg.DrawerPin, p.cfg.DrawerPulse), nil
		}
		return DrawerKick(p.cfg.DrawerPin, p.cfg.DrawerPulse), nil
	})
}

// Status asks the printer how it is. A printer that cannot be reached is
// an error; one that does not answer is an unknown status.
func (p *Printer) Status(ctx context.Context) (Status, error) {
	var got Status
	err := p.run(ctx, jobStatus, func(st Status) ([]byte, error) {
		got = st
		return nil, nil
	})
	return got, err
}

// DrawerKick is ESC p m t1 t2: a pulse on pin 2 (m 0) or 5 (m 1), on for
// t1×2 ms and off for t2×2 ms (twice as long, so two kicks never merge).
func DrawerKick(pin int, pulse time.Duration) []byte {
	m := byte(0)
	if pin == 5 {
		m = 1
	}
	t1 := min(max(int(pulse/(2*time.Millisecond)), 1), 255)
	t2 := min(2*t1, 255)
	return []byte{esc, 'p', m, byte(t1), byte(t2)}
}

// RealTimePulse is DLE DC4 1 m t: the real-time pulse, on for t×100 ms
// (1 to 8), which a printer runs even while offline.
func RealTimePulse(pin int, pulse time.Duration) []byte {
	m := byte(0)
	if pin == 5 {
		m = 1
	}
	t := min(max(int((pulse+99*time.Millisecond)/(100*time.Millisecond)), 1), 8)
	return []byte{dle, dc4, 1, m, byte(t)}
}

// run connects, asks the status, and sends what do returns for it.
func (p *Printer) run(ctx context.Context, doing job, do func(Status) ([]byte, error)) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kind == "cups-raw" {
		data, err := do(Status{})
		if err != nil || len(data) == 0 {
			return err
		}
		return p.lp(ctx, data, doing)
	}
	c, err := p.dial(ctx)
	if err != nil {
		return p.fault(PrinterOffline, err, doing)
	}
	defer c.Close()
	st := c.status(ctx, p.cfg.StatusWait)
	data, err := do(st)
	if err != nil || len(data) == 0 {
		return err
	}
	if err := c.write(ctx, data); err != nil {
		return p.fault(PrinterOffline, err, doing)
	}
	return nil
}

// job is what the till asked of the printer, for the cashier's message.
type job int

const (
	jobPrint job = iota
	jobDrawer
	jobStatus
)

// fault is the error for a printer fault: a pos.Error (EConflict, the
// printer's state) whose message says what is wrong first, in plain words,
// then what to do.
func (p *Printer) fault(f Fault, err error, doing job) error {
	msg := fmt.Sprintf("%s: %s", f, f.advice())
	switch doing {
	case jobPrint:
		msg += ", then print the receipt again"
	case jobDrawer:
		msg = fmt.Sprintf("%s: the cash drawer did not open: %s, or open the drawer with its key", f, f.advice())
	}
	return pos.WrapError(pos.EConflict, &FaultError{Fault: f, Printer: p.String(), Err: err}, "%s", msg)
}

// lp sends the job to a raw CUPS queue. CUPS holds the device, so the
// printer cannot be asked how it is; lp's own complaint is passed on.
func (p *Printer) lp(ctx context.Context, data []byte, doing job) error {
	cmd := exec.CommandContext(ctx, p.cfg.LP, "-d", p.target, "-o", "raw")
	cmd.Stdin = bytes.NewReader(data)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 200 {
			msg = msg[:200]
		}
		if msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return p.fault(PrinterOffline, err, doing)
	}
	return nil
}

// conn is one job's connection to a printer, and the printer's answers.
type conn struct {
	w       io.WriteCloser
	answers chan byte // bytes the printer sent; closed when it can send no more
	oneWay  bool      // nothing can be read back: the printer is not asked
	setDL   func(time.Time) error
}

func (p *Printer) dial(ctx context.Context) (*conn, error) {
	switch p.kind {
	case "tcp":
		var d net.Dialer
		dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		nc, err := d.DialContext(dctx, "tcp", p.target)
		if err != nil {
			return nil, err
		}
		return newConn(nc, nc, nc.SetWriteDeadline), nil
	default: // file
		f, err := os.OpenFile(p.target, os.O_RDWR|os.O_APPEND, 0)
		if err != nil {
			// A device the till may only write to: no status, but it prints.
			if f, err = os.OpenFile(p.target, os.O_WRONLY|os.O_APPEND, 0); err != nil {
				return nil, err
			}
			return newConn(f, nil, f.SetWriteDeadline), nil
		}
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			// A plain file (a capture of the jobs) answers nothing; reading
			// it would read back what was written.
			return newConn(f, nil, f.SetWriteDeadline), nil
		}
		return newConn(f, f, f.SetWriteDeadline), nil
	}
}

// newConn reads what the printer sends in the background, so a device
// that never answers cannot hang the job: the answer is waited for with a
// timer, and closing the connection ends the reading.
func newConn(w io.WriteCloser, r io.Reader, setDL func(time.Time) error) *conn {
	c := &conn{w: w, answers: make(chan byte, 64), setDL: setDL}
	if r == nil {
		c.oneWay = true
		close(c.answers)
		return c
	}
	go func() {
		defer close(c.answers)
		buf := make([]byte, 64)
		for {
			n, err := r.Read(buf)
			for _, b := range buf[:n] {
				select {
				case c.answers <- b:
				default: // nobody is asking: drop it
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return c
}

func (c *conn) Close() error { return c.w.Close() }

func (c *conn) write(ctx context.Context, data []byte) error {
	if dl, ok := ctx.Deadline(); ok {
		if err := c.setDL(dl); err != nil && !errors.Is(err, os.ErrNoDeadline) {
			return err
		}
	}
	_, err := c.w.Write(data)
	return err
}

// status asks DLE EOT 1, 2 and 4 in turn. A printer that does not answer
// the first within wait is taken to be one that cannot: its status
// is unknown and the job is sent.
func (c *conn) status(ctx context.Context, wait time.Duration) Status {
	var st Status
	if c.oneWay {
		return st
	}
	for _, n := range []byte{statusPrinter, statusOffline, statusPaper} {
		if err := c.write(ctx, statusRequest(n)); err != nil {
			return Status{}
		}
		b, ok := c.answer(ctx, wait)
		if !ok {
			return Status{}
		}
		st.read(n, b)
	}
	st.Known = true
	return st
}

// answer waits for the printer's next status byte.
func (c *conn) answer(ctx context.Context, wait time.Duration) (byte, bool) {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case b, ok := <-c.answers:
			if !ok {
				return 0, false
			}
			if isStatusByte(b) {
				return b, true
			}
		case <-t.C:
			return 0, false
		case <-ctx.Done():
			return 0, false
		}
	}
}
