"""pykeops.torch.LazyTensor: symbolic torch tensors reduced by the Go engine.

The shared class (``pykeops_go/common/lazy_tensor.py``) with the torch array
adapter: leaves are tensors (kept as they are, so reductions are
differentiable through the torch Genred), reductions return tensors, and
complex tensors are read as interleaved reals.
"""

from __future__ import annotations

from typing import Any

import torch

from pykeops_go.common.lazy_tensor import GenericLazyTensor, variable_constructors
from pykeops_go.common.lazy_tensor_complex import ComplexGenericLazyTensor
from pykeops_go.torch.arrays import DTYPES, DTYPE_NAMES
from pykeops_go.torch.generic.generic_red import Genred
from pykeops_go.torch.operations import KernelSolve
from pykeops_go.torch.utils import torchtools

_REAL_OF = {torch.complex64: torch.float32, torch.complex128: torch.float64}
_COMPLEX_OF = {torch.float32: torch.complex64, torch.float64: torch.complex128}


class LazyTensor(GenericLazyTensor):
    """Symbolic wrapper for torch tensors (see :class:`GenericLazyTensor` for the parameters).

    Parameters
    ----------
    x : float, int, list, tuple, torch.Tensor or None
        Data (parameter, i or j variable), an int constant or an
        ``(ind, dim, cat)`` symbolic variable.
    axis : int, optional
        0 (``Vi``), 1 (``Vj``) or 2 (``Pm``) for 2-D tensors.
    is_complex : bool
        Read real data as interleaved complex numbers.
    """

    _array_kind = "torch"

    def __new__(cls, x: Any = None, axis: int | None = None, is_complex: bool = False):
        if cls is LazyTensor and (is_complex or cls._is_complex_data(x)):
            cls = ComplexLazyTensor
        return object.__new__(cls)

    # ------------------------------------------------------------ array adapter
    @staticmethod
    def _is_array(x: Any) -> bool:
        return isinstance(x, torch.Tensor)

    @staticmethod
    def _array_dtype(x: Any) -> str:
        if x.dtype in DTYPE_NAMES:
            return DTYPE_NAMES[x.dtype]
        return str(x.dtype).replace("torch.", "")

    @staticmethod
    def _list_array(values: list, dtype: str | None) -> torch.Tensor:
        return torch.tensor(values, dtype=DTYPES.get(dtype, torch.float64) if dtype else torch.float64)

    @staticmethod
    def _as_array(v: Any) -> torch.Tensor:
        return v if isinstance(v, torch.Tensor) else torch.as_tensor(v)

    @staticmethod
    def _is_complex_data(x: Any) -> bool:
        if isinstance(x, torch.Tensor):
            return x.is_complex()
        if isinstance(x, complex):
            return True
        if isinstance(x, list):
            return any(isinstance(v, complex) for v in x)
        return False

    @staticmethod
    def _complex_data_to_real(x: Any) -> Any:
        if isinstance(x, torch.Tensor):
            if not x.is_complex():
                return x
            if x.ndim == 0:
                x = x.reshape(1)
            return torch.view_as_real(x.contiguous()).flatten(-2)
        if isinstance(x, (complex, float, int)) and not isinstance(x, bool):
            return [float(complex(x).real), float(complex(x).imag)]
        if isinstance(x, list):
            return [float(p) for v in x for p in (complex(v).real, complex(v).imag)]
        return x

    def _as_operand(self, v: Any) -> torch.Tensor:
        v = self._as_array(v)
        if self._dtype in DTYPES and v.is_floating_point() and v.dtype != DTYPES[self._dtype]:
            v = v.to(DTYPES[self._dtype])
        return v

    # ------------------------------------------------------- reduction classes
    tools = torchtools
    Genred = Genred
    KernelSolve = KernelSolve

    def get_tools(self) -> None:
        """Bind the torch toolbox and routines (class attributes already)."""
        self.tools, self.Genred, self.KernelSolve = torchtools, Genred, KernelSolve


class ComplexLazyTensor(ComplexGenericLazyTensor, LazyTensor):
    """A torch LazyTensor of complex numbers (complex64 / complex128 tensors)."""

    def __init__(self, x: Any = None, axis: int | None = None, is_complex: bool = True):
        super().__init__(x, axis=axis, is_complex=True)

    def _call_args(self, args: tuple) -> tuple:
        """Complex tensors of symbolic variables are passed as interleaved reals."""
        return tuple(torch.view_as_real(a.contiguous()).flatten(-2)
                     if isinstance(a, torch.Tensor) and a.is_complex() else a for a in args)

    def _finish(self, out: Any) -> Any:
        """Reduction results as complex tensors (last axis halved)."""
        if isinstance(out, torch.Tensor) and out.dtype in _COMPLEX_OF and out.shape[-1] % 2 == 0:
            out = out.contiguous()
            return torch.view_as_complex(out.reshape(*out.shape[:-1], out.shape[-1] // 2, 2))
        return out


LazyTensor._real_cls = LazyTensor
LazyTensor._complex_cls = ComplexLazyTensor


Var, Vi, Vj, Pm = variable_constructors(LazyTensor, "tensor")


__all__ = ["ComplexGenericLazyTensor", "ComplexLazyTensor", "GenericLazyTensor", "LazyTensor", "Pm", "Var", "Vi",
           "Vj", "torchtools"]
