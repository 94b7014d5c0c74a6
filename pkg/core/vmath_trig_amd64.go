//go:build goexperiment.simd && amd64

package core

import (
	"math"
	"simd/archsimd"
)

// Sine and cosine: the Cephes algorithm of math.Sin and math.Cos. The
// argument is reduced by Pi/4 in three parts (Cody–Waite), exact enough below
// 2^29, where math switches to Payne–Hanek reduction; those lanes, and the
// infinities and NaN, are recomputed with math.

const (
	pi4A      = 7.85398125648498535156e-1  // 0x3fe921fb40000000, Pi/4 split into three parts
	pi4B      = 3.77489470793079817668e-8  // 0x3e64442d00000000
	pi4C      = 2.69515142907905952645e-15 // 0x3ce8469898cc5170
	trigLimit = 1 << 29                    // math's reduceThreshold
)

// The polynomials of math's sin.go (_sin and _cos).
const (
	sin0 = 1.58962301576546568060e-10  // 0x3de5d8fd1fd19ccd
	sin1 = -2.50507477628578072866e-8  // 0xbe5ae5e5a9291f5d
	sin2 = 2.75573136213857245213e-6   // 0x3ec71de3567d48a1
	sin3 = -1.98412698295895385996e-4  // 0xbf2a01a019bfdf03
	sin4 = 8.33333333332211858878e-3   // 0x3f8111111110f7d0
	sin5 = -1.66666666666666307295e-1  // 0xbfc5555555555548
	cos0 = -1.13585365213876817300e-11 // 0xbda8fa49a0861a9b
	cos1 = 2.08757008419747316778e-9   // 0x3e21ee9d7b4e3f05
	cos2 = -2.75573141792967388112e-7  // 0xbe927e4f7eac4bc6
	cos3 = 2.48015872888517045348e-5   // 0x3efa01a019c844f5
	cos4 = -1.38888888888730564116e-3  // 0xbf56c16c16c14f91
	cos5 = 4.16666666666665929218e-2   // 0x3fa555555555554b
)

// trigReduceF64x4 is the reduction of math.sin for 0 <= ax < 2^29: the
// octant j (made even, as math does to map zeros to the origin) and
// z = ax - j*Pi/4. j is returned in 64-bit lanes for the sign and
// polynomial tests.
func trigReduceF64x4(ax archsimd.Float64x4) (z archsimd.Float64x4, j archsimd.Int64x4) {
	j32 := ax.Mul(bcast64(4 / math.Pi)).ConvertToInt32() // truncation, as uint64(x*(4/Pi))
	j32 = j32.Add(j32.And(archsimd.BroadcastInt32x4(1)))
	y := j32.ConvertToFloat64()
	z = ax.Sub(y.Mul(bcast64(pi4A))).Sub(y.Mul(bcast64(pi4B))).Sub(y.Mul(bcast64(pi4C)))
	return z, j32.ExtendToInt64()
}

// sinPolyF64x4 is z + z*zz*P(zz), the sine on [-Pi/4, Pi/4].
func sinPolyF64x4(z, zz archsimd.Float64x4) archsimd.Float64x4 {
	p := bcast64(sin0).Mul(zz).Add(bcast64(sin1)).Mul(zz).Add(bcast64(sin2)).
		Mul(zz).Add(bcast64(sin3)).Mul(zz).Add(bcast64(sin4)).Mul(zz).Add(bcast64(sin5))
	return z.Add(z.Mul(zz).Mul(p))
}

// cosPolyF64x4 is 1 - zz/2 + zz*zz*Q(zz), the cosine on [-Pi/4, Pi/4].
func cosPolyF64x4(zz archsimd.Float64x4) archsimd.Float64x4 {
	q := bcast64(cos0).Mul(zz).Add(bcast64(cos1)).Mul(zz).Add(bcast64(cos2)).
		Mul(zz).Add(bcast64(cos3)).Mul(zz).Add(bcast64(cos4)).Mul(zz).Add(bcast64(cos5))
	return bcast64(1).Sub(bcast64(0.5).Mul(zz)).Add(zz.Mul(zz).Mul(q))
}

// trigOutside is the lanes math reduces differently (|x| >= 2^29, Inf, NaN).
func trigOutside(ax archsimd.Float64x4) uint8 {
	return ^ax.Less(bcast64(trigLimit)).ToBits() & 0xf
}

// sinF64x4 is math.Sin on four lanes.
func sinF64x4(x archsimd.Float64x4) archsimd.Float64x4 {
	ax := absF64x4(x)
	z, j := trigReduceF64x4(ax)
	zz := z.Mul(z)
	// Octants 2 and 6 use the cosine polynomial; 4 and 6 flip the sign.
	useCos := j.And(archsimd.BroadcastInt64x4(2)).AsUint64x4().ShiftAllLeft(62)
	flip := j.And(archsimd.BroadcastInt64x4(4)).AsUint64x4().ShiftAllLeft(61)
	r := pick64(useCos.AsInt64x4().ToMask(), cosPolyF64x4(zz), sinPolyF64x4(z, zz))
	r = flipSign64(r, flip.Xor(signBits64(x)))
	if bad := trigOutside(ax); bad != 0 {
		r = patchF64x4(r, x, bad, math.Sin)
	}
	return r
}

// cosF64x4 is math.Cos on four lanes.
func cosF64x4(x archsimd.Float64x4) archsimd.Float64x4 {
	ax := absF64x4(x)
	z, j := trigReduceF64x4(ax)
	zz := z.Mul(z)
	// Octants 2 and 6 use the sine polynomial; 2 and 4 flip the sign.
	bit1 := j.And(archsimd.BroadcastInt64x4(2)).AsUint64x4().ShiftAllLeft(62)
	bit2 := j.And(archsimd.BroadcastInt64x4(4)).AsUint64x4().ShiftAllLeft(61)
	r := pick64(bit1.AsInt64x4().ToMask(), sinPolyF64x4(z, zz), cosPolyF64x4(zz))
	r = flipSign64(r, bit1.Xor(bit2))
	if bad := trigOutside(ax); bad != 0 {
		r = patchF64x4(r, x, bad, math.Cos)
	}
	return r
}

// sinF32x8 is float32(math.Sin(float64(x))) on eight lanes.
func sinF32x8(x archsimd.Float32x8) archsimd.Float32x8 {
	lo, hi := widenF32x8(x)
	return narrowF64x4(sinF64x4(lo), sinF64x4(hi))
}

// cosF32x8 is float32(math.Cos(float64(x))) on eight lanes.
func cosF32x8(x archsimd.Float32x8) archsimd.Float32x8 {
	lo, hi := widenF32x8(x)
	return narrowF64x4(cosF64x4(lo), cosF64x4(hi))
}

// Arctangent: the Cephes rational approximation of math.Atan, with its
// reduction of x >= 0 to [0, 0.66]. math's three branches become one
// division num/den and one evaluation: Pi/2 - xatan(1/x) is written
// Pi/2 + xatan(-1/x), the same bits since xatan is exactly odd.

const (
	atanP0       = -8.750608600031904122785e-01
	atanP1       = -1.615753718733365076637e+01
	atanP2       = -7.500855792314704667340e+01
	atanP3       = -1.228866684490136173410e+02
	atanP4       = -6.485021904942025371773e+01
	atanQ0       = +2.485846490142306297962e+01
	atanQ1       = +1.650270098316988542046e+02
	atanQ2       = +4.328810604912902668951e+02
	atanQ3       = +4.853903996359136964868e+02
	atanQ4       = +1.945506571482613964425e+02
	atanMorebits = 6.123233995736765886130e-17 // pi/2 = PIO2 + Morebits
	atanTan3pio8 = 2.41421356237309504880      // tan(3*pi/8)
)

// xatanF64x4 is math's xatan, atan on [-0.66, 0.66].
func xatanF64x4(x archsimd.Float64x4) archsimd.Float64x4 {
	z := x.Mul(x)
	num := bcast64(atanP0).Mul(z).Add(bcast64(atanP1)).Mul(z).Add(bcast64(atanP2)).Mul(z).Add(bcast64(atanP3)).Mul(z).Add(bcast64(atanP4))
	den := z.Add(bcast64(atanQ0)).Mul(z).Add(bcast64(atanQ1)).Mul(z).Add(bcast64(atanQ2)).Mul(z).Add(bcast64(atanQ3)).Mul(z).Add(bcast64(atanQ4))
	z = z.Mul(num).Div(den)
	return x.Mul(z).Add(x)
}

// satanF64x4 is math's satan, atan of x >= 0.
func satanF64x4(x archsimd.Float64x4) archsimd.Float64x4 {
	small := x.LessEqual(bcast64(0.66))
	big := x.Greater(bcast64(atanTan3pio8))
	one := bcast64(1)
	num := pick64(big, bcast64(-1), pick64(small, x, x.Sub(one)))
	den := pick64(big, x, pick64(small, one, x.Add(one)))
	base := pick64(big, bcast64(math.Pi/2), pick64(small, zero64(), bcast64(math.Pi/4)))
	more := pick64(big, bcast64(atanMorebits), pick64(small, zero64(), bcast64(0.5*atanMorebits)))
	return base.Add(xatanF64x4(num.Div(den))).Add(more)
}

// atanF64x4 is math.Atan on four lanes.
func atanF64x4(x archsimd.Float64x4) archsimd.Float64x4 {
	return flipSign64(satanF64x4(absF64x4(x)), signBits64(x))
}

// asinF64x4 is math.Asin on four lanes.
func asinF64x4(x archsimd.Float64x4) archsimd.Float64x4 {
	ax := absF64x4(x)
	temp := bcast64(1).Sub(ax.Mul(ax)).Sqrt() // NaN for |x| > 1, as math
	big := ax.Greater(bcast64(0.7))
	s := satanF64x4(pick64(big, temp, ax).Div(pick64(big, ax, temp)))
	r := pick64(big, bcast64(math.Pi/2).Sub(s), s)
	return flipSign64(r, signBits64(x))
}

// acosF64x4 is acosAccurate on four lanes: 2 asin(sqrt((1 - x)/2)) above
// 0.5, pi minus that of -x below -0.5, pi/2 - asin(x) between (elsewhere
// it cancels).
func acosF64x4(x archsimd.Float64x4) archsimd.Float64x4 {
	ax := absF64x4(x)
	far := ax.Greater(bcast64(0.5))
	half := bcast64(1).Sub(ax).Mul(bcast64(0.5)).Sqrt()
	a := asinF64x4(pick64(far, half, x))
	twice := a.Add(a)
	return pick64(far, pick64(x.Greater(zero64()), twice, bcast64(math.Pi).Sub(twice)), bcast64(math.Pi/2).Sub(a))
}

// atan2F64x4 is math.Atan2(y, x) on four lanes. Lanes with a zero, an
// infinity or a NaN take math.Atan2's special cases.
func atan2F64x4(y, x archsimd.Float64x4) archsimd.Float64x4 {
	q := atanF64x4(y.Div(x))
	zero := zero64()
	adj := pick64(q.LessEqual(zero), q.Add(bcast64(math.Pi)), q.Sub(bcast64(math.Pi)))
	r := pick64(x.Less(zero), adj, q)
	ax, ay, inf := absF64x4(x), absF64x4(y), bits64(posInf64)
	ok := ax.Greater(zero).And(ax.Less(inf)).And(ay.Greater(zero)).And(ay.Less(inf))
	if bad := ^ok.ToBits() & 0xf; bad != 0 {
		var ys, xs, rs [4]float64
		y.Store(&ys)
		x.Store(&xs)
		r.Store(&rs)
		archsimd.ClearAVXUpperBits() // math.Atan2 is scalar SSE code
		for i := range rs {
			if bad>>i&1 != 0 {
				rs[i] = math.Atan2(ys[i], xs[i])
			}
		}
		r = archsimd.LoadFloat64x4(&rs)
	}
	return r
}

// The float32 forms widen, and round the float64 result back.

func atanF32x8(x archsimd.Float32x8) archsimd.Float32x8 {
	lo, hi := widenF32x8(x)
	return narrowF64x4(atanF64x4(lo), atanF64x4(hi))
}

func asinF32x8(x archsimd.Float32x8) archsimd.Float32x8 {
	lo, hi := widenF32x8(x)
	return narrowF64x4(asinF64x4(lo), asinF64x4(hi))
}

func acosF32x8(x archsimd.Float32x8) archsimd.Float32x8 {
	lo, hi := widenF32x8(x)
	return narrowF64x4(acosF64x4(lo), acosF64x4(hi))
}

func atan2F32x8(y, x archsimd.Float32x8) archsimd.Float32x8 {
	yl, yh := widenF32x8(y)
	xl, xh := widenF32x8(x)
	return narrowF64x4(atan2F64x4(yl, xl), atan2F64x4(yh, xh))
}
