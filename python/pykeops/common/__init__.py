"""pykeops.common: the helpers scripts import from pykeops' common modules."""
