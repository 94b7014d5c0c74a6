"""pykeops.torch KernelSolve (with its backward), cluster, utils and the import rules."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

from pykeops_go.numpy import cluster as np_cluster
from pykeops_go.torch import KernelSolve
from pykeops_go.torch import cluster

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ------------------------------------------------------------------ KernelSolve
def dense_solve(x, b, alpha, sigma=None):
    d2 = ((x[:, None] - x[None]) ** 2).sum(-1)
    K = torch.exp(-d2 if sigma is None else -d2 * sigma)
    return torch.linalg.solve(K + alpha * torch.eye(x.shape[0], dtype=x.dtype), b)


@pytest.mark.parametrize("axis", [0, 1])
def test_kernel_solve_forward(axis):
    cat = "Vj" if axis == 1 else "Vi"
    Kinv = KernelSolve("Exp(-SqDist(x,y))*a", ["x=Vi(2)", "y=Vj(2)", f"a={cat}(2)"], "a", axis=axis)
    x = torch.rand(30, 2, dtype=torch.float64)
    b = torch.rand(30, 2, dtype=torch.float64)
    a = Kinv(x, x, b, alpha=0.3, eps=1e-12)
    torch.testing.assert_close(a, dense_solve(x, b, 0.3))
    a32 = Kinv(x.float(), x.float(), b.float(), alpha=0.3)
    assert a32.dtype == torch.float32
    torch.testing.assert_close(a32.double(), dense_solve(x, b, 0.3), rtol=1e-3, atol=1e-3)


def test_kernel_solve_backward():
    Kinv = KernelSolve("Exp(-p*SqDist(x,y))*a", ["x=Vi(2)", "y=Vj(2)", "a=Vj(1)", "p=Pm(1)"], "a",
                       axis=1)
    x = torch.rand(12, 2, dtype=torch.float64, requires_grad=True)
    b = torch.rand(12, 1, dtype=torch.float64, requires_grad=True)
    p = torch.tensor([1.3], dtype=torch.float64, requires_grad=True)

    def fn(x, b, p):
        return Kinv(x, x, b, p, alpha=0.5, eps=1e-13)

    assert gradcheck(fn, (x, b, p), atol=1e-6)
    w = torch.randn(12, 1, dtype=torch.float64)
    got = torch.autograd.grad(fn(x, b, p), (x, b, p), w)
    ref = torch.autograd.grad(dense_solve(x, b, 0.5, p), (x, b, p), w)
    for g, r in zip(got, ref):
        torch.testing.assert_close(g, r, rtol=1e-6, atol=1e-8)



def test_kernel_solve_double_backward():
    """Gradients of gradients (Hessian-vector products) through the solve, in every argument."""
    Kinv = KernelSolve("Exp(-p*SqDist(x,y))*a", ["x=Vi(2)", "y=Vj(2)", "a=Vj(1)", "p=Pm(1)"], "a",
                       axis=1)
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(10, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    b = torch.rand(10, 1, dtype=torch.float64, generator=gen, requires_grad=True)
    p = torch.tensor([0.8], dtype=torch.float64, requires_grad=True)

    def fn(x, b, p):
        return Kinv(x, x, b, p, alpha=0.5, eps=1e-14)

    assert gradgradcheck(fn, (x, b, p), atol=1e-5)
    # The Hessian of a scalar loss against dense torch autograd.
    w = torch.randn(10, 1, dtype=torch.float64, generator=gen)

    def loss(solve):
        def f(x, b, p):
            return (solve(x, b, p) * w).sum() ** 2
        return f

    got = torch.autograd.functional.hessian(loss(fn), (x, b, p))
    ref = torch.autograd.functional.hessian(loss(lambda x, b, p: dense_solve(x, b, 0.5, p)), (x, b, p))
    for row_g, row_r in zip(got, ref):
        for hg, hr in zip(row_g, row_r):
            torch.testing.assert_close(hg, hr, rtol=1e-6, atol=1e-8)


def test_kernel_solve_errors():
    Kinv = KernelSolve("Exp(-SqDist(x,y))*a", ["x=Vi(2)", "y=Vj(2)", "a=Vj(1)"], "a", axis=1)
    x = torch.rand(5, 2, dtype=torch.float64)
    with pytest.raises(TypeError, match="right-hand side"):
        Kinv(x, x, np.ones((5, 1)))
    with pytest.raises(ValueError, match="Invalid number of arguments"):
        Kinv(x, x)
    with pytest.raises(ValueError, match="not one of the aliases"):
        KernelSolve("Exp(-SqDist(x,y))*a", ["x=Vi(2)", "y=Vj(2)", "a=Vj(1)"], "c", axis=1)


# ------------------------------------------------------------------ cluster
def test_cluster_helpers_match_numpy():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(50, 2, generator=g, dtype=torch.float64)
    lab = cluster.grid_cluster(x, 0.25)
    assert lab.dtype == torch.int32
    # pykeops.torch puts the grid's origin at the smallest coordinates
    shifted = x.numpy() - x.numpy().min(0)
    np.testing.assert_array_equal(lab.numpy(), np_cluster.grid_cluster(shifted, 0.25))
    far = cluster.grid_cluster(x + 0.1, 0.25)  # a shifted cloud has the same cells
    np.testing.assert_array_equal(far.numpy(), lab.numpy())
    xs, ls = cluster.sort_clusters(x, lab)
    assert bool((ls[1:] >= ls[:-1]).all())
    ranges, cent, w = cluster.cluster_ranges_centroids(xs, ls)
    assert ranges.dtype == torch.int64
    r_np, c_np, w_np = np_cluster.cluster_ranges_centroids(xs.numpy(), ls.numpy().astype(np.int64))
    np.testing.assert_array_equal(ranges.numpy(), r_np)
    np.testing.assert_allclose(cent.numpy(), c_np, rtol=1e-12)
    np.testing.assert_allclose(w.numpy(), w_np)
    keep = ((cent[:, None] - cent[None]) ** 2).sum(-1) < 0.2
    full = cluster.from_matrix(ranges, ranges, keep)
    ref = np_cluster.from_matrix(ranges.numpy(), ranges.numpy(), keep.numpy())
    assert len(full) == 6
    for a, b in zip(full, ref):
        assert isinstance(a, torch.Tensor)
        np.testing.assert_array_equal(a.numpy(), b)
    assert cluster.swap_axes(full)[0] is full[3] and cluster.swap_axes(None) is None


def test_weighted_centroids_are_differentiable():
    x = torch.rand(10, 2, dtype=torch.float64, requires_grad=True)
    w = torch.rand(10, dtype=torch.float64, requires_grad=True)
    lab = torch.tensor([0, 0, 1, 1, 1, 2, 2, 2, 2, 0])

    def fn(x, w):
        return cluster.cluster_ranges_centroids(x, lab, weights=w)[1]

    c = fn(x, w)
    for k in range(3):
        m = lab == k
        torch.testing.assert_close(c[k], (x[m] * w[m, None]).sum(0) / w[m].sum())
    assert gradcheck(fn, (x, w))


def test_sort_clusters_of_tuples():
    x, y = torch.arange(4.0), torch.arange(4.0) * 10
    (xs, ys), lab = cluster.sort_clusters((x, y), torch.tensor([2, 0, 1, 0]))
    assert xs.tolist() == [1.0, 3.0, 2.0, 0.0] and ys.tolist() == [10.0, 30.0, 20.0, 0.0]
    assert lab.tolist() == [0, 0, 1, 2]


# ------------------------------------------------------------------ utils
def test_utils():
    from pykeops.torch.utils import is_on_device, squared_distances, torch_kernel, torchtools

    x, y = torch.rand(4, 3, dtype=torch.float64), torch.rand(5, 3, dtype=torch.float64)
    d2 = ((x[:, None] - y[None]) ** 2).sum(-1)
    torch.testing.assert_close(squared_distances(x, y), d2)
    torch.testing.assert_close(torch_kernel(x, y, 0.5, "gaussian"), torch.exp(-d2 / 0.25))
    torch.testing.assert_close(torch_kernel(x, y, 0.5, "cauchy"), 1 / (1 + d2 / 0.25))
    with pytest.raises(ValueError, match="kernel must be one of"):
        torch_kernel(x, y, 0.5, "nope")
    assert not is_on_device(x)
    assert torchtools.dtypename(torch.float16) == "float16"
    assert torchtools.get_pointer(x) == x.data_ptr()
    assert torchtools.arraytype is torch.Tensor
    g = torchtools.Genred("SqDist(x,y)", ["x=Vi(3)", "y=Vj(3)"], axis=1)
    torch.testing.assert_close(g(x, y)[:, 0], d2.sum(1))
    z = torch.randn(3, 2, dtype=torch.complex128)
    torch.testing.assert_close(torchtools.view_as_complex(torchtools.view_as_real(z)), z)


# ------------------------------------------------------------------ import rules
def _run(code):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=ROOT)


def test_import_without_torch():
    code = ("import sys; sys.modules['torch'] = None\n"
            "import pykeops.numpy, pykeops_go.numpy\n"
            "try:\n    import pykeops.torch\nexcept ImportError as e:\n    print('ERR', e)\n")
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert "ERR [pyKeOps]: The pytorch version should be >=2.0" in r.stdout


def test_numpy_import_does_not_load_torch():
    r = _run("import sys, pykeops.numpy, pykeops\nprint('torch' in sys.modules)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_shim_modules():
    import pykeops.torch as pkt
    from pykeops.torch.cluster import from_matrix, grid_cluster  # noqa: F401
    from pykeops.torch.generic.generic_red import Genred
    from pykeops.torch.lazytensor.LazyTensor import LazyTensor
    from pykeops.torch.operations import KernelSolve as KS

    assert pkt.Genred is Genred and pkt.LazyTensor is LazyTensor and pkt.KernelSolve is KS
    assert set(pkt.__all__) >= {"Genred", "generic_sum", "generic_logsumexp", "generic_argmin",
                                "generic_argkmin", "KernelSolve", "LazyTensor", "Vi", "Vj", "Pm"}


def test_top_level_install_check():
    import pykeops

    assert pykeops.test_torch_bindings()
    with pytest.raises(AttributeError):
        pykeops.no_such_name
