"""pykeops.common.utils: the names of pykeops 2.3's module, from :mod:`pykeops_go.common.utils`."""

from pykeops_go.common.utils import *  # noqa: F401,F403
from pykeops_go.common.utils import __all__  # noqa: F401

import pykeops  # noqa: E402,F401  (pykeops' module binds its package here)
