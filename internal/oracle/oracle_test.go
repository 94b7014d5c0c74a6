package oracle

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeops/gokeops/pkg/formula"
)

// aliases used by the tests of this file: argument k is args[k].
var aliasSrc = []string{"x=Vi(1)", "K=Pm(6)", "v=Vi(3)", "w=Vj(3)", "X=Vi(4)", "Y=Vj(3)", "g=Pm(1)", "A=Pm(12)", "B=Pm(6)"}

func aliases(t *testing.T) []formula.Alias {
	var al []formula.Alias
	for k, s := range aliasSrc {
		a, err := formula.ParseAlias(s, k)
		if err != nil {
			t.Fatal(err)
		}
		al = append(al, a)
	}
	return al
}

// eval evaluates src as written (not lowered).
func eval(t *testing.T, src string, args [][]float64) []float64 {
	t.Helper()
	e, err := formula.Checked(src, aliases(t))
	if err != nil {
		t.Fatal(err)
	}
	return EvalArgs(e, args)
}

func same(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if math.IsNaN(a[k]) != math.IsNaN(b[k]) ||
			!math.IsNaN(a[k]) && math.Abs(a[k]-b[k]) > tol*(1+math.Abs(b[k])) && a[k] != b[k] {
			return false
		}
	}
	return true
}

// TestSpecExamples checks values written in the specification (§5, §7),
// most of them verified on pykeops.
func TestSpecExamples(t *testing.T) {
	nan := math.NaN()
	args := func(x float64, v ...float64) [][]float64 {
		a := make([][]float64, len(aliasSrc))
		a[0] = []float64{x}
		a[1] = []float64{0, 1, 2, 3, 4, 5}
		a[2] = []float64{1, 2, 3}
		a[3] = []float64{4, 5, 6}
		a[4], a[5], a[6] = []float64{0, 1, 2, 3}, []float64{1, 2, 3}, []float64{1}
		a[7] = []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
		a[8] = []float64{1, 2, 3, 4, 5, 6}
		if v != nil {
			a[2] = v
		}
		return a
	}
	for _, tc := range []struct {
		name, src string
		args      [][]float64
		want      []float64
	}{
		{"BSpline uniform", "BSpline(K,x,2)", args(2.5), []float64{0.125, 0.75, 0.125}},
		{"BSpline order 0", "BSpline(K,x,0)", args(2.5), []float64{0, 0, 1, 0, 0}},
		{"Round half away", "Round(x,0)", args(2.5), []float64{3}},
		{"Round negative half", "Round(x,0)", args(-0.5), []float64{-1}},
		{"Round one digit", "Round(x,1)", args(0.25), []float64{0.3}},
		{"Mod negative", "Mod(x,3,0)", args(-3.5), []float64{2.5}},
		{"Mod offset", "Mod(x,3,1)", args(0), []float64{3}},
		{"Powf float32", "Powf(x,RatCst(1,2))", args(2), []float64{1.4142135381698608}},
		{"RatCst float32", "x*RatCst(1,3)", args(3), []float64{1.0000000298023224}},
		{"Rsqrt 0", "Rsqrt(x)", args(0), []float64{0}},
		{"SinXDivX 0", "SinXDivX(x)", args(0), []float64{1}},
		{"XLogX 0", "XLogX(x)", args(0), []float64{0}},
		{"Sign NaN", "Sign(x)", args(nan), []float64{0}},
		{"Step NaN", "Step(x)", args(nan), []float64{1}},
		{"ReLU NaN", "ReLU(x)", args(nan), []float64{nan}},
		{"IfElse NaN", "IfElse(x,1,2)", args(nan), []float64{2}},
		{"Inv 0", "Inv(x)", args(0), []float64{math.Inf(1)}},
		{"Equal NaN", "Equal(x,x)", args(nan), []float64{0}},
		{"NotEqual NaN", "NotEqual(x,x)", args(nan), []float64{1}},
		{"Clamp lower first", "Clamp(x,3,1)", args(2), []float64{3}},
		{"Clamp above", "Clamp(x,3,1)", args(5), []float64{1}},
		{"ArgMin NaN first", "ArgMin(v)", args(0, nan, 1, 0), []float64{0}},
		{"Min NaN first", "Min(v)", args(0, nan, 1, 0), []float64{nan}},
		{"Max NaN later", "Max(v)", args(0, 1, nan, 0), []float64{1}},
		{"ArgMax first max", "ArgMax(v)", args(0, 2, 5, 5), []float64{1}},
		{"OneHot trunc 1.4", "OneHot(x,3)", args(1.4), []float64{0, 1, 0}},
		{"OneHot trunc 1.5", "OneHot(x,3)", args(1.5), []float64{0, 0, 1}},
		{"OneHot trunc -0.4", "OneHot(x,3)", args(-0.4), []float64{1, 0, 0}},
		{"Scalprod dim 1", "(v|x)", args(2, 1, 2, 0), []float64{6}},
		{"MatVecMult row-major", "MatVecMult(B,v)", args(0), []float64{1 + 4 + 9, 4 + 10 + 18}},
		{"VecMatMult row-major", "VecMatMult(Extract(v,0,2),B)", args(0), []float64{1 + 8, 2 + 10, 3 + 12}},
		{"TensorProd", "TensorProd(Extract(v,0,2),w)", args(0), []float64{4, 5, 6, 8, 10, 12}},
		{"Normalize zero", "Normalize(v)", args(0, 0, 0, 0), []float64{0, 0, 0}},
		{"SymSqNorm", "SymSqNorm(Concat(B,Extract(B,0,3)),v)", args(0), []float64{120}},
		{"Kron", "Kron(Extract(v,0,2),w,[2],[3])", args(0), []float64{4, 5, 6, 8, 10, 12}},
		{"ComplexMult", "ComplexMult(Extract(v,0,2),Extract(w,0,2))", args(0), []float64{1*4 - 2*5, 1*5 + 2*4}},
		{"ComplexRealScal swapped", "ComplexRealScal(Extract(v,0,2),x)", args(2), []float64{2, 4}},
		{"ComplexSumT", "ComplexSumT(Extract(v,0,2),4)", args(0), []float64{1, 2, 1, 2}},
		{"ComplexExp1j", "ComplexExp1j(x)", args(0), []float64{1, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := eval(t, tc.src, tc.args); !same(got, tc.want, 1e-15) {
				t.Errorf("%s = %v, want %v", tc.src, got, tc.want)
			}
		})
	}
}

// TestTensorDot checks TensorDot against a hand-written loop of
// numpy.tensordot for A of shape (2,2,3) and B of shape (3,2), contracting
// A's axis 2 with B's axis 0, then permuting with [1,2,0] (spec §7.3).
func TestTensorDot(t *testing.T) {
	a := make([]float64, 12)
	b := make([]float64, 6)
	for k := range a {
		a[k] = float64(k + 1)
	}
	for k := range b {
		b[k] = float64(k*k - 3)
	}
	// T[i,j,l] = sum_k A[i,j,k] B[k,l], shape (2,2,2).
	var want, wantPerm [8]float64
	for i := range 2 {
		for j := range 2 {
			for l := range 2 {
				s := 0.0
				for k := range 3 {
					s += a[i*6+j*3+k] * b[k*2+l]
				}
				want[i*4+j*2+l] = s
				// permute [1,2,0]: axis i -> 1, j -> 2, l -> 0: out[l,i,j].
				wantPerm[l*4+i*2+j] = s
			}
		}
	}
	args := make([][]float64, len(aliasSrc))
	args[7], args[8] = a, b
	for _, tc := range []struct {
		src  string
		want []float64
	}{
		{"TensorDot(A,B,[2,2,3],[3,2],[2],[0])", want[:]},
		{"TensorDot(A,B,[2,2,3],[3,2],[2],[0],permute=[1,2,0])", wantPerm[:]},
		{"TensorDot(A,B,[2,2,3],[3,2],[2],[0],[0,1,2])", want[:]},
	} {
		if got := eval(t, tc.src, args); !same(got, tc.want, 0) {
			t.Errorf("%s = %v, want %v", tc.src, got, tc.want)
		}
	}
}

// TestSoftDTW checks the soft-DTW value against a direct recursion with
// infinite borders, and its gradient against central differences.
func TestSoftDTW(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		x := []float64{rnd.NormFloat64(), rnd.NormFloat64(), rnd.NormFloat64(), rnd.NormFloat64()}
		y := []float64{rnd.NormFloat64(), rnd.NormFloat64(), rnd.NormFloat64()}
		gamma := 0.1 + rnd.Float64()
		// Reference: R(-1,-1) = 0, other borders +inf, softmin over three.
		inf := math.Inf(1)
		var r [5][4]float64
		for i := range 5 {
			for j := range 4 {
				r[i][j] = inf
			}
		}
		r[0][0] = 0
		for i := 1; i <= 4; i++ {
			for j := 1; j <= 3; j++ {
				d := (x[i-1] - y[j-1]) * (x[i-1] - y[j-1])
				s := 0.0
				for _, v := range []float64{r[i-1][j-1], r[i-1][j], r[i][j-1]} {
					s += math.Exp(-v / gamma)
				}
				r[i][j] = d - gamma*math.Log(s)
			}
		}
		args := make([][]float64, len(aliasSrc))
		args[4], args[5], args[6] = x, y, []float64{gamma}
		got := eval(t, "SoftDTW_SqDist(X,Y,g)", args)
		if !same(got, []float64{r[4][3]}, 1e-12) {
			t.Fatalf("trial %d: SoftDTW = %v, want %v", trial, got, r[4][3])
		}
		for which, v := range [][]float64{x, y} {
			grad := eval(t, "GradSoftDTW_SqDist(X,Y,g,2,"+string(rune('0'+which))+")", args)
			for k := range v {
				const h = 1e-6
				old := v[k]
				v[k] = old + h
				fp := eval(t, "SoftDTW_SqDist(X,Y,g)", args)[0]
				v[k] = old - h
				fm := eval(t, "SoftDTW_SqDist(X,Y,g)", args)[0]
				v[k] = old
				if fd := 2 * (fp - fm) / (2 * h); math.Abs(fd-grad[k]) > 1e-6*(1+math.Abs(fd)) {
					t.Errorf("trial %d: d/d%c[%d] = %v, finite differences %v", trial, "XY"[which], k, grad[k], fd)
				}
			}
		}
	}
}
