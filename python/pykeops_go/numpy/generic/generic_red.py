"""Genred: the generic reduction of pykeops.numpy, run by the Go engine."""

from __future__ import annotations

import functools
import warnings
from typing import Any, Sequence

import numpy as np

from pykeops_go.common import engine, gpu
from pykeops_go.common.arguments import axis2cat, prepare, prepare_ranges  # noqa: F401
from pykeops_go.common.get_options import get_tag_backend  # noqa: F401
from pykeops_go.common.operations import postprocess, preprocess  # noqa: F401
from pykeops_go.common.parse_type import complete_aliases, get_optional_flags, get_sizes  # noqa: F401
from pykeops_go.utils import default_device_id, pyKeOps_Warning  # noqa: F401

BACKENDS = ["auto", "CPU", "GPU", "GPU_1D", "GPU_1D_device", "GPU_1D_host",
            "GPU_2D", "GPU_2D_device", "GPU_2D_host"]

# Reductions accepting dtype_acc and block_sum / kahan_scheme (checked at construction, as pykeops).
SUM_TYPE = ("Sum", "LogSumExp", "LogSumExpWeight", "SumSoftMaxWeight", "SoftMax", "Max_SumShiftExp",
            "Max_SumShiftExpWeight")

# Reductions that need a weight formula (formula2).
WEIGHTED = ("LogSumExpWeight", "SumSoftMaxWeight", "SoftMax")

def check_options(reduction_op: str, axis: int, dtype_acc: str, use_double_acc: bool, sum_scheme: str) -> str:
    """The option checks of pykeops' Genred constructor, with their messages.

    Returns
    -------
    str
        The effective ``dtype_acc`` (``"float64"`` when ``use_double_acc``).
    """
    if axis not in (0, 1):
        raise ValueError("Axis should be 0 or 1.")
    if use_double_acc and dtype_acc not in ("auto", "float64"):
        raise ValueError("[KeOps] you cannot set both options use_double_acc and dtype_acc.")
    if use_double_acc:
        dtype_acc = "float64"
    if dtype_acc not in ("auto", "float16", "float32", "float64"):
        raise ValueError('[KeOps] invalid value for option dtype_acc : should be one of "auto", '
                         '"float16", "float32" or "float64".')
    if sum_scheme not in ("auto", "direct_sum", "block_sum", "kahan_scheme"):
        raise ValueError('[KeOps] invalid value for option sum_scheme : should be one of "auto", '
                         '"direct_sum", "block_sum" or "kahan_scheme".')
    if reduction_op not in SUM_TYPE:
        if dtype_acc != "auto":
            raise ValueError(f'[KeOps] dtype_acc="{dtype_acc}" is only allowed for sum-type reductions '
                             f"(Sum, LogSumExp, SumSoftMaxWeight...), not {reduction_op}")
        if sum_scheme in ("block_sum", "kahan_scheme"):
            raise ValueError(f'[KeOps] sum_scheme="{sum_scheme}" is only allowed for sum-type '
                             f"reductions, not {reduction_op}")
    return dtype_acc


class Genred:
    """A generic reduction ``reduction_op_j F(x_i, y_j, p)`` compiled for the CPU.

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

    def __init__(self, formula: str, aliases: Sequence[str], reduction_op: str = "Sum", axis: int = 0,
                 dtype: Any = None, opt_arg: int | None = None, formula2: str | None = None,
                 cuda_type: Any = None, dtype_acc: str = "auto", use_double_acc: bool = False,
                 sum_scheme: str = "auto", enable_chunks: bool = True, rec_multVar_highdim: bool = False,
                 use_fast_math: bool = True):
        if dtype is not None or cuda_type is not None:
            warnings.warn("[pyKeOps] the 'dtype' and 'cuda_type' arguments are deprecated and ignored: "
                          "the dtype is taken from the arrays at call time.", stacklevel=2)
        if not isinstance(formula, str):
            raise TypeError(f"Genred: formula must be a str, got {type(formula).__name__}")
        if isinstance(aliases, str) or not all(isinstance(a, str) for a in aliases):
            raise TypeError("Genred: aliases must be a list of strings such as ['x = Vi(3)']")
        if not isinstance(reduction_op, str):
            raise TypeError(f"Genred: reduction_op must be a str, got {type(reduction_op).__name__}")
        self.dtype_acc = check_options(reduction_op, axis, dtype_acc, use_double_acc, sum_scheme)
        if reduction_op in WEIGHTED and formula2 is None:
            raise ValueError(f"{reduction_op} reduction requires a weight formula (given as formula2 kwarg)")
        if opt_arg is not None and not isinstance(opt_arg, (int, np.integer)):
            raise TypeError(f"Genred: opt_arg must be an int, got {type(opt_arg).__name__}")
        self.formula = formula
        self.formula2 = formula2
        self.reduction_op = reduction_op
        self.axis = axis
        self.opt_arg = int(opt_arg) if opt_arg else 0  # pykeops drops a falsy opt_arg
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

    @property
    def kernel(self) -> engine.Kernel:
        """The compiled kernel (compiled at first use, as pykeops does)."""
        if self._kernel is None:
            self._kernel = engine.compile(self.formula, self.aliases, self.reduction_op, self.axis,
                                          self.opt_arg, self.formula2, self.dtype_acc, self.sum_scheme)
        return self._kernel

    def __call__(self, *args: np.ndarray, backend: str = "auto", device_id: int = -1,
                 ranges: Sequence[np.ndarray] | None = None,
                 out: np.ndarray | None = None) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Run the reduction on NumPy arrays, one per alias, in index order.

        Parameters
        ----------
        *args : numpy.ndarray
            ``Vi`` variables as ``(M, D)`` arrays, ``Vj`` as ``(N, D)``, ``Pm`` as
            ``(D,)`` (any array of D values); with batch dimensions, every array
            carries them: ``(B..., M, D)``, ``(B..., N, D)``, ``(B..., D)``, each
            ``B`` being 1 or the common size. All float32, or all float64
            (float16 is computed in float32).
        backend : str
            ``"auto"`` or ``"CPU"``; the GPU backends need a CUDA build.
        device_id : int
            GPU number; ignored on the CPU.
        ranges : tuple of 6 integer arrays, optional
            Block-sparse reduction ``(ranges_i, slices_i, redranges_j, ranges_j,
            slices_j, redranges_i)``, as built by :func:`pykeops.numpy.cluster.from_matrix`.
        out : numpy.ndarray, optional
            C-contiguous array receiving the result (of the returned shape and
            dtype; int64 for ArgMin/ArgMax/ArgKMin); returned as is.

        Returns
        -------
        numpy.ndarray or tuple of numpy.ndarray
            ``(rows, D)`` (``rows`` = M for axis=1, N for axis=0), with the
            batch shape in front; ``(values, int64 indices)`` for
            Min_ArgMin, Max_ArgMax and KMin_ArgKMin.
        """
        key = None
        if ranges is None and out is None:
            key = _fast_key(backend, device_id, args)
            fast = self._fast.get(key) if key is not None else None
            if fast is not None:
                return fast(args)
        if len(args) != self.nargs:
            raise ValueError(f"Invalid number of arguments in call to Genred (should be {self.nargs} "
                             f"and got {len(args)}).")
        on = check_backend(backend)
        k = self.kernel
        p = prepare(k, args)
        rows, reduced = (p.M, p.N) if self.axis == 1 else (p.N, p.M)
        if "Arg" in self.reduction_op and p.dtype == np.float32 and reduced > 1.6e7:
            raise ValueError("size of input array is too large for Arg type reduction with single "
                             "precision. Use double precision.")
        r = prepare_ranges(ranges)
        if r is not None and p.batch:
            raise ValueError("Genred: ranges cannot be combined with batch dimensions")
        shape = (*p.batch, rows)
        final = shape + ((k.k,) if k.dim_f == 1 else (k.k, k.dim_f)) if k.k else None
        if out is not None:
            out = self._check_out(k, out, shape, final, p.user_dtype)
        vals, idx, direct = _outputs(k, shape, p.dtype, out)
        plan = k.plan(p.dtype, p.M, p.N, p.batch, p.arg_batches,
                      0 if vals is None else vals.size, 0 if idx is None else idx.size, r)
        if on.device == "GPU":
            from pykeops_go.common import gpu_backend

            gpu_backend.run_host(plan, p.arrays, vals, idx, on, device_id, self.use_fast_math)
        else:
            plan.run(p.arrays, vals, idx)
        if out is not None:
            if not direct:
                out[...] = vals.reshape(out.shape)
            return out
        if key is not None and p.user_dtype == p.dtype and all(a is b for a, b in zip(args, p.arrays)):
            # Later calls with arrays of these shapes skip the checks.
            vshape = None if vals is None else vals.shape
            ishape = None if idx is None else idx.shape
            if len(self._fast) >= _FAST_MAX:
                self._fast.clear()  # bounded: a few shapes per Genred in practice
            fast = self._fast[key] = _FastCall(plan, p.dtype, vshape, ishape, final)
            if on.device == "GPU":
                from pykeops_go.common import gpu_backend

                fast.run = functools.partial(gpu_backend.run_host, plan, backend=on, device_id=device_id,
                                             fast_math=self.use_fast_math)
        if vals is not None and p.user_dtype != p.dtype:
            vals = vals.astype(p.user_dtype)
        return _result(vals, idx, final)

    def _check_out(self, k, out, shape, final, dtype):
        """Validate ``out=``: the returned shape (or the raw 2-D one) and dtype."""
        if k.vals_dim and k.idx_dim:
            raise ValueError(f"Genred: out= is not supported for {self.reduction_op}, "
                             "which returns a (values, indices) tuple")
        if not isinstance(out, np.ndarray):
            raise TypeError(f"Genred: out must be a NumPy array, got {type(out).__name__}")
        raw = (*shape, k.vals_dim or k.idx_dim)
        want = np.dtype(np.int64) if k.idx_dim else dtype
        if (out.shape not in (raw, final) or out.dtype != want or not out.flags.c_contiguous
                or not out.flags.writeable or not out.flags.aligned):
            raise ValueError(f"Genred: out must be a writeable, aligned, C-contiguous {want} array of shape "
                             f"{final or raw}, got a {out.dtype} array of shape {out.shape}")
        return out


_FAST_MAX = 64  # call plans kept per Genred


def _fast_key(backend: Any, device_id: Any, args) -> tuple | None:
    """The key of a call's plan in ``Genred._fast``: the shapes key for calls on the CPU
    (what the torch Genred looks up), with the backend and device in front for calls on
    the GPU (backend "auto" included, when a GPU is usable)."""
    key = _shapes_key(args)
    if key is None or backend == "CPU" or (backend == "auto" and not gpu.gpu_available()):
        return key
    if not isinstance(backend, str) or not isinstance(device_id, int):
        return None
    return (backend, device_id, key)


def _shapes_key(args) -> tuple | None:
    """What a call's validation depends on: shapes, dtypes (with their byte
    order: ``dtype.num`` is the same for ``<f8`` and ``>f8``), contiguity and
    alignment; the type too, as NumPy scalars have all of these but no buffer."""
    try:
        return tuple([(type(a), a.shape, a.dtype, a.flags.c_contiguous, a.flags.aligned) for a in args])
    except AttributeError:  # not all ndarrays: always the full path
        return None


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
    """The returned value: KMin-family reshape, and the (values, indices) pair."""
    if final is not None:  # the KMin family: (rows, K, D), squeezed when D == 1
        vals = vals.reshape(final) if vals is not None else None
        idx = idx.reshape(final) if idx is not None else None
    if vals is not None and idx is not None:
        return vals, idx
    return vals if vals is not None else idx


class _FastCall:
    """A call of already-validated shapes: allocate the outputs and run."""

    __slots__ = ("plan", "dtype", "vshape", "ishape", "final", "run")

    def __init__(self, plan, dtype, vshape, ishape, final):
        self.plan, self.dtype, self.vshape, self.ishape, self.final = plan, dtype, vshape, ishape, final
        self.run = plan.run  # (arrays, vals, idx); a GPU call's runs on the GPU

    def __call__(self, args):
        vals = None if self.vshape is None else np.empty(self.vshape, dtype=self.dtype)
        idx = None if self.ishape is None else np.empty(self.ishape, dtype=np.int64)
        self.run(args, vals, idx)
        return _result(vals, idx, self.final)


def check_backend(backend: str, on_device: bool = False) -> gpu.Backend:
    """The backend a call runs on, from pykeops' names (see common/gpu.resolve_backend):
    "auto" is the GPU when one is usable, else the CPU; a GPU backend without a usable
    GPU raises ValueError naming the backend and why. ``on_device``: the arguments are
    in GPU memory (torch CUDA tensors)."""
    return gpu.resolve_backend(backend, on_device)

__all__ = ["Genred", "axis2cat", "complete_aliases", "default_device_id", "get_optional_flags", "get_sizes",
           "get_tag_backend", "postprocess", "preprocess", "pyKeOps_Warning"]
