"""pykeops.numpy.cluster.utils: the names of pykeops 2.3's module, from :mod:`pykeops_go.numpy.cluster.utils`."""

from pykeops_go.numpy.cluster.utils import *  # noqa: F401,F403
from pykeops_go.numpy.cluster.utils import __all__  # noqa: F401
