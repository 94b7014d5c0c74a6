"""The engine's partial reductions from Python (pykeops_go.common.engine): states of pieces of the
reduced axis, merged in a tree and finished, give the single-pass result (bit for bit for the
Min / Max / Arg families when the pieces start at multiples of piece_align()), with global
indices. No dask needed."""

import numpy as np
import pytest

from conftest import assert_close
from pykeops_go.common import engine
from pykeops_go.common.arguments import prepare
from pykeops_go.numpy import Genred

ALIASES = ["x=Vi(3)", "y=Vj(3)", "w=Vj(2)"]
CASES = [
    ("Sum", "Exp(-SqDist(x,y))*w", None, None),
    ("Min", "SqDist(x,y)", None, None),
    ("Max_ArgMax", "x-y", None, None),
    ("ArgMin", "SqDist(x,y)", None, None),
    ("KMin_ArgKMin", "SqDist(x,y)", 7, None),
    ("ArgKMin", "x-y", 3, None),
    ("LogSumExp", "-SqDist(x,y)", None, "w"),
    ("Max_SumShiftExpWeight", "-SqDist(x,y)", None, "w"),
    ("SumSoftMaxWeight", "-SqDist(x,y)", None, "w"),
]
EXACT = ("Min", "Max_ArgMax", "ArgMin", "KMin_ArgKMin", "ArgKMin")


def states(kernel, dtype, x, y, w, lo, hi):
    """The states of the reduction over j in [lo, hi) (axis=1)."""
    p = prepare(kernel, [x, y[lo:hi], w[lo:hi]])
    st = np.empty((p.M, engine.state_len(kernel)))
    plan = kernel.plan(p.dtype, p.M, p.N, p.batch, p.arg_batches, 0, 0)
    plan.run_partial(p.arrays, st, lo)
    return st


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("red,formula,k,f2", CASES)
def test_pieces_merge_to_single_pass(red, formula, k, f2, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 3)).astype(dtype)
    y = rng.standard_normal((1100, 3)).astype(dtype)
    w = rng.random((1100, 2)).astype(dtype)
    g = Genred(formula, ALIASES, reduction_op=red, axis=1, opt_arg=k, formula2=f2)
    kern = g.kernel
    a = engine.piece_align()
    cuts = [0, a, a, 3 * a, 1100]  # one empty piece, a last piece of 332
    parts = [states(kern, np.dtype(dtype), x, y, w, lo, hi) for lo, hi in zip(cuts, cuts[1:])]
    left, right = parts[0].copy(), parts[2].copy()
    engine.merge_states(kern, np.dtype(dtype), left, parts[1])
    engine.merge_states(kern, np.dtype(dtype), right, parts[3])
    engine.merge_states(kern, np.dtype(dtype), left, right)
    vals = np.empty((50, kern.vals_dim), dtype) if kern.vals_dim else None
    idx = np.empty((50, kern.idx_dim), np.int64) if kern.idx_dim else None
    engine.finish_states(kern, np.dtype(dtype), left, vals, idx)
    single = g(x, y, w)
    singles = single if isinstance(single, tuple) else (single,)
    got = [o.reshape(s.shape) for o, s in zip((v for v in (vals, idx) if v is not None), singles)]
    for gv, sv in zip(got, singles):
        if red in EXACT:
            np.testing.assert_array_equal(gv, sv)
        else:
            assert_close(gv, sv, dtype)
    # Against the dense reference: the global index of the nearest y for ArgMin.
    if red == "ArgMin":
        d = ((x[:, None, :].astype(np.float64) - y[None, :, :]) ** 2).sum(-1)
        np.testing.assert_array_equal(got[0][:, 0], d.argmin(1))
    if red == "Sum":
        d = ((x[:, None, :].astype(np.float64) - y[None, :, :]) ** 2).sum(-1)
        assert_close(got[0], np.exp(-d) @ w.astype(np.float64), dtype)


def test_offsets_are_global():
    """A piece's indices count from its offset; unfilled KMin slots get the absent index -1."""
    g = Genred("SqDist(x,y)", ["x=Vi(1)", "y=Vj(1)"], reduction_op="ArgKMin", axis=1, opt_arg=4)
    kern = g.kernel
    x = np.array([[0.0]])
    y = np.array([[3.0], [1.0]])
    p = prepare(kern, [x, y])
    st = np.empty((1, engine.state_len(kern)))
    kern.plan(p.dtype, p.M, p.N, p.batch, p.arg_batches, 0, 0).run_partial(p.arrays, st, 1000)
    idx = np.empty((1, 4), np.int64)
    engine.finish_states(kern, np.dtype(np.float64), st, None, idx)
    np.testing.assert_array_equal(idx, [[1001, 1000, -1, -1]])


def test_partial_errors():
    g = Genred("SqDist(x,y)", ["x=Vi(1)", "y=Vj(1)"], reduction_op="ArgMin", axis=1)
    kern = g.kernel
    x = np.zeros((3, 1))
    p = prepare(kern, [x, x])
    plan = kern.plan(p.dtype, p.M, p.N, p.batch, p.arg_batches, 0, 0)
    with pytest.raises(ValueError, match="state has 5 values, expected 6"):
        plan.run_partial(p.arrays, np.empty(5), 0)
    with pytest.raises(ValueError, match="offset"):
        plan.run_partial(p.arrays, np.empty(6), -1)
    with pytest.raises(ValueError, match="shapes"):
        engine.merge_states(kern, np.dtype(np.float64), np.empty((3, 2)), np.empty((2, 2)))
    with pytest.raises(ValueError, match="whole number of rows"):
        engine.finish_states(kern, np.dtype(np.float64), np.empty(5), None, np.empty(2, np.int64))
    with pytest.raises(ValueError, match="index output"):
        engine.finish_states(kern, np.dtype(np.float64), np.zeros(6), None, np.empty(2, np.int64))


def test_infinite_terms_are_filled_slots():
    """+inf terms are values (not absent slots): their indices move with the piece's offset."""
    g = Genred("Inv(y-y)", ["x=Vi(1)", "y=Vj(1)"], reduction_op="ArgMin", axis=1)
    kern = g.kernel
    x = np.array([[0.0]])
    y = np.array([[3.0], [1.0]])
    p = prepare(kern, [x, y])
    st = np.empty((1, engine.state_len(kern)))
    kern.plan(p.dtype, p.M, p.N, p.batch, p.arg_batches, 0, 0).run_partial(p.arrays, st, 1000)
    idx = np.empty((1, 1), np.int64)
    engine.finish_states(kern, np.dtype(np.float64), st, None, idx)
    np.testing.assert_array_equal(idx, [[1000]])
    np.testing.assert_array_equal(g(x, y), [[0]])  # the single pass agrees (offset 0)
