"""pykeops.common.parse_type: alias strings, sizes and the accuracy options."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from pykeops_go.common import engine
from pykeops_go.common.arguments import get_type
from pykeops_go.utils import pyKeOps_Message

# The category number of each variable type, in category order.
categories = OrderedDict(sorted(engine.TABLES["categories"].items(), key=lambda kv: kv[1]))

# Var(ind,dim,cat) written in a formula.
_VAR = re.compile(r"Var\(([0-9]+),([0-9]+),([0-9]+)\)")


def complete_aliases(formula: str, aliases: list) -> list:
    """Append the ``Var(ind,dim,cat)`` of the formula beyond the aliases, in place.

    As in pykeops, the new indices must continue the alias list without gaps.
    """
    found = {}
    for m in _VAR.finditer(formula.replace(" ", "")):
        ind = int(m.group(1))
        if ind >= len(aliases):
            found[ind] = m.group(0)
    for ind in sorted(found):
        if ind != len(aliases):
            raise IndexError(
                f"Var({ind},...) in the formula leaves argument {len(aliases)} undeclared: "
                "variable indices must follow the aliases without gaps"
            )
        aliases.append(found[ind])
    return aliases


def get_sizes(aliases: list, *args: Any) -> tuple:
    """``(M, N)`` of a call: the rows of the first Vi and of the first Vj argument (1 if none).

    Parameters
    ----------
    aliases : list of str
        The alias strings, as for Genred.
    *args : array
        The call arrays, in alias position order.
    """
    nx = ny = None
    for ind, sig in enumerate(aliases):
        _, cat, _, pos = get_type(sig, position_in_list=ind)
        if cat == 2:
            continue
        if pos is None or pos >= len(args):
            raise ValueError(f"get_sizes: alias {sig!r} refers to argument {pos}, but only "
                             f"{len(args)} arrays were given")
        shape = getattr(args[pos], "shape", None)
        if shape is None or len(shape) < 2:
            raise ValueError(f"get_sizes: argument {pos} ({sig!r}) must be an array of at least "
                             f"2 dimensions, got shape {shape}")
        if cat == 0 and nx is None:
            nx = shape[-2]
        elif cat == 1 and ny is None:
            ny = shape[-2]
        if nx is not None and ny is not None:
            break
    return (1 if nx is None else nx), (1 if ny is None else ny)


def get_optional_flags(reduction_op_internal: str, dtype_acc: str, use_double_acc: bool,
                       sum_scheme: str, enable_chunks: bool, use_fast_math: bool) -> dict:
    """Check the accuracy options of a reduction and return them as pykeops' flags dict.

    Returns
    -------
    dict
        ``dtype_acc``, ``sum_scheme`` (``"auto"`` resolved: ``block_sum`` for
        sum-type reductions, else ``direct_sum``), ``use_fast_math`` and
        ``enable_chunks`` (0 or 1).
    """
    row = engine.REDUCTIONS.get(reduction_op_internal)
    sum_type = row is not None and row["sum_type"]
    if dtype_acc != "auto" and use_double_acc:
        raise ValueError("[pyKeOps] you cannot set both options use_double_acc and dtype_acc.")
    if use_double_acc:
        dtype_acc = "float64"
    if dtype_acc != "auto" and not sum_type:
        raise ValueError("[pyKeOps] parameter dtype_acc should be set to 'auto' for no-sum type "
                         "reductions (Min, Max, ArgMin, etc.)")
    if sum_scheme == "auto":
        sum_scheme = "block_sum" if sum_type else "direct_sum"
    if sum_scheme in ("block_sum", "kahan_scheme"):
        if not sum_type:
            raise ValueError(f'[pyKeOps] sum_scheme="{sum_scheme}" is only valid for sum type '
                             "reductions.")
    elif sum_scheme != "direct_sum":
        raise ValueError('[pyKeOps] invalid value for option sum_scheme : should be one of "auto", '
                         '"direct_sum", "block_sum" or "kahan_scheme".')
    return {
        "dtype_acc": dtype_acc,
        "sum_scheme": sum_scheme,
        "use_fast_math": 1 if use_fast_math else 0,
        "enable_chunks": 1 if enable_chunks else 0,
    }


def parse_dtype_acc(dtype_acc: str, dtype: str) -> str:
    """The C type of the accumulator for ``dtype_acc`` (``"auto"``: the data dtype).

    Returns
    -------
    str
        ``"double"``, ``"float"``, ``"float2"`` (float32 accumulation of float16
        data) or ``"half2"``.
    """
    if dtype_acc == "auto":
        dtype_acc = dtype
    allowed = {"float32": ("float32", "float64"), "float16": ("float16", "float32"),
               "float64": ("float64",)}
    if dtype in allowed and dtype_acc not in allowed[dtype]:
        raise ValueError(f"[KeOps] invalid parameter dtype_acc : should be one of "
                         f"{allowed[dtype]} when dtype is {dtype!r}, got {dtype_acc!r}")
    if dtype_acc == "float64":
        return "double"
    if dtype_acc == "float32":
        return "float2" if dtype == "float16" else "float"
    if dtype_acc == "float16":
        return "half2"
    raise ValueError('[KeOps] invalid value for option dtype_acc : should be one of "auto", '
                     f'"float16", "float32" or "float64", got {dtype_acc!r}')


__all__ = ["categories", "complete_aliases", "get_optional_flags", "get_sizes", "get_type",
           "parse_dtype_acc", "pyKeOps_Message"]
