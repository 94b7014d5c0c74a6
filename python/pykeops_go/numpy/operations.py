"""KernelSolve: solve ``(alpha Id + K) a = b`` by conjugate gradient, K a Genred Sum."""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from pykeops_go.common.arguments import axis2cat, get_type  # noqa: F401
from pykeops_go.common.get_options import get_tag_backend  # noqa: F401
from pykeops_go.common.operations import ConjugateGradientSolver, check_square, conjugate_gradient  # noqa: F401
from pykeops_go.common.parse_type import get_optional_flags, get_sizes  # noqa: F401
from pykeops_go.numpy.generic.generic_red import Genred, complete_aliases
from pykeops_go.utils import default_device_id, pyKeOps_Warning  # noqa: F401


class KernelSolve:
    """A conjugate gradient solver for ``(alpha Id + K) a = b``.

    ``K`` is the Sum reduction of ``formula``, linear in the variable
    ``varinvalias``; the operator must be symmetric positive definite and
    square (typically ``a = Vj(D)`` with ``axis=1`` and the same points passed
    as the Vi and the Vj argument).

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

    def __init__(self, formula: str, aliases: Sequence[str], varinvalias: str, axis: int = 0,
                 dtype: Any = None, opt_arg: int | None = None, dtype_acc: str = "auto",
                 use_double_acc: bool = False, sum_scheme: str = "auto", enable_chunks: bool = True,
                 rec_multVar_highdim: bool | None = None, use_fast_math: bool = True):
        if dtype is not None:
            warnings.warn("[pyKeOps] keyword argument dtype in KernelSolve is deprecated; argument "
                          "is ignored.", stacklevel=2)
        # Extended in place with the formula's Var(...), as pykeops does (a tuple is copied).
        self.aliases = complete_aliases(formula, aliases if isinstance(aliases, list) else list(aliases))
        self.genred = Genred(formula, self.aliases, reduction_op="Sum", axis=axis, opt_arg=opt_arg,
                             dtype_acc=dtype_acc, use_double_acc=use_double_acc,
                             sum_scheme=sum_scheme, enable_chunks=enable_chunks,
                             rec_multVar_highdim=bool(rec_multVar_highdim),
                             use_fast_math=use_fast_math)
        self.formula = formula
        self.varinvalias = varinvalias
        self.varinvpos = self._position(varinvalias)
        self.axis = axis
        self.reduction_op = "Sum"

    def _position(self, varinvalias: str) -> int:
        if not isinstance(varinvalias, str):
            raise TypeError(f"KernelSolve: varinvalias must be an alias name or 'Var(pos,dim,cat)', "
                            f"got {type(varinvalias).__name__}")
        if varinvalias.replace(" ", "").startswith("Var("):
            pos = get_type(varinvalias)[3]
        else:
            parsed = [get_type(a, i) for i, a in enumerate(self.aliases)]  # (name, cat, dim, pos)
            names = [t[0] for t in parsed]
            if varinvalias.strip() not in names:
                raise ValueError(f"KernelSolve: varinvalias {varinvalias!r} is not one of the aliases "
                                 f"{[n for n in names if n]}")
            pos = parsed[names.index(varinvalias.strip())][3]
        if not 0 <= pos < len(self.aliases):
            raise ValueError(f"KernelSolve: varinvalias {varinvalias!r} is at position {pos}, beyond "
                             f"the {len(self.aliases)} arguments")
        return pos

    def __call__(self, *args: np.ndarray, backend: str = "auto", device_id: int = -1,
                 alpha: float = 1e-10, eps: float = 1e-6, ranges: Sequence[np.ndarray] | None = None,
                 x0: np.ndarray | None = None, maxiter: int | None = None) -> np.ndarray:
        """Solve ``(alpha Id + K) a = b`` where ``b = args[varinvpos]``.

        Parameters
        ----------
        *args : numpy.ndarray
            One array per alias, as for :class:`Genred`; the unknown's slot holds b.
        backend, device_id, ranges :
            As for :meth:`Genred.__call__`.
        alpha : float
            Ridge added to the diagonal (skipped when 0).
        eps : float
            The iteration stops when the RMS residual is below eps.
        x0 : numpy.ndarray, optional
            Initial guess (default 0, as pykeops 2.3).
        maxiter : int, optional
            Iteration cap, default ``10 * b.size`` (pykeops 2.3 has none): a
            RuntimeWarning is issued and the last iterate returned when reached.

        Returns
        -------
        numpy.ndarray
            The solution ``a``, shaped like b, of its dtype.
        """
        if len(args) != len(self.aliases):
            raise ValueError(f"Invalid number of arguments in call to KernelSolve (should be "
                             f"{len(self.aliases)} and got {len(args)}).")
        pos = self.varinvpos
        b = args[pos]
        if not isinstance(b, np.ndarray):
            raise TypeError(f"KernelSolve: argument {pos} (the right-hand side b) must be a NumPy "
                            f"array, got {type(b).__name__}")

        def linop(v):
            res = self.genred(*args[:pos], v, *args[pos + 1:], backend=backend,
                              device_id=device_id, ranges=ranges)
            check_square(res, v)
            if alpha:
                res += alpha * v
            return res

        return conjugate_gradient(linop, b, eps=eps, x0=x0, maxiter=maxiter)

__all__ = ["ConjugateGradientSolver", "KernelSolve", "axis2cat", "complete_aliases", "default_device_id",
           "get_optional_flags", "get_sizes", "get_tag_backend", "pyKeOps_Warning"]
