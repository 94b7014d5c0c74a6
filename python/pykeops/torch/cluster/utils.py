"""pykeops.torch.cluster.utils: the names of pykeops 2.3's module, from :mod:`pykeops_go.torch.cluster.utils`."""

from pykeops_go.torch.cluster.utils import *  # noqa: F401,F403
from pykeops_go.torch.cluster.utils import __all__  # noqa: F401
