package solve

import (
	"errors"
	"fmt"
	"math"
)

// Operator computes dst = A src for a symmetric positive definite A; dst and
// src do not overlap. An error stops the solve and is returned by CG.
type Operator func(dst, src []float64) error

// Preconditioner applies dst = P^-1 src for a symmetric positive definite P
// close to A; dst and src do not overlap.
type Preconditioner interface {
	Apply(dst, src []float64)
}

// Options of CG. The solve has converged when the residual norm
// ||b - A x||_2 is at most max(RTol ||b||_2, ATol).
type Options struct {
	RTol, ATol float64
	// MaxIter is the iteration cap (each iteration is one product); 0 runs none.
	MaxIter int
	// Stagnation stops the solve once this many iterations in a row have not
	// lowered the best residual norm below StagnationFactor times itself;
	// 0 disables it.
	Stagnation       int
	StagnationFactor float64
	// Progress, if set, is called after every iteration with the iteration
	// number, the residual norm and the current iterate (read-only); an
	// error stops the solve and is returned by CG.
	Progress func(iter int, residual float64, x []float64) error
}

// Stop says why a solve ended.
type Stop int

const (
	Converged Stop = iota // the residual reached the tolerance
	MaxIter               // the iteration cap was reached
	Stagnated             // the residual stopped decreasing
	Breakdown             // p'Ap <= 0 or not finite: A is singular, indefinite or not finite
)

func (s Stop) String() string {
	return [...]string{"converged", "maximum number of iterations reached",
		"the residual stopped decreasing", "breakdown (p'Ap <= 0: the operator is singular or not positive definite)"}[s]
}

// Result reports a solve. Residual is the residual norm of the returned x:
// the recurrence's value when converged, else the true ||b - A x|| computed
// by one more product.
type Result struct {
	Stop       Stop
	Iterations int
	Residual   float64
	BNorm      float64 // ||b||_2, so that Residual / BNorm is the relative residual
	// PAP is p'Ap / (|A| p'p) at a breakdown, |A| the largest |Ap| / |p| met:
	// about -1 for an indefinite A, within rounding of 0 for a singular one.
	PAP float64
	// Refinements is the number of exact residual products of Refine
	// (0 for CG, whose products are all alike).
	Refinements int
}

// Converged reports whether the tolerance was reached.
func (r Result) Converged() bool { return r.Stop == Converged }

// ErrNotFinite is returned when the data or a product is NaN or infinite.
var ErrNotFinite = errors.New("the residual is NaN or infinite: the data and the operator must be finite")

// CG solves A x = b starting from the x passed in (zero it for a zero
// start), which receives the solution. P may be nil (plain CG). The iterate
// returned is the best one met (smallest residual), and never worse than
// the start: a solve that cannot converge returns the start rather than
// the garbage a long unconverged run drifts to.
func CG(A Operator, P Preconditioner, b, x []float64, opt Options) (Result, error) {
	n := len(b)
	if len(x) != n {
		return Result{}, fmt.Errorf("x has %d values, b has %d", len(x), n)
	}
	res := Result{BNorm: norm(b)}
	tol := math.Max(opt.RTol*res.BNorm, opt.ATol)
	r, p, ap := make([]float64, n), make([]float64, n), make([]float64, n)
	start := isZero(x)
	if start {
		copy(r, b)
	} else {
		if err := A(ap, x); err != nil {
			return res, err
		}
		for i := range r {
			r[i] = b[i] - ap[i]
		}
	}
	rn := norm(r)
	res.Residual = rn
	if math.IsNaN(rn) || math.IsInf(rn, 0) {
		return res, ErrNotFinite
	}
	if rn <= tol || rn == 0 {
		res.Stop = Converged
		return res, nil
	}
	x0 := append([]float64(nil), x...)
	best, bestRes := append([]float64(nil), x...), rn
	anchor, sinceAnchor, r0 := rn, 0, rn
	z := r
	if P != nil {
		z = make([]float64, n)
		P.Apply(z, r)
	}
	copy(p, z)
	rz := dot(r, z)
	factor := opt.StagnationFactor
	if factor <= 0 || factor > 1 {
		factor = 1
	}
	res.Stop = MaxIter
	var anorm float64 // the largest |Ap| / |p| so far: a lower bound of ||A||
	for it := 1; it <= opt.MaxIter; it++ {
		if err := A(ap, p); err != nil {
			return res, err
		}
		pap := dot(p, ap)
		if math.IsNaN(pap) || math.IsInf(pap, 0) {
			return res, ErrNotFinite
		}
		if pp := dot(p, p); pp > 0 {
			anorm = math.Max(anorm, math.Sqrt(dot(ap, ap)/pp))
			if pap <= 0 {
				res.Stop, res.PAP = Breakdown, 0
				if anorm > 0 {
					res.PAP = pap / (anorm * pp)
				}
				break
			}
		} else { // p vanished (underflow): no direction left
			res.Stop = Breakdown
			break
		}
		alpha := rz / pap
		for i := range x {
			x[i] += alpha * p[i]
			r[i] -= alpha * ap[i]
		}
		res.Iterations = it
		rn = norm(r)
		if math.IsNaN(rn) || math.IsInf(rn, 0) {
			return res, ErrNotFinite
		}
		if opt.Progress != nil {
			if err := opt.Progress(it, rn, x); err != nil {
				return res, err
			}
		}
		if rn <= tol || rn == 0 {
			res.Stop, res.Residual = Converged, rn
			return res, nil
		}
		if rn < bestRes {
			copy(best, x)
			bestRes = rn
		}
		if rn < factor*anchor {
			anchor, sinceAnchor = rn, 0
		} else if sinceAnchor++; opt.Stagnation > 0 && sinceAnchor >= opt.Stagnation {
			res.Stop = Stagnated
			break
		}
		if P != nil {
			P.Apply(z, r)
		}
		rzNew := dot(r, z)
		beta := rzNew / rz
		for i := range p {
			p[i] = z[i] + beta*p[i]
		}
		rz = rzNew
	}
	// Not converged: return the best iterate, checked by its true residual
	// (the recurrence drifts from it), or the start when that is no better.
	copy(x, best)
	if bestRes == r0 {
		res.Residual = r0
		return res, nil
	}
	if err := A(ap, x); err != nil {
		return res, err
	}
	for i := range r {
		r[i] = b[i] - ap[i]
	}
	res.Residual = norm(r)
	if !(res.Residual < r0) {
		copy(x, x0)
		res.Residual = r0
	}
	return res, nil
}

func dot(a, b []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

func isZero(a []float64) bool {
	for _, v := range a {
		if v != 0 {
			return false
		}
	}
	return true
}

func isEqual(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
