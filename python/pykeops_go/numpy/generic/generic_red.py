"""Genred: the generic reduction of pykeops.numpy, run by the Go engine.

The class is ``common/genred.py``'s with the NumPy array adapter.
"""

from __future__ import annotations

from pykeops_go.common import genred as _common
from pykeops_go.common.arguments import axis2cat  # noqa: F401
from pykeops_go.common.genred import BACKENDS, check_backend  # noqa: F401
from pykeops_go.common.get_options import get_tag_backend  # noqa: F401
from pykeops_go.common.operations import postprocess, preprocess  # noqa: F401
from pykeops_go.common.parse_type import complete_aliases, get_optional_flags, get_sizes  # noqa: F401
from pykeops_go.numpy.arrays import NumpyArrays
from pykeops_go.utils import default_device_id, pyKeOps_Warning  # noqa: F401


class Genred(_common.Genred):
    __doc__ = _common.Genred.__doc__.replace("run by the Go engine.", "on NumPy arrays, run by the Go engine.", 1)

    arrays = NumpyArrays


__all__ = ["Genred", "axis2cat", "complete_aliases", "default_device_id", "get_optional_flags", "get_sizes",
           "get_tag_backend", "postprocess", "preprocess", "pyKeOps_Warning"]
