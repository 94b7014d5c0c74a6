"""Package-level helpers behind the ``pykeops`` shim: verbosity, build folder,
install test, thread count, and the NumPy utilities of ``pykeops.numpy.utils``.

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
gpu_available = False  # this build has no CUDA backend
numpy_found = True
torch_found = importlib.util.find_spec("torch") is not None

verbose = os.getenv("PYKEOPS_VERBOSE") != "0"


def set_verbose(val: bool) -> None:
    """Turn pykeops messages (``[pyKeOps] ...``) on or off.

    Parameters
    ----------
    val : bool
        New verbosity; also written to ``pykeops.verbose`` when the shim is loaded.
    """
    global verbose
    verbose = bool(val)
    shim = sys.modules.get("pykeops")
    if shim is not None:
        shim.verbose = verbose


def pyKeOps_Message(message: str, use_tag: bool = True, **kwargs: Any) -> None:
    """Print ``[pyKeOps] message`` when verbose (``kwargs`` go to ``print``)."""
    if verbose:
        print(("[pyKeOps] " if use_tag else "") + message, **kwargs)


def pyKeOps_Warning(message: str) -> None:
    """Print ``[pyKeOps] Warning : message`` when verbose."""
    if verbose:
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
                    "nothing to clean: gokeops compiles formulas in memory.")


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


# ------------------------------------------------------------------ pykeops.numpy.utils
class numpytools:
    """The array toolbox pykeops' generic code uses for NumPy (``pykeops.numpy.utils.numpytools``)."""

    norm = staticmethod(np.linalg.norm)
    arraysum = staticmethod(np.sum)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    arraytype = np.ndarray
    float_types = [float, np.float16, np.float32, np.float64]

    @property
    def Genred(self):
        from pykeops_go.numpy import Genred

        return Genred

    @property
    def KernelSolve(self):
        from pykeops_go.numpy import KernelSolve

        return KernelSolve

    @staticmethod
    def swap_axes(ranges):
        from pykeops_go.numpy.cluster import swap_axes

        return swap_axes(ranges)

    is_tensor = staticmethod(lambda x: isinstance(x, np.ndarray))
    copy = staticmethod(np.copy)
    eq = staticmethod(np.equal)
    transpose = staticmethod(lambda x: x.T)
    permute = staticmethod(lambda x, *axes: x.transpose(*axes))
    contiguous = staticmethod(np.ascontiguousarray)
    numpy = staticmethod(lambda x: x)
    tile = staticmethod(np.tile)
    solve = staticmethod(np.linalg.solve)
    size = staticmethod(lambda x: x.size)
    view = staticmethod(np.reshape)
    long = staticmethod(lambda x: x.astype(np.int64))
    dtype = staticmethod(lambda x: x.dtype)
    dtypename = staticmethod(lambda dtype: np.dtype(dtype).name)
    device = staticmethod(lambda x: "cpu")
    device_type_index = staticmethod(lambda x: ("cpu", None))
    device_dict = staticmethod(lambda x: {"cat": "cpu"})
    get_pointer = staticmethod(lambda x: x.__array_interface__["data"][0])

    @staticmethod
    def detect_complex(x):
        if isinstance(x, list):
            return any(isinstance(v, complex) for v in x)
        return np.iscomplexobj(x) if isinstance(x, np.ndarray) else isinstance(x, complex)

    @staticmethod
    def view_as_complex(x):
        return x.view({"float32": np.complex64, "float64": np.complex128}[x.dtype.name])

    @staticmethod
    def view_as_real(x):
        return x.view({"complex64": np.float32, "complex128": np.float64}[x.dtype.name])

    @staticmethod
    def rand(m, n, dtype):
        return np.random.rand(m, n).astype(dtype)

    @staticmethod
    def randn(m, n, dtype):
        return np.random.randn(m, n).astype(dtype)

    @staticmethod
    def zeros(shape, dtype, device=None, requires_grad=None):
        return np.zeros(shape, dtype=dtype)

    @staticmethod
    def empty(shape, dtype, device=None, requires_grad=None):
        return np.empty(shape, dtype=dtype)

    @staticmethod
    def eye(n, dtype):
        return np.eye(n, dtype=dtype)

    @staticmethod
    def array(x, dtype, device=None):
        return np.array(x, dtype=dtype)


# Dense references used by pykeops' tests and benchmarks (they build M x N arrays).
def squared_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``|x_i - y_j|^2`` as an ``(M, N)`` array."""
    return (x**2).sum(1)[:, None] + (y**2).sum(1)[None, :] - 2.0 * (x @ y.T)


def differences(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x_i[d] - y_j[d]`` as a ``(D, M, N)`` array."""
    return x.T[:, :, None] - y.T[:, None, :]


def np_kernel(x: np.ndarray, y: np.ndarray, s: float, kernel: str) -> np.ndarray:
    """Dense ``gaussian``, ``laplacian``, ``cauchy`` or ``inverse_multiquadric`` kernel."""
    sq = squared_distances(x, y)
    return {
        "gaussian": lambda: np.exp(-sq / s**2),
        "laplacian": lambda: np.exp(-np.sqrt(sq) / s),
        "cauchy": lambda: 1.0 / (1 + sq / s**2),
        "inverse_multiquadric": lambda: np.sqrt(1.0 / (1 + sq / s**2)),
    }[kernel]()


def log_np_kernel(x: np.ndarray, y: np.ndarray, s: float, kernel: str) -> np.ndarray:
    """Logarithm of :func:`np_kernel`."""
    sq = squared_distances(x, y)
    return {
        "gaussian": lambda: -sq / s**2,
        "laplacian": lambda: -np.sqrt(sq) / s,
        "cauchy": lambda: -np.log(1 + sq / s**2),
        "inverse_multiquadric": lambda: -0.5 * np.log(1.0 + sq / s**2),
    }[kernel]()


def grad_np_kernel(x: np.ndarray, y: np.ndarray, s: float, kernel: str) -> np.ndarray:
    """Derivative of :func:`np_kernel` with respect to the squared distance."""
    sq = squared_distances(x, y)
    t = sq / s**2
    return {
        "gaussian": lambda: -np.exp(-t) / s**2,
        "laplacian": lambda: np.exp(-np.sqrt(t)) / (-2 * s**2 * np.sqrt(t)),
        "cauchy": lambda: -1.0 / (s * (t + 1)) ** 2,
        "inverse_multiquadric": lambda: -0.5 / (s**2 * (t + 1) ** 1.5),
    }[kernel]()


def log_sum_exp(mat: np.ndarray, axis: int = 0) -> np.ndarray:
    """Stable ``log(sum(exp(mat), axis))``."""
    m = mat.max(axis=axis)
    return m + np.log(np.exp(mat - np.expand_dims(m, axis)).sum(axis=axis))


def WarmUpGpu() -> None:
    """No GPU to warm up in this build."""
    pyKeOps_Message("no GPU to warm up (CPU-only build).")
