package solve

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// gaussian returns the n x n matrix exp(-|x_i - x_j|^2) of n random points of
// dimension 3 (standard normal): smooth, so its eigenvalues decay fast.
func gaussian(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, 3*n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	k := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var d float64
			for c := 0; c < 3; c++ {
				t := x[3*i+c] - x[3*j+c]
				d += t * t
			}
			k[i*n+j] = math.Exp(-d)
		}
	}
	return k
}

func dense(a []float64, n int, ridge float64, count *int) Operator {
	return func(dst, src []float64) error {
		if count != nil {
			*count++
		}
		for i := 0; i < n; i++ {
			var s float64
			for j := 0; j < n; j++ {
				s += a[i*n+j] * src[j]
			}
			dst[i] = s + ridge*src[i]
		}
		return nil
	}
}

func residual(A Operator, b, x []float64) float64 {
	ax := make([]float64, len(b))
	_ = A(ax, x)
	for i := range ax {
		ax[i] = b[i] - ax[i]
	}
	return norm(ax) / norm(b)
}

func randVec(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 2))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.Float64()
	}
	return v
}

// columns returns C = K[:, S] and S for the first m points (the data are
// random, so they are a uniform sample).
func columns(k []float64, n, m int) ([]float64, []int) {
	s := make([]int, m)
	c := make([]float64, n*m)
	for t := range s {
		s[t] = t * (n / m)
	}
	for i := 0; i < n; i++ {
		for t, j := range s {
			c[i*m+t] = k[i*n+j]
		}
	}
	return c, s
}

func TestCGSolvesAndNystromCutsIterations(t *testing.T) {
	n, alpha := 400, 0.1
	k := gaussian(n, 1)
	b := randVec(n, 3)
	var plainCalls, pcgCalls int
	opt := Options{RTol: 1e-10, MaxIter: 10 * n}
	x := make([]float64, n)
	res, err := CG(dense(k, n, alpha, &plainCalls), nil, b, x, opt)
	if err != nil || !res.Converged() {
		t.Fatalf("plain CG: %v %+v", err, res)
	}
	if r := residual(dense(k, n, alpha, nil), b, x); r > 2e-10 {
		t.Fatalf("plain CG residual %g", r)
	}
	c, s := columns(k, n, 200)
	P, err := NewNystrom(c, n, s, alpha, NystromOptions{SymTol: 1e-12, Jitter: 1e-12})
	if err != nil {
		t.Fatal(err)
	}
	xp := make([]float64, n)
	res2, err := CG(dense(k, n, alpha, &pcgCalls), P, b, xp, opt)
	if err != nil || !res2.Converged() {
		t.Fatalf("PCG: %v %+v", err, res2)
	}
	if r := residual(dense(k, n, alpha, nil), b, xp); r > 2e-10 {
		t.Fatalf("PCG residual %g", r)
	}
	t.Logf("products: plain CG %d, Nystrom PCG %d", plainCalls, pcgCalls)
	if pcgCalls*4 > plainCalls {
		t.Fatalf("Nystrom PCG took %d products, plain CG %d: expected at least 4x fewer", pcgCalls, plainCalls)
	}
	for i := range x {
		if math.Abs(x[i]-xp[i]) > 1e-7*(1+math.Abs(x[i])) {
			t.Fatalf("x[%d]: plain %g, PCG %g", i, x[i], xp[i])
		}
	}
}

func TestNystromIsTheInverseOfItsApproximation(t *testing.T) {
	// With every point a landmark, P = K + alpha Id exactly (up to jitter):
	// one preconditioned iteration solves the system.
	n, alpha := 60, 0.5
	k := gaussian(n, 2)
	c, s := columns(k, n, n)
	P, err := NewNystrom(c, n, s, alpha, NystromOptions{SymTol: 1e-12, Jitter: 1e-14})
	if err != nil {
		t.Fatal(err)
	}
	b := randVec(n, 4)
	x := make([]float64, n)
	P.Apply(x, b)
	if r := residual(dense(k, n, alpha, nil), b, x); r > 1e-6 {
		t.Fatalf("P^-1 b has relative residual %g", r)
	}
}

func TestNystromRejects(t *testing.T) {
	n := 50
	k := gaussian(n, 5)
	c, s := columns(k, n, 10)
	if _, err := NewNystrom(c, n, s, 0, NystromOptions{}); !errors.Is(err, ErrAlpha) {
		t.Fatalf("alpha = 0: %v", err)
	}
	asym := append([]float64(nil), c...)
	asym[s[2]*10+3] += 0.1
	if _, err := NewNystrom(asym, n, s, 1, NystromOptions{SymTol: 1e-9}); !errors.Is(err, ErrNotSymmetric) {
		t.Fatalf("asymmetric: %v", err)
	}
	neg := append([]float64(nil), c...)
	for i := range neg {
		neg[i] = -neg[i]
	}
	if _, err := NewNystrom(neg, n, s, 1, NystromOptions{SymTol: 1e-9}); !errors.Is(err, ErrIndefinite) {
		t.Fatalf("negative definite: %v", err)
	}
	if _, err := NewNystrom(c[:5], n, s, 1, NystromOptions{}); err == nil {
		t.Fatal("short C accepted")
	}
}

func TestCGNeverReturnsWorseThanItsStart(t *testing.T) {
	// A singular operator (duplicated points, no ridge) and a right-hand side
	// outside its range: CG cannot converge; it must stop early (stagnation)
	// and return something no worse than x = 0.
	n := 100
	k := gaussian(n, 6)
	for i := 0; i < n/2; i++ { // point n/2+i duplicates point i
		for j := 0; j < n; j++ {
			k[(n/2+i)*n+j] = k[i*n+j]
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n/2; j++ {
			k[i*n+n/2+j] = k[i*n+j]
		}
	}
	b := randVec(n, 7)
	calls := 0
	A := dense(k, n, 0, &calls)
	x := make([]float64, n)
	res, err := CG(A, nil, b, x, Options{ATol: 0, MaxIter: 10 * n, Stagnation: 50, StagnationFactor: 0.99})
	if err != nil {
		t.Fatal(err)
	}
	if res.Converged() || calls > 9*n {
		t.Fatalf("%+v after %d products", res, calls)
	}
	if r := residual(A, b, x); r > 1+1e-12 || math.Abs(r*res.BNorm-res.Residual) > 1e-9*res.BNorm {
		t.Fatalf("returned relative residual %g (reported %g)", r, res.Residual/res.BNorm)
	}
}

func TestCGEdgeCases(t *testing.T) {
	n := 30
	k := gaussian(n, 8)
	A := dense(k, n, 1, nil)
	b := randVec(n, 9)
	// MaxIter = 0 returns the start.
	x := make([]float64, n)
	res, err := CG(A, nil, b, x, Options{RTol: 1e-12})
	if err != nil || res.Converged() || res.Iterations != 0 || !isZero(x) || res.Residual != norm(b) {
		t.Fatalf("maxiter 0: %v %+v", err, res)
	}
	// A zero tolerance ends at the exact solution or by stagnation, never an error.
	res, err = CG(A, nil, b, x, Options{MaxIter: 10 * n, Stagnation: 20, StagnationFactor: 0.99})
	if err != nil || residual(A, b, x) > 1e-13 {
		t.Fatalf("tol 0: %v %+v residual %g", err, res, residual(A, b, x))
	}
	// A warm start at the solution converges without an iteration.
	calls := 0
	res, err = CG(dense(k, n, 1, &calls), nil, b, x, Options{RTol: 1e-10, MaxIter: 5})
	if err != nil || !res.Converged() || res.Iterations != 0 || calls != 1 {
		t.Fatalf("warm start: %v %+v calls %d", err, res, calls)
	}
	// Indefinite: a breakdown with p'Ap < 0 is reported.
	neg := dense(k, n, -10, nil)
	x = make([]float64, n)
	res, err = CG(neg, nil, b, x, Options{RTol: 1e-10, MaxIter: 100})
	if err != nil || res.Stop != Breakdown || !(res.PAP < 0) {
		t.Fatalf("indefinite: %v %+v", err, res)
	}
	// NaN data is an error.
	bad := append([]float64(nil), b...)
	bad[3] = math.NaN()
	if _, err := CG(A, nil, bad, make([]float64, n), Options{MaxIter: 5}); !errors.Is(err, ErrNotFinite) {
		t.Fatalf("NaN b: %v", err)
	}
	// Progress sees every iteration and can stop the solve.
	stop := errors.New("stop")
	seen := 0
	_, err = CG(A, nil, b, make([]float64, n), Options{RTol: 1e-14, MaxIter: 50,
		Progress: func(it int, r float64, x []float64) error {
			seen++
			if it != seen || len(x) != n || !(r > 0) {
				t.Errorf("progress(%d, %g, len %d) at call %d", it, r, len(x), seen)
			}
			if it == 3 {
				return stop
			}
			return nil
		}})
	if !errors.Is(err, stop) || seen != 3 {
		t.Fatalf("progress stop: %v after %d", err, seen)
	}
}
