package core

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The standard workloads W1 (Gaussian sum), W2 (GMM LogSumExp), W5 (its
// gradient) and W3's formula at small dimension, dim 3, one thread, both
// dtypes: the side-by-side harness of the engine's speed work (run under
// `perf stat -e cycles:u` or callgrind on a loaded machine).
var workloadSpecs = []struct {
	name string
	spec Spec
	args []int // dimension of each argument, rows from M (i) or N (j) by cat
	cats []int // 0: i, 1: j, 2: parameter
}{
	{"W1", Spec{Formula: "Exp(-SqDist(x,y))*b", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "Sum", Axis: 1},
		[]int{3, 3, 1}, []int{0, 1, 1}},
	{"W2", Spec{Formula: "(-(g * SqNorm2(x - y))) + b", Aliases: []string{"g=Pm(1)", "x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "LogSumExp", Axis: 1},
		[]int{1, 3, 3, 1}, []int{2, 0, 1, 1}},
	{"W5", Spec{Formula: "Grad(Exp(-SqDist(x,y))*b, x, e)", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)", "e=Vi(1)"}, Reduction: "Sum", Axis: 1},
		[]int{3, 3, 1, 1}, []int{0, 1, 1, 0}},
	{"W3", Spec{Formula: "SqDist(x,y)", Aliases: []string{"x=Vi(3)", "y=Vj(3)"}, Reduction: "ArgKMin", Axis: 1, OptArg: 10},
		[]int{3, 3}, []int{0, 1}},
}

func benchWorkload[T float](b *testing.B, i, m, n int) {
	w := workloadSpecs[i]
	k, err := Compile(w.spec)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	c := &Call[T]{ArgBatch: make([][]int, len(w.args)), M: m, N: n, Workers: 1}
	for a, d := range w.args {
		rows := []int{m, n, 1}[w.cats[a]]
		v := make([]T, rows*d)
		for t := range v {
			v[t] = T(rng.NormFloat64())
		}
		if a == 0 && w.name == "W2" {
			v[0] = 0.5
		}
		c.Args = append(c.Args, v)
	}
	c.Vals = make([]T, m*k.ValsDim)
	c.Idx = make([]int64, m*k.IdxDim)
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		if err := Run(k, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpairs/s")
}

func BenchmarkWorkload(b *testing.B) {
	for i, w := range workloadSpecs {
		for _, size := range []int{2000} {
			b.Run(fmt.Sprintf("%s/f64/%d", w.name, size), func(b *testing.B) { benchWorkload[float64](b, i, size, size) })
			b.Run(fmt.Sprintf("%s/f32/%d", w.name, size), func(b *testing.B) { benchWorkload[float32](b, i, size, size) })
		}
	}
}
