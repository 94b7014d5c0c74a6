package core

// The k smallest high-dimensional distances of each row (KMin, ArgKMin,
// KMin_ArgKMin over SqDist, as in a kNN query) are selected as the
// micro-kernel produces them, never stored as a block: the kernel computes
// the distances of four rows to one panel of columns in registers and
// compares them with each row's current K-th smallest value, panel after
// panel; it stops only at a panel where a row has a smaller one (rare once
// the row holds K values), whose values then go through the reducer's
// sorted insertion, in column order, so that ties and NaN are handled
// exactly as by kminReducer.fold.
//
// The columns of a tile are copied once per work item into panels of
// 2*lanes columns, component-major, so that the kernel reads one panel
// as a contiguous stream; the rows of the block are repeated over a
// vector's lanes and interleaved by groups of four, so that one step of
// the kernel reads a single run of memory. The distances are those of the
// block kernel (gemmSIMD), bit for bit.

// topkGroup is the number of rows of one call of the micro-kernel.
const topkGroup = 4

// topkRows and topkTile are the work item's rows and the tile's columns
// on the fused path. y streams from memory once per item, so items are
// larger than other kernels' (maxRowBlock); the splat of the rows,
// topkRows*dim*lanes values, is read once per tile from the outer caches,
// while the packed tile, topkTile*dim values, stays in the core's L2.
const (
	topkRows = 512
	topkTile = 1024
)

// rowCap bounds the rows of k's work items.
func (k *Kernel) rowCap() int {
	if k.topkPlanned() {
		return topkRows
	}
	return maxRowBlock
}

// topkPlanned reports whether k's work items go through the fused
// selection (unless topkOff): the SIMD build, a K-reduction of a
// high-dimensional distance alone.
func (k *Kernel) topkPlanned() bool {
	p := k.prog
	return p.gemm != nil && (k.red == KMin || k.red == ArgKMin || k.red == KMinArgKMin) && k.dimF == 1 &&
		topkSIMD[float64]() && len(p.instrs[levelTile]) == 0 && len(p.loads[levelTile]) == 1 &&
		p.loads[levelTile][0].slot == p.gemm.y
}

// topkState is the fused path's scratch space, part of a frame's gemmState.
type topkState[T float] struct {
	xs    []T // group g, component k, row r of the group: lanes values at ((g*dim+k)*4+r)*lanes
	ypack []T // panel p, component k, column c: at (p*dim+k)*pw+c
	ynorm []T // per packed column; +inf past the tile's end
	dist  []T // the micro-kernel's output: row r of the group at r*pw
	thr   [topkGroup]T
}

func newTopkState[T float](dim, rows int) *topkState[T] {
	pw := 2 * lanes[T]()
	return &topkState[T]{
		xs:    make([]T, (rows+topkGroup-1)/topkGroup*topkGroup*dim*lanes[T]()),
		ypack: make([]T, topkTile*dim),
		ynorm: make([]T, topkTile),
		dist:  make([]T, topkGroup*pw),
	}
}

// topkOff turns the fused selection off (tests compare both paths).
var topkOff bool

// topkFused reports whether the work items of f's kernel go through the
// fused selection.
func (f *frame[T]) topkFused() bool {
	_, ok := f.r.red.(*kminReducer[T])
	return ok && !topkOff && f.r.k.topkPlanned()
}

// topkItem reduces the rows of a work item with the fused kernel; it
// returns false when the call was cancelled. The rows' accumulators are
// initialised (kminReducer.init) and the outer arena loaded.
func (f *frame[T]) topkItem(it *workItem, rows int) bool {
	g, gd := f.gemm, f.r.k.prog.gemm
	if g.topk == nil {
		g.topk = newTopkState[T](gd.dim, g.rows)
	}
	ts, dim, l := g.topk, gd.dim, lanes[T]()
	pw := 2 * l
	kr := f.r.red.(*kminReducer[T])
	K, al := kr.k, kr.accLen()
	ld := f.r.k.prog.loads[levelTile][0]
	src := f.data[ld.arg]

	// The rows, interleaved by groups of four; a last group's missing rows
	// repeat its last row (computed, never selected).
	so, off := f.r.k.prog.size[levelOuter], f.r.k.prog.slots[gd.x].off
	groups := (rows + topkGroup - 1) / topkGroup
	for r := 0; r < groups*topkGroup; r++ {
		x := f.outer[min(r, rows-1)*so+off:][:dim]
		grp, rr := r/topkGroup, r%topkGroup
		var nrm T
		for k, v := range x {
			nrm += v * v
			s := ts.xs[((grp*dim+k)*topkGroup+rr)*l:][:l]
			for i := range s {
				s[i] = v
			}
		}
		g.xnorm[r] = nrm
	}

	cancel := f.r.c.Cancel
	for _, sp := range it.spans {
		for j0 := sp.lo; j0 < sp.hi; j0 += topkTile {
			if cancel != nil && cancel.Load() {
				return false
			}
			n := min(topkTile, sp.hi-j0)
			panels := (n + pw - 1) / pw
			ts.pack(src[j0*dim:(j0+n)*dim], dim, n, pw)
			for grp := 0; grp < groups; grp++ {
				r0 := grp * topkGroup
				// Rows with fewer than K values take every value: the
				// kernel's comparison is skipped for them.
				var open uint8
				for rr := 0; rr < topkGroup; rr++ {
					acc := f.acc[min(r0+rr, rows-1)*al:][:al]
					if acc[2*K-1] < 0 {
						open |= 1 << rr
					}
					ts.thr[rr] = T(acc[K-1])
				}
				xs := ts.xs[grp*dim*topkGroup*l:][:dim*topkGroup*l]
				xn := g.xnorm[r0 : r0+topkGroup]
				for p := 0; p < panels; p++ {
					// Open rows see every panel; the others only those
					// where the kernel stops.
					p1 := panels
					if open != 0 {
						p1 = p + 1
					}
					q, hits := topkPanels(xs, ts.ypack[:panels*dim*pw], dim, p, p1, xn, ts.ynorm[:panels*pw], ts.thr[:], ts.dist)
					if p = q; q == panels {
						break
					}
					if hits |= open; hits == 0 {
						continue
					}
					for rr := 0; rr < topkGroup && r0+rr < rows; rr++ {
						if hits>>rr&1 == 0 {
							continue
						}
						acc := f.acc[(r0+rr)*al:][:al]
						vals, idx := acc[:K], acc[K:2*K]
						worst, full := vals[K-1], idx[K-1] >= 0
						for c, v := range ts.dist[rr*pw : rr*pw+min(pw, n-p*pw)] {
							if x := float64(v); x < worst || !full && x == x {
								insert(vals, idx, x, float64(j0+p*pw+c))
								worst, full = vals[K-1], idx[K-1] >= 0
							}
						}
						ts.thr[rr] = T(worst)
						if full {
							open &^= 1 << rr
						}
					}
				}
			}
		}
	}
	return true
}

// pack copies the n rows of src (dim values each) into panels of pw
// columns, component-major, and their squared norms into ynorm; the
// columns past n are zeros of norm +inf, whose distances are +inf.
func (ts *topkState[T]) pack(src []T, dim, n, pw int) {
	panels := (n + pw - 1) / pw
	for p := 0; p < panels; p++ {
		panel := ts.ypack[p*dim*pw : (p+1)*dim*pw]
		if (p+1)*pw <= n {
			packPanel(src[p*pw*dim:(p+1)*pw*dim], dim, panel)
			panelNorms(panel, ts.ynorm[p*pw:(p+1)*pw], dim)
			continue
		}
		for c := 0; c < pw; c++ {
			j := p*pw + c
			if j >= n {
				for k := 0; k < dim; k++ {
					panel[k*pw+c] = 0
				}
				continue
			}
			for k, v := range src[j*dim : (j+1)*dim] {
				panel[k*pw+c] = v
			}
		}
		yn := ts.ynorm[p*pw : (p+1)*pw]
		panelNorms(panel, yn, dim)
		for c := n - p*pw; c < pw; c++ {
			if c >= 0 {
				yn[c] = T(inf)
			}
		}
	}
}
