//go:build !(goexperiment.simd && amd64)

package core

// topkSIMD reports whether the fused selection runs: not in this build,
// where the block kernel's plain loops and kminReducer.fold do the work.
func topkSIMD[T float]() bool { return false }

// topkPanels is never called in this build (topkSIMD is false).
func topkPanels[T float](xs, yp []T, dim, p0, p1 int, xn, yn, thr, dist []T) (int, uint8) {
	panic("core: topkPanels without SIMD")
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

// packPanel copies len(panel)/dim rows of src (dim values each) into
// panel as columns, component-major: panel[k*pw+c] = src[c*dim+k].
func packPanel[T float](src []T, dim int, panel []T) {
	pw := len(panel) / dim
	for c := 0; c < pw; c++ {
		for k, v := range src[c*dim : (c+1)*dim] {
			panel[k*pw+c] = v
		}
	}
}
