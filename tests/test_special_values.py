"""NaN, infinities and empty reductions, for every reduction: the semantics
of docs/differences.md (reduction_semantics.reference), in both dtypes."""

import numpy as np
import pytest

from conftest import assert_close
from pykeops.numpy import Genred
from reduction_semantics import reference

nan, inf = np.nan, np.inf

REDUCTIONS = ["Sum", "Min", "Max", "ArgMin", "ArgMax", "Min_ArgMin", "Max_ArgMax", "KMin", "ArgKMin",
              "KMin_ArgKMin", "LogSumExp", "LogSumExpWeight", "Max_SumShiftExp", "Max_SumShiftExpWeight",
              "SumSoftMaxWeight", "SoftMax"]
WEIGHTED = {"LogSumExpWeight", "Max_SumShiftExpWeight", "SumSoftMaxWeight", "SoftMax"}
SCALAR = {"LogSumExp", "LogSumExpWeight", "Max_SumShiftExp", "Max_SumShiftExpWeight", "SumSoftMaxWeight", "SoftMax"}

# Columns of terms j = 0..N-1 (one output row).
COLUMNS = {
    "mixed": [nan, 2.0, -inf, 1.0, inf, nan, 1.0, -3.0],
    "all_nan": [nan, nan, nan],
    "plus_inf": [1.0, inf, 3.0, inf],
    "minus_inf": [-inf, -inf, 2.0, -inf],
    "only_minus_inf": [-inf, -inf],
    "nan_and_inf": [inf, nan, -inf],
    "ties": [2.0, 1.0, 1.0, 2.0, 1.0],
    "empty": [],
}


def run(red, col, K, dtype):
    f = np.array(col, dtype=dtype).reshape(-1, 1)
    w = (np.arange(len(col), dtype=dtype) + 1).reshape(-1, 1)  # weights 1, 2, 3...
    D = 1 if red in SCALAR else 2
    data = f if D == 1 else np.concatenate([f, f[::-1]], 1)  # a second component, reversed
    kwargs = {"formula2": "w"} if red in WEIGHTED else {}
    g = Genred("f", [f"f = Vj({D})", "w = Vj(1)"], reduction_op=red, axis=1, opt_arg=K, **kwargs)
    res = g(data, w)
    F = data.astype(np.float64)[None]  # (M = 1, N, D)
    G = w.astype(np.float64)[None] if kwargs else None
    return res, reference("SumSoftMaxWeight" if red == "SoftMax" else red, F, G, K, 1, None)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("column", sorted(COLUMNS))
@pytest.mark.parametrize("red", REDUCTIONS)
def test_special_values_and_empty_reductions(red, column, dtype):
    for K in ([2, 9] if "KMin" in red else [None]):  # K = 9: more slots than terms
        res, (vals, idx) = run(red, COLUMNS[column], K, dtype)
        vals = vals[0]  # the one output row: (D,), or (K, D) for the KMin family
        idx = None if idx is None else idx[0]
        has_vals, has_idx = not red.startswith("Arg"), "Arg" in red
        got_vals, got_idx = (res if has_vals and has_idx else (None, res) if has_idx else (res, None))
        if got_vals is not None:
            assert got_vals.dtype == dtype
            assert_close(got_vals.reshape(vals.shape), vals, dtype)
        if got_idx is not None:
            assert got_idx.dtype == np.int64
            np.testing.assert_array_equal(got_idx.reshape(idx.shape), idx)


def test_the_documented_cases():
    """The rows of the table in docs/differences.md, spelled out."""
    def red(op, col, **kw):
        f = np.array(col, dtype=float).reshape(-1, 1)
        return Genred("f", ["f = Vj(1)"], reduction_op=op, axis=1, **kw)(f)

    # comparing reductions skip NaN; nothing left: identity and index -1
    assert red("Min", [nan, 3.0, 1.0])[0, 0] == 1.0
    assert red("ArgMin", [nan, 3.0, 1.0])[0, 0] == 2
    assert red("ArgMax", [nan, nan])[0, 0] == -1 and red("Max", [nan, nan])[0, 0] == -inf
    v, i = red("Min_ArgMin", [])
    assert v.shape == (1, 1) and v[0, 0] == inf and i[0, 0] == -1
    # +inf terms are values like others
    assert red("ArgMin", [inf, inf])[0, 0] == 0
    v, i = red("KMin_ArgKMin", [inf, 2.0], opt_arg=3)
    np.testing.assert_array_equal(v, [[2.0, inf, inf]])
    np.testing.assert_array_equal(i, [[1, 0, -1]])
    # summing reductions propagate NaN; LogSumExp follows the limits
    assert np.isnan(red("Sum", [1.0, nan])[0, 0]) and red("Sum", [1.0, inf])[0, 0] == inf
    assert np.isnan(red("Sum", [inf, -inf])[0, 0])
    assert red("Sum", [1.0, inf], sum_scheme="kahan_scheme")[0, 0] == inf
    assert red("LogSumExp", [1.0, inf])[0, 0] == inf
    assert red("LogSumExp", [-inf, -inf])[0, 0] == -inf and red("LogSumExp", [])[0, 0] == -inf
    assert np.isnan(red("LogSumExp", [1.0, nan])[0, 0])
