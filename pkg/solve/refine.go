package solve

import (
	"fmt"
	"math"
)

// Mixed precision: when a product in a lower precision (float32 kernel
// sums) is several times cheaper than the exact one, the iterative
// refinement of Refine spends the exact products on residuals only:
//
//	r = b - A x        exact product
//	A d = r            preconditioned CG with the cheap products, to a loose tolerance
//	x += d             and again, until the exact residual meets the tolerance
//
// Each step divides the exact residual by about max(inner tolerance, the
// relative error of the cheap products), so that two or three exact
// products reach 1e-6 where an exact CG takes one per iteration; the
// residual reported is always the exact one, so the cheap products can
// cost speed but never accuracy.

// innerStagnation is the Options.Stagnation of an inner solve.
const innerStagnation = 5

// minContraction is the largest factor by which a refinement step must
// divide the exact residual for Refine to go on refining: a weaker step
// says that the cheap products are too coarse for the system, and exact
// CG, which keeps its Krylov space, then costs fewer products than more
// restarted inner solves.
const minContraction = 0.1

// RefineOptions tune Refine. Options holds the tolerance on the exact
// residual, the cap on CG iterations (cheap and exact together) and the
// stagnation rule of the inner solves; Progress receives every inner
// iteration, with the inner residual as an estimate of the exact one.
type RefineOptions struct {
	Options
	// InnerRTol is the smallest relative tolerance an inner solve is given:
	// about the relative accuracy of the cheap products, below which their
	// rounding, not the iteration, limits the correction.
	InnerRTol float64
	// MaxRefinements caps the exact residuals (the first included).
	MaxRefinements int
}

// Refine solves A x = b, A given by exact products (high) and by cheap
// approximate ones (low), both symmetric positive definite, starting from
// the x passed in. Result.Refinements counts the exact products of
// residuals; Result.Iterations the CG iterations of either kind. When a
// refinement step does not divide the exact residual by 1/minContraction
// (the cheap products are too coarse for this system), the rest of the
// solve is a CG with the exact products from the best iterate, within the
// same iteration cap.
func Refine(high, low Operator, P Preconditioner, b, x []float64, opt RefineOptions) (Result, error) {
	n := len(b)
	if len(x) != n {
		return Result{}, fmt.Errorf("x has %d values, b has %d", len(x), n)
	}
	res := Result{BNorm: norm(b)}
	tol := math.Max(opt.RTol*res.BNorm, opt.ATol)
	r, ax := make([]float64, n), make([]float64, n)
	exact := func(x []float64) (float64, error) { // r = b - A x by the exact product
		res.Refinements++
		if err := high(ax, x); err != nil {
			return 0, err
		}
		for i := range r {
			r[i] = b[i] - ax[i]
		}
		rn := norm(r)
		if math.IsNaN(rn) || math.IsInf(rn, 0) {
			return rn, ErrNotFinite
		}
		return rn, nil
	}
	var rn float64
	if isZero(x) {
		copy(r, b)
		rn = res.BNorm
		if math.IsNaN(rn) || math.IsInf(rn, 0) {
			return res, ErrNotFinite
		}
	} else {
		var err error
		if rn, err = exact(x); err != nil {
			return res, err
		}
	}
	res.Residual = rn
	d, trial, shown := make([]float64, n), make([]float64, n), []float64(nil)
	if opt.Progress != nil {
		shown = make([]float64, n)
	}
	for {
		if rn <= tol || rn == 0 {
			res.Stop = Converged
			return res, nil
		}
		left := opt.MaxIter - res.Iterations
		if left <= 0 || res.Refinements >= max(opt.MaxRefinements, 1) {
			res.Stop = MaxIter
			return res, nil
		}
		// Ask for a quarter of the remaining reduction, so that the step
		// usually lands under tol, but no less than the cheap products give.
		inner := opt.Options
		inner.RTol, inner.ATol, inner.MaxIter = math.Max(0.25*tol/rn, opt.InnerRTol), 0, left
		// An inner solve that has hit the cheap products' rounding stops
		// soon: the next exact residual restarts from there.
		inner.Stagnation, inner.StagnationFactor = innerStagnation, 0.9
		done := res.Iterations
		if opt.Progress != nil {
			inner.Progress = func(it int, ir float64, dk []float64) error {
				for i := range shown {
					shown[i] = x[i] + dk[i]
				}
				return opt.Progress(done+it, ir, shown)
			}
		}
		clear(d)
		ir, err := CG(low, P, r, d, inner)
		res.Iterations += ir.Iterations
		if err != nil {
			return res, err
		}
		if ir.Stop == Breakdown || ir.Iterations == 0 {
			break // the exact CG below decides (and reports) what is wrong
		}
		for i := range trial {
			trial[i] = x[i] + d[i]
		}
		rNew, err := exact(trial)
		if err != nil {
			return res, err
		}
		contraction := rNew / rn
		if rNew < rn {
			copy(x, trial)
			rn, res.Residual = rNew, rNew
		}
		if rn > tol && !(contraction <= minContraction) {
			// The cheap products limit the correction: exact CG from x
			// (its residual is rn; r may hold the rejected trial's).
			break
		}
	}
	// The cheap products cannot refine further: exact CG from x.
	rest := opt.Options
	rest.MaxIter = max(opt.MaxIter-res.Iterations, 0)
	if opt.Progress != nil {
		done := res.Iterations
		rest.Progress = func(it int, r float64, xk []float64) error { return opt.Progress(done+it, r, xk) }
	}
	fromZero := isZero(x)
	cr, err := CG(high, P, b, x, rest)
	cr.Iterations += res.Iterations
	cr.Refinements = res.Refinements
	if !fromZero {
		cr.Refinements++ // CG's residual of its start
	}
	return cr, err
}
