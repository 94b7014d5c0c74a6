"""The conjugate gradient of KernelSolve, shared by the NumPy and torch front ends.

It uses only arithmetic operators, ``.sum()`` and ``float()``, so it works on
NumPy arrays and torch tensors alike.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np


def _copy(x: Any) -> Any:
    return x.clone() if hasattr(x, "clone") else x.copy()


def conjugate_gradient(linop: Callable[[Any], Any], b: Any, eps: float | None = 1e-6,
                       x0: Any = None, maxiter: int | None = None, *, rtol: float | None = None,
                       callback: Callable | None = None, progress: Callable | None = None,
                       return_info: bool = False, warn: bool = True) -> Any:
    """Solve ``linop(a) = b`` for a symmetric positive definite ``linop``.

    The iteration is pykeops 2.3's ``ConjugateGradientSolver``: start from 0,
    one ``linop`` call per iteration, every column of ``b`` solved jointly as
    one vector, stop when ``sum(r**2) < b.size * eps**2`` (RMS residual < eps).
    Unlike pykeops, which loops forever when that never happens, it stops after
    ``maxiter`` iterations (default ``10 * b.size``), or once 200 iterations in a
    row have not lowered the best residual by 1% (a singular system, or a
    tolerance below the arithmetic's reach), with a :class:`ConvergenceWarning`;
    it then returns the iterate of smallest residual, or the start when that is
    no better. An exact residual of 0 converges (also with ``eps=0``); a NaN or
    inf residual, or ``p'Ap < 0`` (the operator is not positive definite), raises.

    Parameters
    ----------
    linop : callable
        The linear map, returning an array shaped like its argument.
    b : array
        Right-hand side.
    eps : float or None
        Tolerance on the RMS residual (None: none, with ``rtol``).
    x0 : array, optional
        Initial guess (0 if None, as pykeops 2.3).
    maxiter : int, optional
        Iteration cap; ``10 * b.size`` if None.
    rtol : float, optional
        Also stop when ``||r|| <= rtol ||b||``.
    callback : callable, optional
        ``callback(iteration, a, relative_residual)`` after every iteration.
    progress : callable, optional
        ``progress(iteration, relative_residual, final=False)`` (the verbose report).
    return_info : bool
        Return ``(a, SolveInfo)`` instead of ``a``.
    warn : bool
        Warn when the tolerance is not reached.

    Returns
    -------
    array
        The solution, shaped like ``b``, of its dtype (and its SolveInfo).
    """
    from pykeops_go.common.solve import STAGNATION, SolveInfo, warn_unconverged

    size = math.prod(b.shape)
    nb2 = float((b**2).sum()) if size else 0.0
    delta = size * eps**2 if eps is not None else -1.0
    if rtol is not None:
        delta = max(delta, rtol**2 * nb2)
    if maxiter is None:
        maxiter = 10 * max(size, 1)
    if x0 is None:
        a, r = 0 * b, _copy(b)
    else:
        a, r = _copy(x0), b - check_square(linop(x0), b)
    nr2 = (r**2).sum()
    nr2_start = float(nr2)

    def finish(a, it, nr2, stop):
        res = math.sqrt(max(nr2, 0.0))
        info = SolveInfo(converged=stop == "converged", iterations=it,
                         residual=res / math.sqrt(nb2) if nb2 > 0 else res,
                         residual_rms=res / math.sqrt(size) if size else 0.0, stop=stop)
        if progress is not None and it:
            progress(it, info.residual, final=True)
        if not info.converged and warn:
            warn_unconverged(info, f"eps={eps}" + (f", rtol={rtol}" if rtol is not None else ""), 4)
        return (a, info) if return_info else a

    if not math.isfinite(nr2_start):
        raise ValueError("KernelSolve: the right-hand side (or the product of the initial guess) "
                         "is not finite")
    if nr2 < delta or nr2_start == 0:
        return finish(a, 0, nr2_start, "converged")
    best, best_nr2, anchor, since = a, nr2_start, nr2_start, 0
    anorm = 0.0  # the largest |Ap| / |p| so far, the scale of p'Ap
    dtype = getattr(b, "dtype", None)
    try:
        negligible = math.sqrt(float(np.finfo(np.dtype(str(dtype).replace("torch.", ""))).eps))
    except TypeError:
        negligible = 1.5e-8
    p = _copy(r)
    stop = "maximum number of iterations reached"
    it = 0
    while it < maxiter:
        Mp = check_square(linop(p), p)
        pMp = (p * Mp).sum()
        if not float(pMp) > 0:
            if not math.isfinite(float(pMp)):
                raise ValueError(f"KernelSolve: the conjugate gradient diverged (the residual is NaN "
                                 f"or inf: p'Ap = {float(pMp)}): the operator and the data must "
                                 "be finite")
            pp = float((p * p).sum())
            anorm = max(anorm, math.sqrt(float((Mp * Mp).sum()) / pp)) if pp > 0 else anorm
            if float(pMp) < -negligible * anorm * pp:
                raise ValueError(
                    f"KernelSolve: the operator alpha*Id + K is not positive definite (p'Ap = "
                    f"{float(pMp):.3g} < 0 at iteration {it + 1}): the conjugate gradient needs a "
                    "symmetric positive definite system; use a larger alpha")
            stop = "breakdown (p'Ap = 0: the operator is singular)"
            break
        if it % 8 == 0 or anorm == 0:  # |A| estimate, for the test above
            pp = float((p * p).sum())
            anorm = max(anorm, math.sqrt(float((Mp * Mp).sum()) / pp)) if pp > 0 else anorm
        it += 1
        alp = nr2 / pMp
        a = a + alp * p
        r = r - alp * Mp
        nr2new = (r**2).sum()
        if not math.isfinite(float(nr2new)):
            raise ValueError(
                "KernelSolve: the conjugate gradient diverged (the residual is NaN or inf): the "
                "operator alpha*Id + K must be symmetric positive definite and the data finite"
            )
        if callback is not None or progress is not None:
            rel = math.sqrt(float(nr2new) / nb2) if nb2 > 0 else math.sqrt(float(nr2new))
            if progress is not None:
                progress(it, rel)
            if callback is not None:
                callback(it, a, rel)
        if nr2new < delta or float(nr2new) == 0:
            return finish(a, it, float(nr2new), "converged")
        if float(nr2new) < best_nr2:
            best, best_nr2 = a, float(nr2new)
        if float(nr2new) < 0.99**2 * anchor:
            anchor, since = float(nr2new), 0
        else:
            since += 1
            if since >= STAGNATION:
                stop = "the residual stopped decreasing"
                break
        p = r + (nr2new / nr2) * p
        nr2 = nr2new
    # Not converged: the best iterate by its true residual, or the start.
    if best_nr2 < nr2_start:
        rt = b - check_square(linop(best), b)
        true_nr2 = float((rt**2).sum())
        if true_nr2 < nr2_start:
            return finish(best, it, true_nr2, stop)
    start = 0 * b if x0 is None else _copy(x0)
    return finish(start, it, nr2_start, stop)


def check_square(mp: Any, p: Any) -> Any:
    """Return ``mp = linop(p)`` after checking that it is shaped like ``p``."""
    if tuple(mp.shape) != tuple(p.shape):
        raise ValueError(
            f"KernelSolve: the operator maps the unknown of shape {tuple(p.shape)} to shape "
            f"{tuple(mp.shape)}; it must be square (e.g. the same points as Vi and Vj, and the "
            "unknown indexed like the output)"
        )
    return mp


def ConjugateGradientSolver(binding: str, linop: Callable[[Any], Any], b: Any, eps: float = 1e-6,
                            x0: Any = None, maxiter: int | None = None) -> Any:
    """pykeops' ``ConjugateGradientSolver(binding, linop, b, eps)``; see :func:`conjugate_gradient`.

    Parameters
    ----------
    binding : str
        ``"numpy"`` or ``"torch"``; unused (the solver is generic).
    linop, b, eps, x0, maxiter :
        As in :func:`conjugate_gradient`.

    Returns
    -------
    array
        The solution, shaped like ``b``.
    """
    return conjugate_gradient(linop, b, eps=eps, x0=x0, maxiter=maxiter)
