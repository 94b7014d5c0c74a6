"""Smoke test of the build: the gopy extension imports and answers."""

from pykeops_go._ext import gokeops


def test_version_is_str():
    assert isinstance(gokeops.Version(), str)
