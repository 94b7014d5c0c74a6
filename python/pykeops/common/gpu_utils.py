"""pykeops.common.gpu_utils: the names of pykeops 2.3's module, from :mod:`pykeops_go.common.gpu_utils`."""

from pykeops_go.common.gpu_utils import *  # noqa: F401,F403
from pykeops_go.common.gpu_utils import __all__  # noqa: F401
