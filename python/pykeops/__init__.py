"""pykeops: compatibility shim so that ``import pykeops`` uses pykeops_go."""

from pykeops_go import __version__
