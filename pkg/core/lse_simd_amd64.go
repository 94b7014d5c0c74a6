//go:build goexperiment.simd && amd64

package core

import (
	"math"
	"simd/archsimd"
)

// tileExtremes returns the largest and the smallest value of x, NaNs
// ignored (-inf and +inf when x holds none).
func tileExtremes[T float](x []T) (hi, lo float64) {
	hi, lo = math.Inf(-1), math.Inf(1)
	t := 0
	if simdOK {
		var h, l [8]float64
		if isFloat64[T]() {
			t = extremes64(as64(x), &h, &l)
		} else {
			t = extremes32(as32(x), &h, &l)
		}
		for i := 0; i < 8 && t > 0; i++ { // no NaN lanes: extremes64/32 return 0 then
			hi, lo = max(hi, h[i]), min(lo, l[i])
		}
	}
	for _, v := range x[t:] {
		f := float64(v)
		if f > hi {
			hi = f
		}
		if f < lo {
			lo = f
		}
	}
	return hi, lo
}

func extremes64(x []float64, h, l *[8]float64) int {
	if len(x) < 4 {
		return 0
	}
	hi := archsimd.LoadFloat64x4Slice(x)
	lo := hi
	// Vector max and min drop a NaN met in the running lane (they return
	// the second operand), losing it and what came before: a tile with a
	// NaN is scanned one value at a time instead.
	num := hi.Equal(hi)
	t := 4
	for ; t+4 <= len(x); t += 4 {
		v := archsimd.LoadFloat64x4Slice(x[t:])
		hi, lo = hi.Max(v), lo.Min(v)
		num = num.And(v.Equal(v))
	}
	if num.ToBits()&0xf != 0xf {
		archsimd.ClearAVXUpperBits()
		return 0
	}
	hi.StoreSlice(h[:])
	lo.StoreSlice(l[:])
	hi.StoreSlice(h[4:])
	lo.StoreSlice(l[4:])
	archsimd.ClearAVXUpperBits()
	return t
}

func extremes32(x []float32, h, l *[8]float64) int {
	if len(x) < 8 {
		return 0
	}
	hi := archsimd.LoadFloat32x8Slice(x)
	lo := hi
	num := hi.Equal(hi) // see extremes64
	t := 8
	for ; t+8 <= len(x); t += 8 {
		v := archsimd.LoadFloat32x8Slice(x[t:])
		hi, lo = hi.Max(v), lo.Min(v)
		num = num.And(v.Equal(v))
	}
	if num.ToBits() != 0xff {
		archsimd.ClearAVXUpperBits()
		return 0
	}
	var hs, ls [8]float32
	hi.StoreSlice(hs[:])
	lo.StoreSlice(ls[:])
	archsimd.ClearAVXUpperBits()
	for i := range hs {
		h[i], l[i] = float64(hs[i]), float64(ls[i])
	}
	return t
}

// expShiftSum is sum_t exp(x_t - m) in one pass, each term exp(T(x_t - m)),
// without storing the terms: pairs of vectors in the generated loop (the
// exp inline), then the vector exp on what is left. Every x_t is at most m
// or NaN, and m is the largest term of the tile or of an earlier one, so
// that the row's sum is at least 1 (see writeProfile's "shift" loop).
func expShiftSum[T float](x []T, m T) (float64, bool) {
	if !simdOK {
		return 0, false
	}
	if isFloat64[T]() {
		return expShiftSum64(as64(x), float64(m)), true
	}
	return expShiftSum32(as32(x), float32(m)), true
}

func expShiftSum64(x []float64, m float64) float64 {
	var o [2][foldMaxDim][4]float64
	t := expShiftSumLoopF64(x, m, &o)
	bm := archsimd.BroadcastFloat64x4(m)
	var tail [2][4]float64
	if t+4 <= len(x) {
		expF64x4(archsimd.LoadFloat64x4Slice(x[t:]).Sub(bm)).Store(&tail[0])
		t += 4
	}
	if t < len(x) {
		expF64x4(archsimd.LoadFloat64x4SlicePart(x[t:]).Sub(bm)).Store(&tail[1])
	}
	archsimd.ClearAVXUpperBits()
	a, b := &o[0][0], &o[1][0]
	s := ((a[0] + b[0]) + (a[1] + b[1])) + ((a[2] + b[2]) + (a[3] + b[3]))
	s += (tail[0][0] + tail[0][1]) + (tail[0][2] + tail[0][3])
	for i := 0; t+i < len(x); i++ {
		s += tail[1][i]
	}
	return s
}

func expShiftSum32(x []float32, m float32) float64 {
	var o [2][4]float64
	t := expShiftSumLoopF32(x, m, &o)
	bm := archsimd.BroadcastFloat32x8(m)
	var tail [2][8]float32
	if t+8 <= len(x) {
		expF32x8(archsimd.LoadFloat32x8Slice(x[t:]).Sub(bm)).Store(&tail[0])
		t += 8
	}
	if t < len(x) {
		expF32x8(archsimd.LoadFloat32x8SlicePart(x[t:]).Sub(bm)).Store(&tail[1])
	}
	archsimd.ClearAVXUpperBits()
	a, b := &o[0], &o[1]
	s := ((a[0] + b[0]) + (a[1] + b[1])) + ((a[2] + b[2]) + (a[3] + b[3]))
	l := &tail[0]
	st := ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
	for i := 0; t+i < len(x); i++ {
		st += tail[1][i]
	}
	return s + float64(st)
}
