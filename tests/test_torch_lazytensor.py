"""pykeops.torch LazyTensor / ComplexLazyTensor / Vi / Vj / Pm: the elementwise and vector
operations of test_lazytensor.py on tensors, reductions, K @ v, batches, complex data,
solve, and gradients through LazyTensor expressions."""

import numpy as np
import pytest
import torch
from conftest import assert_close
from lazytensor_data import DTYPES, I, J, M, N, data
from test_lazytensor import MATH, VECTOR
from torch.autograd import gradcheck, gradgradcheck

from pykeops_go.torch import ComplexLazyTensor, LazyTensor, Pm, Vi, Vj


def tdata(dtype, seed=0):
    return {k: torch.from_numpy(v) for k, v in data(dtype, seed).items()}


def check_sum_j(lt_fn, np_fn, dtype):
    d, t = data(dtype), tdata(dtype)
    res = lt_fn(Vi(t["x"]), Vj(t["y"])).sum(axis=1)
    assert isinstance(res, torch.Tensor) and res.dtype == t["x"].dtype
    dense = np_fn(I(d["x"]), J(d["y"]))
    assert_close(res.numpy(), np.broadcast_to(dense, (M, N, dense.shape[-1])).sum(1), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(MATH))
def test_elementwise_math(name, dtype):
    f, g = MATH[name]
    check_sum_j(lambda x, y: f(x + y), lambda x, y: g(x + y), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(VECTOR))
def test_vector_operations(name, dtype):
    f, g = VECTOR[name]
    check_sum_j(f, g, dtype)


def test_construction_and_classes():
    t = tdata(np.float64)
    xi = LazyTensor(t["x"][:, None, :])
    assert type(xi) is LazyTensor and xi.ni == M and xi.dtype == "float64"
    assert Vj(t["y"]).axis == 1 and Pm(t["p"]).axis == 2 and Pm(2.0).ndim == 1
    z = LazyTensor(torch.randn(M, 1, 2, dtype=torch.complex128))
    assert isinstance(z, ComplexLazyTensor) and z.dtype == "complex128"
    with pytest.raises(TypeError, match="torch arrays"):
        LazyTensor(object())
    with pytest.raises(ValueError, match="explicit 'axis'"):
        LazyTensor(t["x"])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_reductions_and_matmul(dtype):
    x, y = torch.rand(M, 3, dtype=dtype), torch.rand(N, 3, dtype=dtype)
    b = torch.rand(N, 2, dtype=dtype)
    d2 = ((x[:, None] - y[None]) ** 2).sum(-1)
    xi, yj = LazyTensor(x[:, None, :]), LazyTensor(y[None, :, :])
    D2 = ((xi - yj) ** 2).sum(-1)
    torch.testing.assert_close((-D2).exp() @ b, torch.exp(-d2) @ b)
    v = torch.rand(N, dtype=dtype)
    kv = (-D2).exp() @ v
    assert kv.shape == (M,)
    torch.testing.assert_close(kv, torch.exp(-d2) @ v)
    torch.testing.assert_close((-D2).logsumexp(dim=1)[:, 0], torch.logsumexp(-d2, 1))
    torch.testing.assert_close(D2.min(dim=0)[:, 0], d2.min(0).values)
    knn = D2.argKmin(3, dim=1)
    assert knn.dtype == torch.int64
    torch.testing.assert_close(knn, d2.argsort(1)[:, :3])
    vals, idx = D2.min_argmin(dim=1)
    torch.testing.assert_close(idx[:, 0], d2.argmin(1))
    sm = (-D2).sumsoftmaxweight(LazyTensor(b[None]), dim=1)
    torch.testing.assert_close(sm, torch.softmax(-d2, 1) @ b)


def test_batches():
    x = torch.rand(2, M, 3, dtype=torch.float64)
    y = torch.rand(1, N, 3, dtype=torch.float64)
    D2 = ((LazyTensor(x[:, :, None, :]) - LazyTensor(y[:, None, :, :])) ** 2).sum(-1)
    res = D2.sum(dim=2)
    torch.testing.assert_close(res[..., 0], ((x[:, :, None] - y[:, None]) ** 2).sum((-1, -2)))


def test_symbolic_variables():
    x, y = torch.rand(M, 3, dtype=torch.float64), torch.rand(N, 3, dtype=torch.float64)
    f = ((Vi(0, 3) - Vj(1, 3)) ** 2).sum().sum_reduction(axis=1)
    torch.testing.assert_close(f(x, y)[:, 0], ((x[:, None] - y[None]) ** 2).sum((-1, -2)))


def test_complex_lazytensors():
    z = torch.randn(M, 2, dtype=torch.complex128)
    w = torch.randn(N, 2, dtype=torch.complex128)
    zi, wj = LazyTensor(z[:, None, :]), LazyTensor(w[None, :, :])
    res = (zi * wj).sum(dim=1)
    assert res.dtype == torch.complex128 and res.shape == (M, 2)
    torch.testing.assert_close(res, (z[:, None] * w[None]).sum(1))
    ab = abs(zi - wj).sum(dim=1)
    assert ab.dtype == torch.float64
    torch.testing.assert_close(ab, (z[:, None] - w[None]).abs().sum(1))
    e = (zi.conj() * wj.exp()).sum(dim=0)
    torch.testing.assert_close(e, (z[:, None].conj() * w[None].exp()).sum(0))


def test_solve():
    x = torch.rand(20, 2, dtype=torch.float64)
    b = torch.rand(20, 1, dtype=torch.float64)
    xi, xj = LazyTensor(x[:, None, :]), LazyTensor(x[None, :, :])
    K = (-((xi - xj) ** 2).sum(-1)).exp()
    a = K.solve(LazyTensor(b[:, None, :]), alpha=0.5, eps=1e-12)
    Kd = torch.exp(-((x[:, None] - x[None]) ** 2).sum(-1)) + 0.5 * torch.eye(20, dtype=torch.float64)
    torch.testing.assert_close(a, torch.linalg.solve(Kd, b))


def test_gradients_through_lazytensors():
    x = torch.rand(M, 3, dtype=torch.float64, requires_grad=True)
    y = torch.rand(N, 3, dtype=torch.float64, requires_grad=True)
    b = torch.rand(N, 2, dtype=torch.float64, requires_grad=True)
    s = torch.tensor([0.7], dtype=torch.float64, requires_grad=True)

    def keops(x, y, b, s):
        D2 = ((LazyTensor(x[:, None, :]) - LazyTensor(y[None, :, :])) ** 2).sum(-1)
        return ((-D2 * LazyTensor(s)).exp() @ b) + (-D2 / LazyTensor(s)).logsumexp(dim=1)

    def dense(x, y, b, s):
        d2 = ((x[:, None] - y[None]) ** 2).sum(-1)
        return torch.exp(-d2 * s) @ b + torch.logsumexp(-d2 / s, 1)[:, None]

    torch.testing.assert_close(keops(x, y, b, s), dense(x, y, b, s))
    assert gradcheck(keops, (x, y, b, s))
    assert gradgradcheck(keops, (x, y, b, s))
    w = torch.randn(M, 2, dtype=torch.float64)
    for g, r in zip(torch.autograd.grad(keops(x, y, b, s), (x, y, b, s), w),
                    torch.autograd.grad(dense(x, y, b, s), (x, y, b, s), w)):
        torch.testing.assert_close(g, r)


def test_grad_method_matches_autograd():
    x = torch.rand(M, 3, dtype=torch.float64)
    y = torch.rand(N, 3, dtype=torch.float64)
    e = torch.rand(M, 1, dtype=torch.float64)
    xi = Vi(x)
    K = (-xi.sqdist(Vj(y))).exp()
    g = K.grad(xi, Vi(e)).sum(dim=1)
    xr = x.clone().requires_grad_(True)
    ref = torch.autograd.grad((torch.exp(-((xr[:, None] - y[None]) ** 2).sum(-1)) * e).sum(), xr)[0]
    torch.testing.assert_close(g, ref)
