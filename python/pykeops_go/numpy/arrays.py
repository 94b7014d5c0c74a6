"""The NumPy array adapter (see ``pykeops_go/common/arrays.py``): NumPy arrays are what the
engine reads, so arguments pass as they are and results come back as they are."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from pykeops_go.common import engine
from pykeops_go.common.arrays import ArrayAdapter


class NumpyArrays(ArrayAdapter):
    """NumPy arrays for the framework-neutral classes of ``common``."""

    kind = "NumPy array"
    framework = "NumPy"

    @staticmethod
    def shapes_key(args: Sequence[Any]) -> tuple | None:
        # dtype with its byte order (dtype.num is the same for "<f8" and ">f8"),
        # contiguity and alignment; the type too, as NumPy scalars have all of
        # these but no buffer.
        try:
            return tuple([(type(a), a.shape, a.dtype, a.flags.c_contiguous, a.flags.aligned) for a in args])
        except AttributeError:  # not all ndarrays: always the full path
            return None

    @staticmethod
    def to_numpy(a: Any, what: str) -> Any:
        return a  # the common checks convert scalars and lists, and refuse the rest

    @staticmethod
    def reads_in_place(a: Any, array: np.ndarray) -> bool:
        return a is array  # the checks copied nothing

    address = staticmethod(engine.array_address)
    by_object = True
    empty = staticmethod(np.empty)

    @staticmethod
    def dtype(name: str) -> np.dtype:
        return np.dtype(name)

    @staticmethod
    def from_numpy(result: Any) -> Any:
        return result

    @staticmethod
    def out_to_numpy(out: Any) -> np.ndarray:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"Genred: out must be a NumPy array, got {type(out).__name__}")
        return out

    @staticmethod
    def ranges_to_numpy(ranges: Sequence[Any] | None) -> Any:
        return ranges

    # ---- LazyTensor
    @staticmethod
    def is_array(x: Any) -> bool:
        return isinstance(x, np.ndarray)

    @staticmethod
    def dtype_name(x: Any) -> str:
        return x.dtype.name

    @staticmethod
    def list_array(values: list, dtype: str | None) -> np.ndarray:
        return np.asarray(values, dtype=dtype if dtype is not None else np.float64)

    as_array = staticmethod(np.asarray)

    @staticmethod
    def cast(v: np.ndarray, dtype: str | None) -> np.ndarray:
        if dtype is not None and v.dtype != dtype and v.dtype.kind == "f":
            v = v.astype(dtype)
        return v

    @staticmethod
    def is_complex_data(x: Any) -> bool:
        if isinstance(x, np.ndarray):
            return np.iscomplexobj(x)
        if isinstance(x, (complex, np.complexfloating)):
            return True
        if isinstance(x, list):
            return any(isinstance(v, (complex, np.complexfloating)) for v in x)
        return False

    @staticmethod
    def complex_data_to_real(x: Any) -> Any:
        if isinstance(x, np.ndarray):
            if not np.iscomplexobj(x):
                return x
            if x.ndim == 0:
                x = x.reshape(1)
            x = np.ascontiguousarray(x)
            return x.view(x.real.dtype)
        if isinstance(x, (complex, np.complexfloating, float, int, np.floating, np.integer)) and \
                not isinstance(x, bool):
            return [float(np.real(x)), float(np.imag(x))]
        if isinstance(x, list):
            return [float(p) for v in x for p in (np.real(v), np.imag(v))]
        return x

    @staticmethod
    def complex_out_to_real(out: Any) -> Any:
        if isinstance(out, np.ndarray) and np.iscomplexobj(out) and out.ndim >= 1:
            if not out.flags.c_contiguous:
                raise ValueError(f"out must be a writeable C-contiguous array, got a "
                                 f"non-contiguous {out.dtype} array of shape {out.shape}")
            return out.view(out.real.dtype)
        return out

    @staticmethod
    def real_to_complex(out: Any) -> Any:
        if isinstance(out, np.ndarray) and out.dtype in (np.float32, np.float64) and out.shape[-1] % 2 == 0:
            return np.ascontiguousarray(out).view(np.complex64 if out.dtype == np.float32 else np.complex128)
        return out
