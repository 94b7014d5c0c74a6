"""Processes forked after the engine started: their reductions work (in an
engine process of their own), never hang. Each case runs in a fresh
interpreter under a timeout, so that a hang fails the test, not the run."""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

PRELUDE = """
import os, signal, sys, threading, time
import multiprocessing as mp
import numpy as np
import pykeops_go
from pykeops.numpy import Genred
pykeops_go.set_num_threads(2)
g = Genred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"], axis=1)
rng = np.random.default_rng(0)
# enough pairs for the engine to use several workers
x, y, b = rng.random((1000, 3)), rng.random((1000, 3)), rng.random((1000, 1))
ref = np.exp(-((x[:, None] - y[None]) ** 2).sum(-1)) @ b
assert np.allclose(g(x, y, b), ref, rtol=1e-12)  # the engine has run in the parent

def err(_=None):
    return float(np.abs(g(x, y, b) - ref).max() / np.abs(ref).max())
"""


def run_script(body, timeout=60, path=None):
    """Run PRELUDE + body (from a file at path when given) in its own session;
    on a timeout, kill the session, forked children included, and fail."""
    src = PRELUDE + textwrap.dedent(body)
    argv = [sys.executable, "-c", src]
    if path is not None:
        with open(path, "w") as f:
            f.write(src)
        argv = [sys.executable, path]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        pytest.fail(f"the script did not finish within {timeout} s (hang)")
    assert p.returncode == 0, out + err
    return out


def test_os_fork_child_runs_reductions():
    out = run_script("""
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                assert err() < 1e-12
                assert pykeops_go.get_num_threads() == 2  # the setting is inherited
                # a kernel compiled in the child, an error raised in the child
                h = Genred("SqDist(x,y)", ["x=Vi(3)", "y=Vj(3)"], reduction_op="ArgKMin", opt_arg=2, axis=1)
                d = ((x[:5, None] - y[None, :7]) ** 2).sum(-1)
                assert (h(x[:5], y[:7]) == np.argsort(d, 1, kind="stable")[:, :2]).all()
                try:
                    g(x[:, :2], y, b)
                except ValueError as e:
                    assert "columns" in str(e), e
                else:
                    raise AssertionError("no ValueError")
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert err() < 1e-12  # the parent is unaffected
        print("ok")
    """)
    assert "ok" in out


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_multiprocessing_pool(method):
    body = """
        if __name__ == "__main__":
            with mp.get_context(METHOD).Pool(2) as pool:
                errs = pool.map(err, range(4))
            assert max(errs) < 1e-12, errs
            print("ok")
    """.replace("METHOD", repr(method))
    # spawn / forkserver re-import the main module: run a file, not -c
    with tempfile.TemporaryDirectory() as d:
        assert "ok" in run_script(body, timeout=120, path=os.path.join(d, "main.py"))


def test_fork_of_a_forked_child():
    out = run_script("""
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                assert err() < 1e-12
                pid2 = os.fork()
                if pid2 == 0:
                    c2 = 1
                    try:
                        assert err() < 1e-12
                        c2 = 0
                    finally:
                        os._exit(c2)
                _, st = os.waitpid(pid2, 0)
                assert os.waitstatus_to_exitcode(st) == 0
                assert err() < 1e-12
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        print("ok")
    """)
    assert "ok" in out


def test_ctrl_c_in_a_forked_child():
    """KeyboardInterrupt at once, and the next call works (a new engine process)."""
    out = run_script("""
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                n = 300_000  # minutes of work
                big = rng.standard_normal((n, 3)), rng.standard_normal((n, 3)), rng.random((n, 1))
                threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
                t = time.perf_counter()
                try:
                    g(*big)
                except KeyboardInterrupt:
                    assert time.perf_counter() - t < 1.0 + 2.0
                else:
                    raise AssertionError("not interrupted")
                assert err() < 1e-12
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        print("ok")
    """)
    assert "ok" in out
