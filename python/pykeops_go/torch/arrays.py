"""The torch array adapter (see ``pykeops_go/common/arrays.py``): tensors in and out of the engine.

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

from pykeops_go.common.arrays import ArrayAdapter
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


class TorchArrays(ArrayAdapter):
    """CPU tensors for the framework-neutral classes of ``common``."""

    kind = "torch.Tensor"
    framework = "torch"

    @staticmethod
    def shapes_key(args: Sequence[Any]) -> tuple | None:
        # What the checks depend on: shapes, dtypes, and whether the engine reads the
        # tensor in place (on the CPU and contiguous).
        try:
            return tuple([(a.shape, a.dtype, a.is_cpu and a.is_contiguous()) for a in args])
        except AttributeError:  # not all tensors: the full path says what is wrong
            return None

    to_numpy = staticmethod(to_numpy)

    @staticmethod
    def reads_in_place(a: Any, array: np.ndarray) -> bool:
        return a.is_cpu and a.is_contiguous() and a.data_ptr() == array.ctypes.data

    address = torch.Tensor.data_ptr

    @staticmethod
    def empty(shape: tuple, dtype: np.dtype) -> torch.Tensor:
        # A tensor on a new NumPy array: half the cost of torch.empty for small outputs.
        return torch.from_numpy(np.empty(shape, dtype))

    @staticmethod
    def dtype(name: str) -> np.dtype:
        return np.dtype(name)  # what empty takes

    from_numpy = staticmethod(from_numpy)

    @staticmethod
    def out_to_numpy(out: Any) -> np.ndarray:
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"Genred: out must be a torch.Tensor, got {type(out).__name__}")
        check_device(out, "Genred: out")
        if not out.is_contiguous():
            raise ValueError("Genred: out must be a contiguous tensor")
        return out.detach().numpy()

    ranges_to_numpy = staticmethod(ranges_to_numpy)

    # ---- LazyTensor
    @staticmethod
    def is_array(x: Any) -> bool:
        return isinstance(x, torch.Tensor)

    @staticmethod
    def dtype_name(x: Any) -> str:
        if x.dtype in DTYPE_NAMES:
            return DTYPE_NAMES[x.dtype]
        return str(x.dtype).replace("torch.", "")

    @staticmethod
    def list_array(values: list, dtype: str | None) -> torch.Tensor:
        return torch.tensor(values, dtype=DTYPES.get(dtype, torch.float64) if dtype else torch.float64)

    @staticmethod
    def as_array(v: Any) -> torch.Tensor:
        return v if isinstance(v, torch.Tensor) else torch.as_tensor(v)

    @staticmethod
    def cast(v: torch.Tensor, dtype: str | None) -> torch.Tensor:
        if dtype in DTYPES and v.is_floating_point() and v.dtype != DTYPES[dtype]:
            v = v.to(DTYPES[dtype])
        return v

    @staticmethod
    def is_complex_data(x: Any) -> bool:
        if isinstance(x, torch.Tensor):
            return x.is_complex()
        if isinstance(x, complex):
            return True
        if isinstance(x, list):
            return any(isinstance(v, complex) for v in x)
        return False

    @staticmethod
    def complex_data_to_real(x: Any) -> Any:
        if isinstance(x, torch.Tensor):
            if not x.is_complex():
                return x
            if x.ndim == 0:
                x = x.reshape(1)
            return torch.view_as_real(x.contiguous()).flatten(-2)
        if isinstance(x, (complex, float, int)) and not isinstance(x, bool):
            return [float(complex(x).real), float(complex(x).imag)]
        if isinstance(x, list):
            return [float(p) for v in x for p in (complex(v).real, complex(v).imag)]
        return x

    @staticmethod
    def complex_out_to_real(out: Any) -> Any:
        return out

    @staticmethod
    def real_to_complex(out: Any) -> Any:
        if isinstance(out, torch.Tensor) and out.dtype in _COMPLEX_OF and out.shape[-1] % 2 == 0:
            out = out.contiguous()
            return torch.view_as_complex(out.reshape(*out.shape[:-1], out.shape[-1] // 2, 2))
        return out


_COMPLEX_OF = {torch.float32: torch.complex64, torch.float64: torch.complex128}
