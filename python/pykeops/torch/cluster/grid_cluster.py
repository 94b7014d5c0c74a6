"""pykeops.torch.cluster.grid_cluster: the names of pykeops 2.3's module, from :mod:`pykeops_go.torch.cluster.grid_cluster`."""

from pykeops_go.torch.cluster.grid_cluster import *  # noqa: F401,F403
from pykeops_go.torch.cluster.grid_cluster import __all__  # noqa: F401
