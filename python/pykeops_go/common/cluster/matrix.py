"""Block-sparsity pattern -> KeOps ``ranges`` 6-tuple (pure NumPy)."""

from __future__ import annotations

from typing import Tuple

import numpy as np

from .utils import _check_array, _check_ranges


def from_matrix(
    ranges_i: np.ndarray, ranges_j: np.ndarray, keep: np.ndarray
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Turn cluster ranges and a boolean cluster-to-cluster mask into ``ranges``.

    Parameters
    ----------
    ranges_i : (Mc, 2) integer ndarray
        ``[start, end)`` indices of the clusters of "i" points.
    ranges_j : (Nc, 2) integer ndarray
        ``[start, end)`` indices of the clusters of "j" points.
    keep : (Mc, Nc) bool ndarray
        ``keep[k, l]`` is True if cluster ``k`` of "i" interacts with cluster
        ``l`` of "j".

    Returns
    -------
    (ranges_i, slices_i, redranges_j, ranges_j, slices_j, redranges_i) : tuple
        C-contiguous int64 arrays, usable as the ``ranges`` argument of a
        reduction:

        - ``slices_i = cumsum(keep.sum(1))``;
        - ``redranges_j = ranges_j[l]`` for every True ``(k, l)``, row-major;
        - ``slices_j = cumsum(keep.sum(0))``;
        - ``redranges_i = ranges_i[k]`` for every True ``(k, l)``, column-major.

    Raises
    ------
    TypeError
        If the ranges are not integer ndarrays or ``keep`` is not a bool ndarray.
    ValueError
        If the ranges are not ``(C, 2)`` or ``keep`` is not
        ``(len(ranges_i), len(ranges_j))``.
    """
    _check_ranges(ranges_i, "ranges_i")
    _check_ranges(ranges_j, "ranges_j")
    _check_array(keep, "keep")
    if keep.dtype != bool:
        raise TypeError(f"keep must have a bool dtype, got {keep.dtype}")
    expected = (ranges_i.shape[0], ranges_j.shape[0])
    if keep.shape != expected:
        raise ValueError(
            f"keep must have shape (len(ranges_i), len(ranges_j)) = {expected}, "
            f"got {keep.shape}"
        )
    _, l_idx = np.nonzero(keep)  # row-major order
    _, k_idx = np.nonzero(keep.T)  # column-major order (l outer, k inner)

    def i64(a: np.ndarray) -> np.ndarray:
        return np.array(a, dtype=np.int64, order="C")

    return (
        i64(ranges_i),
        i64(np.cumsum(keep.sum(axis=1), dtype=np.int64)),
        i64(ranges_j[l_idx]),
        i64(ranges_j),
        i64(np.cumsum(keep.sum(axis=0), dtype=np.int64)),
        i64(ranges_i[k_idx]),
    )

__all__ = ["from_matrix"]
