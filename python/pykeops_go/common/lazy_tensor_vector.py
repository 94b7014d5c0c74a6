"""LazyTensor vector operations (mixin of GenericLazyTensor).

Norms and distances, selection (``elem``, ``extract``, ``[]``, ``concat``,
``one_hot``), linear algebra (``matvecmult``, ``tensorprod``, ``keops_tensordot``,
``keops_kron``...), symbolic derivatives (``grad``, ``diff``, ``grad_matrix``,
``divergence``, ``laplacian``, ``trace_operator``), factorization and the
conversions of real LazyTensors to complex ones.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

_VARIABLE = re.compile(r"^(Var\(@\d+,\d+,\d\)|VarSymb\(-?\d+,\d+,\d\))$")


def _int_list(v: int | Sequence[int]) -> list[int]:
    if isinstance(v, int):
        return [v]
    return [int(x) for x in v]


def _bracket(v: list[int]) -> str:
    return "[" + ",".join(str(x) for x in v) + "]"


class VectorMixin:
    """Vector-valued operations of LazyTensors."""

    # --------------------------------------------------------- norms, distances
    def sqnorm2(self) -> Any:
        """Squared Euclidean norm of the vector: ``SqNorm2(x)`` (dimension 1)."""
        return self.unary("SqNorm2")

    def norm2(self) -> Any:
        """Euclidean norm of the vector: ``Norm2(x)`` (dimension 1)."""
        return self.unary("Norm2")

    def norm(self, dim: int) -> Any:
        """Euclidean norm along ``dim``, which must be the vector axis (-1 or the last)."""
        if dim not in (-1, len(self._shape) - 1):
            raise ValueError("KeOps only supports norms over the last dimension.")
        return self.norm2()

    def normalize(self) -> Any:
        """The vector divided by its norm: ``Normalize(x)`` (zero stays zero)."""
        return self.unary("Normalize")

    def sqdist(self, other: Any) -> Any:
        """Squared Euclidean distance ``SqDist(x, y)`` (dimension 1)."""
        return self.binary(other, "SqDist")

    def weightedsqnorm(self, other: Any) -> Any:
        """Weighted squared norm ``WeightedSqNorm(s, x)``.

        Parameters
        ----------
        other : LazyTensor, float or list
            Weights ``s`` of dimension 1 (isotropic), D (diagonal) or D*D
            (full symmetric matrix, row-major).
        """
        other = self._lift(other)
        if other.ndim not in (1, self.ndim, self.ndim ** 2):
            raise ValueError("Squared norm weights should be of size 1 (scalar), D (diagonal) or D^2 "
                             f"(full symmetric tensor), but received {other.ndim} with D={self.ndim}.")
        return self.binary(other, "WeightedSqNorm", dimcheck=None, rversion=True)

    def weightedsqdist(self, other: Any, weights: Any) -> Any:
        """Weighted squared distance ``WeightedSqNorm(s, (x - y))``."""
        return (self - other).weightedsqnorm(weights)

    def difference_matrix(self, other: Any) -> Any:
        """``DifferenceMatrix(x, y)`` as pykeops writes it.

        The operation does not exist in the formula language of pykeops 2.3 (nor
        here): the reduction fails at call time, as in pykeops.
        """
        other = self._lift(other)
        return self.binary(other, "DifferenceMatrix", dimres=self.ndim * other.ndim, dimcheck=None)

    def softdtw_sqdist(self, other: Any, gamma: Any) -> Any:
        """Soft-DTW discrepancy of the scalar sequences ``x`` and ``y``: ``SoftDTW_SqDist(x, y, g)``.

        Parameters
        ----------
        gamma : float or LazyTensor
            Smoothing parameter of dimension 1.
        """
        return self.ternary(other, gamma, "SoftDTW_SqDist", dimcheck=None)

    # ---------------------------------------------------------------- selection
    def elem(self, i: int) -> Any:
        """Component ``i`` of the vector: ``Elem(x,i)`` (dimension 1), ``0 <= i < D``."""
        if not isinstance(i, int) or isinstance(i, bool):
            raise ValueError(f"Elem: the index must be an int in [0, D), got {i!r}")
        return self.unary("Elem", opt_arg=i)

    def extract(self, i: int, d: int) -> Any:
        """Components ``i .. i+d-1``: ``Extract(x,i,d)`` (dimension d)."""
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (i, d)):
            raise ValueError(f"Extract: the start and length must be ints, got {i!r} and {d!r}")
        return self.unary("Extract", opt_arg=i, opt_arg2=d)

    def __getitem__(self, key: Any) -> Any:
        """Index the vector axis: ``x[i]`` is ``Elem``, ``x[i:j]`` and ``x[:, :, i:j]`` ``Extract``.

        Negative indices count from the end, as in Python.
        """
        if isinstance(key, tuple):
            head = key[:-1]
            if len(key) != self.dim() or not all(isinstance(k, slice) and k == slice(None) for k in head):
                raise ValueError("LazyTensors only support indexing with respect to their last "
                                 f"dimension: use x[{':, ' * (self.dim() - 1)}i:j]")
            key = key[-1]
        d = self.ndim
        if isinstance(key, slice):
            if key.step not in (None, 1):
                raise ValueError("LazyTensor slices must have a step of 1")
            start = 0 if key.start is None else key.start
            stop = d if key.stop is None else key.stop
            start, stop = (start + d if start < 0 else start), (stop + d if stop < 0 else stop)
            return self.extract(start, stop - start)
        if isinstance(key, int) and not isinstance(key, bool):
            return self.elem(key + d if key < 0 else key)
        raise ValueError(f"LazyTensor index must be an int or a slice, got {key!r}")

    def one_hot(self, D: int) -> Any:
        """One-hot encoding of a scalar in dimension ``D``: ``OneHot(x,D)``."""
        if not isinstance(D, int) or isinstance(D, bool):
            raise ValueError(f"One-hot encoding needs an int dimension D >= 1, got {D!r}")
        return self.unary("OneHot", opt_arg=D)

    def bspline(self, x: Any, k: int = 0) -> Any:
        """B-splines of degree ``k`` on the knots ``self`` at ``x``: ``BSpline(t, x, k)``.

        Returns a LazyTensor of dimension ``self.ndim - k - 1``; ``x`` has dimension 1.
        """
        if not isinstance(k, int) or isinstance(k, bool):
            raise ValueError(f"bspline: the degree must be an int k >= 0, got {k!r}")
        return self.binary(x, "BSpline", dimcheck=None, opt_arg=k)

    def concat(self, other: Any) -> Any:
        """Concatenation of two vectors: ``Concat(x, y)``."""
        return self.binary(other, "Concat", dimcheck=None)

    @staticmethod
    def concatenate(tuple_of_lt: Sequence[Any], axis: int = -1) -> Any:
        """Concatenate LazyTensors along the vector axis: ``Concat(Concat(a, b), c)``."""
        tuple_of_lt = tuple(tuple_of_lt)
        if not tuple_of_lt:
            return None
        if axis not in (-1, len(tuple_of_lt[0]._shape) - 1):
            raise ValueError("LazyTensor.concatenate is implemented only along the last axis.")
        res = tuple_of_lt[0]
        for lt in tuple_of_lt[1:]:
            res = res.concat(lt)
        return res

    @staticmethod
    def cat(tuple_of_lt: Sequence[Any], dim: int) -> Any:
        """``concatenate(tuple_of_lt, axis=dim)`` with PyTorch's name."""
        return VectorMixin.concatenate(tuple_of_lt, axis=dim)

    # ----------------------------------------------------------- linear algebra
    def matvecmult(self, other: Any) -> Any:
        """Matrix (row-major, ``n*p`` values) times vector (``p``): ``MatVecMult(A, b)``."""
        return self.binary(other, "MatVecMult", dimcheck=None)

    def vecmatmult(self, other: Any) -> Any:
        """Vector (``n``) times matrix (row-major, ``n*p``): ``VecMatMult(b, A)``."""
        return self.binary(other, "VecMatMult", dimcheck=None)

    def tensorprod(self, other: Any) -> Any:
        """Outer product, flattened row-major: ``TensorProd(x, y)``."""
        return self.binary(other, "TensorProd", dimcheck=None)

    def keops_tensordot(self, other: Any, dimfa: int | Sequence[int], dimfb: int | Sequence[int],
                        contfa: int | Sequence[int], contfb: int | Sequence[int],
                        *args: int | Sequence[int]) -> Any:
        """``numpy.tensordot`` of the vectors seen as tensors: ``TensorDot(A, B, [da], [db], [ca], [cb])``.

        Parameters
        ----------
        dimfa, dimfb : list of int
            Shapes of ``self`` and ``other`` (their products are the dimensions).
        contfa, contfb : list of int
            Contracted axes, paired in order.
        *args : list of int, optional
            A permutation of the output axes.
        """
        other = self._lift(other)
        if self.is_complex or other.is_complex:
            raise ValueError("keops_tensordot is not supported for complex LazyTensors")
        lists = [_int_list(v) for v in (dimfa, dimfb, contfa, contfb, *args)]
        return self._apply("TensorDot", (other,), [_bracket(v) for v in lists])

    def keops_kron(self, other: Any, dimfa: int | Sequence[int], dimfb: int | Sequence[int]) -> Any:
        """Kronecker product of the vectors seen as tensors: ``Kron(A, B, [da], [db])``."""
        other = self._lift(other)
        if self.is_complex or other.is_complex:
            raise ValueError("keops_kron is not supported for complex LazyTensors")
        return self._apply("Kron", (other,), [_bracket(_int_list(dimfa)), _bracket(_int_list(dimfb))])

    # -------------------------------------------------------------- derivatives
    def _variable(self, v: Any, what: str) -> Any:
        v = self._lift(v)
        if not _VARIABLE.match(v.formula or ""):
            raise ValueError(f"{what}: the variable must be a LazyTensor built directly from an array "
                             "or a symbolic (ind, dim, cat) triplet")
        return v

    def grad(self, other: Any, gradin: Any) -> Any:
        """Vector-Jacobian product ``Grad(F, v, e)``: the gradient of ``(F | e)`` in ``v``.

        Parameters
        ----------
        other : LazyTensor
            The variable ``v`` (a data or symbolic variable).
        gradin : LazyTensor
            The gradient input ``e``, of the dimension of ``self``.
        """
        other = self._variable(other, "grad")
        gradin = self._lift(gradin)
        if gradin.ndim != self.ndim:
            raise ValueError(f"Operation Grad expects inputs of the same dimension. Received "
                             f"{self.ndim} and {gradin.ndim}.")
        return self._apply("Grad", (other, gradin))

    def diff(self, other: Any, u: Any) -> Any:
        """Jacobian-vector product ``Diff(F, v, u)``: the derivative of ``F`` in ``v`` along ``u``."""
        other = self._variable(other, "diff")
        return self._apply("Diff", (other, self._lift(u)))

    def grad_matrix(self, other: Any) -> Any:
        """Jacobian ``GradMatrix(F, v)``: ``out[k*V + l] = dF_k / dv_l``.

        pykeops 2.3 writes ``str(v)`` instead of the variable's formula here and
        fails at call time; this version works.
        """
        other = self._variable(other, "grad_matrix")
        return self._apply("GradMatrix", (other,))

    def divergence(self, other: Any) -> Any:
        """Divergence ``Divergence(F, v)``: ``sum_k dF_k / dv_k`` (same dimensions)."""
        other = self._variable(other, "divergence")
        return self.binary(other, "Divergence", dimcheck="same")

    def laplacian(self, other: Any) -> Any:
        """Laplacian ``Laplacian(F, v)`` of a scalar formula."""
        return self.binary(self._variable(other, "laplacian"), "Laplacian", dimcheck=None)

    def trace_operator(self, var: Any) -> Any:
        """Trace ``TraceOperator(F, v)`` of ``F``, linear in ``v``, seen as a matrix applied to ``v``.

        The trace does not depend on ``v``: a symbolic ``v`` is removed from the
        symbolic variables (no array is passed for it). pykeops renames it
        ``Var(-ind-1,dim,cat)``; our formula language reserves negative indices,
        so it becomes a parameter of zeros, which gives the same trace.
        """
        var = self._variable(var, "trace_operator")
        res = self.binary(var, "TraceOperator", dimcheck="same")
        if var.symbolic_variables:
            zeros = self.lt_constructor([0.0] * var.ndim)
            res.symbolic_variables = tuple(v for v in res.symbolic_variables
                                           if v not in var.symbolic_variables)
            res.formula = res.formula.replace(var.formula, zeros.formula)
            res._vars = {**res._vars, **zeros._vars}
        return res

    def factorize(self, other: Any) -> Any:
        """``Factorize(F, G)``: same value as F, with the sub-formula G computed once."""
        return self.binary(other, "Factorize", dimcheck=None)

    def auto_factorize(self) -> Any:
        """``AutoFactorize(F)``: same value as F, repeated sub-formulas computed once."""
        return self.unary("AutoFactorize")

    # -------------------------------------------------------- real to complex
    def _to_complex(self, op: str) -> Any:
        if self.is_complex:
            raise ValueError(f"{op} cannot be applied to a complex LazyTensor")
        return self.unary(op, is_complex=True)

    def real2complex(self) -> Any:
        """The real vector as complex numbers with zero imaginary parts: ``Real2Complex(x)``."""
        return self._to_complex("Real2Complex")

    def imag2complex(self) -> Any:
        """The real vector as imaginary parts: ``Imag2Complex(x)``."""
        return self._to_complex("Imag2Complex")

    def exp1j(self) -> Any:
        """``exp(1j * x)`` of a real vector: ``ComplexExp1j(x)``."""
        return self._to_complex("ComplexExp1j")
