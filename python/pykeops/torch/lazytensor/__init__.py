"""pykeops.torch.lazytensor: the LazyTensor module."""

from pykeops.torch.lazytensor import LazyTensor  # noqa: F401  (the module, as in pykeops)
