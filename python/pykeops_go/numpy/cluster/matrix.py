"""``pykeops.numpy.cluster.matrix``: see ``pykeops_go/common/cluster/matrix.py``."""

from pykeops_go.common.cluster.matrix import *  # noqa: F401,F403
from pykeops_go.common.cluster.matrix import __all__  # noqa: F401
