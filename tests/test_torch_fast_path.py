"""pykeops.torch Genred calls of shapes already checked (its plans) against dense references.

As test_fast_path.py, for tensors: after a good call, a call that differs in one way is
still checked or computed like the dense float64 NumPy reference, and a call that needs
autograd still gets it.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from conftest import assert_close
from test_fast_path import ALIASES, FORMULA, data, gauss_ref

from pykeops_go.torch import Genred


def tensors(*arrays):
    return tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in arrays)


@pytest.fixture
def gauss():
    g = Genred(FORMULA, list(ALIASES), axis=1)
    x, y, b = data()
    assert_close(g(*tensors(x, y, b)).numpy(), gauss_ref(x, y, b), np.float64)
    assert g._fast
    return g


def test_repeated_calls_read_new_values(gauss):
    x, y, b = tensors(*data(seed=1))
    for _ in range(3):
        assert_close(gauss(x, y, b).numpy(), gauss_ref(x, y, b), np.float64)
        x += 0.5
        b *= -2
    r1, r2 = gauss(x, y, b), gauss(x, y, b)
    assert isinstance(r1, torch.Tensor) and r1.data_ptr() != r2.data_ptr()


def test_another_dtype_and_sizes(gauss):
    x, y, b = data(4, 7, dtype=np.float32, seed=2)
    for _ in range(2):
        res = gauss(*tensors(x, y, b))
        assert res.dtype == torch.float32
        assert_close(res.numpy(), gauss_ref(x, y, b), np.float32)


def test_wrong_inputs_name_the_argument(gauss):
    x, y, b = tensors(*data(seed=3))
    with pytest.raises(ValueError, match="argument 1 has dtype float32 but argument 0 has float64"):
        gauss(x, y.float(), b)
    with pytest.raises(ValueError, match=r"argument 2 \(Vj\) has 9 rows but argument 1 has 10"):
        gauss(x, y, b[:9])
    with pytest.raises(TypeError, match="argument 1 must be a torch.Tensor, got ndarray"):
        gauss(x, y.numpy(), b)
    assert_close(gauss(x, y, b).numpy(), gauss_ref(x, y, b), np.float64)


def test_non_contiguous_is_copied_with_a_warning(gauss, capsys):
    x, y, b = data(seed=4)
    yt = torch.from_numpy(np.concatenate([y, y], axis=1))[:, :3]
    assert not yt.is_contiguous()
    for _ in range(2):  # never a plan: each call copies, and says so
        res = gauss(*tensors(x), yt, *tensors(b))
        assert "input tensors is not contiguous" in capsys.readouterr().out
        assert_close(res.numpy(), gauss_ref(x, y, b), np.float64)


def test_requires_grad_after_a_planned_call(gauss):
    x, y, b = data(seed=5)
    xt, yt, bt = tensors(x, y, b)
    gauss(xt, yt, bt)
    xt.requires_grad_(True)
    res = gauss(xt, yt, bt)
    assert res.grad_fn is not None
    res.sum().backward()
    # d/dx_i sum_j exp(-|x_i - y_j|^2) b_j = sum_j -2 (x_i - y_j) exp(...) b_j
    diff = x[:, None, :] - y[None]
    k = np.exp(-(diff ** 2).sum(-1))
    ref = (-2 * diff * (k * b[:, 0][None])[..., None]).sum(1)
    assert_close(xt.grad.numpy(), ref, np.float64)
    with torch.no_grad():
        assert gauss(xt, yt, bt).grad_fn is None


def test_out(gauss):
    x, y, b = data(seed=6)
    out = torch.full((10, 1), float("nan"), dtype=torch.float64)
    assert gauss(*tensors(x, y, b), out=out) is out
    assert_close(out.numpy(), gauss_ref(x, y, b), np.float64)
    with pytest.raises(ValueError, match="out must be"):
        gauss(*tensors(x, y, b), out=torch.zeros((9, 1), dtype=torch.float64))


def test_forked_child_runs_planned_calls():
    """In a process forked after a planned call, the plan's calls go to the child's engine
    process (common/fork_helper.py), with the tensors' memory."""
    src = textwrap.dedent("""
        import os
        import numpy as np
        import torch
        from pykeops_go.torch import Genred
        g = Genred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"], axis=1)
        rng = np.random.default_rng(0)
        x, y, b = (torch.from_numpy(rng.random(s)) for s in ((10, 3), (10, 3), (10, 1)))
        ref = np.exp(-((x.numpy()[:, None] - y.numpy()[None]) ** 2).sum(-1)) @ b.numpy()
        assert np.allclose(g(x, y, b).numpy(), ref, rtol=1e-12, atol=0)  # the plan, in the parent
        pid = os.fork()
        if pid == 0:
            ok = all(np.allclose(g(x, y, b).numpy(), ref, rtol=1e-12, atol=0) for _ in range(3))
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, "the child's results differ"
        print("ok")
    """)
    p = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stdout + p.stderr
