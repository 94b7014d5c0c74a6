package solve

import (
	"math"
	"testing"
)

func TestDenseKernelsMatchNaiveLoops(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {3, 5}, {7, 37}, {10, 1300}, {13, 2100}} {
		m, n := sz[0], sz[1]
		x := randVec(m*n, uint64(m*n))
		// Gram matrix.
		g := gramRows(x, m, n)
		for s := 0; s < m; s++ {
			for u := 0; u < m; u++ {
				var want float64
				for k := 0; k < n; k++ {
					want += x[s*n+k] * x[u*n+k]
				}
				if math.Abs(g[s*m+u]-want) > 1e-12*float64(n) {
					t.Fatalf("m=%d n=%d: G[%d,%d] = %g, want %g", m, n, s, u, g[s*m+u], want)
				}
			}
		}
		// Forward substitution by a well-conditioned lower triangular L.
		l := make([]float64, m*m)
		for s := 0; s < m; s++ {
			for u := 0; u < s; u++ {
				l[s*m+u] = 0.1 * x[(s*m+u)%len(x)]
			}
			l[s*m+s] = 1 + x[s]
		}
		y := append([]float64(nil), x...)
		forwardSubst(l, m, y, n)
		for s := 0; s < m; s++ { // check L y = x
			for k := 0; k < n; k++ {
				var ly float64
				for u := 0; u <= s; u++ {
					ly += l[s*m+u] * y[u*n+k]
				}
				if math.Abs(ly-x[s*n+k]) > 1e-12 {
					t.Fatalf("m=%d n=%d: (L y)[%d,%d] = %g, want %g", m, n, s, k, ly, x[s*n+k])
				}
			}
		}
	}
}
