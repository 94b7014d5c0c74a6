"""pykeops.torch.operations: KernelSolve."""

from pykeops_go.torch.operations import KernelSolve  # noqa: F401
