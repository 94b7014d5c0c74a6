"""KernelSolve's solver options: the Nystrom-preconditioned conjugate gradient of the Go
engine, warm starts, tolerances, the convergence report, progress, and scipy interop.
Every solution is checked against numpy.linalg.solve in float64."""

import warnings

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from pykeops_go.numpy import ConvergenceWarning, KernelSolve, LazyTensor
from pykeops_go.numpy.cluster import from_matrix

rng = np.random.default_rng(1)
GAUSS = "Exp(-SqDist(x,y)) * a"


def aliases(D=1, dim=3, axis=1):
    if axis == 1:
        return [f"x = Vi({dim})", f"y = Vj({dim})", f"a = Vj({D})"]
    return [f"x = Vi({dim})", f"y = Vj({dim})", f"a = Vi({D})"]


def gauss(x, y):
    x, y = x.astype(np.float64), y.astype(np.float64)
    return np.exp(-((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))


def rel_residual(A, a, b):
    b = b.astype(np.float64)
    return np.linalg.norm(A @ a.astype(np.float64) - b) / np.linalg.norm(b)


def data(n=300, D=1, dtype=np.float64, dim=3):
    return rng.standard_normal((n, dim)).astype(dtype), rng.random((n, D)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("D", [1, 3])
@pytest.mark.parametrize("landmarks", ["uniform", "cluster", "auto"])
def test_nystrom_matches_dense_solve(dtype, D, landmarks):
    x, b = data(400, D, dtype)
    ks = KernelSolve(GAUSS, aliases(D), "a", axis=1)
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    a, info = ks(x, x, b, alpha=0.1, precond="nystrom", rank=100, landmarks=landmarks,
                 rtol=rtol, return_info=True)
    A = gauss(x, x) + 0.1 * np.eye(len(x))
    ref = np.linalg.solve(A, b.astype(np.float64))
    assert a.shape == b.shape and a.dtype == dtype
    assert info.converged and info.precond == "nystrom" and info.rank == 100 and info.info == 0
    assert rel_residual(A, a, b) <= 3 * rtol
    # The solution error of a system of condition number ~ 1e3: within 1e3 x the residual.
    np.testing.assert_allclose(a, ref, atol=3e3 * rtol * np.abs(ref).max())
    assert ks.last_info is info


def test_nystrom_cuts_the_iterations_and_agrees_with_plain_cg():
    """Same tolerance, same solution (within it), several times fewer products."""
    x, b = data(600)
    ks = KernelSolve(GAUSS, aliases(), "a", axis=1)
    a0, i0 = ks(x, x, b, alpha=0.1, rtol=1e-8, return_info=True)
    a1, i1 = ks(x, x, b, alpha=0.1, rtol=1e-8, precond="nystrom", rank=200, return_info=True)
    A = gauss(x, x) + 0.1 * np.eye(len(x))
    assert i0.converged and i1.converged and i0.precond is None
    assert rel_residual(A, a0, b) <= 2e-8 and rel_residual(A, a1, b) <= 2e-8
    assert i1.iterations * 3 <= i0.iterations, (i0.iterations, i1.iterations)
    assert i1.products == i1.iterations  # the set-up costs no full product
    np.testing.assert_allclose(a1, a0, atol=1e-4 * np.abs(a0).max())


def test_nystrom_axis0_and_given_landmarks():
    x, b = data(250, 2)
    ks = KernelSolve(GAUSS, aliases(2, axis=0), "a", axis=0)
    idx = np.arange(0, 250, 5)
    a, info = ks(x, x, b, alpha=0.3, precond="nystrom", landmarks=idx, rtol=1e-10, return_info=True)
    A = gauss(x, x) + 0.3 * np.eye(250)
    assert info.rank == idx.size and info.converged
    np.testing.assert_allclose(a, np.linalg.solve(A, b), atol=1e-7)


def test_nystrom_full_rank_solves_in_a_few_iterations():
    x, b = data(150)
    ks = KernelSolve(GAUSS, aliases(), "a", axis=1)
    a, info = ks(x, x, b, alpha=0.1, precond="nystrom", rank=150, rtol=1e-10, return_info=True)
    A = gauss(x, x) + 0.1 * np.eye(150)
    assert info.iterations <= 3 and rel_residual(A, a, b) <= 1e-9


def test_nystrom_with_parameter_and_var_unknown():
    """A Pm argument and the unknown written Var(pos,dim,cat) in the formula."""
    x, b = data(200)
    g = np.array([0.7])
    f = "Exp(-g * SqDist(x,y)) * Var(3,1,1)"
    ks = KernelSolve(f, ["g = Pm(1)", "x = Vi(3)", "y = Vj(3)"], "Var(3,1,1)", axis=1)
    a = ks(g, x, x, b, alpha=0.2, precond="nystrom", rank=60, rtol=1e-10)
    K = np.exp(-0.7 * ((x[:, None] - x[None]) ** 2).sum(-1)) + 0.2 * np.eye(200)
    np.testing.assert_allclose(a, np.linalg.solve(K, b), atol=1e-7)


def test_nystrom_rejects_a_non_symmetric_kernel():
    x, b = data(100)
    ks = KernelSolve("Exp(-SqNorm2(x - 2 * y)) * a", aliases(), "a", axis=1)
    with pytest.raises(ValueError, match="symmetric"):
        ks(x, x, b, alpha=0.1, precond="nystrom", rank=30)
    # Different points for x and y: not symmetric either.
    y = rng.standard_normal((100, 3))
    with pytest.raises(ValueError, match="symmetric"):
        KernelSolve(GAUSS, aliases(), "a", axis=1)(x, y, b, alpha=0.1, precond="nystrom", rank=30)


def test_nystrom_indefinite_kernel_falls_back_and_plain_cg_stays_right():
    """-0.001 K is negative semi-definite, but alpha Id - 0.001 K (alpha = 1) is positive
    definite: the preconditioner does not apply, plain CG solves it."""
    x, b = data(120)
    ks = KernelSolve("IntInv(-1000) * Exp(-SqDist(x,y)) * a", aliases(), "a", axis=1)
    with pytest.warns(RuntimeWarning, match="not positive definite.*plain conjugate gradient"):
        a, info = ks(x, x, b, alpha=1.0, precond="nystrom", rtol=1e-10, return_info=True)
    assert info.precond is None and info.converged
    A = 1.0 * np.eye(120) - 0.001 * gauss(x, x)
    np.testing.assert_allclose(a, np.linalg.solve(A, b), atol=1e-8)


def test_indefinite_system_raises():
    """alpha Id - K with K's largest eigenvalue above alpha: not positive definite."""
    x, b = data(120)
    ks = KernelSolve("IntInv(-1) * Exp(-SqDist(x,y)) * a", aliases(), "a", axis=1)
    with pytest.raises(ValueError, match="not positive definite"):
        ks(x, x, b, alpha=0.5)
    with pytest.warns(RuntimeWarning, match="plain conjugate gradient"):
        with pytest.raises(ValueError, match="not positive definite"):
            ks(x, x, b, alpha=0.5, precond="nystrom")


def test_nystrom_alpha_zero_falls_back():
    x = rng.standard_normal((60, 3)) * 3
    b = rng.random((60, 1))
    ks = KernelSolve("Exp(-Norm2(x-y)) * a", aliases(), "a", axis=1)
    with pytest.warns(RuntimeWarning, match="alpha > 0"):
        a = ks(x, x, b, alpha=0, precond="nystrom", eps=1e-10)
    K = np.exp(-np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1)))
    np.testing.assert_allclose(K @ a, b, atol=1e-8)


def test_nystrom_non_scalar_kernel_falls_back():
    """K(x, y) diag(w) a is symmetric positive definite but not k(x, y) a."""
    x, b = data(80, 2)
    w = np.array([1.0, 3.0])
    ks = KernelSolve("Exp(-SqDist(x,y)) * (w * a)", ["w = Pm(2)", *aliases(2)], "a", axis=1)
    with pytest.warns(RuntimeWarning, match="scalar kernel"):
        a = ks(w, x, x, b, alpha=0.5, precond="nystrom", rank=20, rtol=1e-10)
    K = gauss(x, x)
    for c in range(2):
        np.testing.assert_allclose(a[:, c], np.linalg.solve(w[c] * K + 0.5 * np.eye(80), b[:, c]),
                                   atol=1e-7)


def test_nystrom_rejects_ranges_and_batches():
    x, b = data(40)
    ks = KernelSolve(GAUSS, aliases(), "a", axis=1)
    r = np.array([[0, 20], [20, 40]])
    with pytest.raises(ValueError, match="ranges"):
        ks(x, x, b, alpha=0.1, precond="nystrom", ranges=from_matrix(r, r, np.eye(2, dtype=bool)))
    with pytest.raises(ValueError, match="batch"):
        ks(x[None], x[None], b[None], alpha=0.1, precond="nystrom")


@pytest.mark.parametrize("kw, match", [
    (dict(precond="jacobi"), "precond"),
    (dict(precond="nystrom", rank=0), "rank"),
    (dict(precond="nystrom", rank=2.5), "rank"),
    (dict(precond="nystrom", landmarks="kmeans"), "landmarks"),
    (dict(precond="nystrom", landmarks=[-1, 3]), "landmark"),
    (dict(precond="nystrom", landmarks=[0.5]), "landmarks"),
    (dict(rtol=-1), "rtol"),
    (dict(eps=float("nan")), "eps"),
    (dict(maxiter=-1), "maxiter"),
    (dict(maxiter=2.0), "maxiter"),
    (dict(verbose="yes"), "verbose"),
    (dict(alpha=float("inf")), "alpha"),
    (dict(x0=np.zeros((3, 1))), "x0"),
    (dict(precond="nystrom", inner_dtype="float16"), "inner_dtype"),
    (dict(precond="nystrom", inner_dtype=np.float32), "inner_dtype"),
    (dict(inner_dtype="float32"), "inner_dtype"),
])
def test_bad_solver_arguments(kw, match):
    x, b = data(30)
    ks = KernelSolve(GAUSS, aliases(), "a", axis=1)
    kw = {"alpha": 0.1, **kw}
    with pytest.raises(ValueError, match=match):
        ks(x, x, b, **kw)


def test_callback_must_be_callable():
    x, b = data(30)
    with pytest.raises(TypeError, match="callback"):
        KernelSolve(GAUSS, aliases(), "a", axis=1)(x, x, b, alpha=0.1, callback=3)


@pytest.mark.parametrize("precond", [None, "nystrom"])
def test_warm_start_maxiter_and_report(precond):
    x, b = data(200)
    ks = KernelSolve(GAUSS, aliases(), "a", axis=1)
    A = gauss(x, x) + 0.1 * np.eye(200)
    ref = np.linalg.solve(A, b)
    kw = dict(alpha=0.1, precond=precond, rank=20)
    # Warm start at the solution: no iteration.
    a, info = ks(x, x, b, x0=ref, rtol=1e-8, return_info=True, **kw)
    assert info.converged and info.iterations == 0
    np.testing.assert_allclose(a, ref, atol=1e-12)
    # An iteration cap below what the tolerance needs: a ConvergenceWarning, scipy's info.
    with pytest.warns(ConvergenceWarning, match="in 2 iterations"):
        a, info = ks(x, x, b, rtol=1e-12, maxiter=2, return_info=True, **kw)
    assert not info.converged and info.iterations == 2 and info.info == 2
    assert info.stop == "maximum number of iterations reached"
    assert abs(rel_residual(A, a, b) - info.residual) <= 1e-6
    # A warm start from that iterate finishes the job.
    a2, info2 = ks(x, x, b, x0=a, rtol=1e-10, return_info=True, **kw)
    assert info2.converged and rel_residual(A, a2, b) <= 2e-10
    # maxiter = 0 returns the start, as an array.
    with pytest.warns(ConvergenceWarning):
        z = ks(x, x, b, maxiter=0, **kw)
    assert isinstance(z, np.ndarray) and z.shape == b.shape and not z.any()


@pytest.mark.parametrize("precond", [None, "nystrom"])
def test_callback_and_verbose(precond, capsys):
    x, b = data(150)
    ks = KernelSolve(GAUSS, aliases(), "a", axis=1)
    seen = []

    def cb(it, a, rel):
        assert a.shape == b.shape
        seen.append((it, rel))

    a, info = ks(x, x, b, alpha=0.1, precond=precond, rank=30, rtol=1e-8, callback=cb,
                 verbose=1e-9, return_info=True)
    assert [s[0] for s in seen] == list(range(1, info.iterations + 1))
    assert seen[-1][1] <= 1e-8
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == info.iterations + 1  # every iteration (1 ns apart), then the last again
    assert lines[-1].startswith(f"KernelSolve: iteration {info.iterations}, relative residual")
    # Rate-limited: once an hour prints the first iteration and the final line only.
    ks(x, x, b, alpha=0.1, precond=precond, rank=30, rtol=1e-8, verbose=3600)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("KernelSolve: iteration 1,")


def test_lazytensor_solve_options():
    x, b = data(300)
    x_i, x_j = LazyTensor(x[:, None, :]), LazyTensor(x[None, :, :])
    K = (-((x_i - x_j) ** 2).sum(-1)).exp()
    a = K.solve(b, alpha=0.1, precond="nystrom", rank=80, rtol=1e-10)
    A = gauss(x, x) + 0.1 * np.eye(300)
    np.testing.assert_allclose(a, np.linalg.solve(A, b), atol=1e-7)
    v = K.solve(b[:, 0], alpha=0.1, precond="nystrom", rank=80, rtol=1e-10)
    assert v.shape == (300,)
    np.testing.assert_allclose(v, a[:, 0], atol=1e-7)
    m, info = K.solve(b, alpha=0.1, precond="nystrom", rank=80, rtol=1e-10, inner_dtype="float32",
                      return_info=True)
    assert info.inner_dtype == "float32" and rel_residual(A, m, b) <= 1e-10


def test_scipy_linear_operators():
    x, b = data(200)
    A = gauss(x, x) + 0.1 * np.eye(200)
    # A LazyTensor kernel as a LinearOperator: cg and eigsh.
    x_i, x_j = LazyTensor(x[:, None, :]), LazyTensor(x[None, :, :])
    K = (-((x_i - x_j) ** 2).sum(-1)).exp()
    op = spla.aslinearoperator(K)
    assert op.shape == (200, 200)
    w = spla.eigsh(op, k=4, which="LM", return_eigenvectors=False)
    np.testing.assert_allclose(np.sort(w), np.linalg.eigvalsh(gauss(x, x))[-4:], rtol=1e-8)
    reg = op + 0.1 * spla.aslinearoperator(np.eye(200))
    sol, info = spla.cg(reg, b[:, 0], rtol=1e-10, maxiter=2000)
    assert info == 0
    np.testing.assert_allclose(sol, np.linalg.solve(A, b[:, 0]), atol=1e-6)
    # KernelSolve's operator alpha Id + K, and its inverse.
    ks = KernelSolve(GAUSS, aliases(), "a", axis=1)
    fwd = ks.aslinearoperator(x, x, b, alpha=0.1)
    np.testing.assert_allclose(fwd.matvec(b[:, 0]), A @ b[:, 0], rtol=1e-12)
    sol, info = spla.cg(fwd, b[:, 0], rtol=1e-10, maxiter=2000)
    assert info == 0
    np.testing.assert_allclose(sol, np.linalg.solve(A, b[:, 0]), atol=1e-6)
    inv = ks.aslinearoperator(x, x, b, alpha=0.1, inverse=True, precond="nystrom", rank=50,
                              rtol=1e-11)
    np.testing.assert_allclose(inv @ b[:, 0], np.linalg.solve(A, b[:, 0]), atol=1e-8)
    w = spla.eigsh(fwd, k=3, which="LM", return_eigenvectors=False)
    np.testing.assert_allclose(np.sort(w), np.linalg.eigvalsh(A)[-3:], rtol=1e-8)
    v = rng.standard_normal(200)
    np.testing.assert_allclose(inv.matvec(fwd.matvec(v)), v, atol=1e-8 * np.abs(v).max() * 1e3)


# ---- bad systems: never worse than the start, never a hang -------------------------

def test_singular_system_without_ridge_stops_early_and_is_not_worse_than_zero():
    """Duplicated points and alpha = 0: K is singular; b is not in its range."""
    x = rng.standard_normal((150, 3))
    x = np.concatenate([x, x])
    b = rng.random((300, 1))
    ks = KernelSolve(GAUSS, aliases(), "a", axis=1)
    with pytest.warns(ConvergenceWarning):
        a, info = ks(x, x, b, alpha=0, return_info=True)
    assert not info.converged and info.iterations < 1500  # 10 x N would be 3000
    K = gauss(x, x)
    r = np.linalg.norm(K @ a - b)
    assert r <= np.linalg.norm(b) * (1 + 1e-12)
    assert abs(r / np.linalg.norm(b) - info.residual) <= 1e-6


def test_empty_system():
    ks = KernelSolve(GAUSS, aliases(), "a", axis=1)
    e = np.zeros((0, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, info = ks(e, e, np.zeros((0, 1)), alpha=0.1, return_info=True)
    assert a.shape == (0, 1) and info.converged and info.iterations == 0


@pytest.mark.parametrize("precond", [None, "nystrom"])
def test_eps_zero_reaches_machine_precision(precond):
    x, b = data(100)
    ks = KernelSolve(GAUSS, aliases(), "a", axis=1)
    A = gauss(x, x) + 1.0 * np.eye(100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # eps=0 may stop on stagnation
        a, info = ks(x, x, b, alpha=1.0, eps=0, precond=precond, rank=20, return_info=True)
    assert rel_residual(A, a, b) <= 1e-13
    assert info.converged or info.stop != "maximum number of iterations reached"


@pytest.mark.parametrize("D", [1, 3])
@pytest.mark.parametrize("rtol", [1e-6, 1e-10])
def test_float32_inner_products_meet_the_float64_tolerance(D, rtol):
    """inner_dtype='float32': the iterations run on float32 products, the tolerance is
    met by the float64 residual, checked here against the dense float64 system."""
    x, b = data(400, D)
    ks = KernelSolve(GAUSS, aliases(D), "a", axis=1)
    seen = []
    a, info = ks(x, x, b, alpha=0.1, precond="nystrom", rank=100, rtol=rtol, inner_dtype="float32",
                 callback=lambda it, a, rel: seen.append(it), return_info=True)
    A = gauss(x, x) + 0.1 * np.eye(len(x))
    ref = np.linalg.solve(A, b)
    assert a.dtype == np.float64 and info.converged and info.inner_dtype == "float32"
    # float32 products are ~1e-7 accurate: a float64 tolerance takes at least two refinements.
    assert info.refinements >= 2 and info.products == info.iterations + info.refinements
    assert seen == list(range(1, info.iterations + 1))
    true = rel_residual(A, a, b)
    assert true <= rtol and abs(true - info.residual) <= 1e-3 * true
    np.testing.assert_allclose(a, ref, atol=3e3 * rtol * np.abs(ref).max())
    # The same solve in float64 throughout: as accurate, and every product in float64.
    a64, info64 = ks(x, x, b, alpha=0.1, precond="nystrom", rank=100, rtol=rtol, return_info=True)
    assert info64.inner_dtype is None and info64.refinements == 0 and info64.products == info64.iterations
    np.testing.assert_allclose(a, a64, atol=3e3 * rtol * np.abs(ref).max())


def test_float32_inner_products_too_coarse_still_converge():
    """Points far from the origin: float32 rounds their differences by ~10%, a refinement
    step does not halve the residual and the solve finishes in float64, to the tolerance."""
    x, b = data(200)
    x = x + 1e6
    ks = KernelSolve(GAUSS, aliases(), "a", axis=1)
    a, info = ks(x, x, b, alpha=0.1, precond="nystrom", rank=50, rtol=1e-9, inner_dtype="float32",
                 return_info=True)
    A = gauss(x, x) + 0.1 * np.eye(len(x))
    assert info.converged and rel_residual(A, a, b) <= 1e-9
    np.testing.assert_allclose(a, np.linalg.solve(A, b), atol=1e-6)


def test_float32_inner_dtype_is_ignored_for_float32_data():
    x, b = data(200, dtype=np.float32)
    ks = KernelSolve(GAUSS, aliases(), "a", axis=1)
    a, info = ks(x, x, b, alpha=0.1, precond="nystrom", rank=50, rtol=1e-4, inner_dtype="float32",
                 return_info=True)
    A = gauss(x, x) + 0.1 * np.eye(len(x))
    assert a.dtype == np.float32 and info.inner_dtype is None and info.refinements == 0
    assert info.converged and rel_residual(A, a, b) <= 3e-4


def test_nystrom_setup_without_scipy_is_the_same(monkeypatch):
    """Without SciPy the engine runs the O(N m^2) set-up itself: same preconditioner, same
    iterations, same solution."""
    import sys
    x, b = data(500, 2)
    ks = KernelSolve(GAUSS, aliases(2), "a", axis=1)
    kw = dict(alpha=0.1, precond="nystrom", rank=120, rtol=1e-10, return_info=True)
    a1, i1 = ks(x, x, b, **kw)
    monkeypatch.setitem(sys.modules, "scipy.linalg", None)  # import scipy.linalg raises ImportError
    a2, i2 = ks(x, x, b, **kw)
    A = gauss(x, x) + 0.1 * np.eye(len(x))
    assert i1.converged and i2.converged and abs(i1.iterations - i2.iterations) <= 1
    assert rel_residual(A, a1, b) <= 1e-10 and rel_residual(A, a2, b) <= 1e-10
    np.testing.assert_allclose(a1, a2, atol=1e-7 * np.abs(a1).max())
