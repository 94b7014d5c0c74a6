//go:build unix

package core

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
)

// BenchmarkKNN times W3's kNN query (SqDist in dimension 100, ArgKMin
// K=10, float32): on one thread at a reduced size, and at W3's size on
// every core. It times the blocked distance kernel and the K-smallest
// selection. Besides the wall time it reports
// the process' CPU time per call (cpu-ms/op), which a shared machine
// disturbs far less.
func BenchmarkKNN(b *testing.B) {
	const dim = 100
	for _, sz := range [][3]int{{1024, 50000, 1}, {10000, 100000, 0}} {
		m, n, workers := sz[0], sz[1], sz[2]
		b.Run(fmt.Sprintf("f32/%dx%d/workers=%d", m, n, workers), func(b *testing.B) {
			k, err := Compile(Spec{Formula: "SqDist(x,y)", Aliases: []string{"x=Vi(100)", "y=Vj(100)"},
				Reduction: "ArgKMin", Axis: 1, OptArg: 10})
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			x, y := make([]float32, m*dim), make([]float32, n*dim)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			for i := range y {
				y[i] = float32(rng.NormFloat64())
			}
			c := &Call[float32]{Args: [][]float32{x, y}, ArgBatch: make([][]int, 2), M: m, N: n, Workers: workers,
				Idx: make([]int64, m*10)}
			b.ResetTimer()
			c0 := cpuTime()
			for it := 0; it < b.N; it++ {
				if err := Run(k, c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuTime()-c0)/float64(b.N)*1e3, "cpu-ms/op")
			b.ReportMetric(2*float64(m)*float64(n)*dim*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// cpuTime is the process' user and system time in seconds.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
