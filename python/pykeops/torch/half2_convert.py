"""pykeops.torch.half2_convert: the names of pykeops 2.3's module, from :mod:`pykeops_go.torch.half2_convert`."""

from pykeops_go.torch.half2_convert import *  # noqa: F401,F403
from pykeops_go.torch.half2_convert import __all__  # noqa: F401
