package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// symCases are Sums with a kernel symmetric in x and y, each with its
// reference term k(x_i, x_j) (the column factor b_j and p = 0.7 aside).
var symCases = []struct {
	f string
	k func(d2, p float64) float64
}{
	{"Exp(-SqDist(x,y))*b", func(d2, _ float64) float64 { return math.Exp(-d2) }},
	{"Exp(-p*SqDist(x,y))*b", func(d2, p float64) float64 { return math.Exp(-p * d2) }},
	{"b*Exp(-Sqrt(SqDist(y,x)))*p", func(d2, p float64) float64 { return p * math.Exp(-math.Sqrt(d2)) }},
	{"(-(2*Inv(1+SqDist(x,y))))*b", func(d2, _ float64) float64 { return -2 / (1 + d2) }},
}

// symRunner is the runner of Run, for checking its plan.
func symRunner[T float](k *Kernel, c *Call[T]) *runner[T] {
	r := &runner[T]{k: k, c: c, red: newReducer[T](k, false)}
	r.outer, r.inner = c.M, c.N
	r.argOffsets()
	return r
}

func TestSymmetricProduct(t *testing.T) {
	for _, c := range symCases {
		for _, d := range []int{1, 3, 5} {
			for _, n := range []int{symMinRows + 3, 2*symMinRows + 517} {
				for _, axis := range []int{0, 1} {
					name := fmt.Sprintf("%s/d=%d/n=%d/axis=%d", c.f, d, n, axis)
					t.Run(name+"/f64", func(t *testing.T) { checkSymmetric[float64](t, c.f, c.k, d, n, axis, 1e-14) })
					t.Run(name+"/f32", func(t *testing.T) { checkSymmetric[float32](t, c.f, c.k, d, n, axis, 3e-6) })
				}
			}
		}
	}
}

func checkSymmetric[T float](t *testing.T, f string, kf func(d2, p float64) float64, d, n, axis int, tol float64) {
	ci, cj := "Vi", "Vj"
	if axis == 0 {
		ci, cj = "Vj", "Vi"
	}
	aliases := []string{fmt.Sprintf("x=%s(%d)", ci, d), fmt.Sprintf("y=%s(%d)", cj, d), "b=" + cj + "(1)", "p=Pm(1)"}
	k, err := Compile(Spec{Formula: f, Aliases: aliases, Reduction: "Sum", Axis: axis})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(d), uint64(n)))
	x := make([]T, n*d)
	for i := range x {
		x[i] = T(rng.NormFloat64())
	}
	b := make([]T, n)
	for i := range b {
		b[i] = T(rng.Float64() - 0.3)
	}
	p := []T{0.7}
	byInd := [][]T{x, x, b, p}
	args := make([][]T, len(k.Sig))
	for a, v := range k.Sig {
		args[a] = byInd[v.Ind]
	}
	call := &Call[T]{Args: args, ArgBatch: make([][]int, len(args)), M: n, N: n, Vals: make([]T, n)}
	if _, ok := symRunner(k, call).symmetricPlan(); !ok {
		t.Fatal("not run as a symmetric product")
	}
	if err := Run(k, call); err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i := 0; i < n; i++ {
		var want, mag float64
		for j := 0; j < n; j++ {
			d2 := 0.0
			for c := 0; c < d; c++ {
				e := float64(x[i*d+c]) - float64(x[j*d+c])
				d2 += e * e
			}
			term := kf(d2, float64(p[0])) * float64(b[j])
			want += term
			mag += math.Abs(term)
		}
		if e := math.Abs(float64(call.Vals[i])-want) / mag; e > worst {
			worst = e
		}
	}
	if worst > tol {
		t.Errorf("largest error %.3g of the sum of |terms| (tolerance %g)", worst, tol)
	}
	// The points copied to a buffer of their own: still symmetric; one
	// point moved: the normal run.
	y := append([]T(nil), x...)
	byInd[1] = y
	for a, v := range k.Sig {
		args[a] = byInd[v.Ind]
	}
	if _, ok := symRunner(k, call).symmetricPlan(); !ok {
		t.Error("equal copies: not run as a symmetric product")
	}
	y[d] += 1
	if _, ok := symRunner(k, call).symmetricPlan(); ok {
		t.Error("different points: run as a symmetric product")
	}
}

// TestSymmetricNotPlanned: kernels that are not symmetric, or calls that
// are not products by them, take the normal run.
func TestSymmetricNotPlanned(t *testing.T) {
	n := symMinRows + 1
	x := make([]float64, n*3)
	for i := range x {
		x[i] = float64(i%7) / 7
	}
	b, s := make([]float64, n), make([]float64, n)
	for _, f := range []string{
		"Exp(-SqDist(x,y))*b*s", // a row factor
		"Exp(-SqDist(x,y))",     // no column factor
		"Exp(-SqDist(x,y))*(y-x)",
	} {
		k, err := Compile(Spec{Formula: f, Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)", "s=Vi(1)"}, Reduction: "Sum", Axis: 1})
		if err != nil {
			t.Fatal(err)
		}
		byInd := [][]float64{x, x, b, s}
		args := make([][]float64, len(k.Sig))
		for a, v := range k.Sig {
			args[a] = byInd[v.Ind]
		}
		call := &Call[float64]{Args: args, ArgBatch: make([][]int, len(args)), M: n, N: n, Vals: make([]float64, n*k.ValsDim)}
		if _, ok := symRunner(k, call).symmetricPlan(); ok {
			t.Errorf("%s: run as a symmetric product", f)
		}
	}
}

// BenchmarkSymmetricProduct: the Gaussian product K b of N points against
// themselves, symmetric run against the normal one (the points with one
// coordinate moved, so that they are not the same).
func BenchmarkSymmetricProduct(b *testing.B) {
	b.Run("f64", benchSymmetric[float64])
	b.Run("f32", benchSymmetric[float32])
}

func benchSymmetric[T float](b *testing.B) {
	const n, d = 20000, 3
	k, err := Compile(Spec{Formula: "Exp(-SqDist(x,y))*b", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "Sum", Axis: 1})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]T, n*d)
	for i := range x {
		x[i] = T(rng.NormFloat64())
	}
	w := make([]T, n)
	for i := range w {
		w[i] = T(rng.Float64())
	}
	y := append([]T(nil), x...)
	y[len(y)-1] += 1e-3
	run := func(b *testing.B, x, y []T) {
		c := &Call[T]{Args: [][]T{x, y, w}, ArgBatch: make([][]int, 3), M: n, N: n, Vals: make([]T, n)}
		for b.Loop() {
			if err := Run(k, c); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpairs/s")
	}
	b.Run("normal", func(b *testing.B) { run(b, x, y) })
	b.Run("symmetric", func(b *testing.B) { run(b, x, x) })
}
