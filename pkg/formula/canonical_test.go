package formula_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeops/gokeops/internal/oracle"
	"github.com/gokeops/gokeops/pkg/formula"
)

// canonicalCases are lowered formulas of three variables (x = Vi(3),
// y = Vj(3), s = Vi(1)) and their canonical forms.
var canonicalCases = []struct{ src, want string }{
	{"Sum(Square(x-y))", "SqNorm2(Subtract({x},{y}))"},
	{"(x-y)|(x-y)", "SqNorm2(Subtract({x},{y}))"},
	{"Exp(-Sum((x-y)*(x-y)))", "Exp(Minus(SqNorm2(Subtract({x},{y}))))"},
	{"Sum(Square(s))", "Square({s})"},
	{"SqNorm2(s-Elem(y,0))", "Square(Subtract({s},Elem({y},0)))"},
	{"s|s", "Square({s})"},
	{"SumT(s,3)*x", "Mult({s},{x})"},
	{"x-SumT(s,3)", "Subtract({x},{s})"},
	{"Grad(Exp(-Sum(Square(x-y))), x, s)",
		"Mult(Mult(2,Subtract({x},{y})),Minus(Mult({s},Exp(Minus(SqNorm2(Subtract({x},{y})))))))"},
	// Left alone: the values could differ.
	{"Sum(Pow(x-y,2))", "Sum(Pow(Subtract({x},{y}),2))"},
	{"(x-y)|(y-x)", "Scalprod(Subtract({x},{y}),Subtract({y},{x}))"},
	{"Exp(-SqDist(x,y)/s)", "Exp(Divide(Minus(SqDist({x},{y})),{s}))"},
	{"SumT(s,3)", "SumT({s},3)"},
	{"SumT(s,3)+SumT(Exp(s),3)", "Add(SumT({s},3),SumT(Exp({s}),3))"},
	{"Sum(Square(x))*Square(y)", "Mult(SqNorm2({x}),Square({y}))"},
}

func canonicalVars() []formula.Alias {
	return []formula.Alias{
		{Name: "x", Var: formula.Var{Ind: 0, Dim: 3, Cat: formula.CatI}},
		{Name: "y", Var: formula.Var{Ind: 1, Dim: 3, Cat: formula.CatJ}},
		{Name: "s", Var: formula.Var{Ind: 2, Dim: 1, Cat: formula.CatI}},
	}
}

// TestCanonical checks the canonical form of each case, that it is a
// checked tree of the same dimension, that the input is left as it was,
// and that the oracle gives the same values, bit for bit, for both trees,
// on random inputs and on NaN, infinite and signed-zero ones.
func TestCanonical(t *testing.T) {
	al := canonicalVars()
	names := map[string]string{"{x}": "Var(0,3,0)", "{y}": "Var(1,3,1)", "{s}": "Var(2,1,0)"}
	rng := rand.New(rand.NewPCG(1, 2))
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 1e-160, 1e160}
	for _, c := range canonicalCases {
		e, err := formula.Compile(c.src, al)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		before := formula.Print(e)
		got := formula.Canonical(e)
		want := c.want
		for k, v := range names {
			want = strings.ReplaceAll(want, k, v)
		}
		if p := formula.Print(got); p != want {
			t.Errorf("%s: canonical %s, want %s", c.src, p, want)
		}
		if formula.Print(e) != before {
			t.Errorf("%s: the input changed to %s", c.src, formula.Print(e))
		}
		if err := formula.Check(got, c.src); err != nil || formula.DimOf(got) != formula.DimOf(e) {
			t.Errorf("%s: canonical form %s: dimension %d (want %d), %v", c.src, formula.Print(got), formula.DimOf(got), formula.DimOf(e), err)
		}
		for trial := 0; trial < 200; trial++ {
			args := [][]float64{make([]float64, 3), make([]float64, 3), make([]float64, 1)}
			for _, a := range args {
				for k := range a {
					a[k] = rng.NormFloat64() * math.Pow(2, float64(rng.IntN(40)-20))
					if trial%4 == 0 && rng.IntN(3) == 0 {
						a[k] = specials[rng.IntN(len(specials))]
					}
				}
			}
			w, g := oracle.EvalArgs(e, args), oracle.EvalArgs(got, args)
			for k := range w {
				if math.Float64bits(w[k]) != math.Float64bits(g[k]) && !(math.IsNaN(w[k]) && math.IsNaN(g[k])) {
					t.Fatalf("%s at %v: component %d: canonical %v, original %v", c.src, args, k, g[k], w[k])
				}
			}
		}
	}
}

// TestCanonicalSharing checks that a subtree shared by the lowered tree is
// rewritten once and stays shared: second derivatives share heavily, and
// copying every path would take exponential time.
func TestCanonicalSharing(t *testing.T) {
	sq, err := formula.Compile("Sum(Square(x-y))", canonicalVars())
	if err != nil {
		t.Fatal(err)
	}
	e := sq
	for range 40 { // 2^40 paths
		c := formula.NewCall(formula.OpAdd, []formula.Expr{e, e})
		c.Dim = 1
		e = c
	}
	got := formula.Canonical(e)
	for range 40 {
		c := got.(*formula.Call)
		if c.Args[0] != c.Args[1] {
			t.Fatal("a shared subtree was copied")
		}
		got = c.Args[0]
	}
	if formula.Print(got) != "SqNorm2(Subtract(Var(0,3,0),Var(1,3,1)))" {
		t.Errorf("leaf %s", formula.Print(got))
	}
}
