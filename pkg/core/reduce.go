package core

import (
	"math"

	"github.com/gokeops/gokeops/pkg/formula"
)

// reducer folds the values of a formula over the reduced index into a
// per-row accumulator of float64s. Tiles arrive in increasing index order
// (or in ranges order), which makes strict comparisons keep the first index
// on ties; merge adds a later partial accumulator to an earlier one.
type reducer[T float] interface {
	accLen() int
	init(acc []float64)
	// fold adds a tile of n terms; scratch holds tileSize values of the
	// worker's own.
	fold(acc []float64, f, g vec[T], n, j0 int, scratch []T)
	merge(acc, part []float64)
	finish(acc []float64, vals []T, idx []int64)
}

func newReducer[T float](k *Kernel, acc32 bool) reducer[T] {
	switch k.red {
	case Sum:
		return &sumReducer[T]{d: k.dimF, scheme: k.scheme, round32: acc32}
	case Min, Max, ArgMin, ArgMax, MinArgMin, MaxArgMax:
		return &extremeReducer[T]{d: k.dimF, max: k.red == Max || k.red == ArgMax || k.red == MaxArgMax, red: k.red}
	case KMin, ArgKMin, KMinArgKMin:
		return &kminReducer[T]{d: k.dimF, k: k.optK, red: k.red}
	default:
		return &lseReducer[T]{dg: k.dimG, red: k.red}
	}
}

// sumReducer: Sum. acc holds the D sums, then (Kahan) the D compensations.
type sumReducer[T float] struct {
	d      int
	scheme SumScheme
	// round32: sums of float32 data add their terms in float32, as in
	// KeOps; with block_sum the running sum of the tile sums is float64.
	round32 bool
}

func (r *sumReducer[T]) accLen() int { return 2 * r.d }
func (r *sumReducer[T]) init(acc []float64) {
	for k := range acc {
		acc[k] = 0
	}
}

func (r *sumReducer[T]) fold(acc []float64, f, _ vec[T], n, _ int, _ []T) {
	for k := 0; k < r.d; k++ {
		col := f.col(k)[:n]
		switch {
		case r.scheme == KahanSum:
			s, c := acc[k], acc[r.d+k]
			for _, v := range col {
				y := r.round(float64(v) - c)
				t := r.round(s + y)
				c = r.round(r.round(t-s) - y)
				if math.IsInf(t, 0) {
					c = 0 // inf - inf would poison the sum with NaN: an infinite sum stays infinite
				}
				s = t
			}
			acc[k], acc[r.d+k] = s, c
		case r.scheme == DirectSum && r.round32:
			s := float32(acc[k])
			for _, v := range col {
				s += float32(v)
			}
			acc[k] = float64(s)
		case r.round32:
			// block_sum: the tile's terms add up in float32, the tile sums
			// in the float64 running sum of the row (rounded once, at the
			// end): the error of one tile instead of one per tile.
			var s float32
			for _, v := range col {
				s += float32(v)
			}
			acc[k] += float64(s)
		default:
			s, ok := sumSIMD(col)
			if !ok || r.round32 {
				s = 0
				for _, v := range col {
					s += float64(v)
				}
			}
			acc[k] += s
		}
	}
}

func (r *sumReducer[T]) round(x float64) float64 {
	if r.round32 {
		return float64(float32(x))
	}
	return x
}

func (r *sumReducer[T]) merge(acc, part []float64) {
	for k := 0; k < r.d; k++ {
		if r.scheme == BlockSum {
			acc[k] += part[k] // the running sum is float64 (fold)
		} else {
			acc[k] = r.round(acc[k] + part[k])
		}
		acc[r.d+k] += part[r.d+k]
	}
}

func (r *sumReducer[T]) finish(acc []float64, vals []T, _ []int64) {
	for k := 0; k < r.d; k++ {
		vals[k] = T(acc[k])
	}
}

// extremeReducer: Min, Max, their Arg and pair forms. acc holds D values
// then D indices. NaN terms are skipped; the first other term is taken
// whatever its value (Min over +inf terms is +inf at the first of them),
// later ones only by a strict comparison. With no such term the index
// stays absent: -1, the value +inf (Min) or -inf (Max).
type extremeReducer[T float] struct {
	d   int
	max bool
	red Reduction
}

func (r *extremeReducer[T]) accLen() int { return 2 * r.d }
func (r *extremeReducer[T]) init(acc []float64) {
	for k := 0; k < r.d; k++ {
		acc[k], acc[r.d+k] = inf, -1
		if r.max {
			acc[k] = -inf
		}
	}
}

func (r *extremeReducer[T]) fold(acc []float64, f, _ vec[T], n, j0 int, _ []T) {
	for k := 0; k < r.d; k++ {
		col := f.col(k)[:n]
		best, arg, t0 := T(acc[k]), -1, 0
		if acc[r.d+k] < 0 {
			for t0 < n && col[t0] != col[t0] {
				t0++ // NaN
			}
			if t0 == n {
				continue
			}
			best, arg, t0 = col[t0], t0, t0+1
		}
		for t, v := range col[t0:] {
			if r.max && v > best || !r.max && v < best {
				best, arg = v, t0+t
			}
		}
		if arg >= 0 {
			acc[k], acc[r.d+k] = float64(best), float64(j0+arg)
		}
	}
}

func (r *extremeReducer[T]) merge(acc, part []float64) {
	for k := 0; k < r.d; k++ {
		if part[r.d+k] < 0 {
			continue // nothing in part
		}
		if acc[r.d+k] < 0 || r.max && part[k] > acc[k] || !r.max && part[k] < acc[k] {
			acc[k], acc[r.d+k] = part[k], part[r.d+k]
		}
	}
}

func (r *extremeReducer[T]) finish(acc []float64, vals []T, idx []int64) {
	for k := 0; k < r.d; k++ {
		if vals != nil {
			vals[k] = T(acc[k])
		}
		if idx != nil {
			idx[k] = int64(acc[r.d+k])
		}
	}
}

// kminReducer: KMin, ArgKMin, KMin_ArgKMin. For each component c, acc holds
// K values (ascending) at c*2K and their indices at c*2K+K. Empty slots are
// (+inf, -1), after the others; NaN terms never enter, +inf ones do.
type kminReducer[T float] struct {
	d, k int
	red  Reduction
}

func (r *kminReducer[T]) accLen() int { return 2 * r.k * r.d }
func (r *kminReducer[T]) init(acc []float64) {
	for c := 0; c < r.d; c++ {
		for l := 0; l < r.k; l++ {
			acc[c*2*r.k+l], acc[c*2*r.k+r.k+l] = inf, -1
		}
	}
}

// insert puts (v, j), v not NaN, in its sorted place; equal values stay
// behind the ones already there (first index first), empty slots go after
// every value, and the last slot drops out.
func insert(vals, idx []float64, v, j float64) {
	last := len(vals) - 1
	if !(v < vals[last] || idx[last] < 0) {
		return
	}
	l := last
	for l > 0 && (idx[l-1] < 0 || v < vals[l-1]) {
		vals[l], idx[l] = vals[l-1], idx[l-1]
		l--
	}
	vals[l], idx[l] = v, j
}

func (r *kminReducer[T]) fold(acc []float64, f, _ vec[T], n, j0 int, _ []T) {
	for c := 0; c < r.d; c++ {
		vals, idx := acc[c*2*r.k:c*2*r.k+r.k], acc[c*2*r.k+r.k:(c+1)*2*r.k]
		worst, full := vals[r.k-1], idx[r.k-1] >= 0
		for t, v := range f.col(c)[:n] {
			if x := float64(v); x < worst || !full && x == x {
				insert(vals, idx, x, float64(j0+t))
				worst, full = vals[r.k-1], idx[r.k-1] >= 0
			}
		}
	}
}

func (r *kminReducer[T]) merge(acc, part []float64) {
	for c := 0; c < r.d; c++ {
		vals, idx := acc[c*2*r.k:c*2*r.k+r.k], acc[c*2*r.k+r.k:(c+1)*2*r.k]
		for l := 0; l < r.k; l++ {
			if j := part[c*2*r.k+r.k+l]; j >= 0 {
				insert(vals, idx, part[c*2*r.k+l], j)
			}
		}
	}
}

// finish writes slot l of component c at l*D + c, the KeOps layout.
func (r *kminReducer[T]) finish(acc []float64, vals []T, idx []int64) {
	for c := 0; c < r.d; c++ {
		for l := 0; l < r.k; l++ {
			if vals != nil {
				vals[l*r.d+c] = T(acc[c*2*r.k+l])
			}
			if idx != nil {
				idx[l*r.d+c] = int64(acc[c*2*r.k+r.k+l])
			}
		}
	}
}

// lseReducer: the Max_SumShiftExp family (LogSumExp, SoftMax...). acc holds
// the running max m, then the Dg shifted sums s_c = sum exp(F - m) * G_c.
// Terms equal to -inf add nothing, so an empty or all -inf reduction gives
// m = -inf, s = 0 (LogSumExp -inf) instead of KeOps' accidental NaN. Once
// m = +inf, exp(F - m) is taken as its limit: 1 for the +inf terms, 0 for
// the others (LogSumExp +inf, SoftMax the mean weight of the +inf terms).
type lseReducer[T float] struct {
	dg  int
	red Reduction
}

func (r *lseReducer[T]) accLen() int { return 1 + r.dg }
func (r *lseReducer[T]) init(acc []float64) {
	acc[0] = -inf
	for c := 1; c <= r.dg; c++ {
		acc[c] = 0
	}
}

func (r *lseReducer[T]) fold(acc []float64, f, g vec[T], n, _ int, scratch []T) {
	hi, lo := tileExtremes(f.col(0)[:n])
	r.foldExtremes(acc, f, g, n, scratch, hi, lo)
}

// foldExtremes is fold given the largest of the tile's terms, NaNs aside,
// and the smallest or a lower bound of it (the radial fold loops find the
// largest as they store the terms, and pass -inf for the smallest).
func (r *lseReducer[T]) foldExtremes(acc []float64, f, g vec[T], n int, scratch []T, hi, lo float64) {
	fc := f.col(0)[:n]
	m, negInf := max(acc[0], hi), math.IsInf(lo, -1)
	if m == math.Inf(-1) {
		// Every term so far is -inf (adding nothing) or NaN (poisoning the sums).
		for _, v := range fc {
			if v != v {
				for c := 1; c <= r.dg; c++ {
					acc[c] = math.NaN()
				}
			}
		}
		return
	}
	if m > acc[0] {
		scale := math.Exp(acc[0] - m)
		for c := 1; c <= r.dg; c++ {
			acc[c] = rescaled(acc[c], scale)
		}
		acc[0] = m
	}
	if m == inf {
		r.foldInf(acc, fc, g)
		return
	}
	if negInf && g.data != nil {
		// A -inf term adds nothing, even times an infinite weight.
		r.foldScalar(acc, fc, g, m)
		return
	}
	if g.data == nil || g.width == 1 {
		// One pass: sum_t exp(F_t - m), times the weight when it is uniform.
		if s, ok := expShiftSum(fc, T(m)); ok {
			for c := 0; c < r.dg; c++ {
				if g.data != nil {
					acc[1+c] += s * float64(g.col(c)[0])
				} else {
					acc[1+c] += s
				}
			}
			return
		}
	}
	// e_t = exp(F_t - m), vectorised; -inf terms give 0 and NaN stays NaN.
	e := scratch[:n]
	binaryVS(formula.PrimSubtract, e, fc, T(m))
	expSlice(e, e)
	for c := 0; c < r.dg; c++ {
		var s float64
		switch {
		case g.data == nil:
			s = sumTile(e)
		case g.width == 1:
			s = sumTile(e) * float64(g.col(c)[0])
		default:
			s = dotTileValues(e, g.col(c)[:n])
		}
		acc[1+c] += s
	}
}

// foldInf adds the terms of a tile once the running max is +inf: the
// weights of the +inf terms (1 without weights); a NaN term poisons the sums.
func (r *lseReducer[T]) foldInf(acc []float64, fc []T, g vec[T]) {
	for t, v := range fc {
		switch x := float64(v); {
		case x != x:
			for c := 1; c <= r.dg; c++ {
				acc[c] = math.NaN()
			}
		case x == inf:
			for c := 0; c < r.dg; c++ {
				w := 1.0
				if g.data != nil {
					gc := g.col(c)
					w = float64(gc[min(t, len(gc)-1)])
				}
				acc[1+c] += w
			}
		}
	}
}

// rescaled is a shifted sum a times exp(old max - new max) = scale: when
// the scale underflows to 0 the old terms vanish, even an infinite or
// overflowed sum (0 * inf would be NaN); a NaN stays.
func rescaled(a, scale float64) float64 {
	if scale == 0 && a == a {
		return 0
	}
	return a * scale
}

// foldScalar adds the terms of a tile one by one, skipping -inf ones.
func (r *lseReducer[T]) foldScalar(acc []float64, fc []T, g vec[T], m float64) {
	for c := 0; c < r.dg; c++ {
		gc, s := g.col(c), 0.0
		for t, v := range fc {
			if x := float64(v); x != math.Inf(-1) {
				s += math.Exp(x-m) * float64(gc[min(t, len(gc)-1)])
			}
		}
		acc[1+c] += s
	}
}

// sumTile is the sum of x with the SIMD kernel when there is one.
func sumTile[T float](x []T) float64 {
	if s, ok := sumSIMD(x); ok {
		return s
	}
	s := 0.0
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// dotTileValues is the dot product of a and b.
func dotTileValues[T float](a, b []T) float64 {
	if s, ok := dotSIMD(a, b); ok {
		return s
	}
	s := 0.0
	for t, v := range a {
		s += float64(v) * float64(b[t])
	}
	return s
}

func (r *lseReducer[T]) merge(acc, part []float64) {
	if part[0] > acc[0] {
		scale := math.Exp(acc[0] - part[0])
		for c := 1; c <= r.dg; c++ {
			acc[c] = rescaled(acc[c], scale) + part[c]
		}
		acc[0] = part[0]
		return
	}
	scale := 0.0
	switch {
	case part[0] == acc[0]:
		scale = 1 // also both +inf, where exp(inf - inf) is NaN
	case part[0] != math.Inf(-1):
		scale = math.Exp(part[0] - acc[0])
	}
	for c := 1; c <= r.dg; c++ {
		if p := part[c]; p != 0 || math.IsNaN(p) {
			acc[c] += rescaled(p, scale)
		}
	}
}

func (r *lseReducer[T]) finish(acc []float64, vals []T, _ []int64) {
	m := acc[0]
	switch r.red {
	case LogSumExp:
		for c := 0; c < r.dg; c++ {
			vals[c] = T(m + math.Log(acc[1+c]))
		}
	case SumSoftMaxWeight:
		// G was Concat(1, weights): slot 1 holds the plain sum.
		for c := 1; c < r.dg; c++ {
			vals[c-1] = T(acc[1+c] / acc[1])
		}
	default:
		for c := 0; c <= r.dg; c++ {
			vals[c] = T(acc[c])
		}
	}
}
