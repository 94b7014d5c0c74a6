package core_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokeops/gokeops/internal/oracle"
	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/errkind"
	"github.com/gokeops/gokeops/pkg/formula"
)

// This file checks every reduction against references written plainly
// from the oracle's values of F (and G) over all pairs, then the sum
// schemes, the split of the reduced index, cancellation and the length
// checks.

var redAliases = []string{"x=Vi(3)", "y=Vj(3)", "p=Pm(1)", "q=Vj(1)", "s=Vi(1)", "u=Vi(20)", "v=Vj(20)"}

// The formulas are exact in float32 on data in multiples of 1/4 in [-2, 2),
// so that ties are exact ties in both dtypes.
const (
	fScalar = "p*SqDist(x,y)-q"
	fVector = "x*y-q"
	gScalar = "q*q+1"
	gVector = "Abs(x-y)+1"
	// Formulas of the i variables only: per term for axis=0, per output row
	// for axis=1.
	fOuter       = "x*s"
	fOuterScalar = "SqNorm2(x)-s"
	// Radial kernels, which the planner may fuse (fuse.go); -p*p keeps the
	// exponents negative so that float32 does not overflow.
	rGauss   = "Exp(-p*p*SqDist(x,y))"
	rGaussW  = "Exp(-p*p*SqDist(x,y))*q"
	rLaplace = "Exp(-Sqrt(SqDist(x,y)))*y"
	rCauchy  = "Inv(1+p*p*SqDist(x,y))*q"
	rAffine  = "-p*p*SqDist(x,y)+q"
	// Radial folds (radialfold.go): row, column and parameter factors, and
	// the gradient forms K*(x-y), K*(y-x).
	rFold    = "-(s*Inv(1+p*p*SqDist(x,y)))*q"
	rGrad    = "Grad(Exp(-p*p*SqDist(x,y))*q, x, s)"
	rGradNeg = "(y-x)*Exp(-Sqrt(SqDist(x,y)))"
	// A high-dimensional squared distance (gemm.go).
	fGemm = "SqDist(u,v)"
)

// redCase is a reduction with its formulas.
type redCase struct {
	red  string
	k    int
	f, g string
	opt  string // a sum scheme, or acc=<dtype_acc>
}

func (c redCase) compile(axis int) (*core.Kernel, error) {
	spec := core.Spec{Formula: c.f, Formula2: c.g, Aliases: redAliases, Reduction: c.red, Axis: axis, OptArg: c.k}
	if acc, ok := strings.CutPrefix(c.opt, "acc="); ok {
		spec.DtypeAcc = acc
	} else {
		spec.SumScheme = c.opt
	}
	return core.Compile(spec)
}

// label names the formulas of c in test names: F=scalar/G=vector...
func (c redCase) label() string {
	names := map[string]string{fScalar: "scalar", fVector: "vector", gScalar: "scalar", gVector: "vector", "": "none",
		fOuter: "i-vector", fOuterScalar: "i-scalar", rGauss: "gauss", rGaussW: "gauss*q", rLaplace: "laplace*y",
		rCauchy: "cauchy*q", rAffine: "affine", fGemm: "gemm", rFold: "fold", rGrad: "grad", rGradNeg: "grad-neg"}
	l := "F=" + names[c.f] + ",G=" + names[c.g]
	if c.opt != "" {
		l += "," + c.opt
	}
	return l
}

var redCases = func() []redCase {
	var cs []redCase
	for _, red := range []string{"Sum", "Min", "Max", "ArgMin", "ArgMax", "Min_ArgMin", "Max_ArgMax", "KMin", "ArgKMin", "KMin_ArgKMin"} {
		k := 0
		if strings.Contains(red, "KMin") {
			k = 4
		}
		cs = append(cs, redCase{red, k, fScalar, "", ""}, redCase{red, k, fVector, "", ""})
	}
	return append(cs,
		redCase{"LogSumExp", 0, fScalar, "", ""}, redCase{"LogSumExp", 0, fScalar, gVector, ""},
		redCase{"LogSumExpWeight", 0, fScalar, gVector, ""},
		redCase{"Max_SumShiftExp", 0, fScalar, "", ""},
		redCase{"Max_SumShiftExpWeight", 0, fScalar, "", ""}, redCase{"Max_SumShiftExpWeight", 0, fScalar, gScalar, ""},
		redCase{"SumSoftMaxWeight", 0, fScalar, gScalar, ""}, redCase{"SumSoftMaxWeight", 0, fScalar, gVector, ""},
		redCase{"SoftMax", 0, fScalar, gVector, ""},
		// The sum schemes and accumulators.
		redCase{"Sum", 0, fVector, "", "direct_sum"}, redCase{"Sum", 0, fVector, "", "kahan_scheme"},
		redCase{"Sum", 0, fScalar, "", "acc=float64"},
		redCase{"LogSumExp", 0, fScalar, gVector, "direct_sum"}, redCase{"SumSoftMaxWeight", 0, fScalar, gVector, "acc=float64"},
		// F without the reduced variable: every term is the same.
		redCase{"Sum", 0, fOuter, "", ""}, redCase{"ArgMin", 0, fOuter, "", ""}, redCase{"KMin_ArgKMin", 4, fOuter, "", ""},
		redCase{"LogSumExp", 0, fOuterScalar, gVector, ""},
		// Radial kernels.
		redCase{"Sum", 0, rGaussW, "", ""}, redCase{"Sum", 0, rLaplace, "", ""}, redCase{"Sum", 0, rCauchy, "", ""},
		redCase{"Sum", 0, rGaussW, "", "kahan_scheme"}, redCase{"Max_ArgMax", 0, rGauss, "", ""},
		redCase{"Sum", 0, rFold, "", ""}, redCase{"Sum", 0, rGrad, "", ""}, redCase{"Sum", 0, rGradNeg, "", ""},
		redCase{"Sum", 0, rGrad, "", "acc=float64"},
		redCase{"ArgMin", 0, rAffine, "", ""}, redCase{"KMin_ArgKMin", 4, rAffine, "", ""},
		redCase{"LogSumExp", 0, rAffine, "", ""}, redCase{"LogSumExp", 0, rAffine, gVector, ""},
		// High-dimensional distances.
		redCase{"Sum", 0, fGemm, "", ""}, redCase{"Min_ArgMin", 0, fGemm, "", ""}, redCase{"ArgMax", 0, fGemm, "", ""},
		redCase{"KMin_ArgKMin", 4, fGemm, "", ""}, redCase{"LogSumExp", 0, fGemm, gScalar, ""},
	)
}()

// layout is the shape of a call, by output rows (outer) and reduced length
// (inner), whatever the axis.
type layout struct {
	name         string
	outer, inner int
	batch        []int
	ranges       [3][]int64 // ranges, slices, reduction intervals (nil: dense)
	ties, nan    bool       // quantized periodic data; a NaN in one reduced row
	inf          bool       // q = +inf in rows 0 and 2: F = -inf there
}

var layouts = []layout{
	{name: "dense", outer: 3, inner: 300},
	{name: "ties", outer: 3, inner: 300, ties: true},
	{name: "nan", outer: 3, inner: 300, nan: true},
	// axis=1: the first visited term is -inf; axis=0: rows of -inf only.
	{name: "-inf", outer: 3, inner: 300, inf: true},
	{name: "K>N", outer: 4, inner: 3},
	{name: "N=0", outer: 3, inner: 0},
	{name: "M=0", outer: 0, inner: 300},
	// Rows 3-4 have no interval, rows 8-9 no block; intervals are out of
	// order, overlap (terms visited twice) and cross the tile boundary.
	{name: "ranges", outer: 10, inner: 300, ties: true, ranges: [3][]int64{
		{0, 3, 3, 5, 5, 8}, {2, 2, 5}, {250, 300, 0, 100, 10, 50, 40, 60, 256, 257}}},
	{name: "batch", outer: 3, inner: 300, batch: []int{2, 3}},
	{name: "batch-ties", outer: 3, inner: 300, batch: []int{2, 3}, ties: true},
	{name: "batch-empty", outer: 3, inner: 300, batch: []int{2, 0}},
}

// broadcastPattern is the batch shape of argument a: the bits of a%4 say
// which of the first two batch dimensions it has (the others are 1), so
// that the arguments cycle through every broadcast pattern.
func broadcastPattern(a int, batch []int) []int {
	ab := make([]int, len(batch))
	for t, b := range batch {
		ab[t] = 1
		if t < 2 && (a%4)>>t&1 == 1 {
			ab[t] = b
		}
	}
	return ab
}

// TestEngineReductions runs every reduction on both axes, in both dtypes,
// on every layout, and compares with the reference of each output row.
func TestEngineReductions(t *testing.T) {
	for _, rc := range redCases {
		for _, axis := range []int{1, 0} {
			for _, f32 := range []bool{false, true} {
				for _, lay := range layouts {
					name := fmt.Sprintf("%s/%s/axis%d/%s/%s", rc.red, rc.label(), axis, dtypeName(f32), lay.name)
					t.Run(name, func(t *testing.T) { checkReduction(t, rc, axis, f32, lay) })
				}
			}
		}
	}
}

// seedOf makes a seed of a name (FNV-1a).
func seedOf(name string) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range []byte(name) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

func dtypeName(f32 bool) string {
	if f32 {
		return "float32"
	}
	return "float64"
}

func checkReduction(t *testing.T, rc redCase, axis int, f32 bool, lay layout) {
	k, err := rc.compile(axis)
	if err != nil {
		t.Fatal(err)
	}
	p := newProblem(k, axis, lay.outer, lay.inner)
	p.f32, p.batch = f32, lay.batch
	for a := range p.argBatch {
		p.argBatch[a] = broadcastPattern(a, lay.batch)
	}
	d := data{lo: -2, hi: 2}
	if lay.ties {
		d.quant, d.period = 0.25, 5
	}
	p.fill(rand.New(rand.NewPCG(uint64(axis), seedOf(lay.name))), d)
	if lay.nan {
		setNaN(p, 5)
	}
	if lay.inf {
		q := aliasIndex(redAliases, "q")
		p.args[q][0], p.args[q][2] = math.Inf(1), math.Inf(1)
	}
	visits := func(o int) []int { return span(0, lay.inner) }
	if rg := lay.ranges; rg[0] != nil {
		p.ranges = &core.Ranges{RangesI: rg[0], SlicesI: rg[1], RedRangesJ: rg[2]}
		if axis == 0 {
			p.ranges = &core.Ranges{RangesJ: rg[0], SlicesJ: rg[1], RedRangesI: rg[2]}
		}
		visits = func(o int) []int { return rangeVisits(rg, o) }
	}
	vals, idx, err := runAs(t, p)
	if err != nil {
		t.Fatal(err)
	}
	tol := 1e-10
	if f32 {
		tol = 1e-4
	}
	terms := cachedTerms(fmt.Sprint(rc.f, rc.g, axis, f32, lay.name), p, visits)
	checkRows(t, p, rc, vals, idx, terms, tol, !f32 || lay.ties)
}

// termCache holds the terms of the rows of runs that differ only by their
// reduction or workers, under a key naming the formulas and the data.
var termCache = map[string][][]term{}

func cachedTerms(key string, p *problem, visits func(o int) []int) [][]term {
	if termCache[key] == nil {
		termCache[key] = rowTerms(p, visits)
	}
	return termCache[key]
}

// rowTerms evaluates the terms of every output row (counting over the
// batches); visits gives the reduced indices each row visits, in order.
func rowTerms(p *problem, visits func(o int) []int) [][]term {
	k := p.k
	g := k.Formula2 // the weights as given (SumSoftMaxWeight adds the 1 itself)
	var rows [][]term
	for b := 0; b < p.nbatch(); b++ {
		for o := 0; o < p.outer; o++ {
			var terms []term
			for _, j := range visits(o) {
				args := p.pairArgs(b, o, j)
				tm := term{j: j, f: oracle.EvalArgs(k.Formula, args)}
				if g != nil {
					tm.g = oracle.EvalArgs(g, args)
				}
				terms = append(terms, tm)
			}
			rows = append(rows, terms)
		}
	}
	return rows
}

// checkRows compares the engine's output with the reference of the terms
// of each row (from rowTerms).
func checkRows(t *testing.T, p *problem, rc redCase, vals []float64, idx []int64, rows [][]term, tol float64, exactIdx bool) {
	t.Helper()
	for r, terms := range rows {
		want := reference(rc, formula.DimOf(p.k.Formula), p.k.UserDimG, terms)
		if msg := want.compare(rowOf(p.k, vals, idx, r), terms, tol, exactIdx); msg != "" {
			t.Fatalf("batch %d row %d: %s", r/p.outer, r%p.outer, msg)
		}
	}
}

// rowOf is output row r (counting over the batches) of a run.
func rowOf(k *core.Kernel, vals []float64, idx []int64, r int) result {
	return result{vals: vals[r*k.ValsDim : (r+1)*k.ValsDim], idx: idx[r*k.IdxDim : (r+1)*k.IdxDim]}
}

// setNaN puts a NaN in component 0 of reduced row r of the first variable
// indexed by the reduced index.
func setNaN(p *problem, r int) {
	for a, v := range p.k.Sig {
		if v.Cat == p.innerCat() {
			p.args[a][r*v.Dim] = math.NaN()
			return
		}
	}
}

func span(lo, hi int) []int {
	js := make([]int, 0, hi-lo)
	for j := lo; j < hi; j++ {
		js = append(js, j)
	}
	return js
}

// rangeVisits is the list of reduced indices that output row o visits, in
// order, following pykeops' CpuReduc_ranges: the last block holding the
// row wins; nil when no block holds it.
func rangeVisits(rg [3][]int64, o int) []int {
	var js []int
	for blk := 0; blk < len(rg[1]); blk++ {
		if int64(o) < rg[0][2*blk] || int64(o) >= rg[0][2*blk+1] {
			continue
		}
		js = js[:0]
		first := int64(0)
		if blk > 0 {
			first = rg[1][blk-1]
		}
		for s := first; s < rg[1][blk]; s++ {
			js = append(js, span(int(rg[2][2*s]), int(rg[2][2*s+1]))...)
		}
	}
	return js
}

// term is one visited term: the reduced index and the values of F and G.
type term struct {
	j    int
	f, g []float64
}

// result is the output of one row. For the reference, at[s] is the value of
// F the index s points to (±inf for an empty slot) and comp[s] its component.
type result struct {
	vals []float64
	idx  []int64
	at   []float64
	comp []int
}

// reference reduces the terms of one row by the oracle's plain reduction
// (oracle.Reduce: the semantics of docs/differences.md). F has dimension d,
// the weights dg (0: none).
func reference(rc redCase, d, dg int, terms []term) result {
	ts := make([]oracle.Term, len(terms))
	for t, tm := range terms {
		ts[t] = oracle.Term{J: tm.j, F: tm.f, G: tm.g}
	}
	r := oracle.Reduce(rc.red, rc.k, d, dg, ts)
	return result{vals: r.Vals, idx: r.Idx, at: r.At, comp: r.Comp}
}

// compare checks got against the reference r. With exact indices, they
// must be equal; otherwise (float32 on continuous data, where rounding may
// reorder near ties) F at the returned index must equal the reference
// extremum within tol.
func (r result) compare(got result, terms []term, tol float64, exactIdx bool) string {
	if len(got.vals) != len(r.vals) || len(got.idx) != len(r.idx) {
		return fmt.Sprintf("%d values and %d indices, want %d and %d", len(got.vals), len(got.idx), len(r.vals), len(r.idx))
	}
	for c, w := range r.vals {
		if !closeTo(got.vals[c], w, tol*(1+math.Abs(w))) {
			return fmt.Sprintf("value %d: got %v, want %v (all: got %v, want %v)", c, got.vals[c], w, got.vals, r.vals)
		}
	}
	for s, w := range r.idx {
		g := got.idx[s]
		if exactIdx || math.IsInf(r.at[s], 0) || math.IsNaN(r.at[s]) {
			if g != w {
				return fmt.Sprintf("index %d: got %d, want %d (all: got %v, want %v)", s, g, w, got.idx, r.idx)
			}
			continue
		}
		k := slices.IndexFunc(terms, func(tm term) bool { return int64(tm.j) == g })
		if k < 0 {
			return fmt.Sprintf("index %d: got %d, which the reduction does not visit", s, g)
		}
		if v := terms[k].f[r.comp[s]]; !closeTo(v, r.at[s], tol*(1+math.Abs(r.at[s]))) {
			return fmt.Sprintf("index %d: got %d where F = %v, want %d where F = %v", s, g, v, w, r.at[s])
		}
	}
	return ""
}

// ---- Sum schemes, split reductions, cancellation, checks, allocations ----

// TestSumSchemes sums 1e6 values of [0, 1) in float32: block_sum and
// kahan_scheme must be much closer to the exact sum than direct_sum, and
// dtype_acc=float64 as close as a float64 run rounded to float32.
func TestSumSchemes(t *testing.T) {
	const n = 1_000_000
	errOf := func(scheme, acc string) float64 {
		k, err := core.Compile(core.Spec{Formula: "b", Aliases: []string{"b=Vj(1)"}, Reduction: "Sum", Axis: 1, SumScheme: scheme, DtypeAcc: acc})
		if err != nil {
			t.Fatal(err)
		}
		p := newProblem(k, 1, 1, n)
		p.f32, p.workers = true, 1
		p.fill(rand.New(rand.NewPCG(3, 3)), data{lo: 0, hi: 1})
		got, _, err := run[float32](t, p)
		if err != nil {
			t.Fatal(err)
		}
		exact := 0.0
		for _, v := range p.args[0] {
			exact += v
		}
		return math.Abs(got[0]-exact) / exact
	}
	direct, block, kahan := errOf("direct_sum", "auto"), errOf("block_sum", "auto"), errOf("kahan_scheme", "auto")
	acc64 := errOf("direct_sum", "float64")
	t.Logf("relative errors in float32 over %d terms: direct_sum %.2e, block_sum %.2e, kahan_scheme %.2e, dtype_acc=float64 %.2e",
		n, direct, block, kahan, acc64)
	if !(block < direct/4 && kahan < direct/4) {
		t.Errorf("block_sum (%.2e) and kahan_scheme (%.2e) should be 4 times closer than direct_sum (%.2e)", block, kahan, direct)
	}
	if acc64 > 0x1p-24 { // the rounding of the result to float32
		t.Errorf("dtype_acc=float64: relative error %.2e, want at most 2^-24", acc64)
	}
	// block_sum keeps the running sum of the tile sums in float64: the
	// error is that of one tile's float32 sum and the final rounding.
	if block > 4*0x1p-24 {
		t.Errorf("block_sum: relative error %.2e, want at most 2^-22", block)
	}
}

// TestSplitReduction compares the j-split path (2 output rows, 5000
// reduced, several workers, partial accumulators merged) with the unsplit
// one (a single ranges block, which is never split) and with the
// reference, on data full of exact ties spread over the pieces; then with
// batch dimensions, split per batch, against the reference.
func TestSplitReduction(t *testing.T) {
	for _, rc := range []redCase{
		{"Sum", 0, fVector, "", ""}, {"Sum", 0, rGaussW, "", ""}, {"ArgMin", 0, fScalar, "", ""}, {"ArgMin", 0, fVector, "", ""},
		{"Max_ArgMax", 0, fVector, "", ""}, {"KMin_ArgKMin", 5, fVector, "", ""}, {"KMin", 3, rAffine, "", ""},
		{"LogSumExp", 0, fScalar, gVector, ""}, {"ArgMin", 0, fGemm, "", ""}, {"KMin_ArgKMin", 3, fGemm, "", ""},
	} {
		for _, axis := range []int{1, 0} {
			for _, f32 := range []bool{false, true} {
				for _, cfg := range []splitConfig{{2, nil, ""}, {5, nil, ""}, {2, []int{2}, ""}, {2, nil, "nan"}, {2, nil, "-inf"}} {
					name := fmt.Sprintf("%s/%s/axis%d/%s/workers=%d/batch=%v/%s", rc.red, rc.label(), axis, dtypeName(f32), cfg.workers, cfg.batch, cfg.poison)
					t.Run(name, func(t *testing.T) { checkSplit(t, rc, axis, f32, cfg) })
				}
			}
		}
	}
}

// splitConfig is a split run: its workers, batch shape, and special values
// in the data: "nan" (one NaN in the last piece) or "-inf" (F = -inf over
// the whole first piece for axis=1, everywhere for axis=0).
type splitConfig struct {
	workers int
	batch   []int
	poison  string
}

func checkSplit(t *testing.T, rc redCase, axis int, f32 bool, cfg splitConfig) {
	const outer, inner = 2, 5000
	workers, batch := cfg.workers, cfg.batch
	k, err := rc.compile(axis)
	if err != nil {
		t.Fatal(err)
	}
	p := newProblem(k, axis, outer, inner)
	p.f32, p.workers, p.batch = f32, workers, batch
	for a := range p.argBatch {
		p.argBatch[a] = broadcastPattern(a, batch)
	}
	p.fill(rand.New(rand.NewPCG(5, 5)), data{lo: -2, hi: 2, quant: 0.25, period: 1283})
	switch cfg.poison {
	case "nan":
		setNaN(p, 4000)
	case "-inf":
		q := p.args[aliasIndex(redAliases, "q")]
		for r := range q[:min(len(q), 1300)] {
			q[r] = math.Inf(1)
		}
	}
	split, splitIdx, err := runAs(t, p)
	if err != nil {
		t.Fatal(err)
	}
	tol := 1e-12
	if f32 {
		tol = 1e-5
	}
	key := fmt.Sprint("split", rc.f, rc.g, axis, f32, batch, cfg.poison)
	terms := cachedTerms(key, p, func(int) []int { return span(0, inner) })
	checkRows(t, p, rc, split, splitIdx, terms, 10*tol, true)
	if batch != nil {
		return
	}
	p.ranges = &core.Ranges{RangesI: []int64{0, outer}, SlicesI: []int64{1}, RedRangesJ: []int64{0, inner}}
	if axis == 0 {
		p.ranges = &core.Ranges{RangesJ: []int64{0, outer}, SlicesJ: []int64{1}, RedRangesI: []int64{0, inner}}
	}
	whole, wholeIdx, err := runAs(t, p)
	if err != nil {
		t.Fatal(err)
	}
	for o := 0; o < outer; o++ {
		if msg := rowOf(k, whole, wholeIdx, o).compare(rowOf(k, split, splitIdx, o), nil, tol, true); msg != "" {
			t.Errorf("row %d: split vs unsplit: %s", o, msg)
		}
	}
}

// TestRangesOverlap runs overlapping row blocks on several workers: the
// last block holding a row gives its result (api-numpy.md §1.4).
func TestRangesOverlap(t *testing.T) {
	for _, rc := range []redCase{{"Sum", 0, fVector, "", ""}, {"ArgMin", 0, fScalar, "", ""}, {"KMin", 3, fVector, "", ""}} {
		t.Run(rc.red, func(t *testing.T) {
			k, err := rc.compile(1)
			if err != nil {
				t.Fatal(err)
			}
			rg := [3][]int64{{0, 30, 20, 40, 25, 26}, {1, 2, 3}, {0, 1000, 500, 600, 7, 9}}
			p := newProblem(k, 1, 40, 1000)
			p.workers = 2
			p.ranges = &core.Ranges{RangesI: rg[0], SlicesI: rg[1], RedRangesJ: rg[2]}
			p.fill(rand.New(rand.NewPCG(6, 6)), data{lo: -2, hi: 2, quant: 0.25, period: 7})
			terms := rowTerms(p, func(o int) []int { return rangeVisits(rg, o) })
			for range 5 {
				vals, idx, err := runAs(t, p)
				if err != nil {
					t.Fatal(err)
				}
				checkRows(t, p, rc, vals, idx, terms, 1e-10, true)
			}
		})
	}
}

// TestCancel stops long runs from another goroutine: many rows, and two
// rows with the reduced index split between the workers.
func TestCancel(t *testing.T) {
	k, err := core.Compile(core.Spec{Formula: "Sin(Exp(x*y))*Cos(x-y)+Sin(y)*Cos(x*y)", Aliases: []string{"x=Vi(1)", "y=Vj(1)"}, Reduction: "Sum", Axis: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range [][2]int{{100_000, 100_000}, {2, 8_000_000}} {
		t.Run(fmt.Sprintf("M=%d/N=%d", size[0], size[1]), func(t *testing.T) {
			m, n := size[0], size[1]
			var cancel atomic.Bool
			c := &core.Call[float32]{Args: [][]float32{make([]float32, m), make([]float32, n)}, ArgBatch: make([][]int, 2),
				M: m, N: n, Vals: make([]float32, m), Cancel: &cancel}
			time.AfterFunc(10*time.Millisecond, func() { cancel.Store(true) })
			start := time.Now()
			err := core.Run(k, c)
			t.Logf("returned after %v (cancelled at 10ms)", time.Since(start))
			if !errors.Is(err, core.ErrCancelled) {
				t.Fatalf("got %v, want ErrCancelled", err)
			}
			if err := core.Run(k, c); !errors.Is(err, core.ErrCancelled) {
				t.Fatalf("with the flag already set: got %v, want ErrCancelled", err)
			}
		})
	}
}

// TestRunChecks gives Run calls with wrong lengths or ranges: each must
// fail with a bad value error, without panicking.
func TestRunChecks(t *testing.T) {
	const m, n = 4, 6
	k, err := core.Compile(core.Spec{Formula: fVector, Aliases: redAliases, Reduction: "Min_ArgMin", Axis: 1})
	if err != nil {
		t.Fatal(err)
	}
	k0, err := core.Compile(core.Spec{Formula: fVector, Aliases: redAliases, Reduction: "Min_ArgMin", Axis: 0})
	if err != nil {
		t.Fatal(err)
	}
	valid := func() *core.Call[float64] {
		return &core.Call[float64]{
			Args: [][]float64{make([]float64, 3*m), make([]float64, 3*n), make([]float64, 1), make([]float64, n), make([]float64, m),
				make([]float64, 20*m), make([]float64, 20*n)},
			ArgBatch: make([][]int, 7), M: m, N: n, Vals: make([]float64, 3*m), Idx: make([]int64, 3*m),
		}
	}
	ranges := func(r, s, red []int64) *core.Ranges { return &core.Ranges{RangesI: r, SlicesI: s, RedRangesJ: red} }
	for _, tc := range []struct {
		name   string
		axis   int
		break_ func(c *core.Call[float64])
	}{
		{"too few args", 1, func(c *core.Call[float64]) { c.Args = c.Args[:6] }},
		{"too many args", 1, func(c *core.Call[float64]) { c.Args = append(c.Args, nil) }},
		{"short Vi", 1, func(c *core.Call[float64]) { c.Args[0] = c.Args[0][:3*m-1] }},
		{"long Vj", 1, func(c *core.Call[float64]) { c.Args[1] = make([]float64, 3*n+1) }},
		{"empty Pm", 1, func(c *core.Call[float64]) { c.Args[2] = nil }},
		{"short values", 1, func(c *core.Call[float64]) { c.Vals = c.Vals[:3*m-1] }},
		{"long indices", 1, func(c *core.Call[float64]) { c.Idx = make([]int64, 3*m+1) }},
		{"values sized for axis 0", 0, func(c *core.Call[float64]) {}},
		{"negative M", 1, func(c *core.Call[float64]) { c.M = -1 }},
		{"missing ArgBatch", 1, func(c *core.Call[float64]) { c.ArgBatch = nil }},
		{"batch without arg batch", 1, func(c *core.Call[float64]) { c.Batch = []int{1} }},
		{"incompatible arg batch", 1, func(c *core.Call[float64]) {
			c.Batch = []int{2}
			c.ArgBatch = [][]int{{3}, {1}, {1}, {1}, {1}, {1}, {1}}
		}},
		{"negative batch", 1, func(c *core.Call[float64]) {
			c.Batch = []int{-1}
			c.ArgBatch = [][]int{{1}, {1}, {1}, {1}, {1}, {1}, {1}}
		}},
		{"ranges with batch", 1, func(c *core.Call[float64]) {
			c.Batch, c.ArgBatch = []int{1}, [][]int{{1}, {1}, {1}, {1}, {1}, {1}, {1}}
			c.Ranges = ranges([]int64{0, m}, []int64{1}, []int64{0, n})
		}},
		{"row block past M", 1, func(c *core.Call[float64]) { c.Ranges = ranges([]int64{0, m + 1}, []int64{1}, []int64{0, n}) }},
		{"negative row block", 1, func(c *core.Call[float64]) { c.Ranges = ranges([]int64{-1, 2}, []int64{1}, []int64{0, n}) }},
		{"reversed row block", 1, func(c *core.Call[float64]) { c.Ranges = ranges([]int64{3, 2}, []int64{1}, []int64{0, n}) }},
		{"interval past N", 1, func(c *core.Call[float64]) { c.Ranges = ranges([]int64{0, m}, []int64{1}, []int64{0, n + 1}) }},
		{"reversed interval", 1, func(c *core.Call[float64]) { c.Ranges = ranges([]int64{0, m}, []int64{1}, []int64{4, 2}) }},
		{"decreasing slices", 1, func(c *core.Call[float64]) {
			c.Ranges = ranges([]int64{0, 2, 2, m}, []int64{2, 1}, []int64{0, 1, 1, 2})
		}},
		{"slice past the intervals", 1, func(c *core.Call[float64]) { c.Ranges = ranges([]int64{0, m}, []int64{2}, []int64{0, n}) }},
		{"negative slice", 1, func(c *core.Call[float64]) { c.Ranges = ranges([]int64{0, m}, []int64{-1}, []int64{0, n}) }},
		{"slices shorter than blocks", 1, func(c *core.Call[float64]) { c.Ranges = ranges([]int64{0, 2, 2, m}, []int64{1}, []int64{0, n}) }},
		{"odd intervals", 1, func(c *core.Call[float64]) { c.Ranges = ranges([]int64{0, m}, []int64{0}, []int64{0}) }},
		{"axis 0 interval past M", 0, func(c *core.Call[float64]) {
			c.Vals, c.Idx = make([]float64, 3*n), make([]int64, 3*n)
			c.Ranges = &core.Ranges{RangesJ: []int64{0, n}, SlicesJ: []int64{1}, RedRangesI: []int64{0, m + 1}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kk := k
			if tc.axis == 0 {
				kk = k0
			}
			c := valid()
			tc.break_(c)
			err := func() (err error) {
				defer func() {
					if p := recover(); p != nil {
						err = fmt.Errorf("panic: %v", p)
					}
				}()
				return core.Run(kk, c)
			}()
			if !errors.Is(err, errkind.BadValue) {
				t.Fatalf("got %v, want a bad value error", err)
			}
		})
	}
	if err := core.Run(k, valid()); err != nil {
		t.Fatalf("the valid call fails: %v", err)
	}
}

// TestAllocs reports the allocations of a repeated small call.
func TestAllocs(t *testing.T) {
	// The hot path (tiles, rows, pairs) allocates nothing: a call's
	// allocations are its fixed setup, the same for 100 pairs and for 9
	// million (one worker, so that no goroutine is started).
	k, err := core.Compile(core.Spec{Formula: "Exp(-SqDist(x,y))*b", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "Sum", Axis: 1})
	if err != nil {
		t.Fatal(err)
	}
	allocsFor := func(m, n int) float64 {
		// y differs from x: the same points would take the symmetric run
		// (TestSymmetricAllocs).
		y := make([]float64, 3*n)
		for j := range y {
			y[j] = 1
		}
		c := &core.Call[float64]{Args: [][]float64{make([]float64, 3*m), y, make([]float64, n)},
			ArgBatch: make([][]int, 3), M: m, N: n, Vals: make([]float64, m), Workers: 1}
		return testing.AllocsPerRun(5, func() {
			if err := core.Run(k, c); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocsFor(10, 10), allocsFor(3000, 3000)
	t.Logf("%v allocations per Run at M=N=10, %v at M=N=3000 (Sum, float64)", small, large)
	if large != small && !raceEnabled {
		t.Errorf("allocations grow with the work: %v at M=N=10, %v at M=N=3000", small, large)
	}
}

// TestSymmetricAllocs: a symmetric run (the same points on both sides,
// symmetric.go) allocates its setup only, the same whatever its size.
func TestSymmetricAllocs(t *testing.T) {
	k, err := core.Compile(core.Spec{Formula: "Exp(-SqDist(x,y))*b", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "Sum", Axis: 1})
	if err != nil {
		t.Fatal(err)
	}
	allocsFor := func(n int) float64 {
		x := make([]float64, 3*n)
		c := &core.Call[float64]{Args: [][]float64{x, x, make([]float64, n)}, ArgBatch: make([][]int, 3), M: n, N: n, Vals: make([]float64, n), Workers: 1}
		return testing.AllocsPerRun(3, func() {
			if err := core.Run(k, c); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocsFor(1100), allocsFor(4000)
	if large != small && !raceEnabled {
		t.Errorf("allocations grow with the work: %v at N=1100, %v at N=4000", small, large)
	}
}
