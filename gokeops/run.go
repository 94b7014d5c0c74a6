package gokeops

import (
	"sync"
	"unsafe"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/errkind"
)

// Dtype codes of Run.
const (
	Float32 = 0
	Float64 = 1
)

// Run executes kernel h. desc is the address of an int64 array of ndesc
// words describing the call, laid out as descriptor.go says.
func Run(h int64, dtype int, desc uintptr, ndesc int) (n int, err error) {
	defer guard(&err)
	return 0, run(h, dtype, desc, ndesc, 0)
}

// RunObjects is Run with the buffers of the arguments and outputs named by
// the objects that hold them: their address words are addresses of
// objects in which the buffer's address lies at byte dataOffset. For
// NumPy arrays that is the data pointer, which follows the object header
// (the Python layer checks the offset at import, see common/engine.py):
// the caller passes id(array) instead of reading each array's address.
func RunObjects(h int64, dtype int, desc uintptr, ndesc int, dataOffset int) (n int, err error) {
	defer guard(&err)
	if dataOffset <= 0 || dataOffset > maxDataOffset || dataOffset%int(unsafe.Sizeof(uintptr(0))) != 0 {
		return 0, errkind.Errorf(errkind.BadValue, "data offset %d: expected a multiple of %d in (0, %d]", dataOffset, unsafe.Sizeof(uintptr(0)), maxDataOffset)
	}
	return 0, run(h, dtype, desc, ndesc, dataOffset)
}

// maxDataOffset bounds the data offset of RunObjects (an object header is
// a few words).
const maxDataOffset = 256

func run(h int64, dtype int, desc uintptr, ndesc, dataOffset int) error {
	k, err := kernels.lookup(h)
	if err != nil {
		return err
	}
	words, err := view[int64](desc, ndesc)
	if err != nil {
		return err
	}
	switch dtype {
	case Float32:
		return runTyped[float32](k, &descriptor{words: words}, dataOffset)
	case Float64:
		return runTyped[float64](k, &descriptor{words: words}, dataOffset)
	}
	return errkind.Errorf(errkind.BadType, "unsupported dtype code %d", dtype)
}

type buf struct {
	addr uintptr
	n    int
}

func runTyped[T float32 | float64](k *core.Kernel, d *descriptor, dataOffset int) error {
	s := getCallState[T]()
	defer putCallState(s)
	token, err := s.parse(d, dataOffset)
	if err != nil {
		return err
	}
	if token != 0 {
		s.c.Cancel = cancelFlag(token)
		defer dropCancelFlag(token)
	}
	return core.Run(k, &s.c)
}

// layout is a call descriptor read without touching its buffers: the
// sizes, and the address and length of every buffer (see descriptor.go).
type layout struct {
	token     int64
	m, n      int
	batch     []int
	argBatch  [][]int
	args      []buf
	vals, idx buf
	hasRanges bool
	ranges    [6]buf
}

// parseLayout reads the words of a descriptor (see Run).
func parseLayout(d *descriptor) (*layout, error) {
	l := new(layout)
	return l, l.parse(d)
}

// parse reads the words of a descriptor into l, reusing the arrays of its
// slices.
func (l *layout) parse(d *descriptor) error {
	args, argBatch := l.args[:0], l.argBatch[:0]
	*l = layout{}
	if v := d.next(); v != DescriptorVersion && d.err == nil {
		return errkind.Errorf(errkind.BadValue, "call descriptor version %d, expected %d: the Python package and the extension are from different builds", v, DescriptorVersion)
	}
	l.token, l.m, l.n = int64(d.next()), d.next(), d.next()
	nb := d.next()
	l.batch = d.ints(nb)
	nargs := d.next()
	if d.err == nil && (nargs < 0 || nargs > 1<<16) {
		return errkind.Errorf(errkind.BadValue, "bad argument count %d", nargs)
	}
	if d.err != nil {
		return d.err
	}
	if nargs > cap(args) {
		args, argBatch = make([]buf, nargs), make([][]int, nargs)
	}
	l.args, l.argBatch = args[:nargs], argBatch[:nargs]
	for a := range l.args {
		l.args[a] = buf{uintptr(d.next()), d.next()}
		l.argBatch[a] = d.ints(nb)
	}
	l.vals, l.idx = buf{uintptr(d.next()), d.next()}, buf{uintptr(d.next()), d.next()}
	l.hasRanges = d.next() == 1
	if l.hasRanges {
		for r := range l.ranges {
			l.ranges[r] = buf{uintptr(d.next()), d.next()}
		}
	}
	return d.err
}

// readDataPointers replaces the address of each non-empty argument and
// output, that of an object, with the buffer address it holds at byte
// dataOffset (see RunObjects).
func (l *layout) readDataPointers(dataOffset int) error {
	read := func(b *buf, what string, a int) error {
		if b.n <= 0 {
			return nil
		}
		if b.addr == 0 || b.addr%unsafe.Alignof(uintptr(0)) != 0 {
			if a < 0 {
				return errkind.Errorf(errkind.BadValue, "%s: invalid object address %#x", what, b.addr)
			}
			return errkind.Errorf(errkind.BadValue, "%s %d: invalid object address %#x", what, a, b.addr)
		}
		// As in view: the object belongs to the caller, alive for the call.
		p := *(*unsafe.Pointer)(unsafe.Pointer(&b.addr))
		b.addr = *(*uintptr)(unsafe.Add(p, dataOffset))
		return nil
	}
	for a := range l.args {
		if err := read(&l.args[a], "argument", a); err != nil {
			return err
		}
	}
	if err := read(&l.vals, "values output", -1); err != nil {
		return err
	}
	return read(&l.idx, "index output", -1)
}

// viewRanges makes the block-sparse ranges of l (host memory, int64) a core.Ranges.
func (l *layout) viewRanges() (*core.Ranges, error) {
	if !l.hasRanges {
		return nil, nil
	}
	var rs [6][]int64
	for r, b := range l.ranges {
		var err error
		if rs[r], err = view[int64](b.addr, b.n); err != nil {
			return nil, errkind.Errorf(errkind.BadValue, "ranges[%d]: %w", r, err)
		}
	}
	return &core.Ranges{RangesI: rs[0], SlicesI: rs[1], RedRangesJ: rs[2], RangesJ: rs[3], SlicesJ: rs[4], RedRangesI: rs[5]}, nil
}

// callState is the parsed form of one call. Run keeps them in a pool (one
// per dtype), so that reading a descriptor allocates nothing.
type callState[T float32 | float64] struct {
	l layout
	c core.Call[T]
}

var callStates32, callStates64 sync.Pool

func callStates[T float32 | float64]() *sync.Pool {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return &callStates32
	}
	return &callStates64
}

func getCallState[T float32 | float64]() *callState[T] {
	if s, ok := callStates[T]().Get().(*callState[T]); ok {
		return s
	}
	return new(callState[T])
}

// putCallState drops the references of s to the call's buffers and
// returns it to its pool.
func putCallState[T float32 | float64](s *callState[T]) {
	clear(s.l.argBatch)
	args := s.c.Args[:cap(s.c.Args)]
	clear(args)
	s.c = core.Call[T]{Args: args[:0]}
	callStates[T]().Put(s)
}

// parseCall reads the call of a descriptor (see Run).
func parseCall[T float32 | float64](d *descriptor) (*core.Call[T], int64, error) {
	s := new(callState[T])
	token, err := s.parse(d, 0)
	return &s.c, token, err
}

// parse reads the call of a descriptor (see Run) into s; with dataOffset >
// 0, the descriptor names objects (see RunObjects).
func (s *callState[T]) parse(d *descriptor, dataOffset int) (int64, error) {
	l := &s.l
	if err := l.parse(d); err != nil {
		return 0, err
	}
	if dataOffset > 0 {
		if err := l.readDataPointers(dataOffset); err != nil {
			return 0, err
		}
	}
	args := s.c.Args[:0]
	if cap(args) < len(l.args) {
		args = make([][]T, 0, len(l.args))
	}
	s.c = core.Call[T]{M: l.m, N: l.n, Batch: l.batch, ArgBatch: l.argBatch, Args: args[:len(l.args)]}
	c := &s.c
	// Lengths are checked by core against the kernel's shapes before any
	// element is read; view only builds slices of the declared lengths.
	var err error
	for a, b := range l.args {
		if c.Args[a], err = view[T](b.addr, b.n); err != nil {
			return 0, errkind.Errorf(errkind.BadValue, "argument %d: %w", a, err)
		}
	}
	if c.Vals, err = view[T](l.vals.addr, l.vals.n); err != nil {
		return 0, err
	}
	if c.Idx, err = view[int64](l.idx.addr, l.idx.n); err != nil {
		return 0, err
	}
	if c.Ranges, err = l.viewRanges(); err != nil {
		return 0, err
	}
	c.Workers = int(threads.Load())
	return l.token, nil
}
