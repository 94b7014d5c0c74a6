"""pykeops.torch.generic.generic_red: Genred."""

from pykeops_go.torch.generic.generic_red import Genred, GenredAutograd  # noqa: F401
