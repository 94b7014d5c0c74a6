"""pykeops.numpy.utils: the dense references and numpytools, against NumPy
computed entry by entry (loops over i, j), and the install check module."""

import numpy as np
import pytest

from pykeops.numpy import utils as U

RNG = np.random.default_rng(7)
X = RNG.random((6, 3))
Y = RNG.random((4, 3))
S = 0.7


def dense(f, x=X, y=Y):
    """``[[f(x_i, y_j) for j] for i]`` by plain loops."""
    return np.array([[f(xi, yj) for yj in y] for xi in x])


def sq(a, b):
    return float(np.sum((a - b) ** 2))


RADIAL = {
    "gaussian": lambda r2: np.exp(-r2 / S**2),
    "laplacian": lambda r2: np.exp(-np.sqrt(r2) / S),
    "cauchy": lambda r2: 1 / (1 + r2 / S**2),
    "inverse_multiquadric": lambda r2: 1 / np.sqrt(1 + r2 / S**2),
}


def test_squared_distances_and_differences():
    np.testing.assert_allclose(U.squared_distances(X, Y), dense(sq), rtol=1e-12, atol=1e-14)
    diff = U.differences(X, Y)
    assert diff.shape == (3, 6, 4)
    for d in range(3):
        np.testing.assert_array_equal(diff[d], dense(lambda a, b, d=d: a[d] - b[d]))


@pytest.mark.parametrize("kernel", sorted(RADIAL))
def test_np_kernel_log_and_grad(kernel):
    k = RADIAL[kernel]
    ref = dense(lambda a, b: k(sq(a, b)))
    np.testing.assert_allclose(U.np_kernel(X, Y, S, kernel), ref, rtol=1e-12)
    np.testing.assert_allclose(U.log_np_kernel(X, Y, S, kernel), np.log(ref), rtol=1e-12, atol=1e-14)
    # Derivative in the squared distance, by central differences of the profile.
    h = 1e-6
    dref = dense(lambda a, b: (k(sq(a, b) + h) - k(sq(a, b) - h)) / (2 * h))
    np.testing.assert_allclose(U.grad_np_kernel(X, Y, S, kernel), dref, rtol=1e-6)


def test_np_kernel_sphere():
    a = RNG.standard_normal((5, 3))
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b = RNG.standard_normal((3, 3))
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    prs = dense(lambda u, v: float(u @ v), a, b)
    np.testing.assert_allclose(U.np_kernel_sphere(a, b, S, "linear"), prs, rtol=1e-13)
    np.testing.assert_allclose(U.np_kernel_sphere(a, b, S, "binet"), prs**2, rtol=1e-13)
    np.testing.assert_allclose(U.np_kernel_sphere(a, b, S, "gaussian_oriented"),
                               np.exp(-2 * (1 - prs) / S**2), rtol=1e-13)
    np.testing.assert_allclose(U.np_kernel_sphere(a, b, S, "gaussian_unoriented"),
                               np.exp(-2 * (1 - prs**2) / S**2), rtol=1e-13)


@pytest.mark.parametrize("f", [U.np_kernel, U.log_np_kernel, U.grad_np_kernel, U.np_kernel_sphere])
def test_unknown_kernel_is_a_value_error(f):
    with pytest.raises(ValueError, match="kernel must be one of"):
        f(X, Y, S, "gausian")


def test_chain_rules_is_the_gradient_of_the_kernel_product():
    # chain_rules(q, x, y, A', p) = d/dx_i of sum_ij q_i . k(|x_i - y_j|^2) p_j, with A' = k'.
    q, p = RNG.random((6, 2)), RNG.random((4, 2))
    A = U.grad_np_kernel(X, Y, S, "gaussian")
    res = U.chain_rules(q, X, Y, A, p)
    assert res.dtype == np.float32 and res.shape == X.shape  # float32, as pykeops

    def energy(x):
        return float(np.sum(q * (dense(lambda a, b: RADIAL["gaussian"](sq(a, b)), x, Y) @ p)))

    ref = np.zeros_like(X)
    h = 1e-6
    for i in range(6):
        for d in range(3):
            e = np.zeros_like(X)
            e[i, d] = h
            ref[i, d] = (energy(X + e) - energy(X - e)) / (2 * h)
    np.testing.assert_allclose(res, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis", [0, 1])
def test_log_sum_exp_is_stable(axis):
    m = RNG.standard_normal((5, 4)) * 3
    ref = np.log(np.exp(m).sum(axis=axis))
    np.testing.assert_allclose(U.log_sum_exp(m, axis=axis), ref, rtol=1e-13)
    big = m + 1000.0  # exp overflows without the shift
    np.testing.assert_allclose(U.log_sum_exp(big, axis=axis), ref + 1000.0, rtol=1e-13)


def test_np_swap_axes_is_the_cluster_helper():
    from pykeops.numpy.cluster import swap_axes

    assert U.np_swap_axes is swap_axes
    r = tuple(np.arange(2 * k, 2 * k + 2).reshape(1, 2) for k in range(6))
    out = U.np_swap_axes(r)
    assert [o.tolist() for o in out] == [r[k].tolist() for k in (3, 4, 5, 0, 1, 2)]


def test_numpytools_class_attributes_and_methods():
    t = U.numpytools
    from pykeops.numpy import Genred, KernelSolve

    assert t.Genred is Genred and t.KernelSolve is KernelSolve and t.arraytype is np.ndarray
    a = np.arange(6.0).reshape(2, 3)
    assert t.is_tensor(a) and not t.is_tensor([1.0])
    assert t.long(a).dtype == np.int64 and t.size(a) == 6 and t.view(a, (3, 2)).shape == (3, 2)
    assert t.transpose(a).shape == (3, 2) and t.permute(a, 1, 0).shape == (3, 2)
    assert t.zeros((2, 2), "float32").dtype == np.float32 and t.eye(3, "float64").trace() == 3
    assert t.rand(3, 2, "float32").shape == (3, 2) and t.dtypename(np.dtype("float64")) == "float64"
    assert t.device(a) == "cpu" and t.device_type_index(a) == ("cpu", None)
    assert t.detect_complex([1.0, 2j]) and not t.detect_complex(a)
    z = t.view_as_complex(np.arange(4.0).reshape(2, 2))
    assert z.dtype == np.complex128 and z[1, 0] == 2 + 3j
    assert t.view_as_real(z).tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert t.get_pointer(a) == a.ctypes.data
    np.testing.assert_allclose(t.solve(np.eye(2) * 2, np.ones(2)), [0.5, 0.5])


def test_warm_up_gpu_prints_and_runs_nothing(capsys):
    import pykeops

    pykeops.set_verbose(True)
    U.WarmUpGpu()
    assert capsys.readouterr().out == "[pyKeOps] Warming up the Gpu (numpy bindings) !!!\n"


def test_test_install_module():
    from pykeops.numpy import Genred
    from pykeops.numpy import test_install as ti

    x = np.arange(1, 10, dtype=np.float32).reshape(-1, 3)
    y = np.arange(3, 9, dtype=np.float32).reshape(-1, 3)
    ref = [sum(sq(xi, yj) for xi in x) for yj in y]
    np.testing.assert_array_equal(ti.expected_res, ref)
    np.testing.assert_allclose(Genred(ti.formula, ti.var)(x, y).ravel(), ref, rtol=1e-6)


def test_lazytensor_binds_the_numpy_tools():
    from pykeops.numpy import Genred, KernelSolve, LazyTensor

    x = LazyTensor(np.ones((3, 1, 2)))
    assert LazyTensor.tools is U.numpytools and x.Genred is Genred and x.KernelSolve is KernelSolve
    x.get_tools()
    assert x.tools is U.numpytools
