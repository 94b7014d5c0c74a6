"""pykeops.torch.operations: the names of pykeops 2.3's module, from :mod:`pykeops_go.torch.operations`."""

from pykeops_go.torch.operations import *  # noqa: F401,F403
from pykeops_go.torch.operations import __all__  # noqa: F401
