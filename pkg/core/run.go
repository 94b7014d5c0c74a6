package core

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gokeops/gokeops/pkg/errkind"
)

// Ranges is the block-sparse structure of KeOps (pykeops.numpy.cluster
// from_matrix): intervals are flattened (start, end) pairs.
type Ranges struct {
	RangesI, SlicesI, RedRangesJ []int64 // used when the output is indexed by i (axis=1)
	RangesJ, SlicesJ, RedRangesI []int64 // used when the output is indexed by j (axis=0)
}

// Call is one run of a kernel on data. Argument k is laid out as
// (batch..., rows, dim) in C order, with its own batch shape ArgBatch[k]
// whose entries are 1 (broadcast) or the output's. Vals and Idx receive the
// outputs, laid out (batch..., rows, ValsDim) and (batch..., rows, IdxDim).
type Call[T float] struct {
	Args     [][]T
	ArgBatch [][]int
	Batch    []int
	M, N     int
	Ranges   *Ranges
	Vals     []T
	Idx      []int64
	Workers  int          // goroutines; 0 means GOMAXPROCS
	Cancel   *atomic.Bool // set to stop the run early (checked between tiles)
}

// smallWork is the number of pairs below which a call runs on one thread.
const smallWork = 1 << 15

// ErrCancelled is returned by a run stopped through its Cancel flag.
var ErrCancelled = errkind.Errorf(errkind.Cancelled, "the reduction was interrupted")

// span is an interval [lo, hi) of the reduced index.
type span struct{ lo, hi int }

// workItem is a block of output rows of one batch, reduced over spans.
type workItem struct {
	batch  int
	r0, r1 int
	spans  []span
	part   int // where its partial accumulators go when the reduced index is split; -1 if not
}

// Run computes the reduction. It checks every length against the shapes
// first, so that no slice is read out of bounds whatever the caller passes.
func Run[T float](k *Kernel, c *Call[T]) error {
	var zero T
	_, isF32 := any(zero).(float32)
	acc32, err := k.accumulate32(isF32)
	if err != nil {
		return err
	}
	if err := k.check(c); err != nil {
		return err
	}
	r := &runner[T]{k: k, c: c, red: newReducer[T](k, acc32), round32: acc32}
	r.packSpans = indexFree(r.red)
	r.outer, r.inner = c.M, c.N
	if k.axis == 0 {
		r.outer, r.inner = c.N, c.M
	}
	r.argOffsets()
	if sp, ok := r.symmetricPlan(); ok {
		return r.runSymmetric(sp)
	}
	r.dotIdentity = r.identityWeight()
	r.plan()
	return r.execute()
}

// runner holds the state of one Run.
type runner[T float] struct {
	k            *Kernel
	c            *Call[T]
	red          reducer[T]
	outer, inner int
	nbatch       int
	offsets      [][]int // offsets[arg][batch]: start of the argument's data
	items        []workItem
	parts        []float64 // partial accumulators of split items
	nparts       int       // partial accumulators per (batch, row block)
	rowBlock     int
	round32      bool // sums accumulate in float32
	// packSpans: the reduction uses no index (sums, the LogSumExp family),
	// so that the spans of a work item may be packed into whole tiles.
	packSpans bool

	// dotIdentity: the weight of a dot fold is the identity matrix (see
	// identityWeight).
	dotIdentity bool

	// state, when set, receives each row's accumulator instead of its
	// outputs (see RunPartial).
	state []float64
}

// indexFree reports whether a reducer ignores the index of its terms
// (sums and the LogSumExp family; not the extremes and the k smallest).
func indexFree[T float](red reducer[T]) bool {
	switch red.(type) {
	case *sumReducer[T], *lseReducer[T]:
		return true
	}
	return false
}

func (r *runner[T]) argOffsets() {
	c := r.c
	r.nbatch = prod(c.Batch)
	r.offsets = make([][]int, len(c.Args))
	for a, v := range r.k.Sig {
		size := v.Dim * r.rowsOf(int(v.Cat))
		offs := make([]int, r.nbatch)
		for b := range offs {
			// Walk the batch index from the last axis, skipping broadcast ones.
			rem, off, stride := b, 0, size
			for t := len(c.Batch) - 1; t >= 0; t-- {
				i := rem % c.Batch[t]
				rem /= c.Batch[t]
				if c.ArgBatch[a][t] > 1 {
					off += i * stride
				}
				stride *= c.ArgBatch[a][t]
			}
			offs[b] = off
		}
		r.offsets[a] = offs
	}
}

func (r *runner[T]) rowsOf(cat int) int {
	switch cat {
	case 0:
		return r.c.M
	case 1:
		return r.c.N
	}
	return 1
}

func (r *runner[T]) workers() int {
	if r.c.Workers > 0 {
		return r.c.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// plan cuts the work into items: blocks of rows; and when there are too
// few blocks to keep every core busy, pieces of the reduced index too,
// whose partial results are merged afterwards.
func (r *runner[T]) plan() {
	w := r.workers()
	r.rowBlock = min(r.k.rowCap(), max(4, r.outer/(4*w)))
	if r.nbatch*r.outer*max(r.inner, 1) < smallWork {
		r.rowBlock = r.k.rowCap() // one thread: fewer, larger items
	}
	if rg := r.c.Ranges; rg != nil {
		ranges, slices, red := rg.RangesI, rg.SlicesI, rg.RedRangesJ
		if r.k.axis == 0 {
			ranges, slices, red = rg.RangesJ, rg.SlicesJ, rg.RedRangesI
		}
		// A row held by several blocks keeps the result of the last one, as
		// in KeOps' loop over blocks: each row goes to its last block only,
		// so that workers never write the same row.
		owner := make([]int32, r.outer) // 1 + the last block holding the row
		for b := range slices {
			for row := ranges[2*b]; row < ranges[2*b+1]; row++ {
				owner[row] = int32(b + 1)
			}
		}
		// All spans in one array, each block's a window of it: a block-sparse
		// call has thousands of blocks of a few spans each.
		all := make([]span, len(red)/2)
		for s := range all {
			all[s] = span{int(red[2*s]), int(red[2*s+1])}
		}
		r.items = make([]workItem, 0, len(slices))
		start := int64(0)
		for b := 0; b < len(slices); b++ {
			spans := all[start:slices[b]:slices[b]]
			start = slices[b]
			for r0, hi := int(ranges[2*b]), int(ranges[2*b+1]); r0 < hi; {
				if owner[r0] != int32(b+1) {
					r0++
					continue
				}
				r1 := r0 + 1
				for r1 < hi && r1-r0 < r.rowBlock && owner[r1] == int32(b+1) {
					r1++
				}
				r.items = append(r.items, workItem{r0: r0, r1: r1, spans: spans, part: -1})
				r0 = r1
			}
		}
		return
	}
	blocks := (r.outer + r.rowBlock - 1) / r.rowBlock
	r.nparts = 1
	if n := r.nbatch * blocks; n < 2*w && r.inner >= 4*tileSize {
		r.nparts = min((2*w+n-1)/n, r.inner/(2*tileSize))
	}
	piece := (r.inner + r.nparts - 1) / r.nparts
	piece = (piece + tileSize - 1) / tileSize * tileSize
	// One piece of the reduced index per part, shared by the items: the
	// setup allocates the same few slices whatever the number of items.
	pieces := make([]span, r.nparts)
	for p := range pieces {
		pieces[p] = span{min(r.inner, p*piece), min(r.inner, (p+1)*piece)}
	}
	r.items = make([]workItem, 0, r.nbatch*blocks*r.nparts)
	for b := 0; b < r.nbatch; b++ {
		for blk := 0; blk < blocks; blk++ {
			r0 := blk * r.rowBlock
			for p := 0; p < r.nparts; p++ {
				it := workItem{batch: b, r0: r0, r1: min(r.outer, r0+r.rowBlock), part: -1,
					spans: pieces[p : p+1]}
				if r.nparts > 1 {
					it.part = (b*blocks+blk)*r.nparts + p
				}
				r.items = append(r.items, it)
			}
		}
	}
	if r.nparts > 1 {
		r.parts = make([]float64, r.nbatch*blocks*r.nparts*r.rowBlock*r.red.accLen())
	}
}

func (r *runner[T]) execute() error {
	if r.c.Ranges != nil {
		r.fillNeutral()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var cancelled atomic.Bool
	nw := min(r.workers(), len(r.items))
	if r.nbatch*r.outer*max(r.inner, 1) < smallWork {
		nw = 1 // waking another thread costs more than the work
	}
	errs := make([]error, nw)
	work := func(w int) {
		defer func() {
			if p := recover(); p != nil {
				errs[w] = errkind.Errorf(errkind.Internal, "core: internal error: %v", p)
				cancelled.Store(true)
			}
		}()
		fr := getFrame(r)
		defer putFrame(fr)
		for {
			i := int(next.Add(1)) - 1
			if i >= len(r.items) || cancelled.Load() {
				return
			}
			if !fr.run(&r.items[i]) {
				cancelled.Store(true)
				errs[w] = ErrCancelled
				return
			}
		}
	}
	if nw == 1 {
		work(0)
	} else {
		for w := 0; w < nw; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				work(w)
			}(w)
		}
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	if r.nparts > 1 {
		r.mergeParts()
	}
	return nil
}

// fillNeutral writes the empty-reduction result to every output row, for
// rows that no range block covers.
func (r *runner[T]) fillNeutral() {
	acc := make([]float64, r.red.accLen())
	r.red.init(acc)
	for row := 0; row < r.outer; row++ {
		r.finish(acc, 0, row)
	}
}

func (r *runner[T]) finish(acc []float64, batch, row int) {
	o := batch*r.outer + row
	if r.state != nil {
		copy(r.state[o*len(acc):(o+1)*len(acc)], acc)
		return
	}
	var vals []T
	var idx []int64
	if d := r.k.ValsDim; d > 0 {
		vals = r.c.Vals[o*d : o*d+d]
	}
	if d := r.k.IdxDim; d > 0 {
		idx = r.c.Idx[o*d : o*d+d]
	}
	r.red.finish(acc, vals, idx)
}

func (r *runner[T]) mergeParts() {
	al := r.red.accLen()
	blocks := (r.outer + r.rowBlock - 1) / r.rowBlock
	for b := 0; b < r.nbatch; b++ {
		for blk := 0; blk < blocks; blk++ {
			base := (b*blocks + blk) * r.nparts
			for row := blk * r.rowBlock; row < min(r.outer, (blk+1)*r.rowBlock); row++ {
				at := func(p int) []float64 {
					o := ((base+p)*r.rowBlock + row - blk*r.rowBlock) * al
					return r.parts[o : o+al]
				}
				acc := at(0)
				for p := 1; p < r.nparts; p++ {
					r.red.merge(acc, at(p))
				}
				r.finish(acc, b, row)
			}
		}
	}
}

func prod(xs []int) int {
	p := 1
	for _, x := range xs {
		p *= x
	}
	return p
}
