"""pykeops.common.operations: the names of pykeops 2.3's module, from :mod:`pykeops_go.common.operations`."""

from pykeops_go.common.operations import *  # noqa: F401,F403
from pykeops_go.common.operations import __all__  # noqa: F401
