"""The torch side of the array adapter: tensors in and out of the NumPy engine layer.

The engine reads and writes NumPy arrays by address (``common/engine.py``). A
CPU tensor is handed over as ``tensor.numpy()``, a view of the same memory
(its ``data_ptr()``), and a result array is returned as ``torch.from_numpy``,
again a view: no data is copied either way. As in pykeops, a non-contiguous
tensor is copied with a warning. CUDA tensors go to the GPU backends
(``common/gpu_backend.py``) before reaching here, so tensors on
any other device are refused with a message saying so.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from pykeops_go.utils import pyKeOps_Warning

FLOAT_DTYPES = (torch.float16, torch.float32, torch.float64)

_FLOATS = frozenset(FLOAT_DTYPES)

DTYPE_NAMES = {torch.float16: "float16", torch.float32: "float32", torch.float64: "float64"}
DTYPES = {v: k for k, v in DTYPE_NAMES.items()}


def check_device(t: torch.Tensor, what: str) -> None:
    """Refuse tensors that the CPU engine cannot read in place."""
    if t.device.type != "cpu":
        raise ValueError(
            f"{what} is on device {t.device}: only the CPU backend reads it here, which takes CPU "
            "tensors (CUDA tensors run on the GPU backends, with a usable GPU); move the data with .cpu()"
        )


def to_numpy(t: Any, what: str, warn: bool = True) -> np.ndarray:
    """A NumPy view of a CPU tensor (a contiguous copy, with a warning, when it is not contiguous).

    Paid for every tensor of every call: the common case (a CPU float tensor) takes
    three cheap tests; the others are sorted out only when they fail.
    """
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{what} must be a torch.Tensor, got {type(t).__name__}")
    if not t.is_cpu:
        check_device(t, what)
    if t.dtype not in _FLOATS:
        if t.dtype.is_floating_point:
            raise ValueError(f"{what} has dtype {t.dtype}; expected torch.float16, float32 or float64")
        if t.is_complex():
            raise ValueError(f"{what} has dtype {t.dtype}; complex data goes through ComplexLazyTensor")
        # integer tensors: the common layer names the dtype it expects
    if not t.is_contiguous():
        if warn:
            pyKeOps_Warning("at least one of the input tensors is not contiguous. Consider using "
                            "contiguous data arrays to avoid unnecessary copies.")
        t = t.contiguous()
    return t.detach().numpy() if t.requires_grad else t.numpy()


def ranges_to_numpy(ranges: Sequence[Any] | None) -> Any:
    """Ranges tensors as NumPy views (checked and made int64 by the common layer)."""
    if ranges is None or (isinstance(ranges, (tuple, list)) and len(ranges) == 0):
        return None
    if not isinstance(ranges, (tuple, list)):
        return ranges  # the common layer raises the error
    out = []
    for k, r in enumerate(ranges):
        if isinstance(r, torch.Tensor):
            check_device(r, f"ranges[{k}]")
            r = r.detach().contiguous().numpy()
        out.append(r)
    return tuple(out)


def from_numpy(a: Any) -> Any:
    """Results back as tensors sharing the arrays' memory (tuples element-wise)."""
    if isinstance(a, tuple):
        return tuple(from_numpy(x) for x in a)
    return torch.from_numpy(a)
