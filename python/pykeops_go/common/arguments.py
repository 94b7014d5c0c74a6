"""Checking the arrays of a reduction call against the kernel's arguments.

pykeops checks almost nothing here (mixed dtypes, wrong column counts and
mismatched sizes silently give garbage); we raise ValueError or TypeError
naming the argument instead. The Go engine checks every length again.
"""

from __future__ import annotations

import numpy as np

CAT_NAMES = ("Vi", "Vj", "Pm")
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class Prepared:
    """Arrays ready for Kernel.run, with the sizes of the call."""

    __slots__ = ("arrays", "dtype", "M", "N", "batch", "arg_batches")


def prepare(kernel, args, name="Genred") -> Prepared:
    """Validate the call arrays, make them contiguous and find M, N and the batch shape.

    float16 data is computed in float32 (pykeops fails on it on CPU).
    """
    nargs = len(kernel.args)
    if len(args) != nargs:
        raise ValueError(
            f"Invalid number of arguments in call to {name} (should be {nargs} and got {len(args)})."
        )
    arrays = []
    for k, a in enumerate(args):
        if not isinstance(a, np.ndarray):
            if isinstance(a, (float, int, np.floating, list, tuple)):
                a = np.asarray(a)
            else:
                raise TypeError(f"{name}: argument {k} must be a NumPy array, got {type(a).__name__}")
        arrays.append(a)
    dtype = arrays[0].dtype if arrays else np.dtype(np.float64)
    for k, a in enumerate(arrays):
        if a.dtype not in FLOAT_DTYPES and a.dtype != np.float16:
            raise ValueError(
                f"{name}: argument {k} has dtype {a.dtype}; expected float32 or float64 (or float16)"
            )
        if a.dtype != dtype:
            raise ValueError(
                f"{name}: argument {k} has dtype {a.dtype} but argument 0 has {dtype}: "
                "all arguments must have the same dtype"
            )
    work = np.dtype(np.float32) if dtype == np.float16 else dtype
    p = Prepared()
    p.dtype = work
    p.arrays = [np.ascontiguousarray(a, dtype=work) for a in arrays]
    nb = max((a.ndim for a in arrays), default=2) - 2
    nb = max(nb, 0)
    sizes = {0: None, 1: None}
    batch_shapes = []
    for k, (a, info) in enumerate(zip(arrays, kernel.args)):
        cat = CAT_NAMES[info.cat]
        if info.cat == 2:
            if nb == 0:
                if a.size != info.dim:
                    raise ValueError(
                        f"{name}: argument {k} ({cat} of dim {info.dim}) has shape {a.shape}; "
                        f"expected ({info.dim},)"
                    )
                batch_shapes.append(())
                continue
            if a.ndim != nb + 1 or a.shape[-1] != info.dim:
                raise ValueError(
                    f"{name}: argument {k} ({cat} of dim {info.dim}) has shape {a.shape}; with "
                    f"{nb} batch dimension(s) expected (batch..., {info.dim}) with {nb + 1} axes"
                )
            batch_shapes.append(a.shape[:nb])
            continue
        if a.ndim != nb + 2:
            raise ValueError(
                f"{name}: argument {k} ({cat} of dim {info.dim}) has shape {a.shape}; expected "
                + (f"a 2-D array ({'M' if info.cat == 0 else 'N'}, {info.dim})" if nb == 0
                   else f"{nb + 2} axes (batch..., {'M' if info.cat == 0 else 'N'}, {info.dim})")
            )
        if a.shape[-1] != info.dim:
            raise ValueError(
                f"{name}: argument {k} ({cat}) has {a.shape[-1]} columns; the formula expects dim {info.dim}"
            )
        n = a.shape[-2]
        if sizes[info.cat] is None:
            sizes[info.cat] = (n, k)
        elif sizes[info.cat][0] != n:
            first, k0 = sizes[info.cat]
            letter = "M" if info.cat == 0 else "N"
            raise ValueError(
                f"{name}: argument {k} ({cat}) has {n} rows but argument {k0} has {first}: "
                f"all {cat} arguments must share {letter}"
            )
        batch_shapes.append(a.shape[:nb])
    batch = []
    for t in range(nb):
        sizes_t = {s[t] for s in batch_shapes if s}
        sizes_t.discard(1)
        if len(sizes_t) > 1:
            raise ValueError(f"{name}: incompatible batch dimensions {sorted(batch_shapes)} at axis {t}")
        batch.append(sizes_t.pop() if sizes_t else 1)
    p.batch = tuple(batch)
    p.arg_batches = [s if s else (1,) * nb for s in batch_shapes]
    p.M = sizes[0][0] if sizes[0] else 1
    p.N = sizes[1][0] if sizes[1] else 1
    return p


def prepare_ranges(ranges, name="Genred"):
    """The six ranges arrays as C-contiguous int64, shapes checked."""
    if ranges is None:
        return None
    if not isinstance(ranges, (tuple, list)) or len(ranges) not in (6, 7):
        raise ValueError(f"{name}: ranges must be a tuple of 6 integer arrays "
                         "(ranges_i, slices_i, redranges_j, ranges_j, slices_j, redranges_i)")
    out = []
    names = ("ranges_i", "slices_i", "redranges_j", "ranges_j", "slices_j", "redranges_i")
    for r, rname in zip(ranges[:6], names):
        r = np.asarray(r)
        if r.dtype.kind not in "iu":
            raise TypeError(f"{name}: ranges: {rname} must be an integer array, got dtype {r.dtype}")
        two_cols = rname.startswith(("ranges", "redranges"))
        if two_cols and (r.ndim != 2 or r.shape[1] != 2):
            raise ValueError(f"{name}: ranges: {rname} must have shape (n, 2), got {r.shape}")
        if not two_cols and r.ndim != 1:
            raise ValueError(f"{name}: ranges: {rname} must be 1-D, got shape {r.shape}")
        out.append(np.ascontiguousarray(r, dtype=np.int64))
    return out
