package core_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeops/gokeops/internal/opcases"
	"github.com/gokeops/gokeops/internal/oracle"
	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/formula"
)

// This file checks every op of internal/opcases end to end against the
// float64 oracle, and holds the harness shared with engine_reduce_test.go:
// a problem (kernel, data, shapes), its run on the engine with guard bands
// around the outputs, and the oracle's value of a formula at one pair.

// levelVariants rewrite the categories of opcases.Aliases so that every op
// runs at each level of the engine: mixing i and j (per pair), only i (per
// row), only j (per tile) and only parameters (per call).
var levelVariants = []struct {
	name    string
	rewrite *strings.Replacer
}{
	{"ij", strings.NewReplacer()},
	{"i", strings.NewReplacer("Vj(", "Vi(")},
	{"j", strings.NewReplacer("Vi(", "Vj(")},
	{"pm", strings.NewReplacer("Vi(", "Pm(", "Vj(", "Pm(")},
}

// TestEngineOps sums every op case over the reduced index (M=3, N=300, so
// that the reduction crosses the tile boundary) in float64 and float32, and
// compares with the oracle evaluated on the formula as written.
func TestEngineOps(t *testing.T) {
	for _, v := range levelVariants {
		aliases := make([]string, len(opcases.Aliases))
		for k, a := range opcases.Aliases {
			aliases[k] = v.rewrite.Replace(a)
		}
		axes := []int{1}
		if v.name == "ij" {
			axes = []int{1, 0}
		}
		for _, axis := range axes {
			for _, f32 := range []bool{false, true} {
				for n, tc := range opcases.Cases {
					t.Run(fmt.Sprintf("%s/axis%d/%s/%s", v.name, axis, dtypeName(f32), tc.Src), func(t *testing.T) {
						checkOpSum(t, tc, aliases, axis, f32, uint64(n))
					})
				}
			}
		}
	}
}

func checkOpSum(t *testing.T, tc opcases.Case, aliases []string, axis int, f32 bool, seed uint64) {
	k, err := core.Compile(core.Spec{Formula: tc.Src, Aliases: aliases, Reduction: "Sum", Axis: axis})
	if err != nil {
		t.Fatal(err)
	}
	al := parseAliases(t, aliases)
	written, err := formula.Checked(tc.Src, al)
	if err != nil {
		t.Fatal(err)
	}
	ref := written
	if symbolic(written) {
		ref = k.Formula // Grad, Laplacian...: the oracle needs the lowered tree
	}
	outer, inner := 3, 300
	p := newProblem(k, axis, outer, inner)
	p.f32 = f32
	lo, hi := domain(written)
	fixed := map[int][]float64{}
	for name, v := range tc.Vals {
		fixed[aliasIndex(aliases, name)] = v
	}
	p.fill(rand.New(rand.NewPCG(seed, 1)), data{lo: lo, hi: hi, fixed: fixed})
	got, _, err := runAs(t, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != outer*tc.Dim {
		t.Fatalf("%d values, want %d", len(got), outer*tc.Dim)
	}
	// F is evaluated once per distinct (outer, inner) pair it depends on.
	dependsOn := func(c formula.Cat) bool {
		for _, v := range k.Sig {
			if v.Cat == c {
				return true
			}
		}
		return false
	}
	byOuter, byInner := dependsOn(p.outerCat()), dependsOn(p.innerCat())
	tol := 1e-9
	if f32 {
		tol = 1e-5
	}
	for o := 0; o < outer; o++ {
		want, scale := make([]float64, tc.Dim), make([]float64, tc.Dim)
		var f []float64
		for j := 0; j < inner; j++ {
			if j == 0 || byInner {
				f = oracle.EvalArgs(ref, p.pairArgs(0, o*b2i(byOuter), j))
			}
			for c, v := range f {
				want[c] += v
				scale[c] += math.Abs(v)
			}
		}
		for c := range want {
			if g := got[o*tc.Dim+c]; !closeTo(g, want[c], tol*(1+scale[c])) {
				t.Errorf("row %d component %d: got %v, want %v", o, c, g, want[c])
			}
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// closeTo compares within an absolute tolerance; NaN equals NaN and an
// infinite value must match exactly.
func closeTo(got, want, tol float64) bool {
	switch {
	case math.IsNaN(want) || math.IsNaN(got):
		return math.IsNaN(want) && math.IsNaN(got)
	case math.IsInf(want, 0) || math.IsInf(got, 0):
		return got == want
	}
	return math.Abs(got-want) <= tol
}

func parseAliases(t testing.TB, src []string) []formula.Alias {
	t.Helper()
	al := make([]formula.Alias, len(src))
	for k, s := range src {
		a, err := formula.ParseAlias(s, k)
		if err != nil {
			t.Fatal(err)
		}
		al[k] = a
	}
	return al
}

func aliasIndex(aliases []string, name string) int {
	for k, s := range aliases {
		if strings.HasPrefix(s, name+"=") {
			return k
		}
	}
	panic("no alias " + name)
}

// domain is the intersection of the TestDomains of the ops of e.
func domain(e formula.Expr) (lo, hi float64) {
	lo, hi = -2, 2
	formula.Inspect(e, func(n formula.Expr) bool {
		if c, ok := n.(*formula.Call); ok {
			if d := c.Op.Info().TestDomain; d != [2]float64{} {
				lo, hi = max(lo, d[0]), min(hi, d[1])
			}
		}
		return true
	})
	return lo, hi
}

func symbolic(e formula.Expr) bool {
	found := false
	formula.Inspect(e, func(n formula.Expr) bool {
		if c, ok := n.(*formula.Call); ok && c.Op.Symbolic() {
			found = true
		}
		return !found
	})
	return found
}

// ---- The harness ----

// real is the element type of a run.
type real interface{ ~float32 | ~float64 }

// problem is one call of a kernel. The data is kept in float64, already
// rounded to the dtype of the run, so that the oracle sees what the engine
// sees.
type problem struct {
	k            *core.Kernel
	axis         int
	outer, inner int // rows of the output, length of the reduction
	args         [][]float64
	argBatch     [][]int
	batch        []int
	ranges       *core.Ranges
	workers      int
	f32          bool
}

// newProblem makes a problem without batch dimensions; the sizes are those
// of the output index (outer) and of the reduced index (inner).
func newProblem(k *core.Kernel, axis, outer, inner int) *problem {
	return &problem{k: k, axis: axis, outer: outer, inner: inner, argBatch: make([][]int, len(k.Sig))}
}

func (p *problem) outerCat() formula.Cat { return formula.Cat(1 - p.axis) }
func (p *problem) innerCat() formula.Cat { return formula.Cat(p.axis) }

// mn are the sizes M (of i) and N (of j).
func (p *problem) mn() (m, n int) {
	if p.axis == 1 {
		return p.outer, p.inner
	}
	return p.inner, p.outer
}

func (p *problem) nbatch() int {
	n := 1
	for _, b := range p.batch {
		n *= b
	}
	return n
}

// rows is the number of rows of argument a (in one batch).
func (p *problem) rows(a int) int {
	m, n := p.mn()
	switch p.k.Sig[a].Cat {
	case formula.CatI:
		return m
	case formula.CatJ:
		return n
	}
	return 1
}

// data says how to draw the arguments: uniform in [lo, hi), rounded to
// multiples of quant when quant > 0, rows repeating with the given period
// when period > 0 (exact ties), fixed rows for some arguments.
type data struct {
	lo, hi float64
	quant  float64
	period int
	fixed  map[int][]float64
}

func (p *problem) fill(rng *rand.Rand, d data) {
	p.args = make([][]float64, len(p.k.Sig))
	for a, v := range p.k.Sig {
		nb := 1
		for _, b := range p.argBatch[a] {
			nb *= b
		}
		rows := p.rows(a)
		x := make([]float64, nb*rows*v.Dim)
		for r := 0; r < nb*rows; r++ {
			row := x[r*v.Dim : (r+1)*v.Dim]
			switch {
			case d.fixed[a] != nil:
				copy(row, d.fixed[a])
			case d.period > 0 && r%rows >= d.period:
				copy(row, x[(r-d.period)*v.Dim:])
			default:
				for c := range row {
					row[c] = d.lo + (d.hi-d.lo)*rng.Float64()
					if d.quant > 0 {
						row[c] = math.Floor(row[c]/d.quant) * d.quant
					}
				}
			}
			if p.f32 {
				for c := range row {
					row[c] = float64(float32(row[c]))
				}
			}
		}
		p.args[a] = x
	}
}

// pairArgs are the rows each argument reads for batch b (flat index in the
// output batch shape), output row o and reduced index j.
func (p *problem) pairArgs(b, o, j int) [][]float64 {
	i := o
	if p.axis == 0 {
		i, j = j, o
	}
	out := make([][]float64, len(p.args))
	for a, v := range p.k.Sig {
		// Flat index of b in the argument's batch shape, broadcasting size 1.
		ab, rem, stride := 0, b, 1
		for t := len(p.batch) - 1; t >= 0; t-- {
			if p.argBatch[a][t] > 1 {
				ab += (rem % p.batch[t]) * stride
			}
			rem /= p.batch[t]
			stride *= p.argBatch[a][t]
		}
		row := 0
		switch v.Cat {
		case formula.CatI:
			row = i
		case formula.CatJ:
			row = j
		}
		off := (ab*p.rows(a) + row) * v.Dim
		out[a] = p.args[a][off : off+v.Dim]
	}
	return out
}

// guard is the length of the bands written around the outputs, which the
// engine must leave untouched.
const guard = 8

// run runs p on the engine in dtype T and returns the values (in float64)
// and the indices.
func run[T real](t testing.TB, p *problem) ([]float64, []int64, error) {
	t.Helper()
	m, n := p.mn()
	c := &core.Call[T]{ArgBatch: p.argBatch, Batch: p.batch, M: m, N: n, Ranges: p.ranges, Workers: p.workers}
	for _, a := range p.args {
		c.Args = append(c.Args, convert[T](a))
	}
	rows := p.nbatch() * p.outer
	vbuf := make([]T, rows*p.k.ValsDim+2*guard)
	ibuf := make([]int64, rows*p.k.IdxDim+2*guard)
	for k := range vbuf {
		vbuf[k] = T(math.NaN())
	}
	for k := range ibuf {
		ibuf[k] = -7
	}
	c.Vals, c.Idx = vbuf[guard:len(vbuf)-guard], ibuf[guard:len(ibuf)-guard]
	err := core.Run(p.k, c)
	for k := 0; k < guard; k++ {
		for _, at := range []int{k, len(vbuf) - 1 - k} {
			if !math.IsNaN(float64(vbuf[at])) {
				t.Errorf("guard band of the values overwritten at %d: %v", at, vbuf[at])
			}
		}
		for _, at := range []int{k, len(ibuf) - 1 - k} {
			if ibuf[at] != -7 {
				t.Errorf("guard band of the indices overwritten at %d: %v", at, ibuf[at])
			}
		}
	}
	return convert[float64](c.Vals), c.Idx, err
}

// runAs runs p in float32 or float64 according to p.f32.
func runAs(t testing.TB, p *problem) ([]float64, []int64, error) {
	t.Helper()
	if p.f32 {
		return run[float32](t, p)
	}
	return run[float64](t, p)
}

func convert[T, S real](x []S) []T {
	out := make([]T, len(x))
	for k, v := range x {
		out[k] = T(v)
	}
	return out
}
