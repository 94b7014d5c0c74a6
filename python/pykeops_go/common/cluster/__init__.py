"""Clustering helpers for block-sparse reductions, on NumPy arrays (the logic of
``pykeops.numpy.cluster`` and ``pykeops.torch.cluster``, pykeops 2.3).

``pykeops_go.numpy.cluster`` is this package; ``pykeops_go.torch.cluster``
runs it on views of tensors.
"""

from pykeops_go.common.cluster import matrix, utils  # noqa: F401
from pykeops_go.common.cluster.grid_cluster import grid_cluster
from pykeops_go.common.cluster.matrix import from_matrix
from pykeops_go.common.cluster.utils import (
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
