"""GenericLazyTensor: the symbolic wrapper shared by the NumPy and torch bindings.

A LazyTensor is a formula string plus the small arrays it reads. Each data
array is a leaf written ``Var(@<token>,<dim>,<cat>)`` where the token is
``id(array)``, as in pykeops: two LazyTensors built from the same array object
with the same category are the same variable (so ``Vi(x).grad(Vi(x), e)``
works), and the array is kept alive by ``_vars`` so its id is not reused.
pykeops keys leaves by id alone and takes a view for ``axis=1`` to tell
``Vi(x)`` from ``Vj(x)``; we key them by (id, category). Symbolic variables are
written ``VarSymb(<ind>,<dim>,<cat>)``. Just before a reduction the leaves are
numbered ``S, S+1, ...`` in order of first appearance in the formula (S =
number of symbolic variables), so identical expressions always give the same
formula string and hit the engine's kernel cache (``engine._cache``).

The operations live in mixins, by category: ``lazy_tensor_math`` (operators,
elementwise functions), ``lazy_tensor_vector`` (norms, selection, linear
algebra, derivatives), ``lazy_tensor_reductions`` (reductions, ``K @ v``,
``solve``) and ``lazy_tensor_complex`` (ComplexGenericLazyTensor).

The few places that touch arrays go through the binding's array adapter
(``arrays``, see ``common/arrays.py``), which each binding's LazyTensor sets
together with the Genred and KernelSolve classes it reduces with
(``pykeops_go/numpy/lazytensor/LazyTensor.py``,
``pykeops_go/torch/lazytensor/LazyTensor.py``).
"""

from __future__ import annotations

import copy
import numbers
import re
from typing import Any, Sequence

import numpy as np

from pykeops_go.common import engine
from pykeops_go.common.arrays import ArrayAdapter
from pykeops_go.common.lazy_tensor_math import MathMixin, is_int
from pykeops_go.common.lazy_tensor_math import is_scalar_and_equals  # noqa: F401 (as pykeops)
from pykeops_go.common.lazy_tensor_reductions import ReductionMixin
from pykeops_go.common.lazy_tensor_vector import VectorMixin

LEAF = re.compile(r"Var\(@(\d+),(\d+),(\d+)\)")
SYMB = re.compile(r"VarSymb\((-?\d+),(\d+),(\d+)\)")

# Keyword arguments of a reduction that configure the Genred constructor; all
# others (backend, device_id, ranges, out, alpha, eps) go to the call.
INIT_KWARGS = ("dtype_acc", "use_double_acc", "sum_scheme", "enable_chunks", "use_fast_math",
               "optional_flags")


def broadcast_batchdims(a: tuple | None, b: tuple | None) -> tuple | None:
    """The broadcast of two batch shapes (None = no batch dimension)."""
    if a is None:
        return b
    if b is None:
        return a
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(pa, pb):
        if x != y and x != 1 and y != 1:
            raise ValueError(f"Incompatible batch dimensions: {a} and {b}.")
        out.append(max(x, y))
    return tuple(out)


def swap_axes(ranges: Sequence[Any] | None) -> tuple | None:
    """Exchange the i and j halves of a 6-tuple of ranges (None stays None)."""
    if ranges is None:
        return None
    r = tuple(ranges)
    return (r[3], r[4], r[5], r[0], r[1], r[2])


def _swap_cat(m: re.Match, head: str) -> str:
    cat = {"0": "1", "1": "0"}.get(m.group(3), m.group(3))
    return f"{head}({m.group(1)},{m.group(2)},{cat})"


def transpose_formula(formula: str | None) -> str | None:
    """Exchange categories 0 and 1 of every leaf and symbolic variable."""
    if formula is None:
        return None
    formula = LEAF.sub(lambda m: _swap_cat(m, "Var").replace("Var(", "Var(@", 1), formula)
    return SYMB.sub(lambda m: _swap_cat(m, "VarSymb"), formula)


class GenericLazyTensor(MathMixin, VectorMixin, ReductionMixin):
    """Symbolic wrapper for arrays: a formula plus the small arrays it reads.

    Parameters
    ----------
    x : float, int, list, tuple, ndarray or None
        - a float, a list of floats, a 0-D or 1-D array: a parameter ``Pm(D)``;
        - a 2-D array ``(M, D)`` with ``axis`` 0 (``Vi``) or 1 (``Vj``);
        - a 3-D+ array ``(..., M, 1, D)`` (``Vi``), ``(..., 1, N, D)`` (``Vj``)
          or ``(..., 1, 1, D)`` (``Pm``), leading axes being batch dimensions;
        - an int: the constant ``IntCst(n)``;
        - a tuple ``(ind, dim, cat)``: a symbolic variable, bound at call time;
        - complex data: a ComplexLazyTensor;
        - None: an empty LazyTensor (internal use).
    axis : int, optional
        0, 1 or 2 (= parameter) for 2-D arrays; None otherwise.
    is_complex : bool
        Read real data as interleaved ``(re, im)`` complex numbers.
    """

    # NumPy operators defer to ours: ndarray * LazyTensor calls __rmul__.
    __array_ufunc__ = None
    # __getitem__ slices the vector axis: do not let Python iterate with it.
    __iter__ = None

    is_complex = False
    formula: str | None = None
    formula2: str | None = None
    ndim: int | None = None
    axis: int | None = None
    batchdims: tuple | None = None
    ni: int | None = None
    nj: int | None = None
    ranges = None
    backend: str | None = None
    _dtype: str | None = None
    _vars: dict = {}  # token -> array or list of floats (never mutated in place)
    symbolic_variables: tuple = ()
    # The binding's toolbox and routines, as in pykeops (set by the NumPy / torch subclasses).
    tools = None
    Genred = None
    KernelSolve = None

    def get_tools(self) -> None:
        """Bind ``tools``, ``Genred`` and ``KernelSolve`` of the binding (subclasses do)."""

    # Set by the binding (pykeops_go.numpy.lazytensor.LazyTensor).
    _real_cls: type | None = None
    _complex_cls: type | None = None

    def __init__(self, x: Any = None, axis: int | None = None, is_complex: bool = False):
        if x is None:
            return
        if is_complex or self._is_complex_data(x):
            self.is_complex = True
            x = self._complex_data_to_real(x)
        if isinstance(x, tuple):
            self._init_symbolic(x, axis)
        elif is_int(x):
            self.formula, self.ndim, self.axis = f"IntCst({int(x)})", 1, 2
        elif isinstance(x, (float, np.floating)):
            self._init_list([float(x)], axis)
        elif isinstance(x, list):
            self._init_list(x, axis)
        elif self._is_array(x):
            self._init_array(x, axis)
        else:
            raise TypeError(f"LazyTensors should be built from {self.arrays.framework} arrays, float/integer "
                            f"numbers, lists of floats or 3-uples of integers. Received: {type(x)}")
        if self.is_complex and self.ndim % 2:
            raise ValueError("complex data must have an even number of interleaved real values")

    # ------------------------------------------------------------ construction
    def _init_symbolic(self, x: tuple, axis):
        if len(x) != 3 or not all(isinstance(v, int) and not isinstance(v, bool) for v in x):
            raise ValueError("LazyTensors(tuple) is only valid if tuple = (ind,dim,cat) is a triplet "
                             "of integers.")
        if axis is not None:
            raise ValueError("'axis' parameter should not be given when 'x' is of the form "
                             "(ind,dim,cat).")
        ind, dim, cat = x
        if dim < 1 or cat not in (0, 1, 2):
            raise ValueError(f"LazyTensor((ind,dim,cat)): need dim >= 1 and cat in {{0,1,2}}, got {x}")
        self.symbolic_variables = (x,)
        self.ind, self.ndim, self.axis = ind, dim, cat
        self.formula = f"VarSymb({ind},{dim},{cat})"

    def _init_list(self, x: list, axis):
        if axis is not None and axis != 2:
            raise ValueError("Lists of numbers are handled as Parameter variables, with an optional "
                             "'axis' argument that is equal to 2.")
        if len(x) == 0 or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in x):
            raise TypeError(f"LazyTensor(list) needs a non-empty list of real numbers, got {x!r}")
        self._leaf([float(v) for v in x], len(x), 2)

    def _init_array(self, x: Any, axis):
        self._dtype = self._array_dtype(x)
        if x.ndim >= 3:
            if axis is not None:
                raise ValueError("'axis' parameter should not be given when 'x' is a 3D tensor.")
            if x.ndim > 3:
                self.batchdims = tuple(x.shape[:-3])
            if x.shape[-3] == 1 and x.shape[-2] == 1:
                x, axis = x[..., 0, 0, :], 2
            elif x.shape[-3] == 1:
                x, axis = x[..., 0, :, :], 1
            elif x.shape[-2] == 1:
                x, axis = x[..., :, 0, :], 0
            else:
                raise ValueError("If 'x' is a 3D+ tensor, its shape should be one of (..,M,1,D), "
                                 "(..,1,N,D) or (..,1,1,D).")
            if axis == 2 and self.batchdims is None:
                x = x.reshape(-1)
        elif x.ndim == 2 and axis != 2:
            if axis not in (0, 1):
                raise ValueError("When 'x' is encoded as a 2D array, LazyTensor expects an explicit "
                                 "'axis' value in {0,1}.")
        else:  # 0-D, 1-D, or 2-D with axis=2: a parameter
            if axis is not None and axis != 2:
                raise ValueError("When 'x' is encoded as a 1D or 0D array, 'axis' must be None or 2 "
                                 "(= Parameter variable).")
            if x.ndim == 2 and x.shape[0] != 1:
                raise ValueError(f"LazyTensor(x, axis=2) needs a (D,) or (1, D) array, got {x.shape}; "
                                 "pykeops would read only the first row. Use a (B, 1, 1, D) array for "
                                 "batched parameters")
            x, axis = x.reshape(-1), 2
        self._leaf(x, x.shape[-1], axis)
        if axis == 0:
            self.ni = x.shape[-2]
        elif axis == 1:
            self.nj = x.shape[-2]

    def _leaf(self, data, dim: int, cat: int):
        tok = id(data)
        self._vars = {tok: data}
        self.ndim, self.axis = dim, cat
        self.formula = f"Var(@{tok},{dim},{cat})"

    # ------------------------------------------------------- the array adapter
    # The binding's (common/arrays.py): numpy/arrays.py, torch/arrays.py.
    arrays: type[ArrayAdapter] = ArrayAdapter

    def _is_array(self, x: Any) -> bool:
        return self.arrays.is_array(x)

    def _array_dtype(self, x: Any) -> str:
        return self.arrays.dtype_name(x)

    def _list_array(self, values: list, dtype: str | None) -> Any:
        return self.arrays.list_array(values, dtype)

    def _as_array(self, v: Any) -> Any:
        return self.arrays.as_array(v)

    def _is_complex_data(self, x: Any) -> bool:
        return self.arrays.is_complex_data(x)

    def _complex_data_to_real(self, x: Any) -> Any:
        return self.arrays.complex_data_to_real(x)

    # --------------------------------------------------------- bookkeeping
    def _class(self, is_complex: bool) -> type:
        if not is_complex:
            return self._real_cls or GenericLazyTensor
        if self._complex_cls is not None:
            return self._complex_cls
        from pykeops_go.common.lazy_tensor_complex import ComplexGenericLazyTensor
        return ComplexGenericLazyTensor

    def _new(self, is_complex: bool) -> "GenericLazyTensor":
        return self._class(is_complex)()

    def lt_constructor(self, x: Any = None, axis: int | None = None,
                       is_complex: bool = False) -> "GenericLazyTensor":
        """A new LazyTensor of this binding (pykeops' name); complex data gives a complex one."""
        cls = self._class(is_complex or self._is_complex_data(x))
        return cls(x, axis=axis, is_complex=is_complex)

    def _lift(self, x: Any, axis: int | None = None) -> "GenericLazyTensor":
        """x itself if it is a LazyTensor, else LazyTensor(x) by the construction rules."""
        return x if isinstance(x, GenericLazyTensor) else self.lt_constructor(x, axis=axis)

    def _copy(self, is_complex: bool | None = None) -> "GenericLazyTensor":
        """A LazyTensor with the attributes of self and no formula (pykeops' init)."""
        res = self._new(self.is_complex if is_complex is None else is_complex)
        for name in ("_dtype", "batchdims", "ni", "nj", "ranges", "backend", "_vars",
                     "symbolic_variables"):
            setattr(res, name, getattr(self, name))
        return res

    def _check_not_reduced(self):
        if getattr(self, "reduction_op", None) is not None:
            raise ValueError("Input is a 'reduced' LazyTensor, no operation can be applied to it. ")

    def _join(self, others, is_complex: bool) -> "GenericLazyTensor":
        """Merge the attributes and variables of self and others, checking they agree."""
        res = self._copy(is_complex)
        for o in others:
            o._check_not_reduced()
            for prop in ("_dtype", "ni", "nj", "ranges", "backend"):
                x, y = getattr(res, prop), getattr(o, prop)
                if y is None:
                    continue
                if x is not None and not _same(x, y):
                    raise ValueError(f"Incompatible values for attribute {prop}: {x} and {y}.")
                setattr(res, prop, y)
            res.batchdims = broadcast_batchdims(res.batchdims, o.batchdims)
            if o._vars:
                res._vars = {**res._vars, **o._vars}
            res.symbolic_variables = tuple(dict.fromkeys(res.symbolic_variables + o.symbolic_variables))
        return res

    def _apply(self, name: str, operands=(), params=(), dimres: int | None = None,
               is_complex: bool | None = None, rversion: bool = False, infix: bool = False):
        """``name(self, *operands, *params)`` as a new LazyTensor.

        operands are LazyTensors (already lifted), params are strings written
        verbatim (ints, int lists). rversion swaps self and the first operand
        in the string; infix writes ``(A name B)``. The dimension of the result
        is the op table's (Go checks the operands' dimensions), unless dimres
        gives it: then nothing is checked before the reduction compiles.
        """
        self._check_not_reduced()
        if is_complex is None:
            is_complex = self.is_complex or any(o.is_complex for o in operands)
        res = self._join(operands, is_complex)
        args = [self.formula] + [o.formula for o in operands]
        if rversion:
            args[0], args[1] = args[1], args[0]
        res.formula = _written(name, args, params, infix)
        if dimres is None:
            dims = [self.ndim] + [o.ndim for o in operands]
            if rversion:
                dims[0], dims[1] = dims[1], dims[0]
            dimres = _dim_of(name, dims, params, infix)
        res.ndim = dimres
        return res

    def unary(self, operation: str, dimres: int | None = None, opt_arg: int | None = None,
              opt_arg2: int | None = None, is_complex: bool | None = None) -> "GenericLazyTensor":
        """``operation(self[, opt_arg[, opt_arg2]])``, with integer options (pykeops' name)."""
        params = [p for p in (opt_arg, opt_arg2) if p is not None]
        return self._apply(operation, (), params, dimres, is_complex)

    def binary(self, other: Any, operation: str, is_operator: bool = False, dimres: int | None = None,
               dimcheck: str | None = "sameor1", opt_arg: int | None = None, rversion: bool = False,
               is_complex: bool | None = None) -> "GenericLazyTensor":
        """``operation(self, other)`` or ``(self operation other)``, with a dimension check.

        dimcheck is ``"sameor1"`` (equal dims or one of them 1), ``"same"``,
        ``"vecand1"`` (other of dim 1) or None.
        """
        other = self._lift(other)
        self._check_dims(operation, dimcheck, other)
        params = () if opt_arg is None else (opt_arg,)
        return self._apply(operation, (other,), params, dimres, is_complex, rversion, is_operator)

    def ternary(self, other1: Any, other2: Any, operation: str, dimres: int | None = None,
                dimcheck: str | None = "sameor1", opt_arg: int | None = None) -> "GenericLazyTensor":
        """``operation(self, other1, other2[, opt_arg])`` with a dimension check."""
        o1, o2 = self._lift(other1), self._lift(other2)
        self._check_dims(operation, dimcheck, o1, o2)
        params = () if opt_arg is None else (opt_arg,)
        return self._apply(operation, (o1, o2), params, dimres)

    def _check_dims(self, operation: str, dimcheck: str | None, *others):
        dims = [self.ndim] + [o.ndim for o in others]
        shown = ", ".join(map(str, dims[:-1])) + f" and {dims[-1]}"
        if dimcheck == "same" and len(set(dims)) > 1:
            raise ValueError(f"Operation {operation} expects inputs of the same dimension. "
                             f"Received {shown}.")
        if dimcheck == "sameor1" and len(set(dims) | {1}) > 2:
            raise ValueError(f"Operation {operation} expects inputs of the same dimension or "
                             f"dimension 1. Received {shown}.")
        if dimcheck == "vecand1" and dims[-1] != 1:
            raise ValueError(f"Operation {operation} expects a vector and a scalar input (of "
                             f"dimension 1). Received {shown}.")
        if dimcheck not in (None, "same", "sameor1", "vecand1"):
            raise ValueError(f"Incorrect dimcheck keyword in binary operation: {dimcheck!r}")

    # ------------------------------------------------------- variable numbering
    def new_variable_index(self) -> int:
        """The first index after the symbolic variables (0 if there are none)."""
        sv = self.symbolic_variables
        return 1 + max(v[0] for v in sv) if sv else 0

    def _numbered(self):
        """(formula, formula2, [(token, cat)]) with leaves numbered from new_variable_index.

        The same expression always gives the same strings (fixvariables in pykeops).
        """
        start = self.new_variable_index()
        order: dict[tuple[int, int], int] = {}  # (token, cat) -> index

        def number(m: re.Match) -> str:
            key = (int(m.group(1)), int(m.group(3)))
            ind = order.setdefault(key, start + len(order))
            return f"Var({ind},{m.group(2)},{m.group(3)})"

        text = LEAF.sub(number, self.formula + "\n" + (self.formula2 or "")).replace("VarSymb(", "Var(")
        f1, _, f2 = text.partition("\n")
        return f1, f2 or None, list(order)

    def _data_arrays(self, leaves, dtype) -> list:
        """The leaves' arrays, lists converted to dtype, padded with leading 1s for batches."""
        nb = self.nbatchdims
        out = []
        for tok, cat in leaves:
            v = self._vars[tok]
            if isinstance(v, list):
                v = self._list_array(v, dtype)
            want = nb + (2 if cat in (0, 1) else 1)
            if v.ndim < want:
                v = v.reshape((1,) * (want - v.ndim) + v.shape)
            out.append(v)
        return out

    @staticmethod
    def separate_kwargs(kwargs: dict) -> tuple[dict, dict]:
        """Split reduction kwargs into (Genred constructor kwargs, call kwargs)."""
        init = {k: v for k, v in kwargs.items() if k in INIT_KWARGS}
        call = {k: v for k, v in kwargs.items() if k not in INIT_KWARGS}
        return init, call

    # ------------------------------------------------------------- properties
    @property
    def variables(self) -> tuple:
        """The data arrays (and float lists) read by the formula."""
        return tuple(self._vars.values())

    @property
    def dtype(self) -> str | None:
        """NumPy dtype name of the data, None for a data-free LazyTensor."""
        return self._dtype

    @property
    def _shape(self) -> tuple:
        return (tuple(self.batchdims or ()) + (self.ni or 1, self.nj or 1, self._vector_dim()))

    def _vector_dim(self) -> int:
        return 1 if self.ndim is None else self.ndim

    @property
    def shape(self) -> tuple:
        """``batchdims + (M, N, D)``, without D when D == 1."""
        s = self._shape
        return s[:-1] if s[-1] == 1 else s

    def dim(self) -> int:
        """Number of axes of the LazyTensor, including the vector axis."""
        return len(self._shape)

    @property
    def nbatchdims(self) -> int:
        """Number of batch dimensions."""
        return 0 if self.batchdims is None else len(self.batchdims)

    def __str__(self) -> str:
        f1, f2, _ = self._numbered() if self.formula else ("None", None, None)
        s = f"KeOps LazyTensor\n    formula: {f1}"
        if self.symbolic_variables:
            s += "\n    symbolic variables: " + ", ".join(f"Var{v}" for v in self.symbolic_variables)
        s += f"\n    shape: {self.shape}"
        if getattr(self, "reduction_op", None) is not None:
            s += f"\n    reduction: {self.reduction_op} (axis={self.axis})"
            if f2 is not None:
                s += f"\n        formula2: {f2}"
            if getattr(self, "opt_arg", None) is not None:
                s += f"\n        opt_arg: {self.opt_arg}"
        return s

    __repr__ = __str__
    __hash__ = object.__hash__  # __eq__ builds a formula; keep identity hashing

    # ---------------------------------------------------------- transposition
    def t(self) -> "GenericLazyTensor":
        """The transposed LazyTensor: i and j exchanged everywhere."""
        res = copy.copy(self)
        res.ni, res.nj = self.nj, self.ni
        res.ranges = swap_axes(self.ranges)
        if self.axis in (0, 1):
            res.axis = 1 - self.axis
        res.formula = transpose_formula(self.formula)
        res.formula2 = transpose_formula(self.formula2)
        res.symbolic_variables = tuple((i, d, {0: 1, 1: 0}.get(c, c))
                                       for i, d, c in self.symbolic_variables)
        if getattr(self, "reduction_op", None) is not None:
            res._compile(self._kwargs_init)
        return res

    @property
    def T(self) -> "GenericLazyTensor":
        """The transposed LazyTensor (see :meth:`t`)."""
        return self.t()


def variable_constructors(cls: type, data: str = "array") -> tuple:
    """``Var``, ``Vi``, ``Vj`` and ``Pm`` building LazyTensors of ``cls`` (one set per
    framework module); ``data`` names the framework's data in their docstrings."""

    def Var(x_or_ind: Any, dim: int | None = None, cat: int | None = None):
        if dim is None:
            return cls(x_or_ind, axis=cat)
        return cls((x_or_ind, dim, cat))

    def Vi(x_or_ind: Any, dim: int | None = None):
        return Var(x_or_ind, dim, 0)

    def Vj(x_or_ind: Any, dim: int | None = None):
        return Var(x_or_ind, dim, 1)

    def Pm(x_or_ind: Any, dim: int | None = None):
        return Var(x_or_ind, dim, 2)

    Var.__doc__ = "``LazyTensor(x, axis=cat)`` for data, or the symbolic variable ``(ind, dim, cat)``."
    Vi.__doc__ = f"A variable indexed by i: ``Vi(x)`` for an ``(M, D)`` {data}, ``Vi(ind, dim)`` symbolic."
    Vj.__doc__ = f"A variable indexed by j: ``Vj(y)`` for an ``(N, D)`` {data}, ``Vj(ind, dim)`` symbolic."
    Pm.__doc__ = f"A parameter: ``Pm(p)`` for a float, list or ``(D,)`` {data}, ``Pm(ind, dim)`` symbolic."
    for f in (Var, Vi, Vj, Pm):
        f.__module__, f.__qualname__ = cls.__module__, f.__name__
    return Var, Vi, Vj, Pm


def _written(name: str, args: Sequence[str], params: Sequence[Any], infix: bool) -> str:
    """The formula of an operation on the formulas ``args``."""
    if infix:
        return f"({args[0]} {name} {args[1]})"
    return f"{name}({', '.join([*args, *(str(p) for p in params)])})"


def _dim_of(name: str, dims: Sequence[int], params: Sequence[Any], infix: bool) -> int:
    """The dimension of ``name`` applied to operands of dimensions ``dims``, by the op table
    (``engine.formula_dim`` on placeholder variables; cached by the formula written)."""
    src = _written(name, [f"Var({k},{d},0)" for k, d in enumerate(dims)], params, infix)
    try:
        return engine.formula_dim(src)
    except ValueError as err:
        raise ValueError(f"LazyTensor: {err}") from None


def _same(x, y) -> bool:
    if isinstance(x, (tuple, list)) and isinstance(y, (tuple, list)):
        return len(x) == len(y) and all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(x, y))
    return x == y


# ------------------------------------------------- pykeops.common.lazy_tensor's names
from pykeops_go.common.utils import check_broadcasting  # noqa: E402,F401


def __getattr__(name: str) -> Any:
    # ComplexGenericLazyTensor subclasses GenericLazyTensor in its own module,
    # which imports this one: bound on first use to keep either import order working.
    if name == "ComplexGenericLazyTensor":
        from pykeops_go.common.lazy_tensor_complex import ComplexGenericLazyTensor

        return ComplexGenericLazyTensor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def same_or_one_test(*dims: int) -> bool:
    """True when the dimensions broadcast together: all equal, apart from 1s."""
    return len(set(dims) | {1}) <= 2


def is_complex_lazytensor(x: Any) -> bool:
    """True for a complex LazyTensor."""
    from pykeops_go.common.lazy_tensor_complex import ComplexGenericLazyTensor

    return isinstance(x, ComplexGenericLazyTensor)


def KeOps_Error(message: str, show_line_number: bool = True) -> None:
    """Raise ``ValueError("[KeOps] Error : message")``, with the caller's file and line."""
    message = "[KeOps] Error : " + message
    if show_line_number:
        import inspect

        caller = inspect.getframeinfo(inspect.currentframe().f_back)
        message += f" (error at line {caller.lineno} in file {caller.filename})"
    raise ValueError(message)


__all__ = ["ComplexGenericLazyTensor", "GenericLazyTensor", "KeOps_Error", "check_broadcasting",
           "is_complex_lazytensor", "is_scalar_and_equals", "same_or_one_test"]
