"""Checking the arrays of a reduction call against the kernel's arguments.

pykeops checks almost nothing here (mixed dtypes, wrong column counts and
mismatched sizes silently give garbage); we raise ValueError or TypeError
naming the argument instead. The Go engine checks every length again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from pykeops_go.common import engine

if TYPE_CHECKING:
    from pykeops_go.common.engine import ArgInfo, Kernel

CAT_NAMES = ("Vi", "Vj", "Pm")
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class Prepared:
    """Arrays ready for Kernel.plan and CallPlan.run, with the sizes of the call."""

    __slots__ = ("arrays", "dtype", "user_dtype", "M", "N", "batch", "arg_batches")


def prepare(kernel: Kernel, args: Sequence[Any], name: str = "Genred") -> Prepared:
    """Validate the call arrays, make them contiguous and find M, N and the batch shape.

    float16 data is computed in float32 (pykeops fails on it on CPU).
    """
    nargs = len(kernel.args)
    if len(args) != nargs:
        raise ValueError(
            f"Invalid number of arguments in call to {name} (should be {nargs} and got {len(args)})."
        )
    arrays, dtype = _float_arrays(args, name)
    work = np.dtype(np.float32) if dtype == np.float16 else dtype
    p = Prepared()
    p.dtype = work
    p.user_dtype = dtype
    # C-contiguous, native byte order and aligned ("CA"): the engine reads the
    # buffers in place; anything else (a view at an odd byte offset, ">f8")
    # is copied here.
    p.arrays = [np.require(a, dtype=work, requirements="CA") for a in arrays]
    p.M, p.N, p.batch, p.arg_batches = layout(kernel, arrays, name)
    return p


def layout(kernel: Kernel, arrays: Sequence[Any], name: str = "Genred") -> tuple:
    """``(M, N, batch, arg_batches)`` of a call, once the shapes of its arrays (anything with
    ``shape``, ``ndim`` and ``size``: NumPy arrays, or the shapes of device tensors) are
    checked against the categories and dimensions of the kernel's arguments."""
    nb = max(max((a.ndim for a in arrays), default=2) - 2, 0)
    first_rows = {}  # 0 (Vi) or 1 (Vj) -> (rows, index of the first argument of that category)
    batch_shapes = []
    for k, (a, info) in enumerate(zip(arrays, kernel.args)):
        batch_shapes.append(_batch_shape(k, a, info, nb, name))
        if info.cat == 2:
            continue
        n = a.shape[-2]
        first, k0 = first_rows.setdefault(info.cat, (n, k))
        if n != first:
            cat = CAT_NAMES[info.cat]
            raise ValueError(
                f"{name}: argument {k} ({cat}) has {n} rows but argument {k0} has {first}: "
                f"all {cat} arguments must share {'MN'[info.cat]}"
            )
    batch = _broadcast(batch_shapes, nb, name)
    arg_batches = [s if s else (1,) * nb for s in batch_shapes]
    return (first_rows[0][0] if 0 in first_rows else 1, first_rows[1][0] if 1 in first_rows else 1,
            batch, arg_batches)


def _native(dtype: np.dtype) -> np.dtype:
    """dtype in native byte order (``>f8`` -> ``float64``)."""
    return dtype if dtype.isnative else dtype.newbyteorder("=")


def _float_arrays(args: Sequence[Any], name: str) -> tuple[list[np.ndarray], np.dtype]:
    """The arguments as arrays of one float dtype, and that dtype.

    A Python scalar or list takes the dtype of the first array (float64 without one).
    """
    arrays = list(args)
    ref = next((a.dtype for a in arrays if isinstance(a, np.ndarray)), np.dtype(np.float64))
    for k, a in enumerate(arrays):
        if isinstance(a, np.ndarray):
            continue
        if not isinstance(a, (float, int, np.floating, np.integer, list, tuple)) or isinstance(a, bool):
            raise TypeError(f"{name}: argument {k} must be a NumPy array, got {type(a).__name__}")
        arrays[k] = np.asarray(a, dtype=ref)
    # Byte order is not part of the dtype here: ">f8" data is float64 data,
    # converted to native order by prepare.
    dtype = _native(arrays[0].dtype) if arrays else np.dtype(np.float64)
    for k, a in enumerate(arrays):
        native = _native(a.dtype)
        if native not in FLOAT_DTYPES and native != np.float16:
            raise ValueError(
                f"{name}: argument {k} has dtype {a.dtype}; expected float32 or float64 (or float16)"
            )
        if native != dtype:
            raise ValueError(
                f"{name}: argument {k} has dtype {a.dtype} but argument 0 has {dtype}: "
                "all arguments must have the same dtype"
            )
    return arrays, dtype


def _batch_shape(k: int, a: np.ndarray, info: ArgInfo, nb: int, name: str) -> tuple:
    """The batch shape of argument k, once its shape is checked against its category and dim.

    With nb batch dimensions, Vi / Vj arrays are ``(batch..., M or N, dim)`` and Pm
    arrays ``(batch..., dim)``; without them a Pm may be any array of dim values.
    """
    cat, dim = CAT_NAMES[info.cat], info.dim
    if info.cat == 2:
        if nb == 0:
            if a.size != dim:
                raise ValueError(f"{name}: argument {k} ({cat} of dim {dim}) has shape {a.shape}; "
                                 f"expected ({dim},)")
            return ()
        if a.ndim != nb + 1 or a.shape[-1] != dim:
            raise ValueError(
                f"{name}: argument {k} ({cat} of dim {dim}) has shape {a.shape}; with "
                f"{nb} batch dimension(s) expected (batch..., {dim}) with {nb + 1} axes"
            )
        return a.shape[:nb]
    rows = "MN"[info.cat]
    if a.ndim != nb + 2:
        expected = (f"a 2-D array ({rows}, {dim})" if nb == 0
                    else f"{nb + 2} axes (batch..., {rows}, {dim})")
        raise ValueError(f"{name}: argument {k} ({cat} of dim {dim}) has shape {a.shape}; "
                         f"expected {expected}")
    if a.shape[-1] != dim:
        raise ValueError(
            f"{name}: argument {k} ({cat}) has {a.shape[-1]} columns; the formula expects dim {dim}"
        )
    return a.shape[:nb]


def _broadcast(batch_shapes: list[tuple], nb: int, name: str) -> tuple:
    """The common batch shape: per axis, the one size other than 1 (or 1)."""
    batch = []
    for t in range(nb):
        sizes_t = {s[t] for s in batch_shapes if s}
        sizes_t.discard(1)
        if len(sizes_t) > 1:
            raise ValueError(f"{name}: incompatible batch dimensions {sorted(batch_shapes)} at axis {t}")
        batch.append(sizes_t.pop() if sizes_t else 1)
    return tuple(batch)


def prepare_ranges(ranges: Sequence[Any] | None, name: str = "Genred") -> list[np.ndarray] | None:
    """The six ranges arrays as C-contiguous int64, shapes checked.

    As in pykeops, a falsy ``ranges`` (None, empty tuple) means a dense reduction;
    a 7th array (the lengths pykeops appends internally) is ignored.
    """
    if ranges is None or (isinstance(ranges, (tuple, list)) and len(ranges) == 0):
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
        out.append(np.require(r, dtype=np.int64, requirements="CA"))
    return out


# ---------------------------------------------------------------- alias strings
def get_type(type_str: str, position_in_list: int | None = None) -> tuple:
    """Parse an alias such as ``"x = Vi(3)"``, ``"Vj(1,2)"`` or ``"Var(0,3,1)"``, as the
    formula compiler does (Go's ``formula.ParseAlias``, through ``engine.parse_alias``).

    Parameters
    ----------
    type_str : str
        ``name = Cat(dim)``, ``name = Cat(pos,dim)``, ``Cat(dim)``, ``Cat(pos,dim)``
        (Cat in Vi, Vj, Pm), ``Var(pos,dim,cat)`` or ``name = Var(pos,dim,cat)``.
    position_in_list : int, optional
        Position used when the string gives none.

    Returns
    -------
    tuple
        ``(name or None, cat, dim, pos or None)``, as pykeops' ``get_type``.
    """
    if not isinstance(type_str, str):
        raise TypeError(f"an alias must be a str such as 'x = Vi(3)', got {type(type_str).__name__}")
    pos = -1 if position_in_list is None else int(position_in_list)
    name, cat, dim, ind = engine.parse_alias(type_str, pos)
    return name or None, cat, dim, None if ind < 0 else ind


def axis2cat(axis: int) -> int:
    """The category (0: Vi, 1: Vj) of the output of a reduction over ``axis``."""
    if axis in (0, 1):
        return (axis + 1) % 2
    raise ValueError("Axis should be 0 or 1.")


def cat2axis(cat: int) -> int:
    """The reduction axis whose output has category ``cat`` (0: Vi, 1: Vj)."""
    if cat in (0, 1):
        return (cat + 1) % 2
    raise ValueError("Category should be Vi or Vj.")


def output_axis(output: str) -> tuple[int, int]:
    """Reduction axis and dimension of an output alias of the ``generic_*`` shortcuts, such as
    ``"gamma = Vi(1)"`` (Vi: axis 1, Vj: axis 0; Pm -> ValueError)."""
    if not isinstance(output, str):
        raise TypeError(f"output must be an alias string such as 'gamma = Vi(1)', got {type(output).__name__}")
    _, cat, dim, _ = get_type(output)
    return cat2axis(cat), dim
