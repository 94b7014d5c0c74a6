"""KernelSolve: solve ``(alpha Id + K) a = b`` by conjugate gradient, K a Genred Sum."""

from __future__ import annotations

import math
import re
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from pykeops_go.common import engine
from pykeops_go.common import kernel_solve as _common
from pykeops_go.common import solve as S
from pykeops_go.common.arguments import axis2cat, get_type  # noqa: F401
from pykeops_go.common.get_options import get_tag_backend  # noqa: F401
from pykeops_go.common.operations import ConjugateGradientSolver, check_square, conjugate_gradient  # noqa: F401
from pykeops_go.common.parse_type import complete_aliases, get_optional_flags, get_sizes  # noqa: F401
from pykeops_go.numpy.generic.generic_red import Genred
from pykeops_go.utils import default_device_id, pyKeOps_Warning  # noqa: F401


class KernelSolve(_common.KernelSolve):
    """A conjugate gradient solver for ``(alpha Id + K) a = b`` on NumPy arrays.

    ``K`` is the Sum reduction of ``formula``, linear in the variable
    ``varinvalias``; the operator must be symmetric positive definite and
    square (typically ``a = Vj(D)`` with ``axis=1`` and the same points passed
    as the Vi and the Vj argument). The constructor is
    :class:`pykeops_go.common.kernel_solve.KernelSolve`'s.

    Parameters
    ----------
    formula : str
        Formula linear in ``varinvalias``, e.g. ``"Exp(-SqDist(x, y)) * a"``.
    aliases : list of str
        Variables, as for :class:`Genred` (extended with the ``Var(...)`` of the formula).
    varinvalias : str
        Name of the unknown (``"a"``), or ``"Var(pos,dim,cat)"``.
    axis : int
        0 reduces over i, 1 over j (as :class:`Genred`).
    dtype : ignored
        Deprecated, as in pykeops.
    opt_arg : int, optional
        Passed to the Sum reduction (pykeops does the same; Sum takes none).
    dtype_acc, use_double_acc, sum_scheme, enable_chunks, rec_multVar_highdim, use_fast_math :
        As for :class:`Genred`.

    Examples
    --------
    >>> K_inv = KernelSolve("Exp(-SqDist(x,y))*a", ["x=Vi(3)", "y=Vj(3)", "a=Vj(2)"], "a", axis=1)
    >>> a = K_inv(x, x, b, alpha=0.1)  # (0.1 Id + K(x, x)) a = b
    """

    Genred = Genred

    def __call__(self, *args: np.ndarray, backend: str = "auto", device_id: int = -1,
                 alpha: float = 1e-10, eps: float | None = None,
                 ranges: Sequence[np.ndarray] | None = None, x0: np.ndarray | None = None,
                 maxiter: int | None = None, rtol: float | None = None, precond: str | None = None,
                 rank: int | None = None, landmarks: Any = "auto", seed: int = 0,
                 callback: Callable | None = None, verbose: bool | float = False,
                 return_info: bool = False, inner_dtype: str | None = None) -> np.ndarray:
        """Solve ``(alpha Id + K) a = b`` where ``b = args[varinvpos]``.

        Parameters
        ----------
        *args : numpy.ndarray
            One array per alias, as for :class:`Genred`; the unknown's slot holds b.
        backend, device_id, ranges :
            As for :meth:`Genred.__call__`.
        alpha : float
            Ridge added to the diagonal (skipped when 0).
        eps : float, optional
            The iteration stops when the RMS residual is below eps (pykeops' rule);
            default 1e-6 when rtol is not given.
        x0 : numpy.ndarray, optional
            Initial guess, shaped like b (default 0, as pykeops 2.3).
        maxiter : int, optional
            Iteration cap, default ``10 * b.size`` (pykeops 2.3 has none); the solve also
            stops once 200 iterations have not lowered the residual by 1%. Either way a
            :class:`ConvergenceWarning` is issued and the best iterate returned.
        rtol : float, optional
            Stop when ``||b - A a|| <= rtol ||b||`` (relative tolerance); with eps
            too, when either holds.
        precond : None or "nystrom"
            None (default): pykeops' plain conjugate gradient. ``"nystrom"``: the
            conjugate gradient of the Go engine preconditioned by the Nystrom
            approximation of K on ``rank`` landmark points (symmetric positive
            kernels, alpha > 0, no batch or ranges): tens of iterations instead of
            hundreds for smooth kernels. A kernel found not symmetric raises a
            ValueError; one found not positive definite, or alpha <= 0, falls back
            to plain CG with a warning.
        rank : int, optional
            Number of landmarks (default ``min(N, 1000)``).
        landmarks : "auto", "uniform", "cluster" or array of int
            How landmarks are chosen: uniformly at random (``seed``), one per
            ``grid_cluster`` voxel of the points (spread over the data, fewer
            iterations), or these point indices. "auto" (default): "cluster" for
            points of dimension <= 8, else "uniform".
        seed : int
            Seed of the uniform choice of landmarks.
        callback : callable, optional
            ``callback(iteration, a, relative_residual)`` after every iteration
            (``a`` is the current iterate, flattened for the Nystrom solver).
        verbose : bool or float
            Print the iteration and relative residual, at most once a second (or
            every ``verbose`` seconds), and the last line.
        return_info : bool
            Return ``(a, info)``, info a :class:`SolveInfo` (converged, iterations,
            residual...); it is also kept as ``self.last_info``.
        inner_dtype : None or "float32"
            With ``precond="nystrom"`` and float64 data, ``"float32"`` solves by
            iterative refinement: the conjugate gradient iterations use float32
            kernel products (several times cheaper), and each correction is checked
            by a float64 product of the residual, which alone decides convergence,
            so the tolerance is met in float64. Should float32 be too coarse for the
            system (a correction that does not divide the residual by 10), the solve
            goes on in float64. Ignored for float32 data. See docs/solve.md.

        Returns
        -------
        numpy.ndarray
            The solution ``a``, shaped like b, of its dtype.
        """
        if len(args) != len(self.aliases):
            raise ValueError(f"Invalid number of arguments in call to KernelSolve (should be "
                             f"{len(self.aliases)} and got {len(args)}).")
        S.check_options(precond, rank, landmarks, rtol, maxiter, callback, verbose, eps, inner_dtype)
        if not isinstance(alpha, (int, float, np.integer, np.floating)) or isinstance(alpha, bool) \
                or not math.isfinite(alpha):
            raise ValueError(f"KernelSolve: alpha must be a finite number, got {alpha!r}")
        if eps is None and rtol is None:
            eps = 1e-6
        pos = self.varinvpos
        b = args[pos]
        if not isinstance(b, np.ndarray):
            raise TypeError(f"KernelSolve: argument {pos} (the right-hand side b) must be a NumPy "
                            f"array, got {type(b).__name__}")
        if x0 is not None:
            if not isinstance(x0, np.ndarray) or x0.shape != b.shape:
                raise ValueError(f"KernelSolve: x0 must be a NumPy array shaped like b {b.shape}, got "
                                 f"{getattr(x0, 'shape', type(x0).__name__)}")
            x0 = x0.astype(b.dtype)
        products = [0]

        def linop(v):
            products[0] += 1
            res = self.genred(*args[:pos], v, *args[pos + 1:], backend=backend,
                              device_id=device_id, ranges=ranges)
            check_square(res, v)
            if alpha:
                res += alpha * v
            return res

        progress = S.Progress(verbose) if verbose else None
        info = None
        if precond == "nystrom":
            reason = self._nystrom_unsupported(b, alpha, ranges)
            if reason is None:
                low = None
                if inner_dtype == "float32" and b.dtype == np.float64:
                    args32 = [a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64
                              else a for a in args]

                    def low(v):
                        products[0] += 1
                        res = self.genred(*args32[:pos], v.astype(np.float32), *args32[pos + 1:],
                                          backend=backend, device_id=device_id)
                        check_square(res, v)
                        res = res.astype(np.float64)
                        if alpha:
                            res += alpha * v
                        return res
                out = self._nystrom_solve(args, b, float(alpha), eps, rtol, x0, maxiter, rank,
                                          landmarks, seed, callback, progress, linop, products, low)
                if isinstance(out, str):
                    reason = out
                else:
                    a, info = out
            if reason is not None:
                warnings.warn(f"KernelSolve: {reason}; solving by plain conjugate gradient",
                              RuntimeWarning, stacklevel=2)
        if info is None:
            a, info = conjugate_gradient(linop, b, eps=eps, x0=x0, maxiter=maxiter, rtol=rtol,
                                         callback=callback, progress=progress, return_info=True)
        info.products = products[0]
        self.last_info = info
        return (a, info) if return_info else a

    # ------------------------------------------------------------- Nystrom
    def _nystrom_unsupported(self, b: np.ndarray, alpha: float, ranges: Any) -> str | None:
        """Why the Nystrom solver does not apply (None when it does)."""
        if not alpha > 0:
            return f"precond='nystrom' needs alpha > 0 (got {alpha})"
        if ranges:
            raise ValueError("KernelSolve: precond='nystrom' does not support ranges")
        if b.ndim != 2:
            raise ValueError("KernelSolve: precond='nystrom' does not support batch dimensions "
                             f"(b has shape {b.shape})")
        if b.shape[0] < 2:
            return "the system has fewer than 2 points"
        return None

    def _block_kernel(self, D: int, G: int) -> tuple[Genred, int]:
        """The Genred of kernel blocks: the formula with the unknown a replaced by a
        parameter u (set to e_0) times a one-hot selector e of G columns indexed like a;
        returns it and the position of u. Since the formula is linear in a, its first
        component at u = e_0 is K(x, y)[0, 0]: the kernel of a scalar kernel k(x, y) a."""
        key = (D, G)
        cache = self.__dict__.setdefault("_blocks", {})
        if key in cache:
            return cache[key]
        pos = self.varinvpos
        name, cat, dim, _ = get_type(self.aliases[pos], pos)
        formula, aliases = self.formula, list(self.aliases)
        if name:
            aliases[pos] = f"{name} = Pm({pos}, {D})"
        else:
            var = re.compile(r"Var\(\s*%d\s*,\s*%d\s*,\s*%d\s*\)" % (pos, dim, cat))
            formula = var.sub(f"Var({pos},{D},2)", formula)
            aliases[pos] = f"Var({pos},{D},2)"
        sel = "Vj" if self.axis == 1 else "Vi"
        aliases.append(f"NystromSelect = {sel}({len(aliases)}, {G})")
        f = f"({formula}) * NystromSelect" if D == 1 else f"Elem({formula}, 0) * NystromSelect"
        g = Genred(f, aliases, reduction_op="Sum", axis=self.axis, **self._genred_options)
        cache[key] = g
        return g

    def _nystrom_solve(self, args, b, alpha, eps, rtol, x0, maxiter, rank, landmarks, seed,
                       callback, progress, linop, products, linop_low=None):
        """(a, SolveInfo) by the Nystrom-preconditioned CG of the engine, or a string saying
        why it falls back to plain CG. With ``linop_low`` (the float64 operator by float32
        products), by iterative refinement."""
        n, D = b.shape
        pos = self.varinvpos
        cats = [get_type(a, i)[1] for i, a in enumerate(self.aliases)]
        red = 1 if self.axis == 1 else 0  # category of the reduced index (and of a)
        cols = [k for k, c in enumerate(cats) if c == red and k != pos]
        pts = args[cols[0]] if cols else None
        idx = S.choose_landmarks(n, rank, landmarks, pts, seed)
        m = idx.size
        dt = b.dtype
        G = 16
        block = self._block_kernel(D, G)
        # C = K[:, idx] in chunks of landmarks: each chunk is one batched call whose batch
        # b holds G landmarks as its reduced points and the G x G identity as selector.
        C = np.empty((n, m), dtype=np.float64)
        u = np.zeros((1, D), dtype=dt)
        u[0, 0] = 1
        chunk = max(G, (4_000_000 // max(n, 1)) // G * G)
        for s0 in range(0, m, chunk):
            sl = idx[s0:s0 + chunk]
            nb = -(-sl.size // G)
            padded = np.concatenate([sl, np.repeat(sl[-1:], nb * G - sl.size)])
            call = []
            for k, a in enumerate(args):
                if k == pos:
                    call.append(u)
                elif cats[k] == red:
                    call.append(np.ascontiguousarray(a[padded].reshape(nb, G, -1)))
                elif cats[k] == 2:
                    call.append(np.asarray(a).reshape(1, -1))
                else:
                    call.append(a[None])
            call.append(np.ascontiguousarray(np.broadcast_to(np.eye(G, dtype=dt), (nb, G, G))))
            out = block(*call)  # (nb, n, G)
            C[:, s0:s0 + sl.size] = out.transpose(1, 0, 2).reshape(n, nb * G)[:, :sl.size]
        # The operator must be k(x, y) a: check it on a few landmarks against C.
        t = idx[: min(m, 40)]
        rng = np.random.default_rng(seed + 1)
        R = rng.standard_normal((t.size, D)).astype(dt)
        sub = [R if k == pos else (a if cats[k] == 2 else a[t]) for k, a in enumerate(args)]
        got = self.genred(*sub).astype(np.float64)
        want = C[t][:, : t.size] @ R.astype(np.float64)
        tol = 1e-4 if dt == np.float32 else 1e-9
        if not np.all(np.abs(got - want) <= tol * (np.abs(want).max() + np.abs(got).max() + 1e-300)):
            return ("precond='nystrom' needs an operator k(x_i, y_j) * a_j with a scalar kernel "
                    "k, which this formula is not")
        sym_tol, jitter = (1e-4, 1e-6) if dt == np.float32 else (1e-9, 1e-10)
        try:
            h = _nystrom_handle(C, idx, D, alpha, sym_tol, jitter)
        except ValueError as err:
            msg = str(err)
            if msg.startswith("not symmetric"):
                raise ValueError(f"KernelSolve: precond='nystrom' needs a symmetric kernel "
                                 f"(the same points as x_i and y_j): {msg}") from None
            if msg.startswith("not positive definite"):
                return f"the kernel is not positive definite ({msg})"
            raise
        del C
        size = b.size
        atol = eps * math.sqrt(size) if eps is not None else 0.0
        mi = 10 * max(size, 1) if maxiter is None else maxiter

        def linop64(v):
            return linop(v.reshape(n, D).astype(dt, copy=False))

        try:
            b64 = np.ascontiguousarray(b, dtype=np.float64).reshape(-1)
            x064 = None if x0 is None else np.ascontiguousarray(x0, dtype=np.float64).reshape(-1)
            cb = None
            if callback is not None:
                def cb(it, x, rel):
                    callback(it, x.reshape(n, D).astype(dt), rel)
            low64 = None
            if linop_low is not None:
                def low64(v):
                    return linop_low(v.reshape(n, D))
            x, st = S.go_cg(linop64, b64, x064, h, rtol or 0.0, atol, mi, cb, progress, low64)
        finally:
            engine.nystrom_free(h)
        if st["error"]:
            raise ValueError(f"KernelSolve: the conjugate gradient failed: {st['error']}")
        if st["pap"] < -math.sqrt(np.finfo(dt).eps):
            raise ValueError(f"KernelSolve: the operator alpha*Id + K is not positive definite "
                             f"(p'Ap = {st['pap']:.3g} |A| |p|^2 < 0)")
        bn = st["bnorm"]
        info = S.SolveInfo(converged=st["converged"], iterations=st["iterations"],
                           residual=st["residual"] / bn if bn > 0 else st["residual"],
                           residual_rms=st["residual"] / math.sqrt(size), stop=st["stop"],
                           precond="nystrom", rank=m, refinements=st["refinements"],
                           inner_dtype=None if linop_low is None else "float32")
        if progress is not None and info.iterations:
            progress(info.iterations, info.residual, final=True)
        if not info.converged:
            S.warn_unconverged(info, f"eps={eps}" + (f", rtol={rtol}" if rtol is not None else ""), 4)
        return x.reshape(n, D).astype(dt), info

    # ------------------------------------------------------------- scipy
    def aslinearoperator(self, *args: np.ndarray, alpha: float = 1e-10, inverse: bool = False,
                         **kwargs) -> Any:
        """A ``scipy.sparse.linalg.LinearOperator`` of ``alpha Id + K`` on the flattened
        unknown (``b.size`` values; b is ``args[varinvpos]``, only its shape and dtype
        are used), or of its inverse by this solver when ``inverse`` (kwargs are passed
        to the solve: ``precond``, ``eps``...). Both are symmetric: scipy's ``cg``,
        ``eigsh`` and ``minres`` take them.
        """
        from scipy.sparse.linalg import LinearOperator

        if len(args) != len(self.aliases):
            raise ValueError(f"KernelSolve.aslinearoperator: expected {len(self.aliases)} arrays, "
                             f"got {len(args)}")
        pos = self.varinvpos
        b = args[pos]
        shape, dt = b.shape, b.dtype

        def forward(v):
            v = np.ascontiguousarray(np.asarray(v).reshape(shape), dtype=dt)
            res = self.genred(*args[:pos], v, *args[pos + 1:])
            check_square(res, v)
            if alpha:
                res += alpha * v
            return res.reshape(-1)

        def backward(v):
            v = np.ascontiguousarray(np.asarray(v).reshape(shape), dtype=dt)
            return self(*args[:pos], v, *args[pos + 1:], alpha=alpha, **kwargs).reshape(-1)

        f = backward if inverse else forward
        n = math.prod(shape)
        return LinearOperator((n, n), matvec=f, rmatvec=f, dtype=dt)


__all__ = ["ConjugateGradientSolver", "KernelSolve", "axis2cat", "complete_aliases", "default_device_id",
           "get_optional_flags", "get_sizes", "get_tag_backend", "pyKeOps_Warning"]


def _nystrom_handle(C: np.ndarray, idx: np.ndarray, cols: int, alpha: float, sym_tol: float,
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
