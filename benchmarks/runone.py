"""Run ONE workload with ONE library in this process and report it (used by run.py).

    python benchmarks/runone.py --lib LIB --wid W1 --m 10000 --n 10000 --dtype float32 \
        --reps 3 --budget 60 --out DIR

LIB is gokeops (.venv), pykeops or faiss (the reference interpreter .venv-ref, where
the real pykeops is not shadowed by our shim), numpy (dense NumPy) or cref (the C
machine-limit kernels of cref.c, W1 and W2 only, from the shared library named by
$GOKEOPS_CREF_SO, which run.py builds). The data are
regenerated from np.random.default_rng(0) (workloads.data), so every process sees
the same numbers. Protocol: one warm-up call on the first 1000 rows (it compiles
the kernel), then timed calls on the full data until --reps were run or --budget
seconds have passed (at least one). W7 times a fresh formula at every call.
Prints one line "RESULT {json}" (times, error) and saves the result of the last
call to DIR/result.npy.

With --rss, runs W1 once (no warm-up beyond a small call), resets the peak RSS
(VmHWM) once the data are in memory and prints "BASE <VmRSS kB>", then, if the call
ends, "DONE <VmHWM kB>": the parent reads VmHWM of this process meanwhile (run.py
rss_probe), as the call may take far longer than it waits.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback

import numpy as np

import workloads as W


def load(lib, wid="W1"):
    """(keops-like module, its cluster module) or the faiss module; the torch modules for
    the torch rows (W.TORCH_WIDS)."""
    if wid in W.TORCH_WIDS and lib == "gokeops":
        import pykeops_go.torch as mod
        return mod, None
    if wid in W.TORCH_WIDS and lib == "pykeops":
        import pykeops
        pykeops.set_verbose(False)
        import pykeops.torch as mod
        return mod, None
    if lib == "gokeops":
        import pykeops_go.numpy as mod
        from pykeops_go.numpy import cluster
        return mod, cluster
    if lib == "pykeops":
        import pykeops
        repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        if os.path.abspath(pykeops.__file__).startswith(repo + os.sep + "python"):
            raise RuntimeError("this interpreter's pykeops is the gokeops shim, not pykeops")
        pykeops.set_verbose(False)
        import pykeops.numpy as mod
        from pykeops.numpy import cluster
        return mod, cluster
    if lib == "faiss":
        import faiss
        return faiss, None
    if lib == "cref":
        import ctypes
        return ctypes.CDLL(os.environ["GOKEOPS_CREF_SO"]), None
    return None, None


def build(lib, mod, cluster, wid, d, const=None):
    """(fn, post) for any library: see workloads.setup."""
    if lib == "numpy":
        fn = W.dense_setup(wid, d)
        if fn is None:
            raise RuntimeError(f"no dense NumPy version of {wid}")
        return fn, (lambda r: r)
    if lib == "cref":
        return cref_call(mod, wid, d), (lambda r: r)
    if lib == "faiss":
        index = mod.IndexFlatL2(d["y"].shape[1])
        index.add(d["y"])
        return (lambda: index.search(d["x"], 10)[1]), (lambda r: r)
    return W.setup(wid, mod, d, cluster=cluster, const=const)


def cref_call(so, wid, d):
    """The C kernel of W1 or W2 on the data d (cref.c)."""
    import ctypes
    if wid not in ("W1", "W2"):
        raise RuntimeError(f"no C reference kernel for {wid}")
    dt = d["x"].dtype
    suffix = "f64" if dt == np.float64 else "f32"
    scalar = ctypes.c_double if dt == np.float64 else ctypes.c_float
    fn = getattr(so, f"{wid.lower()}_{suffix}")
    m, n = d["x"].shape[0], d["y"].shape[0]
    ptr = lambda a: a.ctypes.data_as(ctypes.c_void_p)  # noqa: E731
    L = ctypes.c_long

    def call():
        out = np.empty((m, 1), dtype=dt)
        if wid == "W1":
            fn(ptr(d["x"]), ptr(d["y"]), ptr(d["b"]), ptr(out), L(m), L(n))
        else:
            fn(scalar(d["g"][0]), ptr(d["x"]), ptr(d["y"]), ptr(d["b"]), ptr(out), L(m), L(n))
        return out
    return call


def fresh_const():
    """An IntCst never used before (also not in pykeops' on-disk cache). Below 2**24:
    pykeops (and gokeops alike) round integer constants to float32."""
    return 1000 + int.from_bytes(os.urandom(4), "little") % (2 ** 24 - 1000)


def measure(args, mod, cluster, d):
    small = W.shrink(d)
    warm, _ = build(args.lib, mod, cluster, args.wid, small, const=7)
    warm()
    base = None
    if args.lib == "gokeops" and args.wid in ("W1", "W2") and os.environ.get("GOKEOPS_CREF_SO"):
        # The C reference kernel, timed alternately with gokeops in this process:
        # their ratio (the "gokeops / C" column) then sees one machine load.
        so = load("cref")[0]
        base = cref_call(so, args.wid, d)
        cref_call(so, args.wid, small)()
    elif args.wid in W.TORCH_WIDS:
        # The NumPy workload this torch row mirrors, timed alternately with it in this
        # process: both see the same machine load, so their ratio is not the drift
        # between two runs (run.py's torch verdicts compare such paired ratios).
        bmod, bcluster = load(args.lib, W.TORCH_OF[args.wid])
        base, _ = build(args.lib, bmod, bcluster, W.TORCH_OF[args.wid], d)
        build(args.lib, bmod, bcluster, W.TORCH_OF[args.wid], small)[0]()
    times, t0, post, r = [], time.perf_counter(), None, None
    measure.base_times = []
    while len(times) < args.reps:
        const = fresh_const()
        if args.wid == "W7" or post is None:
            fn, post = build(args.lib, mod, cluster, args.wid, d, const=const)
        s = time.perf_counter()
        r = fn()
        times.append(time.perf_counter() - s)
        if base is not None:
            s = time.perf_counter()
            base()
            measure.base_times.append(time.perf_counter() - s)
        if time.perf_counter() - t0 > args.budget:
            break
    r = post(r)
    if args.wid == "W7":
        r = r / const  # the check compares with W1
    measure.note = getattr(fn, "note", lambda: None)()  # e.g. W4's iteration count
    return times, r


def rss(args, mod, cluster, d):
    warm, _ = build(args.lib, mod, cluster, "W1", W.shrink(d))
    warm()
    fn, _ = build(args.lib, mod, cluster, "W1", d)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS from here on
    print("BASE", _status_kb("VmRSS"), flush=True)
    fn()
    print("DONE", _status_kb("VmHWM"), flush=True)


def _status_kb(key, pid="self"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lib", required=True, choices=["gokeops", "pykeops", "numpy", "faiss", "cref"])
    p.add_argument("--wid", default="W1")
    p.add_argument("--m", type=int, default=10_000)
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--dtype", default="float64")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--budget", type=float, default=60.0)
    p.add_argument("--out", default=None)
    p.add_argument("--rss", action="store_true")
    p.add_argument("--threads", type=int, default=0, help="gokeops: set_num_threads (0: default)")
    args = p.parse_args()
    out = {"times": [], "error": None}
    try:
        mod, cluster = load(args.lib, args.wid)
        if args.threads and args.lib == "gokeops":
            import pykeops_go
            pykeops_go.set_num_threads(args.threads)
        d = W.data(args.wid, args.m, args.n, np.dtype(args.dtype))
        if args.rss:
            return rss(args, mod, cluster, d)
        out["times"], r = measure(args, mod, cluster, d)
        out["note"] = getattr(measure, "note", None)
        out["base_times"] = getattr(measure, "base_times", [])
        if args.out:
            np.save(os.path.join(args.out, "result.npy"), np.asarray(r))
    except Exception as e:  # reported in the table, never hidden
        out["error"] = f"{type(e).__name__}: {e}".strip().splitlines()[0][:160]
        traceback.print_exc(file=sys.stderr)
    print("RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
