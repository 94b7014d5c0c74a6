"""GPU discovery and backend selection, without importing any extension.

The CUDA-enabled variant of the engine links gorgonia.org/cu, whose start-up
calls ``cuInit`` and exits the process when it fails. So before that
variant may be imported, this module checks with ctypes that the driver's
``libcuda.so.1`` loads, initialises and reports at least one device;
otherwise the CPU variant is the one to load, and GPU backends raise a
clear error. Nothing here imports torch or the engine.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import site
import sys
from dataclasses import dataclass
from functools import lru_cache

# pykeops' backend names: "auto" picks the GPU when one is usable.
BACKENDS = ("auto", "CPU", "GPU", "GPU_1D", "GPU_1D_device", "GPU_1D_host",
            "GPU_2D", "GPU_2D_device", "GPU_2D_host")

# Name of the CUDA-enabled extension package, next to the CPU one (_ext).
CUDA_EXTENSION = "pykeops_go._ext_cuda"

_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16
_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75
_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76


@dataclass(frozen=True)
class GpuInfo:
    """What the driver reports: ``reason`` says why there is no GPU (or "")."""
    driver_version: int
    devices: tuple
    reason: str


def probe(libname: str = "libcuda.so.1") -> GpuInfo:
    """Load the CUDA driver with ctypes and list its devices.

    Parameters
    ----------
    libname : str
        The driver library to load (tests pass other names).

    Returns
    -------
    GpuInfo
        ``devices`` holds one dict per device (name, compute capability,
        memory, multiprocessors); empty with a ``reason`` when there is none.
    """
    try:
        cuda = ctypes.CDLL(libname)
    except OSError as err:
        return GpuInfo(0, (), f"the NVIDIA driver library {libname} cannot be loaded ({err})")
    try:
        if cuda.cuInit(0) != 0:
            return GpuInfo(0, (), "cuInit failed: the NVIDIA driver found no usable GPU")
        version, count = ctypes.c_int(0), ctypes.c_int(0)
        cuda.cuDriverGetVersion(ctypes.byref(version))
        if cuda.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value == 0:
            return GpuInfo(version.value, (), "the NVIDIA driver reports no CUDA device")
        devices = []
        for ordinal in range(count.value):
            dev = ctypes.c_int(0)
            if cuda.cuDeviceGet(ctypes.byref(dev), ordinal) != 0:
                continue
            name = ctypes.create_string_buffer(256)
            cuda.cuDeviceGetName(name, 256, dev)
            mem = ctypes.c_size_t(0)
            total_mem = getattr(cuda, "cuDeviceTotalMem_v2", None) or cuda.cuDeviceTotalMem
            total_mem(ctypes.byref(mem), dev)
            attrs = {}
            for key, attr in (("major", _CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                              ("minor", _CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
                              ("multiprocessors", _CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)):
                v = ctypes.c_int(0)
                cuda.cuDeviceGetAttribute(ctypes.byref(v), attr, dev)
                attrs[key] = v.value
            devices.append({"id": ordinal, "name": name.value.decode(errors="replace"),
                            "compute_capability": (attrs["major"], attrs["minor"]),
                            "total_memory": mem.value, "multiprocessors": attrs["multiprocessors"]})
        return GpuInfo(version.value, tuple(devices), "" if devices else "no CUDA device could be opened")
    except AttributeError as err:
        return GpuInfo(0, (), f"{libname} is not a CUDA driver ({err})")


@lru_cache(maxsize=1)
def info() -> GpuInfo:
    """The probe of this process's driver, done once."""
    if os.environ.get("PYKEOPS_GO_NO_GPU"):
        return GpuInfo(0, (), "PYKEOPS_GO_NO_GPU is set")
    return probe()


def gpu_available() -> bool:
    """True when a CUDA device is usable and the CUDA variant is installed."""
    return bool(info().devices) and cuda_extension_installed()


def get_gpu_number() -> int:
    """The number of CUDA devices the driver reports (0 without a driver)."""
    return len(info().devices)


def get_gpu_props() -> list:
    """One dict per device: id, name, compute_capability, total_memory, multiprocessors."""
    return [dict(d) for d in info().devices]


@lru_cache(maxsize=1)
def cuda_extension_installed() -> bool:
    """Whether the CUDA-enabled extension variant is present (not imported); looked up once."""
    try:
        return importlib.util.find_spec(CUDA_EXTENSION) is not None
    except (ImportError, ValueError):
        return False


def extension_module() -> str:
    """The extension package to import: the CUDA variant only when the driver
    check passed (importing it without a driver would end the process)."""
    return CUDA_EXTENSION if gpu_available() else "pykeops_go._ext"


@dataclass(frozen=True)
class Backend:
    """A resolved backend: ``device`` "CPU" or "GPU"; ``scheme`` "1D", "2D" or
    "auto" (GPU only); ``memory`` "host", "device" or "auto"."""
    device: str
    scheme: str = "auto"
    memory: str = "auto"


def parse_backend(backend: str) -> Backend:
    """Split a pykeops backend name (without looking at the hardware).

    Raises
    ------
    ValueError
        For a name that is not one of ``BACKENDS`` (pykeops' message).
    """
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError("Invalid backend. Should be one of ", list(BACKENDS))
    if backend in ("auto", "CPU"):
        return Backend("auto" if backend == "auto" else "CPU")
    parts = backend.split("_")
    scheme = parts[1] if len(parts) > 1 else "auto"
    memory = parts[2] if len(parts) > 2 else "auto"
    return Backend("GPU", scheme, memory)


def resolve_backend(backend: str, on_device: bool = False) -> Backend:
    """The backend a call runs on: "auto" is the GPU when one is usable, else
    the CPU.

    Parameters
    ----------
    backend : str
        A pykeops backend name.
    on_device : bool
        Whether the arguments are in GPU memory (torch CUDA tensors).

    Raises
    ------
    ValueError
        A GPU backend on a machine or build without a usable GPU (naming
        why), a ``_device`` backend with host arrays, or device arrays with
        the CPU backend.
    """
    b = parse_backend(backend)
    if b.device == "auto":
        if gpu_available():
            return Backend("GPU", "auto", "device" if on_device else "host")
        if on_device:
            raise ValueError("the arguments are on a GPU but no usable GPU backend is available: "
                             + gpu_unavailable_reason())
        return Backend("CPU")
    if b.device == "CPU":
        if on_device:
            raise ValueError("backend 'CPU' cannot read arguments in GPU memory: move them to the host "
                             "(.cpu()) or use backend='GPU'")
        return b
    if not gpu_available():
        raise ValueError(f"backend {backend!r} needs a GPU: {gpu_unavailable_reason()} "
                         "(use backend='auto' or 'CPU')")
    if b.memory == "device" and not on_device:
        raise ValueError(f"backend {backend!r} expects arguments in GPU memory (torch CUDA tensors); "
                         "NumPy arrays are on the host: use 'GPU', 'GPU_1D' or 'GPU_2D'")
    memory = b.memory if b.memory != "auto" else ("device" if on_device else "host")
    return Backend("GPU", b.scheme, memory)


def gpu_unavailable_reason() -> str:
    """Why gpu_available() is False ("" when it is True)."""
    i = info()
    if not i.devices:
        return i.reason
    if not cuda_extension_installed():
        return f"this install has no CUDA-enabled engine ({CUDA_EXTENSION} is missing)"
    return ""


def nvrtc_search_path() -> list:
    """The Python package folders where the engine looks for NVRTC, in order:
    torch's (its nvidia wheels), then every site-packages folder (for
    nvidia-cuda-nvrtc-cu12). The engine adds /usr/local/cuda and keeps the
    newest version the driver can load."""
    dirs = []
    spec = importlib.util.find_spec("torch")
    if spec is not None and spec.origin:
        dirs.append(os.path.dirname(os.path.dirname(spec.origin)))
    candidates = list(getattr(site, "getsitepackages", lambda: [])())
    user = getattr(site, "getusersitepackages", lambda: "")()
    candidates += [user] + [p for p in sys.path if p.endswith("site-packages")]
    for d in candidates:
        if d and os.path.isdir(d) and d not in dirs:
            dirs.append(d)
    return dirs


def cuda_cache_folder() -> str:
    """Where compiled CUDA kernels are kept: ``cuda/`` under the build folder
    (pykeops.set_build_folder moves it, clean_pykeops empties it)."""
    from pykeops_go.utils import get_build_folder

    return os.path.join(get_build_folder(), "cuda")


def clean_cuda_cache() -> int:
    """Remove the compiled kernels of the cache folder; returns how many."""
    folder = cuda_cache_folder()
    removed = 0
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            if name.endswith((".cubin", ".ptx", ".tmp")):
                os.remove(os.path.join(folder, name))
                removed += 1
    return removed
