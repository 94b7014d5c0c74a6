"""Voxel-grid clustering (pure NumPy)."""

from __future__ import annotations

from typing import Sequence, Union

import numpy as np

from .utils import _check_points, _is_real_numeric

_WEIGHTS = {
    1: np.array([1], dtype=np.int64),
    2: np.array([2**10, 1], dtype=np.int64),
    3: np.array([2**20, 2**10, 1], dtype=np.int64),
}


def grid_cluster(x: np.ndarray, size: Union[float, Sequence[float], np.ndarray]) -> np.ndarray:
    """Distribute points into cubic cells ("voxels") of a regular grid.

    Voxel coordinates ``c = floor(x / size)`` are encoded as
    ``code = c @ w`` with ``w = [1]``, ``[2**10, 1]`` or ``[2**20, 2**10, 1]``,
    shifted so that ``min(code) == 0``; the label of a point is the rank of its
    code among the sorted unique codes.

    Parameters
    ----------
    x : (M, D) ndarray
        Points, with ``D`` in {1, 2, 3}.
    size : float or (D,) array_like
        Positive, finite edge length(s) of the voxels.

    Returns
    -------
    labels : (M,) int64 ndarray
        Labels in ``[0, C)``, where ``C`` is the number of distinct codes,
        ordered as the codes.

    Raises
    ------
    NotImplementedError
        If ``D`` is not 1, 2 or 3.
    TypeError
        If ``x`` is not a real numeric ndarray or ``size`` is not numeric.
    ValueError
        If ``x`` is not 2-D or contains non-finite values, or ``size`` has a bad
        shape or non-positive / non-finite entries.

    Notes
    -----
    As in pykeops, the encoding is only injective when every voxel coordinate
    but the first spans fewer than 1024 voxels: wider clouds may see distinct
    voxels collide into one label (e.g. ``(0, 1024)`` and ``(1, 0)`` in 2-D).
    """
    _check_points(x)
    M, D = x.shape
    if D not in _WEIGHTS:
        raise NotImplementedError(f"grid_cluster supports D in {{1, 2, 3}}, got D={D}")
    s = np.asarray(size)
    if not _is_real_numeric(s.dtype):
        raise TypeError(f"size must be a real scalar or (D,) array, got {type(size).__name__}")
    if s.shape not in ((), (D,)):
        raise ValueError(f"size must be a scalar or a ({D},) array, got shape {s.shape}")
    if not (np.all(np.isfinite(s)) and np.all(s > 0)):
        raise ValueError("size must contain positive, finite values")
    if not np.all(np.isfinite(x)):
        raise ValueError("x must contain finite values")
    if M == 0:
        return np.zeros(0, dtype=np.int64)
    # Voxel coordinates are shifted to start at 0 on every axis before the
    # encoding: the labels (ranks of the codes) are the same as without the
    # shift, and only the extent of the cloud, not its offset, must fit.
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        voxel = np.floor(x / s)
    if not np.all(np.isfinite(voxel)):
        raise ValueError(f"size is too small for x: x / size overflows (max |x| = {np.abs(x).max():g})")
    voxel -= voxel.min(axis=0)
    w = _WEIGHTS[D]
    if float(voxel.max(axis=0) @ w.astype(np.float64)) >= 2.0**62:
        raise ValueError("size is too small for the extent of x: the voxel codes "
                         "would overflow int64 (use a larger size)")
    code = voxel.astype(np.int64) @ w
    _, labels = np.unique(code, return_inverse=True)
    return labels.reshape(M).astype(np.int64, copy=False)

__all__ = ["grid_cluster"]
