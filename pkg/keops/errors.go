package keops

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gokeops/gokeops/pkg/formula"
)

// The kinds of error, matched with errors.Is(err, keops.ErrShape).
var (
	// ErrFormula: the formula (or formula2) does not parse or its
	// dimensions do not agree.
	ErrFormula = errors.New("invalid formula")
	// ErrAlias: an alias is malformed, or two declare one argument
	// differently, or an argument index is missing.
	ErrAlias = errors.New("invalid alias")
	// ErrReduction: the reduction name is unknown.
	ErrReduction = errors.New("unknown reduction")
	// ErrOption: an option has a bad value or does not apply to the
	// reduction (axis, opt_arg, formula2, dtype_acc, sum_scheme, dtype).
	ErrOption = errors.New("invalid option")
	// ErrShape: the data do not match the kernel: wrong number of
	// arguments, a length that is not rows*dim, sizes that disagree, bad
	// ranges or batch shapes.
	ErrShape = errors.New("shape mismatch")
	// ErrDtype: the data type does not match the one the kernel was
	// compiled for.
	ErrDtype = errors.New("wrong data type")
	// ErrCancelled: the context was cancelled or its deadline passed.
	// The error also matches the context's error (context.Canceled or
	// context.DeadlineExceeded).
	ErrCancelled = errors.New("cancelled")
	// ErrInternal: a bug of the engine (it never panics into the caller).
	ErrInternal = errors.New("internal error")
)

// Error is the error type of the package.
type Error struct {
	Kind error  // one of the Err* values
	Op   string // "compile" or "run"
	// Arg is the index of the argument concerned, or -1.
	Arg int
	// Col is the 1-based column in the formula where a formula error was
	// found, or 0.
	Col int
	Msg string // what is wrong, without the kind
	// Err is the underlying error, if any (the context's error for
	// ErrCancelled, a *formula.Error for ErrFormula).
	Err error
}

func (e *Error) Error() string {
	s := "keops: " + e.Op + ": " + e.Kind.Error()
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Is reports whether target is the kind of e.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func newError(op string, kind error, arg int, format string, args ...any) *Error {
	return &Error{Kind: kind, Op: op, Arg: arg, Msg: fmt.Sprintf(format, args...)}
}

// fromEngine wraps an error of pkg/core or pkg/formula.
func fromEngine(op string, kind error, err error) *Error {
	e := &Error{Kind: kind, Op: op, Arg: -1, Msg: engineMessage(err), Err: err}
	var fe *formula.Error
	if errors.As(err, &fe) {
		e.Col = int(fe.Pos)
	}
	return e
}

// engineMessage is the message of an engine error, less the "formula: " of
// formula errors (the Col field says where).
func engineMessage(err error) string { return strings.TrimPrefix(err.Error(), "formula: ") }
