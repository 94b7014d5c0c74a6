"""pykeops.common.lazy_tensor: the names of pykeops 2.3's module, from :mod:`pykeops_go.common.lazy_tensor`."""

from pykeops_go.common.lazy_tensor import *  # noqa: F401,F403
from pykeops_go.common.lazy_tensor import __all__  # noqa: F401
