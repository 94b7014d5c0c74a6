package gokeops

import (
	"fmt"
	"runtime/debug"
)

// guard turns a panic into an error. Deferred first thing by every exported
// function, it keeps a Go panic from killing the Python interpreter.
func guard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("RuntimeError: gokeops internal error: %v\n%s", r, debug.Stack())
	}
}
