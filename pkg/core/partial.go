package core

import (
	"github.com/gokeops/gokeops/pkg/errkind"
)

// Partial reductions. A reduction over the reduced index splits into pieces
// whose accumulators merge associatively: a sum; a running max with its
// shifted exponential sums (the LogSumExp family); candidate values with
// their indices (the Min / ArgMin / KMin families). RunPartial runs a call
// over one piece and keeps, for each output row, that accumulator (its
// "state", a row of float64s); MergeStates folds the state of a later piece
// into an earlier one, and FinishStates turns states into the outputs Run
// would have written. Pieces computed apart (other processes or machines)
// thus give the single-pass result: exactly for the Min / Max / Arg
// families, which merge with the same strict comparisons as the pass over
// tiles, and up to the rounding of the sum scheme for sums.
//
// The pass over tiles puts term j at position j mod PieceAlign of its tile,
// and the last, partial vector of a tile may round differently from full
// ones: pieces that start at multiples of PieceAlign compute every term
// exactly as the single pass does, hence the bit-for-bit guarantee; other
// cuts give the same indices and values within a unit in the last place.
//
// A state row is what the reducer accumulates (see reduce.go); indices are
// stored as float64, exact below 2^53.

// PieceAlign is the multiple of the reduced index at which pieces should
// start for results equal bit for bit to a single pass (the tile size).
const PieceAlign = tileSize

// StateLen is the number of float64s in the state of one output row.
func (k *Kernel) StateLen() int {
	return newReducer[float64](k, false).accLen()
}

// indexShifter is a reducer whose state holds indices of the reduced axis.
type indexShifter interface {
	// shift adds off to the indices of the filled slots of one state row.
	shift(acc []float64, off float64)
}

// shift moves the index of each filled slot (an infinite value counts as
// filled); absent slots keep the index -1, as in a single pass.
func (r *extremeReducer[T]) shift(acc []float64, off float64) {
	for k := 0; k < r.d; k++ {
		if acc[r.d+k] >= 0 {
			acc[r.d+k] += off
		}
	}
}

// shift moves the indices of the filled slots; empty slots are (+inf, -1).
func (r *kminReducer[T]) shift(acc []float64, off float64) {
	for c := 0; c < r.d; c++ {
		for l := 0; l < r.k; l++ {
			if acc[c*2*r.k+r.k+l] >= 0 {
				acc[c*2*r.k+r.k+l] += off
			}
		}
	}
}

// stateReducer is the reducer of k for data of type T.
func stateReducer[T float](k *Kernel) (reducer[T], bool, error) {
	var zero T
	_, isF32 := any(zero).(float32)
	acc32, err := k.accumulate32(isF32)
	if err != nil {
		return nil, false, err
	}
	return newReducer[T](k, acc32), acc32, nil
}

// outputRows is the number of output rows of a call of sizes m, n.
func (k *Kernel) outputRows(m, n int) int {
	if k.axis == 0 {
		return n
	}
	return m
}

// RunPartial runs the reduction of c over its whole reduced index, as Run,
// but writes each output row's state to state, laid out (batch..., rows,
// StateLen()), instead of the outputs; c.Vals and c.Idx must be empty.
// offset is the global index of the call's first point of the reduced axis:
// the indices in the state count from it, so that states of pieces cut from
// a larger reduction merge into its result.
func RunPartial[T float](k *Kernel, c *Call[T], state []float64, offset int) error {
	red, acc32, err := stateReducer[T](k)
	if err != nil {
		return err
	}
	if len(c.Vals) != 0 || len(c.Idx) != 0 {
		return errkind.Errorf(errkind.BadValue, "a partial reduction writes states, not outputs: got %d values and %d indices", len(c.Vals), len(c.Idx))
	}
	if offset < 0 {
		return errkind.Errorf(errkind.BadValue, "the offset of a partial reduction must be >= 0, got %d", offset)
	}
	rows, nb := k.outputRows(c.M, c.N), prod(c.Batch)
	if err := k.checkCall(len(c.Args), lens(c.Args), c.ArgBatch, c.Batch, c.M, c.N, nb*rows*k.ValsDim, nb*rows*k.IdxDim, c.Ranges); err != nil {
		return err
	}
	al := red.accLen()
	if want := nb * rows * al; len(state) != want {
		return errkind.Errorf(errkind.BadValue, "the state has %d values, expected %d (%d rows of %d)", len(state), want, nb*rows, al)
	}
	r := &runner[T]{k: k, c: c, red: red, round32: acc32, state: state}
	r.packSpans = indexFree(red)
	r.outer, r.inner = c.M, c.N
	if k.axis == 0 {
		r.outer, r.inner = c.N, c.M
	}
	r.argOffsets()
	r.plan()
	if err := r.execute(); err != nil {
		return err
	}
	if s, ok := red.(indexShifter); ok && offset != 0 {
		for o := 0; o < nb*rows; o++ {
			s.shift(state[o*al:(o+1)*al], float64(offset))
		}
	}
	return nil
}

// checkStates checks that states holds whole rows of states of k.
func checkStates(name string, states []float64, al int) (rows int, err error) {
	if len(states)%al != 0 {
		return 0, errkind.Errorf(errkind.BadValue, "%s has %d values, not a whole number of rows of %d", name, len(states), al)
	}
	return len(states) / al, nil
}

// MergeStates folds the states part into acc, row by row (both laid out as
// by RunPartial). part must come from the piece of the reduced index just
// after acc's: on ties, acc's index wins, as the first index does in a
// single pass. T is the dtype of the data (float32 sums round as Run's do).
func MergeStates[T float](k *Kernel, acc, part []float64) error {
	red, _, err := stateReducer[T](k)
	if err != nil {
		return err
	}
	al := red.accLen()
	rows, err := checkStates("the state", acc, al)
	if err != nil {
		return err
	}
	if len(part) != len(acc) {
		return errkind.Errorf(errkind.BadValue, "merging states of %d and %d values: expected the same rows", len(acc), len(part))
	}
	for o := 0; o < rows; o++ {
		red.merge(acc[o*al:(o+1)*al], part[o*al:(o+1)*al])
	}
	return nil
}

// InitStates fills states with the state of an empty reduction.
func InitStates[T float](k *Kernel, states []float64) error {
	red, _, err := stateReducer[T](k)
	if err != nil {
		return err
	}
	al := red.accLen()
	rows, err := checkStates("the state", states, al)
	if err != nil {
		return err
	}
	for o := 0; o < rows; o++ {
		red.init(states[o*al : (o+1)*al])
	}
	return nil
}

// FinishStates writes the outputs of the states, laid out as Run's: vals
// gets rows x ValsDim values, idx rows x IdxDim indices.
func FinishStates[T float](k *Kernel, states []float64, vals []T, idx []int64) error {
	red, _, err := stateReducer[T](k)
	if err != nil {
		return err
	}
	al := red.accLen()
	rows, err := checkStates("the state", states, al)
	if err != nil {
		return err
	}
	if want := rows * k.ValsDim; len(vals) != want {
		return errkind.Errorf(errkind.BadValue, "the output has %d values, expected %d", len(vals), want)
	}
	if want := rows * k.IdxDim; len(idx) != want {
		return errkind.Errorf(errkind.BadValue, "the index output has %d values, expected %d", len(idx), want)
	}
	for o := 0; o < rows; o++ {
		var v []T
		var ix []int64
		if d := k.ValsDim; d > 0 {
			v = vals[o*d : (o+1)*d]
		}
		if d := k.IdxDim; d > 0 {
			ix = idx[o*d : (o+1)*d]
		}
		red.finish(states[o*al:(o+1)*al], v, ix)
	}
	return nil
}
