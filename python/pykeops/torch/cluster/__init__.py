"""pykeops.torch.cluster: re-exports pykeops_go.torch.cluster."""

from pykeops_go.torch.cluster import *  # noqa: F401,F403
from pykeops_go.torch.cluster import __all__  # noqa: F401
