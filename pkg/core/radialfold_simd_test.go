//go:build goexperiment.simd && amd64

package core

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFoldExpTerms checks each term of the generated exp-profile loops
// (the store mode writes them out) against math.Exp: exp(-y_t^2) with the
// rows at 0, for exponents across the fast loop's range, past it (the exact
// loop: subnormals, underflow to 0) and at its edges, NaN and infinite
// points, tiles of 1 to 1000 columns. float64 within 1e-15 relative (a few
// ulps absolute among the subnormals), float32 within 3e-7.
func TestFoldExpTerms(t *testing.T) {
	if !simdOK {
		t.Skip("no AVX2+FMA")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 3, 8, 13, 256, 1000} {
		for _, wide := range []bool{false, true} {
			v := make([]float64, n) // the exponents, -y^2
			for i := range v {
				v[i] = -rng.Float64() * 700
				if wide && i%5 == 0 {
					v[i] = -rng.Float64() * 760
				}
			}
			if n > 8 {
				v[1], v[2], v[3] = -708, -87, -88
			}
			ys := make([]float64, len(v)+8)
			for i, e := range v {
				ys[i] = math.Sqrt(-e)
			}
			if wide && n > 8 {
				ys[4], ys[5] = math.NaN(), math.Inf(1)
			}
			checkFoldExpTerms(t, ys[:n], false)
			checkFoldExpTerms(t, ys[:n], true)
		}
	}
}

func checkFoldExpTerms(t *testing.T, y []float64, f32 bool) {
	t.Helper()
	n := len(y)
	nt := (n + 7) / 8 * 8
	if f32 {
		a := &foldArgs[float32]{s: -1, n: n, stride: nt}
		a.ys = make([]float32, nt)
		for i, v := range y {
			a.ys[i] = float32(v)
		}
		a.out = [2][]float32{make([]float32, nt), make([]float32, nt)}
		var ext [2][foldMaxDim]float64
		if _, ok := foldSIMD(foldStore, profileExp, a, 1, &ext); !ok {
			t.Fatal("no loop")
		}
		for r := range a.out {
			for i, g := range a.out[r][:n] {
				q := float64(a.ys[i]) * float64(a.ys[i])
				w := math.Exp(-float64(float32(q)))
				if !(math.IsNaN(w) && math.IsNaN(float64(g))) && !(math.Abs(float64(g)-w) <= 3e-7*w+2*math.SmallestNonzeroFloat32) {
					t.Fatalf("float32 n=%d row %d column %d: exp(%v) = %v, want %v", n, r, i, -q, g, w)
				}
			}
		}
		return
	}
	a := &foldArgs[float64]{s: -1, n: n, stride: nt}
	a.ys = make([]float64, nt)
	copy(a.ys, y)
	a.out = [2][]float64{make([]float64, nt), make([]float64, nt)}
	var ext [2][foldMaxDim]float64
	if _, ok := foldSIMD(foldStore, profileExp, a, 1, &ext); !ok {
		t.Fatal("no loop")
	}
	for r := range a.out {
		for i, g := range a.out[r][:n] {
			w := math.Exp(-(y[i] * y[i]))
			if !(math.IsNaN(w) && math.IsNaN(g)) && !(math.Abs(g-w) <= 1e-15*w+4*math.SmallestNonzeroFloat64) {
				t.Fatalf("float64 n=%d row %d column %d: exp(%v) = %v, want %v", n, r, i, -(y[i] * y[i]), g, w)
			}
		}
	}
}
