package core

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkGaussSum is workload W1 (Gaussian kernel sum, dim 3) at M=N=1e4.
func BenchmarkGaussSum(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	m, n := 10000, 10000
	x, y, w := randn(rng, 3*m), randn(rng, 3*n), randn(rng, n)
	k, err := Compile(Spec{Formula: "Exp(-SqDist(x,y))*b", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "Sum", Axis: 1})
	if err != nil {
		b.Fatal(err)
	}
	out := make([]float64, m)
	c := &Call[float64]{Args: [][]float64{x, y, w}, ArgBatch: make([][]int, 3), M: m, N: n, Vals: out}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Run(k, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpairs/s")
}

// BenchmarkSmallCall is workload W6 (call overhead) at M=N=10.
func BenchmarkSmallCall(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	m, n := 10, 10
	x, y, w := randn(rng, 3*m), randn(rng, 3*n), randn(rng, n)
	k, _ := Compile(Spec{Formula: "Exp(-SqDist(x,y))*b", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "Sum", Axis: 1})
	out := make([]float64, m)
	c := &Call[float64]{Args: [][]float64{x, y, w}, ArgBatch: make([][]int, 3), M: m, N: n, Vals: out}
	for i := 0; i < b.N; i++ {
		if err := Run(k, c); err != nil {
			b.Fatal(err)
		}
	}
}
