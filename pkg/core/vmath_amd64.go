//go:build goexperiment.simd && amd64

package core

import (
	"math"
	"simd/archsimd"
)

// Vector math on AVX2+FMA lanes, used by the generated SIMD kernels
// (kernels_*_simd_gen_amd64.go). The float64 functions follow the algorithms
// and the operation order of Go's math package (plain multiply and add, no
// fused multiply-add), so that on normal inputs they return the same bits as
// math; lanes the vector code does not cover (huge sine arguments, powers
// leaving the normal range, the special cases of Atan2) are recomputed with
// math. The float32 forms widen to float64 lanes and round back, which gives
// float32(math.F(float64(x))) exactly; exp (mathsimd_amd64.go) and log have
// native float32 forms instead, within 3e-7.

// Lane helpers.

func bcast64(v float64) archsimd.Float64x4 { return archsimd.BroadcastFloat64x4(v) }
func bcast32(v float32) archsimd.Float32x8 { return archsimd.BroadcastFloat32x8(v) }

// The scalar SSE instructions the compiler emits for some float64 values
// (XORPS for the constant 0, MOVQ for NaN and Inf, MOVUPS to spill a
// float64 loaded from a variable) cost a state transition each in the
// middle of AVX code, hundreds of cycles on this kind of machine: vector
// zeros, NaNs and infinities are built from integer lanes instead, and
// polynomial coefficients are constants (rematerialised, never spilled).

// zero64 is a vector of +0.
func zero64() archsimd.Float64x4 { return archsimd.Float64x4{} }

// bits64 is a vector of the float64 with bit pattern b (NaN, ±Inf).
func bits64(b uint64) archsimd.Float64x4 { return archsimd.BroadcastUint64x4(b).AsFloat64x4() }

// bits32 is a vector of the float32 with bit pattern b.
func bits32(b uint32) archsimd.Float32x8 { return archsimd.BroadcastUint32x8(b).AsFloat32x8() }

const (
	nan64    = 0x7FF8000000000001 // math.NaN's bits
	posInf64 = 0x7FF0000000000000
	negInf64 = 0xFFF0000000000000
	nan32    = 0x7FC00000
	posInf32 = 0x7F800000
	negInf32 = 0xFF800000
)

// pick64 is m ? a : b per lane.
func pick64(m archsimd.Mask64x4, a, b archsimd.Float64x4) archsimd.Float64x4 { return a.Merge(b, m) }

// pick32 is m ? a : b per lane.
func pick32(m archsimd.Mask32x8, a, b archsimd.Float32x8) archsimd.Float32x8 { return a.Merge(b, m) }

const (
	signMask64 = 1 << 63
	signMask32 = 1 << 31
)

// signBits64 is the sign bit of each lane.
func signBits64(x archsimd.Float64x4) archsimd.Uint64x4 {
	return x.AsUint64x4().And(archsimd.BroadcastUint64x4(signMask64))
}

// flipSign64 flips the sign of the lanes whose bit 63 is set in s.
func flipSign64(x archsimd.Float64x4, s archsimd.Uint64x4) archsimd.Float64x4 {
	return x.AsUint64x4().Xor(s).AsFloat64x4()
}

// absF64x4 clears the sign bits (math.Abs).
func absF64x4(x archsimd.Float64x4) archsimd.Float64x4 {
	return x.AsUint64x4().AndNot(archsimd.BroadcastUint64x4(signMask64)).AsFloat64x4()
}

// absF32x8 clears the sign bits (math.Abs).
func absF32x8(x archsimd.Float32x8) archsimd.Float32x8 {
	return x.AsUint32x8().AndNot(archsimd.BroadcastUint32x8(signMask32)).AsFloat32x8()
}

// negF64x4 flips the sign bits (-x, so -(+0) is -0).
func negF64x4(x archsimd.Float64x4) archsimd.Float64x4 {
	return x.AsUint64x4().Xor(archsimd.BroadcastUint64x4(signMask64)).AsFloat64x4()
}

// negF32x8 flips the sign bits (-x, so -(+0) is -0).
func negF32x8(x archsimd.Float32x8) archsimd.Float32x8 {
	return x.AsUint32x8().Xor(archsimd.BroadcastUint32x8(signMask32)).AsFloat32x8()
}

// widenF32x8 converts eight float32 lanes to two vectors of float64 (exact).
func widenF32x8(x archsimd.Float32x8) (lo, hi archsimd.Float64x4) {
	return x.GetLo().ConvertToFloat64(), x.GetHi().ConvertToFloat64()
}

// narrowF64x4 rounds two vectors of float64 to eight float32 lanes, to
// nearest even as float32(v) does.
func narrowF64x4(lo, hi archsimd.Float64x4) archsimd.Float32x8 {
	var r archsimd.Float32x8
	return r.SetLo(lo.ConvertToFloat32()).SetHi(hi.ConvertToFloat32())
}

// loadColF64x4 is the 4 values of a tile column from t on, or its single
// value broadcast when the column has length 1 (a per-row value).
func loadColF64x4(s []float64, t int) archsimd.Float64x4 {
	if len(s) == 1 {
		return bcast64(s[0])
	}
	return archsimd.LoadFloat64x4Slice(s[t:])
}

// loadColPartF64x4 is loadColF64x4 for the last, partial vector (missing
// lanes are zero).
func loadColPartF64x4(s []float64, t int) archsimd.Float64x4 {
	if len(s) == 1 {
		return bcast64(s[0])
	}
	return archsimd.LoadFloat64x4SlicePart(s[t:])
}

// loadColF32x8 is loadColF64x4 for float32.
func loadColF32x8(s []float32, t int) archsimd.Float32x8 {
	if len(s) == 1 {
		return bcast32(s[0])
	}
	return archsimd.LoadFloat32x8Slice(s[t:])
}

// loadColPartF32x8 is loadColPartF64x4 for float32.
func loadColPartF32x8(s []float32, t int) archsimd.Float32x8 {
	if len(s) == 1 {
		return bcast32(s[0])
	}
	return archsimd.LoadFloat32x8SlicePart(s[t:])
}

// patchF64x4 recomputes with f the lanes of r whose bit is set in bad.
// Callers test bad != 0 first, so the common path stays a branch.
func patchF64x4(r, x archsimd.Float64x4, bad uint8, f func(float64) float64) archsimd.Float64x4 {
	var xs, rs [4]float64
	x.Store(&xs)
	r.Store(&rs)
	archsimd.ClearAVXUpperBits() // f is scalar SSE code
	for i := range rs {
		if bad>>i&1 != 0 {
			rs[i] = f(xs[i])
		}
	}
	return archsimd.LoadFloat64x4(&rs)
}

// Logarithm: the FreeBSD algorithm of math.Log, in the operation order of
// its amd64 assembly, plus a scaling of subnormal inputs (which that
// assembly gets wrong: it reads their exponent as -1022).

const (
	logLn2Hi = 6.93147180369123816490e-01 // 0x3fe62e42fee00000
	logLn2Lo = 1.90821492927058770002e-10 // 0x3dea39ef35793c76
	logL1    = 6.666666666666735130e-01   // 0x3FE5555555555593
	logL2    = 3.999999999940941908e-01   // 0x3FD999999997FA04
	logL3    = 2.857142874366239149e-01   // 0x3FD2492494229359
	logL4    = 2.222219843214978396e-01   // 0x3FCC71C51D8E78AF
	logL5    = 1.818357216161805012e-01   // 0x3FC7466496CB03DE
	logL6    = 1.531383769920937332e-01   // 0x3FC39A09D078C69F
	logL7    = 1.479819860511658591e-01   // 0x3FC2F112DF3E5244
	minNorm  = 0x1p-1022                  // smallest normal float64
	magicExp = 0x1p52                     // or-ing an integer below 2^52 into its mantissa bits makes 2^52+k
)

// logF64x4 is math.Log on four lanes, with log of a subnormal correct.
func logF64x4(x archsimd.Float64x4) archsimd.Float64x4 {
	sub := x.Less(bcast64(minNorm))
	xs := pick64(sub, x.Mul(bcast64(0x1p54)), x)
	bits := xs.AsUint64x4()
	// ShiftRight by a vector: ShiftAllRight(52) loads its count with a scalar MOVQ.
	e := bits.ShiftRight(archsimd.BroadcastUint64x4(52)).And(archsimd.BroadcastUint64x4(0x7ff))
	f1 := bits.And(archsimd.BroadcastUint64x4(1<<52 - 1)).Or(archsimd.BroadcastUint64x4(0x3FE0000000000000)).AsFloat64x4()
	k := e.Or(archsimd.BroadcastUint64x4(0x4330000000000000)).AsFloat64x4().Sub(bcast64(magicExp + 1022))
	k = k.Sub(bcast64(54).Masked(sub))
	// f1 <= sqrt(2)/2: one more halving of the mantissa (the assembly's <=).
	small := f1.LessEqual(bcast64(math.Sqrt2 / 2))
	one := bcast64(1)
	k = k.Sub(one.Masked(small))
	f1 = pick64(small, f1.Add(f1), f1)
	f := f1.Sub(one)
	s := f.Div(bcast64(2).Add(f))
	s2 := s.Mul(s)
	s4 := s2.Mul(s2)
	t1 := s4.Mul(bcast64(logL7)).Add(bcast64(logL5)).Mul(s4).Add(bcast64(logL3)).Mul(s4).Add(bcast64(logL1)).Mul(s2)
	t2 := s4.Mul(bcast64(logL6)).Add(bcast64(logL4)).Mul(s4).Add(bcast64(logL2)).Mul(s4)
	r := t1.Add(t2)
	hfsq := bcast64(0.5).Mul(f).Mul(f)
	inner := hfsq.Sub(s.Mul(hfsq.Add(r)).Add(k.Mul(bcast64(logLn2Lo)))).Sub(f)
	res := k.Mul(bcast64(logLn2Hi)).Sub(inner)
	// Special cases: log(x<0) = NaN, log(±0) = -Inf, log(+Inf) = +Inf, log(NaN) = NaN.
	zero := zero64()
	res = pick64(x.Less(zero), bits64(nan64), res)
	res = pick64(x.Equal(zero), bits64(negInf64), res)
	return pick64(x.IsNaN().Or(x.Equal(bits64(posInf64))), x, res)
}

// The float32 logarithm is native, eight lanes at a time: FreeBSD's
// e_logf.c, the same reduction as above with a degree-4 polynomial in s^2
// (error below 2^-34) and ln2 split for float32.

const (
	logfLn2Hi = 6.9313812256e-01 // 0x3f317180
	logfLn2Lo = 9.0580006145e-06 // 0x3717f7d1
	logfLg1   = 0xaaaaaa.0p-24   // 0.66666662693
	logfLg2   = 0xccce13.0p-25   // 0.40000972152
	logfLg3   = 0x91e9ee.0p-25   // 0.28498786688
	logfLg4   = 0xf89e26.0p-26   // 0.24279078841
	minNorm32 = 0x1p-126         // smallest normal float32
)

// logF32x8 is log on eight float32 lanes, within 3e-7 relative of
// float32(math.Log(float64(x))), subnormals included.
func logF32x8(x archsimd.Float32x8) archsimd.Float32x8 {
	sub := x.Less(bcast32(minNorm32))
	xs := pick32(sub, x.Mul(bcast32(0x1p25)), x)
	bits := xs.AsUint32x8()
	e := bits.ShiftRight(archsimd.BroadcastUint32x8(23)).And(archsimd.BroadcastUint32x8(0xff))
	f1 := bits.And(archsimd.BroadcastUint32x8(1<<23 - 1)).Or(archsimd.BroadcastUint32x8(0x3F000000)).AsFloat32x8()
	k := e.AsInt32x8().Sub(archsimd.BroadcastInt32x8(126)).ConvertToFloat32()
	k = k.Sub(bcast32(25).Masked(sub))
	small := f1.LessEqual(bcast32(math.Sqrt2 / 2))
	one := bcast32(1)
	k = k.Sub(one.Masked(small))
	f1 = pick32(small, f1.Add(f1), f1)
	f := f1.Sub(one)
	s := f.Div(bcast32(2).Add(f))
	z := s.Mul(s)
	w := z.Mul(z)
	t1 := w.Mul(bcast32(logfLg4)).Add(bcast32(logfLg2)).Mul(w)
	t2 := w.Mul(bcast32(logfLg3)).Add(bcast32(logfLg1)).Mul(z)
	r := t2.Add(t1)
	hfsq := bcast32(0.5).Mul(f).Mul(f)
	inner := hfsq.Sub(s.Mul(hfsq.Add(r)).Add(k.Mul(bcast32(logfLn2Lo)))).Sub(f)
	res := k.Mul(bcast32(logfLn2Hi)).Sub(inner)
	zero := archsimd.Float32x8{}
	res = pick32(x.Less(zero), bits32(nan32), res)
	res = pick32(x.Equal(zero), bits32(negInf32), res)
	return pick32(x.IsNaN().Or(x.Equal(bits32(posInf32))), x, res)
}

// Integer powers: math.Pow(x, n) with n integral multiplies normalised
// mantissas by repeated squaring and keeps the binary exponent apart. The
// same products on the full values round identically as long as every one
// of them is a normal number, which holds when the result is (the
// intermediate values lie between 1 and the result); lanes whose result is
// not comfortably normal (zero, Inf, NaN, huge or tiny) are recomputed with
// math.Pow.

const (
	powLo = 0x1p-1021
	powHi = 0x1p1022
)

// powIntF64x4 is math.Pow(x, float64(n)) on four lanes.
func powIntF64x4(x archsimd.Float64x4, n int) archsimd.Float64x4 {
	one := bcast64(1)
	if n == 0 {
		return one // math.Pow(x, 0) is 1 for every x, NaN included
	}
	if n > 1<<53 || n < -(1<<53) {
		return patchPowF64x4(x, x, 0xf, n) // float64(n) is not n: leave it all to math
	}
	u := uint64(n)
	if n < 0 {
		u = -u
	}
	a, p := one, x
	for {
		if u&1 != 0 {
			a = a.Mul(p)
		}
		u >>= 1
		if u == 0 {
			break
		}
		p = p.Mul(p)
	}
	if n < 0 {
		a = one.Div(a)
	}
	aa := absF64x4(a)
	ok := aa.GreaterEqual(bcast64(powLo)).And(aa.LessEqual(bcast64(powHi)))
	if bad := ^ok.ToBits() & 0xf; bad != 0 {
		a = patchPowF64x4(a, x, bad, n)
	}
	return a
}

func patchPowF64x4(r, x archsimd.Float64x4, bad uint8, n int) archsimd.Float64x4 {
	var xs, rs [4]float64
	x.Store(&xs)
	r.Store(&rs)
	archsimd.ClearAVXUpperBits() // math.Pow is scalar SSE code
	for i := range rs {
		if bad>>i&1 != 0 {
			rs[i] = math.Pow(xs[i], float64(n))
		}
	}
	return archsimd.LoadFloat64x4(&rs)
}

// powIntF32x8 is float32(math.Pow(float64(x), float64(n))) on eight lanes.
func powIntF32x8(x archsimd.Float32x8, n int) archsimd.Float32x8 {
	lo, hi := widenF32x8(x)
	return narrowF64x4(powIntF64x4(lo, n), powIntF64x4(hi, n))
}

// Rounding, modulo.

// roundF64x4 is math.Round (half away from zero): the integer part, plus
// the sign of x when the dropped fraction (exact) is at least one half.
// Infinities and NaN go through: inf-inf is NaN, and NaN >= 0.5 is false.
func roundF64x4(x archsimd.Float64x4) archsimd.Float64x4 {
	t := x.Trunc()
	frac := absF64x4(x.Sub(t))
	step := bcast64(1).AsUint64x4().Or(signBits64(x)).AsFloat64x4()
	return pick64(frac.GreaterEqual(bcast64(0.5)), t.Add(step), t)
}

// roundScaledF64x4 is roundScaled(x, scale): Round(x*scale)/scale.
func roundScaledF64x4(x archsimd.Float64x4, scale float64) archsimd.Float64x4 {
	s := bcast64(scale)
	return roundF64x4(x.Mul(s)).Div(s)
}

// roundScaledF32x8 is float32(roundScaled(float64(x), scale)) on eight lanes.
func roundScaledF32x8(x archsimd.Float32x8, scale float64) archsimd.Float32x8 {
	lo, hi := widenF32x8(x)
	return narrowF64x4(roundScaledF64x4(lo, scale), roundScaledF64x4(hi, scale))
}

// modF64x4 is mod(x, n, o) = x - n*floor((x-o)/n).
func modF64x4(x, n, o archsimd.Float64x4) archsimd.Float64x4 {
	return x.Sub(n.Mul(x.Sub(o).Div(n).Floor()))
}

// modF32x8 is mod in float64 on float32 lanes, rounded back.
func modF32x8(x, n, o archsimd.Float32x8) archsimd.Float32x8 {
	xl, xh := widenF32x8(x)
	nl, nh := widenF32x8(n)
	ol, oh := widenF32x8(o)
	return narrowF64x4(modF64x4(xl, nl, ol), modF64x4(xh, nh, oh))
}
