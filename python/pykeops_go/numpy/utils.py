"""pykeops.numpy.utils: the NumPy toolbox of the generic code (``numpytools``)
and the dense NumPy references that pykeops' tests and benchmarks use
(they build M x N arrays: for small sizes only)."""

from __future__ import annotations

import numpy as np

import pykeops_go as pykeops  # noqa: F401  (pykeops' module binds its package here)
from pykeops_go.numpy.cluster import swap_axes as np_swap_axes
from pykeops_go.numpy.generic.generic_red import Genred
from pykeops_go.numpy.operations import KernelSolve


class numpytools:
    """The array operations the binding-independent code calls for NumPy arrays."""

    norm = staticmethod(np.linalg.norm)
    arraysum = staticmethod(np.sum)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    Genred = Genred
    KernelSolve = KernelSolve
    swap_axes = staticmethod(np_swap_axes)
    arraytype = np.ndarray
    float_types = [float, np.float16, np.float32, np.float64]

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


def _kernel_name(kernel: str, known) -> str:
    if kernel not in known:
        raise ValueError(f"kernel must be one of {sorted(known)}, got {kernel!r}")
    return kernel


def squared_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``|x_i - y_j|^2`` as an ``(M, N)`` array, from the norms and ``x @ y.T``."""
    return (x**2).sum(1).reshape(-1, 1) + (y**2).sum(1).reshape(1, -1) - 2.0 * np.matmul(x, y.T)


def differences(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x_i[d] - y_j[d]`` as a ``(D, M, N)`` array."""
    return x.T[:, :, None] - y.T[:, None, :]


_RADIAL = ("gaussian", "laplacian", "cauchy", "inverse_multiquadric")
_SPHERE = ("binet", "linear", "gaussian_unoriented", "gaussian_oriented")


def np_kernel_sphere(nalpha: np.ndarray, nbeta: np.ndarray, s: float, kernel: str) -> np.ndarray:
    """Kernels on unit vectors (normals), of ``p = <a_i, b_j>``: ``binet`` (p^2),
    ``linear`` (p), ``gaussian_unoriented`` (exp((2p^2 - 2)/s^2)) and
    ``gaussian_oriented`` (exp((2p - 2)/s^2))."""
    p = nalpha @ nbeta.T
    return {
        "binet": lambda: p**2,
        "linear": lambda: p,
        "gaussian_unoriented": lambda: np.exp((-2.0 + 2.0 * p * p) / (s * s)),
        "gaussian_oriented": lambda: np.exp((-2.0 + 2.0 * p) / (s * s)),
    }[_kernel_name(kernel, _SPHERE)]()


def np_kernel(x: np.ndarray, y: np.ndarray, s: float, kernel: str) -> np.ndarray:
    """Dense ``gaussian``, ``laplacian``, ``cauchy`` or ``inverse_multiquadric`` kernel of scale s."""
    sq = squared_distances(x, y)
    return {
        "gaussian": lambda: np.exp(-sq / (s * s)),
        "laplacian": lambda: np.exp(-np.sqrt(sq) / s),
        "cauchy": lambda: 1.0 / (1 + sq / (s * s)),
        "inverse_multiquadric": lambda: np.sqrt(1.0 / (1 + sq / (s * s))),
    }[_kernel_name(kernel, _RADIAL)]()


def log_np_kernel(x: np.ndarray, y: np.ndarray, s: float, kernel: str) -> np.ndarray:
    """Logarithm of :func:`np_kernel`."""
    sq = squared_distances(x, y)
    return {
        "gaussian": lambda: -sq / (s * s),
        "laplacian": lambda: -np.sqrt(sq) / s,
        "cauchy": lambda: -np.log(1 + sq / (s * s)),
        "inverse_multiquadric": lambda: -0.5 * np.log(1.0 + sq / (s * s)),
    }[_kernel_name(kernel, _RADIAL)]()


def grad_np_kernel(x: np.ndarray, y: np.ndarray, s: float, kernel: str) -> np.ndarray:
    """Derivative of :func:`np_kernel` with respect to the squared distance ``|x_i - y_j|^2``."""
    sq = squared_distances(x, y)
    t = sq / (s * s)
    return {
        "gaussian": lambda: -np.exp(-t) / (s * s),
        "laplacian": lambda: np.exp(-np.sqrt(t)) / (-2 * s * s * np.sqrt(t)),
        "cauchy": lambda: -1.0 / (s * (t + 1)) ** 2,
        "inverse_multiquadric": lambda: -0.5 / ((s**2) * (t + 1) ** 1.5),
    }[_kernel_name(kernel, _RADIAL)]()


def chain_rules(q: np.ndarray, ax: np.ndarray, by: np.ndarray, Aa: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The gradient in x of ``sum_ij q_i . A_ij p_j`` for a radial kernel whose
    derivative matrix (in the squared distance) is ``Aa``:
    ``res[i, d] = sum_k q[i, k] * sum_j 2 (x_i[d] - y_j[d]) Aa[i, j] p[j, k]``.

    Returned in float32, as pykeops does.
    """
    res = np.zeros(ax.shape, dtype=np.float32)
    for d in range(ax.shape[1]):
        diff = ax[:, d][:, None] - by[:, d][None, :]
        res[:, d] = np.sum(q * ((2 * diff * Aa) @ p), axis=1)
    return res


def log_sum_exp(mat: np.ndarray, axis: int = 0) -> np.ndarray:
    """``log(sum(exp(mat), axis))``, computed after factoring out the maximum."""
    m = mat.max(axis=axis)
    return m + np.log(np.sum(np.exp(mat - np.expand_dims(m, axis=axis)), axis=axis))


def WarmUpGpu() -> None:
    """Print pykeops' warm-up message; there is no GPU to warm up in this build."""
    from pykeops_go.utils import pyKeOps_Message

    pyKeOps_Message("Warming up the Gpu (numpy bindings) !!!")


__all__ = ["Genred", "KernelSolve", "WarmUpGpu", "chain_rules", "differences", "grad_np_kernel",
           "log_np_kernel", "log_sum_exp", "np_kernel", "np_kernel_sphere", "np_swap_axes",
           "numpytools", "pykeops", "squared_distances"]
