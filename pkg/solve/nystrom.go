package solve

import (
	"errors"
	"fmt"
	"math"
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
type Nystrom struct {
	n, m  int
	cols  int // Apply works on n x cols row-major blocks, column by column (K ⊗ Id)
	alpha float64
	bt    []float64 // B^T = L^-1 C^T, m x N row-major
	h     []float64 // m x m lower Cholesky factor of H
	u, v  []float64 // scratch: m and N values
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
// K[i, S[s]]) and the landmark indices S. C is kept, not copied.
func NewNystrom(c []float64, n int, landmarks []int, alpha float64, opt NystromOptions) (*Nystrom, error) {
	m := len(landmarks)
	if !(alpha > 0) {
		return nil, ErrAlpha
	}
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
	// Bt = L^-1 C^T (m x n), then H = alpha Id + Bt Bt^T: the Gram matrix of a
	// computed Bt is positive semi-definite whatever the rounding, so H is
	// always positive definite; L^-1 (C^T C) L^-T would amplify the rounding
	// of C^T C by the condition number of Kmm.
	bt := make([]float64, m*n)
	for i := 0; i < n; i++ {
		for s := 0; s < m; s++ {
			bt[s*n+i] = c[i*m+s]
		}
	}
	forwardSubst(kmm, m, bt, n)
	h := gramRows(bt, m, n)
	for s := 0; s < m; s++ {
		h[s*m+s] += alpha
	}
	if _, ok := lapack64.Potrf(blas64.Symmetric{Uplo: blas.Lower, N: m, Stride: m, Data: h}); !ok {
		return nil, fmt.Errorf("%w: the Cholesky factorisation of alpha Id + B^T B failed", ErrIndefinite)
	}
	return &Nystrom{n: n, m: m, alpha: alpha, bt: bt, h: h, u: make([]float64, m), v: make([]float64, n)}, nil
}

// Rank is the number of landmarks.
func (p *Nystrom) Rank() int { return p.m }

// SetColumns makes Apply work on n x cols blocks (row-major), the
// preconditioner of (alpha Id + K) ⊗ Id_cols: one per column of a
// KernelSolve whose unknown has cols components.
func (p *Nystrom) SetColumns(cols int) {
	p.cols = max(cols, 1)
}

// Apply computes dst = P^-1 src.
func (p *Nystrom) Apply(dst, src []float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, m := p.n, p.m
	H := blas64.Triangular{Uplo: blas.Lower, Diag: blas.NonUnit, N: m, Stride: m, Data: p.h}
	u := blas64.Vector{N: m, Inc: 1, Data: p.u}
	cols := max(p.cols, 1)
	inv := 1 / p.alpha
	for c := 0; c < cols; c++ {
		v := p.v
		for i := range v {
			v[i] = src[i*cols+c]
		}
		for s := 0; s < m; s++ { // u = B^T v
			p.u[s] = dot(p.bt[s*n:(s+1)*n], v)
		}
		blas64.Trsv(blas.NoTrans, H, u) // u = H^-1 u
		blas64.Trsv(blas.Trans, H, u)
		for s := 0; s < m; s++ { // v -= B u
			us, row := p.u[s], p.bt[s*n:(s+1)*n]
			for i := range v {
				v[i] -= us * row[i]
			}
		}
		for i := range v {
			dst[i*cols+c] = v[i] * inv
		}
	}
}

// Size is the length of the vectors Apply takes: N times the columns.
func (p *Nystrom) Size() int { return p.n * max(p.cols, 1) }
