package solve

import (
	"math"
	"testing"
)

// dense32 is the product by alpha Id + K in float32 arithmetic (K's
// entries, src and the sums rounded to float32), the cheap operator of a
// mixed-precision solve.
func dense32(a []float64, n int, ridge float64, count *int) Operator {
	return func(dst, src []float64) error {
		*count++
		for i := 0; i < n; i++ {
			var s float32
			for j := 0; j < n; j++ {
				s += float32(a[i*n+j]) * float32(src[j])
			}
			dst[i] = float64(s) + ridge*src[i]
		}
		return nil
	}
}

func TestRefineReachesTheExactToleranceWithFewExactProducts(t *testing.T) {
	n, alpha := 400, 0.1
	k := gaussian(n, 1)
	b := randVec(n, 3)
	c, s := columns(k, n, 200)
	P, err := NewNystrom(c, n, s, alpha, NystromOptions{SymTol: 1e-12, Jitter: 1e-12})
	if err != nil {
		t.Fatal(err)
	}
	for _, rtol := range []float64{1e-6, 1e-10} {
		var hi, lo, seen int
		x := make([]float64, n)
		opt := RefineOptions{Options: Options{RTol: rtol, MaxIter: 1000, Stagnation: 10, StagnationFactor: 0.99,
			Progress: func(it int, _ float64, _ []float64) error {
				if it != seen+1 {
					t.Fatalf("progress reported iteration %d after %d", it, seen)
				}
				seen = it
				return nil
			}}, InnerRTol: 1e-4, MaxRefinements: 20}
		res, err := Refine(dense(k, n, alpha, &hi), dense32(k, n, alpha, &lo), P, b, x, opt)
		if err != nil || !res.Converged() {
			t.Fatalf("rtol %g: %v %+v", rtol, err, res)
		}
		// The reported residual is the exact one of the returned x.
		r := residual(dense(k, n, alpha, nil), b, x)
		if r > rtol || math.Abs(r-res.Residual/res.BNorm) > 1e-3*r {
			t.Fatalf("rtol %g: exact residual %g, reported %g", rtol, r, res.Residual/res.BNorm)
		}
		if hi != res.Refinements || lo != res.Iterations || seen != res.Iterations {
			t.Fatalf("rtol %g: %d exact and %d cheap products, %d progress calls, reported %+v", rtol, hi, lo, seen, res)
		}
		var exact int
		xe := make([]float64, n)
		if _, err := CG(dense(k, n, alpha, &exact), P, b, xe, Options{RTol: rtol, MaxIter: 1000}); err != nil {
			t.Fatal(err)
		}
		t.Logf("rtol %g: %d exact products and %d float32 ones; exact PCG: %d", rtol, hi, lo, exact)
		if hi > 4 {
			t.Fatalf("rtol %g: %d exact products; expected at most 4", rtol, hi)
		}
	}
}

func TestRefineFallsBackToExactCGWhenTheCheapProductIsTooCoarse(t *testing.T) {
	// The cheap operator is another matrix (twice the ridge): a refinement
	// step contracts by about 1/2 at best, so Refine finishes by exact CG.
	n, alpha := 200, 0.1
	k := gaussian(n, 5)
	b := randVec(n, 6)
	var hi, lo int
	x := make([]float64, n)
	wrong := dense(k, n, 30*alpha, &lo)
	opt := RefineOptions{Options: Options{RTol: 1e-9, MaxIter: 10 * n, Stagnation: 10, StagnationFactor: 0.99},
		InnerRTol: 1e-4, MaxRefinements: 20}
	res, err := Refine(dense(k, n, alpha, &hi), wrong, nil, b, x, opt)
	if err != nil || !res.Converged() {
		t.Fatalf("%v %+v", err, res)
	}
	if r := residual(dense(k, n, alpha, nil), b, x); r > 1e-9 {
		t.Fatalf("exact residual %g", r)
	}
	if hi <= res.Refinements || res.Iterations != hi+lo-res.Refinements {
		t.Fatalf("%d exact and %d cheap products for %+v", hi, lo, res)
	}
}

func TestRefineEdgeCases(t *testing.T) {
	n := 50
	k := gaussian(n, 7)
	var hi, lo int
	A, L := dense(k, n, 0.1, &hi), dense32(k, n, 0.1, &lo)
	// b = 0: converged at once, no product.
	x := make([]float64, n)
	res, err := Refine(A, L, nil, make([]float64, n), x, RefineOptions{Options: Options{RTol: 1e-6, MaxIter: 10}})
	if err != nil || !res.Converged() || hi+lo != 0 {
		t.Fatalf("b = 0: %v %+v, %d products", err, res, hi+lo)
	}
	// MaxIter 0: no iteration; the residual is that of the start.
	b := randVec(n, 8)
	res, err = Refine(A, L, nil, b, x, RefineOptions{Options: Options{RTol: 1e-6}})
	if err != nil || res.Stop != MaxIter || res.Residual != res.BNorm || lo != 0 {
		t.Fatalf("maxiter 0: %v %+v", err, res)
	}
	// A NaN in b is an error.
	b[3] = math.NaN()
	if _, err := Refine(A, L, nil, b, x, RefineOptions{Options: Options{RTol: 1e-6, MaxIter: 10}}); err == nil {
		t.Fatal("NaN in b: no error")
	}
	// A start that is already the solution costs one exact product.
	b = randVec(n, 9)
	x = make([]float64, n)
	if _, err := CG(A, nil, b, x, Options{RTol: 1e-12, MaxIter: 1000}); err != nil {
		t.Fatal(err)
	}
	hi, lo = 0, 0
	res, err = Refine(A, L, nil, b, x, RefineOptions{Options: Options{RTol: 1e-6, MaxIter: 10}})
	if err != nil || !res.Converged() || hi != 1 || lo != 0 || res.Refinements != 1 {
		t.Fatalf("solved start: %v %+v, %d exact, %d cheap", err, res, hi, lo)
	}
}
