//go:build !(linux && amd64)

package x86

import (
	"errors"
	"unsafe"
)

// Code is machine code in executable memory; this platform has none.
type Code struct{}

// Supported reports whether this build can run generated code.
const Supported = false

// NewCode fails: generated code runs only on linux/amd64.
func NewCode(b []byte) (*Code, error) {
	return nil, errors.New("x86: no executable memory on this platform")
}

// Release does nothing.
func (c *Code) Release() {}

// Call panics: no Code exists on this platform.
func (c *Code) Call(arg unsafe.Pointer) { panic("x86: no generated code on this platform") }
