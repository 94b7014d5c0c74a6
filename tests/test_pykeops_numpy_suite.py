"""The behaviours pykeops 2.3's own NumPy tests and gallery scripts rely on,
checked on our package (the scripts themselves run unchanged; these tests
restate what they check, against dense NumPy)."""

import numpy as np
import pytest
from conftest import assert_close

import pykeops
import pykeops.config
from pykeops.numpy import Genred, LazyTensor

RNG = np.random.default_rng(5)
M, N, D = 10, 6, 3
X, Y = RNG.random((M, D)), RNG.random((N, D))
G = RNG.random((N, 1))
SIGMA = np.array([0.4])
ALIASES = ["p=Pm(0,1)", "a=Vj(1,1)", "x=Vi(2,3)", "y=Vj(3,3)"]


def sqdist():
    return ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1)


@pytest.fixture(params=["float32", "float64"])
def dtype(request):
    return np.dtype(request.param)


def cast(dtype, *arrays):
    return [a.astype(dtype) for a in arrays]


def test_gallery_gpu_guards():
    from pykeops.common.gpu_utils import get_gpu_number

    # The scripts size their data and choose backends with these: CPU here, no exception.
    assert pykeops.config.gpu_available is False
    assert get_gpu_number() >= 0


def test_positional_aliases_sum(dtype):
    f = Genred("Square(p-a)*Exp(x+y)", ALIASES, reduction_op="Sum", axis=1)
    res = f(*cast(dtype, SIGMA, G, X, Y), backend="auto")
    ref = ((SIGMA[0] - G[None, :, 0]) ** 2)[:, :, None] * np.exp(X[:, None, :] + Y[None, :, :])
    assert_close(res, ref.sum(1), dtype)


def test_positional_aliases_logsumexp(dtype):
    f = Genred("Square(p-a)*Exp(-SqNorm2(x-y))", ALIASES, reduction_op="LogSumExp", axis=1)
    res = f(*cast(dtype, SIGMA, G, X, Y))
    v = (SIGMA[0] - G[:, 0][None, :]) ** 2 * np.exp(-sqdist())
    assert_close(res.ravel(), np.log(np.exp(v).sum(1)), dtype)


def test_positional_aliases_softmax(dtype):
    f = Genred("Square(p-a)*Exp(-SqNorm2(x-y))", ALIASES, reduction_op="SumSoftMaxWeight", axis=1,
               formula2="y")
    res = f(*cast(dtype, SIGMA, G, X, Y))
    v = (SIGMA[0] - G[:, 0][None, :]) ** 2 * np.exp(-sqdist())
    e = np.exp(v - v.max(1, keepdims=True))
    assert_close(res, (e @ Y) / e.sum(1, keepdims=True), dtype)


def test_non_contiguous_arrays_give_the_same_result():
    f = Genred("Square(p-a)*Exp(-SqNorm2(y-x))", ALIASES, reduction_op="Sum", axis=1)
    y_fortran = np.asfortranarray(Y)
    assert not y_fortran.flags.c_contiguous
    np.testing.assert_array_equal(f(SIGMA, G, X, Y), f(SIGMA, G, X, y_fortran))


def test_var_of_the_formula_beyond_the_aliases():
    f = Genred("Square(p-Var(3,1,1))*Exp(-SqNorm2(y-x))", ["p=Pm(0,1)", "x=Vi(1,3)", "y=Vj(2,3)"],
               reduction_op="Sum", axis=1)
    res = f(SIGMA, X, Y, G)
    ref = ((SIGMA[0] - G[:, 0][None, :]) ** 2 * np.exp(-sqdist())).sum(1)
    assert_close(res.ravel(), ref, np.float64)


def test_second_derivative_of_a_linear_formula_is_zero():
    f = Genred("Grad(Grad(x + Var(1,3,1), x, Var(2,3,0)),x, Var(3,3,0))", ["x=Vi(0,3)"],
               reduction_op="Sum", axis=1)
    np.testing.assert_array_equal(f(X, Y, X, X), np.zeros_like(X))


def test_argkmin_matches_argsort():
    f = Genred("SqDist(x,y)", ["x = Vi(3)", "y = Vj(3)"], reduction_op="ArgKMin", axis=1, opt_arg=3)
    np.testing.assert_array_equal(f(X, Y), np.argsort(sqdist(), axis=1)[:, :3])


def test_lazytensor_sum_with_two_batch_dimensions(dtype):
    A, B = 4, 6
    x, l, y = RNG.random((A, 1, M, D)), RNG.random((1, B, M, 1)), RNG.random((1, B, N, D))
    s = RNG.random((A, B, 1)) + 1
    x_i, l_i, y_j = x[:, :, :, None, :], l[:, :, :, None, :], y[:, :, None, :, :]
    s_p = s[:, :, None, None, :]
    ref = (1 / np.exp(1 + ((l_i + x_i * y_j) ** 2 + s_p).sum(-1))).sum(3)
    lt = [LazyTensor(a.astype(dtype)) for a in (x_i, l_i, y_j, s_p)]
    Dij = ((lt[1] + lt[0] * lt[2]) ** 2 + lt[3]).sum(-1)
    res = (1 / (1 + Dij).exp()).sum(3).squeeze(-1)
    assert res.shape == (A, B, M)
    assert_close(res, ref, dtype)


def test_complex_lazytensor_sum():
    x = RNG.random((50, 1, D)) + 1j * RNG.random((50, 1, D))
    y = RNG.random((1, 40, D)) + 1j * RNG.random((1, 40, D))

    def fun(a, b):
        return ((a * b) * b.real + a + a.real).sum(axis=2).sum(axis=0)

    res = fun(LazyTensor(x), LazyTensor(y))
    np.testing.assert_allclose(res.squeeze(), fun(x, y), rtol=1e-12)


def test_batched_kernel_product_of_a_non_contiguous_array():
    a1 = RNG.random((2, 100, 5))
    a2 = np.ascontiguousarray(a1.transpose(2, 0, 1)).transpose(1, 2, 0)  # same values, other strides
    assert not a2.flags.c_contiguous
    b, c = RNG.random((2, 100, 5)), RNG.random((2, 100, 5))
    b_j = LazyTensor(b[:, None])
    d1 = LazyTensor(a1[:, :, None]).sqdist(b_j).exp() @ c
    d2 = LazyTensor(a2[:, :, None]).sqdist(b_j).exp() @ c
    ref = np.exp(((a1[:, :, None] - b[:, None]) ** 2).sum(-1)) @ c
    assert_close(d1, ref, np.float64)
    np.testing.assert_array_equal(d1, d2)


def test_inplace_matmul_as_in_the_gaussian_script():
    x = RNG.random((30, 1, D)).astype(np.float32)
    y = RNG.random((1, 20, D)).astype(np.float32)
    b = RNG.standard_normal((20, 1)).astype(np.float32)
    a = np.empty((30, 1), dtype=np.float32)
    K = (-(LazyTensor(x) - LazyTensor(y)).sum(axis=2)).exp()
    assert K.__matmul__(b, out=a) is a
    assert_close(a, np.exp(-(x - y).sum(2).astype(np.float64)) @ b, np.float32)
