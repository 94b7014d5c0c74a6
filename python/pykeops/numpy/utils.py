"""pykeops.numpy.utils: numpytools and the dense NumPy reference helpers."""

from pykeops_go.utils import (  # noqa: F401
    WarmUpGpu,
    differences,
    grad_np_kernel,
    log_np_kernel,
    log_sum_exp,
    np_kernel,
    numpytools,
    squared_distances,
)
