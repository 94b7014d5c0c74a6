"""LazyTensor operators and elementwise functions (mixin of GenericLazyTensor).

Every method builds a formula of the KeOps language (spec formula-language.md
§7.1); operands that are not LazyTensors are converted by the construction
rules (a float becomes a ``Pm(1)`` parameter, an int an ``IntCst``).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from pykeops_go.common import engine


def is_scalar_and_equals(x: Any, val: float) -> bool:
    """True if x is a Python/NumPy number (not a bool) equal to val."""
    if isinstance(x, (bool, np.bool_)):
        return False
    return isinstance(x, numbers.Number) and x == val


def is_int(x: Any) -> bool:
    """True if x is a Python/NumPy integer (not a bool)."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _elementwise(op: str, name: str, what: str):
    """A method ``name()`` returning ``op(self)`` elementwise."""

    def method(self):
        return self.unary(op)

    method.__name__ = name
    method.__doc__ = f"""Elementwise {what}: the formula ``{op}(x)``.

        Returns
        -------
        LazyTensor
            Same dimension as ``self``.
        """
    return method


def _comparison(op: str, infix: bool, name: str):
    """A comparison method: ``op(self, other)`` or ``(self op other)``, 0/1 valued."""

    def method(self, other):
        return self.binary(other, op, is_operator=infix)

    method.__name__ = name
    spelled = f"(x {op} y)" if infix else f"{op}(x, y)"
    method.__doc__ = f"""Elementwise comparison, 1 where true and 0 elsewhere: ``{spelled}``.

        Parameters
        ----------
        other : LazyTensor, float, int or list
            Same dimension as ``self``, or dimension 1.
        """
    return method


class MathMixin:
    """Arithmetic, comparisons and elementwise math of LazyTensors."""

    # ------------------------------------------------------------- arithmetic
    # The operators first take the shortcuts of pykeops (``x + 0`` is ``x``,
    # ``x * 0`` the int 0...), then build the formula with _arithmetic, which
    # ComplexGenericLazyTensor overrides with the Complex* operations.
    def _arithmetic(self, op: str, other: Any, rversion: bool = False) -> Any:
        """``(self op other)``, or ``(other op self)`` with rversion; op is + - * or /.

        A complex operand builds the result when self is real.
        """
        other = self._lift(other)
        if other.is_complex and not self.is_complex:
            return other._arithmetic(op, self, rversion=not rversion)
        return self.binary(other, op, is_operator=True, rversion=rversion)

    def _product_shortcut(self, other: Any) -> Any:
        """``x * 0`` is the int 0, ``x * 1`` is ``x``, ``x * -1`` is ``Minus(x)``; else None."""
        if is_scalar_and_equals(other, 0):
            return 0
        if is_scalar_and_equals(other, 1):
            return self
        if is_scalar_and_equals(other, -1):
            return self.unary("Minus")
        return None

    def addop(self, other: Any, **kwargs) -> Any:
        """``(self + other)`` without shortcuts."""
        return self.binary(other, "+", is_operator=True, **kwargs)

    def subop(self, other: Any, **kwargs) -> Any:
        """``(self - other)`` without shortcuts."""
        return self.binary(other, "-", is_operator=True, **kwargs)

    def mulop(self, other: Any, **kwargs) -> Any:
        """``(self * other)`` without shortcuts."""
        return self.binary(other, "*", is_operator=True, **kwargs)

    def divop(self, other: Any, **kwargs) -> Any:
        """``(self / other)`` without shortcuts."""
        return self.binary(other, "/", is_operator=True, **kwargs)

    def __add__(self, other: Any) -> Any:
        """Broadcasted addition ``(x + y)`` (``ComplexAdd`` if complex); ``x + 0`` is ``x``."""
        if is_scalar_and_equals(other, 0):
            return self
        return self._arithmetic("+", other)

    def __radd__(self, other: Any) -> Any:
        """Reflected addition ``(y + x)``; ``0 + x`` is ``x``."""
        if is_scalar_and_equals(other, 0):
            return self
        return self._arithmetic("+", other, rversion=True)

    def __sub__(self, other: Any) -> Any:
        """Broadcasted subtraction ``(x - y)`` (``ComplexSubtract`` if complex); ``x - 0`` is ``x``."""
        if is_scalar_and_equals(other, 0):
            return self
        return self._arithmetic("-", other)

    def __rsub__(self, other: Any) -> Any:
        """Reflected subtraction ``(y - x)``; ``0 - x`` is ``Minus(x)``."""
        if is_scalar_and_equals(other, 0):
            return self.unary("Minus")
        return self._arithmetic("-", other, rversion=True)

    def __mul__(self, other: Any) -> Any:
        """Broadcasted product ``(x * y)`` (``ComplexMult`` or ``ComplexRealScal`` if complex);
        ``x * 0`` is the int 0, ``x * 1`` is ``x``, ``x * -1`` is ``Minus(x)``."""
        shortcut = self._product_shortcut(other)
        return shortcut if shortcut is not None else self._arithmetic("*", other)

    def __rmul__(self, other: Any) -> Any:
        """Reflected product ``(y * x)``, with the shortcuts of :meth:`__mul__`."""
        shortcut = self._product_shortcut(other)
        return shortcut if shortcut is not None else self._arithmetic("*", other, rversion=True)

    def __truediv__(self, other: Any) -> Any:
        """Broadcasted division ``(x / y)`` (``ComplexDivide`` if complex); ``x / 1`` is ``x``."""
        if is_scalar_and_equals(other, 1):
            return self
        return self._arithmetic("/", other)

    def __rtruediv__(self, other: Any) -> Any:
        """Reflected division ``(y / x)``; ``0 / x`` is the int 0, ``1 / x`` is ``Inv(x)``."""
        if is_scalar_and_equals(other, 0):
            return 0
        if is_scalar_and_equals(other, 1):
            return self.unary("Inv")
        return self._arithmetic("/", other, rversion=True)

    def __or__(self, other: Any) -> Any:
        """Scalar product ``(x | y)`` of two vectors of the same dimension (dimension 1)."""
        return self.binary(other, "|", is_operator=True, dimcheck="same")

    def __ror__(self, other: Any) -> Any:
        """Reflected scalar product ``(y | x)``."""
        return self.binary(other, "|", is_operator=True, dimcheck="same", rversion=True)

    def __neg__(self) -> Any:
        """``Minus(x)``."""
        return self.unary("Minus")

    def __abs__(self) -> Any:
        """Elementwise absolute value ``Abs(x)``."""
        return self.unary("Abs")

    def __pow__(self, other: Any) -> Any:
        """Power: ``x**2`` is ``Square``, ``x**n`` ``Pow(x,n)``, ``x**0.5`` ``Sqrt``,
        ``x**-0.5`` ``Rsqrt``; other floats and LazyTensors give ``Powf(x, y)``.

        Parameters
        ----------
        other : int, float or LazyTensor
            A LazyTensor exponent must have dimension 1 or that of ``self``.
        """
        if is_int(other):
            return self.unary("Square") if other == 2 else self.unary("Pow", opt_arg=int(other))
        if isinstance(other, (float, np.floating)):
            if other == 0.5:
                return self.unary("Sqrt")
            if other == -0.5:
                return self.unary("Rsqrt")
            other = self.lt_constructor(other)
        if hasattr(other, "formula") and hasattr(other, "ndim"):
            if other.ndim in (1, self.ndim):
                return self.binary(other, "Powf", dimcheck=None)
            raise ValueError("Incompatible dimensions for the LazyTensor and its exponent: "
                             f"{self.ndim} and {other.ndim}.")
        raise ValueError("The exponent should be an integer, a float number or a LazyTensor.")

    def power(self, other: Any) -> Any:
        """``self ** other`` (see :meth:`__pow__`)."""
        return self ** other

    def abs(self) -> Any:
        """Elementwise absolute value ``Abs(x)``."""
        return abs(self)

    # ------------------------------------------------------------ comparisons
    __eq__ = _comparison("Equal", False, "__eq__")
    __ne__ = _comparison("NotEqual", False, "__ne__")
    __lt__ = _comparison("<", True, "__lt__")
    __gt__ = _comparison(">", True, "__gt__")
    __le__ = _comparison("<=", True, "__le__")
    __ge__ = _comparison(">=", True, "__ge__")

    # ---------------------------------------------------- elementwise functions
    # exp, log, sin, erf...: one method per op of the Go op table that names
    # a LazyTensor method, added after the class.

    def sinc(self) -> Any:
        """Normalized sinc ``sin(pi x) / (pi x)``: ``SinXDivX((pi * x))``."""
        return (math.pi * self).sinxdivx()

    def atan2(self, other: Any) -> Any:
        """Elementwise ``atan2(self, other)`` (self is the "y" argument)."""
        return self.binary(other, "Atan2")

    def clamp(self, other1: Any, other2: Any) -> Any:
        """Clamp ``self`` to ``[other1, other2]``: ``ClampInt(x,a,b)`` for two ints,
        else ``Clamp(x, a, b)``."""
        if all(isinstance(o, int) and not isinstance(o, bool) for o in (other1, other2)):
            return self.clampint(other1, other2)
        return self.ternary(other1, other2, "Clamp")

    def clampint(self, other1: int, other2: int) -> Any:
        """Clamp ``self`` to the integer interval ``[other1, other2]``: ``ClampInt(x,a,b)``."""
        return self.unary("ClampInt", opt_arg=int(other1), opt_arg2=int(other2))

    def ifelse(self, other1: Any, other2: Any) -> Any:
        """``other1`` where ``self >= 0``, ``other2`` elsewhere: ``IfElse(x, a, b)``."""
        return self.ternary(other1, other2, "IfElse")

    def mod(self, modulus: Any, offset: Any = 0) -> Any:
        """``self - modulus * floor((self - offset) / modulus)``: ``Mod(x, m, o)``."""
        return self.ternary(modulus, offset, "Mod")

    def round(self, d: int = 0) -> Any:
        """Round half away from zero to ``d`` decimals: ``Round(x,d)``."""
        return self.unary("Round", opt_arg=int(d))


for _op, _name, _what in engine.elementwise_methods():
    setattr(MathMixin, _name, _elementwise(_op, _name, _what))
del _op, _name, _what
