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
	r := getRunner[T]()
	defer putRunner(r)
	r.k, r.c, r.red, r.round32 = k, c, newReducer[T](k, acc32), acc32
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

	nworkers int // see workers

	// The work items' queue and the stop flag of execute.
	next      atomic.Int64
	cancelled atomic.Bool

	// Room for the offsets and pieces of small calls, which then allocate
	// none of them (see argOffsets and plan); items keeps its capacity
	// from call to call (see putRunner).
	offsetsBuf [smallArgs][]int
	piecesBuf  [1]span
}

// smallArgs is the number of arguments up to which a call's offsets live
// in its runner.
const smallArgs = 8

// zeroOffset is the offsets of an argument of a call without batch
// dimensions (read only).
var zeroOffset = []int{0}

// runners32 and runners64 keep the runners of finished calls, per dtype:
// a call allocates none.
var runners32, runners64 sync.Pool

func getRunner[T float]() *runner[T] {
	pool := &runners64
	if !isFloat64[T]() {
		pool = &runners32
	}
	if r, ok := pool.Get().(*runner[T]); ok {
		return r
	}
	return new(runner[T])
}

// maxKeptItems bounds the items' array that a pooled runner keeps.
const maxKeptItems = 4096

// putRunner clears r, so that the pool holds no reference to a call's data,
// and returns it to its pool. The items' array is kept for the next call:
// the setup of a call then allocates the same whatever its number of items.
func putRunner[T float](r *runner[T]) {
	pool := &runners64
	if !isFloat64[T]() {
		pool = &runners32
	}
	items := r.items[:cap(r.items)]
	clear(items)
	if len(items) > maxKeptItems {
		items = nil
	}
	*r = runner[T]{items: items[:0]}
	pool.Put(r)
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
	if len(c.Args) <= smallArgs {
		r.offsets = r.offsetsBuf[:len(c.Args)]
	} else {
		r.offsets = make([][]int, len(c.Args))
	}
	if len(c.Batch) == 0 {
		for a := range r.offsets {
			r.offsets[a] = zeroOffset
		}
		return
	}
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

// workers is the number of goroutines of the call, read once per call
// (GOMAXPROCS takes a lock).
func (r *runner[T]) workers() int {
	if r.nworkers == 0 {
		r.nworkers = r.c.Workers
		if r.nworkers <= 0 {
			r.nworkers = runtime.GOMAXPROCS(0)
		}
	}
	return r.nworkers
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
		if cap(r.items) < len(slices) {
			r.items = make([]workItem, 0, len(slices))
		}
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
	pieces := r.piecesBuf[:]
	if r.nparts > len(pieces) {
		pieces = make([]span, r.nparts)
	}
	for p := range pieces {
		pieces[p] = span{min(r.inner, p*piece), min(r.inner, (p+1)*piece)}
	}
	if n := r.nbatch * blocks * r.nparts; n > cap(r.items) {
		r.items = make([]workItem, 0, n)
	}
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
	nw := min(r.workers(), len(r.items))
	if r.nbatch*r.outer*max(r.inner, 1) < smallWork {
		nw = 1 // waking another thread costs more than the work
	}
	if nw <= 1 {
		// On the calling goroutine: no goroutine, closure or error slice.
		if err := r.work(); err != nil {
			return err
		}
	} else {
		errs := make([]error, nw)
		var wg sync.WaitGroup
		for w := 0; w < nw; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				errs[w] = r.work()
			}(w)
		}
		wg.Wait()
		for _, e := range errs {
			if e != nil {
				return e
			}
		}
	}
	if r.nparts > 1 {
		r.mergeParts()
	}
	return nil
}

// work runs the items of the queue on one frame until none is left or the
// call stops (cancelled, or a panic, which becomes an internal error).
func (r *runner[T]) work() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errkind.Errorf(errkind.Internal, "core: internal error: %v", p)
			r.cancelled.Store(true)
		}
	}()
	fr := getFrame(r)
	defer putFrame(fr)
	for {
		i := int(r.next.Add(1)) - 1
		if i >= len(r.items) || r.cancelled.Load() {
			return nil
		}
		if !fr.run(&r.items[i]) {
			r.cancelled.Store(true)
			return ErrCancelled
		}
	}
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
