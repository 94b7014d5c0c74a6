"""pykeops.numpy.operations: the names of pykeops 2.3's module, from :mod:`pykeops_go.numpy.operations`."""

from pykeops_go.numpy.operations import *  # noqa: F401,F403
from pykeops_go.numpy.operations import __all__  # noqa: F401
