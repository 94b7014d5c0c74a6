package solve

import (
	"runtime"
	"sync"
)

// The O(N m^2) steps of the Nystrom set-up, on matrices stored with N, the
// long dimension, contiguous (m rows of N values): a forward substitution
// and a Gram matrix, split over goroutines by blocks of columns. The
// micro-kernels (subCombo, dots4x2) have an AVX2+FMA version
// (dense_simd_amd64.go) and a portable one (dense_scalar.go).

const (
	substBlock = 256  // columns per forward-substitution block: m rows of it stay in L2
	gramBlock  = 1024 // columns per Gram block: six rows of it stay in L1
)

// parallelBlocks runs f on the blocks [lo, hi) of [0, n) of size bs, on
// GOMAXPROCS goroutines; f receives its worker number.
func parallelBlocks(n, bs int, f func(w, lo, hi int)) int {
	return parallelBlocksN(n, bs, runtime.GOMAXPROCS(0), f)
}

// parallelBlocksN is parallelBlocks on at most maxWorkers goroutines; it
// returns how many ran.
func parallelBlocksN(n, bs, maxWorkers int, f func(w, lo, hi int)) int {
	nb := (n + bs - 1) / bs
	workers := max(1, min(maxWorkers, nb))
	var wg sync.WaitGroup
	var next sync.Mutex
	k := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				b := k
				k++
				next.Unlock()
				if b >= nb {
					return
				}
				f(w, b*bs, min(n, (b+1)*bs))
			}
		}()
	}
	wg.Wait()
	return workers
}

// forwardSubst overwrites X (m rows of n values, row stride n) with L^-1 X,
// L lower triangular m x m (row-major).
func forwardSubst(l []float64, m int, x []float64, n int) {
	parallelBlocks(n, substBlock, func(_, lo, hi int) {
		w := hi - lo
		for s := 0; s < m; s++ {
			row := x[s*n+lo : s*n+hi]
			if s > 0 {
				subCombo(row, l[s*m:s*m+s], x[lo:], n, w)
			}
			inv := 1 / l[s*m+s]
			for j := range row {
				row[j] *= inv
			}
		}
	})
}

// gramRows returns the m x m matrix G[s][t] = x_s . x_t of the m rows of x
// (n values each, row stride n), full (both triangles).
func gramRows(x []float64, m, n int) []float64 {
	workers := max(1, min(runtime.GOMAXPROCS(0), (n+gramBlock-1)/gramBlock))
	parts := make([][]float64, workers)
	for w := range parts {
		parts[w] = make([]float64, m*m)
	}
	parallelBlocks(n, gramBlock, func(w, lo, hi int) {
		g := parts[w]
		var out [8]float64
		for s := 0; s < m; s += 4 {
			s4 := min(4, m-s)
			var a [4][]float64
			for k := range a {
				a[k] = x[min(s+k, m-1)*n+lo : min(s+k, m-1)*n+hi]
			}
			for t := 0; t < s+s4; t += 2 {
				b0 := x[t*n+lo : t*n+hi]
				b1 := x[min(t+1, m-1)*n+lo : min(t+1, m-1)*n+hi]
				dots4x2(&out, a[0], a[1], a[2], a[3], b0, b1)
				for i := 0; i < s4; i++ {
					for j := 0; j < 2 && t+j < m; j++ {
						if t+j <= s+i {
							g[(s+i)*m+t+j] += out[2*i+j]
						}
					}
				}
			}
		}
	})
	g := parts[0]
	for _, p := range parts[1:] {
		for k := range g {
			g[k] += p[k]
		}
	}
	for s := 0; s < m; s++ {
		for t := s + 1; t < m; t++ {
			g[s*m+t] = g[t*m+s]
		}
	}
	return g
}

// subComboScalar is subCombo in plain Go.
func subComboScalar(dst, l, src []float64, stride, w int) {
	for t, c := range l {
		row := src[t*stride : t*stride+w]
		for j := range dst[:w] {
			dst[j] -= c * row[j]
		}
	}
}

// dots4x2Scalar is dots4x2 in plain Go.
func dots4x2Scalar(out *[8]float64, a0, a1, a2, a3, b0, b1 []float64) {
	n := len(a0)
	var s [8]float64
	a1, a2, a3, b0, b1 = a1[:n], a2[:n], a3[:n], b0[:n], b1[:n]
	for k := 0; k < n; k++ {
		x0, x1 := b0[k], b1[k]
		s[0] += a0[k] * x0
		s[1] += a0[k] * x1
		s[2] += a1[k] * x0
		s[3] += a1[k] * x1
		s[4] += a2[k] * x0
		s[5] += a2[k] * x1
		s[6] += a3[k] * x0
		s[7] += a3[k] * x1
	}
	*out = s
}
