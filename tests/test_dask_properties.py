"""Property-based tests (hypothesis) of pykeops_go.dask: random reductions over
random chunkings (uneven, along i and along j, one row to several 256-row
tiles), both axes, float32 / float64, batch dimensions, block-sparse ranges,
special values (NaN, +-inf, whole chunks of them) and tree depths
(split_every). Each result must equal the single-process NumPy Genred (bit
for bit for the Min / Max / Arg families) and dense NumPy in float64 (the
semantics of docs/differences.md); bad inputs must raise ValueError naming
the argument. The graphs run on dask's synchronous or threaded scheduler in
a worker process (tests/case_worker.py) under a timeout; the distributed
cluster is tested in tests/test_dask.py.

PYKEOPS_GO_DASK_PROPERTY_EXAMPLES sets the number of examples (default 100);
the examples are the same at every run unless PYKEOPS_GO_PROPERTY_RANDOM is
set.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import test_properties
from test_properties import FORMULAS, LSE, NEEDS_G, REDUCTIONS, block_ranges, check_result, expected, make_arrays

EXAMPLES = int(os.environ.get("PYKEOPS_GO_DASK_PROPERTY_EXAMPLES", "100"))
DERANDOMIZE = not os.environ.get("PYKEOPS_GO_PROPERTY_RANDOM")
CASE_WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "case_worker.py")

# Bit for bit with the single pass: the partial results are merged exactly.
EXACT = {"Min", "Max", "ArgMin", "ArgMax", "Min_ArgMin", "Max_ArgMax", "KMin", "ArgKMin", "KMin_ArgKMin"}


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
def chunking(draw, n):
    """Uneven chunks of n rows: a few random cut points (n = 0: one empty chunk)."""
    if n == 0:
        return (0,)
    cuts = sorted(set(draw(st.lists(st.integers(1, max(1, n - 1)), max_size=4)))) if n > 1 else []
    edges = [0] + cuts + [n]
    return tuple(b - a for a, b in zip(edges[:-1], edges[1:]))


@st.composite
def cases(draw):
    red = draw(st.sampled_from(REDUCTIONS))
    name = draw(st.sampled_from(["sqdist", "gauss", "scal"] if red in LSE else list(FORMULAS)))
    D, E = draw(st.integers(1, 3)), (1 if red in LSE else draw(st.integers(1, 3)))
    big = draw(st.integers(0, 2)) == 0  # several 256-row tiles on the reduced axis
    M = draw(st.integers(1, 700) if big else st.integers(0, 40))
    N = draw(st.integers(1, 700) if big else st.integers(0, 40))
    nbatch = draw(st.integers(0, 1)) if draw(st.integers(0, 3)) == 0 else 0
    weight = None
    if red in NEEDS_G or (red == "LogSumExp" and draw(st.booleans())):
        weight = draw(st.sampled_from(["b", "y"]))
    return dict(red=red, name=name, D=D, E=E, M=M, N=N, axis=draw(st.integers(0, 1)),
                dtype=np.dtype(draw(st.sampled_from(["float32", "float64"]))),
                batch=tuple(draw(st.integers(1, 2)) for _ in range(nbatch)), weight=weight,
                K=draw(st.integers(1, 5)) if "KMin" in red else None,
                chunks_i=draw(chunking(M)), chunks_j=draw(chunking(N)),
                numpy_args=[draw(st.integers(0, 3)) == 0 for _ in range(3)],  # some arguments left as NumPy
                use_ranges=nbatch == 0 and M > 0 and N > 0 and draw(st.integers(0, 3)) == 0,
                specials=draw(st.integers(0, 3)) == 0,
                split_every=draw(st.sampled_from([2, 3, 4])),
                scheduler=draw(st.sampled_from(["synchronous", "threads"])),
                bad=draw(st.sampled_from([None] * 8 + ["rows", "columns", "dtype"])),
                seed=draw(st.integers(0, 2**32 - 1)))


def run_case(c):
    import dask
    import dask.array as da
    from pykeops_go import dask as kd
    from pykeops_go.numpy import Genred

    rng = np.random.default_rng(c["seed"])
    arrays = make_arrays(c, rng)
    ranges = mask = None
    if c["use_ranges"]:
        ranges, mask = block_ranges(c["M"], c["N"], rng)
    aliases = [f"x=Vi({c['D']})", f"y=Vj({c['D']})", f"b=Vj({c['E']})", "p=Pm(1)"]
    kw = dict(reduction_op=c["red"], axis=c["axis"])
    if c["K"]:
        kw["opt_arg"] = c["K"]
    if c["weight"]:
        kw["formula2"] = c["weight"]
    formula = FORMULAS[c["name"]][0]
    g = kd.Genred(formula, aliases, split_every=c["split_every"], **kw)
    args = []
    for k, a in enumerate(arrays):
        if k < 3 and not c["numpy_args"][k]:
            rows = c["chunks_i"] if k == 0 else c["chunks_j"]
            a = da.from_array(a, chunks=a.shape[:-2] + (rows, a.shape[-1]))
        args.append(a)
    call_kw = {} if ranges is None else {"ranges": ranges}
    if c["bad"] is not None:
        bad_args = list(args)
        if c["bad"] == "rows":
            k = (1, 2)  # b has one row more than y
            shape = arrays[2].shape
            bad_args[2] = np.zeros(shape[:-2] + (shape[-2] + 1, shape[-1]), arrays[2].dtype)
        elif c["bad"] == "columns":
            k = (1,)
            bad_args[1] = np.concatenate([arrays[1], arrays[1][..., :1]], -1)
        else:
            k = (0,)
            bad_args[0] = arrays[0].astype(np.float32 if c["dtype"] == np.float64 else np.float64)
        try:
            out = g(*bad_args, **call_kw)
            dask.compute(out, scheduler=c["scheduler"])
        except ValueError as err:
            assert any(f"argument {n}" in str(err) for n in k), str(err)
            return "raised"
        raise AssertionError(f"bad {c['bad']} accepted")
    out = g(*args, **call_kw)
    outs = out if isinstance(out, tuple) else (out,)
    for o in outs:
        assert isinstance(o, da.Array), type(o)
    (got,) = dask.compute(out, scheduler=c["scheduler"])
    single = Genred(formula, aliases, **kw)(*arrays, **call_kw)
    singles = single if isinstance(single, tuple) else (single,)
    gots = got if isinstance(got, tuple) else (got,)
    assert len(gots) == len(singles)
    for gv, sv in zip(gots, singles):
        assert gv.shape == sv.shape and gv.dtype == sv.dtype, (gv.shape, sv.shape, gv.dtype, sv.dtype)
        if c["red"] in EXACT:
            np.testing.assert_array_equal(gv, sv, err_msg="not bit for bit with the single pass")
    F, vals, idx = expected(c, arrays, mask)
    check_result(got, c, F, vals, idx)
    return "value"


@settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(c=cases())
def test_random_chunkings_match_single_pass(worker, c):
    reply = worker.request(("test_dask_properties", "run_case", c))
    assert reply[0] == "ok", reply[2]
