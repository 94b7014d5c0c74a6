// Package opcases is a table of formulas covering every operation of the
// formula language, with their dimensions written by hand from the
// reference, plus the cases derived from the op table (tableCases). The
// formula tests check parsing, dimensions, lowering and derivatives on it;
// the engine tests run every case end to end.
package opcases

import "github.com/gokeops/gokeops/pkg/formula"

// Aliases are the aliases of every case; argument k is the alias k.
var Aliases = []string{
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

// Case is a formula and its dimension, written by hand from the spec.
type Case struct {
	Src string
	Dim int
	// Vals fixes the values of some aliases (B-spline knots must be sorted).
	Vals map[string][]float64
	// NoGrad lists the aliases whose gradient must be refused ("*": all).
	NoGrad []string
	// H and Tol override the finite-difference step and tolerance.
	H, Tol float64
}

// Knots are sorted B-spline knots for the alias K.
var Knots = map[string][]float64{"K": {-2, -1, 0, 0.5, 1.5, 2}}

var Cases = []Case{
	{Src: "x+y", Dim: 3}, {Src: "x+p", Dim: 3}, {Src: "Add(p,x)", Dim: 3},
	{Src: "x-y", Dim: 3}, {Src: "s-y", Dim: 3},
	{Src: "x*y", Dim: 3}, {Src: "x*s", Dim: 3}, {Src: "Mult(q,x)", Dim: 3},
	{Src: "x/y", Dim: 3}, {Src: "p/x", Dim: 3}, {Src: "x/q", Dim: 3},
	{Src: "-x", Dim: 3}, {Src: "Minus(x*y)", Dim: 3},
	{Src: "Inv(x)", Dim: 3}, {Src: "1/x", Dim: 3},
	{Src: "Exp(x*y)", Dim: 3}, {Src: "Log(x)", Dim: 3}, {Src: "XLogX(x)", Dim: 3},
	{Src: "Sin(x*y)", Dim: 3}, {Src: "Cos(x+p)", Dim: 3}, {Src: "SinXDivX(x)", Dim: 3},
	{Src: "Asin(x)", Dim: 3}, {Src: "Acos(x)", Dim: 3}, {Src: "Atan(x*y)", Dim: 3},
	{Src: "Atan2(x,y)", Dim: 3}, {Src: "Atan2(p,y)", Dim: 3},
	{Src: "Sqrt(x)", Dim: 3}, {Src: "Rsqrt(x)", Dim: 3},
	{Src: "x**2", Dim: 3}, {Src: "Square(x-y)", Dim: 3},
	{Src: "Pow(x,3)", Dim: 3}, {Src: "x**-2", Dim: 3}, {Src: "Pow(x,0)", Dim: 3},
	{Src: "Powf(x,y)", Dim: 3, H: 1e-3, Tol: 1e-3}, {Src: "Powf(x,p)", Dim: 3, H: 1e-3, Tol: 1e-3},
	{Src: "Abs(x-y)", Dim: 3}, {Src: "Sign(x-y)", Dim: 3}, {Src: "Step(x)", Dim: 3},
	{Src: "ReLU(x-y)", Dim: 3}, {Src: "Floor(x*y)", Dim: 3}, {Src: "Round(x,1)", Dim: 3},
	{Src: "Mod(x,y,p)", Dim: 3},
	{Src: "Clamp(x,y,y+2)", Dim: 3}, {Src: "Clamp(x,p,p+1)", Dim: 3},
	{Src: "ClampInt(x,-1,1)", Dim: 3}, {Src: "DiffClampInt(x,-1,1)", Dim: 3},
	{Src: "IfElse(x,y,p)", Dim: 3}, {Src: "IfElse(s,x,y)", Dim: 3},
	{Src: "Equal(x,y)", Dim: 3}, {Src: "NotEqual(x,p)", Dim: 3},
	{Src: "x<y", Dim: 3}, {Src: "x<=p", Dim: 3}, {Src: "x>y", Dim: 3}, {Src: "x>=y", Dim: 3},
	{Src: "LessThan(x,y)", Dim: 3}, {Src: "LessOrEqual(y,x)", Dim: 3},

	{Src: "Sum(x*y)", Dim: 1}, {Src: "Sum(s)", Dim: 1}, {Src: "SumT(s,4)", Dim: 4},
	{Src: "Max(x*y)", Dim: 1}, {Src: "Min(x)", Dim: 1}, {Src: "ArgMax(x)", Dim: 1}, {Src: "ArgMin(x)", Dim: 1},
	{Src: "(x|y)", Dim: 1}, {Src: "Scalprod(x,s)", Dim: 1}, {Src: "p|x", Dim: 1},
	{Src: "SqNorm2(x-y)", Dim: 1}, {Src: "Norm2(x-y)", Dim: 1}, {Src: "Normalize(x)", Dim: 3},
	{Src: "SqDist(x,y)", Dim: 1}, {Src: "SqDist(x,p)", Dim: 1},
	{Src: "WeightedSqNorm(p,x)", Dim: 1}, {Src: "WeightedSqNorm(y,x)", Dim: 1}, {Src: "WeightedSqNorm(A,x)", Dim: 1},
	{Src: "WeightedSqDist(A,x,y)", Dim: 1}, {Src: "WeightedSqDist(p,x,y)", Dim: 1},
	{Src: "SqNormIso(p,x)", Dim: 1}, {Src: "SqNormIso(b,x)", Dim: 2},
	{Src: "SqNormDiag(y,x)", Dim: 1}, {Src: "SqNormDiag(p,x)", Dim: 1},
	{Src: "SymSqNorm(A,x)", Dim: 1},
	{Src: "Elem(x,2)", Dim: 1}, {Src: "ElemT(s,4,1)", Dim: 4},
	{Src: "Extract(M,1,3)", Dim: 3}, {Src: "ExtractT(x,2,7)", Dim: 7},
	{Src: "Concat(x,b)", Dim: 5}, {Src: "Concat(s*x,Sum(y))", Dim: 4},
	{Src: "OneHot(s,4)", Dim: 4},
	{Src: "BSpline(K,s,2)", Dim: 3, Vals: Knots, NoGrad: []string{"*"}},
	{Src: "BSpline(K,s,0)", Dim: 5, Vals: Knots, NoGrad: []string{"*"}},

	{Src: "MatVecMult(M,x)", Dim: 2}, {Src: "VecMatMult(b,M)", Dim: 3}, {Src: "TensorProd(x,b)", Dim: 6},
	{Src: "TensorDot(T,r,[2,2,3],[3,2],[2],[0])", Dim: 8},
	{Src: "TensorDot(T,r,[2,2,3],[3,2],[2],[0],permute=[2,0,1])", Dim: 8},
	{Src: "TensorDot(T,M,[2,2,3],[2,3],[1,2],[0,1])", Dim: 2},
	{Src: "TensorDot(T,M,[2,2,3],[2,3],[2,0],[1,0])", Dim: 2},
	{Src: "TensorDot(T,M,[2,2,3],[2,3],[0],[0],[2,0,1])", Dim: 18},
	{Src: "TensorDot(M,x,[2,3],[3],[1],[0])", Dim: 2},
	{Src: "TensorDot(x,y,[3],[3],[],[])", Dim: 9},
	{Src: "TensorDot(x,y,[3],[3],[0],[0])", Dim: 1},
	{Src: "Kron(M,b,[2,3],[2,1])", Dim: 12}, {Src: "Kron(x,y,[3],[3])", Dim: 9},

	{Src: "SoftDTW_SqDist(X,Y,p)", Dim: 1, NoGrad: []string{"p"}},
	{Src: "GradSoftDTW_SqDist(X,Y,p,s,0)", Dim: 5, NoGrad: []string{"X", "Y", "p"}},
	{Src: "GradSoftDTW_SqDist(X,Y,p,s,1)", Dim: 4, NoGrad: []string{"X", "Y", "p"}},

	{Src: "ComplexReal(z)", Dim: 2}, {Src: "ComplexImag(z*p)", Dim: 2},
	{Src: "Real2Complex(x)", Dim: 6}, {Src: "Imag2Complex(x)", Dim: 6}, {Src: "Conj(z)", Dim: 4},
	{Src: "ComplexAdd(z,w)", Dim: 4}, {Src: "ComplexAdd(c,w)", Dim: 4},
	{Src: "ComplexSubtract(z,w)", Dim: 4}, {Src: "ComplexSubtract(z,c)", Dim: 4},
	{Src: "ComplexMult(z,w)", Dim: 4}, {Src: "ComplexMult(c,w)", Dim: 4},
	{Src: "ComplexDivide(z,w)", Dim: 4}, {Src: "ComplexDivide(c,w)", Dim: 4}, {Src: "ComplexDivide(z,c)", Dim: 4},
	{Src: "ComplexSquareAbs(z)", Dim: 2}, {Src: "ComplexAbs(z)", Dim: 2}, {Src: "ComplexAngle(z)", Dim: 2},
	{Src: "ComplexExp(z)", Dim: 4}, {Src: "ComplexExp1j(x)", Dim: 6},
	{Src: "ComplexSum(z)", Dim: 2}, {Src: "ComplexSumT(c,6)", Dim: 6},
	{Src: "ComplexRealScal(s,z)", Dim: 4}, {Src: "ComplexRealScal(z,p)", Dim: 4},

	{Src: "Grad(SqDist(x,y),x,s)", Dim: 3}, {Src: "Grad(Exp(-p*SqDist(x,y))*b,y,b)", Dim: 3},
	{Src: "Diff(SqNorm2(x),x,y)", Dim: 1}, {Src: "Diff(Exp(x*y),y,x)", Dim: 3},
	{Src: "GradMatrix(Concat(x*x,Sum(x)),x)", Dim: 12},
	{Src: "Divergence(x*y,x)", Dim: 1}, {Src: "Divergence(MatVecMult(A,x)*Sin(x),x)", Dim: 1},
	{Src: "Laplacian(SqNorm2(x),x)", Dim: 1}, {Src: "Laplacian(Exp(-SqDist(x,y)),x)", Dim: 1},
	{Src: "TraceOperator(x*y,x)", Dim: 1}, {Src: "TraceOperator(x*y,x,y)", Dim: 1},
	{Src: "TraceOperator(Sum(x*y),x,p)", Dim: 1},
	{Src: "AdjointOperator(x*y,x,y)", Dim: 3}, {Src: "AdjointOperator(MatVecMult(M,x),x,b)", Dim: 3},
	{Src: "SumLinOperator(x*y,x)", Dim: 1}, {Src: "SumLinOperator(MatVecMult(M,x),x,wr=y)", Dim: 1},
	{Src: "SumLinOperator(MatVecMult(M,x),x,b,y)", Dim: 1},
	{Src: "Factorize(x*y+Exp(x*y),x*y)", Dim: 3}, {Src: "AutoFactorize(Exp(x*y)+x*y)", Dim: 3},
	{Src: "GradFromPos(SqDist(x,y),1,s)", Dim: 3},
}

func init() { Cases = append(Cases, tableCases(Cases)...) }

// tableCases derives Op(x) (dim 3, as x) for every elementwise op of one
// formula argument and no integer parameter that no case writes so: a new
// row of the op table is tested without a new case.
func tableCases(written []Case) []Case {
	have := map[string]bool{}
	for _, c := range written {
		have[c.Src] = true
	}
	var cs []Case
	for o := formula.Op(1); int(o) < formula.NumOps; o++ {
		row := o.Info()
		src := row.Name + "(x)"
		if row.Family == formula.FamElementwise && row.Args == 1 && row.Ints == 0 && !have[src] {
			cs = append(cs, Case{Src: src, Dim: 3})
		}
	}
	return cs
}
