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
