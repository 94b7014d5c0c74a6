"""Ctrl-C stops a long reduction promptly, with KeyboardInterrupt, and the
engine stays usable afterwards."""

import os
import signal
import threading
import time

import numpy as np
import pytest

from pykeops.numpy import Genred


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs POSIX signals")
def test_ctrl_c_interrupts_a_long_reduction():
    rng = np.random.default_rng(0)
    m = n = 400_000  # 1.6e11 pairs: minutes of work if not interrupted
    x, y = rng.standard_normal((m, 3)), rng.standard_normal((n, 3))
    b = rng.random((n, 1))
    g = Genred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"], axis=1)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        g(x, y, b)
    elapsed = time.perf_counter() - start
    timer.join()
    assert elapsed < 0.3 + 1.5, f"the call stopped {elapsed:.2f} s after it started"
    # The kernel still answers correctly after an interrupted call.
    xs, ys, bs = x[:50], y[:60], b[:60]
    ref = np.exp(-((xs[:, None, :] - ys[None]) ** 2).sum(-1)) @ bs
    np.testing.assert_allclose(g(xs, ys, bs), ref, rtol=1e-12)


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs POSIX signals")
def test_ctrl_c_interrupts_a_call_of_few_pairs_but_high_cost():
    """4000 x 4000 pairs (fewer than the pair count that alone makes a call
    interruptible) over 2000-dimensional vectors: a minute of work."""
    rng = np.random.default_rng(1)
    m = n = 4000
    x, y = rng.standard_normal((m, 2000)), rng.standard_normal((n, 2000))
    b = rng.random((n, 1))
    g = Genred("Exp(-SqDist(x,y))*b", ["x=Vi(2000)", "y=Vj(2000)", "b=Vj(1)"], axis=1)
    assert g.kernel.pair_cost * m * n >= 1000 * m * n  # weighed by its cost
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        g(x, y, b)
    elapsed = time.perf_counter() - start
    timer.join()
    assert elapsed < 0.3 + 1.5, f"the call stopped {elapsed:.2f} s after it started"
