// Package errkind classifies the errors of the engine into a few kinds that
// callers match with errors.Is (errors.Is(err, errkind.BadValue)) and
// errors.As (*errkind.Error), instead of reading message prefixes. The
// kinds say whose fault an error is: a bad argument value, an argument of
// the wrong type, a call cancelled on request, or a fault of the engine.
// The gokeops package turns each kind into the Python exception it raises.
package errkind

import (
	"errors"
	"fmt"
)

// Kind is the class of an error. A Kind is itself an error, so that it can
// be the target of errors.Is.
type Kind uint8

const (
	// Internal is a fault of the engine (a bug): the zero Kind, so that an
	// error nobody classified counts as one.
	Internal Kind = iota
	// BadValue is an argument of the right type with a value the engine
	// refuses: a formula that does not parse, mismatched sizes, an unknown
	// option.
	BadValue
	// BadType is an argument of the wrong type or arity, such as an opt_arg
	// given to a reduction that takes none.
	BadType
	// Cancelled is a call stopped on request before it finished.
	Cancelled
)

// Kinds lists every kind, Internal first.
var Kinds = [...]Kind{Internal, BadValue, BadType, Cancelled}

var kindNames = [...]string{"internal error", "bad value", "bad type", "cancelled"}

// Error is the name of the kind ("bad value").
func (k Kind) Error() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("errkind.Kind(%d)", uint8(k))
}

// Error is an error of a known kind. Its message is that of the wrapped
// error: the kind classifies, it adds no text.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap gives the wrapped error, so that errors.As still reaches a
// *formula.Error (and its column) inside.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the kind of e.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// Errorf formats an error of kind k; %w wraps as in fmt.Errorf.
func Errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Err: fmt.Errorf(format, args...)}
}

// Wrap gives err the kind k, keeping its message; nil stays nil.
func Wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Err: err}
}

// Of is the kind of err: that of the outermost *Error in its chain, else
// the first kind err reports through an Is method (as *formula.Error does),
// else Internal.
func Of(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	for _, k := range Kinds[1:] {
		if errors.Is(err, k) {
			return k
		}
	}
	return Internal
}
