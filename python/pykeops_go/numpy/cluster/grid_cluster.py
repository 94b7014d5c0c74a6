"""``pykeops.numpy.cluster.grid_cluster``: see ``pykeops_go/common/cluster/grid_cluster.py``."""

from pykeops_go.common.cluster.grid_cluster import *  # noqa: F401,F403
from pykeops_go.common.cluster.grid_cluster import __all__  # noqa: F401
