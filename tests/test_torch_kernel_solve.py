"""pykeops.torch.KernelSolve with the solver options of the NumPy one (common/kernel_solve.py):
the Nystrom-preconditioned solve of the Go engine, float32 inner products, rtol, x0,
callback, verbose, return_info, and their gradients, against dense torch.linalg.solve
in float64."""

import numpy as np
import pytest
import torch
from torch.autograd import gradcheck

from pykeops_go.common.solve import ConvergenceWarning, SolveInfo
from pykeops_go.torch import KernelSolve, LazyTensor

GAUSS = "Exp(-p*SqDist(x,y))*a"


def aliases(d=1):
    return ["x=Vi(2)", "y=Vj(2)", f"a=Vj({d})", "p=Pm(1)"]


def data(n, d=1, seed=0, requires_grad=False):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, dtype=torch.float64, generator=gen) * 2
    b = torch.rand(n, d, dtype=torch.float64, generator=gen)
    p = torch.tensor([1.3], dtype=torch.float64)
    return [t.requires_grad_(requires_grad) for t in (x, b, p)]


def dense(x, b, p, alpha):
    K = torch.exp(-p * ((x[:, None] - x[None]) ** 2).sum(-1))
    return torch.linalg.solve(K + alpha * torch.eye(x.shape[0], dtype=x.dtype), b)


def solver(d=1):
    return KernelSolve(GAUSS, aliases(d), "a", axis=1)


@pytest.mark.parametrize("inner_dtype", [None, "float32"])
def test_nystrom_forward_matches_dense(inner_dtype):
    x, b, p = data(200, 2)
    ks = solver(2)
    a, info = ks(x, x, b, p, alpha=0.1, precond="nystrom", rank=40, rtol=1e-11,
                 inner_dtype=inner_dtype, return_info=True)
    assert isinstance(a, torch.Tensor) and a.dtype == torch.float64 and a.shape == b.shape
    assert isinstance(info, SolveInfo) and ks.last_info is info
    assert info.converged and info.precond == "nystrom" and info.rank == 40
    assert info.inner_dtype == inner_dtype
    torch.testing.assert_close(a, dense(x, b, p, 0.1), rtol=1e-8, atol=1e-9)
    # The same solve as the NumPy KernelSolve, on the same data.
    from pykeops_go.numpy import KernelSolve as NumpyKernelSolve
    ref, ref_info = NumpyKernelSolve(GAUSS, aliases(2), "a", axis=1)(
        x.numpy(), x.numpy(), b.numpy(), p.numpy(), alpha=0.1, precond="nystrom", rank=40,
        rtol=1e-11, inner_dtype=inner_dtype, return_info=True)
    assert ref_info.iterations == info.iterations
    np.testing.assert_allclose(a.numpy(), ref, rtol=0, atol=1e-12 * np.abs(ref).max())


def test_nystrom_fewer_iterations_than_plain_cg():
    x, b, p = data(300)
    ks = solver()
    _, plain = ks(x, x, b, p, alpha=0.01, rtol=1e-8, return_info=True)
    _, nys = ks(x, x, b, p, alpha=0.01, rtol=1e-8, precond="nystrom", rank=60, return_info=True)
    assert plain.precond is None and plain.converged and nys.converged
    assert nys.iterations < plain.iterations


@pytest.mark.parametrize("inner_dtype", [None, "float32"])
def test_nystrom_gradcheck_in_x_b_and_p(inner_dtype, monkeypatch):
    x, b, p = data(14, seed=1, requires_grad=True)
    ks = solver()
    calls = []
    nystrom = ks._nystrom_solve
    monkeypatch.setattr(ks, "_nystrom_solve", lambda *a, **k: calls.append(1) or nystrom(*a, **k))

    def fn(x, b, p):
        return ks(x, x, b, p, alpha=0.5, precond="nystrom", rank=6, rtol=1e-14, eps=0,
                  inner_dtype=inner_dtype)

    assert gradcheck(fn, (x, b, p), atol=1e-6)
    w = torch.randn(14, 1, dtype=torch.float64)
    got = torch.autograd.grad(fn(x, b, p), (x, b, p), w)
    ref = torch.autograd.grad(dense(x, b, p, 0.5), (x, b, p), w)
    for g, r in zip(got, ref):
        torch.testing.assert_close(g, r, rtol=1e-7, atol=1e-9)
    # The backward's adjoint system is solved by the same (preconditioned) solver.
    calls.clear()
    fn(x, b, p).backward(w)
    assert len(calls) == 2


def test_return_info_through_autograd_keeps_the_forward_info():
    x, b, p = data(60, requires_grad=True)
    ks = solver()
    a, info = ks(x, x, b, p, alpha=0.2, rtol=1e-10, return_info=True)
    assert a.requires_grad and info.converged and info.products >= info.iterations
    a.sum().backward()
    assert ks.last_info is info  # the adjoint solve does not replace it
    torch.testing.assert_close(b.grad, dense(x.detach(), torch.ones_like(b), p.detach(), 0.2),
                               rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("precond", [None, "nystrom"])
def test_callback_verbose_x0(precond, capsys):
    x, b, p = data(120, 2)
    ks = solver(2)
    seen = []

    def cb(it, a, rel):
        assert isinstance(a, torch.Tensor) and a.dtype == torch.float64 and a.numel() == b.numel()
        seen.append((it, rel))

    a, info = ks(x, x, b, p, alpha=0.1, precond=precond, rank=30, rtol=1e-9, callback=cb,
                 verbose=1e-9, return_info=True)
    assert [s[0] for s in seen] == list(range(1, info.iterations + 1)) and seen[-1][1] <= 1e-9
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == info.iterations + 1
    assert lines[-1].startswith(f"KernelSolve: iteration {info.iterations}, relative residual")
    ref = dense(x, b, p, 0.1)
    torch.testing.assert_close(a, ref, rtol=1e-7, atol=1e-8)
    # A warm start at the solution: no iteration, x0 left as it was.
    x0 = ref.clone()
    a0, info0 = ks(x, x, b, p, alpha=0.1, precond=precond, rank=30, rtol=1e-8, x0=x0, return_info=True)
    assert info0.iterations == 0 and torch.equal(x0, ref)
    torch.testing.assert_close(a0, ref, rtol=0, atol=1e-12)
    # An iteration cap: ConvergenceWarning, as in NumPy.
    with pytest.warns(ConvergenceWarning, match="in 2 iterations"):
        _, capped = ks(x, x, b, p, alpha=0.1, precond=precond, rank=30, rtol=1e-13, maxiter=2,
                       return_info=True)
    assert capped.iterations == 2 and not capped.converged


def test_lazytensor_solve_options():
    x, b, p = data(150, 2)
    x_i, x_j = LazyTensor(x[:, None, :]), LazyTensor(x[None, :, :])
    K = (-1.3 * ((x_i - x_j) ** 2).sum(-1)).exp()
    ref = dense(x, b, p, 0.1)
    a = K.solve(b, alpha=0.1, precond="nystrom", rank=40, rtol=1e-11)
    assert isinstance(a, torch.Tensor)
    torch.testing.assert_close(a, ref, rtol=1e-8, atol=1e-9)
    v = K.solve(b[:, 0], alpha=0.1, precond="nystrom", rank=40, rtol=1e-11)
    assert v.shape == (150,)
    torch.testing.assert_close(v, ref[:, 0], rtol=1e-8, atol=1e-9)
    m, info = K.solve(b, alpha=0.1, precond="nystrom", rank=40, rtol=1e-11, inner_dtype="float32",
                      return_info=True)
    assert info.inner_dtype == "float32" and info.converged
    torch.testing.assert_close(m, ref, rtol=1e-8, atol=1e-9)


def test_float32_and_non_contiguous():
    x, b, p = data(100)
    ks = solver()
    a = ks(x.float(), x.float(), b.float(), p.float(), alpha=0.1, precond="nystrom", rank=30, rtol=1e-6)
    assert a.dtype == torch.float32
    torch.testing.assert_close(a.double(), dense(x, b, p, 0.1), rtol=1e-3, atol=1e-4)
    bt = torch.cat([b, b], 1)[:, ::2]  # not contiguous: copied once (as pykeops does)
    assert not bt.is_contiguous()
    a2 = ks(x, x, bt, p, alpha=0.1, precond="nystrom", rank=30, rtol=1e-11)
    torch.testing.assert_close(a2, dense(x, b, p, 0.1), rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("kw, match", [
    (dict(precond="jacobi"), "precond"),
    (dict(precond="nystrom", rank=0), "rank"),
    (dict(precond="nystrom", landmarks="kmeans"), "landmarks"),
    (dict(precond="nystrom", landmarks=[-1, 3]), "landmark"),
    (dict(rtol=-1), "rtol"),
    (dict(eps=float("nan")), "eps"),
    (dict(maxiter=-1), "maxiter"),
    (dict(verbose="yes"), "verbose"),
    (dict(alpha=float("inf")), "alpha"),
    (dict(x0=torch.zeros(3, 1, dtype=torch.float64)), "x0"),
    (dict(x0=np.zeros((20, 1))), "x0 must be a torch.Tensor"),
    (dict(precond="nystrom", inner_dtype="float16"), "inner_dtype"),
    (dict(inner_dtype="float32"), "inner_dtype"),
    (dict(precond="nystrom", ranges=(torch.tensor([[0, 20]]),) * 6), "ranges"),
])
def test_bad_solver_arguments(kw, match):
    x, b, p = data(20, requires_grad=True)
    ks = solver()
    with pytest.raises(ValueError, match=match):
        ks(x, x, b, p, **{"alpha": 0.1, **kw})


def test_bad_callback_and_rhs():
    x, b, p = data(20)
    ks = solver()
    with pytest.raises(TypeError, match="callback"):
        ks(x, x, b, p, alpha=0.1, callback=3)
    with pytest.raises(TypeError, match=r"argument 2 \(the right-hand side b\) must be a torch.Tensor"):
        ks(x, x, b.numpy(), p, alpha=0.1)
    with pytest.raises(ValueError, match="batch"):
        ks(x[None], x[None], b[None], p, alpha=0.1, precond="nystrom")
