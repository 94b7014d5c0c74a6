"""Writes the golden files of the gokeops command's tests with NumPy.

Run from this directory: python gen.py. Inputs come in the layouts the
command must read (C and Fortran order, little- and big-endian, float32);
expected outputs are dense NumPy computations in float64.
"""
import numpy as np

rng = np.random.default_rng(20261201)
M, N, D = 23, 31, 3
x = rng.standard_normal((M, D))
y = rng.standard_normal((N, D))
b = rng.standard_normal((N, 1))
g = np.array([0.7])

np.save("x.npy", x)
np.save("y.npy", y)
np.save("b.npy", b)
np.save("g.npy", g)
np.save("w.npy", x[:, :1].copy())
np.save("x_fortran.npy", np.asfortranarray(x))
np.save("y_bigendian.npy", y.astype(">f8"))
np.save("x_f32.npy", x.astype(np.float32))
np.save("y_f32_fortran_bigendian.npy", np.asfortranarray(y.astype(">f4")))
np.save("b_f32.npy", b.astype(np.float32))
np.save("b_flat.npy", b[:, 0])
np.save("x_int.npy", np.arange(M * D).reshape(M, D))
np.save("x_3d.npy", x.reshape(1, M, D))

d2 = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)  # (M, N)
K = np.exp(-g[0] * d2)
np.save("want_gauss_axis1.npy", K @ b)                      # Sum over j
np.save("want_gauss_axis0.npy", K.T @ x[:, :1])             # Sum over i, weights x[:, 0]
np.save("want_argkmin.npy", np.argsort(d2, axis=1, kind="stable")[:, :4].astype(np.int64))
np.save("want_kmin.npy", np.sort(d2, axis=1)[:, :4])
np.save("want_lse.npy", np.log(np.exp(-d2).sum(1, keepdims=True)))

# Block-sparse ranges: rows [0, 10) see j in [0, 12), rows [10, 23) see
# j in [5, 20) and [25, 31).
ranges_i = np.array([[0, 10], [10, M]], dtype=np.int64)
slices_i = np.array([1, 3], dtype=np.int64)
redranges_j = np.array([[0, 12], [5, 20], [25, N]], dtype=np.int64)
ranges_j = np.array([[0, N]], dtype=np.int64)
slices_j = np.array([1], dtype=np.int64)
redranges_i = np.array([[0, M]], dtype=np.int64)
np.savez("ranges.npz", ranges_i=ranges_i, slices_i=slices_i, redranges_j=redranges_j,
         ranges_j=ranges_j, slices_j=slices_j, redranges_i=redranges_i)
np.savez("ranges_positional.npz", ranges_i, slices_i, redranges_j, ranges_j, slices_j, redranges_i)
mask = np.zeros((M, N), bool)
mask[0:10, 0:12] = True
mask[10:M, 5:20] = True
mask[10:M, 25:N] = True
np.save("want_gauss_ranges.npy", (K * mask) @ b)

# Malformed files.
raw = open("x.npy", "rb").read()
open("bad_magic.npy", "wb").write(b"\x93NUMPX" + raw[6:])
open("truncated_header.npy", "wb").write(raw[:40])
open("truncated_data.npy", "wb").write(raw[:-8])
open("empty.npy", "wb").write(b"")
open("bad_header.npy", "wb").write(raw[:10] + b"{'descr': '<f8', 'fortran_order': Maybe, 'shape': (23, 3), }".ljust(117) + b"\n" + raw[128:])
