"""Benchmark placeholder (to be replaced): checks the engine loads and says so."""

from pykeops_go._ext import gokeops

print("benchmarks: nothing to run yet (engine %s)" % gokeops.Version())
