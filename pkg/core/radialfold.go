package core

import (
	"slices"

	"github.com/gokeops/gokeops/pkg/formula"
)

// Radial folds: a Sum whose terms are a radial kernel (fuse.go) times
// factors that depend on the row only, on the column only, or on neither,
//
//	F_ij = u * a_i * c_j * profile(s*|x_i - y_j|^2)              (dot)
//	F_ij = u * a_i * c_j * profile(s*|x_i - y_j|^2) * (x_i - y_j) (diff)
//
// the Gaussian, Laplacian and Cauchy kernel sums and their gradients, runs
// with no per-pair instruction at all: the row factor u * a_i is computed
// once per row, the column factor c_j once per tile, and one loop per tile
// takes two rows at a time, each load of y_j and c_j serving both, with
// the distance, the profile, the factors and the accumulator update in
// vector registers (kerngen writes those loops per profile and dimension,
// fold_simd_gen_amd64.go). The product is taken in the order
// (profile * row factor) * column factor, which may round differently from
// the formula's own order by an ulp.

type foldMode uint8

const (
	foldDot   foldMode = iota // sum_j F_ij, F scalar
	foldDiff                  // sum_j K_ij (x_i - y_j), per component
	foldStore                 // K_ij of two rows to tiles, for any reducer
	foldSym                   // sum_j F_ij and the column sums F_ij wi of a symmetric product (symmetric.go)
)

// foldMaxDim is the largest dimension with a generated loop (kerngen's
// foldDims); larger ones take the portable loop.
const foldMaxDim = 4

// radialFold is a matched radial fold; every int is a slot.
type radialFold struct {
	mode    foldMode
	prof    profile
	x, y, s int // the outer point, the inner point and the scale (a parm slot)
	row     int // u * a_i (parm or outer level, dim 1), -1 when it is 1
	col     int // c_j (tile level, dim 1), -1 when it is 1
	dim     int // dimension of x and y
}

// foldArgs is what a fold loop reads: two rows (the second may repeat the
// first), their factors, the scale and the tile.
type foldArgs[T float] struct {
	x      [2][foldMaxDim]T
	ou     [2]T // row factors
	s      T
	ys     []T // component k of column t at ys[k*stride+t]
	stride int
	n      int
	w      []T    // the column factor (store: the weight of profileAffine)
	out    [2][]T // store: the two rows' tiles
	wi     [2]T   // sym: the column factor at the two rows
	acc    []T    // sym: the column sums, one per column of the tile
	// lanes receives the loop's accumulators: [2][foldMaxDim][lanes]T.
	lanes [2 * foldMaxDim * 8]T
	// wide receives the float32 dot and diff loops' sums instead, in
	// float64 (the lanes' sums of each block of foldBlock32 columns).
	wide [2][foldMaxDim][8]float64
}

// matchFold plans f as a radial fold when it is one: f is a product of
// scalar factors, and in diff mode of one vector factor x - y (or y - x).
// Scalar factors of the vector, as in the derivative 2*(x - y)*K of a
// Sum(Square(x - y)), join the others: the fold reorders products anyway.
func (p *planner) matchFold(f formula.Expr) (*radialFold, bool) {
	mode := foldDot
	var dx, dy *formula.Var
	neg := false
	var factors, vectors []formula.Expr
	splitProduct(f, &factors, &vectors, &neg)
	if len(vectors) == 0 {
		// In dimension 1 the difference is one of the scalar factors.
		for k, e := range factors {
			if d, ok := e.(*formula.Call); ok && d.Op == formula.OpSubtract && p.dependence(e) == 3 {
				vectors = append(vectors, e)
				factors = slices.Delete(slices.Clone(factors), k, k+1)
				break
			}
		}
	}
	switch {
	case len(vectors) == 1:
		d, ok := vectors[0].(*formula.Call)
		if !ok || d.Op != formula.OpSubtract {
			return nil, false
		}
		u, ok1 := d.Args[0].(*formula.Var)
		v, ok2 := d.Args[1].(*formula.Var)
		if !ok1 || !ok2 {
			return nil, false
		}
		mode, dx, dy = foldDiff, u, v
	case len(vectors) > 1 || formula.DimOf(f) != 1:
		return nil, false
	}
	var rad radial
	var rowF, colF []formula.Expr
	found := false
	for _, e := range factors {
		if r, ok := p.matchRadial(e); ok && r.prof != profileAffine && !found {
			rad, found = r, true
			continue
		}
		switch p.dependence(e) {
		case 0, 1:
			rowF = append(rowF, e)
		case 2:
			colF = append(colF, e)
		default:
			return nil, false
		}
	}
	if !found {
		return nil, false
	}
	if mode == foldDiff {
		switch {
		case sameVar(dx, rad.x) && sameVar(dy, rad.y):
		case sameVar(dx, rad.y) && sameVar(dy, rad.x):
			neg = !neg
		default:
			return nil, false
		}
	}
	if neg {
		rowF = append(rowF, formula.IntConst(-1))
	}
	fd := &radialFold{mode: mode, prof: rad.prof, row: -1, col: -1, dim: rad.x.Dim}
	fd.x, fd.y = p.node(rad.x), p.node(rad.y)
	fd.s = p.node(product(rad.scale))
	if len(rowF) > 0 {
		fd.row = p.node(product(rowF))
	}
	if len(colF) > 0 {
		fd.col = p.node(product(colF))
	}
	return fd, true
}

// splitProduct flattens products and sign changes into scalar factors and
// vector ones (a vector times a scalar broadcasts the scalar).
func splitProduct(e formula.Expr, factors, vectors *[]formula.Expr, neg *bool) {
	if c, ok := e.(*formula.Call); ok {
		switch c.Op {
		case formula.OpMinus:
			*neg = !*neg
			splitProduct(c.Args[0], factors, vectors, neg)
			return
		case formula.OpMult:
			splitProduct(c.Args[0], factors, vectors, neg)
			splitProduct(c.Args[1], factors, vectors, neg)
			return
		}
	}
	if formula.DimOf(e) == 1 {
		*factors = append(*factors, e)
	} else {
		*vectors = append(*vectors, e)
	}
}

// dependence is what a scalar e depends on: 0 nothing (constants and
// parameters), 1 outer variables only, 2 inner variables only, 3 both; 4
// when it is not a scalar.
func (p *planner) dependence(e formula.Expr) int {
	if formula.DimOf(e) != 1 {
		return 4
	}
	d := 0
	formula.Inspect(e, func(n formula.Expr) bool {
		if v, ok := n.(*formula.Var); ok {
			switch {
			case v.Cat == p.outer:
				d |= 1
			case v.Cat != formula.CatParm:
				d |= 2
			}
		}
		return true
	})
	return d
}

func sameVar(a, b *formula.Var) bool {
	return a != nil && b != nil && a.Ind == b.Ind && a.Cat == b.Cat && a.Dim == b.Dim
}

// product is the product of scalar factors (1 for none).
func product(fs []formula.Expr) formula.Expr {
	var e formula.Expr = formula.IntConst(1)
	for i, f := range fs {
		if i == 0 {
			e = f
			continue
		}
		m := formula.NewCall(formula.OpMult, []formula.Expr{e, f})
		m.Dim = 1
		e = m
	}
	return e
}

// foldStoreOnly plans the store mode: the only per-pair step of the
// program is a fused radial kernel (fuse.go) whose value is F, with no
// weight formula. Then two rows go through the kernel's loop at a time and
// each row's reducer folds its tile.
func (p *planner) foldStoreOnly() {
	ins := p.prog.instrs[levelPair]
	if p.prog.g >= 0 || len(ins) != 1 || ins[0].fused == profileNone || ins[0].dst != p.prog.f {
		return
	}
	in := ins[0]
	fd := &radialFold{mode: foldStore, prof: in.fused, x: in.args[0], y: in.args[1], s: in.args[2],
		row: -1, col: -1, dim: in.argDims[0]}
	if len(in.args) > 3 {
		fd.col = in.args[3]
	}
	p.prog.fold = fd
}

// foldTileBytes is the length in bytes of a component of the tiles of a
// radial fold: 1024 float64 or 2048 float32 columns, four times tileSize
// or more. A fold keeps no pair-level slot, and its loops are short: with
// tileSize columns, the calls per tile and row pair (the loop's set-up, its
// lane sums, the reducer's step) cost a sixth of the time of W1 and a
// third of W2's in float32. The tile (y and the column factor, 32 KB at
// dimension 3) stays in the core's L1 or L2 while every row of the block
// sweeps it.
const foldTileBytes = 8192

// tileLen is the tile length of r's frames: foldTileBytes of T for a radial
// fold whose reducer takes tiles of any length and ignores the index (the
// symmetric run has its own chunks), tileSize otherwise.
func tileLen[T float](r *runner[T]) int {
	fd := r.k.prog.fold
	if fd == nil || fd.mode == foldSym || !indexFree(r.red) {
		return tileSize
	}
	if isFloat64[T]() {
		return foldTileBytes / 8
	}
	return foldTileBytes / 4
}

// foldSetupTile fills the tile's part of f.fold: the scale, the inner
// points and the column factor (once per tile, for every pair of rows).
func (f *frame[T]) foldSetupTile(fd *radialFold) {
	p := f.r.k.prog
	a := &f.fold
	a.s = f.parm[p.slots[fd.s].off]
	a.ys = f.tile[p.slots[fd.y].off*f.tl:]
	a.stride, a.n = f.tl, f.n
	a.w = f.ones[:f.n]
	if fd.col >= 0 {
		a.w = f.tile[p.slots[fd.col].off*f.tl:][:f.n]
	}
}

// foldSetup fills the rows' part of f.fold for rows row0 and row1 (after
// foldSetupTile).
func (f *frame[T]) foldSetup(fd *radialFold, rows [2]int) {
	p := f.r.k.prog
	so := p.size[levelOuter]
	xoff := p.slots[fd.x].off
	a := &f.fold
	for r, row := range rows {
		outer := f.outer[row*so : (row+1)*so]
		copy(a.x[r][:min(fd.dim, foldMaxDim)], outer[xoff:xoff+fd.dim])
		a.ou[r] = 1
		if fd.row >= 0 {
			sl := p.slots[fd.row]
			if sl.level == levelOuter {
				a.ou[r] = outer[sl.off]
			} else {
				a.ou[r] = f.parm[sl.off]
			}
		}
	}
}

// foldStoreTile writes F of rows row0 and row1 over the tile to
// f.foldOut[0:f.tl] and [f.tl:2*f.tl]; with the vector loop
// it also returns, when it knows them, the largest term of each row, NaNs
// aside, and a lower bound of the smallest (-inf: see foldSIMD).
func (f *frame[T]) foldStoreTile(fd *radialFold, row0, row1 int) (ext [2][foldMaxDim]float64, ok bool) {
	f.foldSetup(fd, [2]int{row0, row1})
	a := &f.fold
	a.out = [2][]T{f.foldOut[:f.tl], f.foldOut[f.tl:]}
	if t, ok := foldSIMD(fd.mode, fd.prof, a, fd.dim, &ext); ok {
		return ext, t > 0
	}
	p := f.r.k.prog
	so := p.size[levelOuter]
	y := f.view(fd.y)
	var w vec[T]
	if fd.col >= 0 {
		w = f.view(fd.col)
	}
	for r, row := range [2]int{row0, row1} {
		x := vec[T]{data: f.outer[row*so+p.slots[fd.x].off:][:fd.dim], stride: 1, width: 1}
		radialTile(fd.prof, a.out[r][:f.n], x, y, f.view(fd.s), w, fd.dim)
	}
	return ext, false
}

// foldTile adds the tile's terms of rows r0 and r1 (r1 may equal r0, then
// only r0's accumulator is written) to their accumulators.
func (f *frame[T]) foldTile(fd *radialFold, row0, row1 int, acc0, acc1 []float64) {
	p := f.r.k.prog
	so := p.size[levelOuter]
	rows := [2]int{row0, row1}
	f.foldSetup(fd, rows)
	a := &f.fold
	ncomp := 1
	if fd.mode == foldDiff {
		ncomp = fd.dim
	}
	var sums [2][foldMaxDim]float64
	t0, ok := foldSIMD(fd.mode, fd.prof, a, fd.dim, &sums)
	if !ok {
		t0 = 0
	}
	round32 := f.r.round32
	accs := [2][]float64{acc0, acc1}
	if ok && t0 == f.n {
		// The vector loop took the whole tile.
		for r := range accs {
			if r == 1 && row1 == row0 {
				break
			}
			for c, s := range sums[r][:ncomp] {
				if round32 {
					s = float64(float32(s))
				}
				accs[r][c] += s
			}
		}
		return
	}
	for r, row := range rows {
		if r == 1 && row1 == row0 {
			break
		}
		outer := f.outer[row*so : (row+1)*so]
		x := outer[p.slots[fd.x].off:][:fd.dim]
		// The columns past the vector loop's, one at a time.
		tails, tails32 := f.foldTail[:ncomp], f.foldTail32[:ncomp]
		clear(tails)
		clear(tails32)
		for t := t0; t < f.n; t++ {
			d := 0.0
			for k := range x {
				diff := float64(x[k] - a.ys[k*a.stride+t])
				d += diff * diff
			}
			kv := T(radialProfile(fd.prof, float64(a.s), d, vec[T]{}, t)) * a.ou[r] * a.w[t]
			for c := range tails {
				v := kv
				if fd.mode == foldDiff {
					v = kv * (x[c] - a.ys[c*a.stride+t])
				}
				if round32 {
					tails32[c] += float32(v)
				} else {
					tails[c] += float64(v)
				}
			}
		}
		acc := accs[r]
		for c := range tails {
			if s := sums[r][min(c, foldMaxDim-1)]; round32 {
				acc[c] += float64(float32(s) + tails32[c]) // the tile in float32, the row in float64
			} else {
				acc[c] += s + tails[c]
			}
		}
	}
}
