package escpos

import "fmt"

// Status is what the printer says of itself when asked with DLE EOT, the
// real-time status request it answers even while it is offline.
type Status struct {
	// Known: the printer answered. A raw CUPS queue or a one-way device
	// cannot ask, and then the job is sent and nothing else is known.
	Known     bool
	Offline   bool // DLE EOT 1, bit 3
	CoverOpen bool // DLE EOT 2, bit 2
	PaperOut  bool // DLE EOT 2, bit 5 (printing stopped at the paper end), or DLE EOT 4, bits 5 and 6
	PaperLow  bool // DLE EOT 4, bits 2 and 3: the roll is nearly used up; it still prints
	Error     bool // DLE EOT 2, bit 6: a cutter jam, the head too hot, …
}

// The real-time status requests and the bits the till reads.
const (
	statusPrinter = 1 // DLE EOT 1: printer status
	statusOffline = 2 // DLE EOT 2: offline cause
	statusPaper   = 4 // DLE EOT 4: roll paper sensor
)

// statusRequest is DLE EOT n.
func statusRequest(n byte) []byte { return []byte{dle, eot, n} }

// isStatusByte: every DLE EOT answer has bits 1 and 4 set and bits 0 and 7
// clear, which tells it from an automatic status back message's bytes.
func isStatusByte(b byte) bool { return b&0x93 == 0x12 }

// read sets the bits of the answer to DLE EOT n.
func (s *Status) read(n, b byte) {
	switch n {
	case statusPrinter:
		s.Offline = b&0x08 != 0
	case statusOffline:
		s.CoverOpen = b&0x04 != 0
		s.PaperOut = s.PaperOut || b&0x20 != 0
		s.Error = b&0x40 != 0
	case statusPaper:
		s.PaperLow = b&0x0C != 0
		s.PaperOut = s.PaperOut || b&0x60 != 0
	}
}

// Fault is a printer problem the cashier is told about in plain words.
type Fault string

const (
	PaperOut       Fault = "paper out"
	CoverOpen      Fault = "cover open"
	PrinterOffline Fault = "printer offline"
	PrinterError   Fault = "printer error"
)

// Fault is the status's problem, the one to fix first; "" when the
// printer is ready (or could not say).
func (s Status) Fault() Fault {
	switch {
	case !s.Known:
		return ""
	case s.CoverOpen:
		return CoverOpen
	case s.PaperOut:
		return PaperOut
	case s.Error:
		return PrinterError
	case s.Offline:
		return PrinterOffline
	}
	return ""
}

// FaultError is the error a printer fault returns; the pos.Error around it
// carries the cashier's message.
type FaultError struct {
	Fault   Fault
	Printer string // where the printer is, e.g. tcp://10.0.0.9:9100
	Err     error  // what the transport said, if anything
}

func (e *FaultError) Error() string {
	s := fmt.Sprintf("%s: %s", e.Printer, e.Fault)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FaultError) Unwrap() error { return e.Err }

// advice is what the cashier does about a fault.
func (f Fault) advice() string {
	switch f {
	case PaperOut:
		return "put in a new paper roll"
	case CoverOpen:
		return "close the printer's cover"
	case PrinterError:
		return "clear any paper jam and switch the printer off and on"
	}
	return "check that the printer is switched on and its cable is in"
}
