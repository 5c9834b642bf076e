package pos

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Adapters translate what they see (driver errors, gateway
// errors) into one of these; everything they cannot classify is EInternal.
const (
	EInvalid     = "invalid"      // bad input from the cashier or scanner
	ENotFound    = "not_found"    // unknown code, sale, customer
	EConflict    = "conflict"     // the thing is in a state that forbids this
	EOutOfStock  = "out_of_stock" // not enough stock for one or more items
	EDeclined    = "declined"     // the card was declined
	EUnavailable = "unavailable"  // database, reader or network down: try again
	EInternal    = "internal"     // a bug or something unforeseen
)

// Error is an error whose Message is safe and useful to show a cashier.
type Error struct {
	Code    string
	Message string
	// Short lists the items that were short of stock (EOutOfStock only).
	Short []Shortage
	// Err is the underlying cause, for logs; never shown to the cashier.
	Err error
}

// Shortage names an item that a sale wanted more of than was in stock.
type Shortage struct {
	ItemID    ItemID
	Name      string
	Wanted    int64
	Available int64
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error carrying err as its cause.
func WrapError(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// OutOfStockError names every short item in its message.
func OutOfStockError(short []Shortage) *Error {
	names := make([]string, len(short))
	for i, s := range short {
		names[i] = fmt.Sprintf("%s (wanted %d, %d left)", s.Name, s.Wanted, max(s.Available, 0))
	}
	return &Error{Code: EOutOfStock, Message: "not enough stock: " + strings.Join(names, ", "), Short: short}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal for
// any other error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the cashier-readable message of err. Errors that are
// not *Error get a generic message so internals never reach the screen.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	}
	return "something went wrong; the error is in the log"
}
