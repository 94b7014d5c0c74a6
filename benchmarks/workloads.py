"""The standard workloads W1-W9 of BENCHMARKS.md: data, calls and references.

This module imports only NumPy so that every interpreter runs it: .venv (gokeops,
dense NumPy) and .venv-ref (the real pykeops, faiss). A keops-like library is
passed in as ``lib`` (``pykeops_go.numpy`` or ``pykeops.numpy``, which have the
same API), so gokeops and pykeops run the very same code.

``setup(wid, lib, d)`` returns ``(fn, post)``: ``fn()`` is the timed call and
``post(result)`` (untimed) puts its result in the order of the data, as a
float array (or int64 for W3).
"""

from __future__ import annotations

import numpy as np

SIGMA = 2 ** -0.5  # Exp(-SqDist(x, y)) = exp(-|x - y|^2 / (2 sigma^2))
W8_BLOBS, W8_BOX, W8_VOXEL = 100, 40.0, 2.0  # see data() and w8_ranges()
W6_CALLS = 2000


def data(wid: str, m: int, n: int, dtype) -> dict:
    """The arrays of a workload: np.random.default_rng(0), standard normal points,
    uniform weights in [0, 1); drawn in float64 then cast, so f32 and f64 rows see
    the same numbers.

    W3 points have dimension 100. W4 solves on x_i = y_j = x. W8 points are
    "clustered": W8_BLOBS Gaussian blobs (standard deviation 1) whose centres are
    uniform in a box of side W8_BOX, so the kernel is local at the scale of the data.
    """
    rng = np.random.default_rng(0)
    dim = 100 if wid == "W3" else 3
    if wid in ("W8", "W8d"):
        centres = rng.random((W8_BLOBS, 3)) * W8_BOX
        x = centres[rng.integers(0, W8_BLOBS, m)] + rng.standard_normal((m, 3))
        y = centres[rng.integers(0, W8_BLOBS, n)] + rng.standard_normal((n, 3))
    else:
        x = rng.standard_normal((m, dim))
        y = x if wid in ("W4", "W4b") else rng.standard_normal((n, dim))
    d = {"x": x, "y": y, "b": rng.random((n, 1)), "e": rng.random((m, 1)), "g": np.array([0.5])}
    return {k: np.ascontiguousarray(v, dtype=dtype) for k, v in d.items()}


def shrink(d: dict, k: int = 1000) -> dict:
    """The first k rows of every array (a small call: warms up / compiles the same kernel)."""
    return {k_: (v if v.ndim == 1 else v[:k]) for k_, v in d.items()}


ALIASES = ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"]
W1_FORMULA = "Exp(-SqDist(x, y)) * b"


def _w1(lib, d, formula=W1_FORMULA, ranges=None):
    g = lib.Genred(formula, list(ALIASES), reduction_op="Sum", axis=1)
    if ranges is None:
        return lambda: g(d["x"], d["y"], d["b"])
    return lambda: g(d["x"], d["y"], d["b"], ranges=ranges)


def _w2(lib, d):
    g = lib.Genred("(-(g * SqNorm2(x - y))) + b", ["g = Pm(1)", *ALIASES],
                   reduction_op="LogSumExp", axis=1)
    return lambda: g(d["g"], d["x"], d["y"], d["b"])


def _w3(lib, d):
    D = d["x"].shape[1]
    g = lib.Genred("SqDist(x, y)", [f"x = Vi({D})", f"y = Vj({D})"],
                   reduction_op="ArgKMin", axis=1, opt_arg=10)
    return lambda: g(d["x"], d["y"])


# gokeops solves W4 / W4b with its Nystrom-preconditioned CG (landmarks by grid cluster),
# float32 products inside a float64 iterative refinement (docs/solve.md), to a float64
# relative residual of W4_RTOL; pykeops runs its plain CG at its default eps. W4b's
# larger N needs more landmarks for the same iteration count (W4B_RANK).
W4_RANK, W4B_RANK, W4_RTOL = 1000, 2500, 5e-7
# pykeops' W4b is estimated: one kernel product at N = 1e5 times this many CG iterations,
# the count BENCHMARKS.md gives for W4 at N = 1e4 (a lower bound at 1e5).
W4B_PK_ITERS = 400


def _w4(lib, d, rank=W4_RANK):
    ks = lib.KernelSolve(W1_FORMULA, list(ALIASES), "b", axis=1)
    if not lib.__name__.startswith("pykeops_go"):
        return lambda: ks(d["x"], d["x"], d["b"], alpha=0.1)

    def solve():
        return ks(d["x"], d["x"], d["b"], alpha=0.1, precond="nystrom", rank=rank,
                  landmarks="cluster", rtol=W4_RTOL, inner_dtype="float32")
    solve.note = lambda: (f"{ks.last_info.iterations} it., {ks.last_info.refinements} f64 products, "
                          f"rank {ks.last_info.rank}"
                          + ("" if ks.last_info.converged else ", NOT converged"))
    return solve


def _w4b(lib, d):
    if lib.__name__.startswith("pykeops_go"):
        return _w4(lib, d, W4B_RANK)
    return _w1(lib, d)  # one product of the CG (x_i = y_j); see W4B_PK_ITERS


def _w5(lib, d):
    g = lib.Genred("Grad(Exp(-SqDist(x, y)) * b, x, e)", [*ALIASES, "e = Vi(1)"],
                   reduction_op="Sum", axis=1)
    return lambda: g(d["x"], d["y"], d["b"], d["e"])


def _w6(lib, d):
    call = _w1(lib, d)

    def loop():
        for _ in range(W6_CALLS):
            r = call()
        return r
    return loop


def _w7(lib, d, const):
    """W1 times IntCst(const): a formula never compiled before when const is fresh."""
    return lambda: _w1(lib, d, f"Exp(-SqDist(x, y)) * b * IntCst({const})")()


# A1, the float32 accuracy workload of issue 12: M = 200 rows against N = 1e6 terms of
# a Gaussian of scale 1/8, every library with its default sum_scheme.
A1_FORMULA = "Exp(-SqDist(x, y) * IntInv(8)) * b"


def _a1(lib, d):
    return _w1(lib, d, formula=A1_FORMULA)


def _w9(lib, d):
    x_i = lib.LazyTensor(d["x"][:, None, :])
    y_j = lib.LazyTensor(d["y"][None, :, :])
    K = (-((x_i - y_j) ** 2).sum(-1)).exp()
    return lambda: K @ d["b"]


def w8_ranges(cluster, d, voxel=W8_VOXEL):
    """Sort W8 data by grid cluster and build the block-sparse ranges.

    Cluster pairs are kept when their centroids are closer than 3 sigma plus the
    voxel diagonal (so no pair of points closer than 3 sigma is ever dropped).
    Returns the sorted data, the permutation and the ranges.
    """
    lx = cluster.grid_cluster(d["x"], voxel)
    ly = cluster.grid_cluster(d["y"], voxel)
    rx, cx, _ = cluster.cluster_ranges_centroids(d["x"], lx)
    ry, cy, _ = cluster.cluster_ranges_centroids(d["y"], ly)
    (x, px), _ = cluster.sort_clusters((d["x"], np.arange(len(lx))), lx)
    (y, b), _ = cluster.sort_clusters((d["y"], d["b"]), ly)
    cx, cy = cx.astype(np.float64), cy.astype(np.float64)
    dist2 = (cx ** 2).sum(1)[:, None] + (cy ** 2).sum(1)[None, :] - 2 * cx @ cy.T
    keep = dist2 < (3 * SIGMA + voxel * 3 ** 0.5) ** 2
    sd = dict(d, x=np.ascontiguousarray(x), y=np.ascontiguousarray(y), b=np.ascontiguousarray(b))
    return sd, px, cluster.from_matrix(rx, ry, keep), float(keep.sum()) / keep.size


# ---- torch rows: the same workloads on CPU tensors (lib = pykeops_go.torch / pykeops.torch) ----
TORCH_WIDS = ("T1", "T2", "T5", "T6")
TORCH_OF = {"T1": "W1", "T2": "W2", "T5": "W5", "T6": "W6"}  # the NumPy workload each one mirrors


def _torch_setup(wid, lib, d):
    """T1 / T2: W1 / W2 forward on tensors; T5: W1 forward + backward to x (x.grad, which is
    W5's gradient with e as the incoming gradient); T6: W6's tiny W1 calls on tensors."""
    import torch

    t = {k: torch.from_numpy(v) for k, v in d.items()}
    if wid == "T2":
        return _w2(lib, t), lambda r: r.numpy()
    if wid == "T6":
        return _w6(lib, t), lambda r: r.numpy()
    call = _w1(lib, t)
    if wid == "T1":
        return call, lambda r: r.numpy()
    x = t["x"].requires_grad_(True)

    def fwd_bwd():
        x.grad = None
        call().backward(t["e"])
        return x.grad

    return fwd_bwd, lambda r: r.numpy()


def setup(wid, lib, d, cluster=None, const=None):
    """(fn, post) for a keops-like library: see the module docstring."""
    ident = lambda r: r  # noqa: E731
    if wid in TORCH_WIDS:
        return _torch_setup(wid, lib, d)
    if wid == "W8":  # with ranges
        sd, perm, ranges, _ = w8_ranges(cluster, d)
        inv = np.empty_like(perm)
        inv[perm] = np.arange(len(perm))
        return _w1(lib, sd, ranges=ranges), lambda r: r[inv]
    if wid == "W7":
        return _w7(lib, d, const), ident
    fn = {"W1": _w1, "W2": _w2, "W3": _w3, "W4": _w4, "W4b": _w4b, "W5": _w5, "W6": _w6,
          "W8d": _w1, "W9": _w9, "A1": _a1}[wid](lib, d)
    return fn, ident


# ---- dense NumPy: materialise the M x N matrix ----------------------------------

def _sqdist(x, y):
    return (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2 * (x @ y.T)


def _dense_gauss(x, y):
    D = _sqdist(x, y)
    np.negative(D, out=D)
    return np.exp(D, out=D)


def _dense_lse(d, x):
    A = _sqdist(x, d["y"])
    A *= -d["g"][0]
    A += d["b"].T
    mx = A.max(1, keepdims=True)
    A -= mx
    np.exp(A, out=A)
    return mx + np.log(A.sum(1, keepdims=True))


def _dense_knn(x, y, k=10, chunk=1000):
    """Exact kNN by blocks of queries: matmul + argpartition + sort of the k."""
    out = np.empty((x.shape[0], k), dtype=np.int64)
    yy = (y * y).sum(1)
    for s in range(0, x.shape[0], chunk):
        D = yy[None, :] - 2 * (x[s:s + chunk] @ y.T)  # + |x|^2 does not change the order
        part = np.argpartition(D, k, axis=1)[:, :k]
        order = np.take_along_axis(D, part, 1).argsort(1)
        out[s:s + chunk] = np.take_along_axis(part, order, 1)
    return out


def _dense_grad(d, x, e):
    K = _dense_gauss(x, d["y"]) * d["b"].T
    return -2 * e * (K.sum(1, keepdims=True) * x - K @ d["y"])


def _dense_solve(d):
    K = _dense_gauss(d["x"], d["x"])
    K[np.diag_indices_from(K)] += 0.1
    return np.linalg.solve(K, d["b"])


def dense_bytes(wid, m, n, itemsize):
    """Size of the M x N matrix a dense NumPy run materialises (W3 goes by blocks of
    1000 queries but is still counted in full, as the rule of BENCHMARKS.md says)."""
    return m * n * itemsize


def dense_setup(wid, d):
    """The dense NumPy call of a workload (None where it has none: W7, first call)."""
    x = d["x"]
    return {
        "W1": lambda: _dense_gauss(x, d["y"]) @ d["b"],
        "W2": lambda: _dense_lse(d, x),
        "W3": lambda: _dense_knn(x, d["y"]),
        "W4": lambda: _dense_solve(d),
        "W5": lambda: _dense_grad(d, x, d["e"]),
        "W6": lambda: [_dense_gauss(x, d["y"]) @ d["b"] for _ in range(W6_CALLS)][-1],
        "W8d": lambda: _dense_gauss(x, d["y"]) @ d["b"],
        "W9": lambda: _dense_gauss(x, d["y"]) @ d["b"],
    }.get(wid)


# ---- the float64 reference of the correctness check ------------------------------

def check_rows(m, k=500):
    """Rows on which results are checked against float64 NumPy (all when m <= k)."""
    return np.arange(m) if m <= k else np.linspace(0, m - 1, k).astype(np.int64)


def reference(wid, d, rows):
    """Float64 result on `rows` (W4: None, its check is the residual)."""
    d64 = {k: v.astype(np.float64) for k, v in d.items()}
    x = d64["x"][rows]
    if wid in ("W1", "W6", "W7", "W8", "W8d", "W9"):
        return _dense_gauss(x, d64["y"]) @ d64["b"]
    if wid == "W2":
        return _dense_lse(d64, x)
    if wid == "W5":
        return _dense_grad(d64, x, d64["e"][rows])
    if wid == "W3":
        return _sqdist(x, d64["y"])  # the distances; see knn_check
    if wid == "A1":  # by blocks of columns: 200 x 1e6 would be 1.6 GB at once
        y, b, out = d64["y"], d64["b"], np.zeros((len(x), 1))
        for s in range(0, len(y), 100_000):
            out += np.exp(-_sqdist(x, y[s:s + 100_000]) / 8) @ b[s:s + 100_000]
        return out
    return None


def row_rel_err(a, ref):
    """max over rows of |a_i - ref_i| / |ref_i|: A1's error, as issue 12 states it."""
    a = np.asarray(a, dtype=np.float64).reshape(ref.shape)
    return float(np.max(np.abs(a - ref) / np.maximum(np.abs(ref), 1e-300)))


def rel_err(a, ref):
    """max |a - ref| / max |ref|: the normwise relative error."""
    a = np.asarray(a, dtype=np.float64).reshape(ref.shape)
    return float(np.max(np.abs(a - ref)) / max(np.max(np.abs(ref)), 1e-300))


def solve_residual(d, a, chunk=250):
    """|| (K + 0.1 I) a - b || / || b ||, in float64, by blocks of rows of K."""
    x = d["x"].astype(np.float64)
    a = np.asarray(a, dtype=np.float64).reshape(-1, 1)
    r = 0.1 * a - d["b"]
    for s in range(0, len(x), chunk):
        r[s:s + chunk] += _dense_gauss(x[s:s + chunk], x) @ a
    return float(np.linalg.norm(r) / np.linalg.norm(d["b"]))


def knn_check(idx, dist, rows, tol=1e-5):
    """(rows whose k neighbours are the true ones ties aside, rows checked).

    A row passes when the sorted float64 distances of the returned indices equal
    the k smallest ones within `tol` relative (a near-tie may swap indices).
    """
    idx = np.asarray(idx)[rows]
    k = idx.shape[1]
    best = np.sort(np.partition(dist, k, axis=1)[:, :k], axis=1)
    got = np.sort(np.take_along_axis(dist, idx, 1), axis=1)
    ok = np.all(np.abs(got - best) <= tol * np.abs(best) + 1e-12, axis=1)
    return int(ok.sum()), len(rows)


def same_sets(a, b):
    """Fraction of rows whose index sets agree."""
    a, b = np.sort(np.asarray(a), 1), np.sort(np.asarray(b), 1)
    return float(np.mean(np.all(a == b, axis=1)))
