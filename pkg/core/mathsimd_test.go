package core

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// Accuracy of the math kernels against the math package, in whichever
// flavour this build compiles (the SIMD one runs the vector functions of
// vmath*_amd64.go and mathsimd_amd64.go): special values, subnormals,
// overflow and underflow, then random sweeps over wide ranges. Each case
// logs the largest relative error it measured; the bounds are 1e-15
// (float64) and 3e-7 (float32, against float32(math.F(float64(x)))).

const (
	tol64 = 1e-15
	tol32 = 3e-7
)

var mathSpecials = []float64{0, math.Copysign(0, -1), 1, -1, 0.5, -0.5, 2, -2, math.Inf(1), math.Inf(-1), math.NaN(),
	5e-324, -5e-324, 1e-310, -1e-310, 0x1p-1022, math.MaxFloat64, -math.MaxFloat64, 1e-300, -1e-300, 1e300, -1e300,
	math.Pi, -math.Pi, math.Pi / 2, math.Pi / 4, 1 + 0x1p-52, 1 - 0x1p-53, math.Sqrt2 / 2, 0.66, 2.414213562373095, 0.7,
	1e4, -1e4, 1 << 29, 1<<29 - 1, 1e-40, 1e-45, 3.4e38, 88.7, 88.8, -87.3, -103, -104, 709.78, 709.79, 710, -745.1, -746}

// logUniform draws values of magnitude 2^[lo, hi) with random sign.
func logUniform(rng *rand.Rand, n int, lo, hi float64) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = math.Exp2(lo + (hi-lo)*rng.Float64())
		if rng.IntN(2) == 0 {
			xs[i] = -xs[i]
		}
	}
	return xs
}

func uniform(rng *rand.Rand, n int, lo, hi float64) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = lo + (hi-lo)*rng.Float64()
	}
	return xs
}

func concat(parts ...[]float64) []float64 {
	var r []float64
	for _, p := range parts {
		r = append(r, p...)
	}
	return r
}

// refExp is math.Exp, except near the overflow threshold where the amd64
// assembly of math.Exp returns +Inf for finite results (exp(709.78)).
func refExp(x float64) float64 {
	if x > 709 && x < 709.782712893384 {
		h := math.Exp(x / 2)
		return h * h
	}
	return math.Exp(x)
}

// refLog is math.Log with subnormal inputs scaled first (math.Log's amd64
// assembly misreads their exponent).
func refLog(x float64) float64 {
	if x > 0 && x < 0x1p-1022 {
		return math.Log(x*0x1p54) - 54*math.Ln2
	}
	return math.Log(x)
}

// mathCase is a unary math kernel, its reference and its test inputs.
type mathCase struct {
	name string
	k64  func(dst, x []float64)
	k32  func(dst, x []float32)
	ref  func(float64) float64
	xs   []float64
}

func mathCases(rng *rand.Rand) []mathCase {
	cs := []mathCase{
		{"exp", expF64, expF32, refExp, concat(mathSpecials, uniform(rng, 40000, -750, 750), uniform(rng, 4000, -746, -707),
			uniform(rng, 4000, 700, 709.78), uniform(rng, 4000, -104, -87), uniform(rng, 4000, 85, 89), logUniform(rng, 4000, -1074, 0))},
		{"log", logF64, logF32, refLog, concat(mathSpecials, logUniform(rng, 40000, -1074, 1024), uniform(rng, 10000, 0.5, 2),
			logUniform(rng, 4000, -1074, -1022), logUniform(rng, 4000, -149, -126))},
		{"sin", sinF64, sinF32, math.Sin, concat(mathSpecials, uniform(rng, 40000, -1e4, 1e4), uniform(rng, 10000, -10, 10),
			logUniform(rng, 10000, -1074, 40), logUniform(rng, 1000, 40, 1024))},
		{"cos", cosF64, cosF32, math.Cos, concat(mathSpecials, uniform(rng, 40000, -1e4, 1e4), uniform(rng, 10000, -10, 10),
			logUniform(rng, 10000, -1074, 40), logUniform(rng, 1000, 40, 1024))},
		{"atan", atanF64, atanF32, math.Atan, concat(mathSpecials, logUniform(rng, 40000, -1074, 1024), uniform(rng, 10000, -4, 4))},
		{"asin", asinF64, asinF32, math.Asin, concat(mathSpecials, uniform(rng, 40000, -1, 1), logUniform(rng, 4000, -1074, 0),
			uniform(rng, 4000, 0.999, 1), uniform(rng, 4000, -1, -0.999), uniform(rng, 100, -3, 3))},
		{"acos", acosF64, acosF32, refAcos, concat(mathSpecials, uniform(rng, 40000, -1, 1), logUniform(rng, 4000, -1074, 0),
			uniform(rng, 4000, 0.999, 1), uniform(rng, 4000, -1, -0.999))},
		{"sqrt", sqrtF64, sqrtF32, math.Sqrt, concat(mathSpecials, logUniform(rng, 20000, -1074, 1024))},
		{"rsqrt", rsqrtF64, rsqrtF32, rsqrt, concat(mathSpecials, logUniform(rng, 20000, -1074, 1024))},
		{"sinXDivX", sinXDivXF64, sinXDivXF32, sinXDivX, concat(mathSpecials, uniform(rng, 20000, -100, 100), logUniform(rng, 4000, -1074, 20))},
		{"xlogx", xlogxF64, xlogxF32, func(x float64) float64 { return xlogx(x) }, concat(mathSpecials, logUniform(rng, 20000, -1000, 1000))},
	}
	powInputs := concat(mathSpecials, logUniform(rng, 4000, -12, 12), logUniform(rng, 400, -1074, 1024), uniform(rng, 400, 0.9, 1.1))
	for _, n := range []int{0, 1, -1, 2, -2, 3, -3, 7, -7, 10, 31, -31, 100, -100, 1000, 1 << 20, math.MaxInt64, math.MinInt64} {
		cs = append(cs, mathCase{"pow n=" + strconv.Itoa(n),
			func(dst, x []float64) { powF64(dst, x, n) }, func(dst, x []float32) { powF32(dst, x, n) },
			func(x float64) float64 { return math.Pow(x, float64(n)) }, powInputs})
	}
	roundInputs := concat(mathSpecials, uniform(rng, 10000, -10, 10), logUniform(rng, 10000, -10, 60),
		[]float64{1.5, -1.5, 2.5, 0.49999999999999994, -0.49999999999999994, 4503599627370495.5, 1 << 52, 1<<53 + 2, 0.125, 0.375})
	for _, d := range []int{0, 2, -1} {
		scale := math.Pow(10, float64(d))
		cs = append(cs, mathCase{"round d=" + strconv.Itoa(d),
			func(dst, x []float64) { roundF64(dst, x, d) }, func(dst, x []float32) { roundF32(dst, x, d) },
			func(x float64) float64 { return math.Round(x*scale) / scale }, roundInputs})
	}
	return cs
}

func TestMathKernelsAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range mathCases(rng) {
		t.Run(c.name, func(t *testing.T) {
			got := make([]float64, len(c.xs))
			c.k64(got, c.xs)
			worst, at := 0.0, 0.0
			for i, x := range c.xs {
				e := relErr(got[i], c.ref(x))
				if e > worst {
					worst, at = e, x
				}
				if e > tol64 {
					t.Errorf("%s(%v) = %v, want %v (relative error %.2e)", c.name, x, got[i], c.ref(x), e)
				}
			}
			t.Logf("float64: max relative error %.2e (at %v) over %d values", worst, at, len(c.xs))

			x32, got32 := make([]float32, len(c.xs)), make([]float32, len(c.xs))
			for i, x := range c.xs {
				x32[i] = float32(x)
			}
			c.k32(got32, x32)
			worst, at = 0, 0
			for i, x := range x32 {
				want := float32(c.ref(float64(x)))
				e := relErr32(got32[i], want)
				if e > worst {
					worst, at = e, float64(x)
				}
				if e > tol32 {
					t.Errorf("%s(float32 %v) = %v, want %v (relative error %.2e)", c.name, x, got32[i], want, e)
				}
			}
			t.Logf("float32: max relative error %.2e (at %v) over %d values", worst, at, len(c.xs))
		})
	}
}

func TestAtan2KernelAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	ys := concat(mathSpecials, logUniform(rng, 20000, -1074, 1024), uniform(rng, 20000, -3, 3))
	// Every special y against every special x, then random pairs.
	var yy, xx []float64
	for _, y := range mathSpecials {
		for _, x := range mathSpecials {
			yy, xx = append(yy, y), append(xx, x)
		}
	}
	xs := concat(mathSpecials, logUniform(rng, 20000, -1074, 1024), uniform(rng, 20000, -3, 3))
	rng.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
	yy, xx = append(yy, ys...), append(xx, xs...)
	got := make([]float64, len(yy))
	atan2VVF64(got, yy, xx)
	worst := 0.0
	for i := range got {
		want := math.Atan2(yy[i], xx[i])
		e := relErr(got[i], want)
		worst = max(worst, e)
		if e > tol64 {
			t.Errorf("atan2(%v, %v) = %v, want %v", yy[i], xx[i], got[i], want)
		}
	}
	t.Logf("float64: max relative error %.2e over %d pairs", worst, len(got))
	y32, x32, got32 := make([]float32, len(yy)), make([]float32, len(yy)), make([]float32, len(yy))
	for i := range yy {
		y32[i], x32[i] = float32(yy[i]), float32(xx[i])
	}
	atan2VVF32(got32, y32, x32)
	worst = 0
	for i := range got32 {
		want := float32(math.Atan2(float64(y32[i]), float64(x32[i])))
		e := relErr32(got32[i], want)
		worst = max(worst, e)
		if e > tol32 {
			t.Errorf("atan2(float32 %v, %v) = %v, want %v", y32[i], x32[i], got32[i], want)
		}
	}
	t.Logf("float32: max relative error %.2e over %d pairs", worst, len(got32))
}
