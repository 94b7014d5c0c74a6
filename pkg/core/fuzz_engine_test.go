package core_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gokeops/gokeops/internal/oracle"
	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/formula"
)

// FuzzEngine draws a random well-typed formula, reduction, dtype, axis,
// sizes, worker count and data (special values included) from its inputs,
// runs the engine, and compares every output row with the oracle's
// reduction (oracle.Reduce) of the oracle's values of the formula.
func FuzzEngine(f *testing.F) {
	for s := uint64(0); s < 24; s++ {
		f.Add(s, uint8(s))
	}
	f.Fuzz(func(t *testing.T, seed uint64, choice uint8) {
		checkRandomReduction(t, seed, choice)
	})
}

// TestEngineRandomReductions runs the fuzz target's checks on a fixed set
// of draws, every reduction and both dtypes among them.
func TestEngineRandomReductions(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 60
	}
	for s := 0; s < n; s++ {
		checkRandomReduction(t, uint64(s)*7919, uint8(s))
	}
}

var fuzzReductions = []string{"Sum", "Min", "Max", "ArgMin", "ArgMax", "Min_ArgMin", "Max_ArgMax",
	"KMin", "ArgKMin", "KMin_ArgKMin", "LogSumExp", "LogSumExpWeight", "Max_SumShiftExp",
	"Max_SumShiftExpWeight", "SumSoftMaxWeight"}

var fuzzAliases = []string{"x=Vi(3)", "y=Vj(3)", "a=Vi(1)", "b=Vj(1)", "p=Pm(1)", "q=Pm(3)"}

// formulaGen draws formulas of a given dimension over fuzzAliases.
// Continuous ones only (no Step, Sign, IfElse...) for float32, whose
// rounding would otherwise flip them.
type formulaGen struct {
	rng        *rand.Rand
	continuous bool
}

func (g *formulaGen) pick(xs ...string) string { return xs[g.rng.IntN(len(xs))] }

func (g *formulaGen) leaf(dim int) string {
	switch dim {
	case 1:
		if g.rng.IntN(4) == 0 { // the radial kernels the planner fuses (bounded: float32 stays continuous)
			return g.pick("Exp(-SqDist(x,y))", "Exp(-Abs(p)*SqDist(x,y))", "Inv(1+SqDist(y,x))", "Exp(-Sqrt(SqDist(x,y)))", "(-Abs(p)*SqDist(x,y)+b)")
		}
		return g.pick("a", "b", "p", fmt.Sprintf("Elem(x,%d)", g.rng.IntN(3)), fmt.Sprintf("Elem(y,%d)", g.rng.IntN(3)), "2")
	case 2:
		return g.pick(fmt.Sprintf("Extract(x,%d,2)", g.rng.IntN(2)), "Concat(a,b)", fmt.Sprintf("Extract(y-q,%d,2)", g.rng.IntN(2)))
	}
	return g.pick("x", "y", "q", "x-y")
}

func (g *formulaGen) expr(dim, depth int) string {
	if depth == 0 || g.rng.IntN(4) == 0 {
		return g.leaf(dim)
	}
	e := func() string { return g.expr(dim, depth-1) }
	e1 := func() string { return g.expr(1, depth-1) }
	switch r := g.rng.IntN(12); {
	case r < 3:
		return "(" + e() + g.pick("+", "-", "*") + e() + ")"
	case r == 3:
		return "(" + e() + "*" + e1() + ")"
	case r < 7:
		u := g.pick("Sin", "Cos", "Abs", "Square", "Minus", "Atan", "Erf")
		if !g.continuous {
			u = g.pick(u, "Step", "Sign", "ReLU", "Floor")
		}
		return u + "(" + e() + ")"
	case r == 7:
		return g.pick("Exp(-Abs(", "Sqrt(Abs(", "Log(1+Abs(") + e() + "))"
	case r == 8 && !g.continuous:
		return "IfElse(" + e() + "," + e() + "," + e() + ")"
	case r == 9 && dim == 1:
		x3 := g.expr(3, depth-1)
		switch g.rng.IntN(4) {
		case 0:
			return "Sum(" + x3 + ")"
		case 1:
			return "SqNorm2(" + x3 + ")"
		case 2:
			return "SqDist(" + x3 + "," + g.expr(3, depth-1) + ")"
		}
		return "(" + x3 + "|" + g.expr(3, depth-1) + ")"
	case r == 10 && dim == 1 && !g.continuous:
		return g.pick("Max(", "Min(") + g.expr(3, depth-1) + ")"
	case r == 11 && dim > 1:
		return "Concat(" + g.expr(1, depth-1) + "," + g.expr(dim-1, depth-1) + ")"
	}
	return g.leaf(dim)
}

// fuzzCase is one draw.
type fuzzCase struct {
	red, f, g string
	k, axis   int
	f32       bool
}

func drawCase(rng *rand.Rand, choice uint8) fuzzCase {
	c := fuzzCase{red: fuzzReductions[int(choice>>1)%len(fuzzReductions)], f32: choice&1 == 1, axis: rng.IntN(2)}
	gen := &formulaGen{rng: rng, continuous: c.f32}
	lse := strings.Contains(c.red, "Exp") || strings.Contains(c.red, "SoftMax")
	dim := 1 + rng.IntN(3)
	if lse {
		dim = 1
	}
	c.f = gen.expr(dim, 1+rng.IntN(4))
	if strings.Contains(c.red, "KMin") {
		c.k = 1 + rng.IntN(5)
	}
	switch {
	case c.red == "LogSumExpWeight" || c.red == "SumSoftMaxWeight" || c.red == "Max_SumShiftExpWeight":
		c.g = gen.expr(1+rng.IntN(2), 1+rng.IntN(3))
	case c.red == "LogSumExp" && rng.IntN(3) == 0:
		c.g = gen.expr(1+rng.IntN(2), 1+rng.IntN(3))
	}
	return c
}

func checkRandomReduction(t *testing.T, seed uint64, choice uint8) {
	rng := rand.New(rand.NewPCG(seed, uint64(choice)))
	c := drawCase(rng, choice)
	name := fmt.Sprintf("%s(F=%s, G=%s, K=%d) axis=%d %s", c.red, c.f, c.g, c.k, c.axis, dtypeName(c.f32))
	k, err := core.Compile(core.Spec{Formula: c.f, Formula2: c.g, Aliases: fuzzAliases, Reduction: c.red,
		Axis: c.axis, OptArg: c.k})
	if err != nil {
		t.Fatalf("%s: a well-typed formula is rejected: %v", name, err)
	}
	outer, inner := rng.IntN(12), rng.IntN(40)
	switch rng.IntN(6) {
	case 0:
		outer, inner = 1+rng.IntN(3), 1024+rng.IntN(800) // split over the reduced index, merged
	case 1:
		outer, inner = 1+rng.IntN(300), 1+rng.IntN(300)
	}
	p := newProblem(k, c.axis, outer, inner)
	p.f32, p.workers = c.f32, 1+rng.IntN(4)
	p.fill(rng, data{lo: -2, hi: 2})
	if testing.Verbose() {
		t.Log(name)
	}
	if rng.IntN(3) == 0 { // special values
		specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0}
		for a := range p.args {
			for e := range p.args[a] {
				if rng.IntN(8) == 0 {
					p.args[a][e] = specials[rng.IntN(len(specials))]
				}
			}
		}
	}
	visits := func(int) []int { return span(0, inner) }
	if rng.IntN(4) == 0 && outer > 0 && inner > 0 {
		// Block-sparse ranges: up to three row blocks, each with up to
		// eight spans, short or long, in any order, possibly overlapping.
		var rg [3][]int64
		for r0 := 0; r0 < outer && len(rg[1]) < 3; {
			r1 := min(outer, r0+1+rng.IntN(outer))
			rg[0] = append(rg[0], int64(r0), int64(r1))
			for range 1 + rng.IntN(8) {
				lo := rng.IntN(inner)
				rg[2] = append(rg[2], int64(lo), int64(min(inner, lo+1+rng.IntN(1+rng.IntN(inner)))))
			}
			rg[1] = append(rg[1], int64(len(rg[2])/2))
			r0 = r1
		}
		p.ranges = &core.Ranges{RangesI: rg[0], SlicesI: rg[1], RedRangesJ: rg[2]}
		if c.axis == 0 {
			p.ranges = &core.Ranges{RangesJ: rg[0], SlicesJ: rg[1], RedRangesI: rg[2]}
		}
		visits = func(o int) []int { return rangeVisits(rg, o) }
		name += " ranges"
	}
	vals, idx, err := runAs(t, p)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	terms := rowTerms(p, visits)
	tol := 1e-9
	if c.f32 {
		tol = 2e-3
	}
	d, dg := formula.DimOf(k.Formula), k.UserDimG
	for r, row := range terms {
		ts := make([]oracle.Term, len(row))
		for i, tm := range row {
			ts[i] = oracle.Term{J: tm.j, F: tm.f, G: tm.g}
		}
		want := oracle.Reduce(c.red, c.k, d, dg, ts)
		got := rowOf(k, vals, idx, r)
		sums := c.red == "Sum" || strings.HasPrefix(c.red, "Max_Sum") || c.red == "LogSumExpWeight"
		if msg := compareFuzz(want, got, ts, tol, sums); msg != "" {
			t.Fatalf("%s, M/N %d x %d, %d workers, row %d: %s", name, outer, inner, p.workers, r, msg)
		}
	}
}

// compareFuzz checks a row against the oracle. Values are compared
// relative to the size of the terms (float32 rounds every step); an index
// may differ from the oracle's where F is the same within that tolerance
// (near ties), but an absent index must be absent.
func compareFuzz(want oracle.Reduced, got result, terms []oracle.Term, tol float64, sums bool) string {
	scale := 1.0
	for _, tm := range terms {
		for _, v := range append(tm.F, tm.G...) {
			if !math.IsInf(v, 0) && !math.IsNaN(v) {
				scale = max(scale, math.Abs(v))
			}
		}
	}
	if sums {
		scale *= float64(max(1, len(terms))) // rounding errors grow with the number of terms
	}
	if len(got.vals) != len(want.Vals) || len(got.idx) != len(want.Idx) {
		return fmt.Sprintf("%d values and %d indices, want %d and %d", len(got.vals), len(got.idx), len(want.Vals), len(want.Idx))
	}
	for c, w := range want.Vals {
		if g := got.vals[c]; !closeTo(g, w, tol*scale) {
			return fmt.Sprintf("value %d: got %v, want %v (all: got %v, want %v)", c, g, w, got.vals, want.Vals)
		}
	}
	for s, w := range want.Idx {
		g := got.idx[s]
		if g == w {
			continue
		}
		// The term of index g (under ranges the terms are the visited ones).
		tg := slices.IndexFunc(terms, func(tm oracle.Term) bool { return int64(tm.J) == g })
		if w < 0 || g < 0 || tg < 0 {
			return fmt.Sprintf("index %d: got %d, want %d (all: got %v, want %v)", s, g, w, got.idx, want.Idx)
		}
		v, at := terms[tg].F[want.Comp[s]], want.At[s]
		if math.IsNaN(v) || !closeTo(v, at, tol*scale) {
			return fmt.Sprintf("index %d: got %d where F = %v, want %d where F = %v", s, g, v, w, at)
		}
	}
	return ""
}
