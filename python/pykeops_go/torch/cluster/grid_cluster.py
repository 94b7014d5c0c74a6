"""Voxel-grid labels of torch point clouds (``pykeops.torch.cluster.grid_cluster``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pykeops_go.common import cluster as _cluster
from pykeops_go.torch.cluster.utils import _numpy


def grid_cluster(x: torch.Tensor, size: Any) -> torch.Tensor:
    """Labels of the cubic cells of side ``size`` holding the points ``x`` (an int32 tensor).

    As pykeops.torch (unlike pykeops.numpy), the grid starts at the smallest coordinates of
    the points, ``floor((x - x.min(0)) / size)``: the same clouds give the same cells.
    """
    size = _numpy(size, "size")
    xn = _numpy(x, "x")
    if isinstance(xn, np.ndarray) and xn.ndim == 2 and xn.shape[0] and np.isfinite(xn).all():
        xn = xn - xn.min(axis=0, keepdims=True)
    return torch.from_numpy(_cluster.grid_cluster(xn, size)).int()


__all__ = ["grid_cluster"]
