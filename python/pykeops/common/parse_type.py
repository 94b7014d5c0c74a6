"""pykeops.common.parse_type: the names of pykeops 2.3's module, from :mod:`pykeops_go.common.parse_type`."""

from pykeops_go.common.parse_type import *  # noqa: F401,F403
from pykeops_go.common.parse_type import __all__  # noqa: F401
