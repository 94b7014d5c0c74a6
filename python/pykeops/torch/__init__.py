"""pykeops.torch: re-exports pykeops_go.torch so unchanged pykeops code runs."""

from pykeops_go.torch import *  # noqa: F401,F403
from pykeops_go.torch import __all__, torch_version_required  # noqa: F401
from pykeops.torch import cluster, generic, half2_convert, lazytensor, operations, test_install, utils  # noqa: F401,E402
