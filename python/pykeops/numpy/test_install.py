"""pykeops.numpy.test_install: the NumPy install check."""

from pykeops_go.utils import test_numpy_bindings  # noqa: F401
