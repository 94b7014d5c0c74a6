"""pykeops.numpy.test_install: the names of pykeops 2.3's module, from :mod:`pykeops_go.numpy.test_install`."""

from pykeops_go.numpy.test_install import *  # noqa: F401,F403
from pykeops_go.numpy.test_install import __all__  # noqa: F401
