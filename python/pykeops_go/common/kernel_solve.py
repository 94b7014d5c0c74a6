"""What every KernelSolve shares: its constructor, the operator's Genred and the unknown's position.

Each binding subclasses :class:`KernelSolve` with its Genred class and its
solve (``pykeops_go/numpy/operations.py``: conjugate gradient, Nystrom
preconditioner; ``pykeops_go/torch/operations.py``: the same with autograd).
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

from pykeops_go.common.arguments import get_type
from pykeops_go.common.genred import Genred
from pykeops_go.common.parse_type import complete_aliases


class KernelSolve:
    """A solver of ``(alpha Id + K) a = b``, ``K`` the Sum reduction of ``formula``.

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
    """

    #: The binding's Genred class (set by each binding's subclass).
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
