"""Erf, an op pykeops 2.3 lacks: the formula, its LazyTensor method and its gradient."""

import math

import numpy as np
import pytest
from conftest import assert_close

from pykeops.numpy import Genred, LazyTensor

_erf = np.vectorize(math.erf)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_lazytensor_and_genred(dtype):
    rng = np.random.default_rng(3)
    x, y, b = (rng.standard_normal(s).astype(dtype) for s in ((40, 3), (30, 3), (30, 2)))
    ref = np.einsum("ijk,jl->il", _erf((x[:, None, :] * y[None, :, :]).astype(np.float64)).sum(-1, keepdims=True), b)
    lazy = ((LazyTensor(x[:, None, :]) * LazyTensor(y[None, :, :])).erf().sum(-1) * LazyTensor(b[None, :, :])).sum(1)
    assert_close(lazy, ref, dtype)
    g = Genred("Sum(Erf(x*y))*b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(2)"], reduction_op="Sum", axis=1)
    assert_close(g(x, y, b), ref, dtype)


def test_erf_gradient():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((20, 2)), rng.standard_normal((10, 2))
    e = rng.standard_normal((20, 2))
    g = Genred("Grad(Erf(x-y),x,e)", ["x = Vi(2)", "y = Vj(2)", "e = Vi(2)"], reduction_op="Sum", axis=1)
    d = x[:, None, :] - y[None, :, :]
    ref = (2 / math.sqrt(math.pi) * np.exp(-d * d)).sum(1) * e
    assert_close(g(x, y, e), ref, np.float64)
