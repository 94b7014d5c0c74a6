"""Reductions in a process forked after the engine started.

The Go runtime does not survive ``fork()``: the child has only the thread
that forked, and the runtime waits forever for the others (its scheduler,
its garbage collector) at its next call. So a forked child never calls
into Go. Its calls go instead, pickled through a pipe, to an engine process
of its own: a fresh Python (``python -m pykeops_go.common.fork_helper``)
started at its first call, which compiles and runs them and sends the
results back. This is how ``multiprocessing``'s default start method on
Linux and torch's DataLoader workers use the engine; the ``spawn`` and
``forkserver`` start methods avoid the copies.

The engine process ends when its child does (end of file on its input);
Ctrl-C in the child kills it, and the next call starts another.
"""

from __future__ import annotations

import builtins
import os
import pickle
import signal
import subprocess
import sys
import threading
from typing import Any

import numpy as np

_START_METHODS = ("in a process forked after pykeops_go was imported, reductions run in an engine "
                  "process of its own; use the 'spawn' or 'forkserver' start method of "
                  "multiprocessing to run them in place")


class ForkedChild:
    """The client side, in a forked child: one engine process, one request at a time."""

    def __init__(self, threads: int):
        self.threads = threads  # the thread setting inherited from the parent
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None

    def abandon(self) -> None:
        """In a child forked from a forked child: drop the inherited pipes
        (the engine process is the parent's) without waiting for it."""
        if self.proc is not None:
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    os.close(f.fileno())
                except (OSError, ValueError):
                    pass
            self.proc.returncode = 0  # not ours to wait for
            self.proc = None

    def _start(self) -> None:
        env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", "pykeops_go.common.fork_helper"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        except OSError as err:
            raise RuntimeError(f"pykeops_go: cannot start the engine process ({err}): {_START_METHODS}") from None
        if self.threads:
            self._exchange(("call", "SetThreads", (self.threads,)))

    def _exchange(self, req: tuple) -> Any:
        proc = self.proc
        try:
            pickle.dump(req, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            proc.stdin.flush()
            reply = pickle.load(proc.stdout)
        except KeyboardInterrupt:
            self._kill()
            raise
        except (EOFError, OSError, pickle.UnpicklingError) as err:
            self._kill()
            raise RuntimeError(f"pykeops_go: the engine process ended ({err!r}): {_START_METHODS}") from None
        if reply[0] == "ok":
            return reply[1]
        exc = getattr(builtins, reply[1], None)
        if not (isinstance(exc, type) and issubclass(exc, BaseException)):
            exc = RuntimeError
        raise exc(reply[2])

    def _kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def request(self, req: tuple) -> Any:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self._start()
            return self._exchange(req)

    def call(self, name: str, args: tuple) -> Any:
        if name == "SetThreads":
            prev = self.request(("call", name, args))
            self.threads = int(args[0])
            return prev
        return self.request(("call", name, args))

    def compile(self, compile_args: tuple) -> tuple[int, str]:
        return self.request(("compile", compile_args))

    def run(self, plan, arrays, vals, idx) -> None:
        rv, ri = self.request(("run", plan.kernel.compile_args, plan.plan_args, list(arrays),
                               None if vals is None else (vals.shape, vals.dtype.str),
                               None if idx is None else idx.shape))
        if vals is not None:
            vals[...] = rv
        if idx is not None:
            idx[...] = ri


def serve(inp, out) -> None:
    """The engine process: answer requests until the end of the input."""
    from pykeops_go.common import engine

    kernels: dict = {}

    def kernel(compile_args):
        k = kernels.get(compile_args)
        if k is None:
            k = kernels[compile_args] = engine.Kernel(compile_args)
        return k

    while True:
        try:
            req = pickle.load(inp)
        except EOFError:
            return
        try:
            op = req[0]
            if op == "compile":
                k = kernel(req[1])
                result = (k.handle, k.info)
            elif op == "run":
                _, compile_args, plan_args, arrays, vspec, ishape = req
                plan = kernel(compile_args).plan(*plan_args)
                vals = None if vspec is None else np.empty(vspec[0], dtype=np.dtype(vspec[1]))
                idx = None if ishape is None else np.empty(ishape, dtype=np.int64)
                plan.run(arrays, vals, idx)
                result = (vals, idx)
            elif op == "call" and req[1] in ("SetThreads", "Threads", "OpNames", "Version", "ElementwiseMethods",
                                             "Tables", "CheckOptions", "ParseAlias", "FormulaDim"):
                result = engine.call(getattr(engine._go, req[1]), *req[2])
            else:
                raise ValueError(f"unknown request {op!r}")
            reply = ("ok", result)
        except Exception as err:
            reply = ("err", type(err).__name__, str(err))
        pickle.dump(reply, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


def main() -> None:
    # Ctrl-C in a terminal reaches the whole process group: the child
    # decides (it kills this process when interrupted).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, not into the replies
    serve(sys.stdin.buffer, out)


if __name__ == "__main__":
    main()
