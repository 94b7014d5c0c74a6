"""pykeops.torch.LazyTensor: symbolic torch tensors reduced by the Go engine.

The shared class (``pykeops_go/common/lazy_tensor.py``) with the torch array
adapter: leaves are tensors (kept as they are, so reductions are
differentiable through the torch Genred), reductions return tensors, and
complex tensors are read as interleaved reals.
"""

from __future__ import annotations

from typing import Any

from pykeops_go.common.lazy_tensor import GenericLazyTensor, variable_constructors
from pykeops_go.common.lazy_tensor_complex import ComplexGenericLazyTensor
from pykeops_go.torch.arrays import TorchArrays
from pykeops_go.torch.generic.generic_red import Genred
from pykeops_go.torch.operations import KernelSolve
from pykeops_go.torch.utils import torchtools


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

    arrays = TorchArrays

    def __new__(cls, x: Any = None, axis: int | None = None, is_complex: bool = False):
        if cls is LazyTensor and (is_complex or TorchArrays.is_complex_data(x)):
            cls = ComplexLazyTensor
        return object.__new__(cls)

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


LazyTensor._real_cls = LazyTensor
LazyTensor._complex_cls = ComplexLazyTensor


Var, Vi, Vj, Pm = variable_constructors(LazyTensor, "tensor")


__all__ = ["ComplexGenericLazyTensor", "ComplexLazyTensor", "GenericLazyTensor", "LazyTensor", "Pm", "Var", "Vi",
           "Vj", "torchtools"]
