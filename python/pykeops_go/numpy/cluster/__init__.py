"""Clustering helpers for block-sparse reductions (``pykeops.numpy.cluster``): those of
``pykeops_go.common.cluster``, which work on NumPy arrays."""

from pykeops_go.numpy.cluster import matrix, utils  # noqa: F401
from pykeops_go.numpy.cluster.grid_cluster import grid_cluster
from pykeops_go.numpy.cluster.matrix import from_matrix
from pykeops_go.numpy.cluster.utils import (
    cluster_centroids,
    cluster_ranges,
    cluster_ranges_centroids,
    sort_clusters,
    swap_axes,
)

__all__ = [
    "grid_cluster",
    "from_matrix",
    "sort_clusters",
    "cluster_ranges",
    "cluster_centroids",
    "cluster_ranges_centroids",
    "swap_axes",
]
