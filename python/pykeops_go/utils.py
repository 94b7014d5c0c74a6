"""Package-level helpers behind the ``pykeops`` shim: verbosity, build folder,
install test and thread count (``pykeops.numpy.utils`` is :mod:`pykeops_go.numpy.utils`).

gokeops compiles formulas in memory, so there is no build folder or cache to
manage; the corresponding pykeops functions are accepted and harmless.
Nothing here imports the compiled engine at import time.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any

import numpy as np

# ------------------------------------------------------------------ configuration
def _gpu_available() -> bool:
    from pykeops_go.common import gpu

    return gpu.gpu_available()


# A driver, a device and the CUDA-enabled engine (pykeops_go._ext_cuda): the
# GPU backends run, and backend "auto" picks them.
gpu_available = _gpu_available()
numpy_found = True
torch_found = importlib.util.find_spec("torch") is not None

verbose = os.getenv("PYKEOPS_VERBOSE") != "0"
default_device_id = 0  # the GPU that GPU backends use by default


def set_verbose(val: bool) -> None:
    """Turn pykeops messages (``[pyKeOps] ...``) on or off.

    Parameters
    ----------
    val : bool
        New verbosity; also written to ``pykeops.verbose`` when the shim is loaded.
    """
    global verbose
    verbose = bool(val)
    for package in ("pykeops", "pykeops_go"):
        if package in sys.modules:
            sys.modules[package].verbose = verbose


def _verbose() -> bool:
    # pykeops reads ``pykeops.verbose``, which scripts also assign directly.
    package = sys.modules.get("pykeops") or sys.modules.get("pykeops_go")
    return bool(getattr(package, "verbose", verbose))


def pyKeOps_Message(message: str, use_tag: bool = True, **kwargs: Any) -> None:
    """Print ``[pyKeOps] message`` when verbose (``kwargs`` go to ``print``)."""
    if _verbose():
        print(("[pyKeOps] " if use_tag else "") + message, **kwargs)


def pyKeOps_Print(message: str, **kwargs: Any) -> None:
    """Print ``message`` when verbose (``kwargs`` go to ``print``)."""
    if _verbose():
        print(message, **kwargs)


def pyKeOps_Warning(message: str) -> None:
    """Print ``[pyKeOps] Warning : message`` when verbose."""
    if _verbose():
        print("[pyKeOps] Warning : " + message)


# ------------------------------------------------------------------ build folder
def _default_build_folder() -> str:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "pykeops_go")


_build_folder = _default_build_folder()


def get_build_folder() -> str:
    """The build folder pykeops would use; gokeops writes nothing there.

    Returns
    -------
    str
        An absolute path (``$XDG_CACHE_HOME/pykeops_go`` unless set otherwise).
    """
    return _build_folder


def set_build_folder(path: str | None = None) -> None:
    """Record a build folder (None: the default). No file is written.

    Parameters
    ----------
    path : str, optional
        The folder; ``~`` is expanded.
    """
    global _build_folder
    _build_folder = (_default_build_folder() if path is None
                     else os.path.abspath(os.path.expanduser(str(path))))


def clean_pykeops(recompile_jit_binaries: bool = True) -> None:
    """pykeops empties its cache of compiled formulas; gokeops keeps none on disk.

    Parameters
    ----------
    recompile_jit_binaries : bool
        Accepted for compatibility; unused.
    """
    from pykeops_go.common import gpu

    removed = gpu.clean_cuda_cache()  # the CUDA kernels NVRTC compiled, if any
    pyKeOps_Message(f"removed {removed} compiled CUDA kernels." if removed else
                    "nothing to clean: no compiled CUDA kernel in the build folder (CPU formulas are "
                    "compiled in memory).")


# ------------------------------------------------------------------ engine
def set_num_threads(n: int) -> int:
    """Set how many threads each reduction uses (0: one per core).

    Parameters
    ----------
    n : int
        Number of threads, >= 0.

    Returns
    -------
    int
        The previous setting (0 meant one per core).
    """
    from pykeops_go.common import engine

    return engine.set_num_threads(n)


def get_num_threads() -> int:
    """How many threads each reduction uses.

    Returns
    -------
    int
        The thread count (the number of cores when unset).
    """
    from pykeops_go.common import engine

    return engine.get_num_threads()


def test_numpy_bindings() -> bool:
    """Run a tiny Genred and compare it with NumPy, as ``pykeops.test_numpy_bindings``.

    Prints ``pyKeOps with numpy bindings is working!`` (or ``outputs wrong
    values...``) when verbose.

    Returns
    -------
    bool
        True when the result matches (pykeops returns None).
    """
    from pykeops_go.numpy import Genred

    x = np.arange(1, 10, dtype=np.float32).reshape(-1, 3)
    y = np.arange(3, 9, dtype=np.float32).reshape(-1, 3)
    res = Genred("SqNorm2(x - y)", ["x = Vi(3)", "y = Vj(3)"])(x, y)
    ref = ((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=(0, 2))  # [63, 90]
    ok = bool(np.allclose(res.ravel(), ref))
    pyKeOps_Message("pyKeOps with numpy bindings is working!" if ok else "outputs wrong values...",
                    use_tag=False)
    return ok


def binding_tools(lang: str) -> Any:
    """The array toolbox class of a binding (``pykeops.common.utils.get_tools``): the package
    knows its bindings, its framework-neutral ``common`` layer does not.

    Parameters
    ----------
    lang : str
        ``"numpy"``, or ``"torch"`` / ``"pytorch"`` where the torch front end is installed.
    """
    if lang == "numpy":
        from pykeops_go.numpy.utils import numpytools

        return numpytools
    if lang in ("torch", "pytorch"):
        try:
            from pykeops_go.torch.utils import torchtools
        except ImportError as exc:
            raise ValueError(f"get_tools: the {lang!r} binding is not available ({exc})") from exc
        return torchtools
    raise ValueError(f"get_tools: lang must be 'numpy', 'torch' or 'pytorch', got {lang!r}")


# pykeops' keopscore.show_cuda_status: whether CUDA is used (never, in this build).
show_cuda_status = gpu_available


def check_health() -> bool:
    """Print what this installation runs on and check it computes correctly
    (pykeops' ``check_health`` reviews its C++/CUDA toolchain; there is none here).

    Returns
    -------
    bool
        True when the NumPy bindings compute the right values.
    """
    import platform

    from pykeops_go import __version__
    from pykeops_go.common import engine
    from pykeops_go.common.gpu_utils import get_gpu_number

    print(f"gokeops {__version__} (pykeops API), Python {platform.python_version()}, "
          f"NumPy {np.__version__}, {platform.system()} {platform.machine()}")
    print(f"engine: Go, {engine.get_num_threads()} threads; formulas compiled in memory "
          "(no C++ compiler, no build folder)")
    print(f"CUDA: not used (CPU-only build); devices reported by the driver: {get_gpu_number()}")
    print(f"torch found: {torch_found}")
    ok = test_numpy_bindings()
    print("health check: " + ("OK" if ok else "FAILED: wrong values"))
    return ok
