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
``shapes_key`` skip them and pass addresses directly (``Genred`` keeps one call
plan per key).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


class ArrayAdapter:
    """The interface, which each binding implements in full."""

    #: How the binding names its arrays in messages ("NumPy array", "torch.Tensor").
    kind = "NumPy array"

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

    #: ``empty(shape, dtype=...)``: a new C-contiguous array of the binding.
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
