"""Quickstart placeholder: prints the engine version (to be replaced)."""

from pykeops_go._ext import gokeops

import pykeops_go

print("pykeops_go", pykeops_go.__version__, "- Go engine", gokeops.Version())
