"""The block-sparse ranges of a boolean cluster matrix (``pykeops.torch.cluster.matrix``)."""

from __future__ import annotations

import numpy as np
import torch

from pykeops_go.common import cluster as _cluster
from pykeops_go.torch.cluster.utils import _numpy
from pykeops_go.utils import pyKeOps_Print  # noqa: F401


def from_matrix(ranges_i: torch.Tensor, ranges_j: torch.Tensor, keep: torch.Tensor) -> tuple:
    """The 6 ranges tensors of a block-sparse reduction from a boolean cluster matrix ``keep``.

    Ranges keep the integer dtype of ``ranges_i`` / ``ranges_j``; slices are int64, as pykeops.
    """
    res = _cluster.from_matrix(_numpy(ranges_i, "ranges_i"), _numpy(ranges_j, "ranges_j"),
                          _numpy(keep, "keep"))
    dtypes = (ranges_i.dtype, torch.int64, ranges_j.dtype, ranges_j.dtype, torch.int64, ranges_i.dtype)
    return tuple(torch.from_numpy(np.ascontiguousarray(r)).to(d) for r, d in zip(res, dtypes))


__all__ = ["from_matrix", "pyKeOps_Print"]
