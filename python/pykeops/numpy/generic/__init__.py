"""pykeops.numpy.generic: Genred and the generic_* helpers."""

from pykeops.numpy.generic import generic_ops, generic_red  # noqa: F401
