"""pykeops.numpy: re-exports pykeops_go.numpy so unchanged pykeops code runs."""

from pykeops_go.numpy import *  # noqa: F401,F403
from pykeops_go.numpy import __all__  # noqa: F401
from pykeops.numpy import cluster, generic, lazytensor, operations, test_install, utils  # noqa: F401,E402
