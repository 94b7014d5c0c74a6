"""Property-based tests (hypothesis) of pykeops.torch: random reductions over
tensors of random shapes, dtypes (float16 / 32 / 64), layouts (transposed,
sliced, permuted, with a storage offset), batch dimensions, block-sparse
ranges, ``out=``, ``requires_grad`` and calls from several Python threads.
Every call must match dense NumPy (float64, the semantics of
docs/differences.md), its gradient must match dense torch autograd in
float64 (Sum, LogSumExp), and every bad input must raise ValueError /
TypeError naming the argument. Each example runs in a
worker process (tests/case_worker.py) under a timeout: a crash or a hang
fails the example, not the test run. Then the fork case: torch DataLoader
workers (the default fork start method) that call a reduction.

PYKEOPS_GO_TORCH_PROPERTY_EXAMPLES sets the number of examples (default
400); the examples are the same at every run unless PYKEOPS_GO_PROPERTY_RANDOM
is set.
"""

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import test_properties
from test_properties import FORMULAS, WEIGHTS, block_ranges, check_result, dense_formula
from reduction_semantics import reference

EXAMPLES = int(os.environ.get("PYKEOPS_GO_TORCH_PROPERTY_EXAMPLES", "400"))
DERANDOMIZE = not os.environ.get("PYKEOPS_GO_PROPERTY_RANDOM")
CASE_WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "case_worker.py")

REDUCTIONS = ["Sum", "Sum", "LogSumExp", "Min", "Max", "ArgMin", "ArgMax", "Min_ArgMin", "KMin", "ArgKMin",
              "KMin_ArgKMin", "SumSoftMaxWeight"]
LSE = {"LogSumExp", "SumSoftMaxWeight"}
GRADIENT = {"Sum", "LogSumExp"}
BAD = [None] * 14 + ["columns", "rows", "dtype", "int", "ndarray", "count", "out_shape", "out_dtype",
                    "out_type", "out_noncontig", "ranges_count", "ranges_dtype", "ranges_bounds"]


class CaseWorker(test_properties.Worker):
    def start(self):
        self.proc = subprocess.Popen([sys.executable, CASE_WORKER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)


@pytest.fixture(scope="module")
def worker():
    w = CaseWorker()
    yield w
    w.stop()


@st.composite
def cases(draw):
    red = draw(st.sampled_from(REDUCTIONS))
    name = draw(st.sampled_from(["sqdist", "gauss"] if red in LSE else ["sqdist", "gauss", "prod", "sin"]))
    D, E = draw(st.integers(1, 3)), (1 if red in LSE else draw(st.integers(1, 3)))
    M, N = draw(st.integers(1, 30)), draw(st.integers(1, 30))
    nbatch = draw(st.integers(0, 2)) if draw(st.booleans()) else 0
    grad = red in GRADIENT and draw(st.booleans())
    return dict(red=red, name=name, D=D, E=E, M=M, N=N, axis=draw(st.integers(0, 1)),
                dtype=np.dtype("float64" if grad else draw(st.sampled_from(["float16", "float32", "float64"]))),
                batch=tuple(draw(st.integers(1, 3)) for _ in range(nbatch)),
                use_ranges=nbatch == 0 and draw(st.integers(0, 3)) == 0,
                weight="b" if red == "SumSoftMaxWeight" else None,
                K=draw(st.integers(1, 4)) if "KMin" in red else None,
                layouts=[draw(st.sampled_from(["c", "c", "transposed", "sliced", "offset", "permuted"]))
                         for _ in range(4)],
                grad=grad, out=not grad and draw(st.integers(0, 3)) == 0, warm=draw(st.booleans()),
                bad=draw(st.sampled_from(BAD)), bad_arg=draw(st.integers(0, 2)),
                threads=draw(st.integers(1, 3)), py_threads=draw(st.sampled_from([1, 1, 1, 4])),
                seed=draw(st.integers(0, 2**32 - 1)))


# ------------------------------------------------------------------ in the worker

def with_layout(t, layout):
    """The tensor t with the same values in another memory layout (never contiguous unless c)."""
    import torch
    if layout == "c" or t.ndim < 2 or t.shape[-1] < 2 or t.shape[-2] < 2:
        if layout == "offset":  # a view that starts inside a larger storage
            return torch.cat([t.new_zeros((1,)), t.reshape(-1)])[1:].view(t.shape)
        return t
    if layout == "transposed":
        return t.transpose(-1, -2).contiguous().transpose(-1, -2)
    if layout == "sliced":
        big = t.new_zeros(t.shape[:-1] + (2 * t.shape[-1] + 1,))
        big[..., 1::2] = t
        return big[..., 1::2]
    if layout == "offset":
        return torch.cat([t.new_zeros((3,)), t.reshape(-1)])[3:].view(t.shape)
    if layout == "permuted" and t.ndim >= 3:
        return t.permute(*range(t.ndim - 3), -2, -3, -1).contiguous().permute(*range(t.ndim - 3), -2, -3, -1)
    return t.transpose(-1, -2).contiguous().transpose(-1, -2)


def dense_torch(name, x, y, b, p):
    """F on every (i, j) pair, in torch (differentiable)."""
    xi, yj, bj, pp = x[..., :, None, :], y[..., None, :, :], b[..., None, :, :], p[..., None, None, :]
    d2 = ((xi - yj) ** 2).sum(-1, keepdim=True)
    if name == "gauss":
        return (-d2).exp() * bj
    if name == "prod":
        return xi * yj + pp
    if name == "sin":
        return (xi - yj).sin() * pp
    assert name == "sqdist", name
    return d2 * pp


def expect_raises(call, kinds, words):
    try:
        call()
    except kinds as err:
        msg = str(err)
        assert any(w in msg for w in words), f"{type(err).__name__} without {words}: {msg}"
        return
    raise AssertionError(f"no {kinds} raised (expected a message with {words})")


def run_case(c):
    import torch
    import pykeops_go
    from pykeops.torch import Genred

    pykeops_go.set_num_threads(c["threads"])
    rng = np.random.default_rng(c["seed"])
    tdt = {np.dtype("float16"): torch.float16, np.dtype("float32"): torch.float32,
           np.dtype("float64"): torch.float64}[c["dtype"]]
    shape = lambda rows, d: tuple(int(rng.choice([1, s])) for s in c["batch"]) + (rows, d)  # noqa: E731
    M, N, D, E = c["M"], c["N"], c["D"], c["E"]
    arrays = [rng.uniform(-1.5, 1.5, shape(M, D)), rng.uniform(-1.5, 1.5, shape(N, D)),
              rng.uniform(-1.5, 1.5, shape(N, E)),
              rng.uniform(0.5, 1.5, tuple(int(rng.choice([1, s])) for s in c["batch"]) + (1,))]
    arrays = [a.astype(c["dtype"]) for a in arrays]
    aliases = [f"x=Vi({D})", f"y=Vj({D})", f"b=Vj({E})", "p=Pm(1)"]
    kw = dict(reduction_op=c["red"], axis=c["axis"])
    if c["K"]:
        kw["opt_arg"] = c["K"]
    if c["weight"]:
        kw["formula2"] = c["weight"]
    g = Genred(FORMULAS[c["name"]][0], aliases, **kw)
    mask, call_kw = None, {}
    if c["use_ranges"]:
        ranges_np, mask = block_ranges(M, N, rng)
        call_kw["ranges"] = tuple(torch.from_numpy(np.ascontiguousarray(r)) for r in ranges_np)
    x64, y64, b64, p64 = (a.astype(np.float64) for a in arrays)
    F = dense_formula(c["name"], x64, y64, b64, p64)
    G = None
    if c["weight"] is not None:
        G = np.broadcast_to(WEIGHTS[c["weight"]](x64[..., :, None, :], y64[..., None, :, :], b64[..., None, :, :],
                                                 p64), F.shape[:-1] + (E,))
    vals, idx = reference(c["red"], F, G, c["K"], c["axis"], mask)
    base = [torch.from_numpy(a.copy()) for a in arrays]
    tensors = [with_layout(t, lay) for t, lay in zip(base, c["layouts"])]
    for t, t0 in zip(tensors, base):
        assert torch.equal(t, t0)

    if c["warm"]:  # the same shapes in contiguous tensors first: later calls may take the fast path
        check_result(to_numpy(g(*base, **call_kw)), c, F, vals, idx)

    bad, k = c["bad"], c["bad_arg"]
    if bad is not None:
        args = list(tensors)
        kinds, words = (ValueError,), [f"argument {k}"]
        extra = {}
        if bad == "columns":
            args[k] = torch.cat([args[k], args[k][..., :1]], -1)
        elif bad == "rows":
            k = 2 if k == 1 else k  # y against b, or b against y, or x (alone on i: dropped rows are fine)
            if k == 0:
                args[1] = args[1][..., :-1, :] if N > 1 else torch.cat([args[1], args[1]], -2)
                words = ["argument 1", "argument 2"]
            else:
                args[k] = args[k][..., :-1, :] if N > 1 else torch.cat([args[k], args[k]], -2)
                words = ["argument 1", "argument 2"]
        elif bad == "dtype":
            args[k] = args[k].to(torch.float64 if tdt != torch.float64 else torch.float32)
            words = ["argument", "dtype"]
        elif bad == "int":
            args[k] = (args[k] * 10).to(torch.int32)
            kinds = (ValueError, TypeError)
        elif bad == "ndarray":
            args[k] = args[k].numpy()
            kinds = (TypeError,)
        elif bad == "count":
            args = args[:3]
            words = ["number of arguments"]
        elif bad.startswith("ranges") and c["batch"]:
            args[k] = torch.cat([args[k], args[k][..., :1]], -1)  # ranges and batch dimensions: columns instead
        elif bad.startswith("ranges"):
            r = [torch.from_numpy(np.ascontiguousarray(a)) for a in block_ranges(M, N, rng)[0]]
            words = ["ranges"]
            if bad == "ranges_count":
                r = r[:5]
            elif bad == "ranges_dtype":
                r[3] = r[3].to(tdt)
                kinds = (ValueError, TypeError)
            else:  # blocks past M and N (an axis reads only its half of the six arrays)
                r[0], r[3] = r[0] + M, r[3] + N
            extra["ranges"] = tuple(r)
            call_kw = {}
        else:
            ref = g(*base, **call_kw)
            ref = ref[0] if isinstance(ref, tuple) else ref
            words = ["out"]
            if bad == "out_noncontig" and (ref.ndim < 2 or ref.shape[-1] < 2 or ref.shape[-2] < 2):
                bad = "out_shape"  # torch calls every layout of a (1, n) or (n, 1) tensor contiguous
            if bad == "out_shape":
                extra["out"] = ref.new_zeros(ref.shape[:-1] + (ref.shape[-1] + 1,))
            elif bad == "out_dtype":
                extra["out"] = ref.to(torch.float64 if ref.dtype != torch.float64 else torch.float32)
                kinds = (ValueError, TypeError)
            elif bad == "out_type":
                extra["out"] = ref.numpy().copy()
                kinds = (TypeError,)
            elif bad == "out_noncontig":
                extra["out"] = ref.new_zeros(ref.shape).transpose(-1, -2).contiguous().transpose(-1, -2)
                assert not extra["out"].is_contiguous()
        expect_raises(lambda: g(*args, **call_kw, **extra), kinds, words)
        return "raised"

    if c["out"]:
        first = g(*base, **call_kw)
        if not isinstance(first, tuple) and first.dtype.is_floating_point:
            out = torch.full_like(first, float("nan"))
            res = g(*tensors, **call_kw, out=out)
            assert res is out or res.data_ptr() == out.data_ptr(), "out= not returned"
            check_result(to_numpy(out), c, F, vals, idx)
            return "out"

    if c["grad"]:
        leaves = [t.detach().clone().requires_grad_(True) for t in base]  # the parameter p too
        laid = [with_layout(t, lay) for t, lay in zip(leaves, c["layouts"])]
        res = g(*laid, **call_kw)
        check_result(to_numpy(res.detach()), c, F, vals, idx)
        w = torch.from_numpy(rng.uniform(-1, 1, tuple(res.shape)))
        grads = torch.autograd.grad((res * w).sum(), leaves)
        # dense torch autograd on the same leaves
        ref_leaves = [t.detach().clone().requires_grad_(True) for t in base]
        Ft = dense_torch(c["name"], *ref_leaves)
        bshape = torch.broadcast_shapes(*(t.shape[:-2] for t in base[:3]), base[3].shape[:-1])
        Ft = Ft.broadcast_to(bshape + (M, N, Ft.shape[-1]))  # the batch of b or p even where F ignores it
        red_dim = -3 if c["axis"] == 0 else -2
        if mask is not None:
            mk = torch.from_numpy(mask)[:, :, None]
            Ft = torch.where(mk, Ft, torch.tensor(0.0 if c["red"] == "Sum" else -np.inf, dtype=Ft.dtype))
        dense = Ft.sum(red_dim) if c["red"] == "Sum" else Ft.logsumexp(red_dim)
        assert dense.shape == res.shape, (dense.shape, res.shape)
        keep = torch.isfinite(dense)  # an empty LogSumExp row (-inf) has no gradient
        want = torch.autograd.grad((torch.where(keep, dense, 0) * w).sum(), ref_leaves, allow_unused=True)
        for n, (gg, ww) in enumerate(zip(grads, want)):
            ww = torch.zeros_like(gg) if ww is None else ww
            assert gg.shape == ww.shape, (n, gg.shape, ww.shape)
            scale = max(1.0, float(ww.abs().max())) if ww.numel() else 1.0
            err = float((gg - ww).abs().max()) / scale if ww.numel() else 0.0
            assert err <= 1e-10, f"gradient of argument {n}: relative error {err:.3g}"
        return "grad"

    check_result(to_numpy(g(*tensors, **call_kw)), c, F, vals, idx)
    if c["py_threads"] == 1:
        check_result(to_numpy(g(*tensors, **call_kw)), c, F, vals, idx)  # the same layout again
        return "value"
    with ThreadPoolExecutor(c["py_threads"]) as pool:  # the same call from several Python threads at once
        futures = [pool.submit(g, *tensors, **call_kw) for _ in range(c["py_threads"])]
        for f in futures:
            check_result(to_numpy(f.result()), c, F, vals, idx)
    return "threads"


def to_numpy(res):
    import torch
    if isinstance(res, tuple):
        return tuple(to_numpy(r) for r in res)
    assert isinstance(res, torch.Tensor), type(res)
    return res.numpy()


# ------------------------------------------------------------------ the tests

@settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(c=cases())
def test_random_tensor_calls_match_dense(worker, c):
    reply = worker.request(("test_torch_properties", "run_case", c))
    assert reply[0] == "ok", reply[2]


DATALOADER = """
import numpy as np
import torch
import pykeops_go
from pykeops.torch import Genred

pykeops_go.set_num_threads(2)
g = Genred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"], reduction_op="Sum", axis=1)
gen = torch.Generator().manual_seed(0)
y, b = torch.rand(1000, 3, generator=gen, dtype=torch.float64), torch.rand(1000, 1, generator=gen, dtype=torch.float64)
xs = torch.rand(8, 500, 3, generator=gen, dtype=torch.float64)

def dense(x):
    return torch.exp(-((x[:, None] - y[None]) ** 2).sum(-1)) @ b

assert torch.allclose(g(xs[0], y, b), dense(xs[0]), rtol=1e-12)  # the engine has run before the fork

class Data(torch.utils.data.Dataset):
    def __len__(self):
        return len(xs)
    def __getitem__(self, k):
        return k, g(xs[k], y, b)

import multiprocessing as mp
assert mp.get_start_method() == "fork"
loader = torch.utils.data.DataLoader(Data(), batch_size=2, num_workers=2)
seen = 0
for ks, res in loader:
    for k, r in zip(ks.tolist(), res):
        err = float((r - dense(xs[k])).abs().max() / dense(xs[k]).abs().max())
        assert err < 1e-12, (k, err)
        seen += 1
assert seen == len(xs), seen
assert torch.allclose(g(xs[1], y, b), dense(xs[1]), rtol=1e-12)  # the parent still works
print("ok")
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_dataloader_fork_workers_run_reductions():
    p = subprocess.Popen([sys.executable, "-c", DATALOADER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        pytest.fail("the DataLoader did not finish within 120 s (hang)")
    assert p.returncode == 0 and out.strip() == "ok", out + err
