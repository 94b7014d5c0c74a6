"""Quickstart: the two Genred examples of pykeops' documentation, and the same
Gaussian kernel product written with LazyTensor, on 100,000 points.

Each result is checked against a dense NumPy computation on a subset of rows
(the full M x N matrix would not fit in memory).

Run with `make demo`.
"""

import time

import numpy as np

from pykeops.numpy import Genred, LazyTensor

M = N = 100_000
CHECK_ROWS = 200
rng = np.random.default_rng(0)


def check(name, result, reference, rtol):
    err = np.max(np.abs(result - reference)) / np.max(np.abs(reference))
    status = "ok" if err < rtol else "MISMATCH"
    print(f"    dense NumPy check on {len(reference)} rows: max relative error {err:.1e} [{status}]")
    if err >= rtol:
        raise SystemExit(f"{name}: result differs from NumPy")


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


print(f"gokeops quickstart: M = {M:,} points x_i, N = {N:,} points y_j\n")

# 1. Kernel density: a_j = sum_i exp(-|x_i - y_j|^2), reduced over i (axis=0).
for dtype, rtol in ((np.float32, 1e-5), (np.float64, 1e-12)):
    x = rng.standard_normal((M, 3)).astype(dtype)
    y = rng.standard_normal((N, 3)).astype(dtype)
    density = Genred("Exp(-SqNorm2(x - y))", ["x = Vi(3)", "y = Vj(3)"], reduction_op="Sum", axis=0)
    a, dt = timed(density, x, y)
    print(f"[1] Genred kernel density, {np.dtype(dtype).name}: shape {a.shape}, {dt:.2f} s, "
          f"{M * N / dt / 1e6:,.0f} M pairs/s")
    x64, y64 = x.astype(np.float64), y[:CHECK_ROWS].astype(np.float64)
    ref = np.exp(-((x64[:, None, :] - y64[None, :, :]) ** 2).sum(-1)).sum(0)[:, None]
    check("kernel density", a[:CHECK_ROWS], ref, rtol)

# 2. Gaussian RBF: a_i = sum_j exp(-g |x_i - y_j|^2) b_j, reduced over j (axis=1).
x = rng.standard_normal((M, 3))
y = rng.standard_normal((N, 3))
b = rng.random((N, 2))
g = np.array([0.5])
rbf = Genred("Exp(-G * SqDist(X, Y)) * B", ["G = Pm(1)", "X = Vi(3)", "Y = Vj(3)", "B = Vj(2)"],
             reduction_op="Sum", axis=1)
a, dt = timed(rbf, g, x, y, b)
print(f"[2] Genred Gaussian RBF, float64: shape {a.shape}, {dt:.2f} s, {M * N / dt / 1e6:,.0f} M pairs/s")
ref = np.exp(-0.5 * ((x[:CHECK_ROWS, None, :] - y[None]) ** 2).sum(-1)) @ b
check("Gaussian RBF", a[:CHECK_ROWS], ref, 1e-12)

# 3. The same kernel product with LazyTensor: K_ij = exp(-|x_i - y_j|^2), K @ b.
def lazy_product(x, y, b):
    x_i, y_j = LazyTensor(x[:, None, :]), LazyTensor(y[None, :, :])
    K = (-((x_i - y_j) ** 2).sum(-1)).exp()
    return K @ b


a, dt = timed(lazy_product, x, y, b)
print(f"[3] LazyTensor K @ b, float64: shape {a.shape}, {dt:.2f} s, {M * N / dt / 1e6:,.0f} M pairs/s")
ref = np.exp(-((x[:CHECK_ROWS, None, :] - y[None]) ** 2).sum(-1)) @ b
check("LazyTensor", a[:CHECK_ROWS], ref, 1e-12)
