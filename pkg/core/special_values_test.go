package core

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refAcos is arccos by atan2, independent of the kernels' formula and
// accurate near ±1, where (1 - x) and (1 + x) are exact.
func refAcos(x float64) float64 { return math.Atan2(math.Sqrt((1-x)*(1+x)), x) }

// TestAcosAccuracy checks the Acos kernels (SIMD or portable, whichever
// this build runs) within a few ulp on all of [-1, 1], near 1 included,
// where pi/2 - asin(x) loses up to 1715 ulp.
func TestAcosAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var xs []float64
	for k := 0; k < 4000; k++ {
		d := math.Pow(2, -60*rng.Float64()) // 1 - d, d log-uniform in [1e-18, 1]
		xs = append(xs, 1-d, -1+d, 2*rng.Float64()-1)
	}
	xs = append(xs, 1, -1, 0, 0.5, math.Nextafter(0.5, 1), math.Nextafter(1, 0), math.Nextafter(-1, 0))
	got := make([]float64, len(xs))
	acosF64(got, xs)
	worst := 0.0
	for i, x := range xs {
		want := refAcos(x)
		e := math.Abs(got[i]-want) / math.Max(want, 1e-300)
		if want == 0 {
			e = math.Abs(got[i])
		}
		worst = math.Max(worst, e)
		if e > 1e-15 {
			t.Fatalf("acos(%v) = %v, want %v (relative error %.2e)", x, got[i], want, e)
		}
	}
	t.Logf("float64: max relative error %.2e over %d values", worst, len(xs))
	for _, x := range []float64{1.5, -1.5, math.NaN(), math.Inf(1)} {
		out := []float64{0}
		acosF64(out, []float64{x})
		if !math.IsNaN(out[0]) {
			t.Errorf("acos(%v) = %v, want NaN", x, out[0])
		}
	}
	x32, got32 := make([]float32, len(xs)), make([]float32, len(xs))
	for i, x := range xs {
		x32[i] = float32(x)
	}
	acosF32(got32, x32)
	for i, x := range x32 {
		want := float32(refAcos(float64(x)))
		if got32[i] != want && math.Abs(float64(got32[i]-want)) > 3e-7*math.Max(float64(want), 1e-30) {
			t.Fatalf("float32 acos(%v) = %v, want %v", x, got32[i], want)
		}
	}
}

// TestPairCost: the per-pair cost grows with the dimension of the vectors,
// so that calls of few pairs over long vectors stay interruptible.
func TestPairCost(t *testing.T) {
	cost := func(d string) int {
		k, err := Compile(Spec{Formula: "Exp(-SqDist(x,y))*b", Aliases: []string{"x=Vi(" + d + ")", "y=Vj(" + d + ")", "b=Vj(1)"},
			Reduction: "Sum", Axis: 1})
		if err != nil {
			t.Fatal(err)
		}
		return k.PairCost()
	}
	small, big := cost("3"), cost("2000")
	if small < 1 || big < 2000 || big < 100*small {
		t.Fatalf("pair cost %d for dim 3, %d for dim 2000", small, big)
	}
}

// TestTileExtremesWithNaN: the largest and smallest values of a tile
// ignore its NaNs wherever they fall, also in the SIMD lanes (vector max
// and min drop a NaN met in the running lane, and what came before it).
func TestTileExtremesWithNaN(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 2000; trial++ {
		n := 1 + rng.IntN(40)
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
			if rng.IntN(6) == 0 {
				x[i] = math.NaN()
			}
		}
		hi, lo := math.Inf(-1), math.Inf(1)
		for _, v := range x {
			if v == v {
				hi, lo = math.Max(hi, v), math.Min(lo, v)
			}
		}
		if h, l := tileExtremes(x); h != hi || l != lo {
			t.Fatalf("float64 %v: extremes (%v, %v), want (%v, %v)", x, h, l, hi, lo)
		}
		x32 := make([]float32, n)
		for i, v := range x {
			x32[i] = float32(v)
		}
		if h, l := tileExtremes(x32); h != float64(float32(hi)) || l != float64(float32(lo)) {
			t.Fatalf("float32 %v: extremes (%v, %v), want (%v, %v)", x32, h, l, hi, lo)
		}
	}
}
