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
