"""pykeops.torch Genred and generic_* forward passes against dense float64 references.

The references are those of test_genred.py (the formulas evaluated on every
(i, j) pair with NumPy in float64), fed with the same data as tensors.
"""

import warnings

import numpy as np
import pytest
import torch
from conftest import assert_close
from test_genred import ALIASES, CASE_IDS, CASES, VEC, expected, make_data

from pykeops_go.numpy.cluster import from_matrix
from pykeops_go.torch import Genred, generic_argkmin, generic_argmin, generic_logsumexp, generic_sum

TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}


def tensors(data):
    return [torch.from_numpy(np.ascontiguousarray(v)) for v in data]


def genred(case, axis, **kw):
    red, formula, K, formula2 = case
    return Genred(formula, list(ALIASES), reduction_op=red, axis=axis, opt_arg=K, formula2=formula2, **kw)


def check(res, ref, dtype):
    if isinstance(ref, tuple):
        assert isinstance(res, tuple) and len(res) == 2
        check(res[0], ref[0], dtype)
        check(res[1], ref[1], dtype)
    elif ref.dtype == np.int64:
        assert isinstance(res, torch.Tensor) and res.dtype == torch.int64
        np.testing.assert_array_equal(res.numpy(), ref)
    else:
        assert isinstance(res, torch.Tensor) and res.dtype == TORCH_DTYPES[dtype]
        assert_close(res.numpy(), ref, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_reductions(dtype, axis, case):
    data = make_data(7, 5, dtype)
    check(genred(case, axis)(*tensors(data)), expected(case, axis, data), dtype)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("case", [CASES[0], CASES[8], CASES[14], CASES[19]],
                         ids=[CASE_IDS[0], CASE_IDS[8], CASE_IDS[14], CASE_IDS[19]])
def test_batch_broadcast(axis, case):
    data = make_data(6, 4, np.float64, batch_i=(2, 1), batch_j=(1, 3), batch_p=(2, 3))
    check(genred(case, axis)(*tensors(data)), expected(case, axis, data), np.float64)


@pytest.mark.parametrize("axis", [0, 1])
def test_ranges(axis):
    data = make_data(6, 5, np.float64)
    ranges_i = np.array([[0, 3], [3, 6]])
    ranges_j = np.array([[0, 2], [2, 5]])
    keep = np.array([[True, False], [True, True]])
    mask = np.repeat(np.repeat(keep, [3, 3], 0), [2, 3], 1)
    ranges = tuple(torch.from_numpy(r).int() for r in from_matrix(ranges_i, ranges_j, keep))
    res = genred(CASES[0], axis)(*tensors(data), ranges=ranges)
    check(res, expected(CASES[0], axis, data, mask=mask), np.float64)


def test_float16_in_and_out():
    data = make_data(7, 5, np.float32)
    x16 = [t.half() for t in tensors(data)]
    res = genred(CASES[0], 1)(*x16)
    assert res.dtype == torch.float16
    ref = expected(CASES[0], 1, [t.float().numpy() for t in x16])
    np.testing.assert_allclose(res.float().numpy(), ref, rtol=2e-3, atol=2e-3 * np.abs(ref).max())


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
def test_out_is_written_in_place(dtype):
    data = make_data(7, 5, np.float64)
    t = [v.to(dtype) for v in tensors(data)]
    out = torch.full((7, 2), 7.0, dtype=dtype)
    ptr = out.data_ptr()
    res = genred(CASES[0], 1)(*t, out=out)
    assert res is out and out.data_ptr() == ptr
    ref = genred(CASES[0], 1)(*t)
    torch.testing.assert_close(out, ref)


def test_out_for_indices_and_bad_out():
    data = tensors(make_data(7, 5, np.float64))
    out = torch.empty(7, 2, dtype=torch.int64)
    g = genred(CASES[3], 1)  # ArgMin
    assert g(*data, out=out) is out
    np.testing.assert_array_equal(out.numpy(), expected(CASES[3], 1, [d.numpy() for d in data]))
    with pytest.raises(ValueError, match="out must be"):
        genred(CASES[0], 1)(*data, out=torch.empty(7, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="contiguous"):
        genred(CASES[0], 1)(*data, out=torch.empty(2, 7, dtype=torch.float64).t())
    with pytest.raises(TypeError, match="out must be a torch.Tensor"):
        genred(CASES[0], 1)(*data, out=np.empty((7, 2)))


def test_tensors_cross_without_copies():
    """Inputs reach the engine at their data_ptr(); results are the engine's buffers."""
    from pykeops_go.torch import arrays

    t = torch.randn(5, 3, dtype=torch.float64)
    assert arrays.to_numpy(t, "x").ctypes.data == t.data_ptr()
    a = np.empty((4, 2))
    assert arrays.from_numpy(a).data_ptr() == a.ctypes.data


def test_non_contiguous_inputs_warn_and_are_copied(capsys):
    data = make_data(7, 5, np.float64)
    t = tensors(data)
    t[0] = torch.from_numpy(np.asfortranarray(data[0]))
    assert not t[0].is_contiguous()
    res = genred(CASES[0], 1)(*t)
    assert "not contiguous" in capsys.readouterr().out
    check(res, expected(CASES[0], 1, data), np.float64)


def test_device_other_than_cpu_is_refused_naming_the_backend():
    data = tensors(make_data(7, 5, np.float64))
    data[1] = torch.empty(5, 3, dtype=torch.float64, device="meta")
    with pytest.raises(ValueError, match=r"argument 1 is on device meta: .*only the CPU backend"):
        genred(CASES[0], 1)(*data)


def test_bad_arguments_name_the_argument():
    data = tensors(make_data(7, 5, np.float64))
    g = genred(CASES[0], 1)
    with pytest.raises(ValueError, match="Invalid number of arguments"):
        g(*data[:-1])
    with pytest.raises(TypeError, match="argument 2 must be a torch.Tensor"):
        g(data[0], data[1], [1.0], data[3], data[4])
    with pytest.raises(ValueError, match="argument 1 has dtype"):
        g(data[0], data[1].float(), *data[2:])
    with pytest.raises(ValueError, match="bfloat16"):
        g(data[0].bfloat16(), *data[1:])
    with pytest.raises(ValueError, match="argument 0"):
        g(data[0][:, :2].contiguous(), *data[1:])
    with pytest.raises(ValueError, match="backend .GPU. needs a GPU"):
        g(*data, backend="GPU")


def test_generic_helpers():
    x, y = torch.randn(6, 3, dtype=torch.float64), torch.randn(9, 3, dtype=torch.float64)
    d2 = ((x[:, None] - y[None]) ** 2).sum(-1)
    s = generic_sum("SqDist(x, y)", "s = Vi(1)", "x = Vi(3)", "y = Vj(3)")(x, y)
    torch.testing.assert_close(s, d2.sum(1, keepdim=True))
    lse = generic_logsumexp("-SqDist(x, y)", "l = Vj(1)", "x = Vi(3)", "y = Vj(3)")(x, y)
    torch.testing.assert_close(lse, torch.logsumexp(-d2, 0)[:, None])
    am = generic_argmin("SqDist(x, y)", "a = Vi(1)", "x = Vi(3)", "y = Vj(3)")(x, y)
    assert am.dtype == torch.int64
    torch.testing.assert_close(am[:, 0], d2.argmin(1))
    ak = generic_argkmin("SqDist(x, y)", "a = Vi(4)", "x = Vi(3)", "y = Vj(3)")(x, y)
    assert ak.shape == (6, 4) and ak.dtype == torch.int64
    torch.testing.assert_close(ak, d2.argsort(1)[:, :4])


def test_default_axis_is_0_and_deprecated_dtype_warns():
    x, y = torch.randn(6, 3, dtype=torch.float64), torch.randn(9, 3, dtype=torch.float64)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        g = Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], dtype="float32")
    assert w
    assert g(x, y).shape == (9, 1)


def test_grad_disabled_and_arg_reductions_carry_no_graph():
    x = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    y = torch.randn(9, 3, dtype=torch.float64)
    g = Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], axis=1)
    assert g(x, y).requires_grad
    with torch.no_grad():
        assert not g(x, y).requires_grad
    am = Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], reduction_op="ArgKMin", opt_arg=2, axis=1)(x, y)
    assert am.dtype == torch.int64 and not am.requires_grad


def test_install_check(capsys):
    from pykeops.torch.test_install import test_torch_bindings
    assert test_torch_bindings()
    assert "pyKeOps with torch bindings is working!" in capsys.readouterr().out
