"""Data of the LazyTensor tests: small i/j point sets and their dense NumPy broadcasts."""

import numpy as np

DTYPES = [np.float32, np.float64]
M, N, D = 5, 7, 3


def data(dtype, seed=0):
    """x (M,D), y (N,D) in (0.1, 0.9); a (M,1), b (N,2); p (D,); integer-valued xk, yk."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0.1, 0.9, (M, D)), rng.uniform(0.1, 0.9, (N, D))
    a, b = rng.uniform(0.5, 1.5, (M, 1)), rng.uniform(0.5, 1.5, (N, 2))
    p = rng.uniform(0.5, 1.5, D)
    xk, yk = rng.integers(-2, 3, (M, D)), rng.integers(-2, 3, (N, D))
    return {k: v.astype(dtype) for k, v in dict(x=x, y=y, a=a, b=b, p=p, xk=xk, yk=yk).items()}


def I(v):  # noqa: E743 - an i-variable broadcast to (M, 1, D)
    return v.astype(np.float64)[:, None, :]


def J(v):  # a j-variable broadcast to (1, N, D)
    return v.astype(np.float64)[None, :, :]
