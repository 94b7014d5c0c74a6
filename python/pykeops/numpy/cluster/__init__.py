"""pykeops.numpy.cluster: re-exports pykeops_go.numpy.cluster."""

from pykeops_go.numpy.cluster import *  # noqa: F401,F403
from pykeops_go.numpy.cluster import __all__  # noqa: F401
from pykeops.numpy.cluster import grid_cluster as _grid_cluster_module  # noqa: F401,E402
from pykeops.numpy.cluster import matrix, utils  # noqa: F401,E402
from pykeops_go.numpy.cluster import grid_cluster  # noqa: F811,E402  (the function, as in pykeops)
