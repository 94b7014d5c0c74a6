"""A process in which a property test runs each of its examples, so that a
crash or a hang of the engine fails one example instead of the test run
(the protocol of tests/property_worker.py, for whole checks).

Reads pickled requests ``(module, function, argument)`` on stdin, imports
the module (from tests/), calls ``function(argument)`` and answers a pickled
reply on its own copy of stdout: ``("ok", return value)`` or ``("exc", type
name, traceback)``; what the code prints goes to stderr.
"""

import importlib
import os
import pickle
import sys
import traceback


def main():
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = sys.stdin.buffer
    while True:
        try:
            module, function, arg = pickle.load(inp)
        except EOFError:
            return
        try:
            reply = ("ok", getattr(importlib.import_module(module), function)(arg))
        except Exception as err:
            reply = ("exc", type(err).__name__, "".join(traceback.format_exception(err)))
        pickle.dump(reply, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


if __name__ == "__main__":
    main()
