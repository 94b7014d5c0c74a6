"""pykeops.torch.generic.generic_ops: the names of pykeops 2.3's module, from :mod:`pykeops_go.torch.generic.generic_ops`."""

from pykeops_go.torch.generic.generic_ops import *  # noqa: F401,F403
from pykeops_go.torch.generic.generic_ops import __all__  # noqa: F401
