package escpostest

import (
	"bytes"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// Printer is a virtual network receipt printer on 127.0.0.1. It records
// every connection's bytes as a job and answers DLE EOT 1, 2, 3 and 4 the
// way an Epson TM printer does, reporting whatever faults are set.
type Printer struct {
	ln   net.Listener
	addr string

	mu        sync.Mutex
	jobs      [][]byte
	active    int
	delay     time.Duration
	paperOut  bool
	paperLow  bool
	coverOpen bool
	offline   bool
	failed    bool
	silent    bool
}

// Start starts a virtual printer; the test's cleanup stops it.
func Start(tb testing.TB) *Printer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Printer{ln: ln, addr: ln.Addr().String()}
	go p.serve()
	tb.Cleanup(p.Stop)
	return p
}

// URL is the printer as POS_PRINTER names it: tcp://127.0.0.1:PORT.
func (p *Printer) URL() string { return "tcp://" + p.addr }

// Stop unplugs the printer: from now on connecting to it is refused.
func (p *Printer) Stop() { p.ln.Close() }

// SetPaperOut, SetPaperLow, SetCoverOpen, SetOffline and SetError set
// what the printer reports; SetSilent makes it answer no status request
// at all (a one-way interface).
func (p *Printer) SetPaperOut(v bool)  { p.set(&p.paperOut, v) }
func (p *Printer) SetPaperLow(v bool)  { p.set(&p.paperLow, v) }
func (p *Printer) SetCoverOpen(v bool) { p.set(&p.coverOpen, v) }
func (p *Printer) SetOffline(v bool)   { p.set(&p.offline, v) }
func (p *Printer) SetError(v bool)     { p.set(&p.failed, v) }
func (p *Printer) SetSilent(v bool)    { p.set(&p.silent, v) }

func (p *Printer) set(f *bool, v bool) {
	p.mu.Lock()
	*f = v
	p.mu.Unlock()
}

// Jobs waits until no connection is open and returns every connection's
// bytes, in the order they were opened.
func (p *Printer) Jobs() [][]byte {
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.mu.Lock()
		if p.active == 0 || time.Now().After(deadline) {
			out := make([][]byte, len(p.jobs))
			copy(out, p.jobs)
			p.mu.Unlock()
			return out
		}
		p.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
}

// SetAnswerDelay makes the printer take d to answer each status request.
func (p *Printer) SetAnswerDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// Printed is every job's bytes, one after the other.
func (p *Printer) Printed() []byte { return bytes.Join(p.Jobs(), nil) }

// Reset forgets the jobs so far.
func (p *Printer) Reset() {
	p.Jobs()
	p.mu.Lock()
	p.jobs = nil
	p.mu.Unlock()
}

func (p *Printer) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p.mu.Lock()
		p.active++
		job := len(p.jobs)
		p.jobs = append(p.jobs, nil)
		p.mu.Unlock()
		go p.handle(c, job)
	}
}

// handle records a connection's bytes and answers real-time status
// requests as they arrive, wherever they are in the stream (as a printer
// does).
func (p *Printer) handle(c net.Conn, job int) {
	defer func() {
		c.Close()
		p.mu.Lock()
		p.active--
		p.mu.Unlock()
	}()
	buf := make([]byte, 4096)
	var tail []byte // the last bytes, for a request split across reads
	for {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := c.Read(buf)
		if n > 0 {
			p.mu.Lock()
			p.jobs[job] = append(p.jobs[job], buf[:n]...)
			p.mu.Unlock()
			scan := append(tail, buf[:n]...)
			for i := 0; i+2 < len(scan); i++ {
				if scan[i] == 0x10 && scan[i+1] == 0x04 && i >= len(tail)-2 {
					if b, ok := p.answer(scan[i+2]); ok {
						c.Write([]byte{b})
					}
				}
			}
			tail = append([]byte{}, scan[max(len(scan)-2, 0):]...)
		}
		if err != nil {
			return
		}
	}
}

// answer is the status byte for DLE EOT n: bits 1 and 4 always set.
func (p *Printer) answer(n byte) (byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.silent {
		return 0, false
	}
	if p.delay > 0 {
		p.mu.Unlock()
		time.Sleep(p.delay)
		p.mu.Lock()
	}
	b := byte(0x12)
	switch n {
	case 1:
		if p.offline || p.paperOut || p.coverOpen || p.failed {
			b |= 0x08
		}
	case 2:
		if p.coverOpen {
			b |= 0x04
		}
		if p.paperOut {
			b |= 0x20
		}
		if p.failed {
			b |= 0x40
		}
	case 3:
	case 4:
		if p.paperLow || p.paperOut {
			b |= 0x0C
		}
		if p.paperOut {
			b |= 0x60
		}
	default:
		return 0, false
	}
	return b, true
}
