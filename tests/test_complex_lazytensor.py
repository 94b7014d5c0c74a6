"""ComplexLazyTensor against NumPy complex arithmetic (spec api-numpy.md §5.9)."""

import numpy as np
import pytest
from conftest import assert_close

from pykeops_go.numpy import ComplexLazyTensor, LazyTensor, Pm, Vi, Vj

DTYPES = [np.float32, np.float64]  # real dtypes; the complex ones are complex64 / complex128
CDTYPE = {np.float32: np.complex64, np.float64: np.complex128}
M, N, D = 4, 6, 3


def data(dtype, seed=0):
    """z (M,D), w (N,D) complex; r (N,D) and s (N,1) real, all away from 0."""
    rng = np.random.default_rng(seed)

    def c(*shape):
        return rng.uniform(0.5, 1.5, shape) * np.exp(1j * rng.uniform(-3, 3, shape))

    z, w = c(M, D).astype(CDTYPE[dtype]), c(N, D).astype(CDTYPE[dtype])
    r, s = rng.uniform(0.5, 1.5, (N, D)).astype(dtype), rng.uniform(0.5, 1.5, (N, 1)).astype(dtype)
    return z, w, r, s


def assert_complex_close(res, ref, dtype):
    """Real and imaginary parts within the tolerance of dtype, relative to max |ref|."""
    res, ref = np.asarray(res), np.asarray(ref)
    assert res.shape == ref.shape, (res.shape, ref.shape)
    scale = np.abs(ref).max()
    assert_close(res.real, ref.real, dtype, scale=scale)
    assert_close(np.imag(res), np.imag(ref), dtype, scale=scale)


def check(lt_fn, np_fn, dtype, out_complex=True):
    """Reduce lt_fn(Vi(z), Vj(w), Vj(r), Vj(s)) over j; compare with np_fn on broadcast arrays."""
    z, w, r, s = data(dtype)
    res = lt_fn(Vi(z), Vj(w), Vj(r), Vj(s)).sum(axis=1)
    dense = np_fn(z[:, None, :].astype(complex), w[None].astype(complex), r[None].astype(float),
                  s[None].astype(float))
    ref = np.broadcast_to(dense, (M, N, dense.shape[-1])).sum(1)
    assert res.dtype == (CDTYPE[dtype] if out_complex else dtype)
    assert_complex_close(res, ref, dtype)


# ------------------------------------------------------------------ construction
def test_complex_scalars_lists_and_arrays():
    c = LazyTensor(1 + 2j)
    assert isinstance(c, ComplexLazyTensor) and (c.ndim, c.axis, c.dtype) == (2, 2, None)
    assert c.shape == (1, 1) and c._shape == (1, 1, 1)
    lst = LazyTensor([1 + 2j, 3.0])  # pykeops mangles lists of more than one complex number
    assert lst.ndim == 4 and lst._vars[next(iter(lst._vars))] == [1.0, 2.0, 3.0, 0.0]
    z = np.ones((M, D), np.complex64)
    zi = Vi(z)
    assert isinstance(zi, ComplexLazyTensor) and zi.ndim == 2 * D and zi.ni == M
    assert zi.dtype == "complex64" and zi.shape == (M, 1, D)
    zj = LazyTensor(np.ones((1, N, D), np.complex128))
    assert (zj.axis, zj.nj, zj.dtype) == (1, N, "complex128")
    p = Pm(np.array([1j, 2.0]))
    assert (p.ndim, p.axis, p.dtype) == (4, 2, "complex128")
    zb = LazyTensor(np.ones((2, M, 1, D), np.complex128))
    assert zb.batchdims == (2,) and zb.shape == (2, M, 1, D)
    interleaved = LazyTensor(np.ones((M, 2 * D)), axis=0, is_complex=True)
    assert isinstance(interleaved, ComplexLazyTensor) and interleaved.shape == (M, 1, D)
    with pytest.raises(ValueError, match="even"):
        LazyTensor(np.ones((M, 3)), axis=0, is_complex=True)


def test_complex_list_parameter_values():
    z = data(np.float64)[0]
    c = [1 + 2j, 3 - 1j, -0.5j]
    res = (Vi(z) * LazyTensor(c)).sum(1)  # no j variable: a single term
    assert_complex_close(res, z * np.array(c), np.float64)


# ------------------------------------------------------------------ arithmetic
ARITHMETIC = {  # name: (LazyTensor function, NumPy function) of (z, w, r, s)
    "add": (lambda z, w, r, s: z + w, lambda z, w, r, s: z + w),
    "sub": (lambda z, w, r, s: z - w, lambda z, w, r, s: z - w),
    "mul": (lambda z, w, r, s: z * w, lambda z, w, r, s: z * w),
    "div": (lambda z, w, r, s: z / w, lambda z, w, r, s: z / w),
    "neg": (lambda z, w, r, s: -z + w, lambda z, w, r, s: -z + w),
    "add_float": (lambda z, w, r, s: (z + 2.5) * w, lambda z, w, r, s: (z + 2.5) * w),
    "radd_float": (lambda z, w, r, s: (2.5 + z) * w, lambda z, w, r, s: (2.5 + z) * w),
    "sub_real": (lambda z, w, r, s: z - r, lambda z, w, r, s: z - r),
    "rsub_real": (lambda z, w, r, s: r - z, lambda z, w, r, s: r - z),
    "rsub_float": (lambda z, w, r, s: 1.5 - z * w, lambda z, w, r, s: 1.5 - z * w),
    "mul_real_scalar": (lambda z, w, r, s: z * s, lambda z, w, r, s: z * s),
    "rmul_real_scalar": (lambda z, w, r, s: s * z, lambda z, w, r, s: s * z),
    "mul_float": (lambda z, w, r, s: 2.5 * z * w, lambda z, w, r, s: 2.5 * z * w),
    "mul_int": (lambda z, w, r, s: z * w * 3, lambda z, w, r, s: z * w * 3),
    "mulop": (lambda z, w, r, s: (z * w).mulop(s), lambda z, w, r, s: z * w * s),
    "mul_real_vector": (lambda z, w, r, s: z * r, lambda z, w, r, s: z * r),
    "rmul_real_vector": (lambda z, w, r, s: r * z, lambda z, w, r, s: r * z),
    "mul_complex_scalar": (lambda z, w, r, s: z * (1 + 2j) + w, lambda z, w, r, s: z * (1 + 2j) + w),
    "rmul_complex_scalar": (lambda z, w, r, s: (1 - 1j) * w + z, lambda z, w, r, s: (1 - 1j) * w + z),
    "real_plus_complex_scalar": (lambda z, w, r, s: r + (0.5 + 1j) + z,
                                 lambda z, w, r, s: r + (0.5 + 1j) + z),
    "div_real": (lambda z, w, r, s: z / r, lambda z, w, r, s: z / r),
    "rdiv_real": (lambda z, w, r, s: r / z, lambda z, w, r, s: r / z),
    "inv": (lambda z, w, r, s: 1 / z + w, lambda z, w, r, s: 1 / z + w),
    "pow2": (lambda z, w, r, s: (z * w) ** 2, lambda z, w, r, s: (z * w) ** 2),
    "pow3": (lambda z, w, r, s: (z + w) ** 3, lambda z, w, r, s: (z + w) ** 3),
    "square": (lambda z, w, r, s: (z - w).square(), lambda z, w, r, s: (z - w) ** 2),
    "conj": (lambda z, w, r, s: z.conj() * w, lambda z, w, r, s: np.conj(z) * w),
    "exp": (lambda z, w, r, s: (z * w).exp(), lambda z, w, r, s: np.exp(z * w)),
    "sum_vector": (lambda z, w, r, s: (z * w).sum(), lambda z, w, r, s: (z * w).sum(-1, keepdims=True)),
    "sum_vector_axis": (lambda z, w, r, s: (z * w).sum(2), lambda z, w, r, s: (z * w).sum(-1, keepdims=True)),
    "real2complex": (lambda z, w, r, s: r.real2complex() * z, lambda z, w, r, s: r * z),
    "imag2complex": (lambda z, w, r, s: r.imag2complex() * z, lambda z, w, r, s: 1j * r * z),
    "exp1j": (lambda z, w, r, s: r.exp1j() + z, lambda z, w, r, s: np.exp(1j * r) + z),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ARITHMETIC))
def test_complex_arithmetic(name, dtype):
    f, g = ARITHMETIC[name]
    check(f, g, dtype)


TO_REAL = {  # complex -> real operations
    "real": (lambda z, w, r, s: (z * w).real, lambda z, w, r, s: (z * w).real),
    "imag": (lambda z, w, r, s: (z * w).imag, lambda z, w, r, s: (z * w).imag),
    "angle": (lambda z, w, r, s: (z * w).angle(), lambda z, w, r, s: np.angle(z * w)),
    "abs": (lambda z, w, r, s: abs(z - w), lambda z, w, r, s: np.abs(z - w)),
    "abs_method": (lambda z, w, r, s: (z - w).abs() * r, lambda z, w, r, s: np.abs(z - w) * r),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(TO_REAL))
def test_complex_to_real(name, dtype):
    f, g = TO_REAL[name]
    z, r = Vi(np.ones((M, D), CDTYPE[dtype])), Vj(np.ones((N, D), dtype))
    assert not f(z, z, r, r).is_complex
    check(f, g, dtype, out_complex=False)


# ------------------------------------------------------------------ reductions
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1])
def test_complex_sum_reductions(axis, dtype):
    z, w, r, s = data(dtype)
    F = Vi(z) * Vj(w) * Vj(s)
    ref = (z[:, None, :] * w[None] * s[None]).astype(complex).sum(axis)
    res = F.sum(axis)
    assert res.dtype == CDTYPE[dtype] and res.shape == ref.shape
    assert_complex_close(res, ref, dtype)
    assert_complex_close(F.sum_reduction(axis=axis), ref, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_complex_matmul(dtype):
    z, w, r, s = data(dtype)
    K = (-Vi(z.real.copy()).sqdist(Vj(r))).exp()  # real kernel
    Kd = np.exp(-((z.real[:, None, :] - r[None]) ** 2).sum(-1))
    assert_complex_close(K @ w[:, 0], Kd @ w[:, 0], dtype)
    assert_complex_close(K @ w, Kd @ w, dtype)
    Kc = (Vi(z[:, :1]) * Vj(w[:, :1])).exp()  # complex kernel of dimension 1
    Kcd = np.exp(z[:, :1] * w[:, 0][None, :])
    assert_complex_close(Kc @ w[:, 1], Kcd @ w[:, 1], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_complex_symbolic_variables(dtype):
    z, w, _, _ = data(dtype)
    g = (ComplexLazyTensor((0, 2 * D, 0)) * ComplexLazyTensor((1, 2 * D, 1))).sum(axis=1)
    assert callable(g)
    assert_complex_close(g(z, w), (z[:, None, :] * w[None]).astype(complex).sum(1), dtype)


def test_complex_batches():
    rng = np.random.default_rng(2)
    z = rng.random((2, M, 1, D)) + 1j * rng.random((2, M, 1, D))
    w = rng.random((1, 1, N, D)) - 1j * rng.random((1, 1, N, D))
    res = (LazyTensor(z) * LazyTensor(w)).sum(axis=2)
    assert_complex_close(res, (z * w).sum(2), np.float64)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("fn,msg", [
    (lambda z: z.real2complex(), "complex"),
    (lambda z: z.imag2complex(), "complex"),
    (lambda z: z.exp1j(), "complex"),
    (lambda z: z.keops_tensordot(z, [D, 2], [D, 2], [0], [0]), "complex"),
    (lambda z: z.keops_kron(z, [2 * D], [2 * D]), "complex"),
    (lambda z: z ** 0.5, "integer"),
    (lambda z: z + Vj(np.ones((N, 2), np.complex128)), "same dimension"),
    (lambda z: z.min(), "not defined"),
    (lambda z: z + Vj(np.ones((N, D), np.complex64)), "Incompatible values for attribute _dtype"),
])
def test_complex_errors(fn, msg):
    with pytest.raises(ValueError, match=msg):
        fn(Vi(np.ones((M, D), np.complex128)))


def test_real_and_complex_shortcuts():
    z = Vi(np.ones((M, D), np.complex128))
    assert z * 0 == 0 and z * 1 is z and z + 0 is z and z - 0 is z and z / 1 is z and 0 / z == 0
    assert (0 - z).formula.startswith("Minus(") and (0 - z).is_complex
    assert "ComplexRealScal(" in (z * 2.0).formula and "ComplexRealScal(" in (2.0 * z).formula
    assert "ComplexDivide(" in (1 / z).formula  # no Inv shortcut for complex numbers
