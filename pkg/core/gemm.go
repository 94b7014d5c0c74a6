package core

import "github.com/gokeops/gokeops/pkg/formula"

// High-dimensional squared distances (kNN in dimension 100) are computed for
// a whole block of rows and a whole tile at once, as |x|^2 + |y|^2 - 2 x.y,
// with a register-blocked micro-kernel like a matrix product: each y vector
// loaded serves four rows, each x value serves a run of tile columns. The
// result is clamped at 0 (rounding can make it slightly negative), and the
// reducers then fold each row of the block. The neighbours found are those
// of the exact per-pair distance, except between near-ties.

// gemmMinDim is the dimension from which the blocked kernel pays off.
const gemmMinDim = 16

// gemmDist plans F = |x - y|^2 between an outer and an inner variable.
type gemmDist struct {
	x, y int // slots: outer and tile level
	dim  int
}

// matchGemm recognises a formula that is just the squared distance of two
// high-dimensional variables.
func (p *planner) matchGemm(f formula.Expr) (*gemmDist, bool) {
	x, y, ok := p.matchDist(f)
	if !ok || x.Dim < gemmMinDim {
		return nil, false
	}
	return &gemmDist{x: p.node(x), y: p.node(y), dim: x.Dim}, true
}

// gemmState is a frame's scratch space for the kernel: the x values of the
// block's rows repeated over a vector's lanes (so the micro-kernel only
// ever loads vectors), their squared norms, the tile's squared norms and
// the block of distances.
type gemmState[T float] struct {
	rows, dim int           // the most rows of a work item; the dimension
	splat     []T           // row r, component k: lanes values at (r*dim + k)*lanes
	xnorm     []T           // per row of the block
	ynorm     []T           // per tile column
	block     []T           // row r of the block at r*tileSize
	topk      *topkState[T] // the fused K-smallest selection's buffers (gemm_topk.go)
}

// newGemmState makes the buffers for work items of up to rows rows; those
// of the block kernel and of the fused selection come at their first use,
// as a kernel goes through one of them only (but in tests).
func newGemmState[T float](dim, rows int) *gemmState[T] {
	return &gemmState[T]{rows: rows, dim: dim, xnorm: make([]T, rows+8)} // vector loads may run past the last row
}

// lanes is the width of a vector of T in the SIMD flavour (and the splat
// stride in both flavours).
func lanes[T float]() int {
	if isFloat64[T]() {
		return 4
	}
	return 8
}

// prepareRows fills the splat and norms of the block's rows from the outer
// slot of each row.
func (g *gemmState[T]) prepareRows(f *frame[T], gd *gemmDist, rows int) {
	if g.splat == nil {
		g.splat, g.ynorm, g.block = make([]T, g.rows*g.dim*8), make([]T, tileSize), make([]T, g.rows*tileSize)
	}
	so, off, l := f.r.k.prog.size[levelOuter], f.r.k.prog.slots[gd.x].off, lanes[T]()
	for r := 0; r < rows; r++ {
		x := f.outer[r*so+off : r*so+off+gd.dim]
		var nrm T
		for k, v := range x {
			nrm += v * v
			s := g.splat[(r*gd.dim+k)*l:][:l]
			for i := range s {
				s[i] = v
			}
		}
		g.xnorm[r] = nrm
	}
}

// distances fills block[r*tileSize+t] = |x_r - y_t|^2 for the current tile.
func (g *gemmState[T]) distances(f *frame[T], gd *gemmDist, rows int) {
	sl := f.r.k.prog.slots[gd.y]
	y := f.tile[sl.off*tileSize : (sl.off+gd.dim)*tileSize]
	n := f.n
	for t := 0; t < n; t++ {
		g.ynorm[t] = 0
	}
	for k := 0; k < gd.dim; k++ {
		col := y[k*tileSize : k*tileSize+n]
		for t, v := range col {
			g.ynorm[t] += v * v
		}
	}
	r := 0
	if gemmSIMD(g, y, gd.dim, rows, n) {
		return
	}
	for ; r < rows; r++ {
		x := g.splat[r*gd.dim*lanes[T]():]
		out := g.block[r*tileSize : r*tileSize+n]
		for t := range out {
			out[t] = 0
		}
		for k := 0; k < gd.dim; k++ {
			xv := x[k*lanes[T]()]
			col := y[k*tileSize : k*tileSize+n]
			for t, v := range col {
				out[t] += xv * v
			}
		}
		for t := range out {
			out[t] = max(0, g.xnorm[r]+g.ynorm[t]-2*out[t])
		}
	}
}
