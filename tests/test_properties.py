"""Property-based tests (hypothesis): random reductions over random shapes,
dtypes, byte orders, strides, alignment, batch dimensions, block-sparse
ranges, special values, thread counts and concurrent calls from several
Python threads. Every call must match dense
NumPy under the semantics of docs/differences.md, or raise a documented
exception (ValueError naming the argument). The calls run in a worker
process (tests/property_worker.py) under a timeout: a crash or a hang fails
the example, not the test run.

PYKEOPS_GO_PROPERTY_EXAMPLES sets the number of examples (default 300);
the examples are the same at every run unless PYKEOPS_GO_PROPERTY_RANDOM
is set (then ``--hypothesis-seed`` picks them).
"""

import os
import pickle
import select
import subprocess
import sys

import numpy as np
import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykeops.numpy.cluster import from_matrix
from reduction_semantics import reference

EXAMPLES = int(os.environ.get("PYKEOPS_GO_PROPERTY_EXAMPLES", "300"))
DERANDOMIZE = not os.environ.get("PYKEOPS_GO_PROPERTY_RANDOM")
CALL_TIMEOUT = 60.0  # seconds for one request: the calls are small

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "property_worker.py")


class Worker:
    """The worker process, restarted after a crash or a timeout."""

    def __init__(self):
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([sys.executable, WORKER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def request(self, req):
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        try:
            pickle.dump(req, self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.proc.stdin.flush()
        except BrokenPipeError:
            code = self.proc.wait()
            self.proc = None
            pytest.fail(f"the worker died before the request (exit status {code})")
        ready, _, _ = select.select([self.proc.stdout], [], [], CALL_TIMEOUT)
        if not ready:
            self.stop()
            pytest.fail(f"the call did not return within {CALL_TIMEOUT} s (hang)")
        try:
            return pickle.load(self.proc.stdout)
        except EOFError:
            code = self.proc.wait()
            self.proc = None
            pytest.fail(f"the worker crashed (exit status {code})")


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.stop()


REDUCTIONS = ["Sum", "Min", "Max", "ArgMin", "ArgMax", "Min_ArgMin", "Max_ArgMax", "KMin", "ArgKMin",
              "KMin_ArgKMin", "LogSumExp", "LogSumExpWeight", "Max_SumShiftExp", "Max_SumShiftExpWeight",
              "SumSoftMaxWeight"]
LSE = {"LogSumExp", "LogSumExpWeight", "Max_SumShiftExp", "Max_SumShiftExpWeight", "SumSoftMaxWeight"}
NEEDS_G = {"LogSumExpWeight", "Max_SumShiftExpWeight", "SumSoftMaxWeight"}

# name -> (formula, dense evaluator of (xi, yj, bj, pp), dimension as a function of (D, E))
FORMULAS = {
    "gauss": ("Exp(-SqDist(x,y))*b", lambda x, y, b, p: np.exp(-((x - y) ** 2).sum(-1, keepdims=True)) * b,
              lambda D, E: E),
    "sqdist": ("SqDist(x,y)*p", lambda x, y, b, p: ((x - y) ** 2).sum(-1, keepdims=True) * p, lambda D, E: 1),
    "prod": ("x*y+p", lambda x, y, b, p: x * y + p, lambda D, E: D),
    "scal": ("(x|y)-b", lambda x, y, b, p: (x * y).sum(-1, keepdims=True) - b, lambda D, E: E),
    "sin": ("Sin(x-y)*p", lambda x, y, b, p: np.sin(x - y) * p, lambda D, E: D),
}
WEIGHTS = {"b": lambda x, y, b, p: b, "y": lambda x, y, b, p: y}


def dense_formula(name, x, y, b, p):
    xi, yj, bj = x[..., :, None, :], y[..., None, :, :], b[..., None, :, :]
    pp = p[..., None, None, :]
    with np.errstate(all="ignore"):
        out = FORMULAS[name][1](xi, yj, bj, pp)
    shape = np.broadcast_shapes(xi.shape[:-1], yj.shape[:-1], bj.shape[:-1], pp.shape[:-1])
    return np.broadcast_to(out, shape + out.shape[-1:])


def block_ranges(M, N, rng):
    ci = np.unique(np.r_[0, np.sort(rng.integers(0, M + 1, 2)), M])
    cj = np.unique(np.r_[0, np.sort(rng.integers(0, N + 1, 2)), N])
    ri, rj = np.stack([ci[:-1], ci[1:]], 1), np.stack([cj[:-1], cj[1:]], 1)
    keep = rng.random((len(ri), len(rj))) < 0.6
    mask = np.repeat(np.repeat(keep, np.diff(ci), 0), np.diff(cj), 1)
    return from_matrix(ri, rj, keep), mask


@st.composite
def cases(draw):
    red = draw(st.sampled_from(REDUCTIONS))
    dtype = np.dtype(draw(st.sampled_from(["float32", "float64", "float64", "float16"])))
    axis = draw(st.integers(0, 1))
    D, E = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    name = draw(st.sampled_from(["sqdist", "gauss", "scal"] if red in LSE else list(FORMULAS)))
    if red in LSE:
        E = 1  # scalar F
    M, N = draw(st.integers(0, 40)), draw(st.integers(0, 40))
    if draw(st.integers(0, 5)) == 0:
        M, N = draw(st.integers(1, 4)), draw(st.integers(1030, 1500))  # a split reduced index
        if axis == 0:
            M, N = N, M
    nbatch = draw(st.integers(0, 2)) if draw(st.booleans()) else 0
    batch = tuple(draw(st.integers(1, 3)) for _ in range(nbatch))
    use_ranges = nbatch == 0 and M > 0 and N > 0 and draw(st.integers(0, 3)) == 0
    weight = None
    if red in NEEDS_G or (red == "LogSumExp" and draw(st.booleans())):
        weight = draw(st.sampled_from(sorted(WEIGHTS)))
    K = draw(st.integers(1, 5)) if "KMin" in red else None
    layouts = [draw(st.sampled_from(["c", "c", "swapped", "unaligned", "strided", "fortran", "readonly"]))
               for _ in range(4)]
    return dict(red=red, dtype=dtype, axis=axis, D=D, E=E, name=name, M=M, N=N, batch=batch,
                use_ranges=use_ranges, weight=weight, K=K, layouts=layouts,
                specials=draw(st.integers(0, 3)) == 0, warm=draw(st.booleans()),
                threads=draw(st.integers(1, 4)), py_threads=draw(st.sampled_from([1, 1, 1, 4])),
                seed=draw(st.integers(0, 2**32 - 1)),
                ranges_layout=draw(st.sampled_from(["c", "unaligned", "strided"])),
                mutation=draw(st.sampled_from([None] * 12 + ["columns", "rows", "dtype"])))


def make_arrays(c, rng):
    b_shape = lambda rows, d: tuple(rng.choice([1, s]) if s > 1 else 1 for s in c["batch"]) + (rows, d)  # noqa: E731
    x = rng.uniform(-1.5, 1.5, b_shape(c["M"], c["D"]))
    y = rng.uniform(-1.5, 1.5, b_shape(c["N"], c["D"]))
    b = rng.uniform(-1.5, 1.5, b_shape(c["N"], c["E"]))
    p = rng.uniform(0.5, 1.5, tuple(rng.choice([1, s]) for s in c["batch"]) + (1,))
    if c["specials"]:
        for a in (x, b):
            if a.size:
                hit = rng.random(a.shape) < 0.15
                a[hit] = rng.choice([np.nan, np.inf, -np.inf], hit.sum())
    return [a.astype(c["dtype"]) for a in (x, y, b, p)]


def expected(c, arrays, mask):
    x, y, b, p = (a.astype(np.float64) for a in arrays)
    F = dense_formula(c["name"], x, y, b, p)
    G = None
    if c["weight"] is not None:
        G = np.broadcast_to(WEIGHTS[c["weight"]](x[..., :, None, :], y[..., None, :, :], b[..., None, :, :], p),
                            F.shape[:-1] + (c["D"] if c["weight"] == "y" else c["E"],))
    vals, idx = reference(c["red"], F, G, c["K"], c["axis"], mask)
    return F, vals, idx


def tolerance(dtype):
    return {np.dtype(np.float16): 3e-3, np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-11}[dtype]


def check_values(got, want, dtype, what):
    got = np.asarray(got, dtype=np.float64)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{what}: NaN positions")
    inf = np.isinf(want)
    np.testing.assert_array_equal(got[inf], want[inf], err_msg=f"{what}: infinities")
    fin = ~np.isnan(want) & ~inf
    assert np.isfinite(got[fin]).all(), what
    if fin.any():
        scale = max(1.0, np.abs(want[fin]).max())
        err = np.abs(got[fin] - want[fin]).max() / scale
        assert err <= tolerance(dtype), f"{what}: relative error {err:.3g}"


def check_indices(got, want, c, F, dtype):
    """Indices equal, or pointing to a value of F equal within the tolerance (near ties in float32)."""
    assert got.dtype == np.int64 and got.shape == want.shape, (got.dtype, got.shape, want.shape)
    diff = got != want
    if not diff.any():
        return
    assert (got[diff] >= 0).all() and (want[diff] >= 0).all(), f"absent index mismatch: {got[diff]} vs {want[diff]}"
    assert dtype != np.float64, "float64 indices differ from the reference"
    Fr = np.moveaxis(F, -3 if c["axis"] == 0 else -2, -1)  # (..., rows, D, n)
    if c["K"]:
        Fr = Fr[..., None, :, :]  # (..., rows, 1, D, n) against indices (..., rows, K, D)
        gw = np.broadcast_to(Fr, got.shape + Fr.shape[-1:])
    else:
        gw = Fr
    at_got = np.take_along_axis(gw, np.maximum(got, 0)[..., None], -1)[..., 0]
    at_want = np.take_along_axis(gw, np.maximum(want, 0)[..., None], -1)[..., 0]
    scale = max(1.0, np.nanmax(np.abs(np.where(np.isfinite(Fr), Fr, 0)), initial=0))
    assert np.all(np.abs(at_got[diff] - at_want[diff]) <= 10 * tolerance(dtype) * scale)


def run_case(worker, c):
    rng = np.random.default_rng(c["seed"])
    arrays = make_arrays(c, rng)
    ranges = mask = None
    if c["use_ranges"]:
        ranges, mask = block_ranges(c["M"], c["N"], rng)
    F, vals, idx = expected(c, arrays, mask)
    aliases = [f"x=Vi({c['D']})", f"y=Vj({c['D']})", f"b=Vj({c['E']})", "p=Pm(1)"]
    gkw = dict(reduction_op=c["red"], axis=c["axis"])
    if c["K"]:
        gkw["opt_arg"] = c["K"]
    if c["weight"]:
        gkw["formula2"] = c["weight"]
    call_arrays, expect_error = list(arrays), None
    if c["mutation"] == "columns":
        call_arrays[1] = np.concatenate([arrays[1], arrays[1][..., :1]], -1)
        expect_error = "argument 1"
    elif c["mutation"] == "rows" and c["N"] > 0:
        call_arrays[2] = arrays[2][..., 1:, :]
        expect_error = "argument 2"
    elif c["mutation"] == "dtype":
        other = np.float32 if c["dtype"] == np.float64 else np.float64
        call_arrays[0] = arrays[0].astype(other)
        expect_error = "argument"
    kw = {"py_threads": c["py_threads"]}
    if ranges is not None:
        kw.update(ranges=ranges, ranges_layout=c["ranges_layout"])
    calls = [(call_arrays, c["layouts"], kw)]
    if c["warm"]:  # the same shapes first in plain arrays: the next call takes the fast path
        calls.insert(0, (arrays, ["c"] * 4, {} if ranges is None else {"ranges": ranges}))
    reply = worker.request(((FORMULAS[c["name"]][0], aliases), gkw, calls, c["threads"]))
    if expect_error is not None:
        assert reply[0] == "exc" and reply[1] in ("ValueError", "TypeError"), reply
        assert expect_error in reply[2], reply
        return
    assert reply[0] == "ok", f"{reply[1]}: {reply[2]}"
    for res in reply[1]:
        check_result(res, c, F, vals, idx)


def check_result(res, c, F, vals, idx):
    red, dtype = c["red"], c["dtype"]
    has_vals, has_idx = not red.startswith("Arg"), "Arg" in red
    if has_vals and has_idx:
        assert isinstance(res, tuple) and len(res) == 2
        got_vals, got_idx = res
    elif has_idx:
        got_vals, got_idx = None, res
    else:
        got_vals, got_idx = res, None
    if c["K"] and F.shape[-1] == 1:  # the KMin family squeezes D = 1: (..., rows, K)
        want_shape = vals.shape[:-1]
        for got in (got_vals, got_idx):
            assert got is None or got.shape == want_shape, (got.shape, want_shape)
        got_vals = None if got_vals is None else got_vals[..., None]
        got_idx = None if got_idx is None else got_idx[..., None]
    if got_vals is not None:
        assert got_vals.dtype == dtype, (got_vals.dtype, dtype)
        check_values(got_vals, vals, dtype, red)
    if got_idx is not None:
        check_indices(got_idx, idx, c, F, dtype)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(c=cases())
def test_random_calls_match_dense_numpy(worker, c):
    run_case(worker, c)
