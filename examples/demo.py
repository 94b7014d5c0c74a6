"""The demo of `make demo`: a kernel density estimate on 100,000 points, a
k-nearest-neighbour query and a LazyTensor kernel regression, each checked
against dense NumPy on a sample, and a picture of the density (PNG).

    python examples/demo.py [OUT.png]      (default: build/demo/density.png)
"""

import os
import struct
import sys
import time
import zlib

import numpy as np

from pykeops.numpy import Genred, LazyTensor

N = 100_000          # data points x_j in the plane
GRID = 160           # the density is evaluated on GRID x GRID points z_i
H = 0.08             # bandwidth of the Gaussian kernel
K = 10               # neighbours of the kNN query
QUERIES = 10_000     # kNN query points
REGRESS = 4_000      # points of the kernel regression
SAMPLE = 200         # rows checked against dense NumPy
LIM = 3.0            # the picture shows [-LIM, LIM]^2
rng = np.random.default_rng(0)
seconds = [0.0, 0.0]  # wall-clock and CPU time of the reductions


def timed(label, fn, *args):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    seconds[0] += dt
    seconds[1] += dc
    print(f"{label}: {dt:.2f} s ({dc:.1f} s of CPU)")
    return out


def check(name, got, want, rtol):
    err = np.max(np.abs(got - want)) / np.max(np.abs(want))
    print(f"    checked against dense NumPy on {len(want)} rows: max relative error {err:.1e}")
    if not err < rtol:
        raise SystemExit(f"{name}: differs from NumPy (relative error {err:.1e} >= {rtol:.0e})")


def sample_points(n):
    """A ring, a spiral arm and two blobs."""
    parts = []
    k = n // 4
    t = rng.uniform(0, 2 * np.pi, k)
    parts.append(np.c_[1.8 * np.cos(t), 1.8 * np.sin(t)] + 0.07 * rng.standard_normal((k, 2)))
    s = rng.uniform(0.2, 1.0, k) ** 0.7
    a = 4.0 * np.pi * s
    parts.append(np.c_[1.5 * s * np.cos(a), 1.5 * s * np.sin(a)] + 0.05 * rng.standard_normal((k, 2)))
    parts.append(rng.standard_normal((k, 2)) * 0.25 + [-1.9, 1.9])
    parts.append(rng.standard_normal((n - 3 * k, 2)) * [0.5, 0.15] + [1.7, -2.1])
    return np.concatenate(parts)


def write_png(path, rgb):
    """An 8-bit RGB PNG, with zlib and struct only."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[r].tobytes() for r in range(h))  # filter 0 per row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def colormap(t):
    """t in [0, 1] to RGB, through dark blue, purple, orange and light yellow."""
    stops = np.array([[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66],
                      [245, 125, 21], [250, 193, 39], [252, 255, 164]], dtype=float)
    x = np.clip(t, 0, 1) * (len(stops) - 1)
    lo = np.minimum(x.astype(int), len(stops) - 2)
    f = (x - lo)[..., None]
    return ((1 - f) * stops[lo] + f * stops[lo + 1]).astype(np.uint8)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join("build", "demo", "density.png")
    x = sample_points(N)
    print(f"gokeops demo: {N:,} points in the plane\n")

    # 1. Kernel density estimate on a grid: f(z_i) = c * sum_j exp(-|z_i - x_j|^2 / 2h^2).
    # Points are scaled by 1/(sqrt(2) h) first, so that the kernel is Exp(-SqDist).
    t = np.linspace(-LIM, LIM, GRID)
    z = np.stack(np.meshgrid(t, -t), -1).reshape(-1, 2)  # row-major, top row first
    scale = 1 / (np.sqrt(2) * H)
    kde = Genred("Exp(-SqDist(z, x))", ["z = Vi(2)", "x = Vj(2)"], reduction_op="Sum", axis=1)
    z32, x32 = (z * scale).astype(np.float32), (x * scale).astype(np.float32)
    dens = timed(f"[1] kernel density on a {GRID} x {GRID} grid ({GRID * GRID * N / 1e9:.1f}e9 pairs, float32)",
                 kde, z32, x32)
    dens = dens[:, 0] / (N * 2 * np.pi * H * H)
    rows = rng.choice(len(z), SAMPLE, replace=False)
    ref = np.exp(-((z[rows, None, :] - x[None]) ** 2).sum(-1) / (2 * H * H)).sum(1) / (N * 2 * np.pi * H * H)
    check("kernel density", dens[rows], ref, 1e-4)

    # 2. The K nearest data points of random query points.
    q = rng.uniform(-LIM, LIM, (QUERIES, 2))
    knn = Genred("SqDist(q, x)", ["q = Vi(2)", "x = Vj(2)"], reduction_op="ArgKMin", axis=1, opt_arg=K)
    idx = timed(f"[2] {K} nearest neighbours of {QUERIES:,} points ({QUERIES * N / 1e9:.1f}e9 pairs, float64)", knn, q, x)
    d_found = ((q[:SAMPLE, None, :] - x[idx[:SAMPLE]]) ** 2).sum(-1)
    d_true = np.sort(((q[:SAMPLE, None, :] - x[None]) ** 2).sum(-1), axis=1)[:, :K]
    check("kNN distances", d_found, d_true, 1e-12)

    # 3. LazyTensor: Nadaraya-Watson regression of v(x) = sin(2 x_1) x_2 at
    # the query points, sum_j K_ij v_j / sum_j K_ij.
    v = (np.sin(2 * x[:, 0]) * x[:, 1])[:, None]

    def regress(q, x, v):
        q_i, x_j = LazyTensor(q[:, None, :] * scale), LazyTensor(x[None, :, :] * scale)
        K_ij = (-((q_i - x_j) ** 2).sum(-1)).exp()
        return (K_ij @ v) / (K_ij.sum(1) + 1e-300)

    q = q[:REGRESS]
    est = timed(f"[3] LazyTensor kernel regression at {REGRESS:,} points (float64)", regress, q, x, v)
    kq = np.exp(-((q[:SAMPLE, None, :] - x[None]) ** 2).sum(-1) / (2 * H * H))
    ref = (kq @ v) / (kq.sum(1, keepdims=True) + 1e-300)
    check("LazyTensor regression", est[:SAMPLE], ref, 1e-9)

    img = colormap(np.sqrt(dens / dens.max())).reshape(GRID, GRID, 3)
    img = img.repeat(3, axis=0).repeat(3, axis=1)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    write_png(out, img)
    print(f"\nreductions: {seconds[0]:.1f} s ({seconds[1]:.1f} s of CPU) in all")
    print(f"the density picture: {out}")


if __name__ == "__main__":
    main()
