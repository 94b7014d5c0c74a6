"""GPU checks of pykeops_go on a machine with an NVIDIA GPU (run by benchmarks/gpu_check.sh).

The package comes from the bundle that `make gpu-bundle` builds (build/gpu/py312,
on PYTHONPATH): both engine variants, the CUDA one loaded when the driver
reports a device. Checks, each recorded in the JSON report:

* the CUDA variant is the engine; gpu_available / get_gpu_number / get_gpu_props;
* Genred with backend GPU, GPU_1D, GPU_2D (host arrays) against backend CPU:
  Sum, LogSumExp, SumSoftMaxWeight, Min_ArgMin, ArgKMin, KMin, block-sparse
  ranges, batch dimensions, a dim-200 chunked formula, float32 and float64;
* the same with torch CUDA tensors (in place on the device, result on the
  device), float16 too, a backward pass, LazyTensor and KernelSolve;
  mixing devices is a ValueError;
* timings: W1 float32 (Exp(-SqDist(x,y))*b, dim 3) at 1e5 and 1e6 points,
  the first call of a new formula (generation + NVRTC + load), the first
  call of another process with the disk cache, and the cached call overhead
  at 10 points. Targets on an H200: W1 1e6 < 0.25 s, first call < 0.5 s,
  overhead < 50 us.

    python benchmarks/gpu_check.py --out DIR        # on the GPU machine
    python benchmarks/gpu_check.py --dry-run        # anywhere: GPU -> CPU, cuda -> cpu
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np

TARGETS = {"w1_1e6_f32_s": 0.25, "first_call_s": 0.5, "cached_overhead_us": 50.0}
RTOL = {np.float16: 2e-2, np.float32: 1e-4, np.float64: 1e-10}


class Checks:
    def __init__(self, dry):
        self.dry = dry
        self.results, self.timings, self.failed = [], {}, 0

    def gpu(self, backend):
        return "CPU" if self.dry else backend

    def run(self, name, fn):
        t0 = time.perf_counter()
        try:
            detail = fn()
            ok = True
        except Exception:
            detail, ok = traceback.format_exc(limit=6), False
            self.failed += 1
        self.results.append({"name": name, "ok": ok, "s": round(time.perf_counter() - t0, 4),
                             "detail": detail if isinstance(detail, (str, int, float, dict, list, type(None)))
                             else str(detail)})
        print(("ok   " if ok else "FAIL ") + name + ("" if ok else "\n" + str(detail)), flush=True)


def close(res, ref, dtype, what):
    res = np.asarray(res, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert res.shape == ref.shape, f"{what}: shape {res.shape} != {ref.shape}"
    np.testing.assert_array_equal(np.isnan(res), np.isnan(ref), err_msg=what)
    fin = np.isfinite(ref)
    if fin.any():
        err = np.abs(res[fin] - ref[fin]).max() / max(np.abs(ref[fin]).max(), 1e-300)
        assert err <= RTOL[dtype], f"{what}: relative error {err:.3g} > {RTOL[dtype]:g}"
        return float(err)
    return 0.0


def rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def numpy_cases():
    """(name, Genred kwargs, argument shapes as (cat, dim)) of the comparison matrix."""
    al = ["x=Vi(3)", "y=Vj(3)", "b=Vj(2)", "g=Pm(1)"]
    return [
        ("gauss_sum", dict(formula="Exp(-g*SqDist(x,y))*b", aliases=al, reduction_op="Sum", axis=1)),
        ("gauss_sum_axis0", dict(formula="Exp(-g*SqDist(x,y))*x", aliases=al, reduction_op="Sum", axis=0)),
        ("lse", dict(formula="-g*SqDist(x,y)", aliases=al, reduction_op="LogSumExp", axis=1)),
        ("softmax", dict(formula="-g*SqDist(x,y)", formula2="b", aliases=al, reduction_op="SumSoftMaxWeight",
                         axis=1)),
        ("min_argmin", dict(formula="SqDist(x,y)", aliases=al, reduction_op="Min_ArgMin", axis=1)),
        ("argkmin", dict(formula="SqDist(x,y)", aliases=al, reduction_op="ArgKMin", axis=1, opt_arg=5)),
        ("kmin", dict(formula="SqDist(x,y)", aliases=al, reduction_op="KMin", axis=0, opt_arg=3)),
        ("kahan", dict(formula="Exp(-g*SqDist(x,y))*b", aliases=al, reduction_op="Sum", axis=1,
                       sum_scheme="kahan_scheme")),
    ]


def args_for(rng, dtype, M, N, batch=()):
    return [rand(rng, (*batch, M, 3), dtype), rand(rng, (*batch, N, 3), dtype), rand(rng, (*batch, N, 2), dtype),
            np.array([0.5] if not batch else np.full((*batch, 1), 0.5), dtype=dtype)]


def compare_outputs(res, ref, dtype, what, exact_idx):
    if isinstance(ref, tuple):
        close(res[0], ref[0], dtype, what + " values")
        if exact_idx:
            np.testing.assert_array_equal(res[1], ref[1], err_msg=what + " indices")
        return
    if np.asarray(ref).dtype == np.int64:
        if exact_idx:
            np.testing.assert_array_equal(res, ref, err_msg=what)
        return
    close(res, ref, dtype, what)


def check_numpy(c: Checks, Genred):
    rng = np.random.default_rng(0)
    n = 0
    for name, kw in numpy_cases():
        g = Genred(**kw)
        for dtype in (np.float32, np.float64):
            for M, N in ((100, 3000), (5000, 700)):
                a = args_for(rng, dtype, M, N)
                ref = g(*a, backend="CPU")
                for backend in ("GPU", "GPU_1D", "GPU_2D", "auto"):
                    res = g(*a, backend=c.gpu(backend))
                    compare_outputs(res, ref, dtype, f"{name} {dtype.__name__} {M}x{N} {backend}",
                                    dtype == np.float64)
                    n += 1
    return f"{n} calls match the CPU backend"


def check_numpy_ranges_batch_chunked(c: Checks, Genred):
    from pykeops_go.numpy.cluster import cluster_ranges_centroids, from_matrix, grid_cluster, sort_clusters

    rng = np.random.default_rng(1)
    out = {}
    for dtype in (np.float32, np.float64):
        x, y = rand(rng, (4000, 3), dtype), rand(rng, (5000, 3), dtype)
        b = rand(rng, (5000, 1), dtype)
        xl, yl = grid_cluster(x, 0.5), grid_cluster(y, 0.5)
        xr, xc, _ = cluster_ranges_centroids(x, xl)
        yr, yc, _ = cluster_ranges_centroids(y, yl)
        x, xl = sort_clusters(x, xl)
        (y, b), yl = sort_clusters((y, b), yl)
        keep = ((xc[:, None] - yc[None]) ** 2).sum(-1) < 4.0
        ranges = from_matrix(xr, yr, keep)
        g = Genred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"], reduction_op="Sum", axis=1)
        ref = g(x, y, b, backend="CPU", ranges=ranges)
        out[f"ranges {dtype.__name__}"] = close(g(x, y, b, backend=c.gpu("GPU"), ranges=ranges), ref, dtype,
                                                "ranges")
        a = args_for(rng, dtype, 300, 800, batch=(2, 3))
        a[1] = a[1][:1]  # broadcast batch axis 0 of y
        gb = Genred("Exp(-g*SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(2)", "g=Pm(1)"], axis=1)
        for backend in ("GPU_1D", "GPU_2D"):
            out[f"batch {dtype.__name__} {backend}"] = close(gb(*a, backend=c.gpu(backend)),
                                                             gb(*a, backend="CPU"), dtype, "batch")
        u, v = rand(rng, (2000, 200), dtype) / 10, rand(rng, (3000, 200), dtype) / 10
        for red, k in (("Sum", None), ("ArgKMin", 5)):
            gc = Genred("SqDist(u,v)", ["u=Vi(200)", "v=Vj(200)"], reduction_op=red, axis=1, opt_arg=k)
            ref = gc(u, v, backend="CPU")
            res = gc(u, v, backend=c.gpu("GPU"))
            if red == "Sum":
                out[f"chunked dim 200 {dtype.__name__}"] = close(res, ref, dtype, "chunked")
            elif dtype == np.float64:
                np.testing.assert_array_equal(res, ref)
        u100 = rand(rng, (1000, 100), dtype)
        gk = Genred("SqDist(u,v)", ["u=Vi(100)", "v=Vj(100)"], reduction_op="ArgKMin", axis=1, opt_arg=10)
        if dtype == np.float64:
            np.testing.assert_array_equal(gk(u100, u100[:700], backend=c.gpu("GPU")),
                                          gk(u100, u100[:700], backend="CPU"))
    return out


def check_torch(c: Checks, torch, dev):
    from pykeops_go.numpy.generic.generic_red import Genred as _  # noqa: F401
    from pykeops.torch import Genred, KernelSolve, LazyTensor

    rng = np.random.default_rng(2)
    out = {}
    for name, kw in numpy_cases():
        g = Genred(**kw)
        for dtype, tdt in ((np.float32, torch.float32), (np.float64, torch.float64), (np.float16, torch.float16)):
            if dtype == np.float16 and name in ("kahan",):
                continue
            a = args_for(rng, np.float32 if dtype == np.float16 else dtype, 700, 2000)
            cpu = [torch.from_numpy(v).to(tdt) for v in a]
            gpu_t = [t.to(dev) for t in cpu]
            ref = g(*cpu, backend="CPU")
            for backend in ("auto", "GPU", "GPU_1D_device", "GPU_2D_device") if not c.dry else ("CPU",):
                res = g(*gpu_t, backend=backend)
                first = res[0] if isinstance(res, tuple) else res
                assert first.device.type == dev.type, f"result on {first.device}"
                to_np = (lambda t: t.cpu().float().numpy()) if dtype == np.float16 else (lambda t: t.cpu().numpy())
                compare_outputs(tuple(map(to_np, res)) if isinstance(res, tuple) else to_np(res),
                                tuple(map(to_np, ref)) if isinstance(ref, tuple) else to_np(ref),
                                dtype, f"torch {name} {tdt} {backend}", dtype == np.float64)
    # backward on the device against the CPU
    x = torch.randn(3000, 3, dtype=torch.float64)
    y, b = torch.randn(4000, 3, dtype=torch.float64), torch.randn(4000, 1, dtype=torch.float64)
    g = Genred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"], axis=1)
    grads = []
    for d in (torch.device("cpu"), dev):
        xs = x.to(d, copy=True).requires_grad_()
        g(xs, y.to(d), b.to(d)).square().sum().backward()
        grads.append(xs.grad.cpu().numpy())
    out["grad"] = close(grads[1], grads[0], np.float64, "grad")
    # LazyTensor reduction and KernelSolve on the device
    X, Y = LazyTensor(x.to(dev)[:, None]), LazyTensor(y.to(dev)[None])
    K = (-((X - Y) ** 2).sum(-1)).exp()
    out["lazytensor"] = close((K @ b.to(dev)).detach().cpu().numpy(), (torch.exp(-torch.cdist(x, y) ** 2) @ b).numpy(),
                              np.float64, "lazytensor")
    ks = KernelSolve("Exp(-SqDist(x,y))*a", ["x=Vi(3)", "y=Vj(3)", "a=Vj(1)"], "a", axis=1)
    xs = x[:500]
    sol = ks(xs.to(dev), xs.to(dev), b[:500].to(dev), alpha=0.1)
    kxx = torch.exp(-torch.cdist(xs, xs) ** 2) + 0.1 * torch.eye(500, dtype=torch.float64)
    resid = (kxx @ sol.cpu() - b[:500]).abs().max().item()
    assert resid < 1e-4, f"KernelSolve residual {resid}"
    out["kernelsolve_residual"] = resid
    if not c.dry:
        try:
            g(x.to(dev), y, b.to(dev))
        except ValueError as err:
            assert "argument 0 is on" in str(err) and "argument 1 is on cpu" in str(err), str(err)
            out["mixed devices"] = str(err)
        else:
            raise AssertionError("mixing devices raised nothing")
    return out


def timed(fn, sync, reps=1):
    sync()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    sync()
    return (time.perf_counter() - t0) / reps


def check_timings(c: Checks, Genred, torch, dev):
    t = c.timings
    sync = torch.cuda.synchronize if (torch is not None and dev.type == "cuda") else (lambda: None)
    w1 = Genred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"], reduction_op="Sum", axis=1)
    if torch is not None:
        from pykeops.torch import Genred as TorchGenred

        w1t = TorchGenred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"], reduction_op="Sum", axis=1)
    rng = np.random.default_rng(4)
    sizes = (100_000, 1_000_000) if not c.dry else (10_000,)
    for n in sizes:
        x, y, b = rand(rng, (n, 3), np.float32), rand(rng, (n, 3), np.float32), rand(rng, (n, 1), np.float32)
        for backend in ("GPU", "GPU_1D", "GPU_2D"):
            w1(x[:10], y[:10], b[:10], backend=c.gpu(backend))  # compiled, device open
            t[f"w1_{n:.0e}_f32_numpy_{backend}_s"] = min(timed(lambda: w1(x, y, b, backend=c.gpu(backend)), sync)
                                                          for _ in range(3))
        if torch is not None:
            xt, yt, bt = (torch.from_numpy(v).to(dev) for v in (x, y, b))
            w1t(xt, yt, bt)
            t[f"w1_{n:.0e}_f32_torch_s"] = min(timed(lambda: w1t(xt, yt, bt), sync) for _ in range(3))
            ref_rows = w1(x[:2000], y, b, backend="CPU")
            close(w1t(xt, yt, bt)[:2000].cpu().numpy(), ref_rows, np.float32, f"W1 {n} rows 0-2000")
    if not c.dry:
        t["w1_1e6_f32_s"] = min(t["w1_1e+06_f32_torch_s"] if torch is not None else 1e9,
                                t["w1_1e+06_f32_numpy_GPU_s"])
    # The first call of a new formula: generation, NVRTC, module load, in a fresh build folder.
    folder = tempfile.mkdtemp(prefix="gk_gpu_cache_")
    from pykeops_go import utils

    utils.set_build_folder(folder)
    formula = "Exp(-SqDist(x,y)*0.73519)*b"
    x, y, b = rand(rng, (1000, 3), np.float32), rand(rng, (1000, 3), np.float32), rand(rng, (1000, 1), np.float32)
    t0 = time.perf_counter()
    Genred(formula, ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"], axis=1)(x, y, b, backend=c.gpu("GPU"))
    t["first_call_s"] = time.perf_counter() - t0
    files = sorted(os.listdir(os.path.join(folder, "cuda"))) if os.path.isdir(os.path.join(folder, "cuda")) else []
    t["cache_files"] = files
    if not c.dry:
        assert files and all(f.endswith((".cubin", ".ptx")) for f in files), files
    # Another process: the disk cache, after a warm-up formula opened the device.
    code = f"""
import time, numpy as np
from pykeops_go import utils
utils.set_build_folder({folder!r})
from pykeops_go.numpy import Genred
a = [np.ones((1000, 3), np.float32), np.ones((1000, 3), np.float32), np.ones((1000, 1), np.float32)]
Genred("SqDist(x,y)*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"], axis=1)(*a, backend={c.gpu("GPU")!r})
t0 = time.perf_counter()
Genred({formula!r}, ["x=Vi(3)", "y=Vj(3)", "b=Vj(1)"], axis=1)(*a, backend={c.gpu("GPU")!r})
print(time.perf_counter() - t0)
from pykeops_go.common import gpu_backend
print(gpu_backend.stats() if {not c.dry} else {{}})
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    lines = r.stdout.strip().splitlines()
    t["first_call_disk_cache_s"] = float(lines[0])
    t["second_process_stats"] = lines[1] if len(lines) > 1 else ""
    import pykeops

    pykeops.clean_pykeops()
    t["cache_files_after_clean"] = sorted(os.listdir(os.path.join(folder, "cuda"))) \
        if os.path.isdir(os.path.join(folder, "cuda")) else []
    # Cached call overhead at 10 points (W6 on the GPU).
    xs, ys, bs = x[:10], y[:10], b[:10]
    w1(xs, ys, bs, backend=c.gpu("GPU"))
    t["cached_overhead_us"] = 1e6 * min(timed(lambda: w1(xs, ys, bs, backend=c.gpu("GPU")), sync, 2000)
                                        for _ in range(3))
    t["cpu_overhead_us"] = 1e6 * min(timed(lambda: w1(xs, ys, bs, backend="CPU"), lambda: None, 2000)
                                     for _ in range(3))
    if torch is not None:
        xt, yt, bt = (torch.from_numpy(v).to(dev) for v in (xs, ys, bs))
        w1t(xt, yt, bt)
        t["cached_overhead_torch_us"] = 1e6 * min(timed(lambda: w1t(xt, yt, bt), sync, 2000) for _ in range(3))
    report = {k: (t.get(k), lim, t.get(k) is not None and t[k] < lim) for k, lim in TARGETS.items()}
    return report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=".")
    ap.add_argument("--dry-run", action="store_true", help="no GPU: GPU backends -> CPU, cuda -> cpu")
    opts = ap.parse_args()
    c = Checks(opts.dry_run)
    from pykeops_go.common import engine, gpu
    from pykeops_go.numpy import Genred

    try:
        import torch
    except ImportError:
        torch = None
    dev = None
    if torch is not None:
        import torch as _t

        dev = _t.device("cpu" if opts.dry_run else "cuda:0")

    def variant():
        info = {"engine": engine._go.__name__, "gpu_available": gpu.gpu_available(),
                "gpus": gpu.get_gpu_props(), "driver": gpu.info().driver_version,
                "reason": gpu.gpu_unavailable_reason()}
        import pykeops
        from pykeops.common.gpu_utils import get_gpu_number

        info["config.gpu_available"] = pykeops.config.gpu_available
        info["get_gpu_number"] = get_gpu_number()
        if not c.dry:
            assert engine._go.__name__ == "pykeops_go._ext_cuda.gokeops", info
            assert pykeops.config.gpu_available and get_gpu_number() >= 1, info
        return info

    c.run("engine variant and discovery", variant)
    c.run("numpy: GPU backends vs CPU", lambda: check_numpy(c, Genred))
    c.run("numpy: ranges, batch, chunked dims", lambda: check_numpy_ranges_batch_chunked(c, Genred))
    if torch is not None:
        c.run("torch CUDA tensors vs CPU", lambda: check_torch(c, torch, dev))
    c.run("timings", lambda: check_timings(c, Genred, torch, dev))
    if not c.dry:
        from pykeops_go.common import gpu_backend

        c.run("engine GPU stats", gpu_backend.stats)
    os.makedirs(opts.out, exist_ok=True)
    with open(os.path.join(opts.out, "python.json"), "w") as fh:
        json.dump({"results": c.results, "timings": c.timings, "failed": c.failed}, fh, indent=1, default=str)
    for k, v in c.timings.items():
        print(f"{k}: {v}")
    print(f"{len(c.results) - c.failed} of {len(c.results)} checks passed")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
