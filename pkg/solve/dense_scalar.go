//go:build !(goexperiment.simd && amd64)

package solve

// subCombo computes dst[j] -= sum_t l[t] src[t*stride+j] for j < w.
func subCombo(dst, l, src []float64, stride, w int) { subComboScalar(dst, l, src, stride, w) }

// dots4x2 sets out[2i+j] to a_i . b_j (all of the length of a0).
func dots4x2(out *[8]float64, a0, a1, a2, a3, b0, b1 []float64) {
	dots4x2Scalar(out, a0, a1, a2, a3, b0, b1)
}
