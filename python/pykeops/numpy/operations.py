"""pykeops.numpy.operations: KernelSolve."""

from pykeops_go.numpy.operations import KernelSolve  # noqa: F401
