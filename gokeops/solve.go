package gokeops

import (
	"encoding/json"
	"errors"
	"math"
	"sync"
	"sync/atomic"

	"github.com/gokeops/gokeops/pkg/errkind"
	"github.com/gokeops/gokeops/pkg/solve"
)

// The conjugate gradient of KernelSolve runs in Go (package solve) while
// its products, kernel reductions with every option of a Python call, are
// computed by the caller: a solver is driven by reverse communication.
// SolverNext returns what the solver needs next (a product, or the report
// of an iteration) and the caller answers at its next SolverNext. Buffers
// are passed at every call and copied; none is kept once a call returns.

// Codes returned by SolverNext.
const (
	SolverDone      = 0 // out holds the solution; SolverInfo reports
	SolverProduct   = 1 // out holds v: pass A v as in at the next call
	SolverIteration = 2 // out holds the current iterate (progress mode only)
	// SolverProductLow: out holds v, pass A v computed in the cheaper, lower
	// precision (SolverStartRefined only).
	SolverProductLow = 3
)

var nystroms = struct {
	sync.Mutex
	m    map[int64]*solve.Nystrom
	next int64
}{m: map[int64]*solve.Nystrom{}}

// NystromBuild builds a Nystrom preconditioner of alpha Id + K from C =
// K[:, landmarks] (float64, n x m row-major) and the m landmark indices
// (int64), not kept, and returns its handle. It applies to vectors of
// n x cols values (cols columns solved at once, each by K). symTol and jitter are those
// of solve.NystromOptions. Errors (kind BadValue: ValueError in Python) start
// with "not symmetric", "not positive definite" or "alpha".
func NystromBuild(c uintptr, n, m int, landmarks uintptr, cols int, alpha, symTol, jitter float64) (h int64, err error) {
	defer guard(&err)
	if n <= 0 || m <= 0 || m > n || n > math.MaxInt/m {
		return 0, errkind.Errorf(errkind.BadValue, "bad Nystrom sizes n=%d, m=%d", n, m)
	}
	cv, err := view[float64](c, n*m)
	if err != nil {
		return 0, err
	}
	lv, err := view[int64](landmarks, m)
	if err != nil {
		return 0, err
	}
	idx := make([]int, m)
	for s, i := range lv {
		idx[s] = int(i)
	}
	p, err := solve.NewNystrom(cv, n, idx, alpha, solve.NystromOptions{SymTol: symTol, Jitter: jitter})
	if err != nil {
		return 0, nystromError(err)
	}
	return keepNystrom(p, cols)
}

// nystromError gives the errors of the Nystrom set-up their kind and prefix.
func nystromError(err error) error {
	switch {
	case errors.Is(err, solve.ErrNotSymmetric):
		return errkind.Errorf(errkind.BadValue, "not symmetric: %v", err)
	case errors.Is(err, solve.ErrIndefinite):
		return errkind.Errorf(errkind.BadValue, "not positive definite: %v", err)
	case errors.Is(err, solve.ErrAlpha):
		return errkind.Errorf(errkind.BadValue, "alpha: %v", err)
	}
	return errkind.Wrap(errkind.BadValue, err)
}

func keepNystrom(p *solve.Nystrom, cols int) (int64, error) {
	if cols < 1 {
		return 0, errkind.Errorf(errkind.BadValue, "bad column count %d", cols)
	}
	p.SetColumns(cols)
	nystroms.Lock()
	defer nystroms.Unlock()
	nystroms.next++
	nystroms.m[nystroms.next] = p
	return nystroms.next, nil
}

// NystromFactorLandmarks is the first step of a set-up whose O(N m^2)
// products the caller runs with its own BLAS: it checks K[landmarks,
// landmarks], read from C as for NystromBuild, and writes the lower
// Cholesky factor L of it plus the jitter (float64, m x m row-major, upper
// triangle zero) to l. The caller then forms B = C L^-T and B^T B and
// passes them to NystromBuildFromGram. Errors as NystromBuild.
func NystromFactorLandmarks(c uintptr, n, m int, landmarks uintptr, symTol, jitter float64, l uintptr) (err error) {
	defer guard(&err)
	if n <= 0 || m <= 0 || m > n || n > math.MaxInt/m {
		return errkind.Errorf(errkind.BadValue, "bad Nystrom sizes n=%d, m=%d", n, m)
	}
	cv, err := view[float64](c, n*m)
	if err != nil {
		return err
	}
	lv, err := view[int64](landmarks, m)
	if err != nil {
		return err
	}
	out, err := view[float64](l, m*m)
	if err != nil {
		return err
	}
	idx := make([]int, m)
	for s, i := range lv {
		idx[s] = int(i)
	}
	f, err := solve.FactorLandmarks(cv, n, idx, solve.NystromOptions{SymTol: symTol, Jitter: jitter})
	if err != nil {
		return nystromError(err)
	}
	copy(out, f)
	return nil
}

// NystromBuildFromGram finishes a set-up begun by NystromFactorLandmarks
// from B = C L^-T (float64, n x m row-major) and its Gram matrix B^T B
// (float64, m x m row-major, lower triangle read), both copied, and
// returns the preconditioner's handle (as NystromBuild).
func NystromBuildFromGram(b uintptr, n, m int, gram uintptr, cols int, alpha float64) (h int64, err error) {
	defer guard(&err)
	if n <= 0 || m <= 0 || m > n || n > math.MaxInt/m {
		return 0, errkind.Errorf(errkind.BadValue, "bad Nystrom sizes n=%d, m=%d", n, m)
	}
	bv, err := view[float64](b, n*m)
	if err != nil {
		return 0, err
	}
	gv, err := view[float64](gram, m*m)
	if err != nil {
		return 0, err
	}
	p, err := solve.NystromFromGram(append([]float64(nil), bv...), n, m, append([]float64(nil), gv...), alpha)
	if err != nil {
		return 0, nystromError(err)
	}
	return keepNystrom(p, cols)
}

// NystromFree releases a preconditioner.
func NystromFree(h int64) (ok bool, err error) {
	defer guard(&err)
	nystroms.Lock()
	defer nystroms.Unlock()
	_, ok = nystroms.m[h]
	delete(nystroms.m, h)
	return ok, nil
}

// solverEvent is what the solver goroutine asks for: vec is the vector to
// multiply (code SolverProduct; dst receives the product), the iterate
// (SolverIteration) or the solution (SolverDone).
type solverEvent struct {
	code     int
	vec, dst []float64
}

type solverRun struct {
	n       int
	events  chan solverEvent
	resume  chan struct{}
	quit    chan struct{}
	pending *solverEvent  // the event the caller answers at its next call
	mu      sync.Mutex    // one SolverNext at a time
	iter    atomic.Int64  // progress so far, written by the solver goroutine
	resid   atomic.Uint64 // float64 bits
	res     solve.Result
	err     error
	closed  bool
}

var solvers = struct {
	sync.Mutex
	m    map[int64]*solverRun
	next int64
}{m: map[int64]*solverRun{}}

var errSolverClosed = errkind.Errorf(errkind.BadValue, "the solver was closed")

// SolverStart starts the conjugate gradient for A x = b, A symmetric
// positive definite of size n given by its products. b and x0 (0: start
// from zero) are float64 buffers of n values, copied. precond is a
// NystromBuild handle or 0. The solve converges when ||r|| <= max(rtol
// ||b||, atol); stagnation is solve.Options.Stagnation (factor 0.99).
// progress makes SolverNext report every iteration.
func SolverStart(n int, b, x0 uintptr, precond int64, rtol, atol float64, maxIter, stagnation int, progress bool) (h int64, err error) {
	defer guard(&err)
	return startSolver(n, b, x0, precond, rtol, atol, maxIter, stagnation, progress,
		func(A, _ solve.Operator, P solve.Preconditioner, b, x []float64, opt solve.Options) (solve.Result, error) {
			return solve.CG(A, P, b, x, opt)
		})
}

// SolverStartRefined is SolverStart solving by iterative refinement
// (solve.Refine): the CG iterations ask for products in a lower precision
// (code SolverProductLow), the residuals, at most maxRefinements of them,
// for exact ones (SolverProduct); innerRTol is the relative accuracy of a
// low-precision product (solve.RefineOptions.InnerRTol).
func SolverStartRefined(n int, b, x0 uintptr, precond int64, rtol, atol, innerRTol float64, maxIter, maxRefinements, stagnation int, progress bool) (h int64, err error) {
	defer guard(&err)
	if !(innerRTol > 0 && innerRTol < 1) || maxRefinements < 1 {
		return 0, errkind.Errorf(errkind.BadValue, "bad refinement arguments innerRTol=%g, maxRefinements=%d", innerRTol, maxRefinements)
	}
	return startSolver(n, b, x0, precond, rtol, atol, maxIter, stagnation, progress,
		func(A, L solve.Operator, P solve.Preconditioner, b, x []float64, opt solve.Options) (solve.Result, error) {
			return solve.Refine(A, L, P, b, x, solve.RefineOptions{Options: opt, InnerRTol: innerRTol, MaxRefinements: maxRefinements})
		})
}

// solveFunc runs a solve with the exact products A and the low-precision ones L.
type solveFunc func(A, L solve.Operator, P solve.Preconditioner, b, x []float64, opt solve.Options) (solve.Result, error)

func startSolver(n int, b, x0 uintptr, precond int64, rtol, atol float64, maxIter, stagnation int, progress bool, run solveFunc) (h int64, err error) {
	if n < 0 || maxIter < 0 || stagnation < 0 {
		return 0, errkind.Errorf(errkind.BadValue, "bad solver arguments n=%d, maxiter=%d, stagnation=%d", n, maxIter, stagnation)
	}
	bv, err := view[float64](b, n)
	if err != nil {
		return 0, err
	}
	x := make([]float64, n)
	if x0 != 0 {
		xv, err := view[float64](x0, n)
		if err != nil {
			return 0, err
		}
		copy(x, xv)
	}
	var P solve.Preconditioner
	if precond != 0 {
		nystroms.Lock()
		p, ok := nystroms.m[precond]
		nystroms.Unlock()
		if !ok {
			return 0, errkind.Errorf(errkind.BadValue, "unknown preconditioner handle %d", precond)
		}
		if p.Size() != n {
			return 0, errkind.Errorf(errkind.BadValue, "the preconditioner is of size %d, the system %d", p.Size(), n)
		}
		P = p
	}
	s := &solverRun{n: n, events: make(chan solverEvent), resume: make(chan struct{}), quit: make(chan struct{})}
	bc := append([]float64(nil), bv...)
	// ask hands an event to the caller and waits for its next call.
	ask := func(e solverEvent) error {
		select {
		case s.events <- e:
		case <-s.quit:
			return errSolverClosed
		}
		select {
		case <-s.resume:
			return nil
		case <-s.quit:
			return errSolverClosed
		}
	}
	opt := solve.Options{RTol: rtol, ATol: atol, MaxIter: maxIter, Stagnation: stagnation, StagnationFactor: 0.99}
	opt.Progress = func(it int, r float64, xk []float64) error {
		s.iter.Store(int64(it))
		s.resid.Store(math.Float64bits(r))
		if !progress {
			return nil
		}
		return ask(solverEvent{code: SolverIteration, vec: xk})
	}
	go func() {
		A := func(dst, src []float64) error { return ask(solverEvent{code: SolverProduct, vec: src, dst: dst}) }
		L := func(dst, src []float64) error { return ask(solverEvent{code: SolverProductLow, vec: src, dst: dst}) }
		res, err := run(A, L, P, bc, x, opt)
		s.res, s.err = res, err
		select {
		case s.events <- solverEvent{code: SolverDone, vec: x}:
		case <-s.quit:
		}
	}()
	solvers.Lock()
	defer solvers.Unlock()
	solvers.next++
	solvers.m[solvers.next] = s
	return solvers.next, nil
}

func lookupSolver(h int64) (*solverRun, error) {
	solvers.Lock()
	defer solvers.Unlock()
	s, ok := solvers.m[h]
	if !ok {
		return nil, errkind.Errorf(errkind.BadValue, "unknown solver handle %d", h)
	}
	return s, nil
}

// SolverNext answers the solver's last request (in: the product it asked
// for, n values; ignored otherwise) and returns its next one, its vector
// copied to out (n values).
func SolverNext(h int64, in, out uintptr, n int) (code int, err error) {
	defer guard(&err)
	s, err := lookupSolver(h)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errkind.Errorf(errkind.BadValue, "the solver has finished")
	}
	if n != s.n {
		return 0, errkind.Errorf(errkind.BadValue, "the solver has size %d, got buffers of %d", s.n, n)
	}
	outv, err := view[float64](out, n)
	if err != nil {
		return 0, err
	}
	if e := s.pending; e != nil {
		if e.code == SolverProduct || e.code == SolverProductLow {
			inv, err := view[float64](in, n)
			if err != nil {
				return 0, err
			}
			copy(e.dst, inv)
		}
		s.pending = nil
		select {
		case s.resume <- struct{}{}:
		case <-s.quit:
			return 0, errSolverClosed
		}
	}
	var e solverEvent
	select {
	case e = <-s.events:
	case <-s.quit:
		return 0, errSolverClosed
	}
	copy(outv, e.vec)
	if e.code == SolverDone {
		s.closed = true
		return SolverDone, nil
	}
	s.pending = &e
	return e.code, nil
}

type solverInfo struct {
	Converged  bool    `json:"converged"`
	Stop       string  `json:"stop"`
	Iterations int     `json:"iterations"`
	Residual   float64 `json:"residual"`
	BNorm      float64 `json:"bnorm"`
	PAP        float64 `json:"pap"`
	// Refinements: the exact residual products of a refined solve.
	Refinements int    `json:"refinements"`
	Error       string `json:"error"`
}

// SolverInfo reports a solver as JSON: its iteration and residual so far,
// or once done whether it converged, why it stopped, its residual norm
// ||b - A x||, ||b|| and any error of the iteration (e.g. a NaN).
func SolverInfo(h int64) (s string, err error) {
	defer guard(&err)
	r, err := lookupSolver(h)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	info := solverInfo{Iterations: int(r.iter.Load()), Residual: math.Float64frombits(r.resid.Load())}
	if r.closed {
		info = solverInfo{Converged: r.res.Converged(), Stop: r.res.Stop.String(), Iterations: r.res.Iterations,
			Residual: r.res.Residual, BNorm: r.res.BNorm, PAP: r.res.PAP, Refinements: r.res.Refinements}
		if r.err != nil {
			info.Error = r.err.Error()
		}
	}
	for _, v := range []*float64{&info.Residual, &info.BNorm, &info.PAP} {
		if math.IsNaN(*v) || math.IsInf(*v, 0) {
			*v = 0 // JSON has no NaN; the error field says what happened
		}
	}
	js, err := json.Marshal(info)
	return string(js), err
}

// SolverClose stops a solver (if still running) and releases it.
func SolverClose(h int64) (ok bool, err error) {
	defer guard(&err)
	solvers.Lock()
	s, ok := solvers.m[h]
	delete(solvers.m, h)
	solvers.Unlock()
	if ok {
		close(s.quit)
	}
	return ok, nil
}
