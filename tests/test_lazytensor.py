"""LazyTensor against dense NumPy references: construction, operators, elementwise math,
vector operations, derivatives, and a method for every operation of the engine (spec
api-numpy.md §5, dims-and-errors.md §D).

Reductions, ``K @ v``, solve, symbolic variables and batches are in
test_lazytensor_reductions.py.
"""

import re

import numpy as np
import pytest
from conftest import assert_close
from lazytensor_data import DTYPES, D, I, J, M, N, data

from pykeops_go.common import engine
from pykeops_go.numpy import ComplexLazyTensor, LazyTensor, Pm, Vi, Vj


def check_sum_j(lt_fn, np_fn, dtype, keys=("x", "y"), tol_dtype=None):
    """Reduce lt_fn(Vi, Vj) over j and compare with np_fn(I, J).sum(1).

    tol_dtype: compare with the tolerance of another dtype (Powf runs in float32, spec C9).
    """
    d = data(dtype)
    u, v = d[keys[0]], d[keys[1]]
    res = lt_fn(Vi(u), Vj(v)).sum(axis=1)
    dense = np_fn(I(u), J(v))
    ref = np.broadcast_to(dense, (M, N, dense.shape[-1])).sum(1)
    assert res.dtype == dtype
    assert_close(res, ref, tol_dtype or dtype)


# ------------------------------------------------------------------ construction
def test_parameters_from_floats_lists_and_arrays():
    for x in (2.5, np.float32(2.5), [2.5]):
        p = LazyTensor(x)
        assert (p.ndim, p.axis, p.dtype) == (1, 2, None)
    assert LazyTensor([1.0, 2.0, 3.0]).ndim == 3
    p = LazyTensor(np.arange(4.0))
    assert (p.ndim, p.axis, p.dtype) == (4, 2, "float64")
    z = LazyTensor(np.array(2.0, dtype=np.float32))  # 0-D: Pm(1) (pykeops: TypeError)
    assert (z.ndim, z.axis, z.dtype) == (1, 2, "float32")
    assert LazyTensor(np.ones((1, 4)), axis=2).ndim == 4
    assert Pm(np.ones(2)).axis == 2


def test_variables_from_2d_arrays():
    x = np.ones((M, D))
    xi, xj = Vi(x), Vj(x)
    assert (xi.ni, xi.nj, xi.axis, xi.ndim) == (M, None, 0, D)
    assert (xj.ni, xj.nj, xj.axis) == (None, M, 1)
    assert xi._shape == (M, 1, D) and xj.shape == (1, M, D)
    assert (xi - xj).sqnorm2().shape == (M, M)


@pytest.mark.parametrize("shape,axis,ni,nj,batch", [
    ((M, 1, D), 0, M, None, None),
    ((1, N, D), 1, None, N, None),
    ((1, 1, D), 2, None, None, None),
    ((2, M, 1, D), 0, M, None, (2,)),
    ((4, 2, 1, N, D), 1, None, N, (4, 2)),
    ((2, 1, 1, D), 2, None, None, (2,)),
])
def test_variables_from_3d_arrays(shape, axis, ni, nj, batch):
    t = LazyTensor(np.ones(shape))
    assert (t.axis, t.ni, t.nj, t.batchdims, t.ndim) == (axis, ni, nj, batch, D)
    assert t.nbatchdims == (0 if batch is None else len(batch))
    assert t.dim() == len(batch or ()) + 3


def test_leaves_are_identified_by_array_and_category():
    x = np.random.default_rng(0).random((M, D))
    assert str(Vi(x) + Vi(x)).count("Var(0,3,0)") == 2  # one argument, as pykeops (id(x))
    assert "Var(1,3,1)" in str(Vi(x) - Vj(x))  # two arguments
    e = np.ones((M, D))
    assert_close(Vi(x).sqnorm2().grad(Vi(x), Vi(e[:, :1])).sum(1), 2 * x, np.float64)
    assert_close((Vi(x) - Vj(x)).sqnorm2().t().sum(1), _sq(I(x), J(x)).sum(1), np.float64)


def test_int_constants_and_symbolic_variables():
    c = LazyTensor(3)
    assert (c.formula, c.ndim) == ("IntCst(3)", 1)
    s = LazyTensor((0, 3, 1))
    assert (s.formula, s.symbolic_variables, s.ndim, s.axis) == ("VarSymb(0,3,1)", ((0, 3, 1),), 3, 1)
    assert Vi(1, 2).formula == "VarSymb(1,2,0)" and Pm(0, 4).axis == 2


@pytest.mark.parametrize("x,axis,exc,msg", [
    (np.ones((M, D)), None, ValueError, "explicit 'axis'"),
    (np.ones((M, D)), 3, ValueError, "explicit 'axis'"),
    (np.ones(D), 0, ValueError, "'axis' must be None or 2"),
    (np.ones((M, D)), 2, ValueError, "first row"),
    (np.ones((M, N, D)), None, ValueError, "(..,M,1,D)"),
    (np.ones((M, 1, D)), 0, ValueError, "should not be given"),
    ((0, 3), None, ValueError, "triplet of integers"),
    ((0, 3.0, 1), None, ValueError, "triplet of integers"),
    ((0, 3, 1), 0, ValueError, "should not be given"),
    ([1.0, 2.0], 0, ValueError, "Parameter"),
    ("x", None, TypeError, "LazyTensors should be built"),
    ({"a": 1}, None, TypeError, "LazyTensors should be built"),
])
def test_construction_errors(x, axis, exc, msg):
    with pytest.raises(exc, match=re.escape(msg)):
        LazyTensor(x, axis=axis)


def test_complex_inputs_give_complex_lazytensors():
    z = LazyTensor(np.ones((M, D), dtype=np.complex128), axis=0)
    assert isinstance(z, ComplexLazyTensor) and isinstance(z, LazyTensor)
    assert not isinstance(Vi(np.ones((M, D))), ComplexLazyTensor)
    assert isinstance(LazyTensor(1 + 2j), ComplexLazyTensor)


# ------------------------------------------------------------------ operators
OPERATORS = {  # the same lambda works on LazyTensors and on broadcast NumPy arrays
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "neg": lambda x, y: -x + y,
    "abs": lambda x, y: abs(x - y),
    "square": lambda x, y: (x - y) ** 2,
    "pow3": lambda x, y: (x - y) ** 3,
    "pow-2": lambda x, y: (x + y) ** -2,
    "sqrt": lambda x, y: (x + y) ** 0.5,
    "rsqrt": lambda x, y: (x + y) ** -0.5,
    "powf": lambda x, y: (x + y) ** 1.5,
    "powf_lt": lambda x, y: x ** y,
    "scalar_add": lambda x, y: 1.5 + x * 2.5 - y / 4.0,
    "scalar_rdiv": lambda x, y: 2.0 / x + 3 * y - 1,
    "int_ops": lambda x, y: (x + 2) * 3 - 1 / y,
    "list_param": lambda x, y: x * [1.0, 2.0, 3.0] + y,
    "lt": lambda x, y: (x < y) * 1.0,
    "gt": lambda x, y: (x > y) * 1.0,
    "le": lambda x, y: (x <= 0.5) * y,
    "ge": lambda x, y: (0.5 >= y) * x,
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(OPERATORS))
def test_operators(name, dtype):
    f = OPERATORS[name]
    check_sum_j(f, f, dtype, tol_dtype=np.float32 if name.startswith("powf") else None)


def test_scalar_product_operator():
    d = data(np.float64)
    res = (Vi(d["x"]) | Vj(d["y"])).sum(1)
    assert_close(res, (I(d["x"]) * J(d["y"])).sum(-1, keepdims=True).sum(1), np.float64)
    assert (Vi(d["x"]) | [1.0, 2.0, 3.0]).ndim == 1
    with pytest.raises(ValueError, match="same dimension"):
        Vi(d["x"]) | Vj(d["b"])


@pytest.mark.parametrize("dtype", DTYPES)
def test_equal_and_not_equal(dtype):
    def np_eq(x, y):
        return (x == y) * 1.0

    check_sum_j(lambda x, y: x == y, np_eq, dtype, keys=("xk", "yk"))
    check_sum_j(lambda x, y: x != y, lambda x, y: 1.0 - np_eq(x, y), dtype, keys=("xk", "yk"))


def test_arithmetic_shortcuts():
    xi = Vi(np.ones((M, D)))
    assert xi * 0 == 0 and type(xi * 0) is int and 0 * xi == 0 and 0.0 * xi == 0
    assert 0 / xi == 0 and type(0 / xi) is int
    for same in (xi * 1, 1 * xi, xi + 0, 0 + xi, xi - 0, xi / 1, xi * 1.0):
        assert same is xi
    assert (0 - xi).formula.startswith("Minus(") and (xi * -1).formula.startswith("Minus(")
    assert (1 / xi).formula.startswith("Inv(") and (2 / xi).formula.startswith("(IntCst(2) / ")
    with pytest.raises(TypeError):  # bools are neither shortcut numbers nor constants
        xi * True


def test_ndarray_on_the_left_defers_to_the_lazytensor():
    d = data(np.float64)
    res = (d["p"] * Vi(d["x"])).sum(1)  # a 1-D array is a parameter
    assert_close(res, d["x"] * d["p"], np.float64)
    with pytest.raises(ValueError, match="explicit 'axis'"):  # A18: a 2-D operand needs an axis
        d["y"] * Vi(d["x"])


# ------------------------------------------------------------------ elementwise math
MATH = {  # name: (LazyTensor function, NumPy function), applied to x + y in (0.2, 1.8)
    "exp": (lambda t: t.exp(), np.exp),
    "log": (lambda t: t.log(), np.log),
    "xlogx": (lambda t: t.xlogx(), lambda v: v * np.log(v)),
    "cos": (lambda t: t.cos(), np.cos),
    "sin": (lambda t: t.sin(), np.sin),
    "sinxdivx": (lambda t: t.sinxdivx(), lambda v: np.sin(v) / v),
    "sinc": (lambda t: t.sinc(), np.sinc),
    "asin": (lambda t: (t - 1.0).asin(), lambda v: np.arcsin(v - 1)),
    "acos": (lambda t: (t - 1.0).acos(), lambda v: np.arccos(v - 1)),
    "atan": (lambda t: t.atan(), np.arctan),
    "sqrt": (lambda t: t.sqrt(), np.sqrt),
    "rsqrt": (lambda t: t.rsqrt(), lambda v: 1 / np.sqrt(v)),
    "square": (lambda t: t.square(), np.square),
    "power": (lambda t: t.power(3), lambda v: v ** 3),
    "abs": (lambda t: (t - 1.0).abs(), lambda v: np.abs(v - 1)),
    "sign": (lambda t: (t - 1.0).sign(), lambda v: np.sign(v - 1)),
    "step": (lambda t: (t - 1.0).step(), lambda v: (v >= 1) * 1.0),
    "relu": (lambda t: (t - 1.0).relu(), lambda v: np.maximum(v - 1, 0)),
    "floor": (lambda t: (t * 3).floor(), lambda v: np.floor(3 * v)),
    "round": (lambda t: (t * 3).round(), lambda v: np.sign(v) * np.floor(np.abs(3 * v) + 0.5)),
    "round1": (lambda t: t.round(1), lambda v: np.floor(10 * v + 0.5) / 10),
    "clamp": (lambda t: t.clamp(0.5, 1.2), lambda v: np.clip(v, 0.5, 1.2)),
    "clampint": (lambda t: (t * 3).clamp(1, 3), lambda v: np.clip(3 * v, 1, 3)),
    "mod": (lambda t: t.mod(0.7, 0.1), lambda v: v - 0.7 * np.floor((v - 0.1) / 0.7)),
    "mod_int": (lambda t: (t * 5).mod(2), lambda v: np.mod(5 * v, 2)),
    "ifelse": (lambda t: (t - 1.0).ifelse(t, -t), lambda v: np.where(v >= 1, v, -v)),
    "atan2": (lambda t: t.atan2(t - 1.0), lambda v: np.arctan2(v, v - 1)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(MATH))
def test_elementwise_math(name, dtype):
    f, g = MATH[name]
    check_sum_j(lambda x, y: f(x + y), lambda x, y: g(x + y), dtype)


# ------------------------------------------------------------------ vector operations
def _onehot(v, n):
    return (np.floor(v + 0.5)[..., None] == np.arange(n)).reshape(*v.shape[:-1], n) * 1.0


def _cat(*arrays):
    """Concatenate the last axes, broadcasting the others."""
    shape = np.broadcast_shapes(*(a.shape[:-1] for a in arrays))
    return np.concatenate([np.broadcast_to(a, shape + a.shape[-1:]) for a in arrays], -1)


def _outer(x, y):
    """Flattened row-major outer products of the last axes."""
    o = x[..., :, None] * y[..., None, :]
    return o.reshape(o.shape[:-2] + (-1,))


def _matvec(a, v):
    """Row-major (n*p) matrices a times p-vectors v."""
    return np.einsum("...kl,...l->...k", a.reshape(a.shape[:-1] + (-1, v.shape[-1])), v)


def _tensordot_perm(x, y):
    """TensorDot(Concat(x,y), y, [2,D], [D], [], [], [2,0,1]): T[a,b,c] = A[a,b] y[c], out[b,c,a]."""
    A = _cat(x, y)
    A = A.reshape(A.shape[:-1] + (2, D))
    T = A[..., :, :, None] * y[..., None, None, :]
    out = np.moveaxis(T, -3, -1)
    return out.reshape(out.shape[:-3] + (-1,))


def _sq(x, y):
    return ((x - y) ** 2).sum(-1, keepdims=True)


def _symm():
    p = np.arange(1.0, D + 1)
    return (p[:, None] * p[None, :]).ravel() + np.eye(D).ravel()  # a D*D SPD matrix, row-major


VECTOR = {  # name: (LazyTensor function of (xi, yj), NumPy function of (X, Y))
    "sqnorm2": (lambda x, y: (x - y).sqnorm2(), _sq),
    "norm2": (lambda x, y: (x - y).norm2(), lambda x, y: np.linalg.norm(x - y, axis=-1, keepdims=True)),
    "norm": (lambda x, y: (x - y).norm(-1), lambda x, y: np.linalg.norm(x - y, axis=-1, keepdims=True)),
    "normalize": (lambda x, y: (x - y).normalize(),
                  lambda x, y: (x - y) / np.linalg.norm(x - y, axis=-1, keepdims=True)),
    "sqdist": (lambda x, y: x.sqdist(y), _sq),
    "wsqnorm_iso": (lambda x, y: (x - y).weightedsqnorm(2.0),
                    lambda x, y: 2 * _sq(x, y)),
    "wsqnorm_diag": (lambda x, y: (x - y).weightedsqnorm([1.0, 2.0, 3.0]),
                     lambda x, y: ((x - y) ** 2 * [1, 2, 3]).sum(-1, keepdims=True)),
    "wsqnorm_full": (lambda x, y: x.weightedsqdist(y, _symm().tolist()),
                     lambda x, y: np.einsum("...k,kl,...l->...", x - y, _symm().reshape(D, D),
                                            x - y)[..., None]),
    "sum": (lambda x, y: (x * y).sum(), lambda x, y: (x * y).sum(-1, keepdims=True)),
    "sum_axis2": (lambda x, y: (x * y).sum(axis=2), lambda x, y: (x * y).sum(-1, keepdims=True)),
    "min": (lambda x, y: (x - y).min(), lambda x, y: (x - y).min(-1, keepdims=True)),
    "max": (lambda x, y: (x - y).max(dim=-1), lambda x, y: (x - y).max(-1, keepdims=True)),
    "argmin": (lambda x, y: (x - y).argmin(), lambda x, y: (x - y).argmin(-1)[..., None] * 1.0),
    "argmax": (lambda x, y: (x - y).argmax(), lambda x, y: (x - y).argmax(-1)[..., None] * 1.0),
    "elem": (lambda x, y: (x * y).elem(1), lambda x, y: (x * y)[..., 1:2]),
    "getitem": (lambda x, y: (x * y)[-1], lambda x, y: (x * y)[..., 2:3]),
    "extract": (lambda x, y: (x - y).extract(1, 2), lambda x, y: (x - y)[..., 1:3]),
    "slice": (lambda x, y: (x - y)[:2], lambda x, y: (x - y)[..., :2]),
    "slice_tuple": (lambda x, y: (x - y)[:, :, 1:], lambda x, y: (x - y)[..., 1:]),
    "concat": (lambda x, y: x.concat(y * 2), lambda x, y: _cat(x, 2 * y)),
    "concatenate": (lambda x, y: LazyTensor.concatenate((x, y, x.sqdist(y))),
                    lambda x, y: _cat(x, y, _sq(x, y))),
    "cat": (lambda x, y: LazyTensor.cat((x, y), 2), lambda x, y: _cat(x, y)),
    "one_hot": (lambda x, y: (x.sqdist(y) * 4).one_hot(4),
                lambda x, y: _onehot(4 * _sq(x, y), 4)),
    "tensorprod": (lambda x, y: x.tensorprod(y), lambda x, y: _outer(x, y)),
    "matvecmult": (lambda x, y: x.tensorprod(y).matvecmult(y), lambda x, y: _matvec(_outer(x, y), y)),
    "vecmatmult": (lambda x, y: y.vecmatmult(x.tensorprod(y)), lambda x, y: _matvec(_outer(y, x), y)),
    "tensordot": (lambda x, y: x.tensorprod(y).keops_tensordot(y, [D, D], [D], [1], [0]),
                  lambda x, y: _matvec(_outer(x, y), y)),
    "tensordot_perm": (lambda x, y: x.concat(y).keops_tensordot(y, [2, D], [D], [], [], [2, 0, 1]),
                       lambda x, y: _tensordot_perm(x, y)),
    "kron": (lambda x, y: x.keops_kron(y, [D], [D]), lambda x, y: _outer(x, y)),
    "factorize": (lambda x, y: (x.sqdist(y).exp() * x.sqdist(y)).factorize(x.sqdist(y)),
                  lambda x, y: np.exp(_sq(x, y)) * _sq(x, y)),
    "auto_factorize": (lambda x, y: (x.sqdist(y).exp() * x.sqdist(y)).auto_factorize(),
                       lambda x, y: np.exp(_sq(x, y)) * _sq(x, y)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(VECTOR))
def test_vector_operations(name, dtype):
    f, g = VECTOR[name]
    check_sum_j(f, g, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bspline(dtype):
    # knots 0..5 at X = 2.5, degree 2 -> [0.125, 0.75, 0.125] (formula-language.md §7.2)
    d = data(dtype)
    knots = np.arange(6.0).astype(dtype)
    res = (Pm(knots).bspline(Vi(np.full((M, 1), 2.5, dtype)), 2) * Vj(d["b"])[0]).sum(1)
    ref = np.array([0.125, 0.75, 0.125]) * d["b"][:, 0].astype(np.float64).sum()
    assert_close(res, np.tile(ref, (M, 1)), dtype)


def _softdtw(x, y, gamma):
    """Soft-DTW of scalar sequences x[..., n], y[..., m], vectorised over the leading axes."""
    n, m = x.shape[-1], y.shape[-1]
    cost = (x[..., :, None] - y[..., None, :]) ** 2
    R = np.full(cost.shape[:-2] + (n + 1, m + 1), np.inf)
    R[..., 0, 0] = 0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            r = np.stack([R[..., i - 1, j - 1], R[..., i - 1, j], R[..., i, j - 1]])
            mu = r.min(0)
            soft = mu - gamma * np.log(np.exp(-(r - mu) / gamma).sum(0))
            R[..., i, j] = cost[..., i - 1, j - 1] + soft
    return R[..., n, m][..., None]


@pytest.mark.parametrize("dtype", DTYPES)
def test_softdtw_sqdist(dtype):
    check_sum_j(lambda x, y: x.softdtw_sqdist(y, 0.5), lambda x, y: _softdtw(x, y, 0.5), dtype)


@pytest.mark.parametrize("name,fn,msg", [
    ("elem", lambda x: x.elem(3), "Index out of bound in Elem: index 3, dimension 3"),
    ("elem_neg", lambda x: x.elem(-1), "Index out of bound in Elem"),
    ("extract", lambda x: x.extract(2, 2), r"cannot extract \[2, 2\+2\) from a vector of dimension 3"),
    ("slice_step", lambda x: x[::2], "step"),
    ("index_axis", lambda x: x[0, 1], "last"),
    ("norm_axis", lambda x: x.norm(0), "last dimension"),
    ("one_hot", lambda x: x.one_hot(3), "dimension 1"),
    ("wsqnorm", lambda x: x.weightedsqnorm([1.0, 2.0]), "size 1"),
    ("matvec", lambda x: x.matvecmult([1.0, 2.0]), "multiple"),
    ("tensordot", lambda x: x.keops_tensordot(x, [2], [D], [0], [0]), r"TensorDot: the dims \[2\] of A do not multiply"),
    ("tensordot_axes", lambda x: x.keops_tensordot(x, [D], [D], [0], [1]), "TensorDot: bad contracted axes"),
    ("kron", lambda x: x.keops_kron(x, [D], [D, 1]), "Kron: the dims .* must have the same number of axes"),
    ("concatenate", lambda x: LazyTensor.concatenate((x, x), axis=0), "last axis"),
    ("pow", lambda x: x ** [1.0, 2.0], "exponent"),
    ("pow_dim", lambda x: x ** LazyTensor([1.0, 2.0]), "exponent"),
    ("sameor1", lambda x: x + [1.0, 2.0], "same dimension or dimension 1"),
    ("grad_var", lambda x: x.grad(x * 2, x), "variable"),
    ("grad_e", lambda x: x.grad(x, 1.0), "same dimension"),
    ("laplacian", lambda x: x.laplacian(x), "dimension 1"),
    ("bspline_x", lambda x: x.bspline(x), "dimension 1"),
])
def test_vector_operation_errors(name, fn, msg):
    with pytest.raises(ValueError, match=msg):
        fn(Vi(np.ones((M, D))))


# ------------------------------------------------------------------ derivatives
@pytest.mark.parametrize("dtype", DTYPES)
def test_grad_and_diff(dtype):
    d = data(dtype)
    x, y, e = Vi(d["x"]), Vj(d["y"]), Vi(d["a"])
    res = x.sqdist(y).grad(x, e).sum(1)
    assert_close(res, (2 * (I(d["x"]) - J(d["y"])) * I(d["a"])).sum(1), dtype)
    u = Vi(d["x"][:, ::-1].copy())
    res = x.sqdist(y).diff(x, u).sum(1)
    ref = (2 * (I(d["x"]) - J(d["y"])) * I(d["x"][:, ::-1])).sum(-1, keepdims=True).sum(1)
    assert_close(res, ref, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_grad_matrix_divergence_laplacian_trace(dtype):
    d = data(dtype)
    x, y = Vi(d["x"]), Vj(d["y"])
    jac = (x * y).grad_matrix(x).sum(1)  # d(x_k y_k)/dx_l = y_k delta_kl (fixed vs pykeops)
    ref = (np.eye(D) * J(d["y"])[..., None, :]).reshape(1, N, D * D).sum(1)
    assert_close(jac, np.tile(ref, (M, 1)), dtype)
    ysum = np.tile(J(d["y"]).sum((1, 2)), (M, 1))[:, :1]
    assert_close((x * y).divergence(x).sum(1), ysum, dtype)
    lap = (x | y).square().laplacian(x).sum(1)  # laplacian of (x.y)^2 = 2|y|^2
    assert_close(lap, np.full((M, 1), 2 * (d["y"].astype(np.float64) ** 2).sum()), dtype)
    assert_close((x * y).trace_operator(x).sum(1), ysum, dtype)
    v = Vi(0, D)  # a symbolic variable disappears from a trace
    tr = (v * y).trace_operator(v)
    assert tr.symbolic_variables == () and "VarSymb" not in tr.formula
    assert_close(tr.sum(1), np.full((1, 1), J(d["y"]).sum()), dtype)


# ------------------------------------------------------------------ every op has a method
_x = Vi(np.ones((M, D)))
_y = Vj(np.ones((N, D)))
_z = LazyTensor(np.ones((M, 1, 2 * D), dtype=np.float64), is_complex=True)
EMITTED = {  # op name: LazyTensor expression whose formula contains it
    "Add": _x + _y, "Subtract": _x - _y, "Mult": _x * _y, "Divide": _x / _y, "Minus": -_x,
    "Inv": 1 / _x, "Exp": _x.exp(), "Log": _x.log(), "XLogX": _x.xlogx(), "Sin": _x.sin(),
    "Cos": _x.cos(), "SinXDivX": _x.sinc(), "Asin": _x.asin(), "Acos": _x.acos(), "Atan": _x.atan(),
    "Atan2": _x.atan2(_y), "Sqrt": _x.sqrt(), "Rsqrt": _x.rsqrt(), "Square": _x ** 2, "Pow": _x ** 3,
    "Powf": _x ** 1.5, "Abs": abs(_x), "Sign": _x.sign(), "Step": _x.step(), "ReLU": _x.relu(),
    "Floor": _x.floor(), "Round": _x.round(2), "Mod": _x.mod(2), "Clamp": _x.clamp(0.0, 1.0),
    "ClampInt": _x.clamp(0, 1), "IfElse": _x.ifelse(_y, _x), "Equal": _x == _y, "NotEqual": _x != _y,
    "LessThan": _x < _y, "LessOrEqual": _x <= _y, "Sum": _x.sum(), "Max": _x.max(), "Min": _x.min(),
    "ArgMax": _x.argmax(), "ArgMin": _x.argmin(), "Scalprod": _x | _y, "SqNorm2": _x.sqnorm2(),
    "Norm2": _x.norm2(), "Normalize": _x.normalize(), "SqDist": _x.sqdist(_y),
    "WeightedSqNorm": _x.weightedsqnorm(2.0), "WeightedSqDist": _x.weightedsqdist(_y, 2.0),
    "Elem": _x[0], "Extract": _x[0:2], "Concat": _x.concat(_y), "OneHot": _x[0].one_hot(3),
    "BSpline": _x.bspline(_y[0]), "MatVecMult": _x.matvecmult(_y), "VecMatMult": _x.vecmatmult(_y),
    "TensorProd": _x.tensorprod(_y), "TensorDot": _x.keops_tensordot(_y, D, D, 0, 0),
    "Kron": _x.keops_kron(_y, D, D), "SoftDTW_SqDist": _x.softdtw_sqdist(_y, 1.0),
    "ComplexReal": _z.real, "ComplexImag": _z.imag, "Real2Complex": _x.real2complex(),
    "Imag2Complex": _x.imag2complex(), "Conj": _z.conj(), "ComplexAdd": _z + _z,
    "ComplexSubtract": _z - _z, "ComplexMult": _z * _z, "ComplexDivide": _z / _z,
    "ComplexAbs": abs(_z), "ComplexAngle": _z.angle(), "ComplexExp": _z.exp(),
    "ComplexExp1j": _x.exp1j(), "ComplexSum": _z.sum(), "ComplexRealScal": _z * 2.0,
    "Grad": _x.sqnorm2().grad(_x, 1.0), "Diff": _x.diff(_x, _y), "GradMatrix": _x.grad_matrix(_x),
    "Divergence": _x.divergence(_x), "Laplacian": _x.sqnorm2().laplacian(_x),
    "TraceOperator": _x.trace_operator(_x), "Factorize": _x.factorize(_y),
    "AutoFactorize": _x.auto_factorize(),
}
# The methods the op table derives (x.erf() is Erf(x)) emit their op.
EMITTED.update({op: getattr(_x, name)() for op, name, _ in engine.elementwise_methods() if op not in EMITTED})
SPELLING = {"Add": " + ", "Subtract": " - ", "Mult": " * ", "Divide": " / ", "Scalprod": " | ",
            "LessThan": " < ", "LessOrEqual": " <= ", "SinXDivX": "SinXDivX(", "ClampInt": "ClampInt(",
            "WeightedSqDist": "WeightedSqNorm("}
# Ops that pykeops' LazyTensor does not emit either: transposes and helpers of
# derivatives, variants of the weighted norms, and reduction-level derivatives.
INTERNAL = {"SumT", "ElemT", "ExtractT", "ComplexSumT", "DiffClampInt", "GradSoftDTW_SqDist",
            "AdjointOperator", "SumLinOperator", "SqNormIso", "SqNormDiag", "SymSqNorm",
            "ComplexSquareAbs", "GradFromPos", "Grad_WithSavedForward", "Diff_WithSavedForward"}


def test_every_engine_operation_has_a_method():
    missing = [op for op in engine.op_names() if op not in EMITTED and op not in INTERNAL]
    assert not missing, f"operations without a LazyTensor method: {missing}"
    for op, t in EMITTED.items():
        assert SPELLING.get(op, op + "(") in t.formula, (op, t.formula)
