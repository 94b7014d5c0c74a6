package core

import "github.com/gokeops/gokeops/pkg/formula"

// frame is one worker's scratch space: an arena per level, the row
// accumulators, and the current tile length.
type frame[T float] struct {
	r                       *runner[T]
	parm, outer, tile, pair []T
	outerRow                []T // the current row's part of outer
	acc                     []float64
	scratch                 []T // tl values for reducers
	gemm                    *gemmState[T]
	argv                    []vec[T]
	data                    [][]T // the arguments of the current batch
	n                       int   // length of the current tile
	tl                      int   // the tile length: tileSize, or longer for a fold (tileLen)
	fold                    foldArgs[T]
	ones                    []T // tl ones: the column factor of a fold without one
	foldOut                 []T // the store mode's two tiles of F
	foldTail                []float64
	foldTail32              []float32
	jit                     jitState // the compiled loop's block and scratch (jit_run.go)
}

// maxRowBlock bounds the rows of a work item, so that pooled frames fit
// every call (Kernel.rowCap: the kNN kernels take more).
const maxRowBlock = 128

// getFrame takes a frame from the kernel's pool (frames are kept per dtype
// and reused across calls: a call allocates no scratch space).
func getFrame[T float](r *runner[T]) *frame[T] {
	pool := &r.k.frames64
	if !isFloat64[T]() {
		pool = &r.k.frames32
	}
	f, _ := pool.Get().(*frame[T])
	if f == nil {
		p := r.k.prog
		maxArgs := 0
		for _, ins := range p.instrs {
			for _, in := range ins {
				maxArgs = max(maxArgs, len(in.args))
			}
		}
		tl := tileLen[T](r)
		f = &frame[T]{
			parm:    make([]T, p.size[levelParm]),
			outer:   make([]T, r.k.rowCap()*p.size[levelOuter]),
			tile:    make([]T, p.size[levelTile]*tl),
			pair:    make([]T, p.size[levelPair]*tl),
			acc:     make([]float64, r.k.rowCap()*r.red.accLen()),
			argv:    make([]vec[T], maxArgs),
			scratch: make([]T, tl),
			data:    make([][]T, len(r.k.Sig)),
			tl:      tl,
		}
		if fd := p.fold; fd != nil {
			f.ones = make([]T, tl)
			for t := range f.ones {
				f.ones[t] = 1
			}
			f.foldTail, f.foldTail32 = make([]float64, fd.dim), make([]float32, fd.dim)
			f.foldOut = make([]T, 2*tl)
		}
	}
	if p := r.k.prog; p.gemm != nil && f.gemm == nil {
		f.gemm = newGemmState[T](p.gemm.dim, r.k.rowCap())
	}
	f.r = r
	return f
}

// putFrame returns a frame to its pool, dropping its references to the
// call's data.
func putFrame[T float](f *frame[T]) {
	pool := &f.r.k.frames64
	if !isFloat64[T]() {
		pool = &f.r.k.frames32
	}
	clear(f.data)
	f.r = nil
	pool.Put(f)
}

// view is the value of slot s for the current row and tile.
func (f *frame[T]) view(s int) vec[T] {
	sl := f.r.k.prog.slots[s]
	switch sl.level {
	case levelParm:
		return vec[T]{data: f.parm[sl.off : sl.off+sl.dim], stride: 1, width: 1}
	case levelOuter:
		return vec[T]{data: f.outerRow[sl.off : sl.off+sl.dim], stride: 1, width: 1}
	case levelTile:
		return vec[T]{data: f.tile[sl.off*f.tl : (sl.off+sl.dim)*f.tl], stride: f.tl, width: f.n}
	}
	return vec[T]{data: f.pair[sl.off*f.tl : (sl.off+sl.dim)*f.tl], stride: f.tl, width: f.n}
}

// startBatch points the frame at the arguments of a batch and computes the
// program's parameter level: its constants, loads and instructions.
func (f *frame[T]) startBatch(batch int) {
	r, p := f.r, f.r.k.prog
	for a := range f.data {
		f.data[a] = r.c.Args[a][r.offsets[a][batch]:]
	}
	for _, c := range p.consts {
		sl := p.slots[c.slot]
		for k := 0; k < sl.dim; k++ {
			f.parm[sl.off+k] = T(c.value)
		}
	}
	for _, ld := range p.loads[levelParm] {
		copy(f.parm[p.slots[ld.slot].off:][:ld.dim], f.data[ld.arg][:ld.dim])
	}
	f.exec(levelParm)
}

// run reduces one work item; it returns false when the call was cancelled.
func (f *frame[T]) run(it *workItem) bool {
	r, p := f.r, f.r.k.prog
	f.startBatch(it.batch)
	rows := it.r1 - it.r0
	so := p.size[levelOuter]
	for row := 0; row < rows; row++ {
		f.outerRow = f.outer[row*so : (row+1)*so]
		for _, ld := range p.loads[levelOuter] {
			src := f.data[ld.arg][(it.r0+row)*ld.dim:]
			copy(f.outerRow[p.slots[ld.slot].off:][:ld.dim], src[:ld.dim])
		}
		f.exec(levelOuter)
	}
	al := r.red.accLen()
	for row := 0; row < rows; row++ {
		r.red.init(f.acc[row*al : (row+1)*al])
	}
	spans := it.spans
	if p.gemm != nil && f.topkFused() {
		if !f.topkItem(it, rows) {
			return false
		}
		spans = nil // done: gemm_topk.go selected the rows' K smallest distances
	} else if p.gemm != nil {
		f.gemm.prepareRows(f, p.gemm, rows)
	}
	cancel := r.c.Cancel
	if r.packSpans && len(spans) > 1 {
		// Short spans (ranges) packed end to end into whole tiles: the
		// fused loops run over full tiles, not once per span.
		f.n = 0
		for _, sp := range spans {
			for lo := sp.lo; lo < sp.hi; {
				take := min(f.tl-f.n, sp.hi-lo)
				for _, ld := range p.loads[levelTile] {
					f.loadTile(ld, lo, take, f.n)
				}
				f.n += take
				lo += take
				if f.n == f.tl {
					if cancel != nil && cancel.Load() {
						return false
					}
					f.tileStep(rows, -1)
					f.n = 0
				}
			}
		}
		if f.n > 0 {
			f.tileStep(rows, -1)
		}
	} else {
		for _, sp := range spans {
			for j0 := sp.lo; j0 < sp.hi; j0 += f.tl {
				if cancel != nil && cancel.Load() {
					return false
				}
				f.n = min(f.tl, sp.hi-j0)
				for _, ld := range p.loads[levelTile] {
					f.loadTile(ld, j0, f.n, 0)
				}
				f.tileStep(rows, j0)
			}
		}
	}
	for row := 0; row < rows; row++ {
		acc := f.acc[row*al : (row+1)*al]
		if it.part >= 0 {
			copy(r.parts[(it.part*r.rowBlock+row)*al:], acc)
		} else {
			r.finish(acc, it.batch, it.r0+row)
		}
	}
	return true
}

// tileStep reduces the loaded tile of f.n columns (from j0 on; -1 when
// packed from several spans, for reductions that use no index) into the
// accumulators of the item's rows.
func (f *frame[T]) tileStep(rows, j0 int) {
	r, p := f.r, f.r.k.prog
	al := r.red.accLen()
	f.exec(levelTile)
	if fd := p.fold; fd != nil {
		f.foldSetupTile(fd)
		for row := 0; row < rows; row += 2 {
			r1 := min(row+1, rows-1)
			if fd.mode != foldStore {
				f.foldTile(fd, row, r1, f.acc[row*al:(row+1)*al], f.acc[r1*al:(r1+1)*al])
				continue
			}
			ext, known := f.foldStoreTile(fd, row, r1)
			for o := row; o <= r1; o++ {
				out := vec[T]{data: f.foldOut[(o-row)*f.tl:], stride: f.tl, width: f.n}
				if lse, ok := r.red.(*lseReducer[T]); ok && known {
					lse.foldExtremes(f.acc[o*al:(o+1)*al], out, vec[T]{}, f.n, f.scratch, ext[o-row][0], ext[o-row][1])
					continue
				}
				r.red.fold(f.acc[o*al:(o+1)*al], out, vec[T]{}, f.n, j0, f.scratch)
			}
		}
		return
	}
	if p.gemm != nil {
		f.gemm.distances(f, p.gemm, rows)
		for row := 0; row < rows; row++ {
			d := vec[T]{data: f.gemm.block[row*tileSize : (row+1)*tileSize], stride: tileSize, width: f.n}
			r.red.fold(f.acc[row*al:(row+1)*al], d, vec[T]{}, f.n, j0, f.scratch)
		}
		return
	}
	if f.jitTile(rows, j0) {
		return
	}
	for row := 0; row < rows; row++ {
		f.pairRow(row, j0)
	}
}

// pairRow runs the pair level of the loaded tile for one row of the work
// item, on the interpreter, and reduces it into the row's accumulator.
func (f *frame[T]) pairRow(row, j0 int) {
	r, p := f.r, f.r.k.prog
	al, so := r.red.accLen(), p.size[levelOuter]
	f.outerRow = f.outer[row*so : (row+1)*so]
	acc := f.acc[row*al : (row+1)*al]
	if d := p.dot; d != nil && d.radial != nil {
		in := d.radial
		radialDotTile(acc, in.fused, f.view(in.args[0]), f.view(in.args[1]), f.view(in.args[2]), f.view(d.w), in.argDims[0], f.n, r.round32)
		return
	}
	f.exec(levelPair)
	if p.dot != nil {
		w := f.view(p.dot.w)
		if p.dot.x >= 0 {
			dotDiffTile(acc, f.view(p.dot.k).col(0), f.view(p.dot.x), w, p.slots[p.dot.w].dim, p.dot.neg, r.round32)
		} else if !r.dotIdentity || !identityTile(acc, f.view(p.dot.k).col(0), j0) {
			dotTile(acc, f.view(p.dot.k).col(0), w, p.slots[p.dot.w].dim, r.round32)
		}
		return
	}
	var g vec[T]
	if p.g >= 0 {
		g = f.view(p.g)
	}
	r.red.fold(acc, f.view(p.f), g, f.n, j0, f.scratch)
}

// loadTile transposes rows j0..j0+n of an argument into structure-of-arrays
// form: component k of index j0+t goes to column k, position at+t.
func (f *frame[T]) loadTile(ld load, j0, n, at int) {
	sl := f.r.k.prog.slots[ld.slot]
	src := f.data[ld.arg][j0*ld.dim : (j0+n)*ld.dim]
	dst := f.tile[sl.off*f.tl+at:]
	if ld.dim == 1 {
		copy(dst[:n], src)
		return
	}
	for k := 0; k < ld.dim; k++ {
		col := dst[k*f.tl : k*f.tl+n]
		for t := range col {
			col[t] = src[t*ld.dim+k]
		}
	}
}

// exec runs the instructions of one level.
func (f *frame[T]) exec(lv level) {
	for i := range f.r.k.prog.instrs[lv] {
		in := &f.r.k.prog.instrs[lv][i]
		dst := f.view(in.dst)
		args := f.argv[:len(in.args)]
		for a, s := range in.args {
			args[a] = f.view(s)
		}
		switch {
		case in.fused != profileNone:
			var w vec[T]
			if len(args) > 3 {
				w = args[3]
			}
			radialTile(in.fused, dst.col(0), args[0], args[1], args[2], w, in.argDims[0])
		case in.prim == formula.PrimNone:
			for k := 0; k < in.dim; k++ {
				fillCol(dst.col(k), args[0].col(k))
			}
		case in.prim.Elementwise():
			for k := 0; k < in.dim; k++ {
				var cols [3][]T
				for a := range args {
					if in.argDims[a] == 1 {
						cols[a] = args[a].col(0)
					} else {
						cols[a] = args[a].col(k)
					}
				}
				switch len(args) {
				case 1:
					unaryTile(in.prim, in.ints, dst.col(k), cols[0])
				case 2:
					binaryTile(in.prim, dst.col(k), cols[0], cols[1])
				default:
					ternaryTile(in.prim, dst.col(k), cols[0], cols[1], cols[2])
				}
			}
		default:
			vectorPrim(in, dst, args)
		}
	}
}
