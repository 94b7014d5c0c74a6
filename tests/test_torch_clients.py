"""Libraries that call pykeops.torch, run unchanged on the shim: geomloss (Sinkhorn with the
"online" and "multiscale" KeOps back ends against "tensorized"), gpytorch (exact GPs with the
KeOps RBF / Matern kernels against the plain ones) and falkon-style Genred kernels with out=."""

import warnings

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

import pykeops
from pykeops.torch import Genred


# ------------------------------------------------------------------ geomloss
def sinkhorn(backend, x, y, a, b, blur=0.05, **kw):
    from geomloss import SamplesLoss

    loss = SamplesLoss("sinkhorn", p=2, blur=blur, backend=backend, **kw)(a, x, b, y)
    (gx,) = torch.autograd.grad(loss, [x])
    return loss.item(), gx


def clouds(n=300, m=400, dtype=torch.float64):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 2, generator=g, dtype=dtype).requires_grad_(True)
    y = torch.rand(m, 2, generator=g, dtype=dtype) + 0.3
    a = torch.rand(n, generator=g, dtype=dtype)
    b = torch.rand(m, generator=g, dtype=dtype)
    return x, y, a / a.sum(), b / b.sum()


def rel(u, v):
    return ((u - v).abs().max() / v.abs().max()).item()


def test_geomloss_online_matches_tensorized():
    data = clouds()
    ref_loss, ref_g = sinkhorn("tensorized", *data)
    loss, g = sinkhorn("online", *data)
    assert abs(loss - ref_loss) <= 1e-8 * abs(ref_loss)
    assert rel(g, ref_g) <= 1e-6


def test_geomloss_online_float32():
    data = clouds(dtype=torch.float32)
    ref_loss, ref_g = sinkhorn("tensorized", *data)
    loss, g = sinkhorn("online", *data)
    assert abs(loss - ref_loss) <= 1e-4 * abs(ref_loss)
    assert rel(g, ref_g) <= 1e-3


def test_geomloss_multiscale_matches_tensorized():
    from pykeops_go.torch.generic import generic_red

    data = clouds()
    ref_loss, ref_g = sinkhorn("tensorized", *data)
    # Without truncation the coarse-to-fine scheme converges to nearly the same potentials
    # (geomloss' own difference: pykeops 2.3 gives the very same numbers as we do).
    loss, g = sinkhorn("multiscale", *data, truncate=None)
    assert abs(loss - ref_loss) <= 1e-4 * abs(ref_loss)
    assert rel(g, ref_g) <= 1e-2
    # With geomloss' default truncation and a small blur the fine scale runs block-sparse
    # (ranges) reductions; the truncation is geomloss' approximation.
    ref_loss, ref_g = sinkhorn("tensorized", *data, blur=0.01)
    seen = []
    forward = generic_red._Call.forward

    def spy(self, args):
        seen.append(self.ranges is not None)
        return forward(self, args)

    generic_red._Call.forward = spy
    try:
        loss, g = sinkhorn("multiscale", *data, blur=0.01)
    finally:
        generic_red._Call.forward = forward
    assert any(seen)
    assert abs(loss - ref_loss) <= 1e-2 * abs(ref_loss)
    assert rel(g, ref_g) <= 0.3


# ------------------------------------------------------------------ gpytorch
def train_gp(kernel, steps=3, n=100):
    import gpytorch

    g = torch.Generator().manual_seed(0)
    X = torch.rand(n, 2, generator=g, dtype=torch.float64)
    Y = torch.sin(6 * X[:, 0]) + torch.cos(4 * X[:, 1]) + 0.05 * torch.randn(n, generator=g,
                                                                             dtype=torch.float64)

    class GP(gpytorch.models.ExactGP):
        def __init__(self, likelihood):
            super().__init__(X, Y, likelihood)
            self.mean = gpytorch.means.ConstantMean()
            self.cov = gpytorch.kernels.ScaleKernel(kernel)

        def forward(self, x):
            return gpytorch.distributions.MultivariateNormal(self.mean(x), self.cov(x))

    torch.manual_seed(1)  # the same random probe vectors for both models
    likelihood = gpytorch.likelihoods.GaussianLikelihood().double()
    model = GP(likelihood).double()
    model.train()
    likelihood.train()
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    mll = gpytorch.mlls.ExactMarginalLogLikelihood(likelihood, model)
    losses = []
    # max_cholesky_size(0): gpytorch takes the KeOps path for every size (and CG for both models).
    with gpytorch.settings.max_cholesky_size(0), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            opt.zero_grad()
            loss = -mll(model(X), Y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses, model.cov.base_kernel.lengthscale.detach().clone()


@pytest.mark.parametrize("kind", ["rbf", "matern2.5", "matern0.5", "matern1.5"])
def test_gpytorch_keops_kernels_train_like_the_plain_ones(kind):
    import gpytorch
    from gpytorch.kernels import keops

    if kind == "rbf":
        make_keops, make_plain = (lambda: keops.RBFKernel(ard_num_dims=2),
                                  lambda: gpytorch.kernels.RBFKernel(ard_num_dims=2))
    else:
        nu = float(kind[6:])
        make_keops, make_plain = (lambda: keops.MaternKernel(nu=nu),
                                  lambda: gpytorch.kernels.MaternKernel(nu=nu))
    kl, kls = train_gp(make_keops())
    pl, pls = train_gp(make_plain())
    assert kl[0] != kl[-1]  # it trained
    torch.testing.assert_close(torch.tensor(kl), torch.tensor(pl), rtol=1e-6, atol=0)
    torch.testing.assert_close(kls, pls, rtol=1e-6, atol=0)


def test_gpytorch_keops_kernel_uses_the_shim():
    from gpytorch.kernels.keops import keops_kernel

    assert keops_kernel.LazyTensor.__module__.startswith("pykeops_go.torch")
    assert pykeops.__version__


# ------------------------------------------------------------------ falkon-style Genred
def test_falkon_style_gaussian_kernel_vector_product_with_out():
    """A Genred kernel-vector product into a preallocated out=, as falkon's keops helpers do."""
    formula = "Exp(SqDist(x1 / g, x2 / g) * IntInv(-2)) * v"
    aliases = ["x1 = Vi(3)", "x2 = Vj(3)", "v = Vj(2)", "g = Pm(3)"]
    fn = Genred(formula, aliases, reduction_op="Sum", axis=1, dtype_acc="auto", sum_scheme="auto")
    g = torch.Generator().manual_seed(0)
    x1 = torch.rand(8, 3, generator=g, dtype=torch.float64).requires_grad_(True)
    x2 = torch.rand(6, 3, generator=g, dtype=torch.float64).requires_grad_(True)
    v = torch.rand(6, 2, generator=g, dtype=torch.float64).requires_grad_(True)
    s = torch.tensor([0.5, 0.8, 1.1], dtype=torch.float64).requires_grad_(True)

    def mmv(x1, x2, v, s):
        out = torch.empty(8, 2, dtype=torch.float64)
        res = fn(x1, x2, v, s, out=out, backend="CPU", device_id=-1)
        assert res is out
        return res

    dense = torch.exp(-0.5 * (((x1[:, None] - x2[None]) / s) ** 2).sum(-1)) @ v
    torch.testing.assert_close(mmv(x1, x2, v, s), dense)
    assert gradcheck(mmv, (x1, x2, v, s))
    assert gradgradcheck(mmv, (x1, x2, v, s))
