"""make bench: the standard workloads W1-W9 of /work/shared/BENCHMARKS.md, one markdown table.

    make bench                          # the standard table (about 40 min with .venv-ref)
    make bench BENCH_ARGS=--quick       # 1e4 sizes only, 1 repetition
    .venv/bin/python benchmarks/run.py --only W1D   # W1 through a dask LocalCluster only
    .venv/bin/python benchmarks/run.py --only W1,W6 --reps 5

Set-up, and the choices made:
- Every measurement runs in its own subprocess, benchmarks/runone.py (one workload, one
  library), which regenerates the data from np.random.default_rng(0) (workloads.py),
  prints its timings as JSON and leaves its result in a .npy file that this process checks.
  A crash or a hung call therefore costs one cell, not the table.
- gokeops and dense NumPy run with this interpreter (.venv). gokeops runs from a copy of
  python/pykeops_go (with its built extension) taken at start, so that every cell uses the
  same build even if `make ext` runs meanwhile (replacing a loaded .so crashes it). For dense NumPy the
  environment of that subprocess alone loses OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE when
  set (they slow a current NumPy); which OpenBLAS kernel then runs is not checked
  (threadpoolctl is not installed). Dense NumPy is skipped where the M x N matrix would
  pass 4 GB; a call running past DENSE_TIMEOUT is reported as such.
- pykeops and faiss-cpu run with .venv-ref/bin/python (`make bench-ref` creates it):
  pykeops needs its own virtualenv since our `pykeops` shim shadows it in .venv, and faiss
  goes there too so that .venv stays as `make install` makes it. If faiss is importable
  from this interpreter it is used from here instead. Without .venv-ref the columns show "—".
- Times: median of the timed calls after one warm-up call on the first 1000 rows (which
  compiles: pykeops' C++ compile is excluded, except in W7). Each cell runs --reps calls or
  as many as fit in --budget seconds (at least one): the 1e5 rows of pykeops (~50 s a call)
  get 1-2 calls. A cell with fewer calls than asked shows "(n=k)".
- Check column: gokeops against float64 NumPy on up to 500 rows (normwise max relative
  error, "BAD" past the tolerance); W3: neighbours equal to the exact ones ties aside, and
  the share of rows whose neighbour sets equal faiss' / pykeops'; W4: relative residual.
  pykeops' own error is shown beside it.
- W8 runs W1 with ranges on clustered data (workloads.data, w8_ranges); "W8 no ranges" is
  gokeops' plain W1 on the same data, the baseline of the W8 target.
- C column: benchmarks/cref.c, the W1 and W2 kernels written as the machine's practical
  limit (AVX2 + FMA intrinsics, two rows per y load, inline exp, OpenMP threads), built
  with gcc when present; "gokeops / C" is gokeops' speed as a share of it. The C kernel is
  timed in gokeops' own process, call for call alternately with it, so that both see
  the same machine load. The scaling
  section runs W1 and W2 at 1 and 2 threads (set_num_threads; OMP_NUM_THREADS for C) and
  W1 f32 at 1e6 x 1e5, extrapolated to 1e6 x 1e6 (--no-scaling skips it).
- Torch rows T1-T6 run the same workloads on CPU tensors through pykeops_go.torch /
  pykeops.torch. Each torch cell also times its NumPy twin (T5: W5) alternately in the same
  process, and the torch verdicts compare those paired ratios, within PAIRED_TOL.
- A1: the float32 accuracy workload (M = 200, N = 1e6, Gaussian of scale 1/8, default
  sum_scheme): the largest relative error of a row against float64, beside pykeops'.
- Memory: W1 at M=N=1e6 f32 in a subprocess whose peak RSS (VmHWM, reset once the data
  are in memory) this process reads while the call runs, for at most --rss-seconds
  (the call, 1e12 pairs, takes far longer: the peak of a streaming engine comes early).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import workloads as W  # noqa: E402

RUNONE = os.path.join(HERE, "runone.py")
REF_PY = os.path.join(REPO, ".venv-ref", "bin", "python")
DENSE_BYTES = 4e9
DENSE_TIMEOUT = 150
KEOPS_TIMEOUT = 1200
F32, F64 = "float32", "float64"
# The resolution of a paired torch / NumPy ratio in one run here: the same engine call
# on a tensor and on an array, alternated in one process, differs by up to this much.
PAIRED_TOL = 0.05

NAMES = {"W1": "W1 Gaussian sum", "W2": "W2 GMM LogSumExp", "W3": "W3 kNN K=10, dim 100",
         "W4": "W4 KernelSolve", "W4b": "W4b KernelSolve", "W5": "W5 Grad", "W6": "W6 call overhead (per call)",
         "W7": "W7 first call", "W8": "W8 block-sparse (ranges)", "W8d": "W8 no ranges (same data)",
         "W9": "W9 LazyTensor", "A1": "A1 f32 sum accuracy (default scheme)", "T1": "T1 torch: W1 forward", "T2": "T2 torch: W2 forward",
         "T5": "T5 torch: W1 forward + backward", "T6": "T6 torch: call overhead (per call)"}


def rows(quick):
    """(wid, M, N, dtype) of every row of the table, in order."""
    big, n3 = (10_000, 10_000) if quick else (100_000, 100_000)
    out = []
    for wid in ("W1", "W2"):
        out += [(wid, m, m, dt) for m in sorted({10_000, big}) for dt in (F32, F64)]
    out += [("W3", 10_000, n3, F32), ("W4", 10_000, 10_000, F64)]
    out += [] if quick else [("W4b", 100_000, 100_000, F64)]
    # Issue 12's targets hold W5 and W9 to the W1 ratios too, at both sizes and dtypes.
    out += [("W5", m, m, dt) for m in sorted({10_000, big}) for dt in (F32, F64)]
    out += [("W6", 10, 10, F64), ("W7", 1, 1, F64), ("W7", 1_000, 1_000, F64), ("W8", big, big, F32),
            ("W8d", big, big, F32)]
    out += [("W9", m, m, dt) for m in sorted({10_000, big}) for dt in (F32, F64)]
    out += [("A1", 200, 1_000_000, F32)]
    # pykeops.torch rows (tensors on the CPU, autograd for T5).
    out += [(wid, 10_000, 10_000, dt) for wid in ("T1", "T2") for dt in (F32, F64)]
    out += [("T5", 10_000, 10_000, F64), ("T6", 10, 10, F64)]
    return out


# ---- subprocesses ---------------------------------------------------------------

def sub(python, lib, wid, m, n, dt, reps, budget, timeout, env=None, threads=0):
    """Run runone.py; {"times", "error", "result"}; W6 times are per call."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [python, RUNONE, "--lib", lib, "--wid", wid, "--m", str(m), "--n", str(n),
               "--dtype", dt, "--reps", str(reps), "--budget", str(budget), "--out", tmp,
               "--threads", str(threads)]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return {"times": [], "error": f"timed out after {timeout} s"}
        lines = [l for l in p.stdout.splitlines() if l.startswith("RESULT ")]
        if not lines:
            tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
            return {"times": [], "error": f"crashed (exit {p.returncode}): {tail[:120]}"}
        out = json.loads(lines[-1][7:])
        path = os.path.join(tmp, "result.npy")
        out["result"] = np.load(path) if os.path.exists(path) else None
    if wid in ("W6", "T6"):
        out["times"] = [t / W.W6_CALLS for t in out["times"]]
    if wid == "W4b" and lib == "pykeops":  # one product timed: see workloads.W4B_PK_ITERS
        out["times"] = [t * W.W4B_PK_ITERS for t in out["times"]]
        out["result"] = None
    return out


def probe(python, code):
    """Last line printed by `python -c code`, or None when it fails."""
    if not python or not os.path.exists(python):
        return None
    try:
        p = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None
    return p.stdout.strip().splitlines()[-1] if p.returncode == 0 and p.stdout.strip() else None


def dense_env():
    env = dict(os.environ)
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(k, None)
    return env


def snapshot_engine(tmp):
    """Environment whose PYTHONPATH puts a copy of python/pykeops_go first."""
    shutil.copytree(os.path.join(REPO, "python", "pykeops_go"), os.path.join(tmp, "pykeops_go"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [tmp, os.environ.get("PYTHONPATH")])))


def rss_probe(m, seconds, env, lib="gokeops"):
    """(peak RSS growth in MB over the data, whether the call finished, seconds watched)."""
    cmd = [sys.executable, RUNONE, "--lib", lib, "--rss", "--m", str(m), "--n", str(m),
           "--dtype", F32]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in p.stdout], daemon=True).start()
    base = peak = error = None
    done, t0 = False, None
    try:
        while p.poll() is None or not lines.empty():
            try:
                line = lines.get(timeout=0.05)
            except queue.Empty:
                line = ""
            if line.startswith("BASE"):
                base, t0 = int(line.split()[1]), time.perf_counter()
            elif line.startswith("DONE"):
                done, peak = True, max(peak or 0, int(line.split()[1]))
            elif line.startswith("RESULT"):
                error = json.loads(line[7:])["error"]
            if base is not None and p.poll() is None:
                peak = max(peak or 0, read_kb(p.pid, "VmHWM"))
            if done or error or (t0 and time.perf_counter() - t0 > seconds):
                break
    finally:
        watched = time.perf_counter() - t0 if t0 else 0.0
        if p.poll() is None:
            p.kill()
        p.wait()
    if error or base is None or not peak:
        return None, f"probe failed: {error or p.stderr.read().strip()[-160:]}", 0.0
    return (peak - base) / 1024, done, watched


def read_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---- one row ----------------------------------------------------------------------

def run_row(row, cfg):
    wid, m, n, dt = row
    paired_c = cfg.cref and wid in ("W1", "W2")  # the C kernel runs in gokeops' process
    r = {"go": sub(sys.executable, "gokeops", wid, m, n, dt, cfg.reps, cfg.budget, KEOPS_TIMEOUT,
                   env=dict(cfg.go_env, GOKEOPS_CREF_SO=cfg.cref, OMP_WAIT_POLICY="PASSIVE")
                   if paired_c else cfg.go_env)}  # passive: idle OpenMP threads must not spin
    size = W.dense_bytes(wid, m, n, np.dtype(dt).itemsize)
    if wid in ("W7", "W8", "A1") or wid in W.TORCH_WIDS:
        r["np"] = {"skip": "—"}
    elif size > DENSE_BYTES:
        r["np"] = {"skip": f"skip: {size / 1e9:.0f} GB"}
    else:
        r["np"] = sub(sys.executable, "numpy", wid, m, n, dt, cfg.reps, cfg.budget, DENSE_TIMEOUT,
                      env=dense_env())
    if cfg.pykeops and wid != "W8d":
        r["pk"] = sub(REF_PY, "pykeops", wid, m, n, dt, cfg.reps, cfg.budget, KEOPS_TIMEOUT)
    if cfg.faiss and wid == "W3":
        r["fa"] = sub(cfg.faiss, "faiss", wid, m, n, dt, cfg.reps, cfg.budget, KEOPS_TIMEOUT)
    if paired_c:
        r["c"] = {"times": r["go"].get("base_times") or [], "error": r["go"].get("error")}
    r["check"], r["ok"] = check(row, r)
    return r


def check(row, r):
    """(text, ok) comparing gokeops' result with float64 NumPy (and the references)."""
    wid, m, n, dt = row
    go = r["go"].get("result")
    if go is None:
        return "—", None
    wid = W.TORCH_OF.get(wid, wid)  # torch rows are checked like the workload they mirror
    d = W.data(wid, m, n, np.dtype(dt))
    pk = r.get("pk", {}).get("result")
    if wid == "W3":
        idx = W.check_rows(m, 200)
        good, total = W.knn_check(go, W.reference(wid, d, idx), idx)
        parts = [f"exact kNN {good}/{total} rows"]
        for key, name in (("fa", "faiss"), ("pk", "pykeops")):
            other = r.get(key, {}).get("result")
            if other is not None:
                parts.append(f"= {name} {100 * W.same_sets(go, other):.2f}% rows")
        return "; ".join(parts), good == total
    if wid in ("W4", "W4b"):
        e = W.solve_residual(d, go)
        text = f"residual {e:.1e}" + (f" ({r['go']['note']})" if r["go"].get("note") else "")
        text += f"; pykeops {W.solve_residual(d, pk):.1e}" if pk is not None else ""
        if wid == "W4b" and r.get("pk", {}).get("times"):
            text += f"; pykeops est. = 1 product x {W.W4B_PK_ITERS} it."
        return text, e <= 1e-6
    if wid == "A1":
        ref = W.reference(wid, d, np.arange(m))
        r["go"]["acc"] = W.row_rel_err(go, ref)
        text = f"max row rel. err {r['go']['acc']:.2e}"
        if pk is not None:
            r["pk"]["acc"] = W.row_rel_err(pk, ref)
            text += f"; pykeops {r['pk']['acc']:.2e}"
        return text, r["go"]["acc"] <= 1e-5
    idx = W.check_rows(m)
    ref = W.reference(wid, d, idx)
    e = W.rel_err(go[idx], ref)
    tol = 1e-5 if wid in ("W8", "W8d") else (1e-4 if dt == F32 else 1e-10)
    text = f"err {e:.1e}" + (f"; pykeops {W.rel_err(pk[idx], ref):.1e}" if pk is not None else "")
    return text, e <= tol


# ---- the C reference kernel and the scaling rows -------------------------------------

def build_cref(tmp):
    """Path of cref.c compiled to a shared library, or None without gcc (or on failure)."""
    gcc = shutil.which("gcc")
    if not gcc:
        return None
    so = os.path.join(tmp, "cref.so")
    cmd = [gcc, "-O3", "-mavx2", "-mfma", "-fopenmp", "-shared", "-fPIC",
           os.path.join(HERE, "cref.c"), "-o", so, "-lm"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        log("cref.c does not build: " + (p.stderr.strip().splitlines() or ["?"])[-1])
        return None
    return so


def cref_env(cfg, threads=0):
    env = dict(os.environ, GOKEOPS_CREF_SO=cfg.cref)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    return env


def scaling(cfg):
    """Rows of the scaling table: W1 and W2 throughput at 1 and 2 threads (gokeops,
    set_num_threads; C, OMP_NUM_THREADS), and W1 1e6 x 1e6 f32 extrapolated from a
    measured 1e6 x 1e5 call (time x 10: the cost is linear in N at fixed M)."""
    out = ["| workload | size | dtype | threads | gokeops | Mpairs/s | C | Mpairs/s | gokeops / C |",
           "|---|---|---|---|---|---|---|---|---|"]
    m = 10_000
    for wid in ("W1", "W2"):
        for dt in (F32, F64):
            for th in (1, 2):
                go = sub(sys.executable, "gokeops", wid, m, m, dt, cfg.reps, cfg.budget,
                         KEOPS_TIMEOUT, env=cfg.go_env, threads=th)
                c = (sub(sys.executable, "cref", wid, m, m, dt, cfg.reps, cfg.budget, KEOPS_TIMEOUT,
                         env=cref_env(cfg, th)) if cfg.cref else None)
                rate = lambda x: f"{m * m / med(x) / 1e6:.0f}" if med(x) else "—"  # noqa: E731
                out.append(f"| {NAMES[wid]} | 1e4 | {dt.replace('float', 'f')} | {th} | "
                           f"{cell(go, cfg.reps, True)} | {rate(go)} | {cell(c, cfg.reps)} | "
                           f"{rate(c) if c else '—'} | {pct(c, go)} |")
                log(out[-1])
    big = sub(sys.executable, "gokeops", "W1", 1_000_000, 100_000, F32, 1, cfg.budget,
              KEOPS_TIMEOUT, env=cfg.go_env)
    t = med(big)
    out.append("")
    out.append(f"W1 f32 1e6 x 1e5 measured: {cell(big, 1, True)}; 1e6 x 1e6 extrapolated (x 10): "
               + (fmt_t(10 * t) + f" ({1e12 / (10 * t) / 1e6:.0f} Mpairs/s)" if t else "—"))
    return "\n".join(out)


def pct(c, go):
    """gokeops' speed as a share of the C kernel's (C time / gokeops time)."""
    a, b = med(c), med(go)
    return f"{100 * a / b:.0f}%" if a and b else "—"


# ---- the table ----------------------------------------------------------------------

def med(cell):
    return statistics.median(cell["times"]) if cell and cell.get("times") else None


def paired(cell):
    """Median over the reps of a torch row of its time / its NumPy twin's time (runone.py)."""
    t, b = (cell or {}).get("times") or [], (cell or {}).get("base_times") or []
    return statistics.median(x / y for x, y in zip(t, b)) if t and len(b) == len(t) else None


def fmt_t(t):
    if t is None:
        return "—"
    if t < 1e-3:
        return f"{t * 1e6:.1f} us"
    return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"


def cell(c, reps, is_go=False):
    if c is None:
        return "—"
    if "skip" in c:
        return c["skip"]
    if c.get("error"):
        return ("not available: " if is_go else "error: ") + c["error"].replace("|", "/")
    n = len(c["times"])
    return fmt_t(med(c)) + (f" (n={n})" if n < reps else "")


def ratio(other, go):
    a, b = med(other), med(go)
    return f"{a / b:.2f}x" if a and b else "—"


def size_label(wid, m, n):
    e = lambda v: f"1e{len(str(v)) - 1}" if v >= 100 and str(v).strip("0") == "1" else str(v)  # noqa: E731
    return e(m) if m == n else f"{e(m)} x {e(n)}"


def table(results, cfg):
    head = ["workload", "size", "dtype", "gokeops", "NumPy dense", "pykeops", "faiss", "C (AVX2)",
            "speed-up vs NumPy", "vs pykeops", "vs faiss", "gokeops / C", "check (gokeops vs f64 NumPy)"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (wid, m, n, dt), r in results:
        flag = {True: "", False: " **BAD**", None: ""}[r["ok"]]
        out.append("| " + " | ".join([
            NAMES[wid], size_label(wid, m, n), dt.replace("float", "f"),
            cell(r["go"], cfg.reps, True), cell(r.get("np"), cfg.reps), cell(r.get("pk"), cfg.reps),
            cell(r.get("fa"), cfg.reps), cell(r.get("c"), cfg.reps), ratio(r.get("np"), r["go"]),
            ratio(r.get("pk"), r["go"]), ratio(r.get("fa"), r["go"]), pct(r.get("c"), r["go"]),
            r["check"] + flag]) + " |")
    return "\n".join(out)


# ---- targets ------------------------------------------------------------------------

def targets(results, mem):
    """[(target, measured, PASS/MISS/—)] for the targets of BENCHMARKS.md."""
    by = {}
    for (wid, m, n, dt), r in results:
        by.setdefault(wid, []).append(((m, n, dt), r))
    out = []

    def verdict(vals, good, *wids):  # vals: [(value, label, ok)]; good(value) -> bool
        if any(r["go"].get("error") for w in wids for _, r in by.get(w, [])):
            return "MISS (gokeops not available)"
        if not vals:
            return "—"
        return "PASS" if all(good(v) and ok is not False for v, _, ok in vals) else "MISS"

    for wid in ("W1", "W2", "W3", "W4", "W5", "W8", "W9"):
        # The kernel workloads: >= 3x pykeops in float64, >= 6x in float32.
        need = {F64: 3, F32: 6 if wid in ("W1", "W2", "W5", "W9") else 3}
        vals = [(med(r["pk"]) / med(r["go"]) / need[k[2]], f"{size_label(wid, *k[:2])} {k[2]}", r["ok"])
                for k, r in by.get(wid, []) if med(r.get("pk")) and med(r["go"])]
        worst = min(vals, default=None, key=lambda v: v[0])
        goal = "3x pykeops" + (" (f32: 6x)" if need[F32] == 6 else "")
        out.append((f"{wid} >= {goal}",
                    f"worst {worst[0]:.2f} of the goal ({worst[1]})" if worst else "—",
                    verdict(vals, lambda v: v >= 1, wid)))
    vals = [(med(r["c"]) / med(r["go"]), f"{wid} {size_label(wid, *k[:2])} {k[2]}", r["ok"])
            for wid in ("W1", "W2") for k, r in by.get(wid, []) if med(r.get("c")) and med(r["go"])]
    worst = min(vals, default=None, key=lambda v: v[0])
    out.append(("W1, W2 >= 70% of the C kernel", f"min {100 * worst[0]:.0f}% ({worst[1]})" if worst else "—",
                verdict(vals, lambda v: v >= 0.7, "W1", "W2")))
    # torch rows: at least the speed-up over pykeops of the NumPy row they mirror
    # (T5, forward + backward, against W5, the gradient alone). Both ratios come from
    # the torch row's own processes, where each library timed the torch workload and
    # its NumPy twin alternately (runone.py "base_times"): the rows of the table are
    # minutes apart, and pykeops' times drift by more than the margin between them.
    for wid in ("T1", "T2", "T5"):
        vals = []
        for k, r in by.get(wid, []):
            pk, go = r.get("pk") or {}, r["go"]
            pk_tw, go_tw = paired(pk), paired(go)
            if pk_tw and go_tw:
                # (pk_T / go_T) / (pk_W / go_W) = (pk_T / pk_W) / (go_T / go_W)
                t, w = med(pk) / med(go), med({"times": pk["base_times"]}) / med({"times": go["base_times"]})
                vals.append((pk_tw / go_tw / (1 - PAIRED_TOL), f"{t:.2f}x vs {w:.2f}x ({k[2]}; paired "
                             f"torch/NumPy time: pykeops {pk_tw:.2f}, gokeops {go_tw:.2f})", r["ok"]))
        out.append((f"{wid} vs pykeops.torch >= {W.TORCH_OF[wid]} vs pykeops (paired, "
                    f"within {100 * PAIRED_TOL:.0f}%)",
                    ", ".join(l for _, l, _ in vals) or "—", verdict(vals, lambda v: v >= 1, wid)))
    vals = [(r["go"]["acc"], r["pk"]["acc"], r["ok"]) for _, r in by.get("A1", [])
            if "acc" in r["go"] and "acc" in r.get("pk", {})]
    out.append(("A1 f32 default sum at least as accurate as pykeops' (M=200, N=1e6)",
                ", ".join(f"{g:.2e} vs {p:.2e}" for g, p, _ in vals) or "—",
                verdict([(g <= p, "", ok) for g, p, ok in vals], bool, "A1")))
    w1 = {k: r for k, r in by.get("W1", [])}
    vals = [(med(w1[(m, n, F64)]["go"]) / med(w1[(m, n, F32)]["go"]), size_label("W1", m, n), None)
            for (m, n, dt) in w1 if dt == F32 and (m, n, F64) in w1
            and med(w1[(m, n, F32)]["go"]) and med(w1[(m, n, F64)]["go"])]
    out.append(("W1 f32 >= 1.8x f64", ", ".join(f"{v:.2f}x ({l})" for v, l, _ in vals) or "—",
                verdict(vals, lambda v: v >= 1.8, "W1")))
    vals = [(med(r["go"]) / med(r["fa"]), "", r["ok"]) for _, r in by.get("W3", [])
            if med(r.get("fa")) and med(r["go"])]
    out.append(("W3 within 1.5x faiss (time go/faiss <= 1.5)",
                ", ".join(f"{v:.2f}" for v, _, _ in vals) or "—", verdict(vals, lambda v: v <= 1.5, "W3")))
    vals = [(med(r["go"]) / med(r["fa"]), "", r["ok"]) for _, r in by.get("W3", [])
            if med(r.get("fa")) and med(r["go"])]
    out.append(("W3 at most faiss' time (go/faiss <= 1)",
                ", ".join(f"{v:.2f}" for v, _, _ in vals) or "—", verdict(vals, lambda v: v <= 1, "W3")))
    # W7 at M = N = 1 is the compile and plan of a new formula (its compute is one pair).
    for wid, limit, label, size in (("W6", 5e-6, "W6 < 5 us per call", None),
                                    ("W7", 1e-3, "W7 first call, compile + plan (M=N=1) < 1 ms", (1, 1))):
        vals = [(med(r["go"]), "", r["ok"]) for k, r in by.get(wid, [])
                if med(r["go"]) and (size is None or k[:2] == size)]
        out.append((label, ", ".join(fmt_t(v) for v, _, _ in vals) or "—",
                    verdict(vals, lambda v: v < limit, wid)))
    vals = [(med(r["go"]), "", r["ok"]) for _, r in by.get("T6", []) if med(r["go"])]
    out.append(("T6 torch < 15 us per call", ", ".join(fmt_t(v) for v, _, _ in vals) or "—",
                verdict(vals, lambda v: v < 15e-6, "T6")))
    for wid, label, good in (
            ("W4", "W4 >= 10x pykeops and faster than NumPy dense, residual <= 1e-6",
             lambda r: med(r.get("pk")) and med(r.get("np")) and med(r["pk"]) >= 10 * med(r["go"])
             and med(r["np"]) > med(r["go"])),
            ("W4b", "W4b < 60 s, residual <= 1e-6", lambda r: med(r["go"]) and med(r["go"]) < 60)):
        rs = [r for _, r in by.get(wid, []) if med(r["go"])]
        text = "; ".join(f"{fmt_t(med(r['go']))}, {ratio(r.get('pk'), r['go'])} pykeops, "
                         f"{ratio(r.get('np'), r['go'])} NumPy" for r in rs) or "—"
        vals = [(r, "", r["ok"]) for r in rs]
        out.append((label, text, verdict(vals, lambda r: bool(good(r)), wid)))
    sparse, dense = dict(by.get("W8", [])), dict(by.get("W8d", []))
    vals = [(med(dense[k]["go"]) / med(r["go"]), "", r["ok"]) for k, r in sparse.items()
            if k in dense and med(r["go"]) and med(dense[k]["go"])]
    out.append(("W8 >= 10x dense W1, same data, err <= 1e-5",
                ", ".join(f"{v:.2f}x" for v, _, _ in vals) or "—", verdict(vals, lambda v: v >= 10, "W8", "W8d")))
    if mem is not None:
        growth, done, watched = mem
        if growth is None:
            out.append(("W1 1e6 f32 peak RSS < 200 MB over the data", done, "—"))
        else:
            how = "call finished" if done else f"first {watched:.0f} s of the call"
            out.append(("W1 1e6 f32 peak RSS < 200 MB over the data", f"+{growth:.0f} MB ({how})",
                        "PASS" if growth < 200 else "MISS"))
    return out


# ---- W1 on a dask LocalCluster (pykeops_go.dask; benchmarks/dask_w1.py) -------------
# 1e6 x 1e6 (1e12 pairs) takes about half an hour per run on the project's 2 cores, twice
# (single process and cluster): the row measures 1e6 x 1e5 instead (1e5 x 1e4 with --quick).
DASK_SIZES = {False: (1_000_000, 100_000), True: (100_000, 10_000)}
DASK_TIMEOUT = 3600


def dask_row(quick, reps, env):
    """The W1 LocalCluster measurement: dask_w1.py's RESULT dict (or an error)."""
    m, n = DASK_SIZES[quick]
    cmd = [sys.executable, os.path.join(HERE, "dask_w1.py"), "--m", str(m), "--n", str(n),
           "--reps", str(reps)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=DASK_TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return {"m": m, "n": n, "error": f"timed out after {DASK_TIMEOUT} s"}
    lines = [l for l in p.stdout.splitlines() if l.startswith("RESULT ")]
    out = json.loads(lines[-1][7:]) if lines else {"error": f"crashed (exit {p.returncode})"}
    return dict(out, m=m, n=n)


def dask_table(d):
    size = f"{size_label('W1', d['m'], d['n'])} (1e6 x 1e6: too slow here)"
    head = "| workload | size | dtype | LocalCluster 2 workers x 1 thread | engine, 2 threads | overhead | check |"
    if d.get("error"):
        row = f"| W1 via pykeops_go.dask | {size} | f32 | error: {d['error']} | — | — | — |"
    else:
        ts, tc = statistics.median(d["times_single"]), statistics.median(d["times_cluster"])
        row = (f"| W1 via pykeops_go.dask | {size} | f32 | {fmt_t(tc)} | {fmt_t(ts)} | "
               f"{100 * d['overhead']:+.1f}% | max rel. diff {d['rel_diff']:.1e} |")
    return "\n".join([head, "|" + "---|" * 7, row])


# ---- main ---------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="1e4 sizes only, 1 repetition")
    p.add_argument("--only", default="", help="comma-separated workloads, e.g. W1,W6")
    p.add_argument("--reps", type=int, default=None, help="timed calls per cell (3; quick: 1)")
    p.add_argument("--budget", type=float, default=60, help="seconds per cell before stopping repeats")
    p.add_argument("--no-ref", action="store_true", help="skip pykeops and faiss")
    p.add_argument("--rss-seconds", type=float, default=None, help="memory probe length (20; quick: 5)")
    p.add_argument("--no-scaling", action="store_true", help="skip the 1- and 2-thread scaling rows")
    cfg = p.parse_args()
    cfg.reps = cfg.reps or (1 if cfg.quick else 3)
    only = set(cfg.only.split(",")) - {""}
    if "W8" in only:
        only.add("W8d")
    cfg.pykeops = None if cfg.no_ref else probe(REF_PY, "import pykeops; print(pykeops.__version__)")
    cfg.faiss = None
    if not cfg.no_ref:
        for py in (sys.executable, REF_PY):
            if probe(py, "import faiss; print(faiss.__version__)"):
                cfg.faiss = py
                break
    todo = [r for r in rows(cfg.quick) if not only or r[0] in only]
    snap = tempfile.TemporaryDirectory()
    cfg.go_env = snapshot_engine(snap.name)
    cfg.cref = build_cref(snap.name)
    t0 = time.time()
    results = []
    for row in todo:
        log(f"{row[0]} {size_label(*row[:3])} {row[3]} ...")
        r = run_row(row, cfg)
        log("   " + ", ".join(f"{k} {cell(r.get(k), cfg.reps, k == 'go')}" for k in ("go", "np", "pk", "fa", "c")
                               if k in r) + f"; {r['check']}")
        results.append((row, r))
    dres = None
    if not only or "W1D" in only:
        log("W1 through a dask LocalCluster ...")
        dres = dask_row(cfg.quick, 1, cfg.go_env)  # one call each: 1e11 pairs take minutes
    mem = None
    if not only or "MEM" in only or "W1" in only:
        log("memory probe: W1 1e6 f32 ...")
        mem = rss_probe(1_000_000, cfg.rss_seconds or (5 if cfg.quick else 20), cfg.go_env)
    scale = None
    if not cfg.no_scaling and (not only or "SCALE" in only):
        log("scaling rows: W1, W2 at 1 and 2 threads; W1 1e6 x 1e5 f32 ...")
        scale = scaling(cfg)
    import pykeops_go
    print(f"gokeops {pykeops_go.__version__}, NumPy {np.__version__}, pykeops {cfg.pykeops or '— (no .venv-ref)'}, "
          f"faiss {'yes' if cfg.faiss else '—'}; {os.cpu_count()} cores; reps {cfg.reps}, budget {cfg.budget:.0f} s"
          f" per cell{' (quick)' if cfg.quick else ''}; speed-up = other time / gokeops time\n")
    print(table(results, cfg))
    print("\n## Targets\n\n| target | measured | result |\n|---|---|---|")
    for t in targets(results, mem):
        print("| " + " | ".join(t) + " |")
    if dres is not None:
        ok = "—" if dres.get("error") else ("PASS" if dres["overhead"] < 0.15 else "MISS")
        got = dres.get("error") or f"{100 * dres['overhead']:+.1f}% ({size_label('W1', dres['m'], dres['n'])})"
        print(f"| W1 f32 on a LocalCluster (2 x 1 thread) within 15% of the engine on 2 threads | {got} | {ok} |")
        print("\n## W1 on a dask LocalCluster\n\n" + dask_table(dres))
    if scale:
        print("\n## Scaling (1 and 2 threads; C = cref.c)\n\n" + scale)
    print(f"\n(total {time.time() - t0:.0f} s)")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
