package core

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gokeops/gokeops/pkg/errkind"
)

// Symmetric products: a Sum of a radial fold F(x_i, y_j) c_j (radialfold.go,
// dot mode, with no row factor but a parameter) run on points x = y, the
// same data on both sides, is a product by a symmetric matrix K_ij = F(x_i,
// x_j): each pair i < j is evaluated once and adds K_ij c_j to row i and
// K_ij c_i to row j, half the kernel evaluations of the normal run (the
// kernel solver's products are of this kind).
//
// The rows are cut into nb blocks; block pair (I, J), I <= J, adds its row
// side to rowAcc[I] and its column side to colAcc[J]. The pairs run by
// diagonals d = J - I: within one, each block is the I of one pair and the
// J of another, so that no two workers write the same accumulator and
// every accumulator receives its terms in the same order whatever the
// scheduling (the result is deterministic). Inside a pair, 256 x 256
// chunks: the kernel of two rows over a chunk of columns by the fold's
// store loop, then both sides in the data's precision over the chunk (a
// row's sum over 256 columns, a column's over 256 rows, as the normal run
// sums a tile) added to the float64 accumulators.

// symPlan is a symmetric run's view of the kernel: argument indices of the
// outer points, the inner points and the column factor.
type symPlan struct {
	fd        *radialFold
	x, y, col int
	dim       int
}

// symMinRows is the smallest size run symmetrically (below it the blocks
// are too few to share out).
const symMinRows = 4 * tileSize

// symmetricPlan reports whether the call is a symmetric product.
func (r *runner[T]) symmetricPlan() (symPlan, bool) {
	k, c := r.k, r.c
	p := k.prog
	fd := p.fold
	if k.red != Sum || fd == nil || fd.mode != foldDot || fd.col < 0 || k.dimF != 1 || k.ValsDim != 1 ||
		c.Ranges != nil || r.nbatch != 1 || c.M != c.N || c.M < symMinRows {
		return symPlan{}, false
	}
	if fd.row >= 0 && p.slots[fd.row].level != levelParm {
		return symPlan{}, false
	}
	sp := symPlan{fd: fd, x: -1, y: -1, col: -1, dim: fd.dim}
	for _, ld := range p.loads[levelOuter] {
		if ld.slot == fd.x && ld.dim == fd.dim {
			sp.x = ld.arg
		}
	}
	for _, ld := range p.loads[levelTile] {
		switch {
		case ld.slot == fd.y && ld.dim == fd.dim:
			sp.y = ld.arg
		case ld.slot == fd.col && ld.dim == 1:
			sp.col = ld.arg
		}
	}
	if sp.x < 0 || sp.y < 0 || sp.col < 0 {
		return symPlan{}, false
	}
	n := c.N * fd.dim
	xs, ys := c.Args[sp.x][:n], c.Args[sp.y][:n]
	// The same points on both sides (the same buffer, or equal copies):
	// then F(x_i, y_j) = F(x_j, y_i).
	if &xs[0] != &ys[0] && !slices.Equal(xs, ys) {
		return symPlan{}, false
	}
	return sp, true
}

// symRun holds the shared state of a symmetric run.
type symRun[T float] struct {
	r              *runner[T]
	sp             symPlan
	n, block, nb   int
	pts            []T // the points component-major: pts[k*stride+j]
	stride         int
	cv             []T // the column factor, padded as pts
	scale, u       T
	rowAcc, colAcc []float64
}

// runSymmetric computes the product of a symmetric plan into c.Vals.
func (r *runner[T]) runSymmetric(sp symPlan) error {
	c, p := r.c, r.k.prog
	n := c.N
	s := &symRun[T]{r: r, sp: sp, n: n, u: 1}
	// The parameters (the scale and the row factor) as a frame computes them.
	fr := getFrame(r)
	fr.startBatch(0) // a symmetric product has one batch
	s.scale = fr.parm[p.slots[sp.fd.s].off]
	if sp.fd.row >= 0 {
		s.u = fr.parm[p.slots[sp.fd.row].off]
	}
	putFrame(fr)

	// Padded past n, so that the vector loops' last (masked) loads stay inside.
	s.stride = (n+7)/8*8 + 8
	s.pts = make([]T, sp.dim*s.stride)
	s.cv = make([]T, s.stride)
	copy(s.cv, c.Args[sp.col][:n])
	xs := c.Args[sp.x]
	for j := 0; j < n; j++ {
		for k := 0; k < sp.dim; k++ {
			s.pts[k*s.stride+j] = xs[j*sp.dim+k]
		}
	}
	w := r.workers()
	s.nb = max(2, min(8*w, n/symMinRows))
	s.block = ((n+s.nb-1)/s.nb + tileSize - 1) / tileSize * tileSize
	s.nb = (n + s.block - 1) / s.block
	s.rowAcc, s.colAcc = make([]float64, n), make([]float64, n)

	var cancelled atomic.Bool
	var firstErr error
	var errMu sync.Mutex
	// The workers' scratch, allocated once: the allocations of a run are
	// its setup whatever its size (with one worker, no goroutine either).
	scratch := make([]*symScratch[T], min(w, s.nb))
	for g := range scratch {
		scratch[g] = newSymScratch[T]()
	}
	var next atomic.Int64
	work := func(sc *symScratch[T], d int) {
		defer func() {
			if e := recover(); e != nil {
				errMu.Lock()
				firstErr = errkind.Errorf(errkind.Internal, "core: internal error: %v", e)
				errMu.Unlock()
				cancelled.Store(true)
			}
		}()
		for {
			i := int(next.Add(1)) - 1
			if i >= s.nb-d || cancelled.Load() || !s.pair(sc, i, i+d, &cancelled) {
				return
			}
		}
	}
	for d := 0; d < s.nb && !cancelled.Load(); d++ {
		next.Store(0)
		nw := min(len(scratch), s.nb-d)
		if nw == 1 {
			work(scratch[0], d)
			continue
		}
		s.parallel(nw, func(g int) { work(scratch[g], d) })
	}
	if firstErr != nil {
		return firstErr
	}
	if cancelled.Load() {
		return ErrCancelled
	}
	for i := 0; i < n; i++ {
		c.Vals[i] = T(s.rowAcc[i] + s.colAcc[i])
	}
	return nil
}

// parallel runs f(0) ... f(nw-1) on goroutines of their own (in a
// function of its own, so that a sequential run allocates none).
func (s *symRun[T]) parallel(nw int, f func(g int)) {
	var wg sync.WaitGroup
	for g := 0; g < nw; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(g)
		}()
	}
	wg.Wait()
}

// symScratch is one worker's scratch: the kernel of two rows over a chunk,
// and the chunk's column sums.
type symScratch[T float] struct {
	k0, k1, col, zero []T
	fold              foldArgs[T]
}

func newSymScratch[T float]() *symScratch[T] {
	return &symScratch[T]{k0: make([]T, tileSize), k1: make([]T, tileSize), col: make([]T, tileSize), zero: make([]T, tileSize)}
}

// pair runs block pair (bi, bj), bi <= bj; false when cancelled.
func (s *symRun[T]) pair(sc *symScratch[T], bi, bj int, cancelled *atomic.Bool) bool {
	i0, i1 := bi*s.block, min(s.n, (bi+1)*s.block)
	j0, j1 := bj*s.block, min(s.n, (bj+1)*s.block)
	cancel := s.r.c.Cancel
	for r0 := i0; r0 < i1; r0 += tileSize {
		r1 := min(i1, r0+tileSize)
		for t0 := j0; t0 < j1; t0 += tileSize {
			if bi == bj && t0 < r0 {
				continue // the lower triangle of a diagonal block: its mirror does it
			}
			if cancel != nil && cancel.Load() {
				cancelled.Store(true)
				return false
			}
			s.chunk(sc, r0, r1, t0, min(j1, t0+tileSize), bj)
		}
	}
	return true
}

// chunk adds rows [r0, r1) against columns [t0, t1): both sides when the
// chunks differ, the row side only on a diagonal chunk (its every ordered
// pair is then taken from the rows).
func (s *symRun[T]) chunk(sc *symScratch[T], r0, r1, t0, t1, bj int) {
	sp := s.sp
	n := t1 - t0
	both := t0 != r0
	a := &sc.fold
	a.s = s.scale
	a.ys = s.pts[t0:]
	a.stride, a.n = s.stride, n
	a.out = [2][]T{sc.k0, sc.k1}
	col := sc.col[:n]
	clear(col)
	cv := s.cv[t0:t1]
	a.w, a.acc = s.cv[t0:], sc.col
	a.ou = [2]T{s.u, s.u}
	for i := r0; i < r1; i += 2 {
		ib := min(i+1, r1-1)
		for k := 0; k < min(sp.dim, foldMaxDim); k++ { // (larger: the portable loop reads pts)
			a.x[0][k] = s.pts[k*s.stride+i]
			a.x[1][k] = s.pts[k*s.stride+ib]
		}
		if ib != i {
			// Both rows and the column side in one vector loop, when there is one.
			mode := foldDot
			if both {
				mode = foldSym
			}
			a.wi = [2]T{s.cv[i], s.cv[ib]}
			var sums [2][foldMaxDim]float64
			if _, ok := foldSIMD(mode, sp.fd.prof, a, sp.dim, &sums); ok {
				s.rowAcc[i] += sums[0][0]
				s.rowAcc[ib] += sums[1][0]
				continue
			}
		}
		s.kernel(sc, i, ib, n)
		k0, k1 := sc.k0[:n], sc.k1[:n]
		if s.u != 1 {
			for t := range k0 {
				k0[t] *= s.u
				k1[t] *= s.u
			}
		}
		ci0, ci1 := s.cv[i], s.cv[ib]
		if ib == i { // an odd last row: the second is none (not a repeat, whose terms would count twice)
			k1, ci1 = sc.zero[:n], 0
		}
		var sum0, sum1 T
		if both {
			sum0, sum1 = symTile(k0, k1, cv, col, ci0, ci1)
		} else {
			sum0, sum1 = symTile(k0, k1, cv, nil, 0, 0)
		}
		s.rowAcc[i] += float64(sum0)
		if ib != i {
			s.rowAcc[ib] += float64(sum1)
		}
	}
	if both {
		acc := s.colAcc[t0:t1]
		for t, v := range col {
			acc[t] += float64(v)
		}
	}
}

// kernel writes F of rows i and ib over the chunk to sc.k0 and sc.k1.
func (s *symRun[T]) kernel(sc *symScratch[T], i, ib, n int) {
	sp := s.sp
	var ext [2][foldMaxDim]float64
	if _, ok := foldSIMD(foldStore, sp.fd.prof, &sc.fold, sp.dim, &ext); ok {
		return
	}
	y := vec[T]{data: sc.fold.ys, stride: s.stride, width: n}
	sv := vec[T]{data: []T{s.scale}, stride: 1, width: 1}
	for r, row := range [2]int{i, ib} {
		x := vec[T]{data: s.pts[row:], stride: s.stride, width: 1}
		radialTile(sp.fd.prof, sc.fold.out[r][:n], x, y, sv, vec[T]{}, sp.dim)
	}
}

// symTileScalar is symTile's portable loop: the row sums of k0 and k1
// against c, and col[t] += k0[t] ci0 + k1[t] ci1 (col nil: no column side).
func symTileScalar[T float](k0, k1, c, col []T, ci0, ci1 T) (T, T) {
	var s0, s1 T
	c = c[:len(k0)]
	k1 = k1[:len(k0)]
	if col == nil {
		for t, v := range k0 {
			s0 += v * c[t]
			s1 += k1[t] * c[t]
		}
		return s0, s1
	}
	col = col[:len(k0)]
	for t, v := range k0 {
		s0 += v * c[t]
		s1 += k1[t] * c[t]
		col[t] += v*ci0 + k1[t]*ci1
	}
	return s0, s1
}
