"""pykeops.numpy.lazytensor: the LazyTensor module."""

from pykeops.numpy.lazytensor import LazyTensor  # noqa: F401  (the module, as in pykeops)
