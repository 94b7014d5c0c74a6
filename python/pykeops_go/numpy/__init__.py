"""pykeops.numpy API on the Go engine: Genred, generic_*, KernelSolve, LazyTensor."""

from pykeops_go.numpy.generic.generic_red import Genred

__all__ = ["Genred"]
