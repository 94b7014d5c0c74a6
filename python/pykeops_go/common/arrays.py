"""The array adapter: what the framework-neutral classes of ``common`` ask of an array library.

Genred (``common/genred.py``), KernelSolve and LazyTensor are written once,
against this small interface; each binding gives one implementation, a class of
static methods: ``pykeops_go/numpy/arrays.py`` (NumPy arrays) and
``pykeops_go/torch/arrays.py`` (torch tensors). The engine itself reads and
writes NumPy arrays, or raw addresses (``common/engine.py``): an adapter hands
its arrays over as NumPy views of the same memory and wraps results back,
copying nothing on the way.

The checks of a call's arrays (shapes, dtypes, batch dimensions) are made once,
on those NumPy views (``common/arguments.py``); later calls of the same
``shapes_key`` skip them and hand the buffers to Go directly (``Genred`` keeps
one call plan per key).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


class ArrayAdapter:
    """The interface, which each binding implements in full."""

    #: How the binding names its arrays in messages ("NumPy array", "torch.Tensor").
    kind = "NumPy array"
    #: The framework's name ("NumPy", "torch").
    framework = "NumPy"

    @staticmethod
    def shapes_key(args: Sequence[Any]) -> tuple | None:
        """What the checks of a call depend on (shapes, dtypes, layout, device), as a hashable
        key; None when some argument is not an array of the binding (the full path then
        says what is wrong)."""
        raise NotImplementedError

    @staticmethod
    def to_numpy(a: Any, what: str) -> Any:
        """The argument ``a`` as what the common checks take: a NumPy view of its memory where
        the engine can read it in place, else a NumPy copy; other objects (scalars, lists) as
        they are when the binding accepts them. ``what`` names the argument in errors."""
        raise NotImplementedError

    @staticmethod
    def reads_in_place(a: Any, array: np.ndarray) -> bool:
        """Whether ``array``, which the engine read for argument ``a``, is ``a``'s own memory in
        the dtype of ``a``: then later calls of the same shapes key can pass ``address(a)``."""
        raise NotImplementedError

    #: ``address(a) -> int``: the address of the data of a contiguous array of the binding.
    address = None

    #: Whether the arrays that ``reads_in_place`` accepts are NumPy arrays, which the engine
    #: is handed by object on calls of checked shapes (``engine.FastRun``), not by address.
    by_object = False

    #: ``empty(shape, dtype)``: a new C-contiguous array of the binding (``dtype`` as
    #: :meth:`dtype` gives it).
    empty = None

    @staticmethod
    def dtype(name: str) -> Any:
        """The binding's dtype of a NumPy dtype name ("float32", "float64", "int64")."""
        raise NotImplementedError

    @staticmethod
    def from_numpy(result: Any) -> Any:
        """A result (a NumPy array or a tuple of them) as arrays of the binding, on the same memory."""
        raise NotImplementedError

    @staticmethod
    def out_to_numpy(out: Any) -> np.ndarray:
        """A NumPy view of an ``out=`` argument (its type and device checked), which the
        common layer checks further and writes."""
        raise NotImplementedError

    @staticmethod
    def ranges_to_numpy(ranges: Sequence[Any] | None) -> Any:
        """The ``ranges=`` arrays as NumPy arrays (the common layer checks them)."""
        raise NotImplementedError

    # ---- what LazyTensor asks (common/lazy_tensor*.py)
    @staticmethod
    def is_array(x: Any) -> bool:
        """Whether ``x`` is an array of the binding."""
        raise NotImplementedError

    @staticmethod
    def dtype_name(x: Any) -> str:
        """The dtype name of an array ("float32"...)."""
        raise NotImplementedError

    @staticmethod
    def list_array(values: list, dtype: str | None) -> Any:
        """A 1-D array of a list of floats, of the dtype named (float64 when None)."""
        raise NotImplementedError

    @staticmethod
    def as_array(v: Any) -> Any:
        """An operand (array, list) as an array of the binding."""
        raise NotImplementedError

    @staticmethod
    def cast(v: Any, dtype: str | None) -> Any:
        """A float array in the dtype named (None: as it is)."""
        raise NotImplementedError

    @staticmethod
    def is_complex_data(x: Any) -> bool:
        """True for a complex scalar, a list holding a complex number, or a complex array."""
        raise NotImplementedError

    @staticmethod
    def complex_data_to_real(x: Any) -> Any:
        """Complex data as interleaved reals: arrays are viewed, scalars and lists expanded."""
        raise NotImplementedError

    @staticmethod
    def complex_out_to_real(out: Any) -> Any:
        """A complex ``out=`` array as its interleaved-real view (other objects as they are)."""
        raise NotImplementedError

    @staticmethod
    def real_to_complex(out: Any) -> Any:
        """A real result of even last axis as the complex array it interleaves."""
        raise NotImplementedError
