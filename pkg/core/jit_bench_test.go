package core

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// jitBenchFormulas are W5, W1g and W9 of the workloads plus formulas no
// fold takes, all over x=Vi(3), y=Vj(3), b=Vj(1), g=Pm(1), e=Vi(1).
var jitBenchFormulas = []struct{ name, src, red string }{
	{"W5", "Grad(Exp(-SqDist(x,y))*b, x, e)", "Sum"},
	{"W1g", "Exp(-g*SqDist(x,y))*b", "Sum"},
	{"W9", "Exp(-Sum(Square(x-y)))*b", "Sum"},
	{"Matern32", "(1+Sqrt(3)*Sqrt(SqDist(x,y)))*Exp(-Sqrt(3)*Sqrt(SqDist(x,y)))*b", "Sum"},
	{"Laplace", "Exp(-Sqrt(SqDist(x,y)+g))*b", "Sum"},
	{"RatQuad", "Inv(Square(1+SqDist(x,y)/g))*b", "Sum"},
	{"Poly", "Square(1+(x|y))*b", "Sum"},
	{"Mahalanobis", "Exp(-((x-y)|MatVecMult(A,x-y)))*b", "Sum"},
	{"Periodic", "Exp(-2*Square(Sin(Sqrt(SqDist(x,y)))))*b", "Sum"},
	{"LSE-Laplace", "-Sqrt(SqDist(x,y)+g)+b", "LogSumExp"},
	{"ArgMin-L1", "Sum(Abs(x-y))", "ArgMin"},
}

// benchJIT runs the formula's reduction at 2000 x 2000, one thread: the
// program as planned on the interpreter ("interp", the engine without the
// compiled loops) and with them ("jit"), and the general pair level (no
// fold, no dot fold) with them ("general").
func benchJIT[T float](b *testing.B, src, red, mode string) {
	k, err := Compile(Spec{Formula: src, Aliases: []string{"g=Pm(1)", "x=Vi(3)", "y=Vj(3)", "b=Vj(1)", "e=Vi(1)", "A=Pm(9)"}, Reduction: red, Axis: 1})
	if err != nil {
		b.Fatal(err)
	}
	if mode == "general" {
		k.prog = newProgram(k.Formula, k.Formula2, k.outerCat, false)
	}
	old := jitOn
	jitOn = mode != "interp"
	defer func() { jitOn = old }()
	const m, n = 2000, 2000
	rng := rand.New(rand.NewPCG(1, 2))
	c := &Call[T]{ArgBatch: make([][]int, 6), M: m, N: n, Workers: 1}
	for a, rows := range []int{1, m, n, n, m, 1} {
		d := []int{1, 3, 3, 1, 1, 9}[a]
		v := make([]T, rows*d)
		for t := range v {
			v[t] = T(rng.NormFloat64())
		}
		c.Args = append(c.Args, v)
	}
	c.Args[0][0] = 0.5
	c.Vals = make([]T, m*k.ValsDim)
	c.Idx = make([]int64, m*k.IdxDim)
	b.ResetTimer()
	cpu0 := cpuTime()
	for it := 0; it < b.N; it++ {
		if err := Run(k, c); err != nil {
			b.Fatal(err)
		}
	}
	pairs := float64(m) * float64(n) * float64(b.N) / 1e6
	b.ReportMetric(pairs/b.Elapsed().Seconds(), "Mpairs/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(pairs/cpu, "Mpairs/cpu-s") // steadier than wall time on a shared machine
	}
}

func BenchmarkJIT(b *testing.B) {
	for _, f := range jitBenchFormulas {
		for _, mode := range []string{"interp", "jit", "general"} {
			b.Run(fmt.Sprintf("%s/f64/%s", f.name, mode), func(b *testing.B) { benchJIT[float64](b, f.src, f.red, mode) })
			b.Run(fmt.Sprintf("%s/f32/%s", f.name, mode), func(b *testing.B) { benchJIT[float32](b, f.src, f.red, mode) })
		}
	}
}
