"""pykeops.numpy.generic.generic_red: Genred."""

from pykeops_go.numpy.generic.generic_red import Genred  # noqa: F401
