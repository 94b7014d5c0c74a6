//go:build goexperiment.simd && amd64

package core

import (
	"math"
	"simd/archsimd"
)

// simdOK is checked at run time: the SIMD kernels need AVX2 and FMA; other
// x86 machines take the scalar loops.
var simdOK = archsimd.X86.AVX2() && archsimd.X86.FMA()

// Constants of the vector exp: x = k ln2 + r with |r| <= ln2/2, exp(r) by a
// Taylor polynomial (degree 13 in float64, 7 in float32), 2^k built in the
// exponent bits. k is split in two halves so that 2^k stays representable
// down to the subnormals and up to the overflow to +inf.
const (
	log2e     = 1.4426950408889634
	ln2Hi     = 0.6931471805599453
	ln2Lo     = 2.3190468138462996e-17
	magic64   = 6755399441055744.0 // 1.5 * 2^52: adding it rounds to an integer in the low bits
	magic32   = 12582912.0         // 1.5 * 2^23
	ln2Hi32   = 0.693359375
	ln2Lo32   = -2.12194440e-4
	expMin64  = -746.0
	expMax64  = 710.0
	expMin32  = -104.0
	expMax32  = 89.0
	bias64    = 1023 << 52
	bias32    = 127 << 23
	expTerms  = 14
	expTerms3 = 8
)

// expCoeffs64 are 1/n! from n = 13 down to 0, for Horner's scheme.
var expCoeffs64 = func() (c [expTerms]float64) {
	f := 1.0
	for n := 0; n < expTerms; n++ {
		if n > 0 {
			f *= float64(n)
		}
		c[expTerms-1-n] = 1 / f
	}
	return c
}()

var expCoeffs32 = func() (c [expTerms3]float32) {
	f := 1.0
	for n := 0; n < expTerms3; n++ {
		if n > 0 {
			f *= float64(n)
		}
		c[expTerms3-1-n] = float32(1 / f)
	}
	return c
}()

// pow2F64x4 is 2^k for integral k in [-1022, 1023], through the exponent bits.
func pow2F64x4(k archsimd.Float64x4) archsimd.Float64x4 {
	t := k.Add(archsimd.BroadcastFloat64x4(magic64))
	return t.AsInt64x4().ShiftAllLeft(52).Add(archsimd.BroadcastInt64x4(bias64)).AsFloat64x4()
}

// expF64x4 is exp on four float64s, within 1e-15 relative of math.Exp,
// with exp(NaN) = NaN, exp(+inf) = +inf, exp(-inf) = 0.
func expF64x4(x archsimd.Float64x4) archsimd.Float64x4 {
	xc := x.Max(archsimd.BroadcastFloat64x4(expMin64)).Min(archsimd.BroadcastFloat64x4(expMax64))
	k := xc.Mul(archsimd.BroadcastFloat64x4(log2e)).RoundToEven()
	r := k.MulAdd(archsimd.BroadcastFloat64x4(-ln2Hi), xc)
	r = k.MulAdd(archsimd.BroadcastFloat64x4(-ln2Lo), r)
	p := archsimd.BroadcastFloat64x4(expCoeffs64[0])
	for _, c := range expCoeffs64[1:] {
		p = p.MulAdd(r, archsimd.BroadcastFloat64x4(c))
	}
	k1 := k.Mul(archsimd.BroadcastFloat64x4(0.5)).Floor()
	res := p.Mul(pow2F64x4(k1)).Mul(pow2F64x4(k.Sub(k1)))
	return x.Merge(res, x.IsNaN())
}

func pow2F32x8(k archsimd.Float32x8) archsimd.Float32x8 {
	t := k.Add(archsimd.BroadcastFloat32x8(magic32))
	return t.AsInt32x8().ShiftAllLeft(23).Add(archsimd.BroadcastInt32x8(bias32)).AsFloat32x8()
}

// expF32x8 is exp on eight float32s, within 3e-7 relative of math.Exp.
func expF32x8(x archsimd.Float32x8) archsimd.Float32x8 {
	xc := x.Max(archsimd.BroadcastFloat32x8(expMin32)).Min(archsimd.BroadcastFloat32x8(expMax32))
	k := xc.Mul(archsimd.BroadcastFloat32x8(log2e)).RoundToEven()
	r := k.MulAdd(archsimd.BroadcastFloat32x8(-ln2Hi32), xc)
	r = k.MulAdd(archsimd.BroadcastFloat32x8(-ln2Lo32), r)
	p := archsimd.BroadcastFloat32x8(expCoeffs32[0])
	for _, c := range expCoeffs32[1:] {
		p = p.MulAdd(r, archsimd.BroadcastFloat32x8(c))
	}
	k1 := k.Mul(archsimd.BroadcastFloat32x8(0.5)).Floor()
	res := p.Mul(pow2F32x8(k1)).Mul(pow2F32x8(k.Sub(k1)))
	return x.Merge(res, x.IsNaN())
}

// expSlice is dst[t] = exp(x[t]).
func expSlice[T float](dst, x []T) {
	n := 0
	if simdOK {
		switch d := any(dst).(type) {
		case []float64:
			s := any(x).([]float64)
			for n = 0; n+4 <= len(d); n += 4 {
				expF64x4(archsimd.LoadFloat64x4Slice(s[n:])).StoreSlice(d[n:])
			}
		case []float32:
			s := any(x).([]float32)
			for n = 0; n+8 <= len(d); n += 8 {
				expF32x8(archsimd.LoadFloat32x8Slice(s[n:])).StoreSlice(d[n:])
			}
		}
	}
	for ; n < len(dst); n++ {
		dst[n] = T(math.Exp(float64(x[n])))
	}
}
