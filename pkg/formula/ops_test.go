package formula_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gokeops/gokeops/internal/opcases"
	"github.com/gokeops/gokeops/internal/oracle"
	"github.com/gokeops/gokeops/pkg/formula"
)

// The shared table of cases (internal/opcases), with lower-case fields.
var aliasSrc = opcases.Aliases

// opCase is a formula and its dimension, written by hand from the spec.
type opCase struct {
	src string
	dim int
	// vals fixes the values of some aliases (B-spline knots must be sorted).
	vals map[string][]float64
	// noGrad lists the aliases whose gradient must be refused ("*": all).
	noGrad []string
	// h and tol override the finite-difference step and tolerance.
	h, tol float64
}

var knots = opcases.Knots

var opCases = func() []opCase {
	cs := make([]opCase, len(opcases.Cases))
	for k, c := range opcases.Cases {
		cs[k] = opCase{src: c.Src, dim: c.Dim, vals: c.Vals, noGrad: c.NoGrad, h: c.H, tol: c.Tol}
	}
	return cs
}()

// reductionOnly are the ops that cannot appear in a formula at all.
var reductionOnly = []string{"Grad_WithSavedForward(x,x,y,y)", "Diff_WithSavedForward(x,x,y,y)"}

func testAliases(t testing.TB, extra ...string) []formula.Alias {
	t.Helper()
	var al []formula.Alias
	for k, s := range append(slices.Clip(aliasSrc), extra...) {
		a, err := formula.ParseAlias(s, k)
		if err != nil {
			t.Fatal(err)
		}
		al = append(al, a)
	}
	return al
}

// aliasIndex returns the argument index of an alias name.
func aliasIndex(name string) int {
	for k, s := range aliasSrc {
		if strings.HasPrefix(s, name+"=") {
			return k
		}
	}
	return -1
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

// point draws the values of every argument of sig in [lo, hi], except
// those fixed by vals.
func point(rnd *rand.Rand, sig formula.Signature, lo, hi float64, vals map[string][]float64) [][]float64 {
	args := make([][]float64, len(sig))
	for k, v := range sig {
		args[k] = make([]float64, v.Dim)
		for l := range args[k] {
			args[k][l] = lo + (hi-lo)*rnd.Float64()
		}
	}
	for name, v := range vals {
		args[aliasIndex(name)] = v
	}
	return args
}

func near(a, b, tol float64) bool {
	return a == b || math.Abs(a-b) <= tol*(1+math.Abs(b))
}

func nearAll(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !near(a[k], b[k], tol) && !(math.IsNaN(a[k]) && math.IsNaN(b[k])) {
			return false
		}
	}
	return true
}

// TestOpCoverage checks that every op of the table has a case.
func TestOpCoverage(t *testing.T) {
	seen := map[formula.Op]bool{}
	for _, tc := range opCases {
		e, err := formula.Parse(tc.src)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		formula.Inspect(e, func(n formula.Expr) bool {
			if c, ok := n.(*formula.Call); ok {
				seen[c.Op] = true
			}
			return true
		})
	}
	for _, src := range reductionOnly {
		e, _ := formula.Parse(src)
		seen[e.(*formula.Call).Op] = true
	}
	for o := formula.Op(1); int(o) < formula.NumOps; o++ {
		if !seen[o] {
			t.Errorf("op %s has no test case", o)
		}
	}
}

// TestOpDims checks the dimension of every case, as written and lowered.
func TestOpDims(t *testing.T) {
	al := testAliases(t)
	for _, tc := range opCases {
		t.Run(tc.src, func(t *testing.T) {
			e, err := formula.Checked(tc.src, al)
			if err != nil {
				t.Fatal(err)
			}
			if d := formula.DimOf(e); d != tc.dim {
				t.Errorf("dim %d, want %d", d, tc.dim)
			}
			low, err := formula.Compile(tc.src, al)
			if err != nil {
				t.Fatal(err)
			}
			if d := formula.DimOf(low); d != tc.dim {
				t.Errorf("lowered: dim %d, want %d", d, tc.dim)
			}
		})
	}
	for _, src := range reductionOnly {
		if _, err := formula.Compile(src, al); err == nil || !strings.Contains(err.Error(), "reduction") {
			t.Errorf("%s: got %v, want an error about reductions", src, err)
		}
	}
}

// checkLowered checks the contract of Compile with the engine.
func checkLowered(t *testing.T, e formula.Expr) {
	t.Helper()
	formula.Inspect(e, func(n formula.Expr) bool {
		switch n := n.(type) {
		case *formula.Var:
			if n.Ind < 0 {
				t.Errorf("internal placeholder %s left in %s", n, e)
			}
		case *formula.Call:
			row := n.Op.Info()
			if row.Prim == formula.PrimNone {
				t.Errorf("%s is not a primitive, in %s", n.Op, e)
			}
			if n.Dim < 1 {
				t.Errorf("%s has no Dim", n)
			}
			ds := make([]int, len(n.Args))
			for k, a := range n.Args {
				ds[k] = formula.DimOf(a)
			}
			switch n.Op {
			case formula.OpTensorDot:
				if len(n.Lists) != 5 {
					t.Errorf("TensorDot without an explicit permute: %s", n)
				}
			case formula.OpScalprod, formula.OpSqDist:
				if ds[0] != ds[1] {
					t.Errorf("%s with dims %v", n.Op, ds)
				}
			case formula.OpComplexRealScal:
				if ds[0] != 1 {
					t.Errorf("ComplexRealScal with dims %v: the scalar must come first", ds)
				}
			}
		}
		return true
	})
}

// TestLowered checks the contract of lowered trees and that lowering keeps
// the value: the oracle on the formula as written (each op from its
// definition) equals the oracle on the lowered one (the expansions).
func TestLowered(t *testing.T) {
	al := testAliases(t)
	rnd := rand.New(rand.NewPCG(7, 7))
	for _, tc := range opCases {
		t.Run(tc.src, func(t *testing.T) {
			written, err := formula.Checked(tc.src, al)
			if err != nil {
				t.Fatal(err)
			}
			low, err := formula.Compile(tc.src, al)
			if err != nil {
				t.Fatal(err)
			}
			checkLowered(t, low)
			back, err := formula.Parse(formula.Print(low))
			if err != nil || !formula.Equal(back, low) {
				t.Errorf("Parse(Print(lowered)) = %v, %v; lowered %s", back, err, formula.Print(low))
			}
			if symbolic(written) {
				return // no direct value: see diff_test.go
			}
			sig, err := formula.MakeSignature(al, written)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := domain(written)
			for range 5 {
				args := point(rnd, sig, lo, hi, tc.vals)
				want := oracle.EvalArgs(written, args)
				if got := oracle.EvalArgs(low, args); !nearAll(got, want, 1e-12) {
					t.Fatalf("at %v: lowered %v, written %v\nlowered: %s", args, got, want, low)
				}
			}
		})
	}
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
