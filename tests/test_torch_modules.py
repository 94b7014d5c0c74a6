"""The helper modules of pykeops.torch kept for pykeops' surface: half2_convert,
the cluster submodules, generic_red's device and autodiff checks, torchsolve and
test_install, each against dense torch."""

import pytest
import torch

import pykeops.torch as kt
from pykeops.torch import half2_convert as h2
from pykeops.torch.generic.generic_red import check_AD_supported, set_device


def _emulated_half2_sum(newargs, M2, N2, reduce_argmin=False):
    """What pykeops' half2 kernel computes: lane L of row pair k of x meets lane L of every
    row pair l of the j copy, out[2k+L] = sum_l |x[2k+L] - y'[2l+L]|^2 (or its argmin over
    the rows 2l+L of the j copy), returned in the half2 layout."""
    x, y = (h2.half22half(a) for a in newargs)
    d = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)  # (M2, N2) rows of the two layouts
    lane = torch.arange(M2)[:, None] % 2 == torch.arange(N2)[None, :] % 2
    if reduce_argmin:
        out = torch.where(lane, d, torch.inf).argmin(1).to(x.dtype)[:, None]
    else:
        out = torch.where(lane, d, 0.0).sum(1, keepdim=True)
    return h2.half2half2(out)


@pytest.mark.parametrize("M,N", [(4, 6), (5, 6), (4, 7), (1, 1), (3, 2)])
def test_half2_round_trip_of_a_sum_matches_dense_torch(M, N):
    g = torch.Generator().manual_seed(M * 10 + N)
    x = torch.randn(M, 3, generator=g, dtype=torch.float64)
    y = torch.randn(N, 3, generator=g, dtype=torch.float64)
    newargs, ranges, tag_dummy, n = h2.preprocess_half2([x, y], ["x = Vi(3)", "y = Vj(3)"], 1, None, M, N)
    assert ranges is None and n == N and tag_dummy == (M % 2 == 1)
    M2, N2 = newargs[0].shape[0], newargs[1].shape[0]
    assert M2 == M + M % 2 and N2 == 2 * N
    ref = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    out = h2.postprocess_half2(_emulated_half2_sum(newargs, M2, N2), tag_dummy, "Sum", n)
    torch.testing.assert_close(out, ref.sum(1, keepdim=True), rtol=1e-12, atol=0)
    ind = h2.postprocess_half2(_emulated_half2_sum(newargs, M2, N2, True), tag_dummy, "ArgMin", n)
    assert torch.equal(ind.long().view(-1), ref.argmin(1))


def test_half2_layout_interleaves_row_pairs():
    x = torch.arange(24.0).view(2, 4, 3)  # a batch of 2, 4 rows of 3
    y = h2.half2half2(x)
    pairs = torch.stack((x[:, 0::2], x[:, 1::2]), dim=-1).reshape(2, 2, 6)
    assert torch.equal(y.view(2, 2, 6), pairs)
    assert torch.equal(h2.half22half(y), x)
    with pytest.raises(ValueError, match="even"):
        h2.half2half2(torch.zeros(3, 2))
    with pytest.raises(ValueError, match="half22half"):
        h2.half22half([1.0, 2.0])


def test_make_odd_cat_and_make_even_size():
    y = torch.arange(4.0).view(4, 1)
    cat, n = h2.make_odd_cat(y)
    assert n == 4 and cat.view(-1).tolist() == [0, 1, 2, 3, 3, 0, 1, 2]
    cat, n = h2.make_odd_cat(y[:3])
    assert n == 3 and cat.view(-1).tolist() == [0, 1, 2, 0, 1, 2]
    even, padded = h2.make_even_size(y[:3])
    assert padded and even.view(-1).tolist() == [0, 1, 2, 2]
    even, padded = h2.make_even_size(y)
    assert not padded and even is y


@pytest.mark.parametrize("N,ri,rj,expected_j", [
    (6, [[0, 3], [3, 6]], [[0, 4], [4, 6]], [[0, 4], [4, 6], [3, 6], [5, 6]]),
    (5, [[0, 3], [3, 5]], [[0, 2], [2, 5]], [[0, 2], [2, 5], [2, 4], [3, 5]]),
])
def test_ranges2half2_matches_pykeops(N, ri, rj, expected_j):
    # The expected values are those of pykeops 2.3 on the same input.
    r_i, s_i, red_j = h2.ranges2half2((torch.tensor(ri, dtype=torch.int32), torch.tensor([1, 2], dtype=torch.int32),
                                       torch.tensor(rj, dtype=torch.int32)), N)
    assert r_i.tolist() == [[0, 2], [1, 3]]
    assert s_i.tolist() == [1, 2, 3, 4]
    assert red_j.tolist() == expected_j and red_j.dtype == torch.int32


def test_check_AD_supported():
    for red in ("Min_Reduction(X,0)", "KMin_ArgKMin_Reduction(X,3,0)", "Max_ArgMax_Reduction(X,1)"):
        with pytest.raises(NotImplementedError, match="autodiff"):
            check_AD_supported(red)
    assert check_AD_supported("Sum_Reduction(X,0)") is None
    with pytest.raises(TypeError, match="formula"):
        check_AD_supported(3)


def test_set_device_on_cpu():
    a, b = torch.zeros(2), torch.ones(3)
    assert set_device(0, 0, -1, a, b) == (-1, a.device)
    assert set_device(1, 0, -1, a, b) == (0, a.device)  # pykeops' default GPU id
    assert set_device(1, 1, 2, a) == (2, a.device)
    with pytest.raises(TypeError, match="torch.Tensor"):
        set_device(0, 0, -1, [1.0])


def test_torchsolve_matches_dense_solve():
    g = torch.Generator().manual_seed(0)
    A = torch.randn(5, 5, generator=g, dtype=torch.float64) + 5 * torch.eye(5, dtype=torch.float64)
    B = torch.randn(5, 2, generator=g, dtype=torch.float64)
    X = kt.utils.torchsolve(A, B)
    torch.testing.assert_close(A @ X, B, rtol=1e-12, atol=1e-12)


def test_test_install_checks_its_formula():
    from pykeops.torch import test_install

    x = torch.arange(1, 10, dtype=torch.float64).view(-1, 3)
    y = torch.arange(3, 9, dtype=torch.float64).view(-1, 3)
    ref = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1).sum(0)
    assert ref.tolist() == test_install.expected_res
    assert test_install.formula == "SqNorm2(x - y)" and test_install.var == ["x = Vi(3)", "y = Vj(3)"]
    assert test_install.test_torch_bindings() is True
    import pykeops

    assert pykeops.test_torch_bindings is test_install.test_torch_bindings


def test_cluster_submodules_hold_the_functions():
    import sys

    from pykeops.torch import cluster

    # The name is the function; its module of the same name holds it.
    assert sys.modules["pykeops.torch.cluster.grid_cluster"].grid_cluster is cluster.grid_cluster
    assert type(cluster.grid_cluster).__name__ == "function"
    assert cluster.matrix.from_matrix is cluster.from_matrix
    assert cluster.utils.sort_clusters is cluster.sort_clusters
    assert kt.utils.torch_swap_axes is cluster.swap_axes
    x = torch.tensor([[0.0], [0.3], [2.1], [2.2]])
    assert cluster.grid_cluster(x, 1.0).tolist() == [0, 0, 1, 1]
