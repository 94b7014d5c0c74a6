"""pykeops.numpy API on the Go engine: Genred, generic_*, KernelSolve, LazyTensor."""

from pykeops_go.numpy.generic.generic_red import Genred
from pykeops_go.numpy.generic.generic_ops import (
    generic_argkmin,
    generic_argmin,
    generic_logsumexp,
    generic_sum,
)
from pykeops_go.numpy.operations import KernelSolve
from pykeops_go.common.solve import ConvergenceWarning, SolveInfo
from pykeops_go.numpy.lazytensor.LazyTensor import ComplexLazyTensor, LazyTensor, Pm, Vi, Vj

__all__ = [
    "Genred",
    "KernelSolve",
    "ConvergenceWarning",
    "SolveInfo",
    "generic_sum",
    "generic_logsumexp",
    "generic_argmin",
    "generic_argkmin",
    "LazyTensor",
    "ComplexLazyTensor",
    "Vi",
    "Vj",
    "Pm",
]
