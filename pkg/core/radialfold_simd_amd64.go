//go:build goexperiment.simd && amd64

package core

import (
	"math"
	"simd/archsimd"
	"slices"
	"unsafe"
)

// foldBlock32 is the most columns whose terms a float32 loop adds in its
// float32 lanes in one call (32 per lane), as in a tile of tileSize.
const foldBlock32 = tileSize

// foldSIMD runs the generated loop of a radial fold over the tile (its
// last vector masked) and returns the lane sums (in the data's precision)
// and how many columns it took (the store mode: a.n, or 0 when the
// extremes are unknown); false when there is no loop for it. The loop
// stores its accumulators in a.lanes (in the frame: a local array handed
// to a function value would be allocated on every call).
func foldSIMD[T float](mode foldMode, prof profile, a *foldArgs[T], dim int, sums *[2][foldMaxDim]float64) (int, bool) {
	if !simdOK || dim > foldMaxDim || prof == profileNone || prof == profileAffine && mode != foldStore {
		return 0, false
	}
	if a.n == 0 {
		return 0, true // the loop would write no accumulator
	}
	if mode == foldStore {
		// sums[r][0] receives the largest of row r's terms, NaNs aside
		// (-inf when there is none), and sums[r][1] -inf: the loops do not
		// look for the smallest (LogSumExp, their one user, needs it only
		// with a weight, which the store mode never has). The loop returns
		// 0 when it could not tell the largest (a NaN term).
		var t int
		if isFloat64[T]() {
			o := (*[2][foldMaxDim][4]float64)(unsafe.Pointer(&a.lanes))
			t = foldKernelsF64[mode][prof][dim-1]((*foldArgs[float64])(unsafe.Pointer(a)), o)
			for r := range o {
				h := &o[r][0]
				sums[r][0] = max(max(h[0], h[1]), max(h[2], h[3]))
			}
		} else {
			o := (*[2][foldMaxDim][8]float32)(unsafe.Pointer(&a.lanes))
			t = foldKernelsF32[mode][prof][dim-1]((*foldArgs[float32])(unsafe.Pointer(a)), o)
			for r := range o {
				sums[r][0] = float64(slices.Max(o[r][0][:]))
			}
		}
		for r := range sums {
			sums[r][1] = math.Inf(-1)
		}
		return t, true
	}
	ncomp := 1
	if mode == foldDiff {
		ncomp = dim
	}
	if isFloat64[T]() {
		o := (*[2][foldMaxDim][4]float64)(unsafe.Pointer(&a.lanes))
		t := foldKernelsF64[mode][prof][dim-1]((*foldArgs[float64])(unsafe.Pointer(a)), o)
		for r := range o {
			for c := 0; c < ncomp; c++ {
				l := &o[r][c]
				sums[r][c] = (l[0] + l[1]) + (l[2] + l[3])
			}
		}
		return t, true
	}
	o := (*[2][foldMaxDim][8]float32)(unsafe.Pointer(&a.lanes))
	a32 := (*foldArgs[float32])(unsafe.Pointer(a))
	t := foldKernelsF32[mode][prof][dim-1](a32, o)
	for r := range o {
		for c := 0; c < ncomp; c++ {
			if mode == foldSym {
				l := &o[r][c]
				sums[r][c] = float64(((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])))
				continue
			}
			// The dot and diff loops add blocks of foldBlock32 columns in
			// float32, the blocks' lane sums in float64.
			l := &a32.wide[r][c]
			sums[r][c] = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
		}
	}
	return t, true
}

// expWideF64x4 finishes expF64x4 of x for its lanes beyond +-708: 2^k as
// two factors, reaching the subnormals and the overflow to +inf.
func expWideF64x4(x, p, k, res archsimd.Float64x4) archsimd.Float64x4 {
	out := x.Less(archsimd.BroadcastFloat64x4(-708)).Or(x.Greater(archsimd.BroadcastFloat64x4(708)))
	k1 := k.Mul(archsimd.BroadcastFloat64x4(0.5)).Floor()
	return p.Mul(pow2F64x4(k1)).Mul(pow2F64x4(k.Sub(k1))).Merge(res, out)
}

// expWideF32x8 is expWideF64x4 for expF32x8 (lanes beyond -87, 88).
func expWideF32x8(x, p, k, res archsimd.Float32x8) archsimd.Float32x8 {
	out := x.Less(archsimd.BroadcastFloat32x8(-87)).Or(x.Greater(archsimd.BroadcastFloat32x8(88)))
	k1 := k.Mul(archsimd.BroadcastFloat32x8(0.5)).Floor()
	return p.Mul(pow2F32x8(k1)).Mul(pow2F32x8(k.Sub(k1))).Merge(res, out)
}
