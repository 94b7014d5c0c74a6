package gokeops

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/gokeops/gokeops/pkg/errkind"
)

// pythonExceptions is the Python exception class that each error kind
// becomes: the one table of that mapping (the Python layer reads the class
// names through ErrorClasses).
var pythonExceptions = [...]string{
	errkind.Internal:  "RuntimeError",
	errkind.BadValue:  "ValueError",
	errkind.BadType:   "TypeError",
	errkind.Cancelled: "KeyboardInterrupt",
}

// guard is deferred first thing by every exported function. It turns a
// panic into an internal error, which keeps a Go panic from killing the
// Python interpreter, and prefixes every error with "Class: ", the Python
// exception of its kind: gopy raises each error as a RuntimeError carrying
// only the message, which pykeops_go/common/engine.py raises again as the
// class named.
func guard(err *error) {
	if r := recover(); r != nil {
		*err = errkind.Errorf(errkind.Internal, "gokeops internal error: %v\n%s", r, debug.Stack())
	}
	if *err != nil {
		*err = fmt.Errorf("%s: %w", pythonExceptions[errkind.Of(*err)], *err)
	}
}

// ErrorClasses lists, one per line, the Python exception classes that
// error messages may start with (the prefix guard adds).
func ErrorClasses() (s string, err error) {
	defer guard(&err)
	return strings.Join(pythonExceptions[:], "\n"), nil
}
