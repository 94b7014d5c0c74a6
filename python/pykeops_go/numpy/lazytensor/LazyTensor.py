"""pykeops.numpy.LazyTensor: symbolic NumPy arrays reduced by the Go engine.

``LazyTensor(x)`` of complex data (or with ``is_complex=True``) is a
:class:`ComplexLazyTensor`, which is also a :class:`LazyTensor`.

Examples
--------
>>> import numpy as np
>>> from pykeops_go.numpy import Vi, Vj
>>> x, y, b = np.random.rand(100, 3), np.random.rand(200, 3), np.random.rand(200, 1)
>>> K = (-Vi(x).sqdist(Vj(y))).exp()           # symbolic (100, 200) Gaussian kernel
>>> (K * Vj(b)).sum(axis=1).shape               # reduction over j
(100, 1)
>>> (K @ b[:, 0]).shape
(100,)
"""

from __future__ import annotations

from typing import Any

from pykeops_go.common.lazy_tensor import GenericLazyTensor, variable_constructors
from pykeops_go.common.lazy_tensor_complex import ComplexGenericLazyTensor
from pykeops_go.numpy.arrays import NumpyArrays
from pykeops_go.numpy.utils import numpytools  # noqa: F401  (as in pykeops)


class LazyTensor(GenericLazyTensor):
    """Symbolic wrapper for NumPy arrays (see :class:`GenericLazyTensor` for the parameters).

    Parameters
    ----------
    x : float, int, list, tuple, ndarray or None
        Data (parameter, i or j variable), an int constant or an
        ``(ind, dim, cat)`` symbolic variable.
    axis : int, optional
        0 (``Vi``), 1 (``Vj``) or 2 (``Pm``) for 2-D arrays.
    is_complex : bool
        Read real data as interleaved complex numbers.
    """

    arrays = NumpyArrays
    tools = numpytools
    Genred = numpytools.Genred
    KernelSolve = numpytools.KernelSolve

    def get_tools(self) -> None:
        """Bind the NumPy toolbox and routines (class attributes already)."""
        self.tools, self.Genred, self.KernelSolve = numpytools, numpytools.Genred, numpytools.KernelSolve

    def __new__(cls, x: Any = None, axis: int | None = None, is_complex: bool = False):
        if cls is LazyTensor and (is_complex or NumpyArrays.is_complex_data(x)):
            cls = ComplexLazyTensor
        return object.__new__(cls)


class ComplexLazyTensor(ComplexGenericLazyTensor, LazyTensor):
    """A NumPy LazyTensor of complex numbers (complex64 / complex128 data)."""

    def __init__(self, x: Any = None, axis: int | None = None, is_complex: bool = True):
        super().__init__(x, axis=axis, is_complex=True)


LazyTensor._real_cls = LazyTensor
LazyTensor._complex_cls = ComplexLazyTensor


Var, Vi, Vj, Pm = variable_constructors(LazyTensor)


__all__ = ["ComplexGenericLazyTensor", "ComplexLazyTensor", "GenericLazyTensor", "LazyTensor", "Pm",
           "Var", "Vi", "Vj", "numpytools"]
