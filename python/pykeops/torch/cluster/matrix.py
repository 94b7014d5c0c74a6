"""pykeops.torch.cluster.matrix: the names of pykeops 2.3's module, from :mod:`pykeops_go.torch.cluster.matrix`."""

from pykeops_go.torch.cluster.matrix import *  # noqa: F401,F403
from pykeops_go.torch.cluster.matrix import __all__  # noqa: F401
