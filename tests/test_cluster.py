"""Tests for pykeops_go.numpy.cluster against straightforward loop references."""

import numpy as np
import pytest

from pykeops_go.numpy.cluster import (
    cluster_centroids,
    cluster_ranges,
    cluster_ranges_centroids,
    from_matrix,
    grid_cluster,
    sort_clusters,
    swap_axes,
)

rng = np.random.default_rng(0)


# ------------------------------------------------------------------ grid_cluster
@pytest.mark.parametrize("D", [1, 2, 3])
@pytest.mark.parametrize("vector_size", [False, True])
def test_grid_cluster(D, vector_size):
    x = rng.normal(size=(200, D)) * 3
    size = rng.uniform(0.5, 1.5, size=D) if vector_size else 0.7
    lab = grid_cluster(x, size)
    assert lab.shape == (200,) and lab.dtype == np.int64
    vox = [tuple(v) for v in np.floor(x / size).astype(int)]
    C = len(set(vox))
    assert set(lab.tolist()) == set(range(C))
    # same voxel <=> same label
    for a in range(len(vox)):
        for b in range(len(vox)):
            assert (vox[a] == vox[b]) == (lab[a] == lab[b])
    # labels are ranks of the codes
    w = [[1], [1024, 1], [2**20, 1024, 1]][D - 1]
    codes = np.array([sum(int(c) * wi for c, wi in zip(v, w)) for v in vox])
    uniq = sorted(set(codes.tolist()))
    assert lab.tolist() == [uniq.index(c) for c in codes.tolist()]


def test_grid_cluster_doc_example():
    x = np.array([[0.0], [0.1], [0.9], [0.05], [0.5]])
    assert grid_cluster(x, 0.2).tolist() == [0, 0, 2, 0, 1]
    assert grid_cluster(np.zeros((0, 2)), 1.0).shape == (0,)


def test_grid_cluster_errors():
    with pytest.raises(NotImplementedError):
        grid_cluster(np.zeros((3, 4)), 1.0)
    with pytest.raises(ValueError, match="x"):
        grid_cluster(np.zeros(3), 1.0)
    with pytest.raises(TypeError, match="x"):
        grid_cluster([[0.0, 1.0]], 1.0)
    with pytest.raises(ValueError, match="size"):
        grid_cluster(np.zeros((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match="size"):
        grid_cluster(np.zeros((3, 2)), 0.0)
    with pytest.raises(TypeError, match="size"):
        grid_cluster(np.zeros((3, 2)), "a")


# ------------------------------------------------------------------ sort_clusters
def test_sort_clusters_containers():
    lab = rng.integers(0, 5, size=30)
    x, y = rng.normal(size=(30, 3)), rng.normal(size=(30,))
    perm = np.argsort(lab)
    xs, ls = sort_clusters(x, lab)
    assert np.array_equal(xs, x[perm]) and np.array_equal(ls, lab[perm])
    assert np.all(np.diff(ls) >= 0)
    ts, _ = sort_clusters((x, y), lab)
    assert isinstance(ts, tuple) and np.array_equal(ts[1], y[perm])
    li, _ = sort_clusters([x, y], lab)
    assert isinstance(li, list) and np.array_equal(li[0], x[perm])


def test_sort_clusters_errors():
    with pytest.raises(TypeError, match="lab"):
        sort_clusters(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="x"):
        sort_clusters(np.zeros((4, 1)), np.zeros(3, dtype=int))
    with pytest.raises(TypeError, match="x"):
        sort_clusters("abc", np.zeros(3, dtype=int))


# ------------------------------------------------------------------ cluster_ranges
def test_cluster_ranges():
    lab = np.array([0, 0, 0, 1, 3, 3])  # label 2 is empty
    r = cluster_ranges(lab)
    assert r.dtype == np.int64
    assert r.tolist() == [[0, 3], [3, 4], [4, 4], [4, 6]]
    assert cluster_ranges(lab, Nlab=np.array([3.0, 1.0, 0.0, 2.0])).tolist() == r.tolist()
    lab = np.sort(rng.integers(0, 7, size=50))
    ref = [[int(np.sum(lab < k)), int(np.sum(lab <= k))] for k in range(lab.max() + 1)]
    assert cluster_ranges(lab).tolist() == ref


def test_cluster_ranges_errors():
    with pytest.raises(TypeError, match="lab"):
        cluster_ranges(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="lab"):
        cluster_ranges(np.array([-1, 0]))
    with pytest.raises(ValueError, match="Nlab"):
        cluster_ranges(np.array([0, 1]), Nlab=np.ones((2, 2)))


# ------------------------------------------------------------------ centroids
def _ref_centroids(x, lab, C, w=None):
    w = np.ones(len(x)) if w is None else w
    out = np.full((C, x.shape[1]), np.nan)
    for k in range(C):
        m = lab == k
        if m.any():
            out[k] = (w[m, None] * x[m]).sum(0) / w[m].sum()
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cluster_centroids(dtype):
    x = rng.normal(size=(40, 3)).astype(dtype)
    lab = rng.integers(0, 6, size=40)
    lab[lab == 4] = 5  # cluster 4 is empty
    w = rng.uniform(0.1, 2.0, size=40)
    c = cluster_centroids(x, lab)
    assert c.dtype == dtype and c.shape == (6, 3)
    tol = dict(rtol=1e-5, atol=1e-6, equal_nan=True)
    assert np.allclose(c, _ref_centroids(x, lab, 6), **tol)
    assert np.isnan(c[4]).all()
    cw = cluster_centroids(x, lab, weights=w)
    assert np.allclose(cw, _ref_centroids(x, lab, 6, w), **tol)
    # explicit Nlab with a trailing empty cluster
    c8 = cluster_centroids(x, lab, Nlab=np.bincount(lab, minlength=8))
    assert c8.shape == (8, 3) and np.isnan(c8[6:]).all()


def test_cluster_centroids_doc_example():
    x = np.array([[0.0], [1.0], [4.0], [5.0], [6.0]])
    lab = np.array([0, 0, 1, 1, 1])
    w = np.array([0.5, 0.5, 2.0, 1.0, 1.0])
    assert np.allclose(cluster_centroids(x, lab, weights=w), [[0.5], [4.75]])


def test_cluster_ranges_centroids():
    x = np.array([[0.0], [0.5], [1.0], [2.0], [3.0]])
    lab = np.array([0, 0, 1, 1, 1])
    r, c, wc = cluster_ranges_centroids(x, lab)
    assert r.tolist() == [[0, 2], [2, 5]]
    assert np.allclose(c, [[0.25], [2.0]])
    assert wc.dtype == np.float64 and wc.tolist() == [2.0, 3.0]
    w = np.array([1.0, 0.5, 1.0, 1.0, 10.0])
    r, c, wc = cluster_ranges_centroids(x, lab, weights=w)
    assert np.allclose(c, [[1 / 6], [2.75]]) and np.allclose(wc, [1.5, 12.0])


def test_centroids_errors():
    with pytest.raises(ValueError, match="x"):
        cluster_centroids(np.zeros(3), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="lab"):
        cluster_centroids(np.zeros((3, 1)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="weights"):
        cluster_centroids(np.zeros((3, 1)), np.zeros(3, dtype=int), weights=np.ones(2))
    with pytest.raises(ValueError, match="Nlab"):
        cluster_centroids(np.zeros((3, 1)), np.array([0, 1, 2]), Nlab=np.ones(2))
    with pytest.raises(TypeError, match="x"):
        cluster_ranges_centroids([[0.0]], np.zeros(1, dtype=int))


# ------------------------------------------------------------------ from_matrix
def test_from_matrix_doc_example():
    r_i = np.array([[2, 5], [7, 12]])
    r_j = np.array([[1, 4], [4, 9], [20, 30]])
    keep = np.array([[True, True, False], [False, True, False]])
    out = from_matrix(r_i, r_j, keep)
    assert out[1].tolist() == [2, 3]
    assert out[2].tolist() == [[1, 4], [4, 9], [4, 9]]
    assert out[4].tolist() == [1, 3, 3]
    assert out[5].tolist() == [[2, 5], [2, 5], [7, 12]]


def test_from_matrix_random():
    Mc, Nc = 5, 7
    r_i = cluster_ranges(np.sort(rng.integers(0, Mc, size=40)), Nlab=rng.integers(0, 5, Mc))
    r_j = cluster_ranges(np.zeros(0, dtype=int), Nlab=rng.integers(0, 5, Nc)).astype(np.int32)
    keep = rng.random((Mc, Nc)) < 0.4
    out = from_matrix(r_i, r_j, keep)
    red_j, red_i, sl_i, sl_j = [], [], [], []
    for k in range(Mc):
        for l in range(Nc):
            if keep[k, l]:
                red_j.append(r_j[l].tolist())
        sl_i.append(len(red_j))
    for l in range(Nc):
        for k in range(Mc):
            if keep[k, l]:
                red_i.append(r_i[k].tolist())
        sl_j.append(len(red_i))
    ref = (r_i.tolist(), sl_i, red_j, r_j.tolist(), sl_j, red_i)
    for a, b in zip(out, ref):
        assert a.dtype == np.int64 and a.flags.c_contiguous
        assert a.reshape(len(b), -1).tolist() == np.array(b).reshape(len(b), -1).tolist()
    # all-False mask: empty reductions
    out = from_matrix(r_i, r_j, np.zeros((Mc, Nc), dtype=bool))
    assert out[2].shape == (0, 2) and out[5].shape == (0, 2) and not out[1].any()


def test_from_matrix_errors():
    r = np.array([[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="keep"):
        from_matrix(r, r, np.ones((2, 3), dtype=bool))
    with pytest.raises(TypeError, match="keep"):
        from_matrix(r, r, np.ones((2, 2)))
    with pytest.raises(ValueError, match="ranges_i"):
        from_matrix(np.zeros((2, 3), dtype=int), r, np.ones((2, 2), dtype=bool))
    with pytest.raises(TypeError, match="ranges_j"):
        from_matrix(r, r.astype(float), np.ones((2, 2), dtype=bool))
    with pytest.raises(TypeError, match="ranges_i"):
        from_matrix([[0, 1]], r, np.ones((1, 2), dtype=bool))


# ------------------------------------------------------------------ swap_axes
def test_swap_axes():
    assert swap_axes(None) is None
    t = tuple(range(6))
    assert swap_axes(t) == (3, 4, 5, 0, 1, 2)
    assert swap_axes(swap_axes(t)) == t
    with pytest.raises(ValueError, match="ranges"):
        swap_axes((1, 2, 3))
    with pytest.raises(TypeError, match="ranges"):
        swap_axes(5)

