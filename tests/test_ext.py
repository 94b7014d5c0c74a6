"""Smoke test of the build: the gopy extension imports and answers."""

from pykeops_go._ext import gokeops


def test_version_is_str():
    assert isinstance(gokeops.Version(), str)


def test_call_descriptor_version_is_checked():
    import numpy as np
    import pytest

    from pykeops_go.common import engine

    k = engine.compile("x*y", ["x=Vi(1)", "y=Vj(1)"], "Sum", 1, None, None, "auto", "auto")
    plan = k.plan(np.dtype(np.float64), 2, 3, (), [(), ()], 2, 0)
    x, y, out = np.ones((2, 1)), np.ones((3, 1)), np.zeros((2, 1))
    plan.run([x, y], out, None)
    assert (out == 3).all()
    stale = k.plan(np.dtype(np.float64), 2, 3, (), [(), ()], 2, 0)
    stale.words[gokeops.WordVersion] = gokeops.DescriptorVersion + 1
    with pytest.raises(ValueError, match="call descriptor version"):
        stale.run([x, y], out, None)
