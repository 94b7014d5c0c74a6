"""The spellings clients write of the Gaussian, Laplacian and Cauchy kernel sums, their
gradients and geomloss' softmin run as the engine's fused folds, and agree with dense
NumPy / torch references: LazyTensor chains (numpy and torch, with batch dimensions),
Genred formulas of the tutorials, gpytorch's KeOps RBF kernel and geomloss' online back end.

Which way the engine runs a kernel is the ``execution`` of the compiled kernel ("fold-dot",
"fold-diff", "fold-store" for the folds, "tiles" for the op-by-op interpreter)."""

import math

import numpy as np
import pytest

from conftest import assert_close
from pykeops_go.common import engine


@pytest.fixture
def compiled(monkeypatch):
    """The (formula, reduction, execution) of every kernel the test compiles."""
    seen = []
    orig = engine.compile

    def record(formula, aliases, reduction, axis, *rest):
        k = orig(formula, aliases, reduction, axis, *rest)
        seen.append((formula, reduction, k.execution))
        return k

    monkeypatch.setattr(engine, "compile", record)
    return seen


def executions(seen):
    return [e for _, _, e in seen]


def gauss_ref(x, y, b, scale=1.0):
    d2 = ((x[..., :, None, :] - y[..., None, :, :]) ** 2).sum(-1)
    return np.exp(-scale * d2) @ b


def rng_data(dtype, batch=(), m=70, n=90, d=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(batch + (m, d)).astype(dtype)
    y = rng.standard_normal(batch + (n, d)).astype(dtype)
    b = rng.random(batch + (n, 1)).astype(dtype)
    return x, y, b


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_lazytensor_gaussian_chains(compiled, dtype, batch):
    from pykeops.numpy import LazyTensor

    x, y, b = rng_data(dtype, batch)
    x_i, y_j = LazyTensor(x[..., :, None, :]), LazyTensor(y[..., None, :, :])
    ref = gauss_ref(x.astype(np.float64), y.astype(np.float64), b.astype(np.float64))
    d2 = ((x_i - y_j) ** 2).sum(-1)
    chains = [
        (-d2).exp(),                          # W9
        (-(x_i - y_j).sqnorm2()).exp(),
        (-((x_i - y_j) | (x_i - y_j))).exp(),
        (-x_i.sqdist(y_j)).exp(),
        (-d2 * 1.0).exp(),                    # a float scale is a parameter
    ]
    for K in chains:
        assert_close(K @ b, ref, dtype)
    assert executions(compiled) == ["fold-dot"] * len(chains)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tutorial_kernels(compiled, dtype):
    """Gaussian, Laplacian and Cauchy kernels of a scale s, as Genred formulas written with a
    parameter or a constant; the divisions by a parameter stay divisions (tiles)."""
    from pykeops.numpy import Genred

    x, y, b = rng_data(dtype)
    x64, y64, b64 = (a.astype(np.float64) for a in (x, y, b))
    d2 = ((x64[:, None, :] - y64[None, :, :]) ** 2).sum(-1)
    g = np.array([0.7], dtype=dtype)
    gv = float(g[0])
    aliases = ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)", "g = Pm(1)"]
    cases = [
        ("Exp(-g*SqDist(x,y))*b", np.exp(-gv * d2), "fold-dot"),
        ("Exp(-SqDist(x,y)*g)*b", np.exp(-gv * d2), "fold-dot"),
        ("Exp(SqDist(x,y)*(-g))*b", np.exp(-gv * d2), "fold-dot"),
        ("Exp(-Sum(Pow(x-y,2)))*b", np.exp(-d2), "fold-dot"),
        ("Exp(-g*Norm2(x-y))*b", np.exp(-gv * np.sqrt(d2)), "fold-dot"),
        ("Exp(-Sqrt(SqDist(x,y)))*b", np.exp(-np.sqrt(d2)), "fold-dot"),
        ("Inv(IntCst(1)+g*SqNorm2(x-y))*b", 1 / (1 + gv * d2), "fold-dot"),
        ("Exp(-SqDist(x,y)/IntCst(2))*b", np.exp(-d2 / 2), "fold-dot"),
        ("Exp(-SqDist(x,y)/g)*b", np.exp(-d2 / gv), "dot"),
    ]
    for f, K, want in cases:
        res = Genred(f, aliases, reduction_op="Sum", axis=1)(x, y, b, g)
        assert_close(res, K @ b64, dtype)
    assert executions(compiled) == [w for _, _, w in cases]


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_torch_lazytensor_gaussian_gradient(compiled, dtype):
    """The backward of the W9 chain is Grad(Exp(-Sum(Square(x-y)))*b, x, e): a fold too."""
    from pykeops.torch import LazyTensor

    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 60, 3, generator=g, dtype=dtype, requires_grad=True)
    y = torch.randn(2, 80, 3, generator=g, dtype=dtype, requires_grad=True)
    b = torch.rand(2, 80, 1, generator=g, dtype=dtype)
    K = (-((LazyTensor(x[:, :, None, :]) - LazyTensor(y[:, None, :, :])) ** 2).sum(-1) / 2).exp()
    gx, gy = torch.autograd.grad((K @ b).square().sum(), [x, y])
    x64, y64, b64 = (t.detach().double().requires_grad_(True) for t in (x, y, b))
    Kd = torch.exp(-((x64[:, :, None, :] - y64[:, None, :, :]) ** 2).sum(-1) / 2)
    rx, ry = torch.autograd.grad((Kd @ b64).square().sum(), [x64, y64])
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    assert_close(gx.numpy(), rx.numpy(), np_dtype)
    assert_close(gy.numpy(), ry.numpy(), np_dtype)
    grads = [e for f, _, e in compiled if f.startswith("Grad(")]
    assert grads and all(e == "fold-diff" for e in grads), compiled


def test_gpytorch_rbf_kernel(compiled):
    gpytorch = pytest.importorskip("gpytorch")
    from gpytorch.kernels import keops

    g = torch.Generator().manual_seed(2)
    X = torch.randn(60, 2, generator=g, dtype=torch.float64)
    v = torch.randn(60, 1, generator=g, dtype=torch.float64)
    k = keops.RBFKernel(ard_num_dims=2).double()
    with gpytorch.settings.max_cholesky_size(0):
        res = (k(X, X) @ v).detach()
    ls = k.lengthscale.detach()
    d2 = (((X[:, None, :] - X[None, :, :]) / ls) ** 2).sum(-1)
    assert_close(res.numpy(), (torch.exp(-d2 / 2) @ v).numpy(), np.float64)
    sums = [e for f, r, e in compiled if r == "Sum"]
    assert sums and all(e == "fold-dot" for e in sums), compiled


def test_geomloss_online_softmin(compiled):
    """geomloss' online Sinkhorn reduces B - P*(SqDist(X,Y)/2) by LogSumExp: the store fold,
    here against a dense logsumexp; the Sinkhorn loss itself matches the tensorized back end
    up to geomloss' own difference between the two (pykeops gives the same online value)."""
    pytest.importorskip("geomloss")
    from geomloss import SamplesLoss
    from pykeops.torch import Genred

    g = torch.Generator().manual_seed(3)
    x = torch.rand(50, 3, generator=g, dtype=torch.float64)
    y = torch.rand(60, 3, generator=g, dtype=torch.float64)
    a = torch.full((50,), 1 / 50, dtype=torch.float64)
    b = torch.full((60,), 1 / 60, dtype=torch.float64)
    kw = dict(p=2, blur=0.3, scaling=0.5)
    loss = SamplesLoss("sinkhorn", backend="online", **kw)(a, x, b, y).item()
    ref = SamplesLoss("sinkhorn", backend="tensorized", **kw)(a, x, b, y).item()
    assert math.isclose(loss, ref, rel_tol=1e-6)
    lse = {f: e for f, r, e in compiled if r == "LogSumExp"}
    assert lse and all(e == "fold-store" for e in lse.values()), compiled

    (formula,) = lse
    softmin = Genred(formula, ["X = Vi(3)", "Y = Vj(3)", "B = Vj(1)", "P = Pm(1)"],
                     reduction_op="LogSumExp", axis=1)
    w = torch.randn(60, 1, generator=g, dtype=torch.float64)
    p = torch.tensor([1 / 0.09], dtype=torch.float64)
    res = softmin(x, y, w, p)
    dense = torch.logsumexp(w.T - p * ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1) / 2, dim=1)
    assert_close(res.numpy(), dense[:, None].numpy(), np.float64)
