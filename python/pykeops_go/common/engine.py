"""The bridge to the Go engine: the only module that imports the gopy extension.

A :class:`Kernel` is a compiled reduction (a handle on the Go side) and knows
its arguments. :meth:`Kernel.plan` builds the int64 descriptor of calls of
given sizes (laid out by gokeops/descriptor.go), and :meth:`CallPlan.run` passes NumPy
buffers to Go by address in it: nothing is copied. Errors raised by Go carry
the Python exception to raise as a prefix ("ValueError: ..."), which Go
derives from the kind of the error.

In a process forked after this module was imported, nothing calls into Go
(its runtime does not survive fork): the calls go to an engine process of
the child's own (see fork_helper).
"""

from __future__ import annotations

import builtins
import ctypes
import functools
import importlib
import itertools
import json
import os
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from pykeops_go.common import fork_helper, gpu

# The engine: the cuda-tagged variant (pykeops_go._ext_cuda, which also runs
# every CPU call) only when the ctypes check of common/gpu.py found a driver
# and a device, since importing it without them ends the process; else the
# CPU variant (pykeops_go._ext).
_go = importlib.import_module(gpu.extension_module() + ".gokeops")

# Set in a forked child: where its calls go instead of Go.
_child: fork_helper.ForkedChild | None = None
# The thread setting, mirrored here for forked children.
_threads_setting = 0


def _after_fork_in_child() -> None:
    global _child
    old, _child = _child, fork_helper.ForkedChild(_threads_setting)
    if old is not None:
        old.abandon()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

# The Python exceptions that Go error messages start with ("ValueError: ..."),
# by name; Go's table of error kinds (gokeops/guard.go) gives the names.
_EXCEPTIONS = {name: getattr(builtins, name) for name in _go.ErrorClasses().split("\n")}

DTYPE_CODES = {np.dtype(np.float32): 0, np.dtype(np.float64): 1}

# Calls whose work (pairs times the kernel's per-pair cost, see
# core.Kernel.PairCost) exceeds this run in a helper thread so that Ctrl-C
# can interrupt them (the main thread waits and forwards the interrupt);
# smaller calls, of a few milliseconds at most, run directly, as a thread
# costs more than they do. Weighing by pairs alone let a call of 16e6 pairs
# over 2000-dimensional vectors run for a minute deaf to Ctrl-C.
_THREADED_WORK = 100_000_000

_tokens = itertools.count(1)
_go_run = _go.Run
_TOKEN_WORD = _go.WordToken

_addressof = ctypes.addressof
_char_at = ctypes.c_char.from_buffer


def array_address(a: np.ndarray) -> int:
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
    if _child is not None:
        return _child.call(fn.__name__, args)
    try:
        return fn(*args)
    except RuntimeError as err:
        _reraise(err)


# ---- the facts of the API, as the Go engine states them (gokeops/tables.go) ---------
# Static tables come in one document read here, once: checks on the path of a
# call never cross into Go. What depends on a string (an alias, the options of a
# reduction, the dimension of a formula) is asked for when a Genred or a
# LazyTensor operation is built.

TABLES = json.loads(_go.Tables())

# Each reduction's row (needs_k, weight, sum_type, scalar_f, has_index), under
# every name it goes by ("SoftMax" too).
REDUCTIONS = {r["name"]: r for r in TABLES["reductions"]}
REDUCTIONS.update({other: REDUCTIONS[name] for other, name in TABLES["reduction_aliases"].items()})

# The most reduced points for which index reductions give exact indices, by dtype name.
MAX_INDEX_ROWS = TABLES["max_index_rows"]


def check_options(reduction: str, axis: int, opt_arg: int, has_formula2: bool, dtype_acc: str,
                  sum_scheme: str) -> None:
    """Check the options of a reduction as compiling it does first (Go's core.CheckOptions):
    the reduction name, axis, opt_arg, whether formula2 is needed, dtype_acc, sum_scheme."""
    call(_go.CheckOptions, reduction, axis, opt_arg, has_formula2, dtype_acc, sum_scheme)


@functools.lru_cache(maxsize=4096)
def parse_alias(alias: str, pos: int = -1) -> tuple[str, int, int, int]:
    """``(name, cat, dim, index)`` of an alias string, parsed by the compiler's parser: the
    name is "" for the anonymous forms, index -1 when neither the string nor ``pos`` gives one."""
    name, cat, dim, ind = call(_go.ParseAlias, alias, pos).split("\t")
    return name, int(cat), int(dim), int(ind)


@functools.lru_cache(maxsize=4096)
def formula_dim(formula: str) -> int:
    """The dimension of a formula of ``Var(index,dim,cat)`` variables, its operations'
    dimensions checked by the rules of the op table."""
    return call(_go.FormulaDim, formula)


@dataclass(frozen=True)
class ArgInfo:
    cat: int  # 0: Vi, 1: Vj, 2: Pm
    dim: int


class Kernel:
    """A compiled reduction. Instances are shared through :func:`compile`.

    compile_args are the arguments of gokeops.Compile.
    """

    def __init__(self, compile_args: tuple):
        self.compile_args = compile_args
        if _child is None:
            # One hold on the Go kernel, given back by __del__.
            self.handle = call(_go.Compile, *compile_args)
            self.info = call(_go.Describe, self.handle)
        else:
            self.handle, self.info = _child.compile(compile_args)
        info = json.loads(self.info)
        self.args = tuple(ArgInfo(a["Cat"], a["Dim"]) for a in info["args"] or [])
        self.axis = info["axis"]
        self.reduction = info["reduction"]
        self.dim_f = info["dim_f"]
        self.k = info["k"]
        self.vals_dim = info["vals_dim"]
        self.idx_dim = info["idx_dim"]
        self.pair_cost = max(1, int(info.get("pair_cost", 1 + sum(a.dim for a in self.args))))
        self.row_shape = tuple(info["row_shape"])  # of each output row: (K, D) or (K,) for KMin...
        self.execution = info.get("plan", "")  # how the engine runs it: "fold-dot", "tiles"...
        self.has_index = REDUCTIONS[self.reduction]["has_index"]

    def __del__(self, _release=_go.Release):
        # The Go registry owns the kernel (gokeops/registry.go): it keeps the
        # most recently released ones, so a formula built again soon after
        # still finds its kernel. A forked child never calls into Go: the
        # kernels it inherited are held by its parent, and those it compiled
        # belong to its engine process.
        if _child is not None or "handle" not in self.__dict__:
            return
        try:
            _release(self.handle)
        except Exception:  # interpreter shutdown
            pass

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
        # The layout is gokeops/descriptor.go's, read from the extension.
        header = [0] * _go.HeaderWords
        header[_go.WordVersion] = _go.DescriptorVersion
        header[_go.WordM], header[_go.WordN], header[_go.WordNBatch] = M, N, len(batch)
        words = [*header, *batch, len(arg_batches)]
        arg_pos = []
        for ab in arg_batches:
            arg_pos.append(len(words))
            words += [0] * _go.ArgWords + list(ab)  # address, length, batch shape
        out_pos = len(words)
        words += [0, nvals, 0, nidx]  # the _go.OutWords of the outputs
        if ranges is None:
            words.append(0)
        else:
            if len(ranges) != _go.RangeArrays:
                raise ValueError(f"ranges must be {_go.RangeArrays} arrays, got {len(ranges)}")
            words.append(1)
            for r in ranges:
                words += [r.ctypes.data, r.size]
        nb = int(np.prod(batch)) if batch else 1
        plan = CallPlan(self.handle, DTYPE_CODES[dtype], np.array(words, dtype=np.int64),
                        arg_pos, out_pos, nb * M * N * self.pair_cost >= _THREADED_WORK, ranges)
        plan.kernel = self
        plan.plan_args = (dtype, M, N, batch, arg_batches, nvals, nidx, ranges)
        return plan


class CallPlan:
    """A filled-in call descriptor (see gokeops/descriptor.go) for given sizes.

    Repeated calls of the same shapes only copy it and write the addresses
    of the arrays: the per-call cost stays a few microseconds.
    """

    __slots__ = ("handle", "code", "words", "arg_pos", "out_pos", "threaded", "ranges", "buffers",
                 "kernel", "plan_args")

    def __init__(self, handle, code, words, arg_pos, out_pos, threaded, ranges):
        self.handle, self.code, self.words = handle, code, words
        self.arg_pos, self.out_pos, self.threaded = arg_pos, out_pos, threaded
        self.ranges = ranges  # kept alive: the descriptor holds their addresses
        self.buffers = {}  # thread id -> (descriptor copy, its address)

    def _descriptor(self):
        # Each thread fills its own copy of the descriptor; only the
        # per-call words change.
        # (Written through a memoryview, which sets an item in half the time of
        # the array itself; the array keeps the memory alive.)
        thread = threading.get_ident()
        entry = self.buffers.get(thread)
        if entry is None:
            desc = self.words.copy()
            entry = self.buffers[thread] = (memoryview(desc), desc.ctypes.data, desc)
        return entry

    def run(self, arrays: Sequence[np.ndarray], vals: np.ndarray | None, idx: np.ndarray | None) -> None:
        """Run on arrays of the planned shapes, C-contiguous and of the planned dtype.

        vals / idx are the preallocated outputs (or None when absent).
        """
        if _child is not None:
            return _child.run(self, arrays, vals, idx)
        desc, addr, _ = self._descriptor()
        for pos, a in zip(self.arg_pos, arrays):
            desc[pos] = array_address(a)
            desc[pos + 1] = a.size
        if vals is not None:
            desc[self.out_pos] = array_address(vals)
        if idx is not None:
            desc[self.out_pos + 2] = array_address(idx)
        self._launch(desc, addr)

    def run_addresses(self, addresses: Sequence[int], sizes: Sequence[int], vals: int, idx: int) -> None:
        """:meth:`run` for buffers given by address and number of elements (e.g. torch
        tensors' ``data_ptr()`` and ``numel()``); vals / idx are 0 when absent.

        The caller guarantees what :meth:`run` asks of arrays: the planned shapes and
        dtype, C-contiguous, alive until the call returns.
        """
        if _child is not None:
            # A forked child never calls Go: its engine process gets views of the buffers.
            dtype, nvals, nidx = self.plan_args[0], self.plan_args[5], self.plan_args[6]
            return _child.run(self, [_view_of(a, n, dtype) for a, n in zip(addresses, sizes)],
                              _view_of(vals, nvals, dtype) if vals else None,
                              _view_of(idx, nidx, np.int64) if idx else None)
        desc, addr, _ = self._descriptor()
        for pos, a, n in zip(self.arg_pos, addresses, sizes):
            desc[pos] = a
            desc[pos + 1] = n
        if vals:
            desc[self.out_pos] = vals
        if idx:
            desc[self.out_pos + 2] = idx
        self._launch(desc, addr)

    def _launch(self, desc, addr) -> None:
        token = next(_tokens)
        desc[_TOKEN_WORD] = token
        args = (self.handle, self.code, addr, len(desc))
        if not self.threaded:
            try:  # call() without its forked-child test, made by the callers
                _go_run(*args)
            except RuntimeError as err:
                _reraise(err)
        else:
            _run_interruptible(token, args)

    def run_partial(self, arrays: Sequence[np.ndarray], state: np.ndarray, offset: int) -> None:
        """Run on arrays of the planned shapes (planned with no values and no indices), writing
        the float64 states of the output rows to ``state`` (see :mod:`pykeops_go.dask`);
        ``offset`` is the global index of the first point of the reduced axis."""
        desc = self.words.copy()
        for pos, a in zip(self.arg_pos, arrays):
            desc[pos] = array_address(a)
            desc[pos + 1] = a.size
        desc[_TOKEN_WORD] = next(_tokens)
        call(_go.RunPartial, self.handle, self.code, desc.ctypes.data, desc.size,
             array_address(state), state.size, int(offset))


def _view_of(address: int, n: int, dtype) -> np.ndarray:
    """A NumPy array over the n elements of dtype at address (memory owned by the caller)."""
    dtype = np.dtype(dtype)
    if n == 0:
        return np.empty(0, dtype)
    return np.frombuffer((ctypes.c_char * (n * dtype.itemsize)).from_address(address), dtype)


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


# The live kernels by their arguments, so that identical reductions share one
# Kernel. Weak: an entry lasts as long as a Genred, LazyTensor or KernelSolve
# holds its kernel; the Go registry decides how long compiled kernels stay.
_cache: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def compile(formula: str, aliases: Sequence[str], reduction: str, axis: int, opt_arg: int | None,
            formula2: str | None, dtype_acc: str, sum_scheme: str) -> Kernel:
    """The kernel of a reduction, compiled once per distinct set of arguments."""
    key = (formula, tuple(aliases), reduction, axis, opt_arg, formula2, dtype_acc, sum_scheme)
    k = _cache.get(key)
    if k is None:
        k = _cache[key] = Kernel((formula, "\n".join(aliases), reduction, int(axis), int(opt_arg or 0),
                                  formula2 or "", dtype_acc, sum_scheme))
    return k


# ------------------------------------------------ partial reductions (pykeops_go.dask)
def state_len(kernel: Kernel) -> int:
    """The number of float64s in the state of one output row of a partial reduction."""
    return call(_go.StateLen, kernel.handle)


@functools.cache
def piece_align() -> int:
    """Pieces of the reduced axis starting at multiples of this give results bit for bit
    equal to a single pass."""
    return call(_go.PieceAlign)


def merge_states(kernel: Kernel, dtype: np.dtype, acc: np.ndarray, part: np.ndarray) -> None:
    """Fold the C-contiguous float64 states ``part`` (of the piece of the reduced axis just
    after ``acc``'s) into ``acc``, in place."""
    if acc.shape != part.shape:
        raise ValueError(f"merging states of shapes {acc.shape} and {part.shape}")
    call(_go.MergeStates, kernel.handle, DTYPE_CODES[dtype], array_address(acc), array_address(part), acc.size)


def finish_states(kernel: Kernel, dtype: np.dtype, state: np.ndarray, vals: np.ndarray | None,
                  idx: np.ndarray | None) -> None:
    """Write the outputs of the states into ``vals`` (dtype) and ``idx`` (int64), C-contiguous."""
    call(_go.FinishStates, kernel.handle, DTYPE_CODES[dtype], array_address(state), state.size,
         0 if vals is None else array_address(vals), 0 if vals is None else vals.size,
         0 if idx is None else array_address(idx), 0 if idx is None else idx.size)


def set_num_threads(n: int) -> int:
    """Set how many threads each reduction uses (0: one per core); returns the previous value."""
    global _threads_setting
    prev = call(_go.SetThreads, int(n))
    _threads_setting = int(n)
    return prev


def get_num_threads() -> int:
    """How many threads each reduction uses."""
    return call(_go.Threads)


def op_names() -> list[str]:
    """Names of every operation of the formula language."""
    return call(_go.OpNames).split("\n")


def elementwise_methods() -> list[tuple[str, str, str]]:
    """(op, LazyTensor method, what it computes) of each op the Go op table gives a method."""
    return [tuple(line.split("\t")) for line in call(_go.ElementwiseMethods).split("\n")]


# ---- the conjugate gradient of KernelSolve (gokeops/solve.go) ----------------------

SOLVER_DONE, SOLVER_PRODUCT, SOLVER_ITERATION, SOLVER_PRODUCT_LOW = 0, 1, 2, 3


def nystrom_build(c: np.ndarray, landmarks: np.ndarray, cols: int, alpha: float, sym_tol: float,
                  jitter: float) -> int:
    """Handle of the Nystrom preconditioner of ``alpha Id + K`` from ``C = K[:, landmarks]``
    (float64, C-contiguous, n x m) and the landmark indices (int64), both copied, for
    unknowns of ``cols`` columns."""
    n, m = c.shape
    return call(_go.NystromBuild, c.ctypes.data, n, m, landmarks.ctypes.data, int(cols), float(alpha),
                float(sym_tol), float(jitter))


def nystrom_factor_landmarks(c: np.ndarray, landmarks: np.ndarray, sym_tol: float,
                             jitter: float) -> np.ndarray:
    """The lower Cholesky factor (float64, m x m) of ``K[landmarks, landmarks]`` read from
    ``C = K[:, landmarks]`` (float64, C-contiguous, n x m), checked as by :func:`nystrom_build`:
    the first step of a set-up whose two O(N m^2) products the caller computes."""
    n, m = c.shape
    out = np.zeros((m, m))
    call(_go.NystromFactorLandmarks, c.ctypes.data, n, m, landmarks.ctypes.data, float(sym_tol),
         float(jitter), out.ctypes.data)
    return out


def nystrom_build_from_gram(b: np.ndarray, gram: np.ndarray, cols: int, alpha: float) -> int:
    """Handle of the Nystrom preconditioner from ``B = C L^-T`` (float64, C-contiguous, n x m)
    and ``B^T B`` (float64, C-contiguous, m x m), both copied (L from
    :func:`nystrom_factor_landmarks`)."""
    n, m = b.shape
    return call(_go.NystromBuildFromGram, b.ctypes.data, n, m, gram.ctypes.data, int(cols), float(alpha))


def nystrom_free(h: int) -> None:
    call(_go.NystromFree, h)


class Solver:
    """A conjugate gradient running in Go, driven by :meth:`next` (reverse communication):
    it asks for products ``A v`` and reports iterations; float64 vectors of size n.

    ``refine=(inner_rtol, max_refinements)`` solves by iterative refinement: the CG
    iterations ask for low-precision products (``SOLVER_PRODUCT_LOW``), the residuals
    for exact ones (``SOLVER_PRODUCT``)."""

    def __init__(self, b: np.ndarray, x0: np.ndarray | None, precond: int, rtol: float,
                 atol: float, maxiter: int, stagnation: int, progress: bool,
                 refine: tuple[float, int] | None = None):
        self.n = b.size
        self.out = np.zeros(self.n)
        x0p = 0 if x0 is None else x0.ctypes.data
        if refine is None:
            self.h = call(_go.SolverStart, self.n, b.ctypes.data, x0p, precond, float(rtol), float(atol),
                          int(maxiter), int(stagnation), bool(progress))
        else:
            self.h = call(_go.SolverStartRefined, self.n, b.ctypes.data, x0p, precond, float(rtol),
                          float(atol), float(refine[0]), int(maxiter), int(refine[1]), int(stagnation),
                          bool(progress))

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
