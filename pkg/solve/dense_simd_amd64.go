//go:build goexperiment.simd && amd64

package solve

import "simd/archsimd"

var simdOK = archsimd.X86.AVX2() && archsimd.X86.FMA()

// subCombo computes dst[j] -= sum_t l[t] src[t*stride+j] for j < w: sixteen
// columns at a time in four AVX2 accumulators, the scalar loop for the rest.
func subCombo(dst, l, src []float64, stride, w int) {
	if !simdOK {
		subComboScalar(dst, l, src, stride, w)
		return
	}
	j := 0
	for ; j+16 <= w; j += 16 {
		var a0, a1, a2, a3 archsimd.Float64x4
		for t, c := range l {
			cv := archsimd.BroadcastFloat64x4(c)
			row := src[t*stride+j : t*stride+j+16]
			a0 = cv.MulAdd(archsimd.LoadFloat64x4Slice(row), a0)
			a1 = cv.MulAdd(archsimd.LoadFloat64x4Slice(row[4:]), a1)
			a2 = cv.MulAdd(archsimd.LoadFloat64x4Slice(row[8:]), a2)
			a3 = cv.MulAdd(archsimd.LoadFloat64x4Slice(row[12:]), a3)
		}
		d := dst[j : j+16]
		archsimd.LoadFloat64x4Slice(d).Sub(a0).StoreSlice(d)
		archsimd.LoadFloat64x4Slice(d[4:]).Sub(a1).StoreSlice(d[4:])
		archsimd.LoadFloat64x4Slice(d[8:]).Sub(a2).StoreSlice(d[8:])
		archsimd.LoadFloat64x4Slice(d[12:]).Sub(a3).StoreSlice(d[12:])
	}
	archsimd.ClearAVXUpperBits()
	if j < w {
		subComboScalar(dst[j:], l, src[j:], stride, w-j)
	}
}

// dots4x2 sets out[2i+j] to a_i . b_j (all of the length of a0): eight AVX2
// accumulators, four values of each row per step.
func dots4x2(out *[8]float64, a0, a1, a2, a3, b0, b1 []float64) {
	if !simdOK {
		dots4x2Scalar(out, a0, a1, a2, a3, b0, b1)
		return
	}
	n := len(a0)
	a1, a2, a3, b0, b1 = a1[:n], a2[:n], a3[:n], b0[:n], b1[:n]
	var s00, s01, s10, s11, s20, s21, s30, s31 archsimd.Float64x4
	k := 0
	for ; k+4 <= n; k += 4 {
		y0 := archsimd.LoadFloat64x4Slice(b0[k:])
		y1 := archsimd.LoadFloat64x4Slice(b1[k:])
		x := archsimd.LoadFloat64x4Slice(a0[k:])
		s00, s01 = x.MulAdd(y0, s00), x.MulAdd(y1, s01)
		x = archsimd.LoadFloat64x4Slice(a1[k:])
		s10, s11 = x.MulAdd(y0, s10), x.MulAdd(y1, s11)
		x = archsimd.LoadFloat64x4Slice(a2[k:])
		s20, s21 = x.MulAdd(y0, s20), x.MulAdd(y1, s21)
		x = archsimd.LoadFloat64x4Slice(a3[k:])
		s30, s31 = x.MulAdd(y0, s30), x.MulAdd(y1, s31)
	}
	var buf [4]float64
	for i, v := range [8]archsimd.Float64x4{s00, s01, s10, s11, s20, s21, s30, s31} {
		v.Store(&buf)
		out[i] = (buf[0] + buf[1]) + (buf[2] + buf[3])
	}
	archsimd.ClearAVXUpperBits()
	for ; k < n; k++ {
		out[0] += a0[k] * b0[k]
		out[1] += a0[k] * b1[k]
		out[2] += a1[k] * b0[k]
		out[3] += a1[k] * b1[k]
		out[4] += a2[k] * b0[k]
		out[5] += a2[k] * b1[k]
		out[6] += a3[k] * b0[k]
		out[7] += a3[k] * b1[k]
	}
}
