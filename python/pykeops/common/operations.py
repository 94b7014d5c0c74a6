"""pykeops.common.operations: the conjugate gradient solver."""

from pykeops_go.common.operations import ConjugateGradientSolver  # noqa: F401
