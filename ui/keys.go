package ui

import "charm.land/bubbles/v2/key"

// KeyMap holds every key binding of the till, in one place. The basket
// field takes printable characters (codes, "N*", receipt keys), so every
// command is on a function key, an arrow or a control key.
type KeyMap struct {
	Quit, Up, Down, Enter, Esc, Tab key.Binding
	// basket
	Quantity, Search, Customer, Pay, VoidLine, VoidSale, SignOut key.Binding
	// sign-in: a manager unlocks the cashier refused
	Unlock key.Binding
	// returns: from the basket, by sale number or without a receipt; on
	// the return screen, a line's reason and restock, cash instead of the
	// card (a manager approves)
	// the selected line's price and discount, the basket's discount;
	// parking the basket (or the list of parked ones on an empty
	// basket); a copy of the last receipt (or of the sale on the return
	// screen)
	Price, LineDiscount, BasketDiscount, Park, Reprint key.Binding
	ReturnSale, ReturnNoReceipt                        key.Binding
	Reason, Restock, CashInstead                       key.Binding
	// tender
	Cash, Exact, Note1, Note2, Card key.Binding
	// training: what the next simulated card payment does
	SimDecline, SimTimeout key.Binding
	// training, on the return screen: what the next card refund does
	SimRefundFail, SimRefundTimeout key.Binding
	TestCard, TestDecline           key.Binding
	// done
	Print, Save, NextSale key.Binding
	// the cash office (issue 12; ui/office.go). Office opens it from an
	// empty basket; on its menu each entry has a digit; CountDone ends a
	// count of the drawer; PageUp/PageDown scroll a report.
	Office                                                           key.Binding
	OfficeX, OfficePaidIn, OfficePaidOut, OfficePickup, OfficeNoSale key.Binding
	OfficeZ, CountDone, PageUp, PageDown                             key.Binding
	// a cash sale waiting for the database is sold offline (issue 16)
	SellOffline key.Binding
	// dialogs
	Detach, Yes, No key.Binding
	First, Second   key.Binding // a choice of two
}

// NewKeyMap returns the till's key bindings.
func NewKeyMap() KeyMap {
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Quit:  b([]string{"ctrl+c"}, "ctrl+c", "quit"),
		Up:    b([]string{"up"}, "↑", "up"),
		Down:  b([]string{"down"}, "↓", "down"),
		Enter: b([]string{"enter"}, "enter", "add"),
		Esc:   b([]string{"esc"}, "esc", "back"),
		Tab:   b([]string{"tab", "shift+tab"}, "tab", "next field"),

		Quantity: b([]string{"f2"}, "F2", "quantity"),
		Search:   b([]string{"f3"}, "F3", "find item"),
		Customer: b([]string{"f4"}, "F4", "customer"),
		Pay:      b([]string{"f5"}, "F5", "pay"),
		VoidLine: b([]string{"f8"}, "F8", "void line"),
		VoidSale: b([]string{"f9"}, "F9", "void sale"),
		SignOut:  b([]string{"f10"}, "F10", "sign out"),
		Unlock:   b([]string{"f9"}, "F9", "manager unlock"),

		// Control keys: the F-keys are taken, the field takes printable
		// characters, and ctrl+b is tmux's prefix, ctrl+s/q flow control.
		Price:          b([]string{"ctrl+o"}, "ctrl+o", "price"),
		LineDiscount:   b([]string{"ctrl+d"}, "ctrl+d", "line discount"),
		BasketDiscount: b([]string{"ctrl+t"}, "ctrl+t", "basket discount"),
		Park:           b([]string{"ctrl+p"}, "ctrl+p", "park"),
		Reprint:        b([]string{"ctrl+r"}, "ctrl+r", "reprint (COPY)"),

		ReturnSale:      b([]string{"f6"}, "F6", "return"),
		ReturnNoReceipt: b([]string{"f7"}, "F7", "no-receipt return"),
		Reason:          b([]string{"f3"}, "F3", "reason"),
		Restock:         b([]string{"f4"}, "F4", "restock"),
		CashInstead:     b([]string{"f6"}, "F6", "cash instead of card"),

		Cash:  b([]string{"enter"}, "enter", "cash typed"),
		Exact: b([]string{"f2"}, "F2", "exact cash"),
		Note1: b([]string{"f3"}, "F3", "note"),
		Note2: b([]string{"f4"}, "F4", "note"),
		Card:  b([]string{"f5"}, "F5", "card"),

		SimDecline: b([]string{"f6"}, "F6", "next card declines"),
		SimTimeout: b([]string{"f7"}, "F7", "next card times out"),
		// F6 is cash instead of the card on the return screen.
		SimRefundFail:    b([]string{"f7"}, "F7", "next refund fails"),
		SimRefundTimeout: b([]string{"f8"}, "F8", "next refund times out"),
		// Only on a Stripe test-mode reader, never with the simulated one.
		TestCard:    b([]string{"f6"}, "F6", "present test card"),
		TestDecline: b([]string{"f7"}, "F7", "present declining test card"),

		Print:    b([]string{"f2"}, "F2", "print receipt"),
		Save:     b([]string{"f3"}, "F3", "save receipt"),
		NextSale: b([]string{"enter"}, "enter/scan", "next sale"),

		// The cash office: ctrl+x on the basket (ctrl+o is a line's price); the rest on its screen.
		Office:        b([]string{"ctrl+x"}, "ctrl+x", "cash office"),
		OfficeX:       b([]string{"1"}, "1", "X report"),
		OfficePaidIn:  b([]string{"2"}, "2", "paid in"),
		OfficePaidOut: b([]string{"3"}, "3", "paid out"),
		OfficePickup:  b([]string{"4"}, "4", "pick-up"),
		OfficeNoSale:  b([]string{"5"}, "5", "no sale"),
		OfficeZ:       b([]string{"6"}, "6", "Z report"),
		CountDone:     b([]string{"f5"}, "F5", "count done"),
		PageUp:        b([]string{"pgup"}, "PgUp", "page up"),
		PageDown:      b([]string{"pgdown"}, "PgDn", "page down"),

		SellOffline: b([]string{"ctrl+f"}, "ctrl+f", "sell offline"),

		Detach: b([]string{"f8"}, "F8", "detach customer"),
		Yes:    b([]string{"y", "Y"}, "y", "yes"),
		No:     b([]string{"n", "N", "esc"}, "n", "no"),
		First:  b([]string{"1"}, "1", "the first"),
		Second: b([]string{"2"}, "2", "the second"),
	}
}

// with returns a copy of b with another help text, e.g. a note's amount.
func with(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}
