"""pykeops.common.get_options: the names of pykeops 2.3's module, from :mod:`pykeops_go.common.get_options`."""

from pykeops_go.common.get_options import *  # noqa: F401,F403
from pykeops_go.common.get_options import __all__  # noqa: F401

import pykeops  # noqa: E402,F401  (pykeops' module binds its package here)
