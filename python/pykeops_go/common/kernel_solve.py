"""KernelSolve, once for every array framework: ``(alpha Id + K) a = b`` by conjugate gradient.

A binding subclasses :class:`KernelSolve` with its Genred class, whose array
adapter (``Genred.arrays``, see ``common/arrays.py``) says how its arrays are
handed to the solver: the NumPy one (``pykeops_go/numpy/operations.py``) as
they are, the torch one (``pykeops_go/torch/operations.py``) as NumPy views of
CPU tensors, which adds autograd. Arrays the engine reads in host memory are
solved here on those views: pykeops' plain conjugate gradient
(``common/operations.conjugate_gradient``) or the preconditioned one of the Go
engine (``common/solve.py``), with the kernel products by the binding's Genred
on the same memory, and the solution comes back through the adapter. Torch
CUDA tensors, which only the GPU backend reads (``common/gpu_backend.py``),
are solved by the same plain conjugate gradient on the tensors themselves.
"""

from __future__ import annotations

import math
import re
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from pykeops_go.common import engine, gpu_backend
from pykeops_go.common import solve as S
from pykeops_go.common.arguments import get_type
from pykeops_go.common.genred import Genred
from pykeops_go.common.operations import check_square, conjugate_gradient
from pykeops_go.common.parse_type import complete_aliases


class KernelSolve:
    """A solver of ``(alpha Id + K) a = b``, ``K`` the Sum reduction of ``formula``.

    ``K`` is linear in the variable ``varinvalias``; the operator must be
    symmetric positive definite and square (typically ``a = Vj(D)`` with
    ``axis=1`` and the same points passed as the Vi and the Vj argument).

    Parameters
    ----------
    formula : str
        Formula linear in ``varinvalias``, e.g. ``"Exp(-SqDist(x, y)) * a"``.
    aliases : list of str
        Variables, as for Genred (extended with the ``Var(...)`` of the formula).
    varinvalias : str
        Name of the unknown (``"a"``), or ``"Var(pos,dim,cat)"``.
    axis : int
        0 reduces over i, 1 over j (as Genred).
    dtype : ignored
        Deprecated, as in pykeops.
    opt_arg : int, optional
        Passed to the Sum reduction (pykeops does the same; Sum takes none).
    dtype_acc, use_double_acc, sum_scheme, enable_chunks, rec_multVar_highdim, use_fast_math :
        As for Genred.

    Examples
    --------
    >>> K_inv = KernelSolve("Exp(-SqDist(x,y))*a", ["x=Vi(3)", "y=Vj(3)", "a=Vj(2)"], "a", axis=1)
    >>> a = K_inv(x, x, b, alpha=0.1)  # (0.1 Id + K(x, x)) a = b
    """

    #: The binding's Genred class (set by each binding's subclass); its ``arrays`` adapter
    #: is the solver's.
    Genred: type[Genred] = Genred

    def __init__(self, formula: str, aliases: Sequence[str], varinvalias: str, axis: int = 0,
                 dtype: Any = None, opt_arg: int | None = None, dtype_acc: str = "auto",
                 use_double_acc: bool = False, sum_scheme: str = "auto", enable_chunks: bool = True,
                 rec_multVar_highdim: bool | None = None, use_fast_math: bool = True):
        if dtype is not None:
            warnings.warn("[pyKeOps] keyword argument dtype in KernelSolve is deprecated; argument "
                          "is ignored.", stacklevel=2)
        # Extended in place with the formula's Var(...), as pykeops does (a tuple is copied).
        self.aliases = complete_aliases(formula, aliases if isinstance(aliases, list) else list(aliases))
        self._genred_options = dict(dtype_acc=dtype_acc, use_double_acc=use_double_acc,
                                    sum_scheme=sum_scheme, enable_chunks=enable_chunks,
                                    rec_multVar_highdim=bool(rec_multVar_highdim),
                                    use_fast_math=use_fast_math)
        self.genred = self.Genred(formula, self.aliases, reduction_op="Sum", axis=axis, opt_arg=opt_arg,
                                  **self._genred_options)
        self.last_info = None
        self.formula = formula
        self.varinvalias = varinvalias
        self.varinvpos = varinv_position(self.aliases, varinvalias)
        self.axis = axis
        self.reduction_op = "Sum"

    def __call__(self, *args: Any, backend: str = "auto", device_id: int = -1,
                 alpha: float = 1e-10, eps: float | None = None,
                 ranges: Sequence[Any] | None = None, x0: Any = None,
                 maxiter: int | None = None, rtol: float | None = None, precond: str | None = None,
                 rank: int | None = None, landmarks: Any = "auto", seed: int = 0,
                 callback: Callable | None = None, verbose: bool | float = False,
                 return_info: bool = False, inner_dtype: str | None = None) -> Any:
        """Solve ``(alpha Id + K) a = b`` where ``b = args[varinvpos]``.

        Parameters
        ----------
        *args : arrays of the binding
            One array per alias, as for Genred; the unknown's slot holds b.
        backend, device_id, ranges :
            As for ``Genred.__call__``.
        alpha : float
            Ridge added to the diagonal (skipped when 0).
        eps : float, optional
            The iteration stops when the RMS residual is below eps (pykeops' rule);
            default 1e-6 when rtol is not given.
        x0 : array, optional
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
            kernels, alpha > 0, no batch or ranges, arrays in host memory): tens of
            iterations instead of hundreds for smooth kernels. A kernel found not
            symmetric raises a ValueError; one found not positive definite, alpha <= 0,
            or torch CUDA tensors fall back to plain CG with a warning.
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
            (``a`` is the current iterate, an array of the binding shaped like b).
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
        array of the binding
            The solution ``a``, shaped like b, of its dtype (and its SolveInfo with
            ``return_info``).
        """
        opts = dict(backend=backend, device_id=device_id, alpha=alpha, eps=eps, ranges=ranges, x0=x0,
                    maxiter=maxiter, rtol=rtol, precond=precond, rank=rank, landmarks=landmarks,
                    seed=seed, callback=callback, verbose=verbose, inner_dtype=inner_dtype)
        self._check_call(args, opts)
        a = self._call(args, opts)
        return (a, self.last_info) if return_info else a

    def _call(self, args: Sequence[Any], opts: dict) -> Any:
        """The solution of a checked call (a binding may record it for differentiation)."""
        return self._solve(args, **opts)

    def _check_call(self, args: Sequence[Any], opts: dict) -> None:
        """ValueError / TypeError naming the bad argument of a call."""
        A = self.Genred.arrays
        if len(args) != len(self.aliases):
            raise ValueError(f"Invalid number of arguments in call to KernelSolve (should be "
                             f"{len(self.aliases)} and got {len(args)}).")
        S.check_options(opts["precond"], opts["rank"], opts["landmarks"], opts["rtol"], opts["maxiter"],
                        opts["callback"], opts["verbose"], opts["eps"], opts["inner_dtype"])
        alpha = opts["alpha"]
        if not isinstance(alpha, (int, float, np.integer, np.floating)) or isinstance(alpha, bool) \
                or not math.isfinite(alpha):
            raise ValueError(f"KernelSolve: alpha must be a finite number, got {alpha!r}")
        pos = self.varinvpos
        b = args[pos]
        if not A.is_array(b):
            raise TypeError(f"KernelSolve: argument {pos} (the right-hand side b) must be a "
                            f"{A.kind}, got {type(b).__name__}")
        x0 = opts["x0"]
        if x0 is not None and (not A.is_array(x0) or tuple(x0.shape) != tuple(b.shape)):
            raise ValueError(f"KernelSolve: x0 must be a {A.kind} shaped like b {tuple(b.shape)}, got "
                             f"{getattr(x0, 'shape', type(x0).__name__)}")

    def _solve(self, args: Sequence[Any], backend: Any, device_id: Any, alpha: float, eps: float | None,
               ranges: Any, x0: Any, maxiter: int | None, rtol: float | None, precond: str | None,
               rank: int | None, landmarks: Any, seed: int, callback: Callable | None,
               verbose: Any, inner_dtype: str | None) -> Any:
        """The solution of a checked call, an array of the binding; its SolveInfo in last_info."""
        A = self.Genred.arrays
        if eps is None and rtol is None:
            eps = 1e-6
        pos = self.varinvpos
        products = [0]
        on_device = gpu_backend.on_device(args)
        if on_device:
            # Only the GPU backend reads these: plain CG on the arrays themselves.
            views, wrap, unwrap = list(args), _same, _same
            b = args[pos]
        else:
            # NumPy views of the arrays (no copy), and the binding's arrays on their memory
            # for the products by its Genred.
            views = [A.to_numpy(a, f"KernelSolve: argument {k}") if A.is_array(a) else a
                     for k, a in enumerate(args)]
            args = [A.from_numpy(v) if isinstance(v, np.ndarray) else v for v in views]
            wrap = A.from_numpy

            def unwrap(r):
                return A.to_numpy(r, "KernelSolve: the product")
            b = views[pos]
        if x0 is not None:
            x0 = A.cast(x0, A.dtype_name(args[pos])) if on_device else \
                np.asarray(A.to_numpy(x0, "KernelSolve: x0")).astype(b.dtype)
        user_callback = callback
        if callback is not None and not on_device:
            def callback(it, a, rel):
                user_callback(it, wrap(a), rel)

        def linop(v):
            products[0] += 1
            res = unwrap(self.genred(*args[:pos], wrap(v), *args[pos + 1:], backend=backend,
                                     device_id=device_id, ranges=ranges))
            check_square(res, v)
            if alpha:
                res += alpha * v
            return res

        progress = S.Progress(verbose) if verbose else None
        info = None
        if precond == "nystrom":
            reason = "precond='nystrom' runs on arrays in host memory" if on_device else \
                self._nystrom_unsupported(b, alpha, ranges)
            if reason is None:
                low = None
                if inner_dtype == "float32" and b.dtype == np.float64:
                    args32 = [wrap(a.astype(np.float32)) if isinstance(a, np.ndarray) and a.dtype == np.float64
                              else args[k] for k, a in enumerate(views)]

                    def low(v):
                        products[0] += 1
                        res = unwrap(self.genred(*args32[:pos], wrap(v.astype(np.float32)), *args32[pos + 1:],
                                                 backend=backend, device_id=device_id))
                        check_square(res, v)
                        res = res.astype(np.float64)
                        if alpha:
                            res += alpha * v
                        return res
                out = self._nystrom_solve(views, b, float(alpha), eps, rtol, x0, maxiter, rank,
                                          landmarks, seed, callback, progress, linop, low)
                if isinstance(out, str):
                    reason = out
                else:
                    a, info = out
            if reason is not None:
                warnings.warn(f"KernelSolve: {reason}; solving by plain conjugate gradient",
                              RuntimeWarning, stacklevel=4)
        if info is None:
            a, info = conjugate_gradient(linop, b, eps=eps, x0=x0, maxiter=maxiter, rtol=rtol,
                                         callback=callback, progress=progress, return_info=True,
                                         warn=False)
            if not info.converged:  # warned here, so that it points at the caller's line
                S.warn_unconverged(info, f"eps={eps}" + (f", rtol={rtol}" if rtol is not None else ""), 5)
        info.products = products[0]
        self.last_info = info
        return a if on_device else wrap(a)

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

    def _block_kernel(self, D: int, G: int) -> Genred:
        """The Genred of kernel blocks: the formula with the unknown a replaced by a
        parameter u (set to e_0) times a one-hot selector e of G columns indexed like a.
        Since the formula is linear in a, its first component at u = e_0 is K(x, y)[0, 0]:
        the kernel of a scalar kernel k(x, y) a."""
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
        g = self.Genred(f, aliases, reduction_op="Sum", axis=self.axis, **self._genred_options)
        cache[key] = g
        return g

    def _host_genred(self, genred: Genred, arrays: Sequence[Any]) -> np.ndarray:
        """A product by the binding's ``genred`` of NumPy arrays, as a NumPy array."""
        A = self.Genred.arrays
        res = genred(*[A.from_numpy(a) if isinstance(a, np.ndarray) else a for a in arrays])
        return A.to_numpy(res, "KernelSolve: the product")

    def _nystrom_solve(self, args, b, alpha, eps, rtol, x0, maxiter, rank, landmarks, seed,
                       callback, progress, linop, linop_low=None):
        """(a, SolveInfo) by the Nystrom-preconditioned CG of the engine, or a string saying
        why it falls back to plain CG; ``args`` and ``b`` are NumPy arrays. With
        ``linop_low`` (the float64 operator by float32 products), by iterative refinement."""
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
            call.append(np.broadcast_to(np.eye(G, dtype=dt), (nb, G, G)).copy())  # writable: torch wraps it
            out = self._host_genred(block, call)  # (nb, n, G)
            C[:, s0:s0 + sl.size] = out.transpose(1, 0, 2).reshape(n, nb * G)[:, :sl.size]
        # The operator must be k(x, y) a: check it on a few landmarks against C.
        t = idx[: min(m, 40)]
        rng = np.random.default_rng(seed + 1)
        R = rng.standard_normal((t.size, D)).astype(dt)
        sub = [R if k == pos else (a if cats[k] == 2 else np.ascontiguousarray(a[t]))
               for k, a in enumerate(args)]
        got = self._host_genred(self.genred, sub).astype(np.float64)
        want = C[t][:, : t.size] @ R.astype(np.float64)
        tol = 1e-4 if dt == np.float32 else 1e-9
        if not np.all(np.abs(got - want) <= tol * (np.abs(want).max() + np.abs(got).max() + 1e-300)):
            return ("precond='nystrom' needs an operator k(x_i, y_j) * a_j with a scalar kernel "
                    "k, which this formula is not")
        sym_tol, jitter = (1e-4, 1e-6) if dt == np.float32 else (1e-9, 1e-10)
        try:
            h = S.nystrom_handle(C, idx, D, alpha, sym_tol, jitter)
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
            S.warn_unconverged(info, f"eps={eps}" + (f", rtol={rtol}" if rtol is not None else ""), 6)
        return x.reshape(n, D).astype(dt), info

    # ------------------------------------------------------------- scipy
    def aslinearoperator(self, *args: Any, alpha: float = 1e-10, inverse: bool = False,
                         **kwargs) -> Any:
        """A ``scipy.sparse.linalg.LinearOperator`` of ``alpha Id + K`` on the flattened
        unknown (``b.size`` values; b is ``args[varinvpos]``, only its shape and dtype
        are used), or of its inverse by this solver when ``inverse`` (kwargs are passed
        to the solve: ``precond``, ``eps``...). Both are symmetric: scipy's ``cg``,
        ``eigsh`` and ``minres`` take them. The arrays must be in host memory.
        """
        from scipy.sparse.linalg import LinearOperator

        A = self.Genred.arrays
        if len(args) != len(self.aliases):
            raise ValueError(f"KernelSolve.aslinearoperator: expected {len(self.aliases)} arrays, "
                             f"got {len(args)}")
        pos = self.varinvpos
        views = [A.to_numpy(a, f"KernelSolve: argument {k}") if A.is_array(a) else a
                 for k, a in enumerate(args)]
        args = [A.from_numpy(v) if isinstance(v, np.ndarray) else v for v in views]
        b = views[pos]
        shape, dt = b.shape, b.dtype

        def forward(v):
            v = np.ascontiguousarray(np.asarray(v).reshape(shape), dtype=dt)
            res = A.to_numpy(self.genred(*args[:pos], A.from_numpy(v), *args[pos + 1:]),
                             "KernelSolve: the product")
            check_square(res, v)
            if alpha:
                res = res + alpha * v
            return res.reshape(-1)

        def backward(v):
            v = np.ascontiguousarray(np.asarray(v).reshape(shape), dtype=dt)
            a = self(*args[:pos], A.from_numpy(v), *args[pos + 1:], alpha=alpha, **kwargs)
            return A.to_numpy(a, "KernelSolve: the solution").reshape(-1)

        f = backward if inverse else forward
        n = math.prod(shape)
        return LinearOperator((n, n), matvec=f, rmatvec=f, dtype=dt)


def _same(a: Any) -> Any:
    return a


def varinv_position(aliases: Sequence[str], varinvalias: str) -> int:
    """The argument position of the unknown: an alias name, or ``"Var(pos,dim,cat)"``."""
    if not isinstance(varinvalias, str):
        raise TypeError(f"KernelSolve: varinvalias must be an alias name or 'Var(pos,dim,cat)', "
                        f"got {type(varinvalias).__name__}")
    if varinvalias.replace(" ", "").startswith("Var("):
        pos = get_type(varinvalias)[3]
    else:
        parsed = [get_type(a, i) for i, a in enumerate(aliases)]  # (name, cat, dim, pos)
        names = [t[0] for t in parsed]
        if varinvalias.strip() not in names:
            raise ValueError(f"KernelSolve: varinvalias {varinvalias!r} is not one of the aliases "
                             f"{[n for n in names if n]}")
        pos = parsed[names.index(varinvalias.strip())][3]
    if not 0 <= pos < len(aliases):
        raise ValueError(f"KernelSolve: varinvalias {varinvalias!r} is at position {pos}, beyond "
                         f"the {len(aliases)} arguments")
    return pos
