"""pykeops.torch.generic: Genred and the generic_* helpers."""

from pykeops.torch.generic import generic_ops, generic_red  # noqa: F401
