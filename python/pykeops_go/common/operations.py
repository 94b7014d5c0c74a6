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


# ------------------------------------------------------------ pykeops' helpers
def get_tools(lang: str) -> Any:
    """The array toolbox of a binding (see :func:`pykeops_go.common.utils.get_tools`)."""
    from pykeops_go.common.utils import get_tools as tools

    return tools(lang)


def preprocess(reduction_op: str, formula2: str | None) -> tuple:
    """The engine reduction behind a user-level one, and its second formula.

    ``SumSoftMaxWeight`` (alias ``SoftMax``) runs as ``Max_SumShiftExpWeight``
    on ``Concat(IntCst(1), formula2)``; ``LogSumExp`` as ``Max_SumShiftExp``
    (``Max_SumShiftExpWeight`` with a weight); ``LogSumExpWeight`` needs a weight.

    Returns
    -------
    tuple
        ``(reduction_op_internal, formula2)``.
    """
    if reduction_op in ("SumSoftMaxWeight", "SoftMax"):
        if not formula2:
            raise ValueError(f"{reduction_op} reduction requires a weight formula (given as formula2 kwarg)")
        return "Max_SumShiftExpWeight", "Concat(IntCst(1)," + formula2 + ")"
    if reduction_op == "LogSumExp":
        return ("Max_SumShiftExpWeight" if formula2 else "Max_SumShiftExp"), formula2
    if reduction_op == "LogSumExpWeight":
        if not formula2:
            raise ValueError("LogSumExpWeight reduction requires a weight formula (given as formula2 kwarg)")
        return "Max_SumShiftExpWeight", formula2
    return reduction_op, formula2


def postprocess(out: Any, binding: str, reduction_op: str, nout: int, opt_arg: int | None,
                dtype: Any) -> Any:
    """Turn the raw output of an engine reduction (see :func:`preprocess`) into
    the user-level result: indices cast to int64, ``(values, indices)`` pairs
    split, the KMin family reshaped to ``(..., K, D)`` (``(..., K)`` when D = 1),
    and the log-sum-exp / softmax finalised from ``(max, sum)``.

    ``nout`` and ``dtype`` are accepted for pykeops' signature and unused.
    """
    tools = get_tools(binding)
    shape = tuple(out.shape)
    if reduction_op in ("SumSoftMaxWeight", "SoftMax"):
        return out[..., 2:] / out[..., 1][..., None]
    if reduction_op in ("ArgMin", "ArgMax"):
        return tools.long(out)
    if reduction_op in ("Min_ArgMin", "MinArgMin", "Max_ArgMax", "MaxArgMax"):
        tmp = tools.view(out, shape[:-1] + (2, -1))
        return tmp[..., 0, :], tools.long(tmp[..., 1, :])
    if reduction_op in ("KMin", "ArgKMin"):
        res = tools.view(tools.long(out) if reduction_op == "ArgKMin" else out, shape[:-1] + (opt_arg, -1))
        return res.squeeze(-1) if res.shape[-1] == 1 else res
    if reduction_op in ("KMin_ArgKMin", "KMinArgKMin"):
        tmp = tools.view(out, shape[:-1] + (opt_arg, 2, -1))
        vals, idx = tmp[..., 0, :], tools.long(tmp[..., 1, :])
        if vals.shape[-1] == 1:
            vals, idx = vals.squeeze(-1), idx.squeeze(-1)
        return vals, idx
    if reduction_op == "LogSumExp":
        if shape[-1] == 2:
            return (out[..., 0] + tools.log(out[..., 1]))[..., None]
        return out[..., 0][..., None] + tools.log(out[..., 1:])
    return out


def KernelLinearSolver(binding: str, K: Any, x: Any, b: Any, alpha: float = 0, eps: float = 1e-6,
                       precond: bool = False, precondKernel: Any = None) -> Any:
    """Solve ``(K(x, x) + alpha Id) a = b`` by conjugate gradient.

    Parameters
    ----------
    binding : str
        ``"numpy"`` (or ``"torch"``).
    K : callable or tuple
        ``K(x, y, b)`` computing ``sum_j k(x_i, y_j) b_j``, or
        ``("gaussian", D, Dv, sigma)`` for the Gaussian kernel of scale sigma.
    x, b : array
        Points ``(N, D)`` and right-hand side ``(N, Dv)``.
    alpha : float
        Ridge regularisation.
    eps : float
        Tolerance: on the RMS residual (plain), on the residual norm (preconditioned).
    precond : bool
        Use a Nystroem preconditioner on sqrt(N) random points (needs alpha > 0,
        and ``precondKernel(u, v, x) = sum_j k(u_i, x_j) k(v_i, x_j)`` unless K is a tuple).
    """
    tools = get_tools(binding)
    if isinstance(K, tuple):
        if len(K) != 4 or K[0] != "gaussian":
            raise ValueError(f"KernelLinearSolver: K must be a callable or ('gaussian', D, Dv, sigma), got {K!r}")
        _, D, Dv, sigma = K
        K = _gauss_kernel(tools, D, Dv, sigma)
        if precond:
            precondKernel = _gauss_nystrom(tools, D, sigma)
    elif not callable(K):
        raise TypeError(f"KernelLinearSolver: K must be callable or a tuple, got {type(K).__name__}")

    def linop(a):
        return K(x, x, a) + alpha * a

    if not precond:
        return conjugate_gradient(linop, b, eps=eps)
    if precondKernel is None:
        raise ValueError("KernelLinearSolver: precond=True needs precondKernel (or K given as a tuple)")
    if not alpha:
        raise ValueError("KernelLinearSolver: the Nystroem preconditioner divides by alpha: alpha must be > 0")
    N, D = x.shape
    m = max(int(np.sqrt(N)), 1)
    u = x[np.random.choice(range(N), m, replace=False), :]
    M = K(u, u) + precondKernel(tools.tile(u, (m, 1)), tools.tile(u, (1, m)).reshape(-1, D), x).reshape(m, m)

    def invprecond(r):
        return (r - K(x, u, tools.solve(M, K(u, x, r)))) / alpha

    return _preconditioned_cg(linop, b, invprecond, eps, tools)


def _preconditioned_cg(linop, b, invprecond, eps, tools):
    a, r = 0, tools.copy(b)
    z = invprecond(r)
    p = tools.copy(z)
    rz = (r * z).sum()
    for _ in range(10 * max(math.prod(b.shape), 1)):
        Mp = linop(p)
        alp = rz / (p * Mp).sum()
        a = a + alp * p
        r = r - alp * Mp
        if (r**2).sum() < eps**2:
            return a
        z = invprecond(r)
        rznew = (r * z).sum()
        p = z + (rznew / rz) * p
        rz = rznew
    warnings.warn("KernelLinearSolver: the preconditioned conjugate gradient did not converge; "
                  "returning the last iterate", RuntimeWarning, stacklevel=3)
    return a


def _gauss_matrix(tools, sigma):
    def f(x, y):
        sq = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
        return tools.exp(-sq / sigma**2)
    return f


def _gauss_kernel(tools, D, Dv, sigma):
    routine = tools.Genred("Exp(-oos2*SqDist(x,y))*b",
                           [f"x = Vi({D})", f"y = Vj({D})", f"b = Vj({Dv})", "oos2 = Pm(1)"],
                           reduction_op="Sum", axis=1)
    dense = _gauss_matrix(tools, sigma)

    def K(x, y, b=None):
        if b is None:
            return dense(x, y)
        return routine(x, y, b, tools.array([1.0 / sigma**2], dtype=x.dtype))
    return K


def _gauss_nystrom(tools, D, sigma):
    routine = tools.Genred("Exp(-oos2*(SqDist(u,x)+SqDist(v,x)))",
                           [f"u = Vi({D})", f"v = Vi({D})", f"x = Vj({D})", "oos2 = Pm(1)"],
                           reduction_op="Sum", axis=1)

    def K(u, v, x):
        return routine(u, v, x, tools.array([1.0 / sigma**2], dtype=x.dtype))
    return K


__all__ = ["ConjugateGradientSolver", "KernelLinearSolver", "get_tools", "postprocess", "preprocess"]
