package ui

import "github.com/till-pos/till/pos"

// tillState is what the screen knows of the till's session: whether the
// float was counted. It is asked after every sign-in and when the office
// opens, and changes with the office's own answers (open, Z).
type tillState int

const (
	tillUnknown tillState = iota // not asked yet, or the database did not answer
	tillClosed                   // no session is open: the float is not counted
	tillOpen                     // a session is open
)

// officeState is where the office screen stands.
type officeState int

const (
	offMenu   officeState = iota // the menu: X, paid in, paid out, pick-up, no sale, Z
	offCount                     // counting the drawer by note and coin (the float, or for the Z)
	offAmount                    // typing a movement's amount
	offReason                    // choosing or typing a movement's reason
	offBusy                      // a request in flight (op): keys wait
	offReport                    // an X or a Z on screen, scrolled with ↑↓
)

func (s officeState) String() string {
	return [...]string{"menu", "count", "amount", "reason", "busy", "report"}[s]
}

// countFor is what a count of the drawer is for.
type countFor int

const (
	countFloat countFor = iota + 1 // opening the till
	countClose                     // closing it with the Z
)

// officeOp is a request the office screen runs in a command.
type officeOp int

const (
	opCurrent officeOp = iota + 1 // is a session open (CashOffice.Current)
	opOpen                        // open the till with the float
	opMove                        // record a paid-in, paid-out, pick-up or no-sale
	opX                           // read the X report
	opZ                           // close the till with the Z
	opPrint                       // print the report on screen
	opSave                        // save the report on screen
)

func (o officeOp) String() string {
	return [...]string{"", "check the till's session", "open the till", "record the cash movement",
		"read the X report", "close the till with the Z", "print the report", "save the report"}[o]
}

// records reports whether op writes to the database: the till does not
// stop while one is in flight.
func (o officeOp) records() bool { return o == opOpen || o == opMove || o == opZ }

// officeMsg answers an office request. req is the request it answers:
// an answer to an older one is dropped.
type officeMsg struct {
	req     int
	op      officeOp
	session pos.Session
	move    pos.CashMovement
	report  pos.Report
	where   string // opSave: where the report went
	err     error
}

// reasons are the short list a movement's reason is chosen from (or the
// cashier types another).
func reasons(k pos.MovementKind) []string {
	switch k {
	case pos.MovePaidIn:
		return []string{"change from the bank", "float top-up"}
	case pos.MovePaidOut:
		return []string{"supplier paid in cash", "petty cash: office supplies", "petty cash: cleaning"}
	case pos.MovePickup:
		return []string{"to the safe"}
	case pos.MoveNoSale:
		return []string{"give change", "check a note", "correct a mistake"}
	}
	return nil
}
