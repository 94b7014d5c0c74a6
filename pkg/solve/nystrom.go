package solve

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// Nystrom is the preconditioner P = C Kmm^-1 C^T + alpha Id of alpha Id + K,
// where C = K[:, S] holds the columns of m landmark points S and Kmm =
// K[S, S]. It is applied by the Woodbury identity in O(N m):
//
//	P^-1 v = (v - B (alpha Id + B^T B)^-1 B^T v) / alpha,  B = C L^-T,  Kmm = L L^T,
//
// where every m x m matrix is well conditioned (H = alpha Id + B^T B has its
// eigenvalues in [alpha, alpha + ||K||]), unlike the textbook form with
// alpha Kmm + C^T C, whose condition number is that of Kmm squared.
//
// The set-up has three steps: FactorLandmarks (checks and factors Kmm,
// O(m^3)), B = C L^-T and B^T B (the two O(N m^2) steps, the whole cost
// for a large N: NewNystrom runs them with the kernels of dense.go, a
// caller with a faster BLAS runs them itself), and NystromFromGram.
type Nystrom struct {
	n, m  int
	cols  int // Apply works on n x cols row-major blocks, column by column (K ⊗ Id)
	alpha float64
	b     []float64 // B = C L^-T, n x m row-major
	h     []float64 // m x m lower Cholesky factor of H
	u, v  []float64 // scratch: m and N values
	parts [][]float64
	mu    sync.Mutex
}

// Errors of NewNystrom; the caller decides between an error and plain CG.
var (
	ErrNotSymmetric = errors.New("the kernel is not symmetric")
	ErrIndefinite   = errors.New("the kernel is not positive semi-definite")
	ErrAlpha        = errors.New("the Nystrom preconditioner needs alpha > 0")
)

// NystromOptions tune NewNystrom. SymTol bounds |Kmm - Kmm^T| relative to
// max |Kmm| (the precision the kernel values were computed at); Jitter,
// relative to the largest diagonal entry of Kmm, is added to Kmm before its
// factorisation (landmarks that nearly coincide make it numerically
// singular); a Kmm that still fails is indefinite.
type NystromOptions struct {
	SymTol, Jitter float64
}

// NewNystrom builds the preconditioner from C (n x m, row-major: C[i*m+s] is
// K[i, S[s]]) and the landmark indices S. C is not kept.
func NewNystrom(c []float64, n int, landmarks []int, alpha float64, opt NystromOptions) (*Nystrom, error) {
	m := len(landmarks)
	if !(alpha > 0) {
		return nil, ErrAlpha
	}
	l, err := FactorLandmarks(c, n, landmarks, opt)
	if err != nil {
		return nil, err
	}
	// Bt = L^-1 C^T (m x n), then its Gram matrix: the Gram matrix of a
	// computed Bt is positive semi-definite whatever the rounding, so H is
	// always positive definite; L^-1 (C^T C) L^-T would amplify the rounding
	// of C^T C by the condition number of Kmm.
	bt := make([]float64, m*n)
	for i := 0; i < n; i++ {
		for s := 0; s < m; s++ {
			bt[s*n+i] = c[i*m+s]
		}
	}
	forwardSubst(l, m, bt, n)
	g := gramRows(bt, m, n)
	b := make([]float64, n*m)
	for s := 0; s < m; s++ {
		for i := 0; i < n; i++ {
			b[i*m+s] = bt[s*n+i]
		}
	}
	return NystromFromGram(b, n, m, g, alpha)
}

// FactorLandmarks checks Kmm, read from the landmark rows of C (n x m
// row-major, m = len(landmarks)), for symmetry and returns the lower
// Cholesky factor L (m x m row-major, upper triangle zero) of its
// symmetric part plus the jitter: ErrNotSymmetric, ErrIndefinite or
// ErrNotFinite when that is not possible.
func FactorLandmarks(c []float64, n int, landmarks []int, opt NystromOptions) ([]float64, error) {
	m := len(landmarks)
	if m == 0 || n <= 0 || len(c) != n*m {
		return nil, fmt.Errorf("C has %d values; expected n x m = %d x %d", len(c), n, m)
	}
	kmm := make([]float64, m*m)
	for s, i := range landmarks {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("landmark %d is %d, out of [0, %d)", s, i, n)
		}
		copy(kmm[s*m:(s+1)*m], c[i*m:(i+1)*m])
	}
	var maxAbs, maxDiag, asym float64
	worst := [2]int{}
	for s := 0; s < m; s++ {
		maxDiag = math.Max(maxDiag, kmm[s*m+s])
		for t := 0; t < m; t++ {
			v := kmm[s*m+t]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, ErrNotFinite
			}
			maxAbs = math.Max(maxAbs, math.Abs(v))
			if d := math.Abs(v - kmm[t*m+s]); d > asym {
				asym, worst = d, [2]int{s, t}
			}
		}
	}
	if asym > opt.SymTol*maxAbs {
		i, j := landmarks[worst[0]], landmarks[worst[1]]
		return nil, fmt.Errorf("%w: K[%d, %d] = %g but K[%d, %d] = %g", ErrNotSymmetric,
			i, j, kmm[worst[0]*m+worst[1]], j, i, kmm[worst[1]*m+worst[0]])
	}
	if !(maxDiag > 0) {
		return nil, fmt.Errorf("%w: its largest diagonal entry is %g", ErrIndefinite, maxDiag)
	}
	for s := 0; s < m; s++ {
		for t := 0; t < s; t++ {
			v := 0.5 * (kmm[s*m+t] + kmm[t*m+s])
			kmm[s*m+t], kmm[t*m+s] = v, v
		}
		kmm[s*m+s] += opt.Jitter * maxDiag
	}
	if _, ok := lapack64.Potrf(blas64.Symmetric{Uplo: blas.Lower, N: m, Stride: m, Data: kmm}); !ok {
		return nil, fmt.Errorf("%w: the Cholesky factorisation of its %d x %d landmark block failed", ErrIndefinite, m, m)
	}
	for s := 0; s < m; s++ { // Potrf leaves the upper triangle as it was
		clear(kmm[s*m+s+1 : (s+1)*m])
	}
	return kmm, nil
}

// NystromFromGram finishes the set-up from B = C L^-T (n x m row-major,
// kept) and its Gram matrix B^T B (m x m row-major, lower triangle read;
// overwritten), L from FactorLandmarks.
func NystromFromGram(b []float64, n, m int, gram []float64, alpha float64) (*Nystrom, error) {
	if !(alpha > 0) {
		return nil, ErrAlpha
	}
	if m <= 0 || n <= 0 || len(b) != n*m || len(gram) != m*m {
		return nil, fmt.Errorf("B has %d values and its Gram matrix %d; expected n x m = %d x %d and m x m", len(b), len(gram), n, m)
	}
	h := gram
	for s := 0; s < m; s++ {
		for t := 0; t <= s; t++ {
			if v := h[s*m+t]; math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, ErrNotFinite
			}
		}
		h[s*m+s] += alpha
	}
	if _, ok := lapack64.Potrf(blas64.Symmetric{Uplo: blas.Lower, N: m, Stride: m, Data: h}); !ok {
		return nil, fmt.Errorf("%w: the Cholesky factorisation of alpha Id + B^T B failed", ErrIndefinite)
	}
	for s := 0; s < m; s++ {
		clear(h[s*m+s+1 : (s+1)*m])
	}
	return &Nystrom{n: n, m: m, alpha: alpha, b: b, h: h, u: make([]float64, m), v: make([]float64, n)}, nil
}

// Rank is the number of landmarks.
func (p *Nystrom) Rank() int { return p.m }

// SetColumns makes Apply work on n x cols blocks (row-major), the
// preconditioner of (alpha Id + K) ⊗ Id_cols: one per column of a
// KernelSolve whose unknown has cols components.
func (p *Nystrom) SetColumns(cols int) {
	p.cols = max(cols, 1)
}

// applyRows is the number of rows of B per block of Apply's goroutines.
const applyRows = 2048

// Apply computes dst = P^-1 src.
func (p *Nystrom) Apply(dst, src []float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, m := p.n, p.m
	H := blas64.Triangular{Uplo: blas.Lower, Diag: blas.NonUnit, N: m, Stride: m, Data: p.h}
	u := blas64.Vector{N: m, Inc: 1, Data: p.u}
	cols := max(p.cols, 1)
	inv := 1 / p.alpha
	if p.parts == nil {
		p.parts = make([][]float64, max(1, min(runtime.GOMAXPROCS(0), (n+applyRows-1)/applyRows)))
		for w := range p.parts {
			p.parts[w] = make([]float64, m)
		}
	}
	for c := 0; c < cols; c++ {
		v := p.v
		for i := range v {
			v[i] = src[i*cols+c]
		}
		for _, part := range p.parts {
			clear(part)
		}
		used := parallelBlocksN(n, applyRows, len(p.parts), func(w, lo, hi int) { // u = B^T v
			part := p.parts[w]
			for i := lo; i < hi; i++ {
				axpy(part, v[i], p.b[i*m:(i+1)*m])
			}
		})
		copy(p.u, p.parts[0])
		for _, part := range p.parts[1:used] {
			for s := range p.u {
				p.u[s] += part[s]
			}
		}
		blas64.Trsv(blas.NoTrans, H, u) // u = H^-1 u
		blas64.Trsv(blas.Trans, H, u)
		parallelBlocksN(n, applyRows, len(p.parts), func(_, lo, hi int) { // v -= B u
			for i := lo; i < hi; i++ {
				dst[i*cols+c] = (v[i] - dot(p.b[i*m:(i+1)*m], p.u)) * inv
			}
		})
	}
}

// axpy computes dst += a x.
func axpy(dst []float64, a float64, x []float64) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] += a * x[i]
	}
}

// Size is the length of the vectors Apply takes: N times the columns.
func (p *Nystrom) Size() int { return p.n * max(p.cols, 1) }
