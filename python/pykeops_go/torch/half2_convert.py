"""The float16 "half2" layout of pykeops' CUDA kernels (``pykeops.torch.half2_convert``).

pykeops' GPU code reads float16 data as pairs of scalars. These helpers turn
(..., M, D) tensors into that layout and back: rows are paired (an odd count is
padded with a copy of the last row), and within each pair the two rows are
interleaved coordinate by coordinate. For the reduced variable a second copy
with the pairs swapped is appended, so that every (i, j) couple meets once.
This build computes on the CPU and does not call them itself; they are kept
with pykeops' behaviour for code that uses them.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from pykeops_go.common.arguments import get_type

_INDEX_ONLY = ("ArgMin", "ArgMax", "ArgKMin")
_VALUE_AND_INDEX = ("Min_ArgMin", "MinArgMin", "Max_ArgMax", "MaxArgMax", "KMinArgKMin", "KMin_ArgKMin")


def _rows(x: Any, name: str) -> tuple:
    if not isinstance(x, torch.Tensor) or x.ndim < 2:
        raise ValueError(f"{name}: expected a torch.Tensor of shape (..., M, D), got "
                         f"{type(x).__name__}{'' if not isinstance(x, torch.Tensor) else tuple(x.shape)}")
    return tuple(x.shape[:-2]), x.shape[-2], x.shape[-1]


def make_odd_cat(y: torch.Tensor) -> tuple:
    """``(y2, N)``: the N rows of y followed by a copy shifted by one row, 2N (even N: 2N)
    rows in all, so that the pairs of the copy are the swapped pairs of y."""
    _, N, _ = _rows(y, "make_odd_cat")
    if N % 2 == 0:
        # y, then its last row, then y without its last row: 2N rows.
        return torch.cat((y, y[..., -1:, :], y[..., :-1, :]), dim=-2), N
    return torch.cat((y, y), dim=-2), N


def make_even_size(x: torch.Tensor) -> tuple:
    """``(x2, padded)``: x with a copy of its last row appended when its row count is odd."""
    _, M, _ = _rows(x, "make_even_size")
    if M % 2 == 1:
        return torch.cat((x, x[..., -1:, :]), dim=-2), True
    return x, False


def _check_even(x: torch.Tensor, name: str) -> tuple:
    bdims, M, D = _rows(x, name)
    if M % 2:
        raise ValueError(f"{name}: the row count must be even, got {M}")
    return bdims, M, D


def half2half2(x: torch.Tensor) -> torch.Tensor:
    """Interleave each pair of rows: rows (a, b) become (a0 b0 a1 b1 ..., ...) in the same (M, D) shape."""
    bdims, M, D = _check_even(x, "half2half2")
    return x.reshape(bdims + (M // 2, 2, D)).transpose(-1, -2).contiguous().view(bdims + (M, D))


def half22half(x: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`half2half2`."""
    bdims, M, D = _check_even(x, "half22half")
    return x.reshape(bdims + (M // 2, D, 2)).transpose(-1, -2).contiguous().view(bdims + (M, D))


def ranges2half2(ranges: Sequence[torch.Tensor], N: int) -> tuple:
    """Convert ``(ranges_i, slices_i, redranges_j)`` to half2 indices over the doubled j axis of
    :func:`make_odd_cat`. ``ranges_i`` is changed in place, as in pykeops."""
    ranges_i, slices_i, redranges_j = ranges
    ranges_i[:, 0] = torch.div(ranges_i[:, 0], 2, rounding_mode="floor")
    ranges_i[:, 1] = torch.div(ranges_i[:, 1] + 1, 2, rounding_mode="floor")
    slices_i = torch.cat((slices_i, slices_i + redranges_j.shape[0]))
    # The second block addresses the shifted copy, which starts at half2 row N // 2.
    # (pykeops builds it as a float tensor; the values are the same.)
    block2 = torch.zeros(redranges_j.shape)
    block2[:, 0] = N // 2 + torch.floor((redranges_j[:, 0] + 1) / 2.0)
    block2[:, 1] = N // 2 + torch.ceil((redranges_j[:, 1] + 1) / 2.0)
    if N % 2 == 0 and redranges_j.shape[0] and redranges_j[-1, 1] == N:
        block2[-1, 1] -= 1
    return ranges_i, slices_i, torch.cat((redranges_j, block2.to(redranges_j.dtype)), dim=0)


def preprocess_half2(args: Sequence[torch.Tensor], aliases: Sequence[str], axis: int,
                     ranges: Any, nx: int, ny: int) -> tuple:
    """``(newargs, ranges, tag_dummy, N)``: the arguments of a reduction over ``axis`` in the
    half2 layout (detached), its ranges converted, whether an i row was padded, and the
    reduction length N."""
    N = ny if axis == 1 else nx
    if ranges:
        if axis == 1:
            ranges = ranges2half2(ranges[0:3], ny) + tuple(ranges[3:6])
        else:
            ranges = tuple(ranges[0:3]) + ranges2half2(ranges[3:6], nx)
    newargs = [None] * len(aliases)
    tag_dummy = False
    for k, alias in enumerate(aliases):
        _, cat, dim, pos = get_type(alias, position_in_list=k)
        arg = args[pos].detach()
        if cat == 2:
            arg, _ = make_even_size(arg[..., None, :])
        elif cat == axis:
            arg, n = make_odd_cat(arg)
            N = max(N, n)
        else:
            arg, tag_dummy = make_even_size(arg)
        arg = half2half2(arg)
        if cat == 2:
            arg = arg.reshape(tuple(arg.shape[:-2]) + (2 * dim,))
        newargs[pos] = arg
    return newargs, ranges, tag_dummy, N


def postprocess_half2(out: torch.Tensor, tag_dummy: bool, reduction_op: str, N: int) -> torch.Tensor:
    """Back from the half2 layout: drop the padded row, map the indices into the doubled j axis
    back to ``[0, N)``."""
    out = half22half(out)
    if tag_dummy:
        out = out[..., :-1, :]
    if reduction_op in _INDEX_ONLY:
        ind = out
    elif reduction_op in _VALUE_AND_INDEX:
        ind = out[..., out.shape[-1] // 2:]
    else:
        return out
    if N % 2 == 0:
        ind[ind == N] = N - 1
        ind[ind > N] -= N + 1
    else:
        ind[ind >= N] -= N
    return out


__all__ = ["get_type", "half22half", "half2half2", "make_even_size", "make_odd_cat",
           "postprocess_half2", "preprocess_half2", "ranges2half2"]
