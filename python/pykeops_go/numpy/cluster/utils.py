"""``pykeops.numpy.cluster.utils``: see ``pykeops_go/common/cluster/utils.py``."""

from pykeops_go.common.cluster.utils import *  # noqa: F401,F403
from pykeops_go.common.cluster.utils import __all__  # noqa: F401
