"""generic_sum, generic_logsumexp, generic_argmin, generic_argkmin for torch tensors.

Same signatures as the NumPy ones (``pykeops_go/numpy/generic/generic_ops.py``):
the output alias gives the reduction axis; they return a torch Genred.
"""

from __future__ import annotations

from typing import Any

from pykeops_go.common.arguments import cat2axis, get_type  # noqa: F401
from pykeops_go.common.arguments import output_axis as _axis
from pykeops_go.torch.generic.generic_red import Genred


def generic_sum(formula: str, output: str, *aliases: str, **kwargs: Any) -> Genred:
    """Sum reduction; ``output`` (e.g. ``"a = Vi(1)"``) gives the axis by its category."""
    axis, _ = _axis(output)
    return Genred(formula, list(aliases), reduction_op="Sum", axis=axis, **kwargs)


def generic_logsumexp(formula: str, output: str, *aliases: str, **kwargs: Any) -> Genred:
    """LogSumExp reduction ``log sum exp(F)`` (``formula2=`` for weights)."""
    axis, _ = _axis(output)
    return Genred(formula, list(aliases), reduction_op="LogSumExp", axis=axis, **kwargs)


def generic_argmin(formula: str, output: str, *aliases: str, **kwargs: Any) -> Genred:
    """ArgMin reduction (int64 indices)."""
    axis, _ = _axis(output)
    return Genred(formula, list(aliases), reduction_op="ArgMin", axis=axis, **kwargs)


def generic_argkmin(formula: str, output: str, *aliases: str, **kwargs: Any) -> Genred:
    """ArgKMin reduction; K is the dimension of the output alias ``"name = Vi(K)"``."""
    axis, k = _axis(output)
    return Genred(formula, list(aliases), reduction_op="ArgKMin", axis=axis, opt_arg=k, **kwargs)


__all__ = ["Genred", "cat2axis", "generic_argkmin", "generic_argmin", "generic_logsumexp", "generic_sum", "get_type"]
