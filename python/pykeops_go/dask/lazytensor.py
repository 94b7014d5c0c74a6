"""LazyTensor over dask arrays: the NumPy LazyTensor, reduced by :class:`~pykeops_go.dask.Genred`.

Formulas are built exactly as with :class:`pykeops_go.numpy.LazyTensor`;
only the reduction differs: it returns a dask array (see genred.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pykeops_go.common.lazy_tensor import variable_constructors
from pykeops_go.dask.genred import Genred
from pykeops_go.dask.operations import KernelSolve
from pykeops_go.numpy.lazytensor.LazyTensor import LazyTensor as NumpyLazyTensor


def _is_dask(x: Any) -> bool:
    try:
        import dask.array as da
    except ImportError:  # pragma: no cover - dask is a dependency of this module
        return False
    return isinstance(x, da.Array)


class LazyTensor(NumpyLazyTensor):
    """A symbolic array over dask (or NumPy) data; reductions return dask arrays.

    Parameters are those of :class:`pykeops_go.numpy.LazyTensor`; ``x`` may
    also be a dask array, laid out as a NumPy one: ``(M, D)`` with ``axis``,
    or ``(..., M, 1, D)``, ``(..., 1, N, D)``, ``(..., 1, 1, D)``. Complex
    data is not supported.
    """

    def __new__(cls, x: Any = None, axis: int | None = None, is_complex: bool = False):
        return object.__new__(cls)

    def __init__(self, x: Any = None, axis: int | None = None, is_complex: bool = False):
        if is_complex or (isinstance(x, np.ndarray) and x.dtype.kind == "c"):
            raise TypeError("pykeops_go.dask.LazyTensor: complex data is not supported")
        if _is_dask(x):
            if x.dtype.kind != "f":
                raise TypeError(f"pykeops_go.dask.LazyTensor: expected float32 or float64 data, got {x.dtype}")
            self._init_array(x, axis)
            return
        super().__init__(x, axis=axis)

    Genred = Genred
    KernelSolve = KernelSolve

    def __matmul__(self, v: Any) -> Any:
        """``K @ v`` for a dask or NumPy ``v``: ``(N,)`` gives ``(M,)``, ``(..., N, D)`` gives ``(..., M, D)``."""
        if not _is_dask(v):
            v = np.asarray(v)
        if self._shape[-1] != 1:
            raise ValueError("The 'K @ v' syntax is only supported for LazyTensors 'K' whose trailing "
                             f"dimension is equal to 1. Here, K.shape = {self.shape}.")
        is_vector = v.ndim == 1
        if is_vector:
            v = v[:, None]
        kv = self * self.lt_constructor(v[..., None, :, :])
        kv = kv.sum(kv.dim() - 2)
        if is_vector and not isinstance(kv, NumpyLazyTensor):
            kv = kv.reshape(-1)
        return kv


LazyTensor._real_cls = LazyTensor
LazyTensor._complex_cls = None


Var, Vi, Vj, Pm = variable_constructors(LazyTensor)
