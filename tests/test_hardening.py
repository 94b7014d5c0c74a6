"""Inputs that used to give silent wrong answers: byte orders, alignment,
fast-path reuse, grid_cluster overflow."""

import numpy as np
import pytest

from conftest import assert_close
from pykeops.numpy import Genred
from pykeops.numpy.cluster import grid_cluster


def gauss_ref(x, y, b):
    x, y, b = (np.asarray(a, dtype=np.float64) for a in (x, y, b))
    return np.exp(-((x[:, None, :] - y[None]) ** 2).sum(-1)) @ b


def unaligned(a):
    """A copy of a in a buffer at an odd byte offset (not aligned for its dtype)."""
    raw = np.zeros(a.nbytes + 1, dtype=np.uint8)[1:]
    out = raw.view(a.dtype).reshape(a.shape)
    out[...] = a
    assert not out.flags.aligned and out.flags.c_contiguous
    return out


@pytest.fixture
def gauss():
    return Genred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"], axis=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["native_first", "swapped_first"])
def test_byte_swapped_arrays_are_read_as_numbers(gauss, dtype, order):
    rng = np.random.default_rng(1)
    x, y, b = (rng.random(s).astype(dtype) for s in ((7, 3), (9, 3), (9, 1)))
    ref = gauss_ref(x, y, b)
    swapped = [a.astype(a.dtype.newbyteorder(">" if a.dtype.byteorder in "=<" else "<")) for a in (x, y, b)]
    assert not swapped[0].dtype.isnative
    calls = [(x, y, b), tuple(swapped), (swapped[0], y, b), (x, y, b), tuple(swapped)]
    if order == "swapped_first":
        calls = calls[1:] + calls[:1]
    for args in calls:
        res = gauss(*args)
        assert res.dtype == np.dtype(dtype)
        assert_close(res, ref, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unaligned_arrays_are_accepted(gauss, dtype):
    rng = np.random.default_rng(2)
    x, y, b = (rng.random(s).astype(dtype) for s in ((6, 3), (8, 3), (8, 1)))
    ref = gauss_ref(x, y, b)
    for args in [(x, y, b), (unaligned(x), y, b), (x, unaligned(y), unaligned(b)), (x, y, b),
                 (unaligned(x), unaligned(y), unaligned(b))]:
        assert_close(gauss(*args), ref, dtype)


def test_unaligned_ranges_are_accepted():
    rng = np.random.default_rng(3)
    x, y, b = rng.random((4, 3)), rng.random((5, 3)), rng.random((5, 1))
    g = Genred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"], axis=1)
    ranges = [np.array([[0, 4]]), np.array([1]), np.array([[0, 5]]),
              np.array([[0, 5]]), np.array([1]), np.array([[0, 4]])]
    res = g(x, y, b, ranges=tuple(unaligned(r.astype(np.int64)) for r in ranges))
    assert_close(res, gauss_ref(x, y, b), np.float64)


def test_unaligned_out_is_rejected_naming_out(gauss):
    x, y, b = np.ones((3, 3)), np.ones((4, 3)), np.ones((4, 1))
    with pytest.raises(ValueError, match="out must be a writeable, aligned"):
        gauss(x, y, b, out=unaligned(np.zeros((3, 1))))


def test_engine_errors_carry_one_exception_prefix():
    """An address error from the engine reads "argument 0: ...", with no second "ValueError:"."""
    from pykeops_go.common import engine

    k = engine.compile("x", ["x=Vi(1)"], "Sum", 1, None, None, "auto", "auto")
    raw = np.zeros(17, dtype=np.uint8)
    addr = raw.ctypes.data + 1 if raw.ctypes.data % 8 == 0 else raw.ctypes.data
    # The layout of gokeops/descriptor.go: header, nargs, one argument, outputs, no ranges.
    words = np.array([engine._go.DescriptorVersion, 1, 2, 1, 0, 1, addr, 2, 0, 2, 0, 0, 0], dtype=np.int64)
    out = np.zeros(2)
    words[engine._go.HeaderWords + 1 + engine._go.ArgWords] = out.ctypes.data
    with pytest.raises(ValueError) as err:
        engine.call(engine._go.Run, k.handle, 1, words.ctypes.data, words.size)
    assert str(err.value).startswith("argument 0: buffer at")
    assert "ValueError" not in str(err.value)


def test_numpy_scalars_never_take_the_array_fast_path():
    x, y = np.ones((4, 3), np.float32), np.ones((5, 3), np.float32)
    g = Genred("G * SqDist(x,y)", ["G = Pm(1)", "x = Vi(3)", "y = Vj(3)"], axis=1)
    ref = g(np.array(2.0, np.float32), x, y)
    np.testing.assert_array_equal(g(np.float32(2.0), x, y), ref)


def test_grid_cluster_tiny_size_is_an_error_not_one_cluster():
    x = np.random.default_rng(4).random((20, 2))
    for size in (1e-300, 1e-17):
        with pytest.raises(ValueError, match="size is too small"):
            grid_cluster(x, size)
    with pytest.raises(ValueError, match="size is too small"):
        grid_cluster(np.array([[1e300], [-1e300]]), 1e-10)


def test_grid_cluster_labels_do_not_depend_on_an_offset_of_whole_voxels():
    x = np.random.default_rng(5).random((50, 3))
    ref = grid_cluster(x, 0.25)
    # Offsets of whole voxels (exact in binary) keep the labels; a large
    # offset no longer overflows the encoding.
    for shift in (1.0, 2.0**40):
        np.testing.assert_array_equal(grid_cluster(x + shift, 0.25), ref)
