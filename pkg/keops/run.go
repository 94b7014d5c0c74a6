package keops

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/gokeops/gokeops/pkg/core"
)

// Float is the element type of the data: float32 or float64.
type Float interface{ float32 | float64 }

// Ranges is the block-sparse structure of a run, as made by pykeops'
// cluster.from_matrix: intervals are flattened (start, end) pairs. Row
// block b of the output (RangesI[2b:2b+2] for axis 1) is reduced over the
// intervals RedRangesJ[2s:2s+2] for s in [SlicesI[b-1], SlicesI[b]).
// Output rows in no block get the result of an empty reduction.
// The J-side fields serve axis 0 the same way.
type Ranges struct {
	RangesI, SlicesI, RedRangesJ []int64 // used by axis 1 (output indexed by i)
	RangesJ, SlicesJ, RedRangesI []int64 // used by axis 0 (output indexed by j)
}

// Result is the output of a run.
type Result[T Float] struct {
	// Values holds Rows*Dim values per batch, row-major; nil when the
	// reduction outputs indices only.
	Values []T
	// Indices holds Rows*IndexDim int64 indices per batch (ArgMin family).
	Indices []int64
	// Batch is the batch shape of the run (nil without batch dimensions).
	Batch []int
	// Rows is the number of output rows per batch: M for axis 1, N for axis 0.
	Rows int
	// Dim and IndexDim are the values and indices per row.
	Dim, IndexDim int
}

// Shape is the shape of Values: (batch..., Rows, Dim).
func (r *Result[T]) Shape() []int { return append(append([]int(nil), r.Batch...), r.Rows, r.Dim) }

// IndexShape is the shape of Indices: (batch..., Rows, IndexDim).
func (r *Result[T]) IndexShape() []int {
	return append(append([]int(nil), r.Batch...), r.Rows, r.IndexDim)
}

// Option is an option of Run.
type Option func(*runOptions)

type runOptions struct {
	m, n     int
	sized    bool
	batch    []int
	argBatch [][]int
	ranges   *Ranges
	progress func(done, total int)
}

// WithSizes sets M and N, the numbers of i and j rows, instead of
// inferring them from the arguments. It is needed only when no argument is
// indexed by i (then M is 1 by default) or by j (N is 1).
func WithSizes(m, n int) Option {
	return func(o *runOptions) { o.m, o.n, o.sized = m, n, true }
}

// WithBatch runs a batch of independent reductions. batch is the batch
// shape; each argument is laid out (batch..., rows, dim). argBatch[k], when
// given, is the batch shape of argument k, of the same length as batch,
// with entries equal to batch's or 1 (broadcast: the argument is shared
// along that axis); a nil argBatch (or argBatch[k]) means the full batch.
func WithBatch(batch []int, argBatch [][]int) Option {
	return func(o *runOptions) {
		o.batch = append([]int(nil), batch...)
		o.argBatch = argBatch
	}
}

// WithRanges restricts the reduction to blocks of (i, j) pairs.
// It cannot be combined with WithBatch.
func WithRanges(r Ranges) Option {
	return func(o *runOptions) { o.ranges = &r }
}

// WithProgress calls fn(done, total) as output rows are completed (from
// the calling goroutine, done increasing to total). The run is then cut
// into about a hundred pieces, a small cost for long runs. It has no
// effect on runs with ranges or batch dimensions, which report only their
// end.
func WithProgress(fn func(done, total int)) Option {
	return func(o *runOptions) { o.progress = fn }
}

type threadsKey struct{}

// WithThreads returns a context whose runs use n goroutines (0: one per
// core, GOMAXPROCS).
func WithThreads(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, threadsKey{}, n)
}

// Threads is the number of goroutines a run with ctx uses.
func Threads(ctx context.Context) int {
	if n, ok := ctx.Value(threadsKey{}).(int); ok && n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// Run executes kernel k on args, one flat row-major slice per argument in
// the order of k.Args(). It stops early, with an ErrCancelled error, when
// ctx is cancelled.
func Run[T Float](ctx context.Context, k *Kernel, args [][]T, opts ...Option) (res *Result[T], err error) {
	const op = "run"
	defer func() {
		// core recovers the panics of its workers; this covers the rest.
		if p := recover(); p != nil {
			res, err = nil, newError(op, ErrInternal, -1, "%v", p)
		}
	}()
	if k == nil {
		return nil, newError(op, ErrOption, -1, "nil kernel")
	}
	var o runOptions
	for _, f := range opts {
		f(&o)
	}
	var zero T
	_, is32 := any(zero).(float32)
	if d := k.spec.Dtype; (d == "float32" && !is32) || (d == "float64" && is32) {
		return nil, newError(op, ErrDtype, -1, "the kernel was compiled for %s data, got %T", d, zero)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Kind: ErrCancelled, Op: op, Arg: -1, Msg: err.Error(), Err: err}
	}
	c, err := prepare(k, args, &o)
	if err != nil {
		return nil, err
	}
	res = &Result[T]{Batch: o.batch, Dim: k.k.ValsDim, IndexDim: k.k.IdxDim, Rows: c.N}
	if k.spec.Axis == 1 {
		res.Rows = c.M
	}
	nb := prod(o.batch)
	if res.Dim > 0 {
		c.Vals = make([]T, nb*res.Rows*res.Dim)
		res.Values = c.Vals
	}
	if res.IndexDim > 0 {
		c.Idx = make([]int64, nb*res.Rows*res.IndexDim)
		res.Indices = c.Idx
	}
	c.Workers = Threads(ctx)
	var cancel atomic.Bool
	c.Cancel = &cancel
	stop := context.AfterFunc(ctx, func() { cancel.Store(true) })
	defer stop()
	if err := execute(k, c, &o); err != nil {
		if errors.Is(err, core.ErrCancelled) && ctx.Err() != nil {
			return nil, &Error{Kind: ErrCancelled, Op: op, Arg: -1, Msg: ctx.Err().Error(), Err: ctx.Err()}
		}
		return nil, runError(err)
	}
	return res, nil
}

// runError classifies an error of core.Run. Lengths and sizes are checked
// by prepare first, so these are mostly the checks of ranges and batches.
func runError(err error) error {
	switch {
	case errors.Is(err, core.ErrCancelled):
		return &Error{Kind: ErrCancelled, Op: "run", Arg: -1, Msg: engineMessage(err), Err: err}
	case strings.Contains(err.Error(), "dtype_acc"):
		return fromEngine("run", ErrDtype, err)
	case strings.Contains(err.Error(), "internal error"):
		return fromEngine("run", ErrInternal, err)
	}
	return fromEngine("run", ErrShape, err)
}

// prepare checks the arguments against the kernel's signature, infers M and
// N and builds the call (without outputs).
func prepare[T Float](k *Kernel, args [][]T, o *runOptions) (*core.Call[T], error) {
	const op = "run"
	if len(args) != len(k.args) {
		return nil, newError(op, ErrShape, -1, "the kernel takes %d arguments (%s), got %d",
			len(k.args), argList(k.args), len(args))
	}
	nbatch := len(o.batch)
	for t, b := range o.batch {
		if b < 0 {
			return nil, newError(op, ErrShape, -1, "batch dimension %d is negative (%d)", t, b)
		}
	}
	if o.ranges != nil && nbatch > 0 {
		return nil, newError(op, ErrShape, -1, "ranges cannot be combined with batch dimensions")
	}
	if o.argBatch != nil && len(o.argBatch) != len(args) {
		return nil, newError(op, ErrShape, -1, "got batch shapes for %d arguments, the kernel takes %d", len(o.argBatch), len(args))
	}
	c := &core.Call[T]{Args: args, Batch: o.batch, ArgBatch: make([][]int, len(args))}
	rows := [2]int{-1, -1} // M, N as found so far
	from := [2]int{-1, -1} // the argument each was found from
	if o.sized {
		if o.m < 0 || o.n < 0 {
			return nil, newError(op, ErrShape, -1, "sizes must be >= 0, got M=%d, N=%d", o.m, o.n)
		}
		rows = [2]int{o.m, o.n}
	}
	for a, arg := range k.args {
		ab := o.batch
		if o.argBatch != nil && o.argBatch[a] != nil {
			ab = o.argBatch[a]
			if len(ab) != nbatch {
				return nil, newError(op, ErrShape, a, "%s has %d batch dimensions, expected %d", arg, len(ab), nbatch)
			}
			for t, b := range ab {
				if b != 1 && b != o.batch[t] {
					return nil, newError(op, ErrShape, a, "%s has batch dimension %d of size %d, expected 1 or %d", arg, t, b, o.batch[t])
				}
			}
		}
		c.ArgBatch[a] = ab
		per := prod(ab) * arg.Dim // values per row
		n := len(args[a])
		if arg.Cat == Param {
			if n != per {
				return nil, newError(op, ErrShape, a, "%s has %d values, expected %d", arg, n, per)
			}
			continue
		}
		if per == 0 {
			if n != 0 {
				return nil, newError(op, ErrShape, a, "%s has %d values, expected 0 (empty batch)", arg, n)
			}
			continue
		}
		if n%per != 0 {
			return nil, newError(op, ErrShape, a, "%s has %d values, not a multiple of %d (values per row)", arg, n, per)
		}
		r, side := n/per, int(arg.Cat)
		switch {
		case rows[side] < 0:
			rows[side], from[side] = r, a
		case rows[side] != r && from[side] < 0:
			return nil, newError(op, ErrShape, a, "%s has %d rows, but %s = %d", arg, r, "MN"[side:side+1], rows[side])
		case rows[side] != r:
			return nil, newError(op, ErrShape, a, "%s has %d rows, but %s has %d", arg, r, k.args[from[side]], rows[side])
		}
	}
	for side := range rows {
		if rows[side] < 0 {
			rows[side] = 1 // no variable indexed that way, as in pykeops
		}
	}
	c.M, c.N = rows[0], rows[1]
	if r := o.ranges; r != nil {
		c.Ranges = &core.Ranges{RangesI: r.RangesI, SlicesI: r.SlicesI, RedRangesJ: r.RedRangesJ,
			RangesJ: r.RangesJ, SlicesJ: r.SlicesJ, RedRangesI: r.RedRangesI}
	}
	return c, nil
}

// execute runs the call, in pieces of output rows when progress is asked.
func execute[T Float](k *Kernel, c *core.Call[T], o *runOptions) error {
	outer, outerCat := c.N, J
	if k.spec.Axis == 1 {
		outer, outerCat = c.M, I
	}
	if o.progress == nil || c.Ranges != nil || len(c.Batch) > 0 || outer < 2 {
		err := core.Run(k.k, c)
		if err == nil && o.progress != nil {
			o.progress(outer, outer)
		}
		return err
	}
	// A piece is a run on rows [r0, r1) of the outer variables: their
	// slices and the output's are contiguous sub-slices, nothing is copied.
	piece := max(1, (outer+99)/100)
	o.progress(0, outer)
	for r0 := 0; r0 < outer; r0 += piece {
		r1 := min(outer, r0+piece)
		p := *c
		p.Args = make([][]T, len(c.Args))
		for a, arg := range k.args {
			p.Args[a] = c.Args[a]
			if arg.Cat == outerCat {
				p.Args[a] = c.Args[a][r0*arg.Dim : r1*arg.Dim]
			}
		}
		if outerCat == I {
			p.M = r1 - r0
		} else {
			p.N = r1 - r0
		}
		if d := k.k.ValsDim; d > 0 {
			p.Vals = c.Vals[r0*d : r1*d]
		}
		if d := k.k.IdxDim; d > 0 {
			p.Idx = c.Idx[r0*d : r1*d]
		}
		if err := core.Run(k.k, &p); err != nil {
			return err
		}
		o.progress(r1, outer)
	}
	return nil
}

func argList(args []Arg) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += ", "
		}
		if a.Name != "" {
			s += a.Name + " = "
		}
		s += fmt.Sprintf("%s(%d)", a.Cat, a.Dim)
	}
	return s
}

func prod(xs []int) int {
	p := 1
	for _, x := range xs {
		p *= x
	}
	return p
}
