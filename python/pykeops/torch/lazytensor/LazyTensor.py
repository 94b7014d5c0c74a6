"""pykeops.torch.lazytensor.LazyTensor: the names of pykeops 2.3's module, from :mod:`pykeops_go.torch.lazytensor.LazyTensor`."""

from pykeops_go.torch.lazytensor.LazyTensor import *  # noqa: F401,F403
from pykeops_go.torch.lazytensor.LazyTensor import __all__  # noqa: F401
