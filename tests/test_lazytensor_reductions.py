"""LazyTensor reductions against dense NumPy references: every reduction method,
``K @ v``, ``K.t()``, scipy linear operators, solve, symbolic variables, batch
dimensions, kernel reuse and the pitfalls of dims-and-errors.md §D (spec
api-numpy.md §5).
"""

import numpy as np
import pytest
import scipy.sparse.linalg as spla
from conftest import assert_close, rtol
from lazytensor_data import DTYPES, D, I, J, M, N, data

from pykeops_go.common import engine
from pykeops_go.numpy import LazyTensor, Vi, Vj


# ------------------------------------------------------------------ reductions
def _kref(F, ax, K=3):
    """The K smallest values and their indices along ax, as (rows, K, D)."""
    idx = np.argsort(F, ax, kind="stable").take(range(K), ax)
    return np.moveaxis(np.take_along_axis(F, idx, ax), ax, -2), np.moveaxis(idx, ax, -2)


REFERENCES = {  # reduction: NumPy reference over axis of the dense (M, N, D) array F
    "Sum": lambda F, ax: F.sum(ax), "Min": lambda F, ax: F.min(ax), "Max": lambda F, ax: F.max(ax),
    "ArgMin": lambda F, ax: F.argmin(ax), "ArgMax": lambda F, ax: F.argmax(ax),
    "Min_ArgMin": lambda F, ax: (F.min(ax), F.argmin(ax)),
    "Max_ArgMax": lambda F, ax: (F.max(ax), F.argmax(ax)),
    "KMin": lambda F, ax: _kref(F, ax)[0], "ArgKMin": lambda F, ax: _kref(F, ax)[1],
    "KMin_ArgKMin": _kref,
}
REDUCTIONS = {  # method call: (call on a LazyTensor, reduction)
    "sum": (lambda F, ax: F.sum(ax), "Sum"),
    "sum_reduction": (lambda F, ax: F.sum_reduction(axis=ax), "Sum"),
    "min": (lambda F, ax: F.min(ax), "Min"),
    "min_reduction": (lambda F, ax: F.min_reduction(dim=ax), "Min"),
    "max": (lambda F, ax: F.max(ax), "Max"),
    "max_reduction": (lambda F, ax: F.max_reduction(ax), "Max"),
    "argmin": (lambda F, ax: F.argmin(ax), "ArgMin"),
    "argmin_reduction": (lambda F, ax: F.argmin_reduction(ax), "ArgMin"),
    "argmax": (lambda F, ax: F.argmax(ax), "ArgMax"),
    "argmax_reduction": (lambda F, ax: F.argmax_reduction(ax), "ArgMax"),
    "min_argmin": (lambda F, ax: F.min_argmin(ax), "Min_ArgMin"),
    "min_argmin_reduction": (lambda F, ax: F.min_argmin_reduction(axis=ax), "Min_ArgMin"),
    "max_argmax": (lambda F, ax: F.max_argmax(ax), "Max_ArgMax"),
    "max_argmax_reduction": (lambda F, ax: F.max_argmax_reduction(axis=ax), "Max_ArgMax"),
    "Kmin": (lambda F, ax: F.Kmin(3, ax), "KMin"),
    "Kmin_reduction": (lambda F, ax: F.Kmin_reduction(K=3, axis=ax), "KMin"),
    "argKmin": (lambda F, ax: F.argKmin(3, ax), "ArgKMin"),
    "argKmin_reduction": (lambda F, ax: F.argKmin_reduction(K=3, dim=ax), "ArgKMin"),
    "Kmin_argKmin": (lambda F, ax: F.Kmin_argKmin(3, ax), "KMin_ArgKMin"),
    "Kmin_argKmin_reduction": (lambda F, ax: F.Kmin_argKmin_reduction(K=3, axis=ax), "KMin_ArgKMin"),
}


def _compare(res, ref, dtype):
    if isinstance(ref, tuple):
        assert isinstance(res, tuple) and len(res) == len(ref)
        for r, f in zip(res, ref):
            _compare(r, f, dtype)
    elif np.issubdtype(np.asarray(ref).dtype, np.integer):
        assert res.dtype == np.int64
        np.testing.assert_array_equal(res, ref)
    else:
        assert res.dtype == dtype
        assert_close(res, ref, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reductions(name, axis, dtype):
    d = data(dtype)
    call, op = REDUCTIONS[name]
    F = (Vi(d["x"]) - Vj(d["y"])) * Vj(d["y"][:, :1])  # (M, N, D), no ties
    Fd = (I(d["x"]) - J(d["y"])) * J(d["y"][:, :1])
    _compare(call(F, axis), REFERENCES[op](Fd, axis), dtype)  # KMin family: (rows, K, D)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1])
def test_scalar_kmin_is_squeezed(axis, dtype):
    d = data(dtype)
    F = Vi(d["x"]).sqdist(Vj(d["y"]))
    Fd = ((I(d["x"]) - J(d["y"])) ** 2).sum(-1)
    ref = np.moveaxis(np.argsort(Fd, axis, kind="stable").take(range(2), axis), axis, -1)
    np.testing.assert_array_equal(F.argKmin(2, axis=axis), ref)
    assert F.Kmin(2, axis=axis).shape == ((M, N)[1 - axis], 2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1])
def test_logsumexp_and_softmax(axis, dtype):
    d = data(dtype)
    F = -Vi(d["x"]).sqdist(Vj(d["y"])) * 3.0
    Fd = -3.0 * ((I(d["x"]) - J(d["y"])) ** 2).sum(-1, keepdims=True)
    W = Vj(d["b"]) * Vi(d["a"])
    Wd = J(d["b"]) * I(d["a"])
    lse = np.log(np.exp(Fd).sum(axis))
    assert_close(F.logsumexp(axis), lse, dtype)
    assert_close(F.logsumexp_reduction(axis=axis), lse, dtype)
    assert_close(F.logsumexp(axis=axis, weight=W), np.log((np.exp(Fd) * Wd).sum(axis)), dtype)
    soft = (np.exp(Fd) * Wd).sum(axis) / np.exp(Fd).sum(axis)
    assert_close(F.sumsoftmaxweight(W, axis=axis), soft, dtype)
    assert_close(F.sumsoftmaxweight_reduction(weight=W, axis=axis), soft, dtype)
    assert_close(F.softmax(W, axis), soft, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reduction_options(dtype):
    d = data(dtype)
    K = (-Vi(d["x"]).sqdist(Vj(d["y"]))).exp() * Vj(d["b"])
    ref = (np.exp(-((I(d["x"]) - J(d["y"])) ** 2).sum(-1, keepdims=True)) * J(d["b"])).sum(1)
    for kw in ({"dtype_acc": "float64"}, {"use_double_acc": True}, {"sum_scheme": "direct_sum"},
               {"sum_scheme": "kahan_scheme"}, {"backend": "CPU"}, {"enable_chunks": False},
               {"device_id": -1}):
        assert_close(K.sum(1, **kw), ref, dtype)
    K.backend = "GPU"  # the attribute reaches the call (no GPU here)
    with pytest.raises(ValueError, match="backend .GPU. needs a GPU"):
        K.sum(1)
    assert_close(K.sum(1, backend="CPU"), ref, dtype)
    K.backend = None
    out = np.empty((M, 2), dtype=dtype)
    assert K.sum(axis=1, out=out) is out
    assert_close(out, ref, dtype)
    with pytest.raises(TypeError):  # D8: optional_flags reaches the Genred constructor
        K.sum(1, optional_flags=["-O3"])


def test_ranges_attribute_and_keyword():
    d = data(np.float64)
    K = Vi(d["x"]).sqdist(Vj(d["y"]))
    ranges = (np.array([[0, M]]), np.array([1]), np.array([[2, 5]]),
              np.array([[0, N]]), np.array([1]), np.array([[0, M]]))
    ref = ((I(d["x"]) - J(d["y"])) ** 2).sum(-1)[:, 2:5].sum(1, keepdims=True)
    assert_close(K.sum(1, ranges=ranges), ref, np.float64)
    K.ranges = ranges
    assert_close(K.sum(1), ref, np.float64)
    assert_close(K.T.sum(0), ref, np.float64)  # t() swaps the i and j halves of the ranges
    other = Vi(d["a"])
    other.ranges = (np.array([[0, 1]]),) * 6
    with pytest.raises(ValueError, match="Incompatible values for attribute ranges"):
        K + other


@pytest.mark.parametrize("dtype", DTYPES)
def test_call_false_and_reuse(dtype):
    d = data(dtype)
    g = Vi(d["x"]).sqdist(Vj(d["y"])).sum(1, call=False)
    assert callable(g) and g.reduction_op == "Sum"
    r1, r2 = g(), g(backend="CPU")
    np.testing.assert_array_equal(r1, r2)
    assert "reduction: Sum (axis=1)" in str(g)
    with pytest.raises(ValueError, match="reduced"):
        g + 1.0


# ------------------------------------------------------------------ K @ v, K.t(), scipy
@pytest.mark.parametrize("dtype", DTYPES)
def test_matmul_and_transpose(dtype):
    d = data(dtype)
    x, y = d["x"], d["y"]
    K = (-Vi(x).sqdist(Vj(y))).exp()
    Kd = np.exp(-((I(x) - J(y)) ** 2).sum(-1))
    v1, v2 = d["b"][:, 0], d["b"]
    r = K @ v1
    assert r.shape == (M,) and r.dtype == dtype
    assert_close(r, Kd @ v1, dtype)
    assert_close(K @ v2, Kd @ v2, dtype)
    KT = K.t()
    assert KT.shape == (N, M) and K.T.shape == (N, M)
    assert_close(KT @ d["x"][:, 0], Kd.T @ d["x"][:, 0], dtype)
    assert_close(K.T.sum(0), Kd.sum(1)[:, None], dtype)  # K.T's i are the y points
    assert_close(K.T.sum(1), Kd.sum(0)[:, None], dtype)
    assert_close(K.matvec(v1.astype(np.float64)), Kd @ v1, dtype)
    assert_close(K.rmatvec(d["x"][:, 1]), Kd.T @ d["x"][:, 1], dtype)
    with pytest.raises(ValueError, match="trailing dimension"):
        Vi(x) @ v1


def test_batched_matmul():
    rng = np.random.default_rng(3)
    x, y, v = rng.random((2, M, 1, D)), rng.random((2, 1, N, D)), rng.random((2, N, 2))
    K = (-LazyTensor(x).sqdist(LazyTensor(y))).exp()
    Kd = np.exp(-((x - y) ** 2).sum(-1))
    assert_close(K @ v, Kd @ v, np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_scipy_linear_operator(dtype):
    rng = np.random.default_rng(1)
    x = rng.random((40, 2)).astype(dtype)
    K = (-Vi(x).sqdist(Vj(x)) / 0.1).exp()
    Kd = np.exp(-((I(x) - J(x)) ** 2).sum(-1) / 0.1)
    op = spla.aslinearoperator(K)
    assert op.shape == (40, 40)
    vals = spla.eigsh(op, k=3, which="LM", return_eigenvectors=False)
    ref = np.linalg.eigvalsh(Kd)[-3:]
    tol = 1e3 * rtol(dtype)
    np.testing.assert_allclose(np.sort(vals), ref, rtol=tol, atol=tol * ref.max())
    b = rng.random(40).astype(dtype)
    A = op + 0.5 * spla.aslinearoperator(np.eye(40, dtype=dtype))
    sol, info = spla.cg(A, b, rtol=1e-10 if dtype == np.float64 else 1e-6)
    assert info == 0
    np.testing.assert_allclose(sol, np.linalg.solve(Kd + 0.5 * np.eye(40), b), rtol=tol, atol=tol)


# ------------------------------------------------------------------ solve
@pytest.mark.parametrize("dtype", DTYPES)
def test_solve(dtype):
    rng = np.random.default_rng(2)
    x, b = rng.random((30, 2)).astype(dtype), rng.random((30, 2)).astype(dtype)
    K = (-Vi(x).sqdist(Vj(x)) / 0.05).exp()
    Kd = np.exp(-((I(x) - J(x)) ** 2).sum(-1) / 0.05) + 0.5 * np.eye(30)
    eps = 1e-10 if dtype == np.float64 else 1e-5
    tol = 1e-6 if dtype == np.float64 else 1e-3
    a = K.solve(b, alpha=0.5, eps=eps)
    assert a.shape == b.shape and a.dtype == dtype
    np.testing.assert_allclose(a, np.linalg.solve(Kd, b), rtol=tol, atol=tol)
    a1 = K.solve(b[:, 0], alpha=0.5, eps=eps)  # 1-D right-hand side
    assert a1.shape == (30,)
    np.testing.assert_allclose(a1, np.linalg.solve(Kd, b[:, 0]), rtol=tol, atol=tol)
    g = K.solve(Vi(b), alpha=0.5, eps=eps, call=False)
    np.testing.assert_allclose(g(), a, rtol=tol, atol=tol)
    # symbolic form: the unknown and the right-hand side share index 0
    s = (K * Vj(0, 2)).solve(Vi(0, 2), var=Vj(0, 2), alpha=0.5, eps=eps)
    np.testing.assert_allclose(s(b), a, rtol=tol, atol=tol)
    with pytest.raises(ValueError, match="so should 'other'"):
        (Vi(0, 2).sqdist(Vj(x)) * 1.0).solve(b)


# ------------------------------------------------------------------ symbolic variables
@pytest.mark.parametrize("dtype", DTYPES)
def test_symbolic_variables_and_call(dtype):
    d = data(dtype)
    g = ((-Vi(0, D).sqdist(Vj(1, D))).exp() * Vj(2, 2)).sum(axis=1)
    assert callable(g) and not isinstance(g, np.ndarray)
    ref = (np.exp(-((I(d["x"]) - J(d["y"])) ** 2).sum(-1, keepdims=True)) * J(d["b"])).sum(1)
    assert_close(g(d["x"], d["y"], d["b"]), ref, dtype)
    h = (Vi(0, D).sqdist(Vj(d["y"])) * 2.0).sum(1)  # symbolic and data together
    assert_close(h(d["x"]), 2 * ((I(d["x"]) - J(d["y"])) ** 2).sum(-1).sum(1, keepdims=True), dtype)
    with pytest.raises(ValueError, match="may be called only"):
        Vi(d["x"])(d["x"])
    with pytest.raises(IndexError):  # D6: symbolic indices must be 0..S-1
        Vi(1, D).sqnorm2().sum(1)


# ------------------------------------------------------------------ batches
@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_dimensions(dtype):
    rng = np.random.default_rng(4)
    x = rng.random((3, 1, M, 1, D)).astype(dtype)
    y = rng.random((1, 2, 1, N, D)).astype(dtype)
    p = rng.random((3, 1, 1, 1, 1)).astype(dtype)
    xi, yj, pm = LazyTensor(x), LazyTensor(y), LazyTensor(p)
    F = (-pm * xi.sqdist(yj)).exp() * yj
    assert F.batchdims == (3, 2) and F.shape == (3, 2, M, N, D)
    Fd = np.exp(-p * ((x - y) ** 2).sum(-1, keepdims=True)) * y
    assert_close(F.sum(axis=3), Fd.sum(3), dtype)  # over j
    assert_close(F.sum(dim=2), Fd.sum(2), dtype)  # over i
    assert_close(F.sum(-1).sum(3), Fd.sum(-1, keepdims=True).sum(3), dtype)
    assert_close(F.sum(4).sum(3), Fd.sum(-1, keepdims=True).sum(3), dtype)  # dim()-1: vector axis
    np.testing.assert_array_equal(F.argmin(axis=3), Fd.argmin(3))
    assert_close((F * [2.0]).sum(3), 2 * Fd.sum(3), dtype)  # a plain Pm is padded
    with pytest.raises(ValueError, match="number of batch dimensions"):  # D3
        F.sum(1)
    with pytest.raises(ValueError, match="Incompatible batch dimensions"):
        xi + LazyTensor(rng.random((2, 2, M, 1, D)).astype(dtype))


# ------------------------------------------------------------------ kernel reuse
def test_identical_expressions_reuse_the_kernel():
    rng = np.random.default_rng(5)

    def reduction(n):
        x, y, b = rng.random((n, 3)), rng.random((n + 1, 3)), rng.random((n + 1, 2))
        return ((-Vi(x).sqdist(Vj(y)) * 0.5).exp() * Vj(b)).sum(1, call=False)

    g1, g2 = reduction(4), reduction(9)
    assert g1.callfun.formula == g2.callfun.formula
    g1()
    before = len(engine._cache)
    g2()
    assert len(engine._cache) == before  # no new compilation
    assert g1.callfun.kernel is g2.callfun.kernel
    first = g1.callfun
    g1()
    assert g1.callfun is first


# ------------------------------------------------------------------ pitfalls (§D, §5.8)
def test_default_axis_is_the_vector_axis():  # D1
    xi = Vi(np.ones((M, D)))
    for m in ("sum", "min", "max", "argmin", "argmax"):
        t = getattr(xi, m)()
        assert isinstance(t, LazyTensor) and t.ndim == 1


@pytest.mark.parametrize("call", [lambda t: t.logsumexp(), lambda t: t.Kmin(2), lambda t: t.min_argmin(),
                                  lambda t: t.sum_reduction(), lambda t: t.argKmin(K=2)])
def test_reductions_without_axis_raise_type_error(call):  # D2
    with pytest.raises(TypeError):
        call(Vi(np.ones((M, D))).sqnorm2())


def test_float_scalars_take_the_dtype_at_call():  # D5
    x = np.random.default_rng(0).random((M, 1)).astype(np.float32)
    res = (Vi(x) * 0.1).sum(1)
    assert res.dtype == np.float32
    assert_close(res, x * np.float32(0.1), np.float32)


@pytest.mark.parametrize("make", [
    lambda: Vi(np.ones((M, D))) + Vi(np.ones((M + 1, D))),  # ni
    lambda: Vj(np.ones((N, D))) + Vj(np.ones((N + 1, D))),  # nj
    lambda: Vi(np.ones((M, D), np.float32)) + Vj(np.ones((N, D))),  # _dtype
])
def test_incompatible_attributes(make):  # D9 / A4
    with pytest.raises(ValueError, match="Incompatible values for attribute"):
        make()


def test_reduction_with_no_j_variable_sees_one_term():  # §5.8
    x = np.random.default_rng(0).random((M, D))
    assert_close(Vi(x).sum(1), x, np.float64)


def test_integer_arrays_fail_at_the_reduction():
    with pytest.raises(ValueError):
        Vi(np.ones((M, D), dtype=np.int64)).sum(1)


def test_difference_matrix_fails_at_call_as_in_pykeops():  # D7 (grad_matrix is fixed above)
    with pytest.raises(ValueError, match="DifferenceMatrix"):
        Vi(np.ones((M, D))).difference_matrix(Vj(np.ones((N, D)))).sum(1)
