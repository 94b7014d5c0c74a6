//go:build !(goexperiment.simd && amd64)

package core

// topkSIMD reports whether the fused selection runs: not in this build,
// where the block kernel's plain loops and kminReducer.fold do the work.
func topkSIMD[T float]() bool { return false }

// topkPanel is never called in this build (topkSIMD is false).
func topkPanel[T float](xs, yp []T, dim int, xn, yn, thr, dist []T) uint8 {
	panic("core: topkPanel without SIMD")
}

// panelNorms sets yn[c] to the sum over k of panel[k*pw+c]^2, in component
// order.
func panelNorms[T float](panel, yn []T, dim int) {
	pw := len(yn)
	clear(yn)
	for k := 0; k < dim; k++ {
		for c, v := range panel[k*pw : (k+1)*pw] {
			yn[c] += v * v
		}
	}
}
