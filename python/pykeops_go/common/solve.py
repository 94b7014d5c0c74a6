"""The options, result and progress report of KernelSolve, shared by the NumPy and torch
front ends, and the drivers of the solvers of the Go engine (package solve).

Framework-neutral: a front end passes the linear map as a function of float64 NumPy
vectors (flattened unknowns) and converts the solution back itself.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from pykeops_go.common import engine

# Iterations without lowering the best residual by 1% after which a solve stops.
STAGNATION = 200
PRECONDITIONERS = (None, "nystrom")
LANDMARK_METHODS = ("auto", "uniform", "cluster")
# "auto" picks "cluster" up to this point dimension (grids suit low dimensions only).
CLUSTER_MAX_DIM = 8
INNER_DTYPES = (None, "float32")
# Iterative refinement with float32 inner products: the relative accuracy of a float32
# kernel product (the smallest tolerance an inner solve is given) and the cap on the
# float64 residual products.
FLOAT32_INNER_RTOL = 1e-4
MAX_REFINEMENTS = 10


class ConvergenceWarning(RuntimeWarning):
    """KernelSolve stopped before its tolerance (scipy reports the same as ``info > 0``)."""


@dataclass
class SolveInfo:
    """How a KernelSolve ended.

    Attributes
    ----------
    converged : bool
        The tolerance was reached.
    iterations : int
        Conjugate gradient iterations (one kernel product each).
    residual : float
        Relative residual ``||b - A a|| / ||b||`` of the returned solution (the
        recurrence's value when converged, the true one otherwise).
    residual_rms : float
        RMS residual ``||b - A a|| / sqrt(b.size)`` (what ``eps`` bounds).
    stop : str
        Why it stopped: "converged", "maximum number of iterations reached",
        "the residual stopped decreasing", "breakdown ...".
    precond : str or None
        The preconditioner used (None: plain CG).
    rank : int
        Number of Nystrom landmarks (0 without).
    products : int
        Products by the operator ``alpha Id + K`` (the Nystrom set-up adds the
        equivalent of ``rank / N`` of one), in either precision.
    inner_dtype : str or None
        ``"float32"`` when the iterations ran on float32 products inside an
        iterative refinement (``inner_dtype="float32"``), else None.
    refinements : int
        Residuals computed by products in the data's precision during an
        iterative refinement (0 without); ``residual`` is the last one.
    info : int
        scipy's convention: 0 converged, else the number of iterations.
    """

    converged: bool
    iterations: int
    residual: float
    residual_rms: float
    stop: str
    precond: str | None = None
    rank: int = 0
    products: int = 0
    inner_dtype: str | None = None
    refinements: int = 0

    @property
    def info(self) -> int:
        return 0 if self.converged else max(self.iterations, 1)


class Progress:
    """The ``verbose`` report: one line per iteration at most every ``every`` seconds
    (``verbose=True``: 1 s; a number: that many seconds; the last line always)."""

    def __init__(self, verbose: Any, stream=None):
        self.every = 1.0 if verbose is True else float(verbose)
        self.stream = stream
        self.last = -math.inf
        self.t0 = time.perf_counter()

    def __call__(self, it: int, rel: float, final: bool = False):
        now = time.perf_counter()
        if final or now - self.last >= self.every:
            self.last = now
            print(f"KernelSolve: iteration {it}, relative residual {rel:.3e}, {now - self.t0:.1f} s",
                  file=self.stream or sys.stdout, flush=True)


def check_options(precond: Any, rank: Any, landmarks: Any, rtol: Any, maxiter: Any,
                  callback: Any, verbose: Any, eps: Any, inner_dtype: Any = None) -> None:
    """ValueError / TypeError naming the bad keyword argument of a solve."""
    if precond not in PRECONDITIONERS:
        raise ValueError(f"KernelSolve: precond must be None or 'nystrom', got {precond!r}")
    if not (inner_dtype is None or (isinstance(inner_dtype, str) and inner_dtype in INNER_DTYPES)):
        raise ValueError(f"KernelSolve: inner_dtype must be None or 'float32', got {inner_dtype!r}")
    if inner_dtype is not None and precond != "nystrom":
        raise ValueError("KernelSolve: inner_dtype='float32' needs precond='nystrom' (the iterative "
                         "refinement runs in the engine's solver)")
    if rank is not None and (isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 1):
        raise ValueError(f"KernelSolve: rank must be a positive int (the number of Nystrom landmarks), got {rank!r}")
    if not (isinstance(landmarks, str) and landmarks in LANDMARK_METHODS):
        arr = np.asarray(landmarks) if not isinstance(landmarks, str) else None
        if arr is None or arr.ndim != 1 or arr.dtype.kind not in "iu" or arr.size == 0:
            raise ValueError("KernelSolve: landmarks must be 'auto', 'uniform', 'cluster' or a 1-D array of "
                             f"point indices, got {landmarks!r}")
    for name, v in (("rtol", rtol), ("eps", eps)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer))
                              or not v >= 0 or not math.isfinite(v)):
            raise ValueError(f"KernelSolve: {name} must be a finite number >= 0, got {v!r}")
    if maxiter is not None and (isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer))
                                or maxiter < 0):
        raise ValueError(f"KernelSolve: maxiter must be an int >= 0, got {maxiter!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"KernelSolve: callback must be callable, got {type(callback).__name__}")
    if not (isinstance(verbose, (bool, int, float)) and verbose >= 0):
        raise ValueError(f"KernelSolve: verbose must be a bool or a number of seconds >= 0, got {verbose!r}")


def choose_landmarks(n: int, rank: int | None, landmarks: Any, points: np.ndarray | None,
                     seed: int = 0) -> np.ndarray:
    """Indices (int64, sorted, distinct) of the Nystrom landmarks among n points.

    ``"uniform"``: rank points drawn without replacement (``np.random.default_rng(seed)``).
    ``"auto"``: ``"cluster"`` for points of dimension at most 8, else ``"uniform"``.
    ``"cluster"``: ``grid_cluster`` of ``points`` with a voxel giving about rank
    clusters, one point per non-empty cluster (the one nearest its centroid), so
    that sparse regions get landmarks too. An array: those indices.
    """
    if not isinstance(landmarks, str):
        idx = np.unique(np.asarray(landmarks, dtype=np.int64))
        if idx[0] < 0 or idx[-1] >= n:
            raise ValueError(f"KernelSolve: landmark indices must lie in [0, {n}), got "
                             f"[{idx[0]}, {idx[-1]}]")
        return idx
    m = min(n, rank if rank is not None else default_rank(n))
    if landmarks == "auto":
        dim = 0 if points is None else np.asarray(points).reshape(n, -1).shape[1]
        landmarks = "cluster" if 0 < dim <= CLUSTER_MAX_DIM else "uniform"
    if landmarks == "uniform" or points is None or m == n:
        rng = np.random.default_rng(seed)
        return np.sort(rng.choice(n, size=m, replace=False)).astype(np.int64)
    from pykeops_go.common.cluster import grid_cluster
    pts = np.asarray(points, dtype=np.float64)
    lo, hi = pts.min(0), pts.max(0)
    span = float(np.max(hi - lo)) or 1.0

    def clusters(voxel):
        labels = grid_cluster(pts, voxel).astype(np.int64)
        return labels, np.count_nonzero(np.bincount(labels))

    # Bisection on log(voxel) for the smallest voxel giving at most m clusters.
    small, big = math.log(span / n), math.log(2 * span)
    labels, _ = clusters(math.exp(big))
    for _ in range(25):
        mid = 0.5 * (small + big)
        lab, count = clusters(math.exp(mid))
        if count <= m:
            big, labels = mid, lab
        else:
            small = mid
    counts = np.bincount(labels)
    cent = np.zeros((counts.size, pts.shape[1]))
    np.add.at(cent, labels, pts)
    cent /= np.maximum(counts, 1)[:, None]
    d2 = ((pts - cent[labels]) ** 2).sum(1)
    order = np.lexsort((d2, labels))
    first = order[np.r_[True, labels[order][1:] != labels[order][:-1]]]
    return np.sort(first).astype(np.int64)


def default_rank(n: int) -> int:
    """The default number of landmarks: 1000, fewer for small systems."""
    return min(n, 1000)


def go_cg(linop: Callable[[np.ndarray], np.ndarray], b: np.ndarray, x0: np.ndarray | None,
          precond: int, rtol: float, atol: float, maxiter: int,
          callback: Callable | None, progress: Progress | None,
          linop_low: Callable[[np.ndarray], np.ndarray] | None = None,
          inner_rtol: float = FLOAT32_INNER_RTOL) -> tuple[np.ndarray, dict]:
    """Run the Go conjugate gradient on float64 vectors; returns (x, info dict).

    ``linop(v)`` returns ``A v`` (float64, shaped like v); ``callback(it, x, rel)``
    and ``progress(it, rel)`` are called after every iteration. With ``linop_low``
    (``A v`` in a lower precision, of relative accuracy about ``inner_rtol``) the
    solve is an iterative refinement: iterations by ``linop_low``, residuals by ``linop``.
    """
    refine = None if linop_low is None else (inner_rtol, MAX_REFINEMENTS)
    s = engine.Solver(b, x0, precond, rtol, atol, maxiter, STAGNATION,
                      callback is not None or progress is not None, refine)
    bnorm = float(np.linalg.norm(b)) or 1.0
    try:
        code, prod = s.next(None), None
        while code != engine.SOLVER_DONE:
            if code in (engine.SOLVER_PRODUCT, engine.SOLVER_PRODUCT_LOW):
                op = linop if code == engine.SOLVER_PRODUCT else linop_low
                prod = np.ascontiguousarray(op(s.out.copy()), dtype=np.float64).reshape(-1)
                if prod.size != s.n:
                    raise ValueError(f"KernelSolve: the operator returned {prod.size} values for {s.n}")
            else:
                st = s.info()
                rel = st["residual"] / bnorm
                if progress is not None:
                    progress(st["iterations"], rel)
                if callback is not None:
                    callback(st["iterations"], s.out.copy(), rel)
                prod = None
            code = s.next(prod)
        info = s.info()
        return s.out.copy(), info
    finally:
        s.close()


def warn_unconverged(info: SolveInfo, eps_text: str, stacklevel: int) -> None:
    warnings.warn(
        f"KernelSolve: the conjugate gradient did not reach the tolerance ({eps_text}) in "
        f"{info.iterations} iterations ({info.stop}); RMS residual {info.residual_rms:.3g}, "
        f"relative residual {info.residual:.3g}; returning the best iterate (or the start if none is better). Is alpha*Id + K "
        "positive definite? A larger alpha, maxiter or tolerance helps.",
        ConvergenceWarning, stacklevel=stacklevel)


def nystrom_handle(C: np.ndarray, idx: np.ndarray, cols: int, alpha: float, sym_tol: float,
                    jitter: float) -> int:
    """The engine's Nystrom preconditioner from ``C = K[:, idx]`` (float64, n x m; consumed).

    The engine checks and factors ``K[idx, idx] = L L^T`` and keeps the preconditioner;
    the two O(N m^2) steps between, ``B = C L^-T`` (in place in C) and ``B^T B``, the
    whole cost of a set-up with many points, run in SciPy's / NumPy's BLAS when SciPy
    is installed (several times the speed of the engine's own kernels), else in the engine."""
    try:
        from scipy.linalg import solve_triangular
    except ImportError:
        return engine.nystrom_build(C, idx, cols, alpha, sym_tol, jitter)
    L = engine.nystrom_factor_landmarks(C, idx, sym_tol, jitter)
    # C.T is Fortran-ordered: the triangular solve overwrites C with B^T = L^-1 C^T.
    bt = solve_triangular(L, C.T, lower=True, overwrite_b=True, check_finite=False)
    B = bt.T
    if not np.shares_memory(B, C) or not B.flags.c_contiguous:
        B = np.ascontiguousarray(B)
    gram = np.ascontiguousarray(B.T @ B)
    return engine.nystrom_build_from_gram(B, gram, cols, alpha)
