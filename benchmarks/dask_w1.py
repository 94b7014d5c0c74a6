"""W1 (float32 Gaussian kernel sum) through pykeops_go.dask on a LocalCluster, against the
single-process engine (used by run.py; prints one line "RESULT {json}").

    python benchmarks/dask_w1.py --m 1000000 --n 100000 --reps 1

Two runs of the same reduction on the same data (workloads.data, W1, float32):
- single: pykeops_go.numpy.Genred in this process with 2 engine threads;
- cluster: pykeops_go.dask.Genred on a LocalCluster of 2 worker processes x 1 thread on
  127.0.0.1, each worker's engine set to 1 thread. The data are cut into 16 i-chunks
  (the j axis in one chunk) and persisted on the workers before the clock starts, as
  data already living on a cluster; the clock covers building the graph, running it and
  gathering the (M, 1) result into this process.
Both take one warm-up call on small data first (worker start-up and imports are not
timed). overhead = cluster time / single time - 1.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as W  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--m", type=int, default=1_000_000)
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--reps", type=int, default=1)
    p.add_argument("--chunks", type=int, default=16, help="i-chunks")
    cfg = p.parse_args()
    out = {"times_single": [], "times_cluster": [], "error": None}
    try:
        run(cfg, out)
    except Exception as e:  # reported in the row, not a crash of the table
        out["error"] = f"{type(e).__name__}: {e}"[:200]
    print("RESULT " + json.dumps(out), flush=True)


def run(cfg, out):
    import dask.array as da
    import distributed

    import pykeops_go
    from pykeops_go import dask as kd
    from pykeops_go.numpy import Genred

    d = W.data("W1", cfg.m, cfg.n, np.float32)
    args = (W.W1_FORMULA, list(W.ALIASES))
    single = Genred(*args, reduction_op="Sum", axis=1)
    pykeops_go.set_num_threads(2)
    small = W.shrink(d)
    single(small["x"], small["y"], small["b"])
    ref = None
    for _ in range(cfg.reps):
        t = time.perf_counter()
        ref = single(d["x"], d["y"], d["b"])
        out["times_single"].append(time.perf_counter() - t)

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        client.run(pykeops_go.set_num_threads, 1)
        g = kd.Genred(*args, reduction_op="Sum", axis=1)
        g(small["x"], small["y"], small["b"]).compute()  # warm-up: imports and compiles on the workers
        rows = -(-cfg.m // cfg.chunks)
        x = da.from_array(d["x"], chunks=(rows, 3))
        y = da.from_array(d["y"], chunks=(cfg.n, 3))
        b = da.from_array(d["b"], chunks=(cfg.n, 1))
        x, y, b = client.persist([x, y, b])
        distributed.wait([x, y, b])
        res = None
        for _ in range(cfg.reps):
            t = time.perf_counter()
            res = g(x, y, b).compute()
            out["times_cluster"].append(time.perf_counter() - t)
        err = np.abs(res.astype(np.float64) - ref).max() / np.abs(ref).max()
        out["rel_diff"] = float(err)
    finally:
        client.close()
        cluster.close()
    ts, tc = statistics.median(out["times_single"]), statistics.median(out["times_cluster"])
    out["overhead"] = tc / ts - 1


if __name__ == "__main__":
    main()
