package gokeops

import (
	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/errkind"
)

// Partial reductions (see pkg/core/partial.go): a call over a piece of the
// reduced index yields one state row of StateLen float64s per output row;
// states of consecutive pieces merge, and finish into the outputs of Run.

// StateLen is the number of float64s of the state of one output row of h.
func StateLen(h int64) (n int, err error) {
	defer guard(&err)
	k, err := kernels.lookup(h)
	if err != nil {
		return 0, err
	}
	return k.StateLen(), nil
}

// PieceAlign is the multiple of the reduced index at which pieces start for
// results equal bit for bit to a single Run.
func PieceAlign() (n int, err error) {
	defer guard(&err)
	return core.PieceAlign, nil
}

// RunPartial runs kernel h as Run does, on a descriptor of the same layout
// whose values and indices are empty (length 0), and writes the states of
// its output rows to the nstate float64s at state. offset is the global
// index of the call's first point of the reduced axis.
func RunPartial(h int64, dtype int, desc uintptr, ndesc int, state uintptr, nstate int, offset int) (n int, err error) {
	defer guard(&err)
	k, err := kernels.lookup(h)
	if err != nil {
		return 0, err
	}
	words, err := view[int64](desc, ndesc)
	if err != nil {
		return 0, err
	}
	st, err := view[float64](state, nstate)
	if err != nil {
		return 0, errkind.Errorf(errkind.BadValue, "state: %w", err)
	}
	switch dtype {
	case Float32:
		return 0, runPartialTyped[float32](k, &descriptor{words: words}, st, offset)
	case Float64:
		return 0, runPartialTyped[float64](k, &descriptor{words: words}, st, offset)
	}
	return 0, errkind.Errorf(errkind.BadType, "unsupported dtype code %d", dtype)
}

func runPartialTyped[T float32 | float64](k *core.Kernel, d *descriptor, state []float64, offset int) error {
	c, token, err := parseCall[T](d)
	if err != nil {
		return err
	}
	c.Cancel = cancelFlag(token)
	defer dropCancelFlag(token)
	return core.RunPartial(k, c, state, offset)
}

// MergeStates folds the n states at part (of the piece of the reduced index
// just after acc's) into the n states at acc, for data of dtype.
func MergeStates(h int64, dtype int, acc, part uintptr, n int) (ok bool, err error) {
	defer guard(&err)
	k, err := kernels.lookup(h)
	if err != nil {
		return false, err
	}
	a, err := view[float64](acc, n)
	if err != nil {
		return false, err
	}
	p, err := view[float64](part, n)
	if err != nil {
		return false, err
	}
	switch dtype {
	case Float32:
		return true, core.MergeStates[float32](k, a, p)
	case Float64:
		return true, core.MergeStates[float64](k, a, p)
	}
	return false, errkind.Errorf(errkind.BadType, "unsupported dtype code %d", dtype)
}

// FinishStates writes the outputs of the nstate state values at state: nvals
// values of dtype at vals, nidx int64 indices at idx (as Run's outputs).
func FinishStates(h int64, dtype int, state uintptr, nstate int, vals uintptr, nvals int, idx uintptr, nidx int) (ok bool, err error) {
	defer guard(&err)
	k, err := kernels.lookup(h)
	if err != nil {
		return false, err
	}
	st, err := view[float64](state, nstate)
	if err != nil {
		return false, err
	}
	ix, err := view[int64](idx, nidx)
	if err != nil {
		return false, err
	}
	switch dtype {
	case Float32:
		v, err := view[float32](vals, nvals)
		if err != nil {
			return false, err
		}
		return true, core.FinishStates(k, st, v, ix)
	case Float64:
		v, err := view[float64](vals, nvals)
		if err != nil {
			return false, err
		}
		return true, core.FinishStates(k, st, v, ix)
	}
	return false, errkind.Errorf(errkind.BadType, "unsupported dtype code %d", dtype)
}
