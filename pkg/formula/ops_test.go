package formula_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gokeops/gokeops/internal/oracle"
	"github.com/gokeops/gokeops/pkg/formula"
)

// The aliases of every case below; argument k is the alias k.
var aliasSrc = []string{
	"x=Vi(3)", "y=Vj(3)", "p=Pm(1)", "q=Vj(1)", "s=Vi(1)", "b=Vj(2)",
	"A=Pm(9)",  // a 3×3 matrix
	"M=Vi(6)",  // a 2×3 matrix
	"z=Vi(4)",  // two complex numbers
	"w=Vj(4)",  // two complex numbers
	"c=Pm(2)",  // a complex scalar
	"K=Pm(6)",  // B-spline knots
	"X=Vi(5)",  // soft-DTW sequences
	"Y=Vj(4)",  //
	"T=Vi(12)", // a 2×2×3 tensor
	"r=Vj(6)",  // a 3×2 tensor
}

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

var knots = map[string][]float64{"K": {-2, -1, 0, 0.5, 1.5, 2}}

var opCases = []opCase{
	{src: "x+y", dim: 3}, {src: "x+p", dim: 3}, {src: "Add(p,x)", dim: 3},
	{src: "x-y", dim: 3}, {src: "s-y", dim: 3},
	{src: "x*y", dim: 3}, {src: "x*s", dim: 3}, {src: "Mult(q,x)", dim: 3},
	{src: "x/y", dim: 3}, {src: "p/x", dim: 3}, {src: "x/q", dim: 3},
	{src: "-x", dim: 3}, {src: "Minus(x*y)", dim: 3},
	{src: "Inv(x)", dim: 3}, {src: "1/x", dim: 3},
	{src: "Exp(x*y)", dim: 3}, {src: "Log(x)", dim: 3}, {src: "XLogX(x)", dim: 3},
	{src: "Sin(x*y)", dim: 3}, {src: "Cos(x+p)", dim: 3}, {src: "SinXDivX(x)", dim: 3},
	{src: "Asin(x)", dim: 3}, {src: "Acos(x)", dim: 3}, {src: "Atan(x*y)", dim: 3},
	{src: "Atan2(x,y)", dim: 3}, {src: "Atan2(p,y)", dim: 3},
	{src: "Sqrt(x)", dim: 3}, {src: "Rsqrt(x)", dim: 3},
	{src: "x**2", dim: 3}, {src: "Square(x-y)", dim: 3},
	{src: "Pow(x,3)", dim: 3}, {src: "x**-2", dim: 3}, {src: "Pow(x,0)", dim: 3},
	{src: "Powf(x,y)", dim: 3, h: 1e-3, tol: 1e-3}, {src: "Powf(x,p)", dim: 3, h: 1e-3, tol: 1e-3},
	{src: "Abs(x-y)", dim: 3}, {src: "Sign(x-y)", dim: 3}, {src: "Step(x)", dim: 3},
	{src: "ReLU(x-y)", dim: 3}, {src: "Floor(x*y)", dim: 3}, {src: "Round(x,1)", dim: 3},
	{src: "Mod(x,y,p)", dim: 3},
	{src: "Clamp(x,y,y+2)", dim: 3}, {src: "Clamp(x,p,p+1)", dim: 3},
	{src: "ClampInt(x,-1,1)", dim: 3}, {src: "DiffClampInt(x,-1,1)", dim: 3},
	{src: "IfElse(x,y,p)", dim: 3}, {src: "IfElse(s,x,y)", dim: 3},
	{src: "Equal(x,y)", dim: 3}, {src: "NotEqual(x,p)", dim: 3},
	{src: "x<y", dim: 3}, {src: "x<=p", dim: 3}, {src: "x>y", dim: 3}, {src: "x>=y", dim: 3},
	{src: "LessThan(x,y)", dim: 3}, {src: "LessOrEqual(y,x)", dim: 3},

	{src: "Sum(x*y)", dim: 1}, {src: "Sum(s)", dim: 1}, {src: "SumT(s,4)", dim: 4},
	{src: "Max(x*y)", dim: 1}, {src: "Min(x)", dim: 1}, {src: "ArgMax(x)", dim: 1}, {src: "ArgMin(x)", dim: 1},
	{src: "(x|y)", dim: 1}, {src: "Scalprod(x,s)", dim: 1}, {src: "p|x", dim: 1},
	{src: "SqNorm2(x-y)", dim: 1}, {src: "Norm2(x-y)", dim: 1}, {src: "Normalize(x)", dim: 3},
	{src: "SqDist(x,y)", dim: 1}, {src: "SqDist(x,p)", dim: 1},
	{src: "WeightedSqNorm(p,x)", dim: 1}, {src: "WeightedSqNorm(y,x)", dim: 1}, {src: "WeightedSqNorm(A,x)", dim: 1},
	{src: "WeightedSqDist(A,x,y)", dim: 1}, {src: "WeightedSqDist(p,x,y)", dim: 1},
	{src: "SqNormIso(p,x)", dim: 1}, {src: "SqNormIso(b,x)", dim: 2},
	{src: "SqNormDiag(y,x)", dim: 1}, {src: "SqNormDiag(p,x)", dim: 1},
	{src: "SymSqNorm(A,x)", dim: 1},
	{src: "Elem(x,2)", dim: 1}, {src: "ElemT(s,4,1)", dim: 4},
	{src: "Extract(M,1,3)", dim: 3}, {src: "ExtractT(x,2,7)", dim: 7},
	{src: "Concat(x,b)", dim: 5}, {src: "Concat(s*x,Sum(y))", dim: 4},
	{src: "OneHot(s,4)", dim: 4},
	{src: "BSpline(K,s,2)", dim: 3, vals: knots, noGrad: []string{"*"}},
	{src: "BSpline(K,s,0)", dim: 5, vals: knots, noGrad: []string{"*"}},

	{src: "MatVecMult(M,x)", dim: 2}, {src: "VecMatMult(b,M)", dim: 3}, {src: "TensorProd(x,b)", dim: 6},
	{src: "TensorDot(T,r,[2,2,3],[3,2],[2],[0])", dim: 8},
	{src: "TensorDot(T,r,[2,2,3],[3,2],[2],[0],permute=[2,0,1])", dim: 8},
	{src: "TensorDot(T,M,[2,2,3],[2,3],[1,2],[0,1])", dim: 2},
	{src: "TensorDot(T,M,[2,2,3],[2,3],[2,0],[1,0])", dim: 2},
	{src: "TensorDot(T,M,[2,2,3],[2,3],[0],[0],[2,0,1])", dim: 18},
	{src: "TensorDot(M,x,[2,3],[3],[1],[0])", dim: 2},
	{src: "TensorDot(x,y,[3],[3],[],[])", dim: 9},
	{src: "TensorDot(x,y,[3],[3],[0],[0])", dim: 1},
	{src: "Kron(M,b,[2,3],[2,1])", dim: 12}, {src: "Kron(x,y,[3],[3])", dim: 9},

	{src: "SoftDTW_SqDist(X,Y,p)", dim: 1, noGrad: []string{"p"}},
	{src: "GradSoftDTW_SqDist(X,Y,p,s,0)", dim: 5, noGrad: []string{"X", "Y", "p"}},
	{src: "GradSoftDTW_SqDist(X,Y,p,s,1)", dim: 4, noGrad: []string{"X", "Y", "p"}},

	{src: "ComplexReal(z)", dim: 2}, {src: "ComplexImag(z*p)", dim: 2},
	{src: "Real2Complex(x)", dim: 6}, {src: "Imag2Complex(x)", dim: 6}, {src: "Conj(z)", dim: 4},
	{src: "ComplexAdd(z,w)", dim: 4}, {src: "ComplexAdd(c,w)", dim: 4},
	{src: "ComplexSubtract(z,w)", dim: 4}, {src: "ComplexSubtract(z,c)", dim: 4},
	{src: "ComplexMult(z,w)", dim: 4}, {src: "ComplexMult(c,w)", dim: 4},
	{src: "ComplexDivide(z,w)", dim: 4}, {src: "ComplexDivide(c,w)", dim: 4}, {src: "ComplexDivide(z,c)", dim: 4},
	{src: "ComplexSquareAbs(z)", dim: 2}, {src: "ComplexAbs(z)", dim: 2}, {src: "ComplexAngle(z)", dim: 2},
	{src: "ComplexExp(z)", dim: 4}, {src: "ComplexExp1j(x)", dim: 6},
	{src: "ComplexSum(z)", dim: 2}, {src: "ComplexSumT(c,6)", dim: 6},
	{src: "ComplexRealScal(s,z)", dim: 4}, {src: "ComplexRealScal(z,p)", dim: 4},

	{src: "Grad(SqDist(x,y),x,s)", dim: 3}, {src: "Grad(Exp(-p*SqDist(x,y))*b,y,b)", dim: 3},
	{src: "Diff(SqNorm2(x),x,y)", dim: 1}, {src: "Diff(Exp(x*y),y,x)", dim: 3},
	{src: "GradMatrix(Concat(x*x,Sum(x)),x)", dim: 12},
	{src: "Divergence(x*y,x)", dim: 1}, {src: "Divergence(MatVecMult(A,x)*Sin(x),x)", dim: 1},
	{src: "Laplacian(SqNorm2(x),x)", dim: 1}, {src: "Laplacian(Exp(-SqDist(x,y)),x)", dim: 1},
	{src: "TraceOperator(x*y,x)", dim: 1}, {src: "TraceOperator(x*y,x,y)", dim: 1},
	{src: "TraceOperator(Sum(x*y),x,p)", dim: 1},
	{src: "AdjointOperator(x*y,x,y)", dim: 3}, {src: "AdjointOperator(MatVecMult(M,x),x,b)", dim: 3},
	{src: "SumLinOperator(x*y,x)", dim: 1}, {src: "SumLinOperator(MatVecMult(M,x),x,wr=y)", dim: 1},
	{src: "SumLinOperator(MatVecMult(M,x),x,b,y)", dim: 1},
	{src: "Factorize(x*y+Exp(x*y),x*y)", dim: 3}, {src: "AutoFactorize(Exp(x*y)+x*y)", dim: 3},
	{src: "GradFromPos(SqDist(x,y),1,s)", dim: 3},
}

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

var _ = fmt.Sprint
