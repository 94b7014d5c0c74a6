"""The bridge to the Go engine: the only module that imports the gopy extension.

A :class:`Kernel` is a compiled reduction (a handle on the Go side) and knows
its arguments. :meth:`Kernel.plan` builds the int64 descriptor of calls of
given sizes (see gokeops/run.go), and :meth:`CallPlan.run` passes NumPy
buffers to Go by address in it: nothing is copied. Errors raised by Go carry
the Python exception to raise as a prefix ("ValueError: ...").
"""

from __future__ import annotations

import ctypes
import itertools
import json
import threading
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from pykeops_go._ext import gokeops as _go

_EXCEPTIONS = {
    "ValueError": ValueError,
    "TypeError": TypeError,
    "KeyboardInterrupt": KeyboardInterrupt,
    "RuntimeError": RuntimeError,
}

DTYPE_CODES = {np.dtype(np.float32): 0, np.dtype(np.float64): 1}

# Calls with more pairs than this run in a helper thread so that Ctrl-C can
# interrupt them (the main thread waits and forwards the interrupt); smaller
# calls run directly, as a thread costs more than they do.
_THREADED_PAIRS = 20_000_000

_tokens = itertools.count(1)

_addressof = ctypes.addressof
_char_at = ctypes.c_char.from_buffer


def _address(a: np.ndarray) -> int:
    """The address of the data of a C-contiguous array.

    Through the buffer protocol when the array is writeable and not empty
    (about 0.4 us, against 1.4 us for ``a.ctypes.data``, which the other
    arrays use): it is paid for every array of every call.
    """
    if a.size and a.flags.writeable:
        return _addressof(_char_at(a))
    return a.ctypes.data


def _reraise(err: Exception):
    """Turn an error from Go into the Python exception its prefix names."""
    kind, sep, rest = str(err).partition(": ")
    exc = _EXCEPTIONS.get(kind) if sep else None
    if exc is None:
        raise RuntimeError(str(err)) from None
    raise exc(rest) from None


def call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a gokeops function, mapping its errors to Python exceptions."""
    try:
        return fn(*args)
    except RuntimeError as err:
        _reraise(err)


@dataclass(frozen=True)
class ArgInfo:
    cat: int  # 0: Vi, 1: Vj, 2: Pm
    dim: int


class Kernel:
    """A compiled reduction. Instances are shared through :func:`compile`."""

    def __init__(self, handle: int):
        self.handle = handle
        info = json.loads(call(_go.Describe, handle))
        self.args = tuple(ArgInfo(a["Cat"], a["Dim"]) for a in info["args"] or [])
        self.axis = info["axis"]
        self.reduction = info["reduction"]
        self.dim_f = info["dim_f"]
        self.k = info["k"]
        self.vals_dim = info["vals_dim"]
        self.idx_dim = info["idx_dim"]

    def plan(self, dtype: np.dtype, M: int, N: int, batch: tuple[int, ...],
             arg_batches: Sequence[tuple[int, ...]], nvals: int, nidx: int,
             ranges: Sequence[np.ndarray] | None = None) -> CallPlan:
        """The descriptor of calls with these sizes, to fill with addresses at each call.

        Parameters
        ----------
        dtype : numpy.dtype
            float32 or float64, the dtype of every argument and of the values.
        M, N : int
            Numbers of i and j points.
        batch : tuple of int
            The broadcast batch shape (empty without batch dimensions).
        arg_batches : sequence of tuple of int
            The batch shape of each argument (1 where it is broadcast).
        nvals, nidx : int
            Sizes of the values and indices outputs (0 when absent).
        ranges : sequence of 6 int64 arrays, optional
            C-contiguous block-sparse ranges, kept alive by the plan.
        """
        words = [0, M, N, len(batch), *batch, len(arg_batches)]
        arg_pos = []
        for ab in arg_batches:
            arg_pos.append(len(words))
            words += [0, 0, *ab]
        out_pos = len(words)
        words += [0, nvals, 0, nidx]
        if ranges is None:
            words.append(0)
        else:
            words.append(1)
            for r in ranges:
                words += [r.ctypes.data, r.size]
        nb = int(np.prod(batch)) if batch else 1
        return CallPlan(self.handle, DTYPE_CODES[dtype], np.array(words, dtype=np.int64),
                        arg_pos, out_pos, nb * M * N >= _THREADED_PAIRS, ranges)


class CallPlan:
    """A filled-in call descriptor (see gokeops/run.go) for given sizes.

    Repeated calls of the same shapes only copy it and write the addresses
    of the arrays: the per-call cost stays a few microseconds.
    """

    __slots__ = ("handle", "code", "words", "arg_pos", "out_pos", "threaded", "ranges", "buffers")

    def __init__(self, handle, code, words, arg_pos, out_pos, threaded, ranges):
        self.handle, self.code, self.words = handle, code, words
        self.arg_pos, self.out_pos, self.threaded = arg_pos, out_pos, threaded
        self.ranges = ranges  # kept alive: the descriptor holds their addresses
        self.buffers = {}  # thread id -> (descriptor copy, its address)

    def run(self, arrays: Sequence[np.ndarray], vals: np.ndarray | None, idx: np.ndarray | None) -> None:
        """Run on arrays of the planned shapes, C-contiguous and of the planned dtype.

        vals / idx are the preallocated outputs (or None when absent).
        """
        # Each thread fills its own copy of the descriptor; only the
        # per-call words change.
        thread = threading.get_ident()
        entry = self.buffers.get(thread)
        if entry is None:
            desc = self.words.copy()
            entry = self.buffers[thread] = (desc, desc.ctypes.data)
        desc, addr = entry
        for pos, a in zip(self.arg_pos, arrays):
            desc[pos] = _address(a)
            desc[pos + 1] = a.size
        if vals is not None:
            desc[self.out_pos] = _address(vals)
        if idx is not None:
            desc[self.out_pos + 2] = _address(idx)
        token = next(_tokens)
        desc[0] = token
        args = (self.handle, self.code, addr, desc.size)
        if not self.threaded:
            call(_go.Run, *args)
        else:
            _run_interruptible(token, args)


def _run_interruptible(token, args):
    box = {}

    def target():
        try:
            _go.Run(*args)
        except RuntimeError as err:
            box["err"] = err

    t = threading.Thread(target=target, daemon=True)
    t.start()
    try:
        while t.is_alive():
            t.join(0.05)
    except KeyboardInterrupt:
        _go.Cancel(token)
        t.join()
        raise
    if "err" in box:
        _reraise(box["err"])


# Compiled kernels by their arguments. Bounded: past _CACHE_MAX distinct
# reductions the oldest entry is dropped (a Genred holding it keeps it).
_cache: dict = {}
_CACHE_MAX = 1024


def compile(formula: str, aliases: Sequence[str], reduction: str, axis: int, opt_arg: int | None,
            formula2: str | None, dtype_acc: str, sum_scheme: str) -> Kernel:
    """The kernel of a reduction, compiled once per distinct set of arguments."""
    key = (formula, tuple(aliases), reduction, axis, opt_arg, formula2, dtype_acc, sum_scheme)
    k = _cache.get(key)
    if k is None:
        h = call(_go.Compile, formula, "\n".join(aliases), reduction, int(axis), int(opt_arg or 0),
                 formula2 or "", dtype_acc, sum_scheme)
        if len(_cache) >= _CACHE_MAX:
            del _cache[next(iter(_cache))]
        k = _cache[key] = Kernel(h)
    return k


def set_num_threads(n: int) -> int:
    """Set how many threads each reduction uses (0: one per core); returns the previous value."""
    return call(_go.SetThreads, int(n))


def get_num_threads() -> int:
    """How many threads each reduction uses."""
    return call(_go.Threads)


def op_names() -> list[str]:
    """Names of every operation of the formula language."""
    return call(_go.OpNames).split("\n")


# ---- the conjugate gradient of KernelSolve (gokeops/solve.go) ----------------------

SOLVER_DONE, SOLVER_PRODUCT, SOLVER_ITERATION = 0, 1, 2


def nystrom_build(c: np.ndarray, landmarks: np.ndarray, cols: int, alpha: float, sym_tol: float,
                  jitter: float) -> int:
    """Handle of the Nystrom preconditioner of ``alpha Id + K`` from ``C = K[:, landmarks]``
    (float64, C-contiguous, n x m) and the landmark indices (int64), both copied, for
    unknowns of ``cols`` columns."""
    n, m = c.shape
    return call(_go.NystromBuild, c.ctypes.data, n, m, landmarks.ctypes.data, int(cols), float(alpha),
                float(sym_tol), float(jitter))


def nystrom_free(h: int) -> None:
    call(_go.NystromFree, h)


class Solver:
    """A conjugate gradient running in Go, driven by :meth:`next` (reverse communication):
    it asks for products ``A v`` and reports iterations; float64 vectors of size n."""

    def __init__(self, b: np.ndarray, x0: np.ndarray | None, precond: int, rtol: float,
                 atol: float, maxiter: int, stagnation: int, progress: bool):
        self.n = b.size
        self.out = np.zeros(self.n)
        self.h = call(_go.SolverStart, self.n, b.ctypes.data, 0 if x0 is None else x0.ctypes.data,
                      precond, float(rtol), float(atol), int(maxiter), int(stagnation), bool(progress))

    def next(self, product: np.ndarray | None) -> int:
        """Pass the product asked for last (or None) and get the next request; its vector
        (or the iterate, or the solution) is then in ``self.out``."""
        inp = self.out if product is None else product
        return call(_go.SolverNext, self.h, inp.ctypes.data, self.out.ctypes.data, self.n)

    def info(self) -> dict:
        return json.loads(call(_go.SolverInfo, self.h))

    def close(self) -> None:
        if self.h:
            call(_go.SolverClose, self.h)
            self.h = 0
