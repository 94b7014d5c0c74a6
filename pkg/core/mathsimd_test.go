package core

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExpAccuracy checks the vector exp against math.Exp over a wide range,
// at the special values, and around overflow and the subnormals, at every
// slice length up to a few vectors (tails included).
func TestExpAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(),
		709.78, 709.79, 710, 800, -708.4, -720, -745.1, -745.2, -746, -1000, 1e-300, -1e-300, 88.7, 88.8, -87.3, -103, -104}
	for i := 0; i < 20000; i++ {
		xs = append(xs, (rng.Float64()*2-1)*750, rng.NormFloat64()*3)
	}
	t.Run("float64", func(t *testing.T) {
		got := make([]float64, len(xs))
		expSlice(got, xs)
		worst := 0.0
		for i, x := range xs {
			want := refExp(x)
			if got[i] != math.Exp(x) && !sameFloat(got[i], want, 1e-15, &worst) {
				t.Fatalf("exp(%v) = %v, want %v", x, got[i], want)
			}
		}
		t.Logf("max relative error %.2e", worst)
	})
	t.Run("float32", func(t *testing.T) {
		x32 := make([]float32, len(xs))
		for i, x := range xs {
			x32[i] = float32(x)
		}
		got := make([]float32, len(xs))
		expSlice(got, x32)
		worst := 0.0
		for i, x := range x32 {
			want := float32(math.Exp(float64(x)))
			if want != 0 && math.Abs(float64(want)) < 1.2e-38 {
				continue // float32 subnormal results: absolute error only
			}
			if !sameFloat(float64(got[i]), float64(want), 3e-7, &worst) {
				t.Fatalf("exp(%v) = %v, want %v", x, got[i], want)
			}
		}
		t.Logf("max relative error %.2e", worst)
	})
	for n := 0; n <= 17; n++ { // tails, and no write past the end
		dst := make([]float64, n+1)
		dst[n] = 42
		expSlice(dst[:n], xs[:n])
		if dst[n] != 42 {
			t.Fatalf("length %d: wrote past the end", n)
		}
	}
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

func sameFloat(got, want, tol float64, worst *float64) bool {
	switch {
	case math.IsNaN(want):
		return math.IsNaN(got)
	case math.IsInf(want, 0) || want == 0:
		return got == want
	case want < 2.3e-308: // subnormal results carry fewer digits
		return math.Abs(got-want) <= 5e-324*4
	}
	e := math.Abs(got-want) / math.Abs(want)
	*worst = max(*worst, e)
	return e <= tol
}
