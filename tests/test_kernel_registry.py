"""Kernel lifetime: the Go registry owns compiled kernels, Python only holds them."""

import gc

import numpy as np

from conftest import assert_close
from pykeops_go._ext import gokeops
from pykeops_go.common import engine
from pykeops.numpy import Genred, LazyTensor

REGISTRY_SIZE = 1024  # gokeops.RegistrySize


def test_distinct_formulas_keep_the_registry_bounded():
    rng = np.random.default_rng(0)
    x, y, b = rng.random((5, 2)), rng.random((4, 2)), rng.random((4, 1))
    gc.collect()
    start = gokeops.Kernels()
    for i in range(3 * REGISTRY_SIZE):
        s = 1.0 + i / 1000
        x_i, y_j = LazyTensor(x[:, None, :]), LazyTensor(y[None, :, :])
        res = (-(x_i - y_j).sqnorm2() * s).exp() @ b
        if i % 500 == 0:
            ref = np.exp(-s * ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)) @ b
            assert_close(res, ref, np.float64)
    gc.collect()
    assert gokeops.Kernels() <= start + REGISTRY_SIZE


def test_held_kernels_survive_and_are_shared():
    formula, aliases = "Exp(-SqDist(x,y))*b", ["x = Vi(2)", "y = Vj(2)", "b = Vj(1)"]
    g = Genred(formula, aliases, reduction_op="Sum", axis=1)
    handle = g.kernel.handle
    for i in range(REGISTRY_SIZE + 50):  # released at once: they churn the registry
        Genred(f"Exp(-SqDist(x,y)*{2 + i})*b", aliases, reduction_op="Sum", axis=1).kernel
    gc.collect()
    assert Genred(formula, aliases, reduction_op="Sum", axis=1).kernel is g.kernel
    rng = np.random.default_rng(1)
    x, y, b = rng.random((3, 2)), rng.random((6, 2)), rng.random((6, 1))
    ref = np.exp(-((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)) @ b
    assert_close(g(x, y, b), ref, np.float64)
    assert gokeops.Describe(handle)
    del g
    gc.collect()
    assert not any(k.handle == handle for k in engine._cache.values())
