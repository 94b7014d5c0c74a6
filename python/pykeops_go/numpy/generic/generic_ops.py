"""generic_sum, generic_logsumexp, generic_argmin, generic_argkmin: Genred shortcuts.

Each takes the formula, an *output alias* such as ``"gamma = Vi(1)"`` (whose
category gives the reduction axis: Vi -> axis=1, Vj -> axis=0) and the input
aliases as separate arguments, as in ``pykeops.numpy``.
"""

from __future__ import annotations

from typing import Any

from pykeops_go.common.arguments import cat2axis, get_type  # noqa: F401
from pykeops_go.common.arguments import output_axis as _axis
from pykeops_go.numpy.generic.generic_red import Genred


def generic_sum(formula: str, output: str, *aliases: str, **kwargs: Any) -> Genred:
    """Sum reduction with the ``pykeops.numpy.generic_sum`` signature.

    Parameters
    ----------
    formula : str
        Formula to reduce, e.g. ``"Exp(-SqDist(x, y)) * b"``.
    output : str
        Output alias, e.g. ``"gamma = Vi(1)"``: only its category is used
        (Vi: sum over j, Vj: sum over i).
    *aliases : str
        Input aliases, e.g. ``"x = Vi(3)", "y = Vj(3)", "b = Vj(1)"``.
    **kwargs
        Other :class:`Genred` keywords (``dtype`` is ignored, as in pykeops).

    Returns
    -------
    Genred
        The reduction; call it with one array per alias.
    """
    axis, _ = _axis(output)
    return Genred(formula, list(aliases), reduction_op="Sum", axis=axis, **kwargs)


def generic_logsumexp(formula: str, output: str, *aliases: str, **kwargs: Any) -> Genred:
    """LogSumExp reduction with the ``pykeops.numpy.generic_logsumexp`` signature.

    Parameters
    ----------
    formula : str
        Scalar formula F; the result is ``log(sum exp(F))``.
    output : str
        Output alias (its category gives the axis).
    *aliases : str
        Input aliases.
    **kwargs
        Other :class:`Genred` keywords (e.g. ``formula2`` for weights).

    Returns
    -------
    Genred
    """
    axis, _ = _axis(output)
    return Genred(formula, list(aliases), reduction_op="LogSumExp", axis=axis, **kwargs)


def generic_argmin(formula: str, output: str, *aliases: str, **kwargs: Any) -> Genred:
    """ArgMin reduction with the ``pykeops.numpy.generic_argmin`` signature.

    Parameters
    ----------
    formula : str
        Formula whose minimum is located.
    output : str
        Output alias (its category gives the axis).
    *aliases : str
        Input aliases.
    **kwargs
        Other :class:`Genred` keywords.

    Returns
    -------
    Genred
        Returns int64 indices when called.
    """
    axis, _ = _axis(output)
    return Genred(formula, list(aliases), reduction_op="ArgMin", axis=axis, **kwargs)


def generic_argkmin(formula: str, output: str, *aliases: str, **kwargs: Any) -> Genred:
    """ArgKMin reduction with the ``pykeops.numpy.generic_argkmin`` signature.

    Parameters
    ----------
    formula : str
        Formula whose K smallest values are located.
    output : str
        Output alias ``"name = Vi(K)"``: its category gives the axis and its
        dimension is K.
    *aliases : str
        Input aliases.
    **kwargs
        Other :class:`Genred` keywords.

    Returns
    -------
    Genred
        Returns int64 indices of shape ``(rows, K)`` when called.
    """
    axis, k = _axis(output)
    return Genred(formula, list(aliases), reduction_op="ArgKMin", axis=axis, opt_arg=k, **kwargs)

__all__ = ["Genred", "cat2axis", "generic_argkmin", "generic_argmin", "generic_logsumexp", "generic_sum", "get_type"]
