"""Genred against dense float64 NumPy references (spec api-numpy.md §1, reductions.md)."""

import warnings

import numpy as np
import pytest
from conftest import assert_close, rtol

from pykeops_go.numpy import Genred
from pykeops_go.numpy.cluster import from_matrix

DTYPES = [np.float32, np.float64]
ALIASES = ["x = Vi(3)", "y = Vj(3)", "a = Vi(2)", "b = Vj(2)", "p = Pm(2)"]
VEC = "Exp(-SqDist(x, y)) * b + a * p"  # dim 2
SCAL = "SqDist(x, y) + Sum(a * b)"  # dim 1
WEIGHT = "b + a * a"  # dim 2, positive


# ------------------------------------------------------------------ references
def make_data(M, N, dtype, batch_i=(), batch_j=(), batch_p=(), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(*batch_i, M, 3))
    y = rng.normal(size=(*batch_j, N, 3))
    a = rng.uniform(-1, 1, size=(*batch_i, M, 2))
    b = rng.uniform(0.5, 1.5, size=(*batch_j, N, 2))
    p = rng.uniform(-1, 1, size=(*batch_p, 2))
    return [v.astype(dtype) for v in (x, y, a, b, p)]


def dense(formula, x, y, a, b, p):
    """The formula on every (i, j) pair: (..., M, N, D), in float64."""
    x, y, a, b, p = (v.astype(np.float64) for v in (x, y, a, b, p))
    xi, yj, ai, bj = x[..., :, None, :], y[..., None, :, :], a[..., :, None, :], b[..., None, :, :]
    pp = p[..., None, None, :]
    if formula == VEC:
        return np.exp(-((xi - yj) ** 2).sum(-1, keepdims=True)) * bj + ai * pp
    if formula == SCAL:
        return ((xi - yj) ** 2).sum(-1, keepdims=True) + (ai * bj).sum(-1, keepdims=True)
    if formula == WEIGHT:
        return np.broadcast_to(bj + ai * ai, np.broadcast_shapes(xi.shape[:-1], yj.shape[:-1]) + (2,))
    raise KeyError(formula)


def reference(red, F, axis, G=None, K=None, mask=None):
    """reductions.md §2 on the dense array F (..., M, N, D): rows first, then outputs."""
    ax = -3 if axis == 0 else -2  # reduced axis of (..., M, N, D)
    if G is not None:
        G = np.broadcast_to(G, F.shape[:-1] + G.shape[-1:])
    if mask is not None:  # block-sparse: pairs outside the mask get the neutral value
        m = mask[..., None]
        lse = red in ("LogSumExp", "LogSumExpWeight", "SumSoftMaxWeight", "Max_SumShiftExp",
                      "Max_SumShiftExpWeight")
        neutral = 0.0 if red == "Sum" else -np.inf if ("Max" in red or lse) else np.inf
        F = np.where(m, F, neutral)
    n = F.shape[ax]

    def rows(arr):  # reduced axis last -> (..., rows, ...)
        return np.moveaxis(arr, ax, -1)

    if red == "Sum":
        return F.sum(ax)
    if red in ("Min", "Max", "ArgMin", "ArgMax", "Min_ArgMin", "Max_ArgMax"):
        fn = np.min if "Min" in red else np.max
        arg = np.argmin if "Min" in red else np.argmax
        if n == 0:
            shape = list(F.shape)
            del shape[ax]
            vals = np.full(shape, np.inf if "Min" in red else -np.inf)
            idx = np.full(shape, -1, np.int64)
        else:
            vals, idx = fn(F, axis=ax), arg(F, axis=ax)
            idx[np.isinf(vals)] = -1  # the data is finite: only masked rows are infinite
        return {"Min": vals, "Max": vals, "ArgMin": idx, "ArgMax": idx}.get(red, (vals, idx))
    if red in ("KMin", "ArgKMin", "KMin_ArgKMin"):
        Fr = rows(F)  # (..., rows, D, n)
        order = np.argsort(Fr, axis=-1, kind="stable")[..., :K]
        vals = np.take_along_axis(Fr, order, -1)
        pad = K - vals.shape[-1]
        vals = np.concatenate([vals, np.full(vals.shape[:-1] + (pad,), np.inf)], -1)
        idx = np.concatenate([order, np.zeros(order.shape[:-1] + (pad,), np.int64)], -1)
        idx[np.isinf(vals)] = -1  # missing or masked slots: the absent index
        vals, idx = np.swapaxes(vals, -1, -2), np.swapaxes(idx, -1, -2)  # (..., rows, K, D)
        if vals.shape[-1] == 1:
            vals, idx = vals[..., 0], idx[..., 0]
        return {"KMin": vals, "ArgKMin": idx}.get(red, (vals, idx))
    # the LogSumExp family: F is scalar
    Gw = np.ones(F.shape) if G is None else G
    m = F.max(ax) if n else np.full(np.delete(F.shape, ax), -np.inf)
    shift = np.expand_dims(np.where(np.isneginf(m), 0.0, m), ax)  # empty rows: s = 0
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (np.exp(F - shift) * Gw).sum(ax)
        if red == "LogSumExp":
            return m + np.log(s)
        if red in ("Max_SumShiftExp", "Max_SumShiftExpWeight", "LogSumExpWeight"):
            return np.concatenate([m, s], -1)
        if red == "SumSoftMaxWeight":
            return s / np.exp(F - shift).sum(ax)
    raise KeyError(red)


# (reduction_op, formula, opt_arg, formula2)
CASES = [
    ("Sum", VEC, None, None),
    ("Min", VEC, None, None),
    ("Max", VEC, None, None),
    ("ArgMin", VEC, None, None),
    ("ArgMax", VEC, None, None),
    ("Min_ArgMin", VEC, None, None),
    ("Max_ArgMax", VEC, None, None),
    ("KMin", SCAL, 3, None),
    ("ArgKMin", SCAL, 3, None),
    ("KMin_ArgKMin", SCAL, 3, None),
    ("KMin", VEC, 2, None),
    ("ArgKMin", VEC, 2, None),
    ("KMin_ArgKMin", VEC, 2, None),
    ("KMin_ArgKMin", SCAL, 9, None),  # K > N: +inf values, index -1
    ("LogSumExp", SCAL, None, None),
    ("LogSumExp", SCAL, None, WEIGHT),
    ("Max_SumShiftExp", SCAL, None, None),
    ("Max_SumShiftExpWeight", SCAL, None, WEIGHT),
    ("LogSumExpWeight", SCAL, None, WEIGHT),
    ("SumSoftMaxWeight", SCAL, None, WEIGHT),
    ("SoftMax", SCAL, None, WEIGHT),
]
CASE_IDS = [f"{r}-{'vec' if f == VEC else 'scal'}-K{k}-{'w' if g else ''}" for r, f, k, g in CASES]


def expected(case, axis, data, mask=None):
    red, formula, K, formula2 = case
    red = "SumSoftMaxWeight" if red == "SoftMax" else red
    F = dense(formula, *data)
    G = dense(formula2, *data) if formula2 else None
    return reference(red, F, axis, G=G, K=K, mask=mask)


def check(res, ref, dtype):
    if isinstance(ref, tuple):
        assert isinstance(res, tuple) and len(res) == 2
        assert_close(res[0], ref[0], dtype)
        assert res[0].dtype == dtype
        check(res[1], ref[1], dtype)
    elif ref.dtype == np.int64:
        assert res.dtype == np.int64 and res.shape == ref.shape
        np.testing.assert_array_equal(res, ref)
    else:
        assert res.dtype == dtype
        assert_close(res, ref, dtype)


def genred(case, axis, **kw):
    red, formula, K, formula2 = case
    return Genred(formula, list(ALIASES), reduction_op=red, axis=axis, opt_arg=K, formula2=formula2, **kw)


# ------------------------------------------------------------------ every reduction
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("MN", [(7, 5), (1, 6), (6, 1)])
def test_reductions(dtype, axis, case, MN):
    data = make_data(*MN, dtype)
    check(genred(case, axis)(*data), expected(case, axis, data), dtype)


LARGE = [(np.float64, c) for c in CASES] + [(np.float32, c) for c in CASES if "Arg" not in c[0]]


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype,case", LARGE, ids=[f"{d.__name__}-{c[0]}-K{c[2]}-{bool(c[3])}" for d, c in LARGE])
@pytest.mark.parametrize("MN", [(3, 20000), (20000, 3), (300, 700)])
def test_reductions_large(dtype, axis, case, MN):
    """Sizes that exercise the engine's tiling, threads and splitting of the reduced axis.
    Index reductions are checked in float64 only: in float32 many terms round to equal
    values (ties), which a float64 reference orders differently."""
    data = make_data(*MN, dtype)
    check(genred(case, axis)(*data), expected(case, axis, data), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_batch_broadcast(dtype, axis, case):
    """Batch dims (2, 3) broadcast from size-1 axes; indices are relative to the batch."""
    data = make_data(6, 5, dtype, batch_i=(2, 1), batch_j=(1, 3), batch_p=(2, 3))
    res = genred(case, axis)(*data)
    check(res, expected(case, axis, data), dtype)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_empty_reduction(axis, case):
    """Nothing to reduce (N = 0 for axis=1, M = 0 for axis=0): the neutral results.
    LogSumExp gives -inf (pykeops NaN under block_sum: a deliberate difference)."""
    M, N = (0, 4) if axis == 0 else (4, 0)
    data = make_data(M, N, np.float64)
    res = genred(case, axis)(*data)
    ref = expected(case, axis, data)
    check(res, ref, np.float64)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_empty_output(axis, case):
    """No output row (M = 0 for axis=1, N = 0 for axis=0): empty results of the right shape."""
    M, N = (4, 0) if axis == 0 else (0, 4)
    data = make_data(M, N, np.float32)
    check(genred(case, axis)(*data), expected(case, axis, data), np.float32)


# ------------------------------------------------------------------ block-sparse ranges
def block_ranges(M, N, seed=0):
    """Contiguous clusters of rows/columns, a random keep matrix with one empty row block."""
    rng = np.random.default_rng(seed)
    ci, cj = np.array([0, 2, 3, 6, M]), np.array([0, 1, 4, N])
    ranges_i, ranges_j = np.stack([ci[:-1], ci[1:]], 1), np.stack([cj[:-1], cj[1:]], 1)
    keep = rng.random((len(ranges_i), len(ranges_j))) < 0.6
    keep[0, :] = False  # a row block with nothing to reduce
    keep[:, 0] = False  # and a column block
    keep[1, 1] = True
    mask = np.repeat(np.repeat(keep, np.diff(ci), 0), np.diff(cj), 1)
    return from_matrix(ranges_i, ranges_j, keep), mask


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_ranges(dtype, axis, case):
    data = make_data(9, 7, dtype)
    ranges, mask = block_ranges(9, 7)
    res = genred(case, axis)(*data, ranges=ranges)
    check(res, expected(case, axis, data, mask=mask), dtype)


@pytest.mark.parametrize("axis", [0, 1])
def test_ranges_uncovered_rows_and_int32(axis):
    """Rows outside every block keep the neutral value; int32 ranges are accepted."""
    x, y = make_data(6, 5, np.float64)[:2]
    r_out = np.array([[1, 3]], np.int32)  # output rows 0, 3.. uncovered
    red = np.array([[1, 2], [3, 5]], np.int32)
    sl = np.array([2], np.int32)
    empty2, empty1 = np.zeros((0, 2), np.int32), np.zeros(0, np.int32)
    if axis == 1:
        ranges = (r_out, sl, red, empty2, empty1, empty2)
    else:
        ranges = (empty2, empty1, empty2, r_out, sl, red)
    g = Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], reduction_op="Min_ArgMin", axis=axis)
    vals, idx = g(x, y, ranges=ranges)
    d = ((x[:, None] - y[None]) ** 2).sum(-1)
    d = d if axis == 1 else d.T
    rows = d.shape[0]
    ref = np.full(rows, np.inf)
    ref_idx = np.full(rows, -1, np.int64)  # uncovered rows: the absent index
    sel = np.r_[1:2, 3:5]
    ref[1:3] = d[1:3, sel].min(1)
    ref_idx[1:3] = sel[d[1:3, sel].argmin(1)]  # absolute indices
    assert_close(vals[:, 0], ref, np.float64)
    np.testing.assert_array_equal(idx[:, 0], ref_idx)


def test_ranges_falsy_is_dense():
    x, y = make_data(4, 3, np.float64)[:2]
    g = Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], axis=1)
    np.testing.assert_array_equal(g(x, y, ranges=()), g(x, y))


# ------------------------------------------------------------------ the spec examples
@pytest.mark.parametrize("dtype", DTYPES)
def test_kernel_density_example(dtype):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(300, 3)).astype(dtype), rng.normal(size=(200, 3)).astype(dtype)
    g = Genred("Exp(-SqNorm2(x - y))", ["x = Vi(3)", "y = Vj(3)"], axis=1)
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    ref = np.exp(-((xd[:, None] - yd[None]) ** 2).sum(-1)).sum(1, keepdims=True)
    res = g(x, y)
    assert res.shape == (300, 1) and res.dtype == dtype
    np.testing.assert_allclose(res, ref, rtol=rtol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_gaussian_rbf_example(dtype):
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(250, 3)).astype(dtype), rng.normal(size=(400, 3)).astype(dtype)
    B = rng.uniform(0.5, 1.5, size=(400, 2)).astype(dtype)
    G = np.array([0.7], dtype=dtype)
    g = Genred("Exp(-G * SqDist(X,Y)) * B", ["G = Pm(1)", "X = Vi(3)", "Y = Vj(3)", "B = Vj(2)"],
               reduction_op="Sum", axis=1)
    res = g(G, X, Y, B)
    Xd, Yd, Bd = (v.astype(np.float64) for v in (X, Y, B))
    ref = np.exp(-float(G[0]) * ((Xd[:, None] - Yd[None]) ** 2).sum(-1)) @ Bd
    assert res.shape == (250, 2) and res.dtype == dtype
    np.testing.assert_allclose(res, ref, rtol=rtol(dtype))


# ------------------------------------------------------------------ call keywords
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_out_is_written_and_returned(dtype):
    x, y, a, b, p = make_data(5, 4, np.float64)
    data = [v.astype(dtype) for v in (x, y, a, b, p)]
    out = np.zeros((5, 2), dtype=dtype)
    res = Genred(VEC, list(ALIASES), axis=1)(*data, out=out)
    assert res is out
    ref = dense(VEC, *data).sum(1)
    np.testing.assert_allclose(out, ref, rtol=1e-2 if dtype == np.float16 else rtol(dtype))


def test_out_for_index_and_kmin_reductions():
    data = make_data(5, 4, np.float64)
    out = np.zeros((5, 2), np.int64)
    res = Genred(VEC, list(ALIASES), reduction_op="ArgMin", axis=1)(*data, out=out)
    assert res is out
    np.testing.assert_array_equal(out, dense(VEC, *data).argmin(1))
    out = np.zeros((5, 3))
    res = Genred(SCAL, list(ALIASES), reduction_op="KMin", opt_arg=3, axis=1)(*data, out=out)
    assert res is out
    np.testing.assert_allclose(out, np.sort(dense(SCAL, *data)[..., 0], 1)[:, :3], rtol=1e-12)


@pytest.mark.parametrize("backend", ["auto", "CPU"])
def test_backend_and_device_id(backend):
    data = make_data(5, 4, np.float64)
    g = Genred(VEC, list(ALIASES), axis=1)
    np.testing.assert_array_equal(g(*data, backend=backend, device_id=-1), g(*data))
    np.testing.assert_array_equal(g(*data, backend=backend, device_id=0), g(*data))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1])
def test_non_contiguous_inputs(dtype, axis):
    rng = np.random.default_rng(3)
    big = rng.normal(size=(14, 8)).astype(dtype)
    x = big[::2, :3]  # strided rows and columns
    y = np.asfortranarray(rng.normal(size=(5, 3)).astype(dtype))
    a = rng.normal(size=(2, 7)).astype(dtype).T  # transposed view
    b = rng.uniform(0.5, 1.5, size=(5, 4)).astype(dtype)[:, 1:3]
    p = rng.normal(size=4).astype(dtype)[::2]
    res = Genred(VEC, list(ALIASES), axis=axis)(x, y, a, b, p)
    data = [np.ascontiguousarray(v) for v in (x, y, a, b, p)]
    check(res, dense(VEC, *data).sum(0 if axis == 0 else 1), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_read_only_inputs(dtype):
    """Read-only arrays (no writable buffer to take the address from) on the first and later calls."""
    data = make_data(7, 5, dtype)
    for v in data[::2]:
        v.flags.writeable = False
    g = Genred(VEC, list(ALIASES), axis=1)
    ref = dense(VEC, *data).sum(1)
    for _ in range(2):
        check(g(*data), ref, dtype)


# ------------------------------------------------------------------ shapes and arguments
def test_no_i_variable_gives_one_row():
    res = Genred("p", ["p = Pm(2)"], axis=1)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(res, [[1.0, 2.0]])


def test_no_j_variable_is_a_single_term():
    x = make_data(4, 1, np.float64)[0]
    np.testing.assert_array_equal(Genred("x", ["x = Vi(3)"], axis=1)(x), x)


def test_unused_alias_still_sets_N():
    x, y = make_data(4, 6, np.float64)[:2]
    res = Genred("x", ["x = Vi(3)", "y = Vj(3)"], axis=1)(x, y)
    np.testing.assert_allclose(res, 6 * x, rtol=1e-14)


def test_arguments_follow_alias_positions():
    x, y = make_data(4, 6, np.float64)[:2]
    g = Genred("SqDist(x,y)", ["y = Vj(1,3)", "x = Vi(0,3)"], axis=1)
    ref = ((x[:, None] - y[None]) ** 2).sum(-1).sum(1, keepdims=True)
    assert_close(g(x, y), ref, np.float64)


def test_pm_any_buffer_of_D_values_and_python_scalars():
    x, y = make_data(4, 5, np.float32)[:2]
    g = Genred("G * SqDist(x,y)", ["G = Pm(1)", "x = Vi(3)", "y = Vj(3)"], axis=1)
    ref = g(np.array([2.0], np.float32), x, y)
    for G in (np.array(2.0, np.float32), np.array([[2.0]], np.float32)):
        np.testing.assert_array_equal(g(G, x, y), ref)
    res = g(np.float32(2.0), x, y)
    assert res.dtype == np.float32
    np.testing.assert_array_equal(res, ref)
    # a Python float after the first array takes its dtype
    g2 = Genred("G * SqDist(x,y)", ["x = Vi(3)", "y = Vj(3)", "G = Pm(1)"], axis=1)
    res = g2(x, y, 2.0)
    assert res.dtype == np.float32
    np.testing.assert_array_equal(res, ref)


def test_var_in_formula_completes_aliases_in_place():
    aliases = ["x = Vi(3)"]
    g = Genred("SqDist(x, Var(1,3,1))", aliases, axis=1)
    assert aliases == ["x = Vi(3)", "Var(1,3,1)"] and g.nargs == 2
    x, y = make_data(4, 5, np.float64)[:2]
    assert_close(g(x, y), ((x[:, None] - y[None]) ** 2).sum(-1).sum(1, keepdims=True), np.float64)


def test_deprecated_dtype_is_ignored():
    x, y = make_data(4, 5, np.float64)[:2]
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        g = Genred("SqDist(x,y)", ["x = Vi(3)", "y = Vj(3)"], axis=1, dtype="float32", cuda_type="float32")
    assert g(x, y).dtype == np.float64


def test_gpu_options_accepted():
    x, y = make_data(4, 5, np.float64)[:2]
    g = Genred("SqDist(x,y)", ["x = Vi(3)", "y = Vj(3)"], axis=1, enable_chunks=False,
               rec_multVar_highdim=True, use_fast_math=False)
    assert g(x, y).shape == (4, 1)


def test_float16_is_computed_in_float32():
    data = make_data(6, 5, np.float64)
    d16 = [v.astype(np.float16) for v in data]
    res = Genred(VEC, list(ALIASES), axis=1)(*d16)
    assert res.dtype == np.float16
    np.testing.assert_allclose(res, dense(VEC, *d16).sum(1), rtol=2e-3)


def test_opt_arg_zero_is_dropped():
    """As in pykeops, opt_arg=0 is ignored: Sum(opt_arg=0) works."""
    x, y = make_data(4, 5, np.float64)[:2]
    res = Genred("SqDist(x,y)", ["x = Vi(3)", "y = Vj(3)"], axis=1, opt_arg=0)(x, y)
    assert res.shape == (4, 1)


def test_zero_formula_sum():
    x, y = make_data(4, 5, np.float64)[:2]
    res = Genred("x - x", ["x = Vi(3)", "y = Vj(3)"], axis=1)(x, y)
    np.testing.assert_array_equal(res, np.zeros((4, 3)))


# ------------------------------------------------------------------ accumulation options
@pytest.mark.parametrize("opts", [dict(sum_scheme="direct_sum"), dict(sum_scheme="block_sum"),
                                  dict(sum_scheme="kahan_scheme"), dict(dtype_acc="float64"),
                                  dict(use_double_acc=True), dict(dtype_acc="float32")])
@pytest.mark.parametrize("axis", [0, 1])
def test_accumulation_options(opts, axis):
    data = make_data(40, 30, np.float32)
    res = Genred(VEC, list(ALIASES), axis=axis, **opts)(*data)
    assert res.dtype == np.float32
    assert_close(res, dense(VEC, *data).sum(0 if axis == 0 else 1), np.float32)


@pytest.mark.parametrize("opts", [dict(sum_scheme="direct_sum"), dict(sum_scheme="kahan_scheme"),
                                  dict(dtype_acc="float64")])
def test_accumulation_options_logsumexp(opts):
    """kahan_scheme is supported on LogSumExp (pykeops fails with an AttributeError)."""
    case = ("LogSumExp", SCAL, None, WEIGHT)
    data = make_data(30, 40, np.float32)
    check(genred(case, 1, **opts)(*data), expected(case, 1, data), np.float32)


def test_float32_sum_accuracy_of_block_and_kahan():
    """1e6 float32 terms: block_sum and kahan_scheme are much closer to the float64
    sum than direct_sum; double accumulation is closer still."""
    rng = np.random.default_rng(4)
    b = rng.uniform(0, 1, size=(10**6, 1)).astype(np.float32)
    exact = b.astype(np.float64).sum()
    err = {}
    for name, opts in {"direct": dict(sum_scheme="direct_sum"), "block": dict(sum_scheme="block_sum"),
                       "kahan": dict(sum_scheme="kahan_scheme"), "double": dict(use_double_acc=True),
                       "auto": {}}.items():
        res = Genred("b", ["b = Vj(1)"], axis=1, **opts)(b)
        assert res.shape == (1, 1) and res.dtype == np.float32
        err[name] = abs(float(res[0, 0]) - exact) / exact
    assert err["direct"] > 1e-6, err  # float32 direct summation of 1e6 terms drifts
    assert err["block"] < err["direct"] / 5, err
    assert err["kahan"] < err["direct"] / 5, err
    assert err["auto"] == err["block"], err
    assert err["double"] < 1e-7, err


# ------------------------------------------------------------------ special values (dims-and-errors §B)
def test_ties_keep_the_smallest_index():
    b = np.array([[3.0], [1.0], [2.0], [1.0], [1.0]])
    assert Genred("b", ["b = Vj(1)"], reduction_op="ArgMin", axis=1)(b)[0, 0] == 1
    vals, idx = Genred("b", ["b = Vj(1)"], reduction_op="KMin_ArgKMin", opt_arg=3, axis=1)(b)
    np.testing.assert_array_equal(idx, [[1, 3, 4]])
    np.testing.assert_array_equal(vals, [[1.0, 1.0, 1.0]])


def test_nan_terms():
    """Ignored by Min/Max/Arg*/KMin (strict comparisons), propagated by Sum and LogSumExp."""
    b = np.array([[np.nan], [2.0], [np.nan], [1.0]])
    red = {r: Genred("b", ["b = Vj(1)"], reduction_op=r, axis=1, opt_arg=2 if "K" in r else None)
           for r in ("Min", "Max", "ArgMin", "KMin", "Sum", "LogSumExp")}
    assert red["Min"](b)[0, 0] == 1.0 and red["Max"](b)[0, 0] == 2.0 and red["ArgMin"](b)[0, 0] == 3
    np.testing.assert_array_equal(red["KMin"](b), [[1.0, 2.0]])
    assert np.isnan(red["Sum"](b)[0, 0]) and np.isnan(red["LogSumExp"](b)[0, 0])
    allnan = np.full((3, 1), np.nan)
    assert red["Min"](allnan)[0, 0] == np.inf and red["ArgMin"](allnan)[0, 0] == -1


def test_logsumexp_with_infinite_terms():
    """-inf terms count as exp(-inf) = 0, also first; only -inf gives -inf (pykeops NaN)."""
    g = Genred("b", ["b = Vj(1)"], reduction_op="LogSumExp", axis=1)
    b = np.array([[-np.inf], [0.0], [np.log(2.0)]])
    np.testing.assert_allclose(g(b), [[np.log(3.0)]], rtol=1e-15)
    assert g(np.full((2, 1), -np.inf))[0, 0] == -np.inf


def test_formula2_variables_are_arguments():
    """A Var(...) written only in formula2 is an argument, as in pykeops."""
    rng = np.random.default_rng(3)
    x, y, w = rng.standard_normal((30, 2)), rng.standard_normal((40, 2)), rng.random((40, 1))
    g = Genred("-SqDist(x,y)", ["x=Vi(2)", "y=Vj(2)"], reduction_op="LogSumExp", axis=1,
               formula2="Var(2,1,1)")
    assert g.nargs == 3
    d = -((x[:, None, :] - y[None]) ** 2).sum(-1)
    ref = np.log((np.exp(d) * w.T).sum(1, keepdims=True))
    np.testing.assert_allclose(g(x, y, w), ref, rtol=1e-12)
