"""Clustering helpers for block-sparse reductions (NumPy backend).

Pure-NumPy port of :mod:`pykeops.numpy.cluster` (pykeops 2.3).
"""

from .grid_cluster import grid_cluster
from .matrix import from_matrix
from .utils import (
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
