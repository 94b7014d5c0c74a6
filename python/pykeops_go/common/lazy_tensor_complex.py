"""ComplexGenericLazyTensor: LazyTensors of complex numbers.

A complex vector of length L is stored as 2L interleaved reals ``(re, im)``:
``ndim`` counts reals, ``shape`` and ``dtype`` speak complex. Arithmetic uses
the ``Complex*`` operations of the formula language (formula-language.md §7.6);
a real operand is promoted with ``Real2Complex``, except a real scalar factor,
which gives ``ComplexRealScal``. Reductions return complex arrays.
"""

from __future__ import annotations

from typing import Any

from pykeops_go.common.lazy_tensor import GenericLazyTensor
from pykeops_go.common.lazy_tensor_math import is_int, is_scalar_and_equals

_COMPLEX_DTYPES = {"float32": "complex64", "float64": "complex128"}
# The operations of the arithmetic operators (see MathMixin._arithmetic).
_COMPLEX_OPS = {"+": "ComplexAdd", "-": "ComplexSubtract", "*": "ComplexMult", "/": "ComplexDivide"}


class ComplexGenericLazyTensor(GenericLazyTensor):
    """A LazyTensor of complex numbers (see :class:`GenericLazyTensor` for construction)."""

    is_complex = True

    @property
    def dtype(self) -> str | None:
        """``"complex64"`` or ``"complex128"``, None for a data-free LazyTensor."""
        return _COMPLEX_DTYPES.get(self._dtype, self._dtype)

    def _vector_dim(self) -> int:
        return 1 if self.ndim is None else self.ndim // 2

    # ------------------------------------------------------------- arithmetic
    def _complex_binary(self, other: Any, op: str, rversion: bool = False) -> Any:
        other = self._lift(other)
        if not other.is_complex:
            other = other.real2complex()
        a, b = self.ndim, other.ndim
        if a != b and 2 not in (a, b):
            raise ValueError(f"Operation {op} expects complex inputs of the same dimension or "
                             f"dimension 1. Received {a // 2} and {b // 2}.")
        return self.binary(other, op, dimcheck=None, rversion=rversion, is_complex=True)

    def _real_scalar(self, other: Any) -> Any:
        """other lifted if it is a real LazyTensor of dimension 1, else None."""
        other = self._lift(other)
        return other if not other.is_complex and other.ndim == 1 else None

    def mulop(self, other: Any, **kwargs) -> Any:
        """Product with a real scalar: ``ComplexRealScal(z, s)``."""
        return self.binary(other, "ComplexRealScal", dimcheck="vecand1",
                           is_complex=True, **kwargs)

    def _arithmetic(self, op: str, other: Any, rversion: bool = False) -> Any:
        """``Complex<Op>(z, w)`` (``(w, z)`` with rversion) past the shortcuts of the operators;
        a real scalar factor gives ``ComplexRealScal(z, s)``."""
        if op == "*":
            scalar = self._real_scalar(other)
            if scalar is not None:
                return self.mulop(scalar, rversion=rversion)
        return self._complex_binary(other, _COMPLEX_OPS[op], rversion=rversion)

    def __rtruediv__(self, other: Any) -> Any:
        """Reflected complex division ``ComplexDivide(w, z)``; ``0 / z`` is the int 0 (no ``Inv``)."""
        if is_scalar_and_equals(other, 0):
            return 0
        return self._arithmetic("/", other, rversion=True)

    def __pow__(self, other: Any) -> Any:
        """``z ** n`` for an int ``n >= 1``, by repeated ``ComplexMult``."""
        if not is_int(other) or other < 1:
            raise ValueError("complex LazyTensors support only powers by an integer n >= 1")
        res, base, n = None, self, int(other)
        while n:
            if n & 1:
                res = base if res is None else res._complex_binary(base, "ComplexMult")
            n >>= 1
            if n:
                base = base._complex_binary(base, "ComplexMult")
        return res

    def square(self) -> Any:
        """``ComplexMult(z, z)``."""
        return self ** 2

    # ---------------------------------------------------- complex functions
    def _to_real(self, op: str) -> Any:
        return self.unary(op, is_complex=False)

    @property
    def real(self) -> Any:
        """Real parts: ``ComplexReal(z)`` (a real LazyTensor)."""
        return self._to_real("ComplexReal")

    @property
    def imag(self) -> Any:
        """Imaginary parts: ``ComplexImag(z)`` (a real LazyTensor)."""
        return self._to_real("ComplexImag")

    def angle(self) -> Any:
        """Arguments: ``ComplexAngle(z)`` (a real LazyTensor)."""
        return self._to_real("ComplexAngle")

    def __abs__(self) -> Any:
        """Moduli: ``ComplexAbs(z)`` (a real LazyTensor)."""
        return self._to_real("ComplexAbs")

    def conj(self) -> Any:
        """Complex conjugate: ``Conj(z)``."""
        return self.unary("Conj")

    def exp(self) -> Any:
        """Complex exponential: ``ComplexExp(z)``."""
        return self.unary("ComplexExp")

    def _vector_op(self, op: str) -> Any:
        if op == "Sum":
            return self.unary("ComplexSum")
        raise ValueError(f"the vector operation {op} is not defined for complex LazyTensors")

    # ------------------------------------------------------------------ calls
    def _call_args(self, args: tuple) -> tuple:
        """Complex arrays of symbolic variables are passed as interleaved reals."""
        A = self.arrays
        return tuple(A.complex_data_to_real(a) if A.is_array(a) else a for a in args)

    def _out_arg(self, out: Any) -> Any:
        """A complex ``out=`` array is written through its interleaved-real view."""
        return self.arrays.complex_out_to_real(out)

    def _finish(self, out: Any) -> Any:
        """Reduction results as complex arrays (last axis halved)."""
        return self.arrays.real_to_complex(out)
