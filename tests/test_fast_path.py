"""Calls of shapes already checked (Genred's plans, engine.FastRun) against dense references.

After a good call, a Genred keeps a plan under the arrays' shapes key and later calls of
that key pass the arrays straight to Go (NumPy arrays by object, tensors by address).
Every test here makes a good call first, then one that differs in one way, and checks
that the second is still checked (the same exception, naming the argument) or computed
like the dense float64 NumPy reference.
"""

import ctypes
import threading

import numpy as np
import pytest
from conftest import assert_close

from pykeops_go.common import engine
from pykeops_go.numpy import Genred

FORMULA, ALIASES = "Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"]


def gauss_ref(x, y, b):
    x, y, b = (np.asarray(a, dtype=np.float64) for a in (x, y, b))
    return np.exp(-((x[:, None, :] - y[None]) ** 2).sum(-1)) @ b


def data(m=10, n=10, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(s).astype(dtype) for s in ((m, 3), (n, 3), (n, 1)))


@pytest.fixture
def gauss():
    g = Genred(FORMULA, list(ALIASES), axis=1)
    x, y, b = data()
    assert_close(g(x, y, b), gauss_ref(x, y, b), np.float64)  # the good call: it leaves a plan
    assert g._fast
    return g


def test_data_offset_reads_the_data_pointer():
    assert engine.DATA_OFFSET > 0  # CPython: the fast path passes NumPy arrays by object
    for a in (np.ones((7, 3)), np.ones((9, 3))[2:], np.zeros(5, np.float32)):
        assert ctypes.c_void_p.from_address(id(a) + engine.DATA_OFFSET).value == a.ctypes.data


def test_repeated_calls_read_new_values(gauss):
    x, y, b = data(seed=1)
    for _ in range(3):  # the same objects, changed in place between calls
        assert_close(gauss(x, y, b), gauss_ref(x, y, b), np.float64)
        x += 0.5
        b *= -2
    for seed in range(2, 5):  # other arrays of the same shapes
        args = data(seed=seed)
        assert_close(gauss(*args), gauss_ref(*args), np.float64)


def test_results_are_new_arrays(gauss):
    x, y, b = data(seed=1)
    r1, r2 = gauss(x, y, b), gauss(x, y, b)
    assert r1 is not r2 and not np.shares_memory(r1, r2)
    assert r1.shape == (10, 1) and r1.dtype == np.float64 and r1.flags.c_contiguous
    np.testing.assert_array_equal(r1, r2)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_another_dtype(gauss, dtype):
    x, y, b = data(dtype=dtype, seed=2)
    for _ in range(2):  # the first call of the dtype, then its plan (float32) or the full path again
        res = gauss(x, y, b)
        assert res.dtype == dtype
        if dtype == np.float32:
            assert_close(res, gauss_ref(x, y, b), np.float32)
        else:  # computed in float32, rounded to float16
            np.testing.assert_allclose(res, gauss_ref(x, y, b), rtol=2e-3, atol=2e-3)


def test_mixed_dtypes_name_the_argument(gauss):
    x, y, b = data(seed=3)
    with pytest.raises(ValueError, match="argument 1 has dtype float32 but argument 0 has float64"):
        gauss(x, y.astype(np.float32), b)
    with pytest.raises(ValueError, match="argument 2 has dtype int64; expected float32 or float64"):
        gauss(x, y, b.astype(np.int64))


def test_other_sizes(gauss):
    for m, n in ((3, 10), (10, 17), (1, 1)):
        args = data(m, n, seed=4)
        assert_close(gauss(*args), gauss_ref(*args), np.float64)


def test_wrong_shapes_name_the_argument(gauss):
    x, y, b = data(seed=5)
    with pytest.raises(ValueError, match=r"argument 1 \(Vj\) has 4 columns; the formula expects dim 3"):
        gauss(x, np.ones((10, 4)), b)
    with pytest.raises(ValueError, match=r"argument 2 \(Vj\) has 9 rows but argument 1 has 10"):
        gauss(x, y, b[:9])
    with pytest.raises(ValueError, match=r"argument 0 \(Vi of dim 3\) has shape \(30,\)"):
        gauss(x.reshape(30), y, b)
    with pytest.raises(ValueError, match="Invalid number of arguments"):
        gauss(x, y)
    with pytest.raises(TypeError, match="argument 1 must be a NumPy array, got str"):
        gauss(x, "y", b)
    assert_close(gauss(x, y, b), gauss_ref(x, y, b), np.float64)  # the plan still works


def test_a_shape_changed_in_place_is_checked(gauss):
    x, y, b = data(seed=6)
    gauss(x, y, b)
    y.shape = (15, 2)  # the same object, another shape
    with pytest.raises(ValueError, match=r"argument 1 \(Vj\) has 2 columns"):
        gauss(x, y, b)
    y.shape = (10, 3)
    y.dtype = np.float32  # the same object and memory as float32: shape (10, 6)
    with pytest.raises(ValueError, match="argument 1 has dtype float32 but argument 0 has float64"):
        gauss(x, y, b)
    y.dtype = np.float64
    assert_close(gauss(x, y, b), gauss_ref(x, y, b), np.float64)


@pytest.mark.parametrize("layout", ["strided", "fortran", "unaligned", "byteswapped", "readonly", "subclass"])
def test_other_layouts(gauss, layout):
    x, y, b = data(seed=7)
    if layout == "strided":
        y = np.ascontiguousarray(np.concatenate([y, y], axis=1))[:, ::2]
        assert not y.flags.c_contiguous
    elif layout == "fortran":
        y = np.asfortranarray(y)
    elif layout == "unaligned":
        raw = np.zeros(y.nbytes + 1, dtype=np.uint8)[1:]
        y2 = raw.view(y.dtype).reshape(y.shape)
        y2[...] = y
        y = y2
        assert not y.flags.aligned
    elif layout == "byteswapped":
        y = y.astype(y.dtype.newbyteorder(">"))
    elif layout == "readonly":
        y = y.copy()
        y.flags.writeable = False
    elif layout == "subclass":
        y = y.view(type("Points", (np.ndarray,), {}))
    for _ in range(2):  # the first call of the layout, then its plan (where it has one)
        assert_close(gauss(x, y, b), gauss_ref(x, y, b), np.float64)


def test_scalars_and_lists(gauss):
    x, y, b = data(seed=8)
    assert_close(gauss(x.tolist(), y, b), gauss_ref(x, y, b), np.float64)
    g = Genred("G * SqDist(x,y)", ["G = Pm(1)", "x = Vi(3)", "y = Vj(3)"], axis=1)
    ref = 2 * ((x[:, None, :] - y[None]) ** 2).sum(-1).sum(1, keepdims=True)
    for G in (np.array([2.0]), np.array([2.0]), np.float64(2.0), 2.0, [2.0], np.array(2.0)):
        assert_close(g(G, x, y), ref, np.float64)


def test_out(gauss):
    x, y, b = data(seed=9)
    out = np.full((10, 1), np.nan)
    assert gauss(x, y, b, out=out) is out
    assert_close(out, gauss_ref(x, y, b), np.float64)
    with pytest.raises(ValueError, match="out must be a writeable, aligned, C-contiguous float64 array of shape"):
        gauss(x, y, b, out=np.zeros((9, 1)))
    with pytest.raises(ValueError, match="out must be"):
        gauss(x, y, b, out=np.zeros((10, 1), np.float32))
    assert_close(gauss(x, y, b), gauss_ref(x, y, b), np.float64)


def test_index_and_kmin_outputs():
    x, y, _ = data(12, 15, seed=10)
    d2 = ((x[:, None, :] - y[None]) ** 2).sum(-1)
    g = Genred("SqDist(x,y)", ["x=Vi(3)", "y=Vj(3)"], reduction_op="ArgKMin", axis=1, opt_arg=3)
    kmin = Genred("SqDist(x,y)", ["x=Vi(3)", "y=Vj(3)"], reduction_op="KMin_ArgKMin", axis=1, opt_arg=3)
    for _ in range(3):
        idx = g(x, y)
        assert idx.dtype == np.int64 and idx.shape == (12, 3)
        np.testing.assert_array_equal(idx, np.argsort(d2, axis=1, kind="stable")[:, :3])
        vals, idx = kmin(x, y)
        assert_close(vals, np.sort(d2, axis=1)[:, :3], np.float64)
        np.testing.assert_array_equal(idx, np.argsort(d2, axis=1, kind="stable")[:, :3])


def test_batch_dimensions():
    g = Genred(FORMULA, list(ALIASES), axis=1)
    rng = np.random.default_rng(11)
    x, y, b = rng.standard_normal((2, 5, 3)), rng.standard_normal((1, 6, 3)), rng.standard_normal((2, 6, 1))
    ref = np.stack([gauss_ref(x[i], y[0], b[i]) for i in range(2)])
    for _ in range(2):
        assert_close(g(x, y, b), ref, np.float64)
    with pytest.raises(ValueError, match="incompatible batch dimensions"):
        g(x, np.ones((3, 6, 3)), b)


def test_threads():
    g = Genred(FORMULA, list(ALIASES), axis=1)
    inputs = [data(seed=20 + t) for t in range(4)]
    refs = [gauss_ref(*args) for args in inputs]
    errors = []

    def worker(t):
        try:
            for _ in range(200):
                assert_close(g(*inputs[t]), refs[t], np.float64)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors[0]


def test_addresses_where_objects_are_not_available(monkeypatch):
    """Without a data offset, the plans pass addresses (the results are the same)."""
    monkeypatch.setattr(engine, "DATA_OFFSET", 0)
    g = Genred(FORMULA, list(ALIASES), axis=1)
    for seed in range(3):
        args = data(seed=30 + seed)
        assert_close(g(*args), gauss_ref(*args), np.float64)
    (fast,) = g._fast.values()
    assert isinstance(fast, engine.FastRun) and fast.offset == 0


def test_threaded_plans(monkeypatch):
    """Plans of calls that run in a helper thread (interruptible) take the address path."""
    monkeypatch.setattr(engine, "_THREADED_WORK", 0)
    g = Genred(FORMULA, list(ALIASES), axis=1)
    for seed in range(3):
        args = data(seed=40 + seed)
        assert_close(g(*args), gauss_ref(*args), np.float64)
    (fast,) = g._fast.values()
    assert not isinstance(fast, engine.FastRun)


def test_reshaped_results():
    """KMin of a vector formula returns (M, K, D): a plan that reshapes its outputs."""
    rng = np.random.default_rng(13)
    g = Genred("x*y", ["x=Vi(2)", "y=Vj(2)"], reduction_op="KMin", axis=1, opt_arg=3)
    for _ in range(3):
        x, y = rng.standard_normal((6, 2)), rng.standard_normal((8, 2))
        res = g(x, y)
        assert res.shape == (6, 3, 2)
        ref = np.sort(x[:, None, :] * y[None], axis=1)[:, :3, :]
        assert_close(res, ref, np.float64)


def test_engine_errors_of_a_planned_call_are_python_exceptions(gauss):
    """An error from Go on the fast path is raised as the Python exception it names."""
    (fast,) = gauss._fast.values()
    run = engine.FastRun(fast.plan, fast.sizes, None, engine.DATA_OFFSET, np.empty,
                         ((10, 1), np.dtype(np.float64)), None)
    run.address = lambda a: id(a) + 1  # misaligned object addresses
    with pytest.raises(ValueError, match="argument 0: invalid object address"):
        run(data(seed=12))
