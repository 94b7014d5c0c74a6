"""Shared test settings: per-dtype tolerances and a scale-aware comparison."""

import numpy as np

# Relative tolerances against float64 NumPy references (the spec asks 1e-12 for
# float64 and 1e-5 for float32 on the kernel examples).
RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12}


def rtol(dtype) -> float:
    """Relative tolerance for results computed in ``dtype``."""
    return RTOL[np.dtype(dtype)]


def assert_close(res, ref, dtype, scale=None):
    """``res`` equals ``ref`` within ``rtol(dtype)``, errors measured relative to
    ``max|ref|`` (or ``scale``) so that cancellations do not fail the test.
    Infinities and NaNs must match exactly."""
    res = np.asarray(res, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert res.shape == ref.shape, (res.shape, ref.shape)
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(np.isnan(res), np.isnan(ref))
    np.testing.assert_array_equal(res[np.isinf(ref)], ref[np.isinf(ref)])
    if finite.any():
        s = scale if scale is not None else max(np.abs(ref[finite]).max(), 1e-300)
        err = np.abs(res[finite] - ref[finite]).max() / s
        assert err <= rtol(dtype), f"relative error {err:.3g} > {rtol(dtype):.1g}"
