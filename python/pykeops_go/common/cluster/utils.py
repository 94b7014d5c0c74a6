"""Sorting, ranges and centroids of labelled point clouds (pure NumPy)."""

from __future__ import annotations

from typing import Optional, Sequence, Tuple, TypeVar, Union

import numpy as np

ArrayLike = Union[np.ndarray, Sequence]
Points = TypeVar("Points", np.ndarray, tuple, list)


# ----------------------------------------------------------------------------
# Private validation helpers (shared with grid_cluster.py and matrix.py).
# ----------------------------------------------------------------------------
def _is_real_numeric(dtype: np.dtype) -> bool:
    """True for integer and floating dtypes (not bool, complex or objects)."""
    return dtype != bool and (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer))


def _check_array(a, name: str) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(a).__name__}")
    return a


def _check_points(x, name: str = "x") -> np.ndarray:
    """``x`` must be a real numeric ``(M, D)`` array."""
    _check_array(x, name)
    if not _is_real_numeric(x.dtype):
        raise TypeError(f"{name} must have a real numeric dtype, got {x.dtype}")
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (M, D) array, got shape {x.shape}")
    return x


def _check_labels(lab, name: str = "lab", nonneg: bool = True) -> np.ndarray:
    """``lab`` must be an integer array of shape ``(M,)`` (or ``(M, 1)``)."""
    _check_array(lab, name)
    if not np.issubdtype(lab.dtype, np.integer):
        raise TypeError(f"{name} must have an integer dtype, got {lab.dtype}")
    if lab.ndim not in (1, 2) or (lab.ndim == 2 and lab.shape[1] != 1):
        raise ValueError(f"{name} must be a 1-D (M,) array, got shape {lab.shape}")
    lab = lab.ravel()
    if nonneg and lab.size and lab.min() < 0:
        raise ValueError(f"{name} must contain non-negative labels")
    return lab


def _check_vector(v, name: str, length: Optional[int] = None) -> np.ndarray:
    """``v`` must be a real numeric vector of shape ``(length,)`` or ``(length, 1)``."""
    v = np.asarray(v)
    if not _is_real_numeric(v.dtype):
        raise TypeError(f"{name} must be a real numeric array, got dtype {v.dtype}")
    if v.ndim not in (1, 2) or (v.ndim == 2 and v.shape[1] != 1):
        raise ValueError(f"{name} must be a 1-D array, got shape {v.shape}")
    v = v.ravel()
    if length is not None and v.shape[0] != length:
        raise ValueError(f"{name} must have length {length}, got {v.shape[0]}")
    return v


def _check_ranges(r, name: str) -> np.ndarray:
    """``r`` must be an integer ``(C, 2)`` array."""
    _check_array(r, name)
    if not np.issubdtype(r.dtype, np.integer):
        raise TypeError(f"{name} must have an integer dtype, got {r.dtype}")
    if r.ndim != 2 or r.shape[1] != 2:
        raise ValueError(f"{name} must be a (C, 2) array, got shape {r.shape}")
    return r


# ----------------------------------------------------------------------------
# Public API.
# ----------------------------------------------------------------------------
def sort_clusters(x: Points, lab: np.ndarray) -> Tuple[Points, np.ndarray]:
    """Sort points (and labels) so that clusters are contiguous in memory.

    Parameters
    ----------
    x : (M, ...) ndarray, or tuple / list of (M, ...) ndarrays
        Point cloud(s) to permute along their first axis.
    lab : (M,) integer ndarray
        Cluster label of every point.

    Returns
    -------
    x_sorted : same container type as ``x``
        ``x[perm]`` (or each array permuted), with ``perm = np.argsort(lab.ravel())``.
    lab_sorted : (M,) ndarray
        ``lab[perm]``, in non-decreasing order.

    Raises
    ------
    TypeError
        If ``lab`` is not an integer array or ``x`` is not an array / tuple / list
        of arrays.
    ValueError
        If the first dimensions of ``x`` do not match ``len(lab)``.
    """
    _check_labels(lab, nonneg=False)
    M = lab.size
    arrays = list(x) if isinstance(x, (tuple, list)) else [x]
    for n, a in enumerate(arrays):
        nm = "x" if not isinstance(x, (tuple, list)) else f"x[{n}]"
        _check_array(a, nm)
        if a.ndim == 0 or a.shape[0] != M:
            raise ValueError(
                f"{nm} must have first dimension {M} (= len(lab)), got shape {a.shape}"
            )
    perm = np.argsort(lab.ravel())
    if isinstance(x, tuple):
        x_sorted = tuple(a[perm] for a in x)
    elif isinstance(x, list):
        x_sorted = [a[perm] for a in x]
    else:
        x_sorted = x[perm]
    return x_sorted, lab[perm]


def cluster_ranges(lab: np.ndarray, Nlab: Optional[ArrayLike] = None) -> np.ndarray:
    """Compute the ``[start, end)`` index ranges of the clusters of a sorted cloud.

    Parameters
    ----------
    lab : (M,) integer ndarray
        Non-negative labels, assumed sorted (see :func:`sort_clusters`).
    Nlab : (C,) array_like, optional
        Number of points per cluster; ``np.bincount(lab)`` if None.

    Returns
    -------
    ranges : (C, 2) int64 ndarray
        ``ranges[k] = [pivots[k], pivots[k+1]]`` with ``pivots = [0, cumsum(Nlab)]``.
        Empty clusters give empty ranges ``[p, p]``.

    Raises
    ------
    TypeError, ValueError
        On a non-integer / malformed ``lab`` or ``Nlab``.
    """
    lab = _check_labels(lab)
    Nlab = np.bincount(lab) if Nlab is None else _check_vector(Nlab, "Nlab")
    pivots = np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(Nlab, axis=0)))
    pivots = pivots.astype(np.int64)
    return np.ascontiguousarray(np.stack((pivots[:-1], pivots[1:]), axis=1))


def cluster_centroids(
    x: np.ndarray,
    lab: np.ndarray,
    Nlab: Optional[ArrayLike] = None,
    weights: Optional[ArrayLike] = None,
    weights_c: Optional[ArrayLike] = None,
) -> np.ndarray:
    """Compute the (weighted) barycenter of every cluster.

    ``c[k] = sum_{lab[i]=k} w_i x_i / sum_{lab[i]=k} w_i`` (``w_i = 1`` by default).

    Parameters
    ----------
    x : (M, D) ndarray
        Points.
    lab : (M,) integer ndarray
        Non-negative cluster labels.
    Nlab : (C,) array_like, optional
        Points per cluster (``np.bincount(lab)`` if None); fixes ``C``.
    weights : (M,) array_like, optional
        Point weights.
    weights_c : (C,) array_like, optional
        Total weight per cluster (recomputed from ``weights`` if None).

    Returns
    -------
    centroids : (C, D) ndarray
        Dtype of ``x`` if floating, float64 otherwise. Empty clusters give NaN.

    Raises
    ------
    TypeError, ValueError
        On malformed inputs (e.g. ``x`` not 2-D, length mismatches, ``Nlab``
        shorter than ``lab.max() + 1``).
    """
    _check_points(x)
    lab = _check_labels(lab)
    M, D = x.shape
    if lab.shape[0] != M:
        raise ValueError(f"lab must have length {M} (= x.shape[0]), got {lab.shape[0]}")
    if Nlab is None:
        Nlab = np.bincount(lab)
    else:
        Nlab = _check_vector(Nlab, "Nlab")
    C = Nlab.shape[0]
    if M and lab.max() >= C:
        raise ValueError(f"lab values must be < len(Nlab) = {C}, got {lab.max()}")
    # Flattened (cluster, dim) bins: one bincount for all coordinates.
    bins = (lab[:, None] * D + np.arange(D)).ravel()
    if weights is None:
        vals = x.astype(np.float64, copy=False)
        denom = Nlab.astype(np.float64)
    else:
        w = _check_vector(weights, "weights", M).astype(np.float64)
        vals = x * w[:, None]
        if weights_c is None:
            denom = np.bincount(lab, weights=w, minlength=C)
        else:
            denom = _check_vector(weights_c, "weights_c", C).astype(np.float64)
    sums = np.bincount(bins, weights=vals.ravel(), minlength=C * D).reshape(C, D)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = sums / denom[:, None]
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
    return c.astype(dtype, copy=False)


def cluster_ranges_centroids(
    x: np.ndarray, lab: np.ndarray, weights: Optional[ArrayLike] = None
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute ranges, centroids and total weights of a labelled point cloud.

    Parameters
    ----------
    x : (M, D) ndarray
        Points.
    lab : (M,) integer ndarray
        Non-negative cluster labels (sorted, for the ranges to be meaningful).
    weights : (M,) array_like, optional
        Point weights (1 by default).

    Returns
    -------
    ranges : (C, 2) int64 ndarray
        See :func:`cluster_ranges`.
    centroids : (C, D) ndarray
        See :func:`cluster_centroids`.
    weights_c : (C,) float64 ndarray
        ``np.bincount(lab)`` (as float) or ``np.bincount(lab, weights)``.

    Raises
    ------
    TypeError, ValueError
        On malformed inputs.
    """
    _check_points(x)
    lab = _check_labels(lab)
    Nlab = np.bincount(lab).astype(np.float64)
    if weights is None:
        w_c = Nlab
    else:
        w = _check_vector(weights, "weights", x.shape[0])
        w_c = np.bincount(lab, weights=w, minlength=Nlab.shape[0])
    ranges = cluster_ranges(lab, Nlab)
    return ranges, cluster_centroids(x, lab, Nlab, weights=weights, weights_c=w_c), w_c


def swap_axes(ranges: Optional[Sequence]) -> Optional[tuple]:
    """Swap the "i" and "j" parts of a 6-tuple ``ranges`` argument.

    Parameters
    ----------
    ranges : 6-sequence or None
        ``(ranges_i, slices_i, redranges_j, ranges_j, slices_j, redranges_i)``.

    Returns
    -------
    tuple or None
        ``None`` if ``ranges`` is None, else
        ``(r[3], r[4], r[5], r[0], r[1], r[2])``.

    Raises
    ------
    TypeError
        If ``ranges`` is not a tuple or list.
    ValueError
        If ``ranges`` does not have 6 elements.
    """
    if ranges is None:
        return None
    if not isinstance(ranges, (tuple, list)):
        raise TypeError(f"ranges must be None or a 6-tuple, got {type(ranges).__name__}")
    if len(ranges) != 6:
        raise ValueError(f"ranges must have 6 elements, got {len(ranges)}")
    return (*ranges[3:6], *ranges[0:3])

__all__ = ["cluster_centroids", "cluster_ranges", "cluster_ranges_centroids", "sort_clusters", "swap_axes"]
