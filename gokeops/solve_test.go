package gokeops

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unsafe"
)

func bufAddr(v []float64) uintptr { return uintptr(unsafe.Pointer(&v[0])) }

// TestSolverReverseCommunication drives a solve of a 3 x 3 SPD system through
// SolverNext, as the Python front end does, and checks the solution.
func TestSolverReverseCommunication(t *testing.T) {
	A := [3][3]float64{{4, 1, 0}, {1, 3, 1}, {0, 1, 2}}
	b := []float64{1, 2, 3}
	h, err := SolverStart(3, bufAddr(b), 0, 0, 1e-12, 0, 100, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	defer SolverClose(h)
	in, out := make([]float64, 3), make([]float64, 3)
	products, iterations := 0, 0
	for {
		code, err := SolverNext(h, bufAddr(in), bufAddr(out), 3)
		if err != nil {
			t.Fatal(err)
		}
		if code == SolverDone {
			break
		}
		if code == SolverIteration {
			iterations++
			continue
		}
		products++
		for i := range in {
			in[i] = A[i][0]*out[0] + A[i][1]*out[1] + A[i][2]*out[2]
		}
	}
	for i := range b {
		r := A[i][0]*out[0] + A[i][1]*out[1] + A[i][2]*out[2] - b[i]
		if math.Abs(r) > 1e-10 {
			t.Fatalf("residual %d: %g (x = %v)", i, r, out)
		}
	}
	s, err := SolverInfo(h)
	var info solverInfo
	if err != nil || json.Unmarshal([]byte(s), &info) != nil || !info.Converged || info.Iterations != iterations || products != iterations {
		t.Fatalf("info %s (%v): %d products, %d iterations", s, err, products, iterations)
	}
	if _, err := SolverNext(h, bufAddr(in), bufAddr(out), 3); err == nil || !strings.Contains(err.Error(), "finished") {
		t.Fatalf("next after done: %v", err)
	}
}

// TestSolverRefinedAsksForBothPrecisions drives a refined solve whose
// low-precision product rounds to float32: the residuals come from exact
// products, and the solution meets the tolerance in float64.
func TestSolverRefinedAsksForBothPrecisions(t *testing.T) {
	A := [3][3]float64{{4, 1, 0}, {1, 3, 1}, {0, 1, 2}}
	b := []float64{1, 2, 3}
	if _, err := SolverStartRefined(3, bufAddr(b), 0, 0, 1e-12, 0, 0, 100, 5, 10, false); err == nil {
		t.Fatal("innerRTol 0: no error")
	}
	h, err := SolverStartRefined(3, bufAddr(b), 0, 0, 1e-12, 0, 1e-6, 100, 10, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	defer SolverClose(h)
	in, out := make([]float64, 3), make([]float64, 3)
	exact, low := 0, 0
	for {
		code, err := SolverNext(h, bufAddr(in), bufAddr(out), 3)
		if err != nil {
			t.Fatal(err)
		}
		if code == SolverDone {
			break
		}
		for i := range in {
			in[i] = A[i][0]*out[0] + A[i][1]*out[1] + A[i][2]*out[2]
			if code == SolverProductLow {
				in[i] = float64(float32(in[i]))
			}
		}
		if code == SolverProductLow {
			low++
		} else {
			exact++
		}
	}
	for i := range b {
		if r := A[i][0]*out[0] + A[i][1]*out[1] + A[i][2]*out[2] - b[i]; math.Abs(r) > 1e-11 {
			t.Fatalf("residual %d: %g (x = %v)", i, r, out)
		}
	}
	s, err := SolverInfo(h)
	var info solverInfo
	if err != nil || json.Unmarshal([]byte(s), &info) != nil || !info.Converged || info.Refinements != exact ||
		info.Iterations != low || exact < 2 {
		t.Fatalf("info %s (%v): %d exact products, %d low", s, err, exact, low)
	}
}

// TestSolverCloseWhileWaiting closes a solver that waits for a product: its
// goroutine ends and later calls fail cleanly.
func TestSolverCloseWhileWaiting(t *testing.T) {
	b := []float64{1, 2}
	h, err := SolverStart(2, bufAddr(b), 0, 0, 1e-12, 0, 10, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	in, out := make([]float64, 2), make([]float64, 2)
	if code, err := SolverNext(h, bufAddr(in), bufAddr(out), 2); err != nil || code != SolverProduct {
		t.Fatalf("first request: %d %v", code, err)
	}
	if ok, err := SolverClose(h); !ok || err != nil {
		t.Fatalf("close: %v %v", ok, err)
	}
	if _, err := SolverNext(h, bufAddr(in), bufAddr(out), 2); err == nil {
		t.Fatal("next after close succeeded")
	}
	if _, err := SolverNext(h+1000, bufAddr(in), bufAddr(out), 2); err == nil {
		t.Fatal("unknown handle accepted")
	}
	if _, err := SolverStart(2, bufAddr(b), 0, 12345, 1e-12, 0, 10, 0, false); err == nil {
		t.Fatal("unknown preconditioner accepted")
	}
}

func TestNystromBuildErrors(t *testing.T) {
	c := []float64{1, 0.5, 0.5, 1, 0.2, 0.3} // 3 x 2, landmarks 0 and 1
	lm := []int64{0, 1}
	if h, err := NystromBuild(bufAddr(c), 3, 2, uintptr(unsafe.Pointer(&lm[0])), 1, 0.1, 1e-9, 1e-12); err != nil {
		t.Fatal(err)
	} else if ok, _ := NystromFree(h); !ok {
		t.Fatal("free failed")
	}
	asym := []float64{1, 0.5, 0.4, 1, 0.2, 0.3}
	if _, err := NystromBuild(bufAddr(asym), 3, 2, uintptr(unsafe.Pointer(&lm[0])), 1, 0.1, 1e-9, 1e-12); err == nil || !strings.HasPrefix(err.Error(), "ValueError: not symmetric") {
		t.Fatalf("asymmetric: %v", err)
	}
	if _, err := NystromBuild(bufAddr(c), 3, 2, uintptr(unsafe.Pointer(&lm[0])), 1, 0, 1e-9, 1e-12); err == nil || !strings.HasPrefix(err.Error(), "ValueError: alpha") {
		t.Fatalf("alpha 0: %v", err)
	}
	bad := []int64{0, 7}
	if _, err := NystromBuild(bufAddr(c), 3, 2, uintptr(unsafe.Pointer(&bad[0])), 1, 0.1, 1e-9, 1e-12); err == nil {
		t.Fatal("landmark out of range accepted")
	}
}

// TestNystromTwoStepBuild builds the preconditioner by NystromFactorLandmarks
// and NystromBuildFromGram, B and B^T B formed here as a caller's BLAS
// would: it equals NystromBuild's (same iterations, same solution).
func TestNystromTwoStepBuild(t *testing.T) {
	n, m := 40, 8
	pts := make([]float64, n)
	for i := range pts {
		pts[i] = math.Sin(float64(3*i)) * 2
	}
	k := func(i, j int) float64 { d := pts[i] - pts[j]; return math.Exp(-d * d) }
	lm := make([]int64, m)
	c := make([]float64, n*m)
	for s := range lm {
		lm[s] = int64(5 * s)
	}
	for i := 0; i < n; i++ {
		for s, j := range lm {
			c[i*m+s] = k(i, int(j))
		}
	}
	l := make([]float64, m*m)
	if err := NystromFactorLandmarks(bufAddr(c), n, m, uintptr(unsafe.Pointer(&lm[0])), 1e-12, 1e-10, bufAddr(l)); err != nil {
		t.Fatal(err)
	}
	// B = C L^-T row by row (L b_i = c_i), then B^T B.
	b := make([]float64, n*m)
	for i := 0; i < n; i++ {
		for s := 0; s < m; s++ {
			v := c[i*m+s]
			for u := 0; u < s; u++ {
				v -= l[s*m+u] * b[i*m+u]
			}
			b[i*m+s] = v / l[s*m+s]
		}
	}
	g := make([]float64, m*m)
	for s := 0; s < m; s++ {
		for u := 0; u < m; u++ {
			for i := 0; i < n; i++ {
				g[s*m+u] += b[i*m+s] * b[i*m+u]
			}
		}
	}
	h2, err := NystromBuildFromGram(bufAddr(b), n, m, bufAddr(g), 1, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	defer NystromFree(h2)
	h1, err := NystromBuild(bufAddr(c), n, m, uintptr(unsafe.Pointer(&lm[0])), 1, 0.1, 1e-12, 1e-10)
	if err != nil {
		t.Fatal(err)
	}
	defer NystromFree(h1)
	rhs := make([]float64, n)
	for i := range rhs {
		rhs[i] = math.Cos(float64(i))
	}
	solveWith := func(p int64) ([]float64, int) {
		h, err := SolverStart(n, bufAddr(rhs), 0, p, 1e-12, 0, 200, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		defer SolverClose(h)
		in, out := make([]float64, n), make([]float64, n)
		products := 0
		for {
			code, err := SolverNext(h, bufAddr(in), bufAddr(out), n)
			if err != nil {
				t.Fatal(err)
			}
			if code == SolverDone {
				return out, products
			}
			products++
			for i := range in {
				in[i] = 0.1 * out[i]
				for j := 0; j < n; j++ {
					in[i] += k(i, j) * out[j]
				}
			}
		}
	}
	x1, p1 := solveWith(h1)
	x2, p2 := solveWith(h2)
	if p1 != p2 {
		t.Fatalf("%d products with NystromBuild, %d with the two-step build", p1, p2)
	}
	for i := range x1 {
		if math.Abs(x1[i]-x2[i]) > 1e-9*(1+math.Abs(x1[i])) {
			t.Fatalf("x[%d]: %g vs %g", i, x1[i], x2[i])
		}
	}
	// Errors: an asymmetric landmark block; alpha 0; a Gram matrix with a NaN.
	c[0*m+1] += 0.1
	if err := NystromFactorLandmarks(bufAddr(c), n, m, uintptr(unsafe.Pointer(&lm[0])), 1e-12, 1e-10, bufAddr(l)); err == nil || !strings.HasPrefix(err.Error(), "ValueError: not symmetric") {
		t.Fatalf("asymmetric: %v", err)
	}
	if _, err := NystromBuildFromGram(bufAddr(b), n, m, bufAddr(g), 1, 0); err == nil || !strings.HasPrefix(err.Error(), "ValueError: alpha") {
		t.Fatalf("alpha 0: %v", err)
	}
	g[m+0] = math.NaN()
	if _, err := NystromBuildFromGram(bufAddr(b), n, m, bufAddr(g), 1, 0.1); err == nil {
		t.Fatal("NaN Gram matrix accepted")
	}
}
