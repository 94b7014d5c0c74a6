"""Autograd of pykeops.torch Genred: gradcheck / gradgradcheck in float64 over formulas x
reductions x argument categories, and gradients against dense torch autograd."""

import numpy as np
import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

from pykeops_go.numpy.cluster import from_matrix
from pykeops_go.torch import Genred

ALIASES = ["x = Vi(3)", "y = Vj(3)", "a = Vi(2)", "b = Vj(2)", "p = Pm(1)"]


def dense_F(name, x, y, a, b, p):
    """The formulas below on every (i, j) pair, (..., M, N, D), in torch."""
    xi, yj = x[..., :, None, :], y[..., None, :, :]
    ai, bj = a[..., :, None, :], b[..., None, :, :]
    pp = p[..., None, None, :]
    d2 = ((xi - yj) ** 2).sum(-1, keepdim=True)
    return {
        "gauss": torch.exp(-pp * d2) * bj,
        "trig": torch.cos(d2 * pp) * ai + torch.sin(bj) * (xi * yj).sum(-1, keepdim=True),
        "scal": -pp * d2 + (ai * bj).sum(-1, keepdim=True),
        "scal2": -torch.sqrt(d2 + 1) * pp ** 2 + (ai * ai).sum(-1, keepdim=True),
        "weight": bj * bj + ai,
    }[name]


FORMULAS = {
    "gauss": "Exp(-p * SqDist(x, y)) * b",
    "trig": "Cos(SqDist(x, y) * p) * a + Sin(b) * (x | y)",
    "scal": "-p * SqDist(x, y) + (a | b)",
    "scal2": "-Sqrt(SqDist(x, y) + 1) * Square(p) + SqNorm2(a)",
    "weight": "b * b + a",
}

# (reduction, formula, formula2)
CASES = [
    ("Sum", "gauss", None),
    ("Sum", "trig", None),
    ("LogSumExp", "scal", None),
    ("LogSumExp", "scal2", None),
    ("LogSumExp", "scal", "weight"),
    ("SumSoftMaxWeight", "scal", "weight"),
    ("SumSoftMaxWeight", "scal2", "gauss"),
]
IDS = [f"{r}-{f}-{g}" for r, f, g in CASES]


def dense_reduction(case, axis, *args):
    red, f, w = case
    F = dense_F(f, *args)
    ax = -2 if axis == 1 else -3
    if red == "Sum":
        return F.sum(ax)
    if red == "LogSumExp" and w is None:
        return torch.logsumexp(F, ax)
    W = dense_F(w, *args)
    W = W.expand(*F.shape[:-1], W.shape[-1])
    if red == "LogSumExp":
        return torch.logsumexp(F + torch.log(W), ax)
    return (torch.softmax(F, ax) * W).sum(ax)


def dense_grad(out, args, w):
    """torch.autograd.grad, zeros for the arguments the formula does not read."""
    gs = torch.autograd.grad(out, args, w, allow_unused=True)
    return [torch.zeros_like(a) if gk is None else gk for gk, a in zip(gs, args)]


def make(M=4, N=5, batch_i=(), batch_j=(), batch_p=(), seed=0):
    g = torch.Generator().manual_seed(seed)
    shapes = [(*batch_i, M, 3), (*batch_j, N, 3), (*batch_i, M, 2), (*batch_j, N, 2), (*batch_p, 1)]
    data = [torch.randn(*s, generator=g, dtype=torch.float64) for s in shapes]
    data[2] = data[2].abs() + 0.5  # positive weights for the weighted LogSumExp
    data[3] = data[3].abs() + 0.5
    data[4] = data[4].abs() + 0.5
    return [d.requires_grad_(True) for d in data]


def genred(case, axis):
    red, f, w = case
    return Genred(FORMULAS[f], list(ALIASES), reduction_op=red, axis=axis,
                  formula2=FORMULAS[w] if w else None)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck_and_gradgradcheck(case, axis):
    g = genred(case, axis)
    args = make()
    assert gradcheck(lambda *a: g(*a), args)
    assert gradgradcheck(lambda *a: g(*a), args)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_against_dense_autograd(case, axis):
    g = genred(case, axis)
    args = make(M=6, N=7, seed=1)
    out = g(*args)
    ref = dense_reduction(case, axis, *args)
    torch.testing.assert_close(out, ref)
    w = torch.randn_like(ref)
    grads = torch.autograd.grad(out, args, w)
    refs = dense_grad(ref, args, w)
    for k, (gk, rk) in enumerate(zip(grads, refs)):
        assert gk.shape == args[k].shape
        torch.testing.assert_close(gk, rk, msg=f"argument {k}")


@pytest.mark.parametrize("case", [CASES[0], CASES[2], CASES[5]], ids=[IDS[0], IDS[2], IDS[5]])
def test_batch_broadcasting_is_summed_out(case):
    g = genred(case, 1)
    args = make(M=3, N=4, batch_i=(2, 1), batch_j=(1, 3), batch_p=(2, 3), seed=2)
    assert gradcheck(lambda *a: g(*a), args)
    out = g(*args)
    ref = dense_reduction(case, 1, *args)
    torch.testing.assert_close(out, ref)
    w = torch.randn_like(ref)
    for gk, rk, a in zip(torch.autograd.grad(out, args, w), dense_grad(ref, args, w), args):
        assert gk.shape == a.shape
        torch.testing.assert_close(gk, rk)


def test_broadcast_parameter_without_batch():
    g = genred(CASES[0], 1)
    args = make(M=3, N=4, batch_i=(2,), batch_j=(2,), batch_p=(1,))
    assert gradcheck(lambda *a: g(*a), args)


@pytest.mark.parametrize("axis", [0, 1])
def test_ranges_gradients(axis):
    g = genred(CASES[0], axis)
    args = make(M=6, N=5, seed=3)
    keep = np.array([[True, False], [True, True]])
    ranges = tuple(torch.from_numpy(r) for r in
                   from_matrix(np.array([[0, 3], [3, 6]]), np.array([[0, 2], [2, 5]]), keep))
    assert gradcheck(lambda *a: g(*a, ranges=ranges), args)
    mask = torch.from_numpy(np.repeat(np.repeat(keep, [3, 3], 0), [2, 3], 1))[..., None]
    ref = (dense_F("gauss", *args) * mask).sum(-2 if axis == 1 else -3)
    torch.testing.assert_close(g(*args, ranges=ranges), ref)


def test_only_requested_gradients_and_hessian():
    g = genred(CASES[0], 1)
    x, y, a, b, p = make()
    for v in (y, a, b, p):
        v.requires_grad_(False)
    (gx,) = torch.autograd.grad(g(x, y, a, b, p).sum(), [x])
    ref = torch.autograd.grad(dense_reduction(CASES[0], 1, x, y, a, b, p).sum(), [x])[0]
    torch.testing.assert_close(gx, ref)
    H = torch.autograd.functional.hessian(lambda x: g(x, y, a, b, p).sum(), x)
    Hd = torch.autograd.functional.hessian(lambda x: dense_reduction(CASES[0], 1, x, y, a, b, p).sum(), x)
    torch.testing.assert_close(H, Hd)


def test_third_derivative():
    g = genred(CASES[2], 1)
    x, y, a, b, p = make(seed=4)

    def third(fn):
        out = fn(x).sum()
        (d1,) = torch.autograd.grad(out, x, create_graph=True)
        (d2,) = torch.autograd.grad((d1 ** 2).sum(), x, create_graph=True)
        (d3,) = torch.autograd.grad(d2.sum(), x)
        return d3

    torch.testing.assert_close(third(lambda x: g(x, y, a, b, p)),
                               third(lambda x: dense_reduction(CASES[2], 1, x, y, a, b, p)))


def test_float32_and_float16_gradients():
    g = genred(CASES[0], 1)
    args64 = make(M=6, N=7)
    ref = torch.autograd.grad(g(*args64).sum(), args64)
    for dtype, tol in ((torch.float32, 1e-5), (torch.float16, 3e-2)):
        args = [a.detach().to(dtype).requires_grad_(True) for a in args64]
        grads = torch.autograd.grad(g(*args).sum(), args)
        for gk, rk in zip(grads, ref):
            assert gk.dtype == dtype
            torch.testing.assert_close(gk.double(), rk, rtol=tol, atol=tol * rk.abs().max().item())


@pytest.mark.parametrize("red", ["Min", "Max", "KMin", "Min_ArgMin", "Max_ArgMax", "KMin_ArgKMin",
                                 "Max_SumShiftExp", "LogSumExpWeight"])
def test_non_differentiable_reductions_raise_at_backward(red):
    opt = 2 if "KMin" in red else None
    f2 = "b" if red == "LogSumExpWeight" else None
    g = Genred("SqDist(x, y)", list(ALIASES), reduction_op=red, axis=1, opt_arg=opt, formula2=f2)
    out = g(*make())
    out = out[0] if isinstance(out, tuple) else out
    assert out.requires_grad
    with pytest.raises(NotImplementedError, match="does not support autodiff"):
        out.sum().backward()


@pytest.mark.parametrize("red", ["ArgMin", "ArgMax", "ArgKMin"])
def test_index_reductions_give_no_gradient(red):
    g = Genred("SqDist(x, y)", list(ALIASES), reduction_op=red, axis=1,
               opt_arg=2 if red == "ArgKMin" else None)
    out = g(*make())
    assert out.dtype == torch.int64 and not out.requires_grad and out.grad_fn is None


def test_out_under_gradcheck():
    """falkon-style: the result written into a preallocated out= tensor, differentiated."""
    g = genred(CASES[0], 1)
    args = make()

    def fn(*a):
        return g(*a, out=torch.empty(4, 2, dtype=torch.float64))

    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)
