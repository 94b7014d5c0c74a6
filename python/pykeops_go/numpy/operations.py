"""KernelSolve on NumPy arrays: solve ``(alpha Id + K) a = b`` by conjugate gradient, K a Genred Sum.

The solver is ``common/kernel_solve.py``'s, with the NumPy Genred: the arrays
are what the engine reads, so they pass as they are.
"""

from __future__ import annotations

from pykeops_go.common import kernel_solve as _common
from pykeops_go.common.arguments import axis2cat, get_type  # noqa: F401
from pykeops_go.common.get_options import get_tag_backend  # noqa: F401
from pykeops_go.common.operations import ConjugateGradientSolver, check_square, conjugate_gradient  # noqa: F401
from pykeops_go.common.parse_type import complete_aliases, get_optional_flags, get_sizes  # noqa: F401
from pykeops_go.numpy.generic.generic_red import Genred
from pykeops_go.utils import default_device_id, pyKeOps_Warning  # noqa: F401


class KernelSolve(_common.KernelSolve):
    __doc__ = _common.KernelSolve.__doc__.replace(
        "A solver of", "A conjugate gradient solver, on NumPy arrays, of", 1)

    Genred = Genred


__all__ = ["ConjugateGradientSolver", "KernelSolve", "axis2cat", "complete_aliases", "default_device_id",
           "get_optional_flags", "get_sizes", "get_tag_backend", "pyKeOps_Warning"]
