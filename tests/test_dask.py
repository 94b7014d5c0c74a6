"""pykeops_go.dask on a real dask.distributed LocalCluster (2 worker processes on 127.0.0.1).

Every reduction family, both axes, float32 / float64, uneven chunks along i
and j: the result must equal the single-process engine (bit for bit for the
Min / Max / Arg families) and the dense float64 NumPy reference. Then ranges,
batch dimensions, LazyTensor, KernelSolve, bad inputs, and a worker killed
while a reduction runs.
"""

import os
import signal
import time

import dask
import dask.array as da
import distributed  # installed by the Makefile (DASK_DEPS): a missing one fails, never skips
import numpy as np
import pytest

from conftest import assert_close
from pykeops_go import dask as kd
from pykeops_go.numpy import Genred as NumpyGenred
from pykeops_go.numpy import KernelSolve as NumpyKernelSolve
from pykeops_go.numpy import LazyTensor as NumpyLazyTensor
from pykeops_go.numpy.cluster import from_matrix


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 single-threaded worker processes, torn down after the module.

    The workers load the Go extension, whose runtime does not survive a fork:
    they must be spawned (distributed's default, asserted here).
    """
    assert dask.config.get("distributed.worker.multiprocessing-method") == "spawn"
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    c = distributed.Client(cluster)
    try:
        # A worker that cannot start (e.g. it imports another build of the package) must
        # fail the tests here, not leave every computation waiting for workers.
        c.wait_for_workers(2, timeout=120)
        yield c
    finally:
        c.close()
        cluster.close()


M, N, D = 700, 1300, 3
# Uneven chunks; those of the reduced axis are moved to multiples of 256 (4 chunks for N).
CHUNKS_M = (100, 380, 220)
CHUNKS_N = (300, 500, 137, 363)


def data(dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((M, D)).astype(dtype)
    y = rng.standard_normal((N, D)).astype(dtype)
    bi = rng.random((M, 2)).astype(dtype)
    bj = rng.random((N, 2)).astype(dtype)
    return x, y, bi, bj


def chunked(a, rows):
    return da.from_array(a, chunks=(rows, a.shape[1]))


# ------------------------------------------------------- dense references
def pair_values(formula, x, y, axis):
    """F as a float64 (outer, reduced, dim) array."""
    x, y = x.astype(np.float64), y.astype(np.float64)
    if formula == "SqDist":
        f = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1, keepdims=True)
    elif formula == "negSqDist":
        f = -((x[:, None, :] - y[None, :, :]) ** 2).sum(-1, keepdims=True)
    else:  # "x-y"
        f = x[:, None, :] - y[None, :, :]
    return f if axis == 1 else f.transpose(1, 0, 2)


def check_indices(idx, f, want_vals, dtype):
    """F at the returned indices equals the reference extrema (exact ties may pick any)."""
    o = np.arange(f.shape[0])[:, None]
    at = np.stack([f[o, idx[..., c], c] for c in range(f.shape[2])], -1) if idx.ndim == 3 else \
        f[o, idx, 0]
    assert_close(at.reshape(want_vals.shape), want_vals, dtype)


REDUCTIONS = ["Sum", "Min", "Max", "ArgMin", "ArgMax", "Min_ArgMin", "Max_ArgMax", "KMin", "ArgKMin",
              "KMin_ArgKMin", "KMin_ArgKMin/vector", "LogSumExp", "LogSumExp/weight", "LogSumExpWeight",
              "Max_SumShiftExp", "Max_SumShiftExpWeight", "SumSoftMaxWeight"]


def case(name, axis):
    """(formula, aliases, reduction_op, opt_arg, formula2, F name for the reference, uses weight)."""
    red, _, variant = name.partition("/")
    w = "bj" if axis == 1 else "bi"
    aliases = ["x=Vi(3)", "y=Vj(3)", "bi=Vi(2)", "bj=Vj(2)"]
    if red == "Sum":
        return "Exp(-SqDist(x,y))*" + w, aliases, red, None, None, "sum", True
    if red in ("Min", "Max", "ArgMin", "ArgMax", "Min_ArgMin", "Max_ArgMax"):
        return "SqDist(x,y)", aliases, red, None, None, "SqDist", False
    if red in ("KMin", "ArgKMin", "KMin_ArgKMin"):
        if variant == "vector":
            return "x-y", aliases, red, 4, None, "x-y", False
        return "SqDist(x,y)", aliases, red, 5, None, "SqDist", False
    weighted = variant == "weight" or red in ("LogSumExpWeight", "Max_SumShiftExpWeight", "SumSoftMaxWeight")
    return "-SqDist(x,y)", aliases, red, None, w if weighted else None, "negSqDist", weighted


def reference(name, axis, x, y, bi, bj):
    f_src, _, red, k, _, fname, weighted = case(name, axis)
    w = (bj if axis == 1 else bi).astype(np.float64)
    if red == "Sum":
        f = pair_values("negSqDist", x, y, axis)
        return (np.exp(f) * w[None, :, :]).sum(1), None, None
    f = pair_values(fname, x, y, axis)
    if red in ("Min", "ArgMin", "Min_ArgMin"):
        return f.min(1), f, None
    if red in ("Max", "ArgMax", "Max_ArgMax"):
        return f.max(1), f, None
    if red in ("KMin", "ArgKMin", "KMin_ArgKMin"):
        s = np.sort(f, axis=1)[:, :k, :]
        return (s[..., 0] if f.shape[2] == 1 else s), f, None
    g = w[None, :, :] if weighted else np.ones((1, f.shape[1], 1))
    m = f.max(1)
    s = (np.exp(f - m[:, None, :]) * g).sum(1)
    if red == "LogSumExp":
        return m + np.log(s), None, None
    if red == "SumSoftMaxWeight":
        return s / np.exp(f - m[:, None, :]).sum(1), None, None
    return np.concatenate([m, s], 1), None, None


EXACT = ("Min", "Max", "ArgMin", "ArgMax", "Min_ArgMin", "Max_ArgMax", "KMin", "ArgKMin", "KMin_ArgKMin")


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions(client, name):
    # Both axes and both dtypes in one computation (one round trip to the cluster).
    graphs, runs = [], []
    for axis in (1, 0):
        for dtype in (np.float32, np.float64):
            x, y, bi, bj = data(dtype)
            formula, aliases, red, k, f2, _, _ = case(name, axis)
            g = kd.Genred(formula, aliases, reduction_op=red, axis=axis, opt_arg=k, formula2=f2, split_every=2)
            args = (chunked(x, CHUNKS_M), chunked(y, CHUNKS_N), chunked(bi, CHUNKS_M), chunked(bj, CHUNKS_N))
            out = g(*args)
            outs = out if isinstance(out, tuple) else (out,)
            for o in outs:  # chunked like the output axis of the inputs
                assert isinstance(o, da.Array)
                assert o.chunks[0] == (CHUNKS_M if axis == 1 else CHUNKS_N)
            graphs.append(outs)
            runs.append((axis, dtype, red, (x, y, bi, bj),
                         NumpyGenred(formula, aliases, reduction_op=red, axis=axis, opt_arg=k, formula2=f2)))
    results = dask.compute(*graphs)
    for got, (axis, dtype, red, arrays, single_genred) in zip(results, runs):
        single = single_genred(*arrays)
        singles = single if isinstance(single, tuple) else (single,)
        for gv, sv in zip(got, singles):
            assert gv.shape == sv.shape and gv.dtype == sv.dtype
            if red in EXACT:
                np.testing.assert_array_equal(gv, sv)  # bit for bit with the single pass
            else:
                assert_close(gv, sv, dtype)
        want, f, _ = reference(name, axis, *arrays)
        vals = got[0] if "Arg" not in red or "_" in red else None
        idx = got[-1] if "Arg" in red else None
        if vals is not None:
            assert_close(vals, want, dtype)
        if idx is not None:
            check_indices(idx, f, want, dtype)


def test_numpy_inputs_and_chunks(client):
    x, y, bi, bj = data(np.float64, seed=1)
    g = kd.Genred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(2)"], reduction_op="Sum", axis=1)
    out = g(x, y, bj, chunks=300)
    assert out.chunks[0] == (300, 300, 100)
    assert_close(out.compute(), NumpyGenred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(2)"],
                                            reduction_op="Sum", axis=1)(x, y, bj), np.float64)
    # A dask Vi argument fixes the chunks of the NumPy Vi ones.
    g2 = kd.Genred("SqDist(x,y)+SqNorm2(c)", ["x=Vi(3)", "y=Vj(3)", "c=Vi(2)"], reduction_op="ArgMin", axis=1)
    out = g2(chunked(x, (350, 350)), chunked(y, (650, 650)), bi)
    assert out.chunks[0] == (350, 350)
    want = NumpyGenred("SqDist(x,y)+SqNorm2(c)", ["x=Vi(3)", "y=Vj(3)", "c=Vi(2)"], reduction_op="ArgMin",
                       axis=1)(x, y, bi)
    np.testing.assert_array_equal(out.compute(), want)
    f = pair_values("SqDist", x, y, 1)[..., 0] + (bi.astype(np.float64) ** 2).sum(1)[:, None]
    np.testing.assert_array_equal(want[:, 0], f.argmin(1))


def test_parameters_and_empty(client):
    x, y, _, bj = data(np.float32, seed=2)
    p = np.array([0.5], dtype=np.float32)
    g = kd.Genred("Exp(-p*SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(2)", "p=Pm(1)"], axis=1)
    out = g(chunked(x, (400, 300)), chunked(y, (700, 600)), chunked(bj, (700, 600)), p).compute()
    d = pair_values("SqDist", x, y, 1)[..., 0]
    assert_close(out, np.exp(-0.5 * d) @ bj.astype(np.float64), np.float32)
    # An empty reduced axis: the neutral element, as in the single pass.
    out = g(x, y[:0], bj[:0], p).compute()
    np.testing.assert_array_equal(out, np.zeros((M, 2), np.float32))


@pytest.mark.parametrize("axis", [1, 0])
def test_ranges(client, axis):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((600, 3)), rng.standard_normal((900, 3))
    # Row blocks of 100 i and 150 j, a random block mask (some rows reduce over nothing).
    mask = rng.random((6, 6)) < 0.4
    ranges_i = np.array([[100 * b, 100 * (b + 1)] for b in range(6)])
    ranges_j = np.array([[150 * b, 150 * (b + 1)] for b in range(6)])
    ranges = from_matrix(ranges_i, ranges_j, mask)
    for red in ("Sum", "ArgMin", "KMin_ArgKMin"):
        k = 3 if "KMin" in red else None
        args = ("Exp(-SqDist(x,y))" if red == "Sum" else "SqDist(x,y)", ["x=Vi(3)", "y=Vj(3)"])
        g = kd.Genred(*args, reduction_op=red, axis=axis, opt_arg=k)
        single = NumpyGenred(*args, reduction_op=red, axis=axis, opt_arg=k)(x, y, ranges=ranges)
        out = g(chunked(x, (250, 150, 200)), chunked(y, (400, 300, 200)), ranges=ranges)
        got = dask.compute(*(out if isinstance(out, tuple) else (out,)))
        singles = single if isinstance(single, tuple) else (single,)
        # The chunks cut the spans of the blocks at other points than their starts, which puts
        # terms in other vector lanes: values within rounding, indices exact.
        for gv, sv in zip(got, singles):
            if gv.dtype == np.int64:
                np.testing.assert_array_equal(gv, sv)
            else:
                assert_close(gv, sv, np.float64)
        if red == "Sum":  # the dense reference, masked by blocks
            full = np.kron(mask, np.ones((100, 150))).astype(bool)
            kmat = np.exp(-pair_values("SqDist", x, y, 1)[..., 0]) * full
            assert_close(got[0][:, 0], kmat.sum(1) if axis == 1 else kmat.sum(0), np.float64)


def test_batch(client):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 500, 3))
    y = rng.standard_normal((1, 800, 3))
    b = rng.random((2, 800, 1))
    g = kd.Genred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"], axis=1)
    xd = da.from_array(x, chunks=(2, 200, 3))
    yd, bd = da.from_array(y, chunks=(1, 300, 3)), da.from_array(b, chunks=(1, 300, 1))
    out = g(xd, yd, bd)
    assert out.shape == (2, 500, 1)
    d = ((x[:, :, None, :] - y[:, None, :, :]) ** 2).sum(-1)
    assert_close(out.compute(), np.exp(-d) @ b, np.float64)
    knn = kd.Genred("SqDist(x,y)", ["x=Vi(3)", "y=Vj(3)"], reduction_op="ArgKMin", axis=1, opt_arg=4)
    got = knn(xd, yd).compute()
    np.testing.assert_array_equal(got, NumpyGenred("SqDist(x,y)", ["x=Vi(3)", "y=Vj(3)"], reduction_op="ArgKMin",
                                                   axis=1, opt_arg=4)(x, y))
    np.testing.assert_array_equal(got, np.argsort(d, axis=-1, kind="stable")[..., :4])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lazytensor(client, dtype):
    x, y, _, bj = data(dtype, seed=5)
    xd, yd = chunked(x, (300, 400)), chunked(y, (600, 700))
    x_i, y_j = kd.LazyTensor(xd[:, None, :]), kd.LazyTensor(yd[None, :, :])
    K = (-((x_i - y_j) ** 2).sum(-1)).exp()
    out = K @ chunked(bj, (600, 700))
    assert isinstance(out, da.Array) and out.shape == (M, 2)
    nx, ny = NumpyLazyTensor(x[:, None, :]), NumpyLazyTensor(y[None, :, :])
    single = (-((nx - ny) ** 2).sum(-1)).exp() @ bj
    assert_close(out.compute(), single, dtype)
    assert_close(out.compute(), np.exp(pair_values("negSqDist", x, y, 1)[..., 0]) @ bj.astype(np.float64), dtype)
    knn = ((x_i - y_j) ** 2).sum(-1).argKmin(6, dim=0)  # over i: indexed by j
    np.testing.assert_array_equal(knn.compute(), ((nx - ny) ** 2).sum(-1).argKmin(6, dim=0))
    vec = K @ bj[:, 0]
    assert vec.shape == (M,)
    assert_close(vec.compute(), single[:, 0], dtype)
    lse = kd.Vi(xd).sqdist(kd.Vj(y)).logsumexp(axis=1)
    assert_close(lse.compute(), NumpyLazyTensor(x, axis=0).sqdist(NumpyLazyTensor(y, axis=1)).logsumexp(axis=1),
                 dtype)


def test_kernel_solve(client):
    rng = np.random.default_rng(6)
    x = rng.random((300, 2))
    b = rng.standard_normal((300, 1))
    args = ("Exp(-SqDist(x,y)*50)*a", ["x=Vi(2)", "y=Vj(2)", "a=Vj(1)"], "a")
    solver = kd.KernelSolve(*args, axis=1)
    xd = chunked(x, (100, 120, 80))
    a = solver(xd, xd, b, alpha=10.0, eps=1e-9)
    assert isinstance(a, da.Array)
    a = a.compute()
    single = NumpyKernelSolve(*args, axis=1)(x, x, b, alpha=10.0, eps=1e-9)
    np.testing.assert_allclose(a, single, rtol=1e-8, atol=1e-10)
    kmat = np.exp(-50 * pair_values("SqDist", x, x, 1)[..., 0])
    np.testing.assert_allclose(np.linalg.solve(kmat + 10 * np.eye(300), b), a, rtol=1e-6, atol=1e-7)
    # The LazyTensor form: K.solve(b) with K over dask arrays.
    K = (-kd.Vi(xd).sqdist(kd.Vj(xd)) * 50).exp()
    a_lt = K.solve(kd.Vi(b), alpha=10.0, eps=1e-9)
    assert isinstance(a_lt, da.Array)
    np.testing.assert_allclose(a_lt.compute(), single, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("scheduler", ["threads", "synchronous"])
def test_local_schedulers(scheduler):
    """Without a cluster: several dask threads call the engine at once."""
    x, y, bi, bj = data(np.float64, seed=8)
    args = ("SqDist(x,y)", ["x=Vi(3)", "y=Vj(3)"])
    out = kd.Genred(*args, reduction_op="KMin_ArgKMin", axis=1, opt_arg=3)(chunked(x, 100), chunked(y, 300))
    got = dask.compute(*out, scheduler=scheduler)
    want = NumpyGenred(*args, reduction_op="KMin_ArgKMin", axis=1, opt_arg=3)(x, y)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_errors():
    g = kd.Genred("SqDist(x,y)", ["x=Vi(3)", "y=Vj(3)"], reduction_op="ArgMin", axis=1)
    x = np.zeros((10, 3))
    with pytest.raises(ValueError, match="number of arguments"):
        g(x)
    with pytest.raises(ValueError, match="dtype"):
        g(x, np.zeros((5, 3), np.float32))
    with pytest.raises(ValueError, match="columns"):
        g(x, np.zeros((5, 2)))
    with pytest.raises(ValueError, match="rows"):
        kd.Genred("SqDist(x,y)+z", ["x=Vi(3)", "y=Vj(3)", "z=Vi(1)"], axis=1)(x, x, np.zeros((4, 1)))
    with pytest.raises(TypeError, match="argument 1"):
        g(x, "y")
    with pytest.raises(ValueError, match="chunks"):
        g(x, x, chunks=0)
    with pytest.raises(ValueError, match="split_every"):
        kd.Genred("SqDist(x,y)", ["x=Vi(3)", "y=Vj(3)"], split_every=1)
    with pytest.raises(ValueError, match="Invalid backend"):
        g(x, x, backend="TPU")
    # The blocks run on CPU engines: a GPU backend is refused (without a GPU, for lack of one).
    with pytest.raises(ValueError, match="GPU_1D"):
        g(x, x, backend="GPU_1D")
    with pytest.raises(TypeError, match="complex"):
        kd.LazyTensor(np.zeros((3, 1, 2), np.complex128))


def test_worker_killed(client):
    """One worker is killed while the reduction runs: Dask reruns its tasks elsewhere (and on the
    restarted worker), and the result is still the single-process one."""
    rng = np.random.default_rng(7)
    # 24 tasks of 3e7 pairs (about 0.1 s each on an idle core, more on a busy one).
    x = rng.standard_normal((9_000, 3)).astype(np.float32)
    y = rng.standard_normal((80_000, 3)).astype(np.float32)
    b = rng.random((80_000, 1)).astype(np.float32)
    args = ("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"])
    out = kd.Genred(*args, axis=1)(chunked(x, 1500), chunked(y, 20_000), chunked(b, 20_000))
    fut = client.compute(out)
    pids = client.run(os.getpid)
    deadline = time.time() + 60
    while time.time() < deadline and not any(client.processing().values()):
        time.sleep(0.01)
    time.sleep(0.1)  # into the computation: some partial states exist, others are running
    assert not fut.done(), "the computation ended before a worker could be killed: make it larger"
    victim = sorted(pids)[0]
    os.kill(pids[victim], signal.SIGKILL)
    got = fut.result(timeout=300)
    want = NumpyGenred(*args, axis=1)(x, y, b)
    assert_close(got, want, np.float32)
    # The nanny restarted the killed worker (a new process).
    client.wait_for_workers(2, timeout=60)
    assert pids[victim] not in client.run(os.getpid).values()
