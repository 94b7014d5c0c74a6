"""Genred, once for every array framework: the options, the checks of a call and its plans.

A binding subclasses :class:`Genred` with its array adapter (``arrays``, see
``common/arrays.py``): ``pykeops_go.numpy.Genred`` for NumPy arrays,
``pykeops_go.torch.Genred`` for tensors, which adds autograd. The facts the
options are checked against (reduction names, which take ``opt_arg``,
``formula2``, ``dtype_acc``, ``sum_scheme``) are the Go engine's
(``engine.check_options``, ``engine.REDUCTIONS``).

A call's arrays are checked on their first call of given shapes (the full
path); the call then leaves a plan under the arrays' shapes key, and later
calls of that key only allocate the outputs and hand the buffers to Go
(``engine.FastRun``: NumPy arrays by object, tensors by address).
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any, Sequence

import numpy as np

from pykeops_go.common import engine, gpu, gpu_backend
from pykeops_go.common.arguments import prepare, prepare_ranges
from pykeops_go.common.arrays import ArrayAdapter
from pykeops_go.common.parse_type import complete_aliases

BACKENDS = ["auto", "CPU", "GPU", "GPU_1D", "GPU_1D_device", "GPU_1D_host",
            "GPU_2D", "GPU_2D_device", "GPU_2D_host"]


def check_backend(backend: str, on_device: bool = False) -> gpu.Backend:
    """The backend a call runs on, from pykeops' names (see common/gpu.resolve_backend):
    "auto" is the GPU when one is usable, else the CPU; a GPU backend without a usable
    GPU raises ValueError naming the backend and why. ``on_device``: the arguments are
    in GPU memory (torch CUDA tensors)."""
    return gpu.resolve_backend(backend, on_device)


def _fast_key(arrays: type[ArrayAdapter], backend: Any, device_id: Any, args) -> tuple | None:
    """The key of a call's plan in ``Genred._fast``: the shapes key for calls on the CPU,
    with the backend and device in front for calls on the GPU (backend "auto" included,
    when a GPU is usable)."""
    key = arrays.shapes_key(args)
    if key is None or backend == "CPU" or (backend == "auto" and not gpu.gpu_available()):
        return key
    if not isinstance(backend, str) or not isinstance(device_id, int):
        return None
    return (backend, device_id, key)


def _int_option(value: Any, what: str) -> int:
    """An integer option as the int Go takes (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Genred: {what} must be an int, got {type(value).__name__}")
    return int(value)


def _str_option(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"Genred: {what} must be a str, got {type(value).__name__}")
    return value


_FAST_MAX = 64  # call plans kept per Genred


class Genred:
    """A generic reduction ``reduction_op_j F(x_i, y_j, p)``, run by the Go engine.

    Parameters
    ----------
    formula : str
        Formula to reduce, e.g. ``"Exp(-SqDist(x, y)) * b"``.
    aliases : list of str
        Variables, e.g. ``["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"]``; extended in
        place with the ``Var(...)`` the formula declares.
    reduction_op : str
        ``"Sum"``, ``"LogSumExp"``, ``"ArgKMin"``... (see the reductions table).
    axis : int
        0 reduces over i (result indexed by j), 1 over j (indexed by i).
    dtype, cuda_type : ignored
        Deprecated, as in pykeops: the dtype comes from the call's arrays.
    opt_arg : int, optional
        K for the KMin family.
    formula2 : str, optional
        Weight formula of LogSumExp / SumSoftMaxWeight.
    dtype_acc, use_double_acc, sum_scheme :
        Accumulation options of sum-type reductions.
    enable_chunks, rec_multVar_highdim, use_fast_math :
        GPU performance switches, accepted and ignored on the CPU.
    """

    #: The binding's array adapter (set by each binding's subclass).
    arrays: type[ArrayAdapter] = ArrayAdapter

    def __init__(self, formula: str, aliases: Sequence[str], reduction_op: str = "Sum", axis: int = 0,
                 dtype: Any = None, opt_arg: int | None = None, formula2: str | None = None,
                 cuda_type: Any = None, dtype_acc: str = "auto", use_double_acc: bool = False,
                 sum_scheme: str = "auto", enable_chunks: bool = True, rec_multVar_highdim: bool = False,
                 use_fast_math: bool = True):
        if dtype is not None or cuda_type is not None:
            warnings.warn("[pyKeOps] the 'dtype' and 'cuda_type' arguments are deprecated and ignored: "
                          "the dtype is taken from the arrays at call time.", stacklevel=2)
        _str_option(formula, "formula")
        if isinstance(aliases, str) or not all(isinstance(a, str) for a in aliases):
            raise TypeError("Genred: aliases must be a list of strings such as ['x = Vi(3)']")
        _str_option(reduction_op, "reduction_op")
        if formula2 is not None:
            _str_option(formula2, "formula2")
        if not isinstance(axis, (int, np.integer)):
            raise ValueError(f"Axis should be 0 or 1, got {axis!r}")
        dtype_acc = _str_option(dtype_acc, "dtype_acc")
        if use_double_acc and dtype_acc not in ("auto", "float64"):
            raise ValueError("[KeOps] you cannot set both options use_double_acc and dtype_acc.")
        if use_double_acc:
            dtype_acc = "float64"
        # pykeops drops a falsy opt_arg.
        opt_arg = _int_option(opt_arg, "opt_arg") if opt_arg else 0
        # The options Go checks when it compiles, checked now as pykeops does.
        engine.check_options(reduction_op, int(axis), opt_arg, formula2 is not None, dtype_acc,
                             _str_option(sum_scheme, "sum_scheme"))
        self.dtype_acc = dtype_acc
        self.formula = formula
        self.formula2 = formula2
        self.reduction_op = reduction_op
        self.axis = int(axis)
        self.opt_arg = opt_arg
        self.sum_scheme = sum_scheme
        self.use_fast_math = bool(use_fast_math)  # GPU backends: NVRTC's --use_fast_math
        # A list is completed in place, as pykeops does (a tuple is copied);
        # like pykeops, Var(...) of formula2 count too.
        scanned = formula if formula2 is None else formula + "," + formula2
        aliases = complete_aliases(scanned, aliases if isinstance(aliases, list) else list(aliases))
        self.aliases = list(aliases)
        self.nargs = len(self.aliases)
        self._kernel = None
        self._fast = {}  # shapes key -> _FastCall (see __call__)
        self._gpu_calls = {}  # key -> checked call on CUDA tensors (common/gpu_backend.torch_forward)

    @property
    def kernel(self) -> engine.Kernel:
        """The compiled kernel (compiled at first use, as pykeops does)."""
        if self._kernel is None:
            self._kernel = engine.compile(self.formula, self.aliases, self.reduction_op, self.axis,
                                          self.opt_arg, self.formula2, self.dtype_acc, self.sum_scheme)
        return self._kernel

    # A binding with automatic differentiation replaces these two: whether a call must
    # be recorded (its arrays require gradients...), and the recorded call.
    @staticmethod
    def _traced(args: Sequence[Any]) -> bool:
        return False

    def _traced_call(self, args, backend, device_id, ranges, out):
        raise NotImplementedError

    def __call__(self, *args: Any, backend: str = "auto", device_id: int = -1,
                 ranges: Sequence[Any] | None = None, out: Any = None) -> Any:
        """Run the reduction on arrays of the binding, one per alias, in index order.

        Parameters
        ----------
        *args : array
            ``Vi`` variables as ``(M, D)`` arrays, ``Vj`` as ``(N, D)``, ``Pm`` as
            ``(D,)`` (any array of D values); with batch dimensions, every array
            carries them: ``(B..., M, D)``, ``(B..., N, D)``, ``(B..., D)``, each
            ``B`` being 1 or the common size. All float32, or all float64
            (float16 is computed in float32).
        backend : str
            ``"auto"`` (the GPU when one is usable, else the CPU), ``"CPU"``, or
            ``"GPU"``, ``"GPU_1D"``, ``"GPU_2D"`` and their ``_host`` / ``_device`` forms.
        device_id : int
            GPU number; ignored on the CPU.
        ranges : tuple of 6 integer arrays, optional
            Block-sparse reduction ``(ranges_i, slices_i, redranges_j, ranges_j,
            slices_j, redranges_i)``, as built by ``cluster.from_matrix``.
        out : array, optional
            C-contiguous array receiving the result (of the returned shape and
            dtype; int64 for ArgMin/ArgMax/ArgKMin); returned as is.

        Returns
        -------
        array or tuple of arrays
            ``(rows, D)`` (``rows`` = M for axis=1, N for axis=0), with the
            batch shape in front; ``(values, int64 indices)`` for
            Min_ArgMin, Max_ArgMax and KMin_ArgKMin.
        """
        if ranges is None and out is None and (backend == "CPU" or backend == "auto" and not gpu.gpu_available()):
            # A call on the CPU of shapes already checked: one lookup (see _planned).
            fast = self._fast.get(self.arrays.shapes_key(args))
            if fast is not None and not self._traced(args):
                return fast(args)
        key, fast = self._planned(args, backend, device_id, ranges, out)
        if self._traced(args):
            return self._traced_call(args, backend, device_id, ranges, out)
        if fast is not None:
            return fast(args)
        return self._run(args, backend, device_id, ranges, out, key)

    def forward(self, args: Sequence[Any], backend: str = "auto", device_id: int = -1,
                ranges: Sequence[Any] | None = None, out: Any = None) -> Any:
        """The call, never recorded for differentiation (the forward pass of a recorded one)."""
        key, fast = self._planned(args, backend, device_id, ranges, out)
        if fast is not None:
            return fast(args)
        return self._run(args, backend, device_id, ranges, out, key)

    def _planned(self, args, backend, device_id, ranges, out) -> tuple:
        """``(key, fast)``: the call's key in ``_fast`` (None when it has none: ranges,
        out=, arrays without a shapes key) and the plan left there by an earlier call."""
        if ranges is not None or out is not None:
            return None, None
        key = _fast_key(self.arrays, backend, device_id, args)
        return key, None if key is None else self._fast.get(key)

    def _run(self, args, backend, device_id, ranges, out, key):
        """The full path: check everything, run, and leave a plan for the shapes key."""
        A = self.arrays
        if len(args) != self.nargs:
            raise ValueError(f"Invalid number of arguments in call to Genred (should be {self.nargs} "
                             f"and got {len(args)}).")
        if gpu_backend.on_device(args):  # torch CUDA tensors: in place on their GPU
            return gpu_backend.torch_forward(self, args, backend, device_id, ranges, out)
        on = check_backend(backend)
        k = self.kernel
        views = [A.to_numpy(a, f"Genred: argument {i}") for i, a in enumerate(args)]
        p = prepare(k, views)
        rows, reduced = (p.M, p.N) if self.axis == 1 else (p.N, p.M)
        check_index_rows(k, p.dtype, reduced)
        r = prepare_ranges(A.ranges_to_numpy(ranges))
        shape = (*p.batch, rows)
        final = shape + k.row_shape
        out_np = None
        if out is not None:
            out_np = self._check_out(k, A.out_to_numpy(out), shape, final, p.user_dtype)
        vals, idx, direct = _outputs(k, shape, p.dtype, out_np)
        plan = k.plan(p.dtype, p.M, p.N, p.batch, p.arg_batches,
                      0 if vals is None else vals.size, 0 if idx is None else idx.size, r)
        if on.device == "GPU":
            run_gpu = functools.partial(gpu_backend.run_host, plan, backend=on, device_id=device_id,
                                        fast_math=self.use_fast_math)
            run_gpu(p.arrays, vals, idx)
        else:
            plan.run(p.arrays, vals, idx)
        if out is not None:
            if not direct:
                out_np[...] = vals.reshape(out_np.shape)
            return out
        if (key is not None and p.user_dtype == p.dtype and all(a.size for a in p.arrays)
                and all(A.reads_in_place(a, v) for a, v in zip(args, p.arrays))):
            # Later calls with arrays of these shapes skip the checks.
            if len(self._fast) >= _FAST_MAX:
                self._fast.clear()  # bounded: a few shapes per Genred in practice
            vshape, ishape = None if vals is None else vals.shape, None if idx is None else idx.shape
            if on.device == "GPU":
                self._fast[key] = _HostGPUCall(A, run_gpu, p.dtype.name, vshape, ishape, final)
            else:
                sizes = [a.size for a in p.arrays]
                fast = None
                if final == (vshape or ishape):  # results returned in the outputs' shape
                    dtype = A.dtype(p.dtype.name)
                    fast = plan.fast_run(sizes, A.address, A.by_object, A.empty,
                                         None if vshape is None else (vshape, dtype),
                                         None if ishape is None else (ishape, A.dtype("int64")))
                if fast is None:
                    fast = _FastCall(A, plan, sizes, p.dtype.name, vshape, ishape, final)
                self._fast[key] = fast
        if vals is not None and p.user_dtype != p.dtype:
            vals = vals.astype(p.user_dtype)
        return A.from_numpy(_result(vals, idx, final))

    def _check_out(self, k, out, shape, final, dtype):
        """Validate ``out=``: the returned shape (or the raw 2-D one) and dtype."""
        if k.vals_dim and k.idx_dim:
            raise ValueError(f"Genred: out= is not supported for {self.reduction_op}, "
                             "which returns a (values, indices) tuple")
        raw = (*shape, k.vals_dim or k.idx_dim)
        want = np.dtype(np.int64) if k.idx_dim else dtype
        if (out.shape not in (raw, final) or out.dtype != want or not out.flags.c_contiguous
                or not out.flags.writeable or not out.flags.aligned):
            raise ValueError(f"Genred: out must be a writeable, aligned, C-contiguous {want} array of shape "
                             f"{final}, got a {out.dtype} array of shape {out.shape}")
        return out


def check_index_rows(kernel: engine.Kernel, dtype: np.dtype, reduced: int) -> None:
    """Refuse index reductions over more points than ``dtype`` gives exact indices for."""
    if kernel.has_index and reduced > engine.MAX_INDEX_ROWS.get(np.dtype(dtype).name, math.inf):
        raise ValueError("size of input array is too large for Arg type reduction with single "
                         "precision. Use double precision.")


def _outputs(k: engine.Kernel, shape: tuple, dtype: np.dtype, out: np.ndarray | None) -> tuple:
    """``(vals, idx, direct)``: the values and indices arrays the kernel writes (None when it has
    none), views of ``out`` when ``direct``, which is not for float16 values (computed in float32)."""
    direct = out is not None and (k.idx_dim or out.dtype == dtype)
    vals = idx = None
    if k.vals_dim:
        vals = out.reshape((*shape, k.vals_dim)) if direct else np.empty((*shape, k.vals_dim), dtype=dtype)
    if k.idx_dim:
        idx = out.reshape((*shape, k.idx_dim)) if direct else np.empty((*shape, k.idx_dim), dtype=np.int64)
    return vals, idx, direct


def _result(vals, idx, final):
    """The returned value: reshaped to ``final`` (the KMin family's rows are (K, D), or (K,)),
    unless ``final`` is None (the outputs' own shape), and the (values, indices) pair."""
    if final is not None:
        vals = None if vals is None else vals.reshape(final)
        idx = None if idx is None else idx.reshape(final)
    if vals is not None and idx is not None:
        return vals, idx
    return vals if vals is not None else idx


class _FastCall:
    """A call of already-checked shapes whose plan has no ``engine.FastRun`` (a threaded call),
    or whose results are reshaped (the KMin family): allocate the outputs, pass addresses, run."""

    __slots__ = ("run", "sizes", "address", "empty", "dtype", "int64", "vshape", "ishape", "final")

    def __init__(self, arrays: type[ArrayAdapter], plan: engine.CallPlan, sizes: list, dtype: str,
                 vshape, ishape, final):
        self.run, self.sizes, self.address, self.empty = plan.run_addresses, sizes, arrays.address, arrays.empty
        self.dtype, self.int64 = arrays.dtype(dtype), arrays.dtype("int64")
        self.vshape, self.ishape = vshape, ishape
        self.final = None if final == (vshape or ishape) else final  # no reshape when it changes nothing

    def __call__(self, args):
        address = self.address
        vals = None if self.vshape is None else self.empty(self.vshape, self.dtype)
        idx = None if self.ishape is None else self.empty(self.ishape, self.int64)
        self.run([address(a) for a in args], self.sizes, 0 if vals is None else address(vals),
                 0 if idx is None else address(idx))
        return _result(vals, idx, self.final)


class _HostGPUCall:
    """A GPU call of already-checked shapes on host arrays: copied to the device and back."""

    __slots__ = ("run", "arrays", "dtype", "int64", "vshape", "ishape", "final")

    def __init__(self, arrays: type[ArrayAdapter], run, dtype: str, vshape, ishape, final):
        self.run, self.arrays = run, arrays
        self.dtype, self.int64 = arrays.dtype(dtype), arrays.dtype("int64")
        self.vshape, self.ishape, self.final = vshape, ishape, final

    def __call__(self, args):
        A = self.arrays
        vals = None if self.vshape is None else A.empty(self.vshape, dtype=self.dtype)
        idx = None if self.ishape is None else A.empty(self.ishape, dtype=self.int64)
        self.run([A.to_numpy(a, "") for a in args], None if vals is None else A.to_numpy(vals, ""),
                 None if idx is None else A.to_numpy(idx, ""))
        return _result(vals, idx, self.final)

