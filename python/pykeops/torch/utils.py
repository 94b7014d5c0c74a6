"""pykeops.torch.utils: the names of pykeops 2.3's module, from :mod:`pykeops_go.torch.utils`."""

from pykeops_go.torch.utils import *  # noqa: F401,F403
from pykeops_go.torch.utils import __all__  # noqa: F401
