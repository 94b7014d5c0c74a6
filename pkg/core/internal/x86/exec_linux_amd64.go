package x86

import (
	"errors"
	"syscall"
	"unsafe"
)

// Code is machine code in executable memory, mapped apart from Go's heap.
// It is never writable and executable at once: the bytes are copied into
// a read-write mapping that then becomes read-execute. Release unmaps it.
type Code struct {
	mem []byte
}

// Supported reports whether this build can run generated code.
const Supported = true

// NewCode copies b into executable memory.
func NewCode(b []byte) (*Code, error) {
	if len(b) == 0 {
		return nil, errors.New("x86: empty code")
	}
	page := syscall.Getpagesize()
	size := (len(b) + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, err
	}
	copy(mem, b)
	if err := syscall.Mprotect(mem, syscall.PROT_READ|syscall.PROT_EXEC); err != nil {
		syscall.Munmap(mem)
		return nil, err
	}
	return &Code{mem: mem}, nil
}

// Release unmaps the code; it must not run afterwards.
func (c *Code) Release() {
	if c.mem != nil {
		syscall.Munmap(c.mem)
		c.mem = nil
	}
}

// Call runs the code with arg in RDI. The code must follow the rules of the
// package comment and return in bounded time: the goroutine cannot be
// preempted while it runs.
func (c *Code) Call(arg unsafe.Pointer) { call(unsafe.Pointer(&c.mem[0]), arg) }

// call is in call_amd64.s.
func call(fn, arg unsafe.Pointer)
