"""torchtools (the array toolbox of pykeops' generic code), the dense torch references
(``squared_distances``, ``torch_kernel``) and the torch install check."""

from __future__ import annotations

import torch

from pykeops_go.torch.arrays import DTYPES, DTYPE_NAMES
from pykeops_go.torch.cluster import swap_axes as torch_swap_axes  # noqa: F401
from pykeops_go.torch.generic.generic_red import Genred  # noqa: F401
from pykeops_go.torch.operations import KernelSolve  # noqa: F401


def is_on_device(x: torch.Tensor) -> bool:
    """True for a tensor on a GPU."""
    return x.is_cuda


class torchtools:
    """The torch counterpart of ``numpytools`` (``pykeops.torch.utils.torchtools``)."""

    copy = staticmethod(torch.clone)
    exp = staticmethod(torch.exp)
    log = staticmethod(torch.log)
    norm = staticmethod(torch.norm)
    arraytype = torch.Tensor
    float_types = [float]

    @staticmethod
    def swap_axes(ranges):
        from pykeops_go.torch.cluster import swap_axes
        return swap_axes(ranges)

    @staticmethod
    def Genred(*args, **kwargs):
        from pykeops_go.torch import Genred
        return Genred(*args, **kwargs)

    @staticmethod
    def KernelSolve(*args, **kwargs):
        from pykeops_go.torch import KernelSolve
        return KernelSolve(*args, **kwargs)

    @staticmethod
    def eq(x, y):
        return torch.eq(x, y)

    @staticmethod
    def transpose(x):
        return x.t()

    @staticmethod
    def permute(x, *args):
        return x.permute(*args)

    @staticmethod
    def contiguous(x):
        return x.contiguous()

    @staticmethod
    def solve(A, b):
        return torch.linalg.solve(A, b).contiguous()

    @staticmethod
    def arraysum(x, axis=None):
        return x.sum() if axis is None else x.sum(dim=axis)

    @staticmethod
    def long(x):
        return x.long()

    @staticmethod
    def size(x):
        return x.numel()

    @staticmethod
    def tile(*args):
        return torch.Tensor.repeat(*args)

    @staticmethod
    def numpy(x):
        return x.detach().cpu().numpy()

    @staticmethod
    def view(x, s):
        return x.view(s)

    @staticmethod
    def is_tensor(x):
        return isinstance(x, torch.Tensor)

    @staticmethod
    def dtype(x):
        return x.dtype if hasattr(x, "dtype") else type(x)

    @staticmethod
    def detect_complex(x):
        if isinstance(x, list):
            return any(isinstance(v, complex) for v in x)
        if isinstance(x, torch.Tensor):
            return torch.is_complex(x)
        return isinstance(x, complex)

    @staticmethod
    def view_as_complex(x):
        sh = list(x.shape)
        sh[-1] //= 2
        return torch.view_as_complex(x.view(sh + [2]))

    @staticmethod
    def view_as_real(x):
        sh = list(x.shape)
        sh[-1] *= 2
        return torch.view_as_real(x).view(sh)

    @staticmethod
    def dtypename(dtype):
        if dtype in DTYPE_NAMES:
            return DTYPE_NAMES[dtype]
        if dtype is int:
            return int
        if dtype is list:
            return "float32"
        raise ValueError(f"[KeOps] {dtype} data type incompatible with KeOps.")

    @staticmethod
    def rand(m, n, dtype, device):
        return torch.rand(m, n, dtype=dtype, device=device)

    @staticmethod
    def randn(m, n, dtype, device):
        return torch.randn(m, n, dtype=dtype, device=device)

    @staticmethod
    def zeros(shape, dtype, device, requires_grad=False):
        return torch.zeros(*shape, dtype=dtype, device=device, requires_grad=requires_grad)

    @staticmethod
    def empty(shape, dtype, device, requires_grad=False):
        return torch.empty(*shape, dtype=dtype, device=device, requires_grad=requires_grad)

    @staticmethod
    def eye(n, dtype, device):
        return torch.eye(n, dtype=dtype, device=device)

    @staticmethod
    def array(x, dtype, device):
        dtypes = {**DTYPES, "int32": torch.int32, "int64": torch.int64}
        if dtype not in dtypes:
            raise ValueError(f"[KeOps] data type {dtype} is incompatible with KeOps.")
        return torch.tensor(x, dtype=dtypes[dtype], device=device)

    @staticmethod
    def device(x):
        return x.device if isinstance(x, torch.Tensor) else None

    @staticmethod
    def get_pointer(x):
        return x.data_ptr()

    @staticmethod
    def device_type_index(x):
        if isinstance(x, torch.Tensor):
            return x.device.type, x.device.index
        return None, None

    @staticmethod
    def pointer(x):
        return x.data.data_ptr()


def squared_distances(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Dense ``|x_i - y_j|^2`` as an (M, N) tensor."""
    x_norm = (x**2).sum(1).reshape(-1, 1)
    y_norm = (y**2).sum(1).reshape(1, -1)
    return x_norm + y_norm - 2.0 * torch.matmul(x, torch.transpose(y, 0, 1))


def torch_kernel(x: torch.Tensor, y: torch.Tensor, s: float, kernel: str) -> torch.Tensor:
    """Dense kernel matrix: ``"gaussian"``, ``"laplacian"``, ``"cauchy"`` or ``"inverse_multiquadric"``."""
    sq = squared_distances(x, y)
    kernels = {
        "gaussian": lambda q, s: torch.exp(-q / (s * s)),
        "laplacian": lambda q, s: torch.exp(-torch.sqrt(q) / s),
        "cauchy": lambda q, s: 1.0 / (1 + q / (s * s)),
        "inverse_multiquadric": lambda q, s: torch.rsqrt(1 + q / (s * s)),
    }
    if kernel not in kernels:
        raise ValueError(f"torch_kernel: kernel must be one of {sorted(kernels)}, got {kernel!r}")
    return kernels[kernel](sq, s)


def torchsolve(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """The solution X of ``A X = B`` (dense, ``torch.linalg.solve``)."""
    return torch.linalg.solve(A, B)


__all__ = ["Genred", "KernelSolve", "is_on_device", "squared_distances", "torch_kernel", "torch_swap_axes",
           "torchsolve", "torchtools"]
