"""The process in which tests/test_properties.py runs its calls, so that a
crash or a hang of the engine fails one test instead of the test run.

Reads pickled requests on stdin, answers pickled replies on its own copy of
stdout (what the engine or NumPy print goes to stderr). A request is
``(genred_args, genred_kwargs, calls, threads)``; each call is
``(arrays, layouts, kwargs)`` (kwargs may ask for the call to run from
``py_threads`` Python threads at once), and the layout of each array is applied here
(a pickled array arrives contiguous, aligned and in its own byte order).
The reply is ``("ok", [result of each call])`` or ``("exc", type name,
message)``. Genred objects are kept between requests, as a program keeps
them: later calls take the per-shape fast path.
"""

import os
import pickle
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def unaligned(a):
    raw = np.empty(a.nbytes + 1, dtype=np.uint8)[1:]
    out = raw.view(a.dtype).reshape(a.shape)
    out[...] = a
    return out


def with_layout(a, layout):
    """The array a (C-contiguous) with the same values in another memory layout."""
    if not isinstance(a, np.ndarray) or layout == "c":
        return a
    if layout == "swapped":
        return a.astype(a.dtype.newbyteorder("S"))
    if layout == "unaligned":
        return unaligned(a)
    if layout == "strided":  # every other element of a twice larger buffer
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype) if a.ndim else None
        if big is None:
            return a
        big[..., ::2] = a
        return big[..., ::2]
    if layout == "fortran":
        return np.asfortranarray(a)
    if layout == "readonly":
        a = a.copy()
        a.flags.writeable = False
        return a
    raise ValueError(layout)


def main():
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = sys.stdin.buffer
    import pykeops_go
    from pykeops.numpy import Genred

    genreds = {}
    while True:
        try:
            req = pickle.load(inp)
        except EOFError:
            return
        gargs, gkwargs, calls, threads = req
        try:
            pykeops_go.set_num_threads(threads)
            key = repr((gargs, sorted(gkwargs.items())))
            g = genreds.get(key)
            if g is None:
                g = genreds[key] = Genred(*gargs, **gkwargs)
            results = []
            for arrays, layouts, kwargs in calls:
                args = [with_layout(a, lay) for a, lay in zip(arrays, layouts)]
                kwargs = dict(kwargs)
                ranges_layout = kwargs.pop("ranges_layout", "c")
                py_threads = kwargs.pop("py_threads", 1)
                if kwargs.get("ranges") is not None:
                    kwargs["ranges"] = tuple(with_layout(r, ranges_layout) for r in kwargs["ranges"])
                if py_threads == 1:
                    results.append(g(*args, **kwargs))
                    continue
                # The same call from several Python threads at once.
                with ThreadPoolExecutor(py_threads) as pool:
                    futures = [pool.submit(g, *args, **kwargs) for _ in range(py_threads)]
                    results += [f.result() for f in futures]
            reply = ("ok", results)
        except Exception as err:
            reply = ("exc", type(err).__name__, str(err))
        pickle.dump(reply, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


if __name__ == "__main__":
    main()
