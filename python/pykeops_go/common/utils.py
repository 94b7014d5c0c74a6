"""pykeops.common.utils: axis/category conversions, broadcasting of batch
shapes, the per-binding toolbox and the ``[pyKeOps]`` messages."""

from __future__ import annotations

from typing import Any

import pykeops_go as pykeops  # noqa: F401  (pykeops' module binds its package here)
from pykeops_go.common.arguments import axis2cat, cat2axis
from pykeops_go.utils import binding_tools, pyKeOps_Message, pyKeOps_Print, pyKeOps_Warning

# The C type of the accumulator of each dtype (the CUDA names pykeops uses).
c_type = dict(float16="half2", float32="float", float64="double")


def get_tools(lang: str) -> Any:
    """The array toolbox of a binding: ``numpytools()`` for ``"numpy"``.

    Parameters
    ----------
    lang : str
        ``"numpy"``, or ``"torch"`` / ``"pytorch"`` where the torch front end is installed.

    Returns
    -------
    object
        An instance of the binding's tools class.
    """
    return binding_tools(lang)()


def WarmUpGpu(lang: str) -> None:
    """Warm up the GPU before timing; gokeops compiles and loads kernels at
    their first call, so this only checks ``lang``.

    Parameters
    ----------
    lang : str
        The binding, as for :func:`get_tools`.
    """
    get_tools(lang)


def max_tuple(a: tuple, b: tuple) -> tuple:
    """The elementwise maximum of two tuples (as long as the shorter)."""
    return tuple(max(u, v) for u, v in zip(a, b))


def check_broadcasting(dims_1: tuple | None, dims_2: tuple | None) -> tuple | None:
    """The broadcast of two batch shapes (None stands for no batch dimension).

    Raises
    ------
    ValueError
        If a dimension differs and neither is 1.
    """
    if dims_1 is None:
        return dims_2
    if dims_2 is None:
        return dims_1
    dims_1, dims_2 = tuple(dims_1), tuple(dims_2)
    padded_1 = (1,) * (len(dims_2) - len(dims_1)) + dims_1
    padded_2 = (1,) * (len(dims_1) - len(dims_2)) + dims_2
    for d1, d2 in zip(padded_1, padded_2):
        if d1 != 1 and d2 != 1 and d1 != d2:
            raise ValueError(f"Incompatible batch dimensions: {dims_1} and {dims_2}.")
    return max_tuple(padded_1, padded_2)


__all__ = ["WarmUpGpu", "axis2cat", "c_type", "cat2axis", "check_broadcasting", "get_tools",
           "max_tuple", "pyKeOps_Message", "pyKeOps_Print", "pyKeOps_Warning", "pykeops"]
