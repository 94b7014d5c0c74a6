"""Every bad input of dims-and-errors.md raises a clear exception naming the argument.

pykeops checks few of these (silent garbage); the expected types follow
pykeops where it raises, ValueError otherwise (docs/differences.md, "NumPy API").
"""

import warnings

import numpy as np
import pytest

from pykeops_go.numpy import Genred, KernelSolve, generic_argkmin, generic_sum

rng = np.random.default_rng(0)
X, Y = rng.random((4, 3)), rng.random((5, 3))
A = ["x = Vi(3)", "y = Vj(3)"]


def dist(**kw):
    return Genred("SqDist(x,y)", list(A), axis=1, **kw)


def ranges_1block(ri=(0, 4), rj=(0, 5)):
    """A one-block ranges tuple for axis=1 (and a valid axis=0 half)."""
    i, j, s = np.array([ri]), np.array([rj]), np.array([1])
    return (i, s, j, np.array([[0, 5]]), s, np.array([[0, 4]]))


# ------------------------------------------------------------------ arguments
def test_wrong_number_of_arrays():
    with pytest.raises(ValueError, match=r"Invalid number of arguments in call to Genred \(should be 2 and got 1\)"):
        dist()(X)


def test_wrong_column_count():
    with pytest.raises(ValueError, match="argument 1 .* has 2 columns"):
        dist()(X, Y[:, :2])


def test_M_mismatch_among_vi():
    g = Genred("SqDist(x,y) + SqDist(z,y)", A + ["z = Vi(3)"], axis=1)
    with pytest.raises(ValueError, match="argument 2 .*Vi.* has 3 rows but argument 0 has 4"):
        g(X, Y, rng.random((3, 3)))


def test_N_mismatch_among_vj():
    g = Genred("SqDist(x,y) * b", A + ["b = Vj(1)"], axis=1)
    with pytest.raises(ValueError, match="argument 2 .*Vj.* has 3 rows but argument 1 has 5"):
        g(X, Y, rng.random((3, 1)))


def test_pm_not_a_vector_of_D_values():
    g = Genred("p * SqDist(x,y)", A + ["p = Pm(2)"], axis=1)
    with pytest.raises(ValueError, match=r"argument 2 \(Pm of dim 2\) has shape \(3, 2\)"):
        g(X, Y, rng.random((3, 2)))


def test_pm_wrong_size():
    g = Genred("p * SqDist(x,y)", A + ["p = Pm(2)"], axis=1)
    with pytest.raises(ValueError, match=r"argument 2 \(Pm of dim 2\) has shape \(3,\)"):
        g(X, Y, rng.random(3))


def test_pm_without_batch_axes_in_batch_mode():
    g = Genred("p * SqDist(x,y)", A + ["p = Pm(2)"], axis=1)
    with pytest.raises(ValueError, match=r"argument 2 \(Pm of dim 2\).*batch"):
        g(X[None], Y[None], rng.random(2))


def test_vi_given_as_1d_array():
    with pytest.raises(ValueError, match=r"argument 0 \(Vi of dim 3\) has shape \(3,\); expected a 2-D array"):
        dist()(X[0], Y)


def test_integer_dtype():
    with pytest.raises(ValueError, match="argument 1 has dtype int64; expected float32 or float64"):
        dist()(X, Y.astype(np.int64))


def test_complex_dtype():
    with pytest.raises(ValueError, match="argument 0 has dtype complex128"):
        dist()(X.astype(complex), Y.astype(complex))


def test_mixed_dtypes():
    with pytest.raises(ValueError, match="argument 1 has dtype float32 but argument 0 has float64"):
        dist()(X, Y.astype(np.float32))


def test_float16_mixed_with_float32():
    """float16 alone is computed in float32; mixing it with float32 is an error."""
    with pytest.raises(ValueError, match="argument 1 has dtype float32 but argument 0 has float16"):
        dist()(X.astype(np.float16), Y.astype(np.float32))


def test_argument_not_an_array():
    with pytest.raises(TypeError, match="argument 1 must be a NumPy array, got str"):
        dist()(X, "y")


def test_incompatible_batch_dims():
    with pytest.raises(ValueError, match="incompatible batch dimensions"):
        dist()(rng.random((2, 4, 3)), rng.random((3, 5, 3)))


def test_missing_batch_axes():
    with pytest.raises(ValueError, match=r"argument 1 \(Vj of dim 3\) has shape \(5, 3\); expected 3 axes"):
        dist()(rng.random((2, 4, 3)), Y)


def test_arg_reduction_too_large_for_float32():
    g = Genred("b", ["b = Vj(1)"], reduction_op="ArgMin", axis=1)
    with pytest.raises(ValueError, match="too large for Arg type reduction with single precision"):
        g(np.zeros((16_000_001, 1), np.float32))


# ------------------------------------------------------------------ ranges
def test_ranges_not_six_arrays():
    with pytest.raises(ValueError, match="ranges must be a tuple of 6 integer arrays"):
        dist()(X, Y, ranges=ranges_1block()[:3])


def test_ranges_wrong_shape():
    r = list(ranges_1block())
    r[0] = np.zeros((1, 3), np.int64)
    with pytest.raises(ValueError, match=r"ranges: ranges_i must have shape \(n, 2\)"):
        dist()(X, Y, ranges=tuple(r))


def test_ranges_float_dtype():
    r = list(ranges_1block())
    r[2] = r[2].astype(float)
    with pytest.raises(TypeError, match="ranges: redranges_j must be an integer array"):
        dist()(X, Y, ranges=tuple(r))


def test_ranges_reduction_interval_out_of_bounds():
    with pytest.raises(ValueError, match=r"ranges: reduction interval 0 is \[0, 9\), outside \[0, 5\]"):
        dist()(X, Y, ranges=ranges_1block(rj=(0, 9)))


def test_ranges_row_block_out_of_bounds():
    with pytest.raises(ValueError, match=r"ranges: row block 0 is \[0, 7\), outside \[0, 4\]"):
        dist()(X, Y, ranges=ranges_1block(ri=(0, 7)))


def test_ranges_with_batch_dims():
    with pytest.raises(ValueError, match="ranges cannot be combined with batch dimensions"):
        dist()(X[None], Y[None], ranges=ranges_1block())


# ------------------------------------------------------------------ out=
def test_out_wrong_shape():
    with pytest.raises(ValueError, match=r"out must be .* float64 array of shape \(4, 1\), got a float64 array of shape \(5, 1\)"):
        dist()(X, Y, out=np.zeros((5, 1)))


def test_out_wrong_dtype():
    with pytest.raises(ValueError, match=r"out must be .*float64.*got a float32 array"):
        dist()(X, Y, out=np.zeros((4, 1), np.float32))


def test_out_for_tuple_reduction():
    with pytest.raises(ValueError, match="out= is not supported for Min_ArgMin"):
        dist(reduction_op="Min_ArgMin")(X, Y, out=np.zeros((4, 1)))


# ------------------------------------------------------------------ reductions and options
@pytest.mark.parametrize("kw,exc,msg", [
    (dict(reduction_op="KMin"), ValueError, "KMin needs opt_arg = K >= 1"),
    (dict(opt_arg=2), TypeError, "reduction Sum takes no opt_arg"),
    (dict(reduction_op="MinArgMin"), ValueError, 'unknown reduction_op "MinArgMin"'),
    (dict(formula2="x"), ValueError, "reduction Sum takes no formula2"),
    (dict(sum_scheme=1), TypeError, "sum_scheme must be a str"),
])
def test_options_are_checked_at_construction(kw, exc, msg):
    """The engine's option check runs when the Genred is built, before any call."""
    with pytest.raises(exc, match=msg):
        dist(**kw)


def test_legacy_alias_kinds_are_refused_by_the_one_alias_parser():
    from pykeops.common.parse_type import get_type

    for alias in ("x = Vx(3)", "y = Vy(1)"):
        with pytest.raises(ValueError, match="unknown variable kind"):
            get_type(alias)
        with pytest.raises(ValueError, match="unknown variable kind"):
            Genred("SqDist(x,x)", [alias], axis=1)(X)


def test_missing_opt_arg_for_kmin():
    with pytest.raises(ValueError, match="KMin needs opt_arg = K >= 1"):
        dist(reduction_op="KMin")(X, Y)


def test_opt_arg_for_sum():
    with pytest.raises(TypeError, match="reduction Sum takes no opt_arg"):
        dist(opt_arg=3)(X, Y)


def test_unknown_reduction():
    with pytest.raises(ValueError, match='unknown reduction_op "MinArgMin"'):
        dist(reduction_op="MinArgMin")(X, Y)


def test_logsumexpweight_without_formula2():
    with pytest.raises(ValueError, match="LogSumExpWeight reduction requires a weight formula .*formula2"):
        dist(reduction_op="LogSumExpWeight")


def test_softmax_without_formula2():
    with pytest.raises(ValueError, match="SoftMax reduction requires a weight formula .*formula2"):
        dist(reduction_op="SoftMax")


def test_formula2_for_sum():
    with pytest.raises(ValueError, match="reduction Sum takes no formula2"):
        dist(formula2="x")(X, Y)


def test_logsumexp_of_vector_formula():
    with pytest.raises(ValueError, match="LogSumExp requires a formula of dimension 1, got dimension 3"):
        Genred("x - y", list(A), reduction_op="LogSumExp", axis=1)(X, Y)


def test_bad_axis():
    with pytest.raises(ValueError, match="Axis should be 0 or 1."):
        Genred("SqDist(x,y)", list(A), axis=2)


def test_bad_dtype_acc():
    with pytest.raises(ValueError, match="invalid value for option dtype_acc"):
        dist(dtype_acc="float128")


def test_dtype_acc_on_min():
    """Raised at construction, as pykeops."""
    with pytest.raises(ValueError, match='dtype_acc="float64" is only allowed for sum-type reductions'):
        dist(reduction_op="Min", dtype_acc="float64")


def test_dtype_acc_float32_for_float64_data():
    with pytest.raises(ValueError, match="invalid parameter dtype_acc: float32 for float64 data"):
        dist(dtype_acc="float32")(X, Y)


def test_dtype_acc_and_use_double_acc():
    with pytest.raises(ValueError, match="cannot set both options use_double_acc and dtype_acc"):
        dist(dtype_acc="float32", use_double_acc=True)


def test_bad_sum_scheme():
    with pytest.raises(ValueError, match="invalid value for option sum_scheme"):
        dist(sum_scheme="pairwise")


def test_kahan_on_min():
    with pytest.raises(ValueError, match='sum_scheme="kahan_scheme" is only allowed for sum-type reductions'):
        dist(reduction_op="Min", sum_scheme="kahan_scheme")


def test_unknown_backend():
    with pytest.raises(ValueError, match="Invalid backend"):
        dist()(X, Y, backend="GPU3")


def test_gpu_backend_without_cuda():
    with pytest.raises(ValueError, match="backend 'GPU_1D' needs a GPU"):
        dist()(X, Y, backend="GPU_1D")


# ------------------------------------------------------------------ formulas and aliases
def test_formula_not_a_string():
    with pytest.raises(TypeError, match="formula must be a str"):
        Genred(3, list(A))


def test_malformed_formula():
    with pytest.raises(ValueError, match=r"formula: col 11: expected '\)'"):
        Genred("SqDist(x,y", list(A), axis=1)(X, Y)


def test_undefined_name_in_formula():
    with pytest.raises(ValueError, match="undefined name z"):
        Genred("SqDist(x,z)", list(A), axis=1)(X, Y)


def test_incompatible_dims_in_formula():
    with pytest.raises(ValueError, match="Mult: dimensions are not compatible"):
        Genred("x * b", A + ["b = Vj(2)"], axis=1)(X, Y, rng.random((5, 2)))


def test_bad_alias():
    with pytest.raises(ValueError, match='alias "y = Vk\\(3\\)"'):
        Genred("SqDist(x,y)", ["x = Vi(3)", "y = Vk(3)"], axis=1)(X, Y)


def test_var_index_gap():
    with pytest.raises(IndexError, match=r"Var\(3,...\) in the formula leaves argument 2 undeclared"):
        Genred("SqDist(x, Var(3,3,1))", list(A), axis=1)


def test_elem_negative_index():
    with pytest.raises(ValueError, match="Elem"):
        Genred("Elem(x,-1)", list(A), axis=1)(X, Y)


# ------------------------------------------------------------------ generic_* and KernelSolve
def test_generic_output_of_category_pm():
    with pytest.raises(ValueError, match="Category should be Vi or Vj."):
        generic_sum("SqDist(x,y)", "a = Pm(1)", *A)


def test_generic_output_malformed():
    with pytest.raises(ValueError, match='alias "a = Vk\\(1\\)": unknown variable kind "Vk"'):
        generic_argkmin("SqDist(x,y)", "a = Vk(1)", *A)


def test_kernelsolve_unknown_variable():
    with pytest.raises(ValueError, match="varinvalias 'c' is not one of the aliases"):
        KernelSolve("SqDist(x,y) * b", A + ["b = Vj(1)"], "c", axis=1)


def test_kernelsolve_non_square_operator():
    K = KernelSolve("Exp(-SqDist(x,y)) * b", A + ["b = Vj(1)"], "b", axis=1)
    with pytest.raises(ValueError, match=r"maps the unknown of shape \(5, 1\) to shape \(4, 1\); it must be square"):
        K(X, Y, rng.random((5, 1)))


def test_kernelsolve_wrong_number_of_arrays():
    K = KernelSolve("Exp(-SqDist(x,y)) * b", A + ["b = Vj(1)"], "b", axis=1)
    with pytest.raises(ValueError, match="Invalid number of arguments in call to KernelSolve"):
        K(Y, Y)


def test_kernelsolve_no_convergence_warns():
    """A singular operator (rank 3) with alpha = 0 and b outside its range: pykeops
    loops forever; we stop at the breakdown with a RuntimeWarning and return the best
    iterate, here the start (CG's residual grows on this inconsistent system)."""
    K = KernelSolve("(x|y) * b", A + ["b = Vj(1)"], "b", axis=1)
    y, b = rng.normal(size=(30, 3)), rng.random((30, 1))
    with pytest.warns(RuntimeWarning, match=r"did not reach the tolerance \(eps=1e-06\) in \d+ iterations"):
        a = K(y, y, b, alpha=0)
    assert a.shape == b.shape
    assert np.linalg.norm((y @ y.T) @ a - b) <= np.linalg.norm(b)


def test_kernelsolve_nan_data():
    K = KernelSolve("Exp(-SqDist(x,y)) * b", A + ["b = Vj(1)"], "b", axis=1)
    y, b = rng.normal(size=(10, 3)), rng.random((10, 1))
    y[3, 0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match="residual is NaN or inf"):
            K(y, y, b)
