"""Kernel products K(x, x) b on the same points on both sides (the engine evaluates
each pair once, pkg/core/symmetric.go) against dense float64 NumPy, and kernel blocks
read through an identity selector (pkg/core/identity.go)."""

import numpy as np
import pytest
from conftest import rtol

from pykeops_go.numpy import Genred, KernelSolve

DTYPES = [np.float32, np.float64]
KERNELS = {
    "Exp(-SqDist(x, y)) * b": lambda d2: np.exp(-d2),
    "Exp(-g * SqDist(x, y)) * b": lambda d2: np.exp(-0.7 * d2),
    "Exp(-Sqrt(SqDist(x, y))) * b": lambda d2: np.exp(-np.sqrt(d2)),
    "(2 * Inv(1 + SqDist(x, y))) * b": lambda d2: 2 / (1 + d2),
}


def assert_close_rows(res, want, scale, dtype):
    """Each row within rtol(dtype) of the sum of its terms' magnitudes."""
    err = np.abs(res.astype(np.float64) - want) / scale
    assert err.max() <= rtol(dtype), f"relative error {err.max():.3g} > {rtol(dtype):.1g}"


def dense(k, x, y, b):
    d2 = ((x.astype(np.float64)[:, None, :] - y.astype(np.float64)[None, :, :]) ** 2).sum(-1)
    kb = k(d2) * b.astype(np.float64)[None, :, 0]
    return kb.sum(1)[:, None], np.abs(kb).sum(1)[:, None]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("formula", list(KERNELS))
@pytest.mark.parametrize("n, dim", [(1029, 3), (2311, 2), (1500, 5)])
@pytest.mark.parametrize("copy", [False, True])
def test_same_points(formula, n, dim, dtype, copy):
    rng = np.random.default_rng(n + dim)
    x = rng.standard_normal((n, dim)).astype(dtype)
    b = (rng.random((n, 1)) - 0.3).astype(dtype)
    g = Genred(formula, [f"x = Vi({dim})", f"y = Vj({dim})", "b = Vj(1)", "g = Pm(1)"],
               reduction_op="Sum", axis=1)
    y = x.copy() if copy else x
    res = g(x, y, b, np.array([0.7], dtype=dtype))
    want, scale = dense(KERNELS[formula], x, x, b)
    assert res.dtype == dtype and res.shape == (n, 1)
    assert_close_rows(res, want, scale, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_same_points_axis0(dtype):
    n = 1301
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, 3)).astype(dtype)
    b = rng.random((n, 1)).astype(dtype)
    g = Genred("Exp(-SqDist(x, y)) * b", ["x = Vj(3)", "y = Vi(3)", "b = Vi(1)"], reduction_op="Sum", axis=0)
    want, scale = dense(KERNELS["Exp(-SqDist(x, y)) * b"], x, x, b)
    assert_close_rows(g(x, x, b), want, scale, dtype)


def test_kernel_solve_same_points():
    # A solve large enough for the symmetric products, its residual by dense NumPy.
    n = 2100
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, 3))
    b = rng.random((n, 1))
    ks = KernelSolve("Exp(-SqDist(x, y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"], "b", axis=1)
    a = ks(x, x, b, alpha=0.1, precond="nystrom", rank=300, rtol=1e-9, inner_dtype="float32")
    K = np.exp(-((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    r = b - (K @ a + 0.1 * a)
    assert np.linalg.norm(r) <= 2e-9 * np.linalg.norm(b)
