"""KernelSolve (spec api-numpy.md §3, dims-and-errors.md §E) against numpy.linalg.solve."""

import numpy as np
import pytest

from pykeops_go.common.operations import ConjugateGradientSolver, conjugate_gradient
from pykeops_go.numpy import Genred, KernelSolve
from pykeops_go.numpy.cluster import from_matrix

rng = np.random.default_rng(0)
GAUSS = "Exp(-SqDist(x,y)) * a"


def gauss(x, y):
    x, y = x.astype(np.float64), y.astype(np.float64)
    return np.exp(-((x[..., :, None, :] - y[..., None, :, :]) ** 2).sum(-1))


def rms(r):
    return np.sqrt(np.mean(np.asarray(r, np.float64) ** 2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("D", [1, 3])
def test_gaussian_solve_axis1(dtype, D):
    """The documented pattern: a = Vj(D), axis=1, the same points as Vi and Vj."""
    x = rng.normal(size=(200, 3)).astype(dtype)
    b = rng.normal(size=(200, D)).astype(dtype)
    K_inv = KernelSolve(GAUSS, ["x = Vi(3)", "y = Vj(3)", f"a = Vj({D})"], "a", axis=1)
    a = K_inv(x, x, b, alpha=0.5)
    assert a.shape == b.shape and a.dtype == dtype
    A = gauss(x, x) + 0.5 * np.eye(200)
    ref = np.linalg.solve(A, b.astype(np.float64))
    tol = 1e-5 if dtype == np.float64 else 1e-4
    assert rms(A @ a - b) < tol
    np.testing.assert_allclose(a, ref, atol=10 * tol)


def test_residual_below_eps_float64():
    """The stopping rule: RMS of the (recursive) residual < eps; the true residual
    is at that level too."""
    x = rng.normal(size=(150, 2))
    b = rng.normal(size=(150, 2))
    K_inv = KernelSolve(GAUSS, ["x = Vi(2)", "y = Vj(2)", "a = Vj(2)"], "a", axis=1)
    A = gauss(x, x) + 0.1 * np.eye(150)
    for eps in (1e-4, 1e-8):
        a = K_inv(x, x, b, alpha=0.1, eps=eps)
        assert rms(A @ a - b) < 2 * eps


def test_axis0_unknown_indexed_by_i():
    x = rng.normal(size=(120, 3))
    b = rng.normal(size=(120, 2))
    K_inv = KernelSolve(GAUSS, ["x = Vi(3)", "y = Vj(3)", "a = Vi(2)"], "a", axis=0)
    a = K_inv(x, x, b, alpha=0.3)
    np.testing.assert_allclose(a, np.linalg.solve(gauss(x, x) + 0.3 * np.eye(120), b), atol=1e-5)


def test_var_form_of_the_unknown_and_positions():
    """varinvalias as "Var(pos,dim,cat)"; aliases with explicit positions."""
    x = rng.normal(size=(80, 3))
    b = rng.normal(size=(80, 1))
    K_inv = KernelSolve("Exp(-SqDist(x,y)) * Var(2,1,1)", ["y = Vj(1,3)", "x = Vi(0,3)"],
                        "Var(2,1,1)", axis=1)
    assert K_inv.varinvpos == 2 and K_inv.aliases[-1] == "Var(2,1,1)"
    a = K_inv(x, x, b, alpha=1.0)
    np.testing.assert_allclose(a, np.linalg.solve(gauss(x, x) + np.eye(80), b), atol=1e-5)


def test_unknown_not_last():
    x = rng.normal(size=(60, 2))
    b = rng.normal(size=(60, 1))
    K_inv = KernelSolve("Exp(-SqDist(x,y)) * a", ["a = Vj(1)", "x = Vi(2)", "y = Vj(2)"], "a", axis=1)
    a = K_inv(b, x, x, alpha=0.2)
    np.testing.assert_allclose(a, np.linalg.solve(gauss(x, x) + 0.2 * np.eye(60), b), atol=1e-5)


def test_alpha_zero_skips_the_ridge():
    """A Laplace kernel exp(-|x-y|) is positive definite: solvable without ridge."""
    x = rng.normal(size=(50, 3)) * 3
    b = rng.normal(size=(50, 1))
    K_inv = KernelSolve("Exp(-Norm2(x-y)) * a", ["x = Vi(3)", "y = Vj(3)", "a = Vj(1)"], "a", axis=1)
    a = K_inv(x, x, b, alpha=0, eps=1e-10)
    xd = x[:, None] - x[None]
    K = np.exp(-np.sqrt((xd**2).sum(-1)))
    np.testing.assert_allclose(K @ a, b, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_rhs_returns_zeros(dtype):
    """sum(b**2) < b.size * eps**2: returns 0 * b immediately."""
    x = rng.normal(size=(10, 3)).astype(dtype)
    b = np.full((10, 2), 1e-8, dtype)
    K_inv = KernelSolve(GAUSS, ["x = Vi(3)", "y = Vj(3)", "a = Vj(2)"], "a", axis=1)
    a = K_inv(x, x, b)
    assert a.shape == b.shape and a.dtype == dtype and not a.any()


def test_ranges_block_diagonal():
    """With ranges, K is the block-sparse kernel: here two independent blocks."""
    x = rng.normal(size=(40, 2))
    b = rng.normal(size=(40, 1))
    r = np.array([[0, 15], [15, 40]])
    ranges = from_matrix(r, r, np.eye(2, dtype=bool))
    K_inv = KernelSolve(GAUSS, ["x = Vi(2)", "y = Vj(2)", "a = Vj(1)"], "a", axis=1)
    a = K_inv(x, x, b, alpha=0.5, ranges=ranges)
    K = gauss(x, x)
    K[:15, 15:] = K[15:, :15] = 0
    np.testing.assert_allclose(a, np.linalg.solve(K + 0.5 * np.eye(40), b), atol=1e-5)


def test_batch_dims():
    x = rng.normal(size=(2, 30, 3))
    b = rng.normal(size=(2, 30, 2))
    K_inv = KernelSolve(GAUSS, ["x = Vi(3)", "y = Vj(3)", "a = Vj(2)"], "a", axis=1)
    a = K_inv(x, x, b, alpha=0.4)
    assert a.shape == b.shape
    for k in range(2):
        ref = np.linalg.solve(gauss(x[k], x[k]) + 0.4 * np.eye(30), b[k])
        np.testing.assert_allclose(a[k], ref, atol=1e-5)


def test_pm_parameter_and_genred_consistency():
    """The solution satisfies alpha*a + Genred(...)(a) = b with the same formula."""
    x = rng.normal(size=(70, 3)).astype(np.float32)
    b = rng.normal(size=(70, 2)).astype(np.float32)
    g = np.array([0.5], np.float32)
    formula, aliases = "Exp(-g * SqDist(x,y)) * a", ["g = Pm(1)", "x = Vi(3)", "y = Vj(3)", "a = Vj(2)"]
    a = KernelSolve(formula, aliases, "a", axis=1)(g, x, x, b, alpha=0.25)
    res = 0.25 * a + Genred(formula, aliases, axis=1)(g, x, x, a)
    assert rms(res - b) < 1e-4


def test_cg_follows_the_spec_iteration():
    """conjugate_gradient is pykeops 2.3's loop: same iterates (bitwise), one linop call
    per iteration, all columns jointly."""
    n = 40
    M = rng.normal(size=(n, n))
    A = M @ M.T / n + 0.1 * np.eye(n)
    b = rng.normal(size=(n, 3))
    calls = []

    def linop(v):
        calls.append(1)
        return A @ v

    def spec(b, eps):
        delta = b.size * eps**2
        a, r = 0, np.copy(b)
        nr2 = (r**2).sum()
        if nr2 < delta:
            return 0 * r, 0
        p, it = np.copy(r), 0
        while True:
            it += 1
            Mp = A @ p
            alp = nr2 / (p * Mp).sum()
            a = a + alp * p
            r = r - alp * Mp
            nr2new = (r**2).sum()
            if nr2new < delta:
                return a, it
            p = r + (nr2new / nr2) * p
            nr2 = nr2new

    ref, iters = spec(b, 1e-9)
    a = conjugate_gradient(linop, b, eps=1e-9)
    np.testing.assert_array_equal(a, ref)
    assert len(calls) == iters
    np.testing.assert_array_equal(ConjugateGradientSolver("numpy", linop, b, eps=1e-9), ref)


def test_x0_and_maxiter_extensions():
    n = 30
    M = rng.normal(size=(n, n))
    A = M @ M.T / n + 0.5 * np.eye(n)
    b = rng.normal(size=(n, 1))
    ref = np.linalg.solve(A, b)
    np.testing.assert_allclose(conjugate_gradient(lambda v: A @ v, b, eps=1e-12, x0=ref), ref, atol=1e-10)
    with pytest.warns(RuntimeWarning, match="in 2 iterations"):
        conjugate_gradient(lambda v: A @ v, b, eps=1e-12, maxiter=2)


def test_aliases_completed_in_place():
    """As pykeops: the caller's list gains the Var(...) of the formula; a tuple is copied."""
    aliases = ["x = Vi(3)", "y = Vj(3)"]
    K_inv = KernelSolve("Exp(-SqDist(x,y)) * Var(2,1,1)", aliases, "Var(2,1,1)", axis=1)
    assert aliases == ["x = Vi(3)", "y = Vj(3)", "Var(2,1,1)"] and K_inv.aliases == aliases
    K_inv = KernelSolve("Exp(-SqDist(x,y)) * Var(2,1,1)", ("x = Vi(3)", "y = Vj(3)"), "Var(2,1,1)", axis=1)
    assert len(K_inv.aliases) == 3
