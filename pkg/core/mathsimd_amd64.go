//go:build goexperiment.simd && amd64

package core

import "simd/archsimd"

// simdOK is checked at run time: the SIMD kernels need AVX2 and FMA; other
// x86 machines take the scalar loops.
//
// Every SIMD kernel ends with archsimd.ClearAVXUpperBits (VZEROUPPER) before
// it returns or runs scalar code: Go's scalar float code is SSE, and SSE
// instructions after AVX code that left the upper halves of the vector
// registers dirty pay a state transition each (hundreds of cycles on this
// kind of machine).
var simdOK = archsimd.X86.AVX2() && archsimd.X86.FMA()

// Constants of the vector exp: x = k ln2 + r with |r| <= ln2/2, exp(r) by a
// Taylor polynomial (degree 13 in float64, 7 in float32), 2^k built in the
// exponent bits. k is split in two halves so that 2^k stays representable
// down to the subnormals and up to the overflow to +inf.
const (
	log2e    = 1.4426950408889634
	ln2Hi    = 0.6931471805599453
	ln2Lo    = 2.3190468138462996e-17
	magic64  = 6755399441055744.0 // 1.5 * 2^52: adding it rounds to an integer in the low bits
	magic32  = 12582912.0         // 1.5 * 2^23
	ln2Hi32  = 0.693359375
	ln2Lo32  = -2.12194440e-4
	expMin64 = -746.0
	expMax64 = 710.0
	expMin32 = -104.0
	expMax32 = 89.0
	bias64   = 1023 << 52
	bias32   = 127 << 23
)

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
	// The Taylor polynomial sum_{i<=13} r^i/i! by Estrin's scheme: pairs,
	// then pairs of pairs with r^2, r^4, r^8. Its dependency chain is 5
	// multiply-adds deep instead of Horner's 13, so consecutive vectors
	// overlap in the pipeline.
	b := archsimd.BroadcastFloat64x4
	r2 := r.Mul(r)
	r4 := r2.Mul(r2)
	r8 := r4.Mul(r4)
	q0 := r.Add(b(1))
	q1 := r.MulAdd(b(1.0/6), b(0.5))
	q2 := r.MulAdd(b(1.0/120), b(1.0/24))
	q3 := r.MulAdd(b(1.0/5040), b(1.0/720))
	q4 := r.MulAdd(b(1.0/362880), b(1.0/40320))
	q5 := r.MulAdd(b(1.0/39916800), b(1.0/3628800))
	q6 := r.MulAdd(b(1.0/6227020800), b(1.0/479001600))
	s0 := q1.MulAdd(r2, q0)
	s1 := q3.MulAdd(r2, q2)
	s2 := q5.MulAdd(r2, q4)
	u0 := s1.MulAdd(r4, s0)
	u1 := q6.MulAdd(r4, s2)
	p := u1.MulAdd(r8, u0)
	// Scale by 2^k by adding k to the exponent bits of p: exact while the
	// result is a normal number (|x| <= 708). Lanes beyond take two factors
	// 2^(k/2), which reach the subnormals and the overflow to +inf.
	res := p.AsInt64x4().Add(k.Add(b(magic64)).AsInt64x4().ShiftAllLeft(52)).AsFloat64x4()
	if out := x.Less(b(-708)).Or(x.Greater(b(708))); out.ToBits() != 0 {
		k1 := k.Mul(b(0.5)).Floor()
		res = p.Mul(pow2F64x4(k1)).Mul(pow2F64x4(k.Sub(k1))).Merge(res, out)
	}
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
	b := archsimd.BroadcastFloat32x8
	p := b(1.0/5040).MulAdd(r, b(1.0/720))
	p = p.MulAdd(r, b(1.0/120))
	p = p.MulAdd(r, b(1.0/24))
	p = p.MulAdd(r, b(1.0/6))
	p = p.MulAdd(r, b(0.5))
	p = p.MulAdd(r, b(1))
	p = p.MulAdd(r, b(1))
	// As in expF64x4: an exponent add while the result is normal.
	res := p.AsInt32x8().Add(k.Add(b(magic32)).AsInt32x8().ShiftAllLeft(23)).AsFloat32x8()
	if out := x.Less(b(-87)).Or(x.Greater(b(88))); out.ToBits() != 0 {
		k1 := k.Mul(b(0.5)).Floor()
		res = p.Mul(pow2F32x8(k1)).Mul(pow2F32x8(k.Sub(k1))).Merge(res, out)
	}
	return x.Merge(res, x.IsNaN())
}

// sqDistAddSIMD is out[t] += (s - y[t])^2.
func sqDistAddSIMD[T float](out []T, s T, y []T) bool {
	if !simdOK {
		return false
	}
	if isFloat64[T]() {
		o, ys, sv := as64(out), as64(y), float64(s)
		bs := archsimd.BroadcastFloat64x4(sv)
		n := 0
		for ; n+4 <= len(o); n += 4 {
			d := bs.Sub(archsimd.LoadFloat64x4Slice(ys[n:]))
			d.MulAdd(d, archsimd.LoadFloat64x4Slice(o[n:])).StoreSlice(o[n:])
		}
		archsimd.ClearAVXUpperBits() // the tail and the caller are SSE code
		for ; n < len(o); n++ {
			d := sv - ys[n]
			o[n] += d * d
		}
	} else {
		o, ys, sv := as32(out), as32(y), float32(s)
		bs := archsimd.BroadcastFloat32x8(sv)
		n := 0
		for ; n+8 <= len(o); n += 8 {
			d := bs.Sub(archsimd.LoadFloat32x8Slice(ys[n:]))
			d.MulAdd(d, archsimd.LoadFloat32x8Slice(o[n:])).StoreSlice(o[n:])
		}
		archsimd.ClearAVXUpperBits() // the tail and the caller are SSE code
		for ; n < len(o); n++ {
			d := sv - ys[n]
			o[n] += d * d
		}
	}
	return true
}

// sumSIMD is the sum of x in float64 (x float64) or float32 (x float32),
// with several partial sums (it is a block sum, not sequential).
func sumSIMD[T float](x []T) (float64, bool) {
	if !simdOK {
		return 0, false
	}
	if isFloat64[T]() {
		a := as64(x)
		var acc archsimd.Float64x4
		n := 0
		for ; n+4 <= len(a); n += 4 {
			acc = acc.Add(archsimd.LoadFloat64x4Slice(a[n:]))
		}
		var lanes [4]float64
		acc.Store(&lanes)
		archsimd.ClearAVXUpperBits() // what follows is SSE code
		s := (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
		for ; n < len(a); n++ {
			s += a[n]
		}
		return s, true
	} else {
		a := as32(x)
		var acc archsimd.Float32x8
		n := 0
		for ; n+8 <= len(a); n += 8 {
			acc = acc.Add(archsimd.LoadFloat32x8Slice(a[n:]))
		}
		var lanes [8]float32
		acc.Store(&lanes)
		archsimd.ClearAVXUpperBits() // what follows is SSE code
		s := ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
		for ; n < len(a); n++ {
			s += a[n]
		}
		return float64(s), true
	}
}
