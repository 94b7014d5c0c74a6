"""The conjugate gradient of KernelSolve, shared by the NumPy and torch front ends.

It uses only arithmetic operators, ``.sum()`` and ``float()``, so it works on
NumPy arrays and torch tensors alike.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable


def _copy(x: Any) -> Any:
    return x.clone() if hasattr(x, "clone") else x.copy()


def conjugate_gradient(linop: Callable[[Any], Any], b: Any, eps: float = 1e-6,
                       x0: Any = None, maxiter: int | None = None) -> Any:
    """Solve ``linop(a) = b`` for a symmetric positive definite ``linop``.

    The iteration is pykeops 2.3's ``ConjugateGradientSolver``: start from 0,
    one ``linop`` call per iteration, every column of ``b`` solved jointly as
    one vector, stop when ``sum(r**2) < b.size * eps**2`` (RMS residual < eps).
    Unlike pykeops, which loops forever when that never happens, it stops after
    ``maxiter`` iterations (default ``10 * b.size``) with a RuntimeWarning and
    returns the last iterate, and raises if the residual becomes NaN or inf.

    Parameters
    ----------
    linop : callable
        The linear map, returning an array shaped like its argument.
    b : array
        Right-hand side.
    eps : float
        Tolerance on the RMS residual.
    x0 : array, optional
        Initial guess (0 if None, as pykeops 2.3).
    maxiter : int, optional
        Iteration cap; ``10 * b.size`` if None.

    Returns
    -------
    array
        The solution, shaped like ``b``, of its dtype.
    """
    size = math.prod(b.shape)
    delta = size * eps**2
    if maxiter is None:
        maxiter = 10 * max(size, 1)
    if x0 is None:
        a, r = 0, _copy(b)
    else:
        a, r = _copy(x0), b - check_square(linop(x0), b)
    nr2 = (r**2).sum()
    if nr2 < delta:
        return 0 * r if x0 is None else a
    p = _copy(r)
    for _ in range(maxiter):
        Mp = check_square(linop(p), p)
        alp = nr2 / (p * Mp).sum()
        a = a + alp * p
        r = r - alp * Mp
        nr2new = (r**2).sum()
        if nr2new < delta:
            return a
        if not math.isfinite(float(nr2new)):
            raise ValueError(
                "KernelSolve: the conjugate gradient diverged (the residual is NaN or inf): the "
                "operator alpha*Id + K must be symmetric positive definite and the data finite"
            )
        p = r + (nr2new / nr2) * p
        nr2 = nr2new
    warnings.warn(
        f"KernelSolve: the conjugate gradient did not reach the tolerance eps={eps} in {maxiter} "
        f"iterations (RMS residual {math.sqrt(float(nr2) / size):.3g}); returning the last iterate. "
        "Is alpha*Id + K positive definite? A larger alpha or eps helps.",
        RuntimeWarning, stacklevel=3,
    )
    return a


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
