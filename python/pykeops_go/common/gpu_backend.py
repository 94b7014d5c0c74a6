"""Reductions on the GPU: the calls that Genred (and so LazyTensor and
KernelSolve) routes here once their backend resolved to "GPU"
(:func:`pykeops_go.common.gpu.resolve_backend`).

The engine's ``GPURun`` (gokeops/gpu.go) takes the call descriptor of the
CPU path (:class:`pykeops_go.common.engine.CallPlan`), with either

* host addresses (NumPy arrays, CPU tensors): the engine copies them to the
  device and the results back (backends ``GPU``, ``GPU_1D``, ``GPU_2D`` and
  their ``_host`` forms), or
* device addresses (torch CUDA tensors, ``data_ptr()``): used in place, on
  the tensors' current CUDA stream, the results allocated on their device.

It is only exported by the cuda-tagged extension (``pykeops_go._ext_cuda``),
which :mod:`pykeops_go.common.engine` imports only when a driver and a
device were found; without one, resolve_backend has already raised.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from pykeops_go.common import engine, gpu
from pykeops_go.common.arguments import layout, prepare_ranges

# The scheme of a resolved backend, as GPURun's code (gokeops/gpu.go).
_SCHEMES = {"auto": engine._go.SchemeAuto, "1D": engine._go.Scheme1D, "2D": engine._go.Scheme2D}

# (NVRTC search path, cache folder) last given to the engine.
_configured: tuple[str, str] | None = None


def _configure() -> None:
    """Tell the engine where NVRTC and the kernel cache are, again whenever the
    build folder moved (pykeops.set_build_folder)."""
    global _configured
    folder = gpu.cuda_cache_folder()
    if _configured is None or _configured[1] != folder:
        sites = _configured[0] if _configured else os.pathsep.join(gpu.nvrtc_search_path())
        engine.call(engine._go.GPUConfigure, sites, folder)
        _configured = (sites, folder)


def _check_process() -> None:
    if engine._child is not None:
        raise RuntimeError("GPU backends cannot run in a process forked after pykeops was imported "
                           "(CUDA does not survive fork): use the 'spawn' start method")


def _device(device_id: int) -> int:
    from pykeops_go.utils import default_device_id

    if device_id is None or device_id == -1:
        return default_device_id
    if not isinstance(device_id, (int, np.integer)) or isinstance(device_id, bool) or device_id < 0:
        raise ValueError(f"device_id must be -1 (the default GPU) or a GPU number >= 0, got {device_id!r}")
    n = gpu.get_gpu_number()
    if device_id >= n:
        raise ValueError(f"device_id {device_id}: this machine has {n} GPU(s)")
    return int(device_id)


def run_host(plan: engine.CallPlan, arrays: Sequence[np.ndarray], vals: np.ndarray | None,
             idx: np.ndarray | None, backend: gpu.Backend, device_id: int, fast_math: bool) -> None:
    """:meth:`CallPlan.run` on the GPU: host arrays copied to the device and back."""
    _check_process()
    _configure()
    dev = _device(device_id)
    desc, addr, _ = plan._descriptor()
    for pos, a in zip(plan.arg_pos, arrays):
        desc[pos] = engine.array_address(a)
        desc[pos + 1] = a.size
    if vals is not None:
        desc[plan.out_pos] = engine.array_address(vals)
    if idx is not None:
        desc[plan.out_pos + 2] = engine.array_address(idx)
    engine.call(engine._go.GPURun, plan.handle, plan.code, dev, _SCHEMES[backend.scheme],
                bool(fast_math), False, 0, addr, len(desc))


# ---------------------------------------------------------------- torch CUDA tensors
class _Shape:
    """What the shape checks of common/arguments.py read of an array."""

    __slots__ = ("shape", "ndim", "size")

    def __init__(self, t):
        self.shape, self.ndim, self.size = tuple(t.shape), t.dim(), t.numel()


def on_device(args: Sequence[Any]) -> bool:
    """Whether a call has a torch CUDA tensor among its arguments."""
    return any(getattr(a, "is_cuda", False) is True for a in args)


def check_same_device(args: Sequence[Any], name: str = "Genred"):
    """The one device of the tensors ``args`` (all CUDA tensors of one GPU).

    Raises
    ------
    TypeError
        An argument that is not a torch.Tensor.
    ValueError
        Arguments on different devices, naming them.
    """
    import torch

    first = None
    for k, a in enumerate(args):
        if not isinstance(a, torch.Tensor):
            raise TypeError(f"{name}: argument {k} must be a torch.Tensor, got {type(a).__name__}")
        if first is None:
            first = (k, a.device)
        elif a.device != first[1]:
            raise ValueError(f"{name}: argument {first[0]} is on {first[1]} but argument {k} is on "
                             f"{a.device}: all arguments must be on the same device")
    if first is None or first[1].type != "cuda":
        where = first[1] if first else "no device"
        raise ValueError(f"{name}: GPU tensors expected, got tensors on {where}")
    return first[1]


_TORCH_CODES = None


def _torch_codes():
    global _TORCH_CODES
    if _TORCH_CODES is None:
        import torch

        _TORCH_CODES = {torch.float32: (engine._go.Float32, np.dtype(np.float32)),
                        torch.float64: (engine._go.Float64, np.dtype(np.float64)),
                        torch.float16: (engine._go.Float16, np.dtype(np.float32))}
    return _TORCH_CODES


def torch_forward(genred, args: Sequence[Any], backend: str, device_id: int, ranges, out) -> Any:
    """A torch Genred call on CUDA tensors: run in place on their device.

    Returns the result tensors on that device (values in the tensors' dtype,
    int64 indices), shaped as the CPU path shapes them.
    """
    import torch

    from pykeops_go.common.genred import _result, check_backend, check_index_rows

    name = "Genred"
    calls = genred._gpu_calls
    key = None
    if ranges is None and out is None:
        try:
            key = (backend, device_id, tuple([(a.shape, a.dtype, a.device) for a in args]))
            hit = calls.get(key)
        except (AttributeError, TypeError):  # not all tensors, unhashable options
            key = hit = None
        if hit is not None:
            return hit(args)
    if len(args) != genred.nargs:
        raise ValueError(f"Invalid number of arguments in call to Genred (should be {genred.nargs} "
                         f"and got {len(args)}).")
    device = check_same_device(args, name)
    b = check_backend(backend, on_device=True)
    if b.device != "GPU":  # (resolve_backend raises first; kept for clarity)
        raise ValueError(f"backend {backend!r} cannot read CUDA tensors")
    if device_id not in (-1, None) and device_id != (device.index or 0):
        raise ValueError(f"{name}: device_id={device_id} but the arguments are on {device}")
    _check_process()
    _configure()
    dtype = args[0].dtype
    codes = _torch_codes()
    if dtype not in codes:
        raise ValueError(f"{name}: argument 0 has dtype {dtype}; expected torch.float16, float32 or float64")
    for k, a in enumerate(args):
        if a.dtype != dtype:
            raise ValueError(f"{name}: argument {k} has dtype {a.dtype} but argument 0 has {dtype}: "
                             "all arguments must have the same dtype")
    code, np_dtype = codes[dtype]
    k = genred.kernel
    M, N, batch, arg_batches = layout(k, [_Shape(a) for a in args], name)
    rows, reduced = (M, N) if genred.axis == 1 else (N, M)
    check_index_rows(k, np_dtype, reduced)
    if ranges is not None and not (isinstance(ranges, (tuple, list)) and len(ranges) == 0):
        ranges = [r.detach().cpu().numpy() if isinstance(r, torch.Tensor) else r for r in ranges] \
            if isinstance(ranges, (tuple, list)) else ranges
    r = prepare_ranges(ranges, name)
    tensors = [a.detach().contiguous() for a in args]
    shape = (*batch, rows)
    final = shape + k.row_shape
    vals = torch.empty((*shape, k.vals_dim), dtype=dtype, device=device) if k.vals_dim else None
    idx = torch.empty((*shape, k.idx_dim), dtype=torch.int64, device=device) if k.idx_dim else None
    plan = k.plan(np_dtype, M, N, batch, arg_batches, 0 if vals is None else vals.numel(),
                  0 if idx is None else idx.numel(), r)
    call = _DeviceCall(plan, code, device, _SCHEMES[b.scheme], bool(getattr(genred, "use_fast_math", True)),
                       None if vals is None else vals.shape, None if idx is None else idx.shape, final, dtype)
    call.launch(tensors, vals, idx)
    res = _result(vals, idx, final)
    if key is not None:
        if len(calls) >= 64:
            calls.clear()  # bounded: a few shapes per Genred in practice
        calls[key] = call
    if out is not None:
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"Genred: out must be a torch.Tensor, got {type(out).__name__}")
        if out.device != device:
            raise ValueError(f"Genred: out is on {out.device} but the arguments are on {device}")
        if isinstance(res, tuple):
            raise ValueError(f"Genred: out= is not supported for {genred.reduction_op}, "
                             "which returns a (values, indices) tuple")
        if out.numel() != res.numel() or out.dtype != res.dtype:
            raise ValueError(f"Genred: out must be a {res.dtype} tensor of shape {tuple(res.shape)}, "
                             f"got a {out.dtype} tensor of shape {tuple(out.shape)}")
        out.copy_(res.reshape(out.shape))
        return out
    return res


class _DeviceCall:
    """A checked call on CUDA tensors of given shapes: later calls of those shapes
    allocate the outputs on the device and launch."""

    __slots__ = ("plan", "code", "device", "scheme", "fast_math", "vshape", "ishape", "final", "dtype")

    def __init__(self, plan, code, device, scheme, fast_math, vshape, ishape, final, dtype):
        self.plan, self.code, self.device, self.scheme, self.fast_math = plan, code, device, scheme, fast_math
        self.vshape, self.ishape, self.final, self.dtype = vshape, ishape, final, dtype

    def launch(self, tensors, vals, idx) -> None:
        import torch

        _configure()
        plan = self.plan
        desc, addr, _ = plan._descriptor()
        for pos, t in zip(plan.arg_pos, tensors):
            desc[pos] = t.data_ptr()
            desc[pos + 1] = t.numel()
        if vals is not None:
            desc[plan.out_pos] = vals.data_ptr()
        if idx is not None:
            desc[plan.out_pos + 2] = idx.data_ptr()
        stream = torch.cuda.current_stream(self.device).cuda_stream
        # (A tensor's CUDA device always has its index.)
        engine.call(engine._go.GPURun, plan.handle, self.code, self.device.index or 0, self.scheme, self.fast_math,
                    True, stream, addr, len(desc))

    def __call__(self, args):
        import torch

        from pykeops_go.common.genred import _result

        tensors = [a.detach().contiguous() for a in args]
        vals = None if self.vshape is None else torch.empty(self.vshape, dtype=self.dtype, device=self.device)
        idx = None if self.ishape is None else torch.empty(self.ishape, dtype=torch.int64, device=self.device)
        self.launch(tensors, vals, idx)
        return _result(vals, idx, self.final)


def stats() -> dict:
    """The engine's GPU state: devices opened, NVRTC version and compilations run."""
    import json

    return json.loads(engine.call(engine._go.GPUStats))
