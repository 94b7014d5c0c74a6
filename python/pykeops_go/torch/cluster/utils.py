"""Sorting, ranges and centroids of labelled torch point clouds (``pykeops.torch.cluster.utils``)."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import torch

from pykeops_go.common import cluster as _cluster


def _numpy(t: Any, name: str) -> Any:
    if isinstance(t, torch.Tensor):
        if t.device.type != "cpu":
            raise ValueError(f"{name} is on device {t.device}: this build of gokeops has only the "
                             "CPU backend; move the data with .cpu()")
        return t.detach().cpu().numpy()
    return t


def sort_clusters(x: Any, lab: torch.Tensor) -> tuple:
    """Points (a tensor, or a tuple / list of them) and labels sorted by label."""
    if not isinstance(lab, torch.Tensor):
        raise TypeError(f"lab must be a torch.Tensor, got {type(lab).__name__}")
    lab, perm = torch.sort(lab.view(-1), stable=True)
    if isinstance(x, tuple):
        return tuple(a[perm] for a in x), lab
    if isinstance(x, list):
        return [a[perm] for a in x], lab
    return x[perm], lab


def cluster_ranges(lab: torch.Tensor, Nlab: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``[start_k, end_k)`` of each cluster of sorted labels, a (C, 2) int64 tensor."""
    res = _cluster.cluster_ranges(_numpy(lab, "lab"), None if Nlab is None else _numpy(Nlab, "Nlab"))
    return torch.from_numpy(res).to(torch.int64)


def cluster_centroids(x: torch.Tensor, lab: torch.Tensor, Nlab: Optional[torch.Tensor] = None,
                      weights: Optional[torch.Tensor] = None,
                      weights_c: Optional[torch.Tensor] = None) -> torch.Tensor:
    """The (weighted) barycenter of every cluster, a (C, D) tensor, differentiable in x and weights."""
    if not isinstance(x, torch.Tensor) or x.ndim != 2:
        raise ValueError("cluster_centroids: x must be an (M, D) tensor")
    lab = lab.view(-1).long()
    if lab.shape[0] != x.shape[0]:
        raise ValueError(f"cluster_centroids: lab must have length {x.shape[0]} (= x.shape[0]), "
                         f"got {lab.shape[0]}")
    if Nlab is None:
        Nlab = torch.bincount(lab).to(x.dtype)
    C = Nlab.shape[0]
    if lab.numel() and int(lab.max()) >= C:
        raise ValueError(f"cluster_centroids: lab values must be < len(Nlab) = {C}")
    if weights is None:
        num = torch.zeros(C, x.shape[1], dtype=x.dtype).index_add(0, lab, x)
        den = Nlab.to(x.dtype)
    else:
        num = torch.zeros(C, x.shape[1], dtype=x.dtype).index_add(0, lab, x * weights.view(-1, 1))
        den = weights_c if weights_c is not None else \
            torch.zeros(C, dtype=weights.dtype).index_add(0, lab, weights.view(-1))
    return num / den.view(-1, 1)


def cluster_ranges_centroids(x: torch.Tensor, lab: torch.Tensor, weights: Optional[torch.Tensor] = None,
                             min_weight: float = 1e-9) -> tuple:
    """``(ranges, centroids, weights_c)`` of a labelled point cloud; weights are clamped to
    ``min_weight`` from below, as pykeops does."""
    lab = lab.view(-1).long()
    Nlab = torch.bincount(lab).to(x.dtype)
    if weights is None:
        return cluster_ranges(lab, Nlab), cluster_centroids(x, lab, Nlab), Nlab
    weights = weights.clamp(min=min_weight)
    w_c = torch.zeros(Nlab.shape[0], dtype=weights.dtype).index_add(0, lab, weights.view(-1))
    return (cluster_ranges(lab, Nlab), cluster_centroids(x, lab, Nlab, weights=weights, weights_c=w_c),
            w_c)


def swap_axes(ranges: Optional[Sequence]) -> Optional[tuple]:
    """Exchange the i and j halves of a ranges 6-tuple (None stays None)."""
    return _cluster.swap_axes(ranges)


__all__ = ["cluster_centroids", "cluster_ranges", "cluster_ranges_centroids", "sort_clusters", "swap_axes"]
