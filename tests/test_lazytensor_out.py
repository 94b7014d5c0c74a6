"""``out=`` on every LazyTensor reduction and on ``K @ v`` / ``K.__matmul__(v, out=out)``:
the result is written into ``out``, which is returned, with Genred's checks."""

import numpy as np
import pytest
from conftest import assert_close

from pykeops.numpy import LazyTensor

M, N, D = 9, 7, 3
RNG = np.random.default_rng(11)
X = RNG.random((M, D))
Y = RNG.random((N, D))
W = RNG.random((N, 2))


def lazy(dtype):
    x_i = LazyTensor(X.astype(dtype)[:, None, :])
    y_j = LazyTensor(Y.astype(dtype)[None, :, :])
    return x_i, y_j


def dense_f():
    """F_ij = -|x_i - y_j|^2 (float64), shape (M, N)."""
    return -((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1)


def lse(a, axis):
    m = a.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))


# name, call on F (a LazyTensor), reference on F (dense), output dtype kind ("f" or "i")
CASES = {
    "sum": (lambda F, **kw: F.sum(1, **kw), lambda f: f.sum(1)[:, None], "f"),
    "sum_reduction": (lambda F, **kw: F.sum_reduction(axis=1, **kw), lambda f: f.sum(1)[:, None], "f"),
    "sum_i": (lambda F, **kw: F.sum(0, **kw), lambda f: f.sum(0)[:, None], "f"),
    "min": (lambda F, **kw: F.min(1, **kw), lambda f: f.min(1)[:, None], "f"),
    "min_reduction": (lambda F, **kw: F.min_reduction(dim=1, **kw), lambda f: f.min(1)[:, None], "f"),
    "max": (lambda F, **kw: F.max(1, **kw), lambda f: f.max(1)[:, None], "f"),
    "max_reduction": (lambda F, **kw: F.max_reduction(axis=1, **kw), lambda f: f.max(1)[:, None], "f"),
    "argmin": (lambda F, **kw: F.argmin(1, **kw), lambda f: f.argmin(1)[:, None], "i"),
    "argmin_reduction": (lambda F, **kw: F.argmin_reduction(axis=1, **kw), lambda f: f.argmin(1)[:, None], "i"),
    "argmax": (lambda F, **kw: F.argmax(1, **kw), lambda f: f.argmax(1)[:, None], "i"),
    "argmax_reduction": (lambda F, **kw: F.argmax_reduction(axis=1, **kw), lambda f: f.argmax(1)[:, None], "i"),
    "Kmin": (lambda F, **kw: F.Kmin(3, dim=1, **kw), lambda f: np.sort(f, 1)[:, :3], "f"),
    "Kmin_reduction": (lambda F, **kw: F.Kmin_reduction(K=3, axis=1, **kw), lambda f: np.sort(f, 1)[:, :3], "f"),
    "argKmin": (lambda F, **kw: F.argKmin(3, dim=1, **kw), lambda f: np.argsort(f, 1)[:, :3], "i"),
    "argKmin_reduction": (lambda F, **kw: F.argKmin_reduction(K=3, axis=1, **kw),
                          lambda f: np.argsort(f, 1)[:, :3], "i"),
    "logsumexp": (lambda F, **kw: F.logsumexp(1, **kw), lambda f: lse(f, 1), "f"),
    "logsumexp_reduction": (lambda F, **kw: F.logsumexp_reduction(axis=1, **kw), lambda f: lse(f, 1), "f"),
}


def _weighted(dtype):
    w_j = LazyTensor(W.astype(dtype)[None, :, :])
    e = np.exp(dense_f() - dense_f().max(1, keepdims=True))
    soft = (e @ W) / e.sum(1, keepdims=True)
    return {
        "logsumexp_weight": (lambda F, **kw: F.logsumexp(1, weight=w_j, **kw),
                             lambda f: np.log(np.exp(f) @ W), "f"),
        "sumsoftmaxweight": (lambda F, **kw: F.sumsoftmaxweight(w_j, axis=1, **kw), lambda f: soft, "f"),
        "sumsoftmaxweight_reduction": (lambda F, **kw: F.sumsoftmaxweight_reduction(weight=w_j, axis=1, **kw),
                                       lambda f: soft, "f"),
        "softmax": (lambda F, **kw: F.softmax(w_j, axis=1, **kw), lambda f: soft, "f"),
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES) + ["logsumexp_weight", "sumsoftmaxweight",
                                                   "sumsoftmaxweight_reduction", "softmax"])
def test_reduction_writes_into_out(name, dtype):
    call, ref_fn, kind = {**CASES, **_weighted(dtype)}[name]
    x_i, y_j = lazy(dtype)
    F = -((x_i - y_j) ** 2).sum(-1)
    ref = ref_fn(dense_f())
    out = np.full(ref.shape, -123, dtype=np.int64 if kind == "i" else dtype)
    res = call(F, out=out)
    assert res is out
    if kind == "i":
        np.testing.assert_array_equal(out, ref)
    else:
        assert_close(out, ref, dtype)
    # The same values as without out=.
    np.testing.assert_array_equal(call(F), out)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_out(dtype):
    x_i, y_j = lazy(dtype)
    K = (-((x_i - y_j) ** 2).sum(-1)).exp()
    Kd = np.exp(dense_f())
    v = W.astype(dtype)
    out = np.empty((M, 2), dtype=dtype)
    assert K.__matmul__(v, out=out) is out
    assert_close(out, Kd @ W, dtype)
    # A vector v: out may be (M,) or (M, 1).
    v1 = W[:, 0].astype(dtype)
    for shape in [(M,), (M, 1)]:
        out = np.empty(shape, dtype=dtype)
        assert K.__matmul__(v1, out=out) is out
        assert_close(out.reshape(-1), Kd @ W[:, 0], dtype)
    assert (K @ v1).shape == (M,)


def test_matmul_out_with_batch_dimensions():
    A = RNG.random((2, M, 1, D))
    B = RNG.random((2, 1, N, D))
    V = RNG.random((2, N, 2))
    K = (-((LazyTensor(A) - LazyTensor(B)) ** 2).sum(-1)).exp()
    out = np.empty((2, M, 2))
    assert K.__matmul__(V, out=out) is out
    assert_close(out, np.exp(-((A - B) ** 2).sum(-1)) @ V, np.float64)


def test_complex_reduction_out():
    z = RNG.random((M, 1, 2)) + 1j * RNG.random((M, 1, 2))
    w = RNG.random((1, N, 2)) + 1j * RNG.random((1, N, 2))
    Z = LazyTensor(z) * LazyTensor(w)
    out = np.empty((M, 2), dtype=np.complex128)
    assert Z.sum(1, out=out) is out
    np.testing.assert_allclose(out, (z * w).sum(1), rtol=1e-12)
    with pytest.raises(ValueError, match="contiguous"):
        Z.sum(1, out=np.empty((2, M), dtype=np.complex128).T)


@pytest.mark.parametrize("bad, err", [
    (np.empty((M, 1), dtype=np.float32), ValueError),   # dtype
    (np.empty((M, 2)), ValueError),                     # shape
    (np.empty((M + 1, 1)), ValueError),                 # rows
    (np.empty((M, 2))[:, :1], ValueError),              # not C-contiguous
    ([0.0] * M, TypeError),                             # not an array
])
def test_bad_out_is_rejected_as_by_genred(bad, err):
    x_i, y_j = lazy(np.float64)
    K = (-((x_i - y_j) ** 2).sum(-1)).exp()
    with pytest.raises(err, match="out"):
        K.sum(1, out=bad)
    v = W[:, :1]
    with pytest.raises(err, match="out"):
        K.__matmul__(v, out=bad)


def test_matmul_vector_out_must_be_contiguous():
    x_i, y_j = lazy(np.float64)
    K = (-((x_i - y_j) ** 2).sum(-1)).exp()
    with pytest.raises(ValueError, match="contiguous"):
        K.__matmul__(W[:, 0].copy(), out=np.empty((M, 2))[:, 0])


def test_read_only_out_is_rejected():
    x_i, y_j = lazy(np.float64)
    out = np.empty((M, 1))
    out.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        ((x_i - y_j) ** 2).sum(-1).sum(1, out=out)


def test_out_is_refused_where_there_is_no_single_array():
    x_i, y_j = lazy(np.float64)
    F = ((x_i - y_j) ** 2).sum(-1)
    with pytest.raises(ValueError, match="tuple"):
        F.min_argmin(1, out=np.empty((M, 1)))
    with pytest.raises(ValueError, match="tuple"):
        F.Kmin_argKmin(2, dim=1, out=np.empty((M, 2)))
    with pytest.raises(TypeError, match="vector operation"):
        (x_i - y_j).sum(-1, out=np.empty((M, 1)))
