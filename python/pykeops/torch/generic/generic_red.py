"""pykeops.torch.generic.generic_red: the names of pykeops 2.3's module, from :mod:`pykeops_go.torch.generic.generic_red`."""

from pykeops_go.torch.generic.generic_red import *  # noqa: F401,F403
from pykeops_go.torch.generic.generic_red import __all__  # noqa: F401
