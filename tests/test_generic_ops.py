"""generic_sum, generic_logsumexp, generic_argmin, generic_argkmin (spec api-numpy.md §2)."""

import warnings

import numpy as np
import pytest
from conftest import assert_close

from pykeops_go.numpy import Genred, generic_argkmin, generic_argmin, generic_logsumexp, generic_sum

ALIASES = ("x = Vi(3)", "y = Vj(3)", "b = Vj(2)")
rng = np.random.default_rng(0)


def data(dtype, M=6, N=5):
    return [v.astype(dtype) for v in (rng.normal(size=(M, 3)), rng.normal(size=(N, 3)),
                                      rng.uniform(0.5, 1.5, size=(N, 2)))]


def sqdist(x, y):
    x, y = x.astype(np.float64), y.astype(np.float64)
    return ((x[:, None] - y[None]) ** 2).sum(-1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("output", ["gamma = Vi(2)", "Vi(2)", "gamma = Vi(3,2)", "Var(3,2,0)"])
def test_generic_sum_over_j(dtype, output):
    x, y, b = data(dtype)
    g = generic_sum("Exp(-SqDist(x,y)) * b", output, *ALIASES)
    assert isinstance(g, Genred) and g.axis == 1 and g.reduction_op == "Sum"
    res = g(x, y, b)
    assert res.dtype == dtype
    assert_close(res, np.exp(-sqdist(x, y)) @ b.astype(np.float64), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_generic_sum_over_i(dtype):
    """An output of category Vj means a sum over i (axis=0); its dim is not checked."""
    x, y, _ = data(dtype)
    g = generic_sum("SqDist(x,y)", "s = Vj(7)", "x = Vi(3)", "y = Vj(3)")
    assert g.axis == 0
    assert_close(g(x, y), sqdist(x, y).sum(0)[:, None], dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cat", ["Vi", "Vj"])
def test_generic_logsumexp(dtype, cat):
    x, y, _ = data(dtype)
    g = generic_logsumexp("-SqDist(x,y)", f"l = {cat}(1)", "x = Vi(3)", "y = Vj(3)")
    ax = 1 if cat == "Vi" else 0
    F = -sqdist(x, y)
    m = F.max(ax, keepdims=True)
    ref = (m + np.log(np.exp(F - m).sum(ax, keepdims=True))).reshape(-1, 1)
    assert_close(g(x, y), ref, dtype)


def test_generic_logsumexp_with_weights():
    x, y, b = data(np.float64)
    g = generic_logsumexp("-SqDist(x,y)", "l = Vi(2)", *ALIASES, formula2="b")
    ref = np.log(np.exp(-sqdist(x, y)) @ b)
    assert_close(g(x, y, b), ref, np.float64)


@pytest.mark.parametrize("cat", ["Vi", "Vj"])
def test_generic_argmin(cat):
    x, y, _ = data(np.float64)
    g = generic_argmin("SqDist(x,y)", f"ind = {cat}(1)", "x = Vi(3)", "y = Vj(3)")
    res = g(x, y)
    assert res.dtype == np.int64
    ax = 1 if cat == "Vi" else 0
    np.testing.assert_array_equal(res[:, 0], sqdist(x, y).argmin(ax))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cat", ["Vi", "Vj"])
def test_generic_argkmin(dtype, cat):
    """The output dimension is K."""
    x, y, _ = data(dtype, M=8, N=9)
    g = generic_argkmin("SqDist(x,y)", f"ind = {cat}(3)", "x = Vi(3)", "y = Vj(3)")
    assert g.opt_arg == 3
    res = g(x, y)
    ax = 1 if cat == "Vi" else 0
    ref = np.argsort(sqdist(x, y), axis=ax, kind="stable")
    ref = ref[:, :3] if ax == 1 else ref[:3].T
    assert res.dtype == np.int64 and res.shape == ref.shape
    np.testing.assert_array_equal(res, ref)


def test_dtype_keyword_is_ignored():
    """As in pykeops: the result has the dtype of the data, whatever dtype= says."""
    x, y, b = data(np.float64)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        g = generic_sum("Exp(-SqDist(x,y)) * b", "g = Vi(2)", *ALIASES, dtype="float32")
    assert g(x, y, b).dtype == np.float64


def test_kwargs_reach_genred():
    x, y, b = data(np.float32)
    g = generic_sum("Exp(-SqDist(x,y)) * b", "g = Vi(2)", *ALIASES, sum_scheme="kahan_scheme",
                    use_double_acc=True)
    assert g.sum_scheme == "kahan_scheme"
    assert_close(g(x, y, b), np.exp(-sqdist(x, y)) @ b.astype(np.float64), np.float32)


def test_aliases_are_copied():
    aliases = ["x = Vi(3)"]
    generic_sum("SqDist(x, Var(1,3,1))", "s = Vi(1)", *aliases)
    assert aliases == ["x = Vi(3)"]
