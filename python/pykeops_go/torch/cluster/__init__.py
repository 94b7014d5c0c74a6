"""Clustering helpers for block-sparse reductions on torch tensors (``pykeops.torch.cluster``).

The integer bookkeeping (grid labels, ranges, the block-sparse ``from_matrix``
schedule) is that of the NumPy module, run on views of the tensors; the
centroids and sorted points are computed with torch operations, so they
stay differentiable.
"""

from pykeops_go.torch.cluster import matrix, utils  # noqa: F401
from pykeops_go.torch.cluster.grid_cluster import grid_cluster  # the function over its module, as in pykeops
from pykeops_go.torch.cluster.matrix import from_matrix
from pykeops_go.torch.cluster.utils import (
    cluster_centroids,
    cluster_ranges,
    cluster_ranges_centroids,
    sort_clusters,
    swap_axes,
)

__all__ = sorted([
    "grid_cluster",
    "from_matrix",
    "sort_clusters",
    "cluster_ranges",
    "cluster_centroids",
    "cluster_ranges_centroids",
    "swap_axes",
])
