"""pykeops.common.get_options: the ``backend=`` option as pykeops' three tags.

A backend resolves to ``(tagCPUGPU, tag1D2D, tagHostDevice)``: 0/1 for
CPU/GPU, the 1D/2D GPU scheme and host/device memory. This build computes on
the CPU only; the tags are still worked out as pykeops does, for code that
inspects them (Genred itself rejects GPU backends with a clear error).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np

import pykeops_go as pykeops  # noqa: F401  (pykeops' module binds its package here)


class SetBackend:
    """The backend names and their tags."""

    dev = OrderedDict([("CPU", 0), ("GPU", 1)])
    grid = OrderedDict([("1D", 0), ("2D", 1)])
    memtype = OrderedDict([("host", 0), ("device", 1)])

    possible_options_list = ["auto", "CPU", "GPU", "GPU_1D", "GPU_1D_device", "GPU_1D_host",
                             "GPU_2D", "GPU_2D_device", "GPU_2D_host"]

    def define_tag_backend(self, backend: str, variables: Sequence[Any]) -> tuple:
        """``(tagCPUGPU, tag1D2D, tagHostDevice)`` for a backend name and the call arrays."""
        if backend not in self.possible_options_list:
            raise ValueError(f"Invalid backend {backend!r}. Should be one of "
                             f"{self.possible_options_list}")
        if backend == "auto":
            return self._find_dev(), self._find_grid(), self._find_mem(variables)
        parts = re.split("_", backend)
        dev = self.dev[parts[0]]
        grid = self.grid[parts[1]] if len(parts) > 1 else self._find_grid()
        mem = self.memtype[parts[2]] if len(parts) > 2 else self._find_mem(variables)
        return dev, grid, mem

    def define_backend(self, backend: str, variables: Sequence[Any]) -> tuple:
        """The tags of :meth:`define_tag_backend` as names: ``("CPU", "1D", "host")``..."""
        tags = self.define_tag_backend(backend, variables)
        return tuple(list(d)[t] for d, t in zip((self.dev, self.grid, self.memtype), tags))

    @staticmethod
    def _find_dev() -> int:
        from pykeops_go.config import gpu_available

        return int(gpu_available)

    @staticmethod
    def _find_mem(variables: Sequence[Any]) -> int:
        if all(type(v) is np.ndarray for v in variables):
            return 0
        torch = _torch()
        if torch is not None and all(isinstance(v, torch.Tensor) for v in variables):
            on_gpu = [v.is_cuda for v in variables]
            if all(on_gpu):
                return 1
            if not any(on_gpu):
                return 0
            raise ValueError("At least two input variables have different memory locations (Cpu/Gpu).")
        raise TypeError("All variables should either be numpy arrays or torch tensors.")

    @staticmethod
    def _find_grid() -> int:
        return 0


def _torch():
    from pykeops_go.config import torch_found

    if not torch_found:
        return None
    import torch

    return torch


def get_tag_backend(backend: str, variables: Sequence[Any], str: bool = False) -> tuple:  # noqa: A002
    """The tags of ``backend`` for the call arrays ``variables`` (names when ``str``)."""
    res = SetBackend()
    return res.define_backend(backend, variables) if str else res.define_tag_backend(backend, variables)


__all__ = ["SetBackend", "get_tag_backend", "pykeops"]
