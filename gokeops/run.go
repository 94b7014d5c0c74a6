package gokeops

import (
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
	k, err := kernels.lookup(h)
	if err != nil {
		return 0, err
	}
	words, err := view[int64](desc, ndesc)
	if err != nil {
		return 0, err
	}
	switch dtype {
	case Float32:
		return 0, runTyped[float32](k, &descriptor{words: words})
	case Float64:
		return 0, runTyped[float64](k, &descriptor{words: words})
	}
	return 0, errkind.Errorf(errkind.BadType, "unsupported dtype code %d", dtype)
}

type buf struct {
	addr uintptr
	n    int
}

func runTyped[T float32 | float64](k *core.Kernel, d *descriptor) error {
	c, token, err := parseCall[T](d)
	if err != nil {
		return err
	}
	c.Cancel = cancelFlag(token)
	defer dropCancelFlag(token)
	return core.Run(k, c)
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
	if v := d.next(); v != DescriptorVersion && d.err == nil {
		return nil, errkind.Errorf(errkind.BadValue, "call descriptor version %d, expected %d: the Python package and the extension are from different builds", v, DescriptorVersion)
	}
	l := &layout{token: int64(d.next()), m: d.next(), n: d.next()}
	nb := d.next()
	l.batch = d.ints(nb)
	nargs := d.next()
	if d.err == nil && (nargs < 0 || nargs > 1<<16) {
		return nil, errkind.Errorf(errkind.BadValue, "bad argument count %d", nargs)
	}
	if d.err != nil {
		return nil, d.err
	}
	l.args = make([]buf, nargs)
	l.argBatch = make([][]int, nargs)
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
	return l, d.err
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

// parseCall reads the call of a descriptor (see Run).
func parseCall[T float32 | float64](d *descriptor) (*core.Call[T], int64, error) {
	l, err := parseLayout(d)
	if err != nil {
		return nil, 0, err
	}
	c := &core.Call[T]{M: l.m, N: l.n, Batch: l.batch, ArgBatch: l.argBatch}
	// Lengths are checked by core against the kernel's shapes before any
	// element is read; view only builds slices of the declared lengths.
	c.Args = make([][]T, len(l.args))
	for a, b := range l.args {
		if c.Args[a], err = view[T](b.addr, b.n); err != nil {
			return nil, 0, errkind.Errorf(errkind.BadValue, "argument %d: %w", a, err)
		}
	}
	if c.Vals, err = view[T](l.vals.addr, l.vals.n); err != nil {
		return nil, 0, err
	}
	if c.Idx, err = view[int64](l.idx.addr, l.idx.n); err != nil {
		return nil, 0, err
	}
	if c.Ranges, err = l.viewRanges(); err != nil {
		return nil, 0, err
	}
	c.Workers = int(threads.Load())
	return c, l.token, nil
}
