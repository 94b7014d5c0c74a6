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

// parseCall reads the call of a descriptor (see Run).
func parseCall[T float32 | float64](d *descriptor) (*core.Call[T], int64, error) {
	if v := d.next(); v != DescriptorVersion && d.err == nil {
		return nil, 0, errkind.Errorf(errkind.BadValue, "call descriptor version %d, expected %d: the Python package and the extension are from different builds", v, DescriptorVersion)
	}
	token := int64(d.next())
	c := &core.Call[T]{M: d.next(), N: d.next()}
	nb := d.next()
	c.Batch = d.ints(nb)
	nargs := d.next()
	if d.err == nil && (nargs < 0 || nargs > 1<<16) {
		return nil, 0, errkind.Errorf(errkind.BadValue, "bad argument count %d", nargs)
	}
	bufs := make([]buf, nargs)
	c.ArgBatch = make([][]int, nargs)
	for a := range bufs {
		bufs[a] = buf{uintptr(d.next()), d.next()}
		c.ArgBatch[a] = d.ints(nb)
	}
	vals, idx := buf{uintptr(d.next()), d.next()}, buf{uintptr(d.next()), d.next()}
	var ranges [6]buf
	hasRanges := d.next() == 1
	if hasRanges {
		for r := range ranges {
			ranges[r] = buf{uintptr(d.next()), d.next()}
		}
	}
	if d.err != nil {
		return nil, 0, d.err
	}
	// Lengths are checked by core against the kernel's shapes before any
	// element is read; view only builds slices of the declared lengths.
	var err error
	c.Args = make([][]T, nargs)
	for a, b := range bufs {
		if c.Args[a], err = view[T](b.addr, b.n); err != nil {
			return nil, 0, errkind.Errorf(errkind.BadValue, "argument %d: %w", a, err)
		}
	}
	if c.Vals, err = view[T](vals.addr, vals.n); err != nil {
		return nil, 0, err
	}
	if c.Idx, err = view[int64](idx.addr, idx.n); err != nil {
		return nil, 0, err
	}
	if hasRanges {
		var rs [6][]int64
		for r, b := range ranges {
			if rs[r], err = view[int64](b.addr, b.n); err != nil {
				return nil, 0, errkind.Errorf(errkind.BadValue, "ranges[%d]: %w", r, err)
			}
		}
		c.Ranges = &core.Ranges{RangesI: rs[0], SlicesI: rs[1], RedRangesJ: rs[2], RangesJ: rs[3], SlicesJ: rs[4], RedRangesI: rs[5]}
	}
	c.Workers = int(threads.Load())
	return c, token, nil
}
