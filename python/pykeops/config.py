"""pykeops.config: the names of pykeops 2.3's module, from :mod:`pykeops_go.config`."""

from pykeops_go.config import *  # noqa: F401,F403
from pykeops_go.config import __all__  # noqa: F401
