"""pykeops.common.gpu_utils: how many CUDA devices the driver reports.

The driver is asked through ``libcuda`` when it can be loaded; without a
driver (or when it fails) the answer is 0 devices, never an exception.
gokeops computes on the CPU whatever the answer (``pykeops.config.gpu_available``
is False).
"""

from __future__ import annotations

import ctypes
import ctypes.util

_CUDA_SUCCESS = 0
_MAX_THREADS_PER_BLOCK = 1  # CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK
_MAX_SHARED_MEMORY_PER_BLOCK = 8  # CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK


def _libcuda():
    name = ctypes.util.find_library("cuda")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
        lib.cuInit, lib.cuDeviceGetCount, lib.cuDeviceGet, lib.cuDeviceGetAttribute  # noqa: B018
    except (OSError, AttributeError):
        return None
    return lib


def get_gpu_props() -> tuple:
    """``(number of devices, compile flags)`` as pykeops: the flags read
    ``-DMAXIDGPU=<n-1> -DMAXTHREADSPERBLOCK<d>=... -DSHAREDMEMPERBLOCK<d>=...``.

    Returns
    -------
    tuple
        ``(0, "")`` when there is no CUDA driver or it reports no device.
    """
    cuda = _libcuda()
    if cuda is None or cuda.cuInit(0) != _CUDA_SUCCESS:
        return 0, ""
    count = ctypes.c_int()
    if cuda.cuDeviceGetCount(ctypes.byref(count)) != _CUDA_SUCCESS or count.value <= 0:
        return 0, ""
    flags = f"-DMAXIDGPU={count.value - 1} "
    for d in range(count.value):
        device, threads, shared = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        if (cuda.cuDeviceGet(ctypes.byref(device), ctypes.c_int(d)) != _CUDA_SUCCESS
                or cuda.cuDeviceGetAttribute(ctypes.byref(threads), ctypes.c_int(_MAX_THREADS_PER_BLOCK),
                                             device) != _CUDA_SUCCESS
                or cuda.cuDeviceGetAttribute(ctypes.byref(shared),
                                             ctypes.c_int(_MAX_SHARED_MEMORY_PER_BLOCK),
                                             device) != _CUDA_SUCCESS):
            return 0, ""
        flags += f"-DMAXTHREADSPERBLOCK{d}={threads.value} -DSHAREDMEMPERBLOCK{d}={shared.value} "
    return count.value, flags


def get_gpu_number() -> int:
    """The number of CUDA devices (0 without a driver)."""
    return get_gpu_props()[0]


__all__ = ["get_gpu_number", "get_gpu_props"]
