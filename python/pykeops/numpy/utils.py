"""pykeops.numpy.utils: the names of pykeops 2.3's module, from :mod:`pykeops_go.numpy.utils`."""

from pykeops_go.numpy.utils import *  # noqa: F401,F403
from pykeops_go.numpy.utils import __all__  # noqa: F401

import pykeops  # noqa: E402,F401  (pykeops' module binds its package here)
