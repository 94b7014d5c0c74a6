"""pykeops.torch.test_install: the names of pykeops 2.3's module, from :mod:`pykeops_go.torch.test_install`."""

from pykeops_go.torch.test_install import *  # noqa: F401,F403
from pykeops_go.torch.test_install import __all__  # noqa: F401
