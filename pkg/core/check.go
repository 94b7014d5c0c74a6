package core

import "github.com/gokeops/gokeops/pkg/errkind"

// check verifies every length and index of a call against the kernel, so
// that the engine never reads or writes outside a buffer. Every error is
// errkind.BadValue and names the argument at fault.
func (k *Kernel) checkCall(nargs int, argLens []int, argBatch [][]int, batch []int, m, n, nvals, nidx int, rg *Ranges) error {
	if nargs != len(k.Sig) {
		return errkind.Errorf(errkind.BadValue, "Invalid number of arguments (should be %d and got %d)", len(k.Sig), nargs)
	}
	if m < 0 || n < 0 {
		return errkind.Errorf(errkind.BadValue, "sizes must be >= 0, got M=%d, N=%d", m, n)
	}
	for t, b := range batch {
		if b < 0 {
			return errkind.Errorf(errkind.BadValue, "batch dimension %d is negative (%d)", t, b)
		}
	}
	nb := prod(batch)
	if len(argBatch) != nargs {
		return errkind.Errorf(errkind.BadValue, "got batch shapes for %d arguments, expected %d", len(argBatch), nargs)
	}
	for a, v := range k.Sig {
		if len(argBatch[a]) != len(batch) {
			return errkind.Errorf(errkind.BadValue, "argument %d has %d batch dimensions, expected %d", a, len(argBatch[a]), len(batch))
		}
		for t, b := range argBatch[a] {
			if b != 1 && b != batch[t] {
				return errkind.Errorf(errkind.BadValue, "argument %d has batch dimension %d of size %d, incompatible with %d", a, t, b, batch[t])
			}
		}
		rows := 1
		switch v.Cat {
		case 0:
			rows = m
		case 1:
			rows = n
		}
		if want := prod(argBatch[a]) * rows * v.Dim; argLens[a] != want {
			return errkind.Errorf(errkind.BadValue, "argument %d (%s, dim %d) has %d values, expected %d", a, v.Cat, v.Dim, argLens[a], want)
		}
	}
	rows := n
	if k.axis == 1 {
		rows = m
	}
	if want := nb * rows * k.ValsDim; nvals != want {
		return errkind.Errorf(errkind.BadValue, "the output has %d values, expected %d", nvals, want)
	}
	if want := nb * rows * k.IdxDim; nidx != want {
		return errkind.Errorf(errkind.BadValue, "the index output has %d values, expected %d", nidx, want)
	}
	if rg != nil {
		if len(batch) > 0 {
			return errkind.Errorf(errkind.BadValue, "ranges cannot be combined with batch dimensions")
		}
		outer, inner := m, n
		ranges, slices, red := rg.RangesI, rg.SlicesI, rg.RedRangesJ
		if k.axis == 0 {
			outer, inner = n, m
			ranges, slices, red = rg.RangesJ, rg.SlicesJ, rg.RedRangesI
		}
		if err := checkRanges(ranges, slices, red, outer, inner); err != nil {
			return err
		}
	}
	return nil
}

func checkRanges(ranges, slices, red []int64, outer, inner int) error {
	if len(ranges) != 2*len(slices) {
		return errkind.Errorf(errkind.BadValue, "ranges: %d row blocks (ranges) but %d slices", len(ranges)/2, len(slices))
	}
	if len(red)%2 != 0 {
		return errkind.Errorf(errkind.BadValue, "ranges: the reduction intervals must have shape (n, 2)")
	}
	for b := 0; b < len(slices); b++ {
		lo, hi := ranges[2*b], ranges[2*b+1]
		if lo < 0 || hi < lo || hi > int64(outer) {
			return errkind.Errorf(errkind.BadValue, "ranges: row block %d is [%d, %d), outside [0, %d]", b, lo, hi, outer)
		}
		prev := int64(0)
		if b > 0 {
			prev = slices[b-1]
		}
		if slices[b] < prev || slices[b] > int64(len(red)/2) {
			return errkind.Errorf(errkind.BadValue, "ranges: slices must be non-decreasing and <= %d, got %d at %d", len(red)/2, slices[b], b)
		}
	}
	for s := 0; s < len(red)/2; s++ {
		lo, hi := red[2*s], red[2*s+1]
		if lo < 0 || hi < lo || hi > int64(inner) {
			return errkind.Errorf(errkind.BadValue, "ranges: reduction interval %d is [%d, %d), outside [0, %d]", s, lo, hi, inner)
		}
	}
	return nil
}

// check runs checkCall on a typed call.
func (k *Kernel) check(c any) error {
	switch c := c.(type) {
	case *Call[float32]:
		return k.checkCall(len(c.Args), lens(c.Args), c.ArgBatch, c.Batch, c.M, c.N, len(c.Vals), len(c.Idx), c.Ranges)
	case *Call[float64]:
		return k.checkCall(len(c.Args), lens(c.Args), c.ArgBatch, c.Batch, c.M, c.N, len(c.Vals), len(c.Idx), c.Ranges)
	}
	return errkind.Errorf(errkind.BadType, "core: unsupported call type %T", c)
}

func lens[T float](xs [][]T) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = len(x)
	}
	return out
}

// CheckLayout verifies the sizes of a call whose buffers the engine does
// not read itself (GPU memory): argLens[a] values in argument a, nvals
// values and nidx indices, with the same errors as Run.
func (k *Kernel) CheckLayout(argLens []int, argBatch [][]int, batch []int, m, n, nvals, nidx int, rg *Ranges) error {
	return k.checkCall(len(argLens), argLens, argBatch, batch, m, n, nvals, nidx, rg)
}

// Axis is the reduced axis: 0 reduces over i, 1 over j.
func (k *Kernel) Axis() int { return k.axis }
