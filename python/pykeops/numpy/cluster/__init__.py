"""pykeops.numpy.cluster: re-exports pykeops_go.numpy.cluster."""

from pykeops_go.numpy.cluster import *  # noqa: F401,F403
from pykeops_go.numpy.cluster import __all__  # noqa: F401
