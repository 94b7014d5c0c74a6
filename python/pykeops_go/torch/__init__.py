"""pykeops.torch API on the Go engine: Genred, generic_*, KernelSolve, LazyTensor, on CPU tensors.

Needs torch >= 2.0; importing it without torch raises pykeops' ImportError,
and never affects ``pykeops_go.numpy``.
"""

try:
    import torch
except ImportError as err:  # pragma: no cover - exercised in a torch-free interpreter
    raise ImportError("[pyKeOps]: The pytorch version should be >=2.0 (torch is not installed: "
                      "pip install torch, or pip install 'pykeops-go[torch]')") from err

torch_version_required = "2.0"


def _version_tuple(v: str) -> tuple:
    parts = []
    for p in v.split("+")[0].split(".")[:2]:
        digits = "".join(c for c in p if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


if _version_tuple(torch.__version__) < _version_tuple(torch_version_required):
    raise ImportError("[pyKeOps]: The pytorch version should be >=" + torch_version_required)

from pykeops_go.torch.generic.generic_red import Genred  # noqa: E402
from pykeops_go.torch.generic.generic_ops import (  # noqa: E402
    generic_argkmin,
    generic_argmin,
    generic_logsumexp,
    generic_sum,
)
from pykeops_go.torch.operations import KernelSolve  # noqa: E402
from pykeops_go.torch.lazytensor.LazyTensor import ComplexLazyTensor, LazyTensor, Pm, Vi, Vj  # noqa: E402
from pykeops_go.torch import cluster, generic, half2_convert, lazytensor, operations, test_install, utils  # noqa: E402,F401

__all__ = sorted([
    "KernelSolve",
    "LazyTensor",
    "ComplexLazyTensor",
    "Vi",
    "Vj",
    "Pm",
    "Genred",
    "generic_sum",
    "generic_logsumexp",
    "generic_argmin",
    "generic_argkmin",
])
