package core

import "math"

// The value of each elementwise primitive on one number, where it is more
// than one operator: the generated kernels (kernels_*_gen*.go, from
// internal/kerngen/lower.go) call these in their scalar loops, and their
// SIMD forms return the same values. float32 data is widened, computed in
// float64 and rounded back. The special values are those of KeOps:
// Rsqrt(0) = 0, SinXDivX(0) = 1, XLogX(0) = 0, Sign(NaN) = 0, Step(NaN) = 1,
// IfElse(NaN, a, b) = b, Round half away from zero, Powf in float32
// precision, Clamp testing the lower bound first.

// expAccurate is math.Exp, also finite up to the overflow threshold: the
// amd64 assembly of math.Exp gives +Inf from x = 709.437 on (e^709.5 is
// 1.4e308). Squaring exp(x/2) there costs at most one more rounding.
func expAccurate(x float64) float64 {
	if x > 709 {
		h := math.Exp(0.5 * x)
		return h * h
	}
	return math.Exp(x)
}

// logAccurate is math.Log, also right for subnormal x: the amd64 assembly
// of math.Log reads their exponent as -1022 (log(5e-324) would be -709).
func logAccurate(x float64) float64 {
	if x > 0 && x < 0x1p-1022 {
		return math.Log(x*0x1p54) - 54*math.Ln2
	}
	return math.Log(x)
}

// acosAccurate is arccos within a few ulp on all of [-1, 1]. math.Acos is
// pi/2 - asin(x), which loses up to 1715 ulp near x = 1 (and tens near
// -1); there acos(x) = 2 asin(sqrt((1 - x)/2)) and acos(-x) = pi - acos(x),
// with 1 - |x| exact for |x| >= 0.5.
func acosAccurate(x float64) float64 {
	switch {
	case x > 0.5:
		return 2 * math.Asin(math.Sqrt((1-x)*0.5)) // NaN for x > 1, as math.Acos
	case x < -0.5:
		return math.Pi - 2*math.Asin(math.Sqrt((1+x)*0.5))
	}
	return math.Acos(x)
}

// xlogx is x*log(x), with 0 at 0 (its limit).
func xlogx(x float64) float64 {
	if x == 0 {
		return 0
	}
	return x * logAccurate(x)
}

// sinXDivX is sin(x)/x, with 1 at 0 (its limit).
func sinXDivX(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(x) / x
}

// rsqrt is 1/sqrt(x), with 0 at 0 as in KeOps (not +Inf).
func rsqrt(x float64) float64 {
	if x == 0 {
		return 0
	}
	return 1 / math.Sqrt(x)
}

// sign is 1, -1 or 0; 0 for NaN.
func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// step is 0 for x < 0, else 1 (so 1 for NaN).
func step(x float64) float64 {
	if x < 0 {
		return 0
	}
	return 1
}

// relu is max(x, 0), keeping NaN (and -0).
func relu(x float64) float64 {
	if x < 0 {
		return 0
	}
	return x
}

// roundScaled is C round (half away from zero) at scale = 10^d digits:
// round(x*scale)/scale, exactly math.Round(x) for d = 0.
func roundScaled(x, scale float64) float64 { return math.Round(x*scale) / scale }

// clamp tests the lower bound first, as KeOps does: with a > b, x < a gives
// a and anything else b. NaN stays NaN.
func clamp(x, a, b float64) float64 {
	switch {
	case x < a:
		return a
	case x > b:
		return b
	}
	return x
}

// diffClamp is the derivative of clamp: 0 outside [a, b], else 1.
func diffClamp(x, a, b float64) float64 {
	if x < a || x > b {
		return 0
	}
	return 1
}

// powf is C powf: the arguments and the result rounded to float32, even
// for float64 data.
func powf(x, y float64) float64 {
	return float64(float32(math.Pow(float64(float32(x)), float64(float32(y)))))
}

// mod is x - n*floor((x-o)/n), in [o, o+n) for n > 0.
func mod(x, n, o float64) float64 { return x - n*math.Floor((x-o)/n) }

// ifElse is a if c >= 0, else b (so b for NaN).
func ifElse(c, a, b float64) float64 {
	if c >= 0 {
		return a
	}
	return b
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
