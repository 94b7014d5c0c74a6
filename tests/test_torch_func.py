"""torch.func on pykeops.torch Genred and LazyTensor: grad, vjp, jvp, vmap (with in_dims),
jacrev, jacfwd and hessian against the same transforms of dense torch code."""

import pytest
import torch
from test_torch_autograd import ALIASES, CASES, IDS, FORMULAS, dense_reduction, make
from torch.func import grad, hessian, jacfwd, jacrev, jvp, vjp, vmap

from pykeops_go.torch import Genred, LazyTensor


def genred(case, axis):
    red, f, w = case
    return Genred(FORMULAS[f], list(ALIASES), reduction_op=red, axis=axis,
                  formula2=FORMULAS[w] if w else None)


def detached(args):
    return [a.detach() for a in args]


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_matches_dense(case, axis):
    g = genred(case, axis)
    args = detached(make())
    gen = torch.Generator().manual_seed(5)
    tangents = [torch.randn(a.shape, generator=gen, dtype=a.dtype) for a in args]
    out, t = jvp(lambda *a: g(*a), tuple(args), tuple(tangents))
    ref, rt = jvp(lambda *a: dense_reduction(case, axis, *a), tuple(args), tuple(tangents))
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(t, rt)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_grad_vjp_jacrev_jacfwd(case):
    g = genred(case, 1)
    x, y, a, b, p = detached(make())

    def keops(x, p):
        return g(x, y, a, b, p)

    def dense(x, p):
        return dense_reduction(case, 1, x, y, a, b, p)

    for tr in (lambda f: grad(lambda x, p: f(x, p).sum(), argnums=(0, 1))(x, p),
               lambda f: vjp(f, x, p)[1](torch.ones_like(dense(x, p))),
               lambda f: jacrev(f, argnums=(0, 1))(x, p),
               lambda f: jacfwd(f, argnums=(0, 1))(x, p)):
        for r, d in zip(tr(keops), tr(dense)):
            torch.testing.assert_close(r, d)


@pytest.mark.parametrize("case", [CASES[0], CASES[2], CASES[5]], ids=[IDS[0], IDS[2], IDS[5]])
def test_hessian(case):
    g = genred(case, 1)
    x, y, a, b, p = detached(make(M=3, N=4))
    h = hessian(lambda x: g(x, y, a, b, p).sum())(x)
    hd = hessian(lambda x: dense_reduction(case, 1, x, y, a, b, p).sum())(x)
    torch.testing.assert_close(h, hd)


@pytest.mark.parametrize("in_dims", [(0, None, None, None, None), (None, 0, None, None, None),
                                     (1, None, 0, None, None), (0, 0, 0, 0, 0), (None, None, None, None, 0)])
def test_vmap_in_dims(in_dims):
    case = CASES[2]
    g = genred(case, 1)
    base = detached(make())
    gen = torch.Generator().manual_seed(7)
    args = []
    for a, d in zip(base, in_dims):
        if d is None:
            args.append(a)
        else:
            stacked = torch.stack([a + 0.1 * k * torch.rand(a.shape, generator=gen, dtype=a.dtype).abs()
                                   for k in range(3)], d)
            args.append(stacked)
    out = vmap(lambda *a: g(*a), in_dims=in_dims)(*args)
    ref = vmap(lambda *a: dense_reduction(case, 1, *a), in_dims=in_dims)(*args)
    torch.testing.assert_close(out, ref)


def test_vmap_of_grad_and_tuple_output():
    g = genred(CASES[0], 1)
    x, y, a, b, p = detached(make())
    xs = torch.stack([x, 2 * x, -x])
    per = vmap(grad(lambda x: g(x, y, a, b, p).sum()))(xs)
    ref = vmap(grad(lambda x: dense_reduction(CASES[0], 1, x, y, a, b, p).sum()))(xs)
    torch.testing.assert_close(per, ref)
    mm = Genred("SqDist(x, y)", list(ALIASES), reduction_op="Min_ArgMin", axis=1)
    vals, idx = vmap(lambda x: mm(x, y, a, b, p))(xs)
    d2 = ((xs[:, :, None] - y[None, None]) ** 2).sum(-1)
    torch.testing.assert_close(vals[..., 0], d2.min(-1).values)
    torch.testing.assert_close(idx[..., 0], d2.argmin(-1))
    knn = Genred("SqDist(x, y)", list(ALIASES), reduction_op="ArgKMin", opt_arg=2, axis=1)
    torch.testing.assert_close(vmap(lambda x: knn(x, y, a, b, p))(xs), d2.argsort(-1)[..., :2])


def test_lazytensor_under_torch_func():
    x, y = torch.rand(5, 3, dtype=torch.float64), torch.rand(6, 3, dtype=torch.float64)
    b = torch.rand(6, 1, dtype=torch.float64)

    def keops(x):
        K = (-((LazyTensor(x[:, None, :]) - LazyTensor(y[None, :, :])) ** 2).sum(-1)).exp()
        return (K @ b).sum()

    def dense(x):
        return (torch.exp(-((x[:, None] - y[None]) ** 2).sum(-1)) @ b).sum()

    torch.testing.assert_close(grad(keops)(x), grad(dense)(x))
    torch.testing.assert_close(hessian(keops)(x), hessian(dense)(x))


def test_forward_ad_dual_tensors():
    import torch.autograd.forward_ad as fwAD

    g = genred(CASES[0], 1)
    args = detached(make())
    u = torch.randn_like(args[0])
    with fwAD.dual_level():
        dual = fwAD.make_dual(args[0], u)
        t = fwAD.unpack_dual(g(dual, *args[1:])).tangent
    ref = jvp(lambda x: dense_reduction(CASES[0], 1, x, *args[1:]), (args[0],), (u,))[1]
    torch.testing.assert_close(t, ref)
