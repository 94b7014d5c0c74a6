"""Block-sparse Genred built with the cluster helpers (spec api-numpy.md §1.4, §4).

The pipeline of the pykeops tutorial: grid_cluster -> sort_clusters ->
cluster_ranges_centroids -> keep matrix from centroid distances -> from_matrix.
The block-sparse result must equal the dense reduction restricted to the kept
blocks, computed with NumPy in float64.
"""

import numpy as np
import pytest
from conftest import assert_close

from pykeops_go.numpy import Genred
from pykeops_go.numpy.cluster import (
    cluster_ranges_centroids,
    from_matrix,
    grid_cluster,
    sort_clusters,
    swap_axes,
)

rng = np.random.default_rng(0)
ALIASES = ["x = Vi(2)", "y = Vj(2)", "b = Vj(1)"]


def clustered(dtype, thr):
    """Sorted points, labels and the ranges of the blocks whose centroids are close."""
    x = rng.normal(size=(500, 2)).astype(dtype)
    y = (rng.normal(size=(400, 2)) * 1.2).astype(dtype)
    b = rng.uniform(0.5, 1.5, size=(400, 1)).astype(dtype)
    x_lab, y_lab = grid_cluster(x, 0.5), grid_cluster(y, 0.5)
    x_s, x_lab_s = sort_clusters(x, x_lab)
    (y_s, b_s), y_lab_s = sort_clusters((y, b), y_lab)
    x_ranges, x_c, _ = cluster_ranges_centroids(x, x_lab)
    y_ranges, y_c, _ = cluster_ranges_centroids(y, y_lab)
    keep = ((x_c[:, None, :] - y_c[None, :, :]) ** 2).sum(-1) < thr**2
    ranges = from_matrix(x_ranges, y_ranges, keep)
    mask = keep[x_lab_s[:, None], y_lab_s[None, :]]  # (M, N): the pairs the ranges visit
    return x_s, y_s, b_s, ranges, mask


def kernel(x, y):
    x, y = x.astype(np.float64), y.astype(np.float64)
    return np.exp(-((x[:, None] - y[None]) ** 2).sum(-1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_over_j_equals_dense_on_kept_blocks(dtype):
    x, y, b, ranges, mask = clustered(dtype, thr=1.5)
    assert 0.05 < mask.mean() < 0.95  # really block-sparse
    res = Genred("Exp(-SqDist(x,y)) * b", list(ALIASES), axis=1)(x, y, b, ranges=ranges)
    ref = (kernel(x, y) * mask) @ b.astype(np.float64)
    assert_close(res, ref, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_over_i_equals_dense_on_kept_blocks(dtype):
    x, y, _, ranges, mask = clustered(dtype, thr=1.5)
    a = rng.uniform(0.5, 1.5, size=(len(x), 1)).astype(dtype)
    g = Genred("Exp(-SqDist(x,y)) * a", ["x = Vi(2)", "y = Vj(2)", "a = Vi(1)"], axis=0)
    res = g(x, y, a, ranges=ranges)
    ref = (kernel(x, y) * mask).T @ a.astype(np.float64)
    assert_close(res, ref, dtype)


def test_argmin_indices_are_absolute():
    x, y, b, ranges, mask = clustered(np.float64, thr=1.5)
    vals, idx = Genred("SqDist(x,y)", ["x = Vi(2)", "y = Vj(2)"], reduction_op="Min_ArgMin",
                       axis=1)(x, y, ranges=ranges)
    d = np.where(mask, ((x[:, None] - y[None]) ** 2).sum(-1), np.inf)
    covered = mask.any(1)
    np.testing.assert_array_equal(idx[covered, 0], d[covered].argmin(1))
    assert_close(vals[:, 0], d.min(1), np.float64)


def test_swap_axes_gives_the_transposed_reduction():
    """swap_axes(ranges) with the roles of x and y exchanged: the same block pattern."""
    x, y, b, ranges, mask = clustered(np.float64, thr=1.5)
    g = Genred("Exp(-SqDist(x,y)) * b", ["x = Vj(2)", "y = Vi(2)", "b = Vj(1)"], axis=1)
    a = rng.uniform(size=(len(x), 1))
    res = g(x, y, a, ranges=swap_axes(ranges))
    assert_close(res, (kernel(x, y) * mask).T @ a, np.float64)


def test_keep_everything_equals_dense_and_unsorts():
    """With every block kept, the block-sparse result is the dense one; unsorting with
    the inverse permutation gives the result on the original points."""
    x = rng.normal(size=(300, 2))
    y = rng.normal(size=(200, 2))
    b = rng.uniform(size=(200, 1))
    x_lab, y_lab = grid_cluster(x, 0.7), grid_cluster(y, 0.7)
    perm = np.argsort(x_lab.ravel())
    x_s = x[perm]
    (y_s, b_s), _ = sort_clusters((y, b), y_lab)
    x_ranges, _, _ = cluster_ranges_centroids(x, x_lab)
    y_ranges, _, _ = cluster_ranges_centroids(y, y_lab)
    keep = np.ones((len(x_ranges), len(y_ranges)), bool)
    g = Genred("Exp(-SqDist(x,y)) * b", list(ALIASES), axis=1)
    res_s = g(x_s, y_s, b_s, ranges=from_matrix(x_ranges, y_ranges, keep))
    res = np.empty_like(res_s)
    res[perm] = res_s
    assert_close(res, g(x, y, b), np.float64)
    assert_close(res, kernel(x, y) @ b, np.float64)
