package solve

import (
	"fmt"
	"testing"
)

// The O(N m^2) kernels of the Nystrom set-up at the sizes of a large solve
// (per column block); flops are 2 N m^2 / 2 for each.
func BenchmarkNystromDense(b *testing.B) {
	for _, m := range []int{1000, 2000} {
		n := 8192
		x := randVec(m*n, 1)
		l := make([]float64, m*m)
		for s := 0; s < m; s++ {
			for u := 0; u < s; u++ {
				l[s*m+u] = 1e-3
			}
			l[s*m+s] = 1
		}
		flops := float64(n) * float64(m) * float64(m)
		b.Run(fmt.Sprintf("subst/m=%d", m), func(b *testing.B) {
			y := make([]float64, len(x))
			for range b.N {
				copy(y, x)
				forwardSubst(l, m, y, n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFlops")
		})
		b.Run(fmt.Sprintf("gram/m=%d", m), func(b *testing.B) {
			for range b.N {
				gramRows(x, m, n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFlops")
		})
	}
}
