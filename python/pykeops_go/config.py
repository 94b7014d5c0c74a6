"""pykeops.config: what this installation can do.

pykeops describes its C++/CUDA toolchain here (keopscore's config objects);
gokeops compiles nothing, so the objects below only answer the questions that
still make sense (build folder, CUDA use, OS) and ``print_all`` them.
"""

from __future__ import annotations

import os
import platform
import sys
import sysconfig
from os.path import dirname, join, realpath  # noqa: F401  (as in pykeops)

from pykeops_go import utils as _utils
from pykeops_go.utils import get_build_folder

# gpu_available is False: this build has no CUDA backend, every reduction runs on the CPU.
from pykeops_go.utils import gpu_available, numpy_found, torch_found  # noqa: E402

use_cuda = gpu_available


class BaseConfig:
    """The build settings: only the build folder, which gokeops never writes."""

    def get_build_folder(self) -> str:
        return get_build_folder()

    def set_build_folder(self, path: str | None = None) -> None:
        _utils.set_build_folder(path)

    def get_os(self) -> str:
        return platform.system()

    def print_all(self) -> None:
        print(f"Build folder: {self.get_build_folder()} (unused: formulas are compiled in memory)")
        print(f"OS: {self.get_os()}")


class CUDAConfig:
    """CUDA use: never, in this build."""

    def get_use_cuda(self) -> bool:
        return gpu_available

    def get_gpu_props(self) -> tuple:
        from pykeops_go.common.gpu_utils import get_gpu_props

        return get_gpu_props()

    @property
    def n_gpus(self) -> int:
        return self.get_gpu_props()[0]

    def get_build_folder(self) -> str:
        return get_build_folder()

    def print_all(self) -> None:
        print(f"Use CUDA: {self.get_use_cuda()} (gokeops computes on the CPU)")
        print(f"CUDA devices reported by the driver: {self.n_gpus}")


class OpenMPConfig:
    """OpenMP use: none; reductions run on goroutines (``pykeops_go.set_num_threads``)."""

    def get_use_OpenMP(self) -> bool:
        return False

    def print_all(self) -> None:
        print(f"Use OpenMP: False (threads: {_utils.get_num_threads()} goroutines)")


class PlatformConfig:
    """The operating system and Python version."""

    def get_os(self) -> str:
        return platform.system()

    def get_python_version(self) -> str:
        return platform.python_version()

    def get_env_type(self) -> str:
        return "conda" if os.path.exists(os.path.join(sys.prefix, "conda-meta")) else (
            "virtualenv" if sys.prefix != sys.base_prefix else "system")

    def print_all(self) -> None:
        print(f"OS: {self.get_os()}, Python {self.get_python_version()} ({self.get_env_type()})")


config = pykeops_base = BaseConfig()
cuda_config = pykeops_cuda = CUDAConfig()
openmp_config = pykeops_openmp = OpenMPConfig()
platform_detector = PlatformConfig()


def get_config() -> BaseConfig:
    return config


def get_cuda_config() -> CUDAConfig:
    return cuda_config


def get_openmp_config() -> OpenMPConfig:
    return openmp_config


def get_platform_config() -> PlatformConfig:
    return platform_detector


def pykeops_nvrtc_name(type: str = "src") -> str:  # noqa: A002
    """Where pykeops keeps its NVRTC binder (source or built module); gokeops has none."""
    if type == "src":
        return join(dirname(realpath(__file__)), "common", "keops_io", "pykeops_nvrtc.cpp")
    return join(get_build_folder(), "pykeops_nvrtc" + sysconfig.get_config_var("EXT_SUFFIX"))


def pykeops_cpp_name(tag: str = "", extension: str = "") -> str:
    """Where pykeops would write the C++ module of a formula; gokeops writes none."""
    return join(get_build_folder(), "pykeops_cpp_" + tag + extension)


python_includes = "$({python3} -m pybind11 --includes)".format(python3=sys.executable)

__all__ = ["config", "cuda_config", "dirname", "get_build_folder", "get_config", "get_cuda_config",
           "get_openmp_config", "get_platform_config", "gpu_available", "join", "numpy_found",
           "openmp_config", "platform_detector", "pykeops_base", "pykeops_cpp_name", "pykeops_cuda",
           "pykeops_nvrtc_name", "pykeops_openmp", "python_includes", "realpath", "torch_found",
           "use_cuda"]
