"""pykeops.torch.cluster: re-exports pykeops_go.torch.cluster."""

import importlib

from pykeops_go.torch.cluster import *  # noqa: F401,F403
from pykeops_go.torch.cluster import __all__  # noqa: F401

# The submodules, then the function grid_cluster over the module of that name, as in pykeops.
for _name in ("grid_cluster", "matrix", "utils"):
    importlib.import_module(__name__ + "." + _name)
from pykeops_go.torch.cluster import grid_cluster  # noqa: F811,E402
